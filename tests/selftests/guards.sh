#!/usr/bin/env bash
# guards: faultline refuses, unless --force, what is valid but likely a
# mistake with a large blast radius (user/kernel/guards.c), on the one path
# inject, run and the agent share:
#   - a duration over 1h (also 'validate');
#   - a target that is the root cgroup, or holds PID 1's cgroup (PID 1 of a
#     PID namespace made here, whose cgroup is the test's), or holds
#     faultline's own cgroup (the cgroup itself and an ancestor);
#   - a drop over 50 % on the host namespace's default-route interface:
#     refusal and --dry-run only, the host's traffic is never touched;
#   - the agent refuses the same, with no --force.
# Each refusal exits 2 naming the guard and --force; with --force the same
# run is accepted, and (but for the default route) really drops the test's
# UDP, confined to the test's namespaces by --netns and --peer.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq unshare
fl_require_traffic
fl_require_faultline

fl_plan 23

fl_setup
fl_start_servers
INIT=$FL_CG/init
RUNNER=$FL_CG/runner
for d in "$INIT" "$RUNNER"; do
	mkdir "$d" && FL_CGROUPS+=("$d") || fl_bail "cannot create $d"
done
# the drop every accepted run makes: the test's UDP to the server, in the
# client namespace only
CONFINE=(--netns "/run/netns/$FL_NS_CLI" --iface "$FL_IF_CLI" --direction egress
	--proto udp --peer "$FL_SRV4/32" --drop 100)

# refused RC ERRFILE WHAT: exit 2 and a message naming the guard and --force
refused()
{
	local rc=$1 err

	err=$(cat "$2")
	[[ $rc == 2 && $err == *"guard: "*"$3"* && $err == *"--force"* ]]
	fl_ok $? "refused without --force: $3 (exit $rc: $(head -c 300 <<<"$err"))"
}

# forced NAME CG ARGS...: "faultline inject ARGS --force" in the
# background (in the runner cgroup); once armed, 10 of 10 UDP pings from
# CG are lost; it ends Succeeded (exit 0)
forced()
{
	local name=$1 cg=$2 rc

	shift 2
	fl_bg_in "$name" - "$RUNNER" "$FL_BIN" inject "$@" "${CONFINE[@]}" --duration 2s --force
	if ! fl_wait_armed "$name"; then
		fl_wait "$name" 5
		fl_ok 1 "accepted with --force: $name"
		return
	fi
	fl_udp_ping "$cg" "$FL_SRV4" 10 --timeout-ms 100
	fl_wait "$name" 10
	rc=$?
	[[ $rc == 0 && $PING_SENT == 10 && $PING_REPLIES == 0 ]]
	fl_ok $? "accepted with --force: $name armed, dropped the test's UDP ($PING), exit $rc" ||
		fl_diag_file "$FL_STATE/$name.err"
}

# a process of the target in the host namespace, so that a run
# without --netns is placed there (dry runs only)
fl_bg_in hostproc - "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

# ---- duration ----
"$FL_BIN" inject --cgroup "$FL_CG_TARGET" "${CONFINE[@]}" --duration 1h1s --dry-run \
	>/dev/null 2>"$FL_STATE/dur.err"
refused $? "$FL_STATE/dur.err" "the duration 3601s is over 1h"
"$FL_BIN" inject --cgroup "$FL_CG_TARGET" "${CONFINE[@]}" --duration 1h --dry-run \
	>/dev/null 2>"$FL_STATE/dur1h.err"
fl_ok $? "a duration of exactly 1h passes the guard (dry run)" || fl_diag_file "$FL_STATE/dur1h.err"
"$FL_BIN" inject --cgroup "$FL_CG_TARGET" "${CONFINE[@]}" --duration 2h --dry-run --force \
	>/dev/null 2>"$FL_STATE/durf.err"
fl_ok $? "--duration 2h --force is accepted (dry run)" || fl_diag_file "$FL_STATE/durf.err"
cat >"$FL_STATE/long.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: long$FL_RAND}
spec:
  duration: 90m
  targets: [{cgroup: $FL_CG_TARGET}]
  faults: [{name: d, direction: egress, drop: {percent: 10}}]
  failureConditions: [{name: c, signal: faults.dropped, above: 1000000}]
EOF
"$FL_BIN" validate "$FL_STATE/long.yaml" >/dev/null 2>"$FL_STATE/val.err"
refused $? "$FL_STATE/val.err" "over 1h"
"$FL_BIN" validate --force "$FL_STATE/long.yaml" >"$FL_STATE/valf.out" 2>&1
fl_ok $? "validate --force accepts it ($(cat "$FL_STATE/valf.out"))"
"$FL_BIN" run "$FL_STATE/long.yaml" --dry-run >/dev/null 2>"$FL_STATE/run.err"
refused $? "$FL_STATE/run.err" "over 1h"
"$FL_BIN" run "$FL_STATE/long.yaml" --dry-run --force >/dev/null 2>"$FL_STATE/runf.err"
fl_ok $? "run --dry-run --force accepts it" || fl_diag_file "$FL_STATE/runf.err"

