#!/usr/bin/env bash
# exposure: what faultline exposes, and that no user string reaches a shell.
#   - the binary imports no system(3), popen(3) or posix_spawn, and of the
#     exec family only execlp, for 'faultline demo' (its own script, no
#     user string);
#   - a target cgroup whose name is full of shell syntax (; $( ) ` | &)
#     works as a target for inject, run and the agent (its UDP dropped),
#     and nothing it spells is ever executed; a name, an interface or a
#     probe URL with shell syntax is refused or used as plain data;
#   - the agent's default metrics address is loopback (127.0.0.1:9464),
#     it answers only GET and HEAD; its control socket is 0600 and its pin
#     directory 0700 with nothing in it looser than 0600.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq curl nm ss
fl_require_traffic
fl_require_faultline

fl_plan 11

# ---- what the binary can run ----
imports=$(nm -D --undefined-only "$FL_BIN" | awk '{ print $NF }' | sed 's/@.*//' |
	grep -xE 'system|popen|posix_spawnp?|execl|execlp|execle|execv|execvp|execvpe|execve|fexecve|wordexp' |
	sort -u | paste -sd' ' -)
[[ $imports == execlp ]] && grep -q 'execlp("bash", "bash", script, (char \*)NULL)' "$FL_REPO/user/cmd/demo.c"
fl_ok $? "the binary imports no shell-running call but demo's execlp of its own script ($imports)"

fl_setup
fl_start_servers
# every character a shell would act on, in a cgroup's name; a shell that
# ran it from $FL_STATE would leave pwned* files there
EVIL='x;touch pwned1;$(touch pwned2);`touch pwned3`|touch pwned4&touch pwned5 #'
CG=$FL_CG/$EVIL
mkdir "$CG" && FL_CGROUPS+=("$CG") || fl_bail "cannot create the cgroup '$CG'"
fl_bg_in hold "$FL_NS_CLI" "$CG" sleep 300
fl_wait_for 5 eval '[[ $(wc -l <"$CG/cgroup.procs") -ge 1 ]]' ||
	fl_bail "the target's process did not enter its cgroup"
cd "$FL_STATE" || fl_bail "no state directory"
pwned()
{
	local f

	f=$(find "$FL_STATE" / -maxdepth 1 -name 'pwned*' 2>/dev/null | head -n 1)
	[[ -z $f ]] || fl_diag "found $f"
	[[ -z $f ]]
}

fl_faultline_start evil --cgroup "$CG" --direction egress --proto udp --drop 100 --duration 3s
fl_wait_armed evil || fl_diag_file "$FL_STATE/evil.err"
fl_udp_ping "$CG" "$FL_SRV4" 10 --timeout-ms 100
fl_wait evil 10
rc=$?
[[ $rc == 0 && $PING_SENT == 10 && $PING_REPLIES == 0 ]] && pwned
fl_ok $? "inject on a cgroup named '$EVIL': its UDP dropped ($PING), exit $rc, nothing executed"

fl_exp_drop_udp "$FL_STATE/evil.yaml" "evil$FL_RAND" "'$CG'" 1000000 5s
fl_bg evilrun "$FL_BIN" run "$FL_STATE/evil.yaml" --json
fl_wait_armed evilrun || fl_diag_file "$FL_STATE/evilrun.err"
fl_udp_ping "$CG" "$FL_SRV4" 10 --timeout-ms 100
fl_wait evilrun 15
rc=$?
ref=$(jq -r '.targets[0].ref' "$FL_STATE/evilrun.out" 2>/dev/null)
[[ $rc == 0 && $PING_REPLIES == 0 && $ref == "$CG" ]] && pwned
fl_ok $? "run with that cgroup in the file: dropped ($PING), the report names it as given, nothing executed"

"$FL_BIN" inject --cgroup "$CG" --name 'a;touch pwned6' --drop 1 --dry-run >/dev/null 2>"$FL_STATE/name.err"
rc=$?
"$FL_BIN" inject --cgroup "$CG" --iface 'e;touch pwned7' --drop 1 --dry-run >/dev/null 2>"$FL_STATE/iface.err"
rc2=$?
[[ $rc == 2 && $rc2 == 2 ]] && grep -q "invalid --name" "$FL_STATE/name.err" && pwned
fl_ok $? "a --name (exit $rc) or --iface (exit $rc2) with shell syntax is refused, nothing executed"

