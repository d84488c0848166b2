#!/usr/bin/env bash
# agent_caps: `faultline agent` works with exactly the capabilities that
# deploy/daemonset.yaml grants, and says what is missing with fewer.
#   - the list is parsed from the YAML (securityContext.capabilities.add),
#     so the manifest and this test cannot drift apart;
#   - capsh drops every other capability from the bounding set and sets
#     no_new_privs (the DaemonSet's allowPrivilegeEscalation: false); the
#     running agent's effective and bounding sets are exactly the list;
#   - a drop experiment put into its spec directory drops the target's UDP
#     (20 of 20 lost), ends Succeeded after its duration, and the traffic
#     flows again; /healthz answers; SIGTERM ends the agent cleanly;
#   - with any one listed capability removed, the agent names it: a
#     required one stops it at startup (exit 3, "missing capabilities:
#     CAP_X (to ...)"), the optional CAP_SYS_PTRACE is a warning.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq curl capsh
fl_require_traffic
fl_require_faultline

YAML=$FL_REPO/deploy/daemonset.yaml
# the "- NAME" items under the first "add:" (comments between them allowed)
mapfile -t CAPS < <(awk '
	/^[[:space:]]*add:[[:space:]]*$/ { inadd = 1; next }
	inadd && /^[[:space:]]*#/ { next }
	inadd && /^[[:space:]]*- [A-Z_]+[[:space:]]*$/ { print $2; next }
	inadd { exit }' "$YAML")
# required: the agent refuses to start without them (user/lib/caps.c)
REQUIRED=" BPF NET_ADMIN PERFMON SYS_ADMIN "

fl_plan $((9 + ${#CAPS[@]}))

# lower-case cap_ names, comma-separated, sorted
capset()
{
	printf 'cap_%s\n' "$@" | tr 'A-Z' 'a-z' | sort | paste -sd, -
}

KEEP=$(capset "${CAPS[@]}")
ok=0
[[ ${#CAPS[@]} -ge 1 ]] || ok=1
for c in "${CAPS[@]}"; do
	capsh --supports="cap_${c,,}" 2>/dev/null || ok=1
done
fl_ok $ok "daemonset.yaml lists capabilities this kernel knows: ${CAPS[*]}" ||
	fl_bail "no usable capability list in $YAML"

# drop_list KEEP: the bounding set's capabilities not in KEEP
drop_list()
{
	capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' |
		grep -vxF -f <(tr ',' '\n' <<<"$1") | paste -sd, -
}

# caps_of PID FIELD: FIELD (CapEff, CapBnd) of PID, as a sorted cap list
caps_of()
{
	local hex

	hex=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")
	capsh --decode="$hex" | sed 's/.*=//' | tr ',' '\n' | sort | paste -sd, -
}

fl_setup
fl_start_servers
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

SOCK=$FL_STATE/agent.sock
SPEC=$FL_STATE/spec
PIN=$FL_STATE/pin
mkdir "$SPEC"
PORT=$(fl_free_port)

# agent_with NAME KEEP: the agent, in the background, with only KEEP
agent_with()
{
	fl_bg "$1" capsh --no-new-privs --drop="$(drop_list "$2")" -- \
		-c 'exec "$0" "$@"' "$FL_BIN" agent --socket "$SOCK" --spec-dir "$SPEC" \
		--metrics-addr "127.0.0.1:$PORT" --pin-dir "$PIN"
}

agent_with agent "$KEEP"
fl_wait_for 10 test -S "$SOCK"
fl_ok $? "the agent starts with exactly ${KEEP//,/ }" ||
	fl_bail "$(cat "$FL_STATE/agent.err")"
pid=$(fl_bg_pid agent)
eff=$(caps_of "$pid" CapEff)
bnd=$(caps_of "$pid" CapBnd)
[[ $eff == "$KEEP" && $bnd == "$KEEP" ]] &&
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" &&
	[[ $(readlink "/proc/$pid/exe") == "$(readlink -f "$FL_BIN")" ]]
fl_ok $? "the agent's effective and bounding sets are the list, no_new_privs set (eff $eff; bnd $bnd)"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 300
[[ $PING_REPLIES == 20 ]]
fl_ok $? "before: the target's UDP pings come back ($PING)"

NAME=caps$FL_RAND
cat >"$FL_STATE/drop.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: $NAME}
spec:
  duration: 4s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - name: drop-udp
      direction: egress
      match: {protocol: udp}
      drop: {percent: 100}
  failureConditions:
    - {name: dropped, signal: faults.dropped, above: 1000000, window: 2s}
EOF
mv "$FL_STATE/drop.yaml" "$SPEC/drop.yaml"
phase_of()
{
	"$FL_BIN" status --json --socket "$SOCK" |
		jq -r --arg n "$NAME" '[.[] | select(.name == $n)] | last | .phase // "none"'
}
fl_wait_for 5 eval '[[ $(phase_of) == Started ]]' || fl_diag_file "$FL_STATE/agent.err"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 300
[[ $PING_REPLIES == 0 && $PING_SENT == 20 ]]
fl_ok $? "under the spec dir's drop experiment, 20 of 20 UDP pings are lost ($PING)" ||
	fl_diag_file "$FL_STATE/agent.err"

fl_wait_for 10 eval '[[ $(phase_of) == Succeeded ]]'
fl_ok $? "the experiment ends Succeeded after its 4 s ($(phase_of))" ||
	fl_diag_file "$FL_STATE/agent.err"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 300
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
[[ $PING_REPLIES == 20 && $code == 200 ]]
fl_ok $? "after it, the pings come back ($PING); /healthz $code"

fl_stop agent TERM
rc=$?
[[ $rc == 0 && ! -e $SOCK ]]
fl_ok $? "SIGTERM: exit 0, socket removed (exit $rc)"
fl_no_faultline_attached
fl_ok $? "nothing attached after the agent ended"

# ---- one capability fewer ----
for c in "${CAPS[@]}"; do
	less=$(tr ',' '\n' <<<"$KEEP" | grep -vx "cap_${c,,}" | paste -sd, -)
	agent_with "no_$c" "$less"
	if [[ $REQUIRED == *" $c "* ]]; then
		fl_wait "no_$c" 5
		rc=$?
		err=$(cat "$FL_STATE/no_$c.err")
		[[ $rc == 3 && $err == *"missing capabilities: CAP_$c (to "* &&
			$(grep -c 'missing capabilities' <<<"$err") == 1 ]]
		fl_ok $? "without CAP_$c the agent stops at startup, naming it (exit $rc: $err)"
	else
		fl_wait_for 10 test -S "$SOCK"
		ok=$?
		fl_stop "no_$c" TERM
		rc=$?
		err=$(grep -m 1 'running without' "$FL_STATE/no_$c.err")
		[[ $ok == 0 && $rc == 0 && $err == *"running without CAP_$c (to "* ]]
		fl_ok $? "without CAP_$c the agent runs and warns, naming it (exit $rc: $err)"
	fi
done
fl_done