# the agent applies the guards with no way past them
SOCK=$FL_STATE/agent.sock
fl_bg agent "$FL_BIN" agent --socket "$SOCK" --pin-dir "$FL_STATE/pin" --metrics-addr none
fl_wait_for 10 test -S "$SOCK" || fl_bail "the agent did not start: $(cat "$FL_STATE/agent.err")"
"$FL_BIN" run "$FL_STATE/long.yaml" --agent --socket "$SOCK" >/dev/null 2>"$FL_STATE/agent_run.err"
refused $? "$FL_STATE/agent_run.err" "over 1h"
"$FL_BIN" run "$FL_STATE/long.yaml" --agent --force --socket "$SOCK" >/dev/null 2>"$FL_STATE/agent_force.err"
rc=$?
[[ $rc == 2 ]] && grep -q -- "--agent takes only" "$FL_STATE/agent_force.err"
fl_ok $? "run --agent --force is refused: the agent has no way past the guards (exit $rc)"
fl_stop agent TERM

# ---- the root cgroup ----
"$FL_BIN" inject --cgroup "$FL_CG_ROOT" "${CONFINE[@]}" --duration 2s --dry-run \
	>/dev/null 2>"$FL_STATE/root.err"
refused $? "$FL_STATE/root.err" "is the root cgroup"
forced root "$FL_CG_BYSTANDER" --cgroup "$FL_CG_ROOT"

# ---- faultline's own cgroup, and one that holds it ----
fl_run_in - "$RUNNER" "$FL_BIN" inject --cgroup "$RUNNER" "${CONFINE[@]}" --duration 2s \
	--dry-run >/dev/null 2>"$FL_STATE/self.err"
refused $? "$FL_STATE/self.err" "is faultline's own cgroup"
fl_run_in - "$RUNNER" "$FL_BIN" inject --cgroup "$FL_CG" "${CONFINE[@]}" --duration 2s \
	--dry-run >/dev/null 2>"$FL_STATE/selfup.err"
refused $? "$FL_STATE/selfup.err" "contains faultline's own cgroup"
forced self "$RUNNER" --cgroup "$RUNNER"

# ---- PID 1's cgroup: PID 1 of a new PID namespace, in $INIT ----
# pid1 ARGS...: in a PID namespace whose init is in $INIT, faultline runs
# in $RUNNER with ARGS; its stderr in pid1.err, its exit status returned
# shellcheck disable=SC2016 # expanded by the inner shells
pid1()
{
	unshare --pid --fork --mount-proc sh -c '
		echo $$ >"$1/cgroup.procs" || exit 125
		runner=$2; shift 2
		sh -c "echo \$\$ >\"$runner/cgroup.procs\" && exec \"\$@\"" sh "$@"' \
		sh "$INIT" "$RUNNER" "$FL_BIN" inject "$@" >/dev/null 2>"$FL_STATE/pid1.err"
}
pid1 --cgroup "$INIT" "${CONFINE[@]}" --duration 2s --dry-run
refused $? "$FL_STATE/pid1.err" "is the cgroup of PID 1"
pid1 --cgroup "$INIT" "${CONFINE[@]}" --duration 2s --dry-run --force
fl_ok $? "the cgroup of PID 1 is accepted with --force (dry run)" ||
	fl_diag_file "$FL_STATE/pid1.err"
pid1 --cgroup "$FL_CG_TARGET" "${CONFINE[@]}" --duration 2s --dry-run
fl_ok $? "in the same PID namespace, another cgroup passes the guard (dry run)" ||
	fl_diag_file "$FL_STATE/pid1.err"
forced pid1real "$INIT" --cgroup "$INIT"

# ---- a drop over 50 % on the host's default-route interface ----
DEF=$(ip -o route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
[[ -n $DEF ]] || DEF=$(ip -o -6 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
[[ -n $DEF ]] || fl_bail "the host namespace has no default route: nothing to guard"
HOSTRUN=(--cgroup "$FL_CG_TARGET" --direction egress --duration 2s --dry-run)
"$FL_BIN" inject "${HOSTRUN[@]}" --iface "$DEF" --drop 60 >/dev/null 2>"$FL_STATE/route.err"
refused $? "$FL_STATE/route.err" "drops 60 % on $DEF, the host namespace's default-route interface"
"$FL_BIN" inject "${HOSTRUN[@]}" --drop 100 >/dev/null 2>"$FL_STATE/routeall.err"
refused $? "$FL_STATE/routeall.err" "on $DEF, the host namespace's default-route interface"
"$FL_BIN" inject "${HOSTRUN[@]}" --iface "$DEF" --drop 50 >"$FL_STATE/route50.out" 2>&1
fl_ok $? "a drop of 50 % on $DEF passes the guard (dry run)" || fl_diag_file "$FL_STATE/route50.out"
"$FL_BIN" inject "${HOSTRUN[@]}" --iface "$DEF" --drop 60 --force >"$FL_STATE/routef.out" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "would attach" "$FL_STATE/routef.out"
fl_ok $? "with --force the dry run is accepted and says what it would attach (exit $rc)" ||
	fl_diag_file "$FL_STATE/routef.out"

fl_no_faultline_attached
fl_ok $? "nothing attached after the test"
fl_done