# ---- the agent ----
SOCK=$FL_STATE/agent.sock
PIN=$FL_STATE/pin
# the default metrics address, unless something else holds it now
DEFAULT_BUSY=0
ss -Hltn 'sport = :9464' | grep -q . && DEFAULT_BUSY=1
if [[ $DEFAULT_BUSY == 0 ]]; then
	fl_bg agent "$FL_BIN" agent --socket "$SOCK" --pin-dir "$PIN"
	METRICS=127.0.0.1:9464
else
	METRICS=127.0.0.1:$(fl_free_port)
	fl_bg agent "$FL_BIN" agent --socket "$SOCK" --pin-dir "$PIN" --metrics-addr "$METRICS"
fi
fl_wait_for 10 test -S "$SOCK" || fl_bail "the agent did not start: $(cat "$FL_STATE/agent.err")"
fl_wait_for 5 eval "ss -Hltnp | grep -q 'pid=$(fl_bg_pid agent),'" ||
	fl_bail "the agent serves no metrics"
listen=$(ss -Hltnp | grep "pid=$(fl_bg_pid agent)," | awk '{ print $4 }' | paste -sd' ' -)
if [[ $DEFAULT_BUSY == 0 ]]; then
	[[ $listen == 127.0.0.1:9464 ]]
	fl_ok $? "by default the agent listens on loopback only: $listen"
else
	fl_skip "the default metrics address" "127.0.0.1:9464 is in use by another process now"
fi
codes=""
for m in POST PUT DELETE PATCH; do
	codes+=" $m:$(curl -s -o /dev/null -w '%{http_code}' -X "$m" --data x "http://$METRICS/metrics")"
done
get=$(curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/metrics")
[[ $codes == " POST:405 PUT:405 DELETE:405 PATCH:405" && $get == 200 ]]
fl_ok $? "metrics are read-only: GET $get,$codes"
loose=$(find "$PIN" -mindepth 1 -perm /077 2>/dev/null | wc -l)
[[ $(stat -c %a "$SOCK") == 600 && $(stat -c %a "$PIN") == 700 && $loose == 0 ]]
fl_ok $? "control socket $(stat -c %a "$SOCK"), pin directory $(stat -c %a "$PIN"), $loose pinned object looser than 0600"

# the same cgroup submitted to the agent
fl_exp_drop_udp "$FL_STATE/agent.yaml" "agent$FL_RAND" "'$CG'" 1000000 5s
fl_bg arun "$FL_BIN" run "$FL_STATE/agent.yaml" --agent --socket "$SOCK" --json
fl_wait_for 5 eval '"$FL_BIN" status --json --socket "$SOCK" | jq -e --arg n "agent$FL_RAND" "any(.[]; .name == \$n and .phase == \"Started\")" >/dev/null'
fl_udp_ping "$CG" "$FL_SRV4" 10 --timeout-ms 100
fl_wait arun 15
rc=$?
[[ $rc == 0 && $PING_REPLIES == 0 ]] && pwned
fl_ok $? "the agent runs it too: dropped ($PING), exit $rc, nothing executed"

# a probe URL and a Prometheus query with shell syntax are data for libcurl
cat >"$FL_STATE/probe.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: probe$FL_RAND}
spec:
  duration: 1s
  targets: [{cgroup: '$CG'}]
  faults: []
  failureConditions: [{name: f, signal: probe.failures, probe: p, above: 1000}]
  probes:
    - {name: p, http: {url: 'http://127.0.0.1:1/\$(id>pwned8);\`id>pwned9\`'}, interval: 100ms, timeout: 50ms}
EOF
"$FL_BIN" run "$FL_STATE/probe.yaml" --json >"$FL_STATE/probe.out" 2>"$FL_STATE/probe.err"
rc=$?
fails=$(jq -r '.probes[0].failures' "$FL_STATE/probe.out" 2>/dev/null)
[[ $rc == 0 && $fails -ge 1 ]] && pwned
fl_ok $? "a probe URL with shell syntax is only fetched (exit $rc, $fails failures), nothing executed" ||
	fl_diag_file "$FL_STATE/probe.err"

fl_stop agent TERM
fl_ok $? "the agent ends cleanly"
pwned
fl_ok $? "no pwned file anywhere the test looked"
fl_done
