#!/usr/bin/env bash
# detach: however faultline ends (its duration runs out, SIGINT, SIGKILL),
# nothing of it stays attached and traffic flows again. On the tcx path
# the links are owned by the process, so they go with it even on SIGKILL.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

fl_plan 17
fl_setup
fl_start_servers

# flows_again WHEN: both cgroups get every echo, in both directions of
# the fault (the rules below drop both ways).
flows_again()
{
	local when=$1 t b ok=0

	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 500
	t=$PING
	[[ $PING_REPLIES == 500 && $PING_ERRORS == 0 ]] || ok=1
	fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 500
	b=$PING
	[[ $PING_REPLIES == 500 && $PING_ERRORS == 0 ]] || ok=1
	fl_ok $ok "$when: target and bystander get every echo" ||
		fl_diag "target: $t" "bystander: $b"
}

# faulted WHEN: while armed, the target gets nothing back.
faulted()
{
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 200
	[[ $PING_REPLIES == 0 ]]
	fl_ok $? "$1: the fault is active while armed ($PING)"
}

args=(--cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" --direction both --drop 100)

# ---- the duration runs out ----
fl_faultline_start dur "${args[@]}" --duration 2s --json
fl_wait_armed dur
fl_ok $? "duration: faultline armed" || fl_bail "faultline did not arm"
faulted duration
fl_wait dur 15
rc=$?
fl_ok $rc "duration: faultline exits 0 after 2s (status $rc)"
[[ $(fl_json_str "$FL_STATE/dur.out" state) == Succeeded &&
   $(fl_json_str "$FL_STATE/dur.out" reason) == "the duration elapsed"* ]]
fl_ok $? "duration: JSON state Succeeded, the duration elapsed" || fl_diag_file "$FL_STATE/dur.out" 20
fl_no_faultline_attached
fl_ok $? "duration: nothing attached"
flows_again duration

# ---- SIGINT ----
fl_faultline_start int "${args[@]}" --duration 120s --json
fl_wait_armed int
fl_ok $? "SIGINT: faultline armed" || fl_bail "faultline did not arm"
faulted SIGINT
fl_stop int INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "SIGINT: faultline exits 130, Aborted (status $rc)"
[[ $(fl_json_str "$FL_STATE/int.out" state) == Aborted &&
   $(fl_json_str "$FL_STATE/int.out" reason) == "stopped by SIGINT" ]]
fl_ok $? "SIGINT: JSON state Aborted, stopped by SIGINT" || fl_diag_file "$FL_STATE/int.out" 20
fl_no_faultline_attached
fl_ok $? "SIGINT: nothing attached"
flows_again SIGINT

# ---- SIGKILL ----
fl_faultline_start kill "${args[@]}" --duration 120s
fl_wait_armed kill
fl_ok $? "SIGKILL: faultline armed" || fl_bail "faultline did not arm"
faulted SIGKILL
fl_stop kill KILL
rc=$?
[[ $rc == 137 ]]
fl_ok $? "SIGKILL: faultline killed (status $rc)"
fl_no_faultline_attached
fl_ok $? "SIGKILL: nothing attached (tcx links die with the process)"
flows_again SIGKILL

fl_done
