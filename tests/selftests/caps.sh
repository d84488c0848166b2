#!/usr/bin/env bash
# caps: 'faultline inject' and 'faultline run' need only CAP_BPF,
# CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN, and hold nothing else after
# setup (user/lib/caps.c, README "Packaging"):
#   - started as full root, once armed its effective, permitted and
#     bounding sets are exactly the four, its inheritable and ambient sets
#     empty, and it drops the target's UDP;
#   - started under capsh with only the four (bounding set, no_new_privs),
#     inject and run work: armed, 20 of 20 UDP pings lost, Succeeded;
#   - with any one of the four missing, each names it (exit 3);
#   - as a non-root uid with the four as ambient capabilities it refuses
#     at once, saying why uid 0 is needed; with one of them missing it
#     names that one first.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq capsh setpriv
fl_require_traffic
fl_require_faultline

FOUR=(BPF NET_ADMIN PERFMON SYS_ADMIN)
fl_plan $((11 + 2 * ${#FOUR[@]}))

# lower-case cap_ names, comma-separated, sorted
capset()
{
	printf 'cap_%s\n' "$@" | tr 'A-Z' 'a-z' | sort | paste -sd, -
}
KEEP=$(capset "${FOUR[@]}")

# drop_list KEEP: the bounding set's capabilities not in KEEP
drop_list()
{
	capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' |
		grep -vxF -f <(tr ',' '\n' <<<"$1") | paste -sd, -
}

# caps_of PID FIELD: FIELD (CapEff, CapPrm, ...) of PID as a sorted list
caps_of()
{
	local hex

	hex=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")
	capsh --decode="$hex" | sed 's/.*=//' | tr ',' '\n' | sort | paste -sd, -
}

# the pid of the faultline process under NAME (capsh execs it; env too)
fl_pid_of()
{
	fl_bg_pid "$1"
}

fl_setup
fl_start_servers
# The target's process holds no capability: without CAP_SYS_PTRACE,
# faultline may read /proc/PID/ns/net only of processes of its own uid
# whose capabilities are a subset of its own (a full-root one is checked
# at the end).
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" capsh --drop="$(drop_list "")" -- -c 'exec sleep 300'
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"
INJ=(inject --cgroup "$FL_CG_TARGET" --direction egress --proto udp --drop 100 --duration 3s)

# under KEEP CMD...: CMD with only the capabilities KEEP, no_new_privs
under()
{
	capsh --no-new-privs --drop="$(drop_list "$1")" -- -c 'exec "$0" "$@"' "${@:2}"
}

# ---- full root: after setup only the four ----
fl_bg root "$FL_BIN" "${INJ[@]}"
fl_wait_armed root || fl_bail "faultline inject (full root) did not arm"
pid=$(fl_pid_of root)
eff=$(caps_of "$pid" CapEff)
prm=$(caps_of "$pid" CapPrm)
bnd=$(caps_of "$pid" CapBnd)
inh=$(awk '$1 == "CapInh:" { print $2 }' "/proc/$pid/status")
amb=$(awk '$1 == "CapAmb:" { print $2 }' "/proc/$pid/status")
[[ $eff == "$KEEP" && $prm == "$KEEP" && $bnd == "$KEEP" && $inh == 0000000000000000 &&
	$amb == 0000000000000000 ]]
fl_ok $? "started as full root, once armed it holds only the four (eff $eff; prm $prm; bnd $bnd; inh $inh; amb $amb)"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 100
fl_wait root 10
rc=$?
[[ $rc == 0 && $PING_SENT == 20 && $PING_REPLIES == 0 ]]
fl_ok $? "with only the four left it drops the target's UDP ($PING) and ends Succeeded (exit $rc)" ||
	fl_diag_file "$FL_STATE/root.err"

# tasks_within PID SET: every thread's effective, permitted and bounding
# sets are within SET (capabilities are per thread)
tasks_within()
{
	local t f bad=0

	for t in /proc/"$1"/task/*; do
		for f in CapEff CapPrm CapBnd; do
			caps_of "${t#/proc/}" "$f" | tr ',' '\n' | grep -v '^$' |
				grep -qvxF -f <(tr ',' '\n' <<<"$2") && bad=1
		done
	done
	return "$bad"
}

# a run with a probe (threads) and an agent (metrics and control threads),
# started as full root: no thread keeps more than the four (and
# CAP_SYS_PTRACE, which they keep for pids and probe namespaces)
KEEP5=$(capset "${FOUR[@]}" SYS_PTRACE)
cat >"$FL_STATE/probe.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: probe$FL_RAND}
spec:
  duration: 3s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults: [{name: d, direction: egress, match: {protocol: udp}, drop: {percent: 100}}]
  failureConditions: [{name: f, signal: probe.failures, probe: p, above: 1000}]
  probes:
    - {name: p, tcp: {address: "$FL_SRV4:$FL_TCP_PORT"}, interval: 100ms, netns: /run/netns/$FL_NS_CLI}
EOF
fl_bg prun "$FL_BIN" run "$FL_STATE/probe.yaml"
fl_wait_armed prun || fl_diag_file "$FL_STATE/prun.err"
pid=$(fl_pid_of prun)
n=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
tasks_within "$pid" "$KEEP5" && [[ $n -ge 2 && $(caps_of "$pid" CapEff) == "$KEEP" ]]
fl_ok $? "run with a probe, from full root: $n threads, none holds more than ${KEEP5//,/ }; the main one only the four"
fl_wait prun 10
SOCK=$FL_STATE/agent.sock
fl_bg agent "$FL_BIN" agent --socket "$SOCK" --pin-dir "$FL_STATE/pin" \
	--metrics-addr "127.0.0.1:$(fl_free_port)"
fl_wait_for 10 test -S "$SOCK" || fl_diag_file "$FL_STATE/agent.err"
pid=$(fl_pid_of agent)
n=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
tasks_within "$pid" "$KEEP5" && [[ $n -ge 2 ]]
fl_ok $? "the agent, from full root: $n threads, none holds more than ${KEEP5//,/ }"
fl_stop agent TERM

# ---- started with only the four ----
fl_bg four under "$KEEP" "$FL_BIN" "${INJ[@]}"
fl_wait_armed four || fl_diag_file "$FL_STATE/four.err"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 100
fl_wait four 10
rc=$?
[[ $rc == 0 && $PING_SENT == 20 && $PING_REPLIES == 0 ]] &&
	! grep -q "missing" "$FL_STATE/four.err"
fl_ok $? "inject with exactly ${KEEP//,/ }: armed, 20 of 20 UDP pings lost ($PING), exit $rc" ||
	fl_diag_file "$FL_STATE/four.err"

fl_exp_drop_udp "$FL_STATE/drop.yaml" "caps$FL_RAND" "$FL_CG_TARGET" 1000000 5s
fl_bg frun under "$KEEP" "$FL_BIN" run "$FL_STATE/drop.yaml" --json
fl_wait_armed frun || fl_diag_file "$FL_STATE/frun.err"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 100
fl_wait frun 10
rc=$?
state=$(jq -r .state "$FL_STATE/frun.out" 2>/dev/null)
[[ $rc == 0 && $state == Succeeded && $PING_SENT == 20 && $PING_REPLIES == 0 ]]
fl_ok $? "run with exactly the four: 20 of 20 lost ($PING), $state, exit $rc" ||
	fl_diag_file "$FL_STATE/frun.err"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 300
[[ $PING_REPLIES == 20 ]]
fl_ok $? "after the runs the pings come back ($PING)"

# ---- one missing ----
for c in "${FOUR[@]}"; do
	less=$(tr ',' '\n' <<<"$KEEP" | grep -vx "cap_${c,,}" | paste -sd, -)
	under "$less" "$FL_BIN" "${INJ[@]}" >/dev/null 2>"$FL_STATE/no_$c.err"
	rc=$?
	err=$(grep -m 1 "missing" "$FL_STATE/no_$c.err")
	[[ $rc == 3 && $err == *"missing capabilities: CAP_$c (to "* ]]
	fl_ok $? "inject without CAP_$c names it (exit $rc: $err)"
	under "$less" "$FL_BIN" run "$FL_STATE/drop.yaml" >/dev/null 2>"$FL_STATE/runno_$c.err"
	rc=$?
	err=$(grep -m 1 "missing" "$FL_STATE/runno_$c.err")
	[[ $rc == 3 && $err == *"missing capabilities: CAP_$c (to "* ]]
	fl_ok $? "run without CAP_$c names it (exit $rc: $err)"
done

# ---- a non-root uid ----
AMB=$(printf '+%s,' "${FOUR[@],,}")
AMB=${AMB%,}
nonroot()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="-all,$1" \
		--ambient-caps="-all,$1" --bounding-set="-all,$1" "${@:2}"
}
nonroot "$AMB" "$FL_BIN" "${INJ[@]}" >/dev/null 2>"$FL_STATE/nobody.err"
rc=$?
err=$(grep -v "running without" "$FL_STATE/nobody.err" | head -n 1)
[[ $rc == 3 && $err == *"runs as uid 0"* && $err == *"/run/faultline"* ]]
fl_ok $? "uid 65534 with the four: refused, saying why uid 0 (exit $rc: $err)"
nonroot "${AMB/,+perfmon/}" "$FL_BIN" "${INJ[@]}" >/dev/null 2>"$FL_STATE/nobody2.err"
rc=$?
err=$(head -n 1 "$FL_STATE/nobody2.err")
[[ $rc == 3 && $err == *"missing capabilities: CAP_PERFMON (to "* ]]
fl_ok $? "uid 65534 without CAP_PERFMON: named first (exit $rc: $err)"

# ---- a target process with more capabilities than faultline ----
fl_bg_in rich "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_BYSTANDER/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the bystander's process did not enter its cgroup"
under "$KEEP" "$FL_BIN" inject --cgroup "$FL_CG_BYSTANDER" --drop 10 --duration 2s \
	>/dev/null 2>"$FL_STATE/rich.err"
rc=$?
err=$(grep -v "running without" "$FL_STATE/rich.err" | head -n 1)
[[ $rc == 3 && $err == *"cannot be inspected"*"CAP_SYS_PTRACE"*"--netns"* ]]
fl_ok $? "a target process holding more capabilities: refused, naming CAP_SYS_PTRACE and --netns (exit $rc: $err)"

fl_no_faultline_attached
fl_ok $? "nothing attached after the test"
fl_done
