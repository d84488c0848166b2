#!/usr/bin/env bash
# agent_restart (VM: needs sch_fq): the root qdisc an agent's delay
# experiment replaced with fq stays in place when the agent is killed with
# SIGKILL (the experiment survives), and comes back exactly as it was when
# the next agent takes the experiment off (--on-restart clean) or takes it
# back and it ends at its deadline (--on-restart adopt). The host-side
# drop cases are tests/selftests/agent_restart.sh.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc jq mountpoint
fl_require_faultline

fl_plan 8
fl_setup
fl_pin_dir || fl_bail "cannot mount a bpffs instance under $FL_STATE"

SOCK=$FL_STATE/agent.sock
SPEC=$FL_STATE/spec
mkdir "$SPEC"
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

root_of()
{
	ip netns exec "$FL_NS_CLI" tc qdisc show dev "$FL_IF_CLI" root
}

is_fq()
{
	[[ $(root_of) == *"qdisc fq "* || $(root_of) == *"qdisc mq fa17:"* ]]
}

agent()
{
	fl_bg "$1" "$FL_BIN" agent --socket "$SOCK" --spec-dir "$SPEC" --metrics-addr none \
		--pin-dir "$FL_PIN" --on-restart "$2"
	fl_wait_log "$1" "agent: listening on" 30
}

kill9()
{
	{
		kill -KILL "$(fl_bg_pid "$1")"
		fl_wait "$1" 30
	} 2>/dev/null
}

phase_of()
{
	"$FL_BIN" status --json --socket "$SOCK" |
		jq -r --arg n "$1" '[.[] | select(.name == $n)] | last | .phase // "none"'
}

# delay_exp NAME DURATION: 5 ms on the target's egress, into the spec dir
delay_exp()
{
	cat >"$FL_STATE/d.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: $1}
spec:
  duration: $2
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - {name: delay, direction: egress, delay: {time: 5ms}}
  failureConditions:
    - {name: never, signal: faults.delayed, above: 100000000}
EOF
	mv "$FL_STATE/d.yaml" "$SPEC/d.yaml"
}

pin_dir_empty()
{
	[[ -z $(ls -A "$FL_PIN" 2>/dev/null) ]]
}

# a non-default but replaceable root, with parameters of its own
ip netns exec "$FL_NS_CLI" tc qdisc replace dev "$FL_IF_CLI" root fq_codel limit 1234 target 7ms
before=$(root_of)
fl_diag "before: $before"

# ---- clean ----
agent c1 clean || fl_bail "the agent did not start"
delay_exp "clean-$FL_RAND" 120s
fl_wait_for 30 eval '[[ $(phase_of clean-$FL_RAND) == Started ]]' ||
	fl_bail "the experiment did not start: $(tail -n 3 "$FL_STATE/c1.err")"
is_fq
fl_ok $? "clean: the agent's delay experiment runs with fq as the root ($(root_of))"
kill9 c1
rm -f "$SPEC/d.yaml"
is_fq && [[ -d $FL_PIN/clean-$FL_RAND ]]
fl_ok $? "clean: after kill -9 fq stays and the experiment is pinned ($(root_of))"
agent c2 clean
[[ $(root_of) == "$before" ]] && pin_dir_empty
fl_ok $? "clean: the agent restarted with clean put the root back exactly ($(root_of)) and unpinned it" ||
	fl_diag_file "$FL_STATE/c2.err"
grep -q "fq on $FL_IF_CLI (puts back fq_codel)" "$FL_STATE/c2.err"
fl_ok $? "clean: its log names the qdisc it put back" || fl_diag_file "$FL_STATE/c2.err"
fl_stop c2 TERM

# ---- adopt ----
agent a1 clean || fl_bail "the agent did not start"
delay_exp "adopt-$FL_RAND" 20s
fl_wait_for 30 eval '[[ $(phase_of adopt-$FL_RAND) == Started ]]' ||
	fl_bail "the experiment did not start: $(tail -n 3 "$FL_STATE/a1.err")"
kill9 a1
is_fq
fl_ok $? "adopt: after kill -9 fq stays ($(root_of))"
agent a2 adopt
fl_wait_log a2 "taken back from" 10 && is_fq && [[ $(phase_of "adopt-$FL_RAND") == Started ]]
fl_ok $? "adopt: the agent restarted with adopt took it back; fq still the root"
fl_wait_for 60 eval '[[ $(phase_of adopt-$FL_RAND) == Succeeded ]]'
fl_ok $? "adopt: it ended Succeeded at its deadline ($(phase_of "adopt-$FL_RAND"))"
[[ $(root_of) == "$before" ]] && pin_dir_empty
fl_ok $? "adopt: then the root is exactly as before ($(root_of)) and nothing is pinned"
rm -f "$SPEC/d.yaml"
fl_stop a2 TERM
fl_done
