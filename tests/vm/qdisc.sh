#!/usr/bin/env bash
# qdisc (VM: needs sch_fq): the root qdisc faultline replaces with fq comes
# back exactly as it was after every exit path: the normal end, SIGINT, an
# abort (--abort-if), and SIGKILL followed by 'faultline cleanup'. A root
# it may not replace is refused (exit 3, nothing attached) unless
# --force-qdisc.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc
fl_require_traffic
fl_require_faultline

fl_plan 12
fl_setup

root_of()
{
	ip netns exec "$FL_NS_CLI" tc qdisc show dev "$FL_IF_CLI" root
}

run_delay()
{
	fl_faultline_start "$1" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--direction egress --delay 5ms "${@:2}"
	fl_wait_armed "$1" 30
}

# a non-default but replaceable root, with parameters of its own
ip netns exec "$FL_NS_CLI" tc qdisc replace dev "$FL_IF_CLI" root fq_codel limit 1234 target 7ms
before=$(root_of)
fl_diag "before: $before"

run_delay normal --duration 3s
[[ $(root_of) == *"qdisc fq "* || $(root_of) == *"qdisc mq fa17:"* ]]
fl_ok $? "fq is the root while the delay runs ($(root_of))"
fl_wait normal 30
[[ $(root_of) == "$before" ]]
fl_ok $? "normal end: the root qdisc is exactly as before"

run_delay sigint --duration 60s
fl_stop sigint INT
[[ $(root_of) == "$before" ]]
fl_ok $? "SIGINT: the root qdisc is exactly as before"

run_delay abort --duration 60s --abort-if 'faults.delayed > 3/10s'
fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" ping -c 8 -i 0.1 -W 1 "$FL_SRV4" >/dev/null 2>&1
fl_wait abort 30
rc=$?
[[ $rc == 1 && $(root_of) == "$before" ]]
fl_ok $? "abort: --abort-if tripped (exit $rc) and the root qdisc is exactly as before"

run_delay kill --duration 60s
fl_stop kill KILL
now=$(root_of)
[[ $now == *"qdisc fq "* || $now == *"qdisc mq fa17:"* ]]
fl_ok $? "SIGKILL: fq stays until cleanup ($now)"
"$FL_BIN" cleanup --force >/dev/null
[[ $(root_of) == "$before" ]]
fl_ok $? "SIGKILL then cleanup: the root qdisc is exactly as before ($(root_of))"
"$FL_BIN" cleanup --force >/dev/null
fl_ok $? "a second cleanup is a no-op"

# a root faultline must not replace on its own
ip netns exec "$FL_NS_CLI" tc qdisc replace dev "$FL_IF_CLI" root tbf rate 100mbit burst 32k latency 50ms
tbf=$(root_of)
err=$("$FL_BIN" inject --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --delay 5ms --duration 2s 2>&1 >/dev/null)
rc=$?
[[ $rc == 3 && $err == *"'tbf' root qdisc"* ]]
fl_ok $? "tbf root: refused with exit $rc: $err"
[[ $(root_of) == "$tbf" ]]
fl_ok $? "tbf root: left alone"
fl_no_faultline_attached
fl_ok $? "tbf root: nothing attached"

run_delay force --duration 2s --force-qdisc
fl_ok $? "--force-qdisc replaces it"
fl_wait force 30
[[ $(root_of) == "$tbf" ]]
fl_ok $? "--force-qdisc: the tbf root is put back after the end ($(root_of))"
fl_done
