#!/usr/bin/env bash
# discover: without --netns, faultline finds the namespace of the target
# cgroup's processes itself and attaches to its interfaces, and to no
# interface of the host's namespace.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

fl_plan 8
fl_setup
fl_start_servers

# A process of the target that lives in the client namespace.
fl_bg_in resident "$FL_NS_CLI" "$FL_CG_TARGET" sleep 60
fl_wait_for 5 grep -q . "$FL_CG_TARGET/cgroup.procs" || fl_bail "no process in the target cgroup"

fl_faultline_start disc --cgroup "$FL_CG_TARGET" --drop 100 --direction egress \
	--duration 5s --json
fl_wait_armed disc
fl_ok $? "faultline armed without --netns" || fl_bail "faultline did not arm"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 300
[[ $PING_SENT == 300 && $PING_REPLIES == 0 && $PING_ERRORS == 0 ]]
fl_ok $? "target: udp-ping gets no echo ($PING)"
fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 300
[[ $PING_REPLIES == 300 ]]
fl_ok $? "bystander: udp-ping gets every echo ($PING)"

fl_wait disc 15
rc=$?
fl_ok $rc "faultline exits 0 when its 5s are over (status $rc)" ||
	fl_diag_file "$FL_STATE/disc.err"
json=$FL_STATE/disc.out
attach=$(fl_json_array "$json" attach)
fl_diag "attach: $attach"
grep -q "\"iface\": *\"$FL_IF_CLI\"" <<<"$attach"
fl_ok $? "JSON attach lists the client's interface $FL_IF_CLI" || fl_diag_file "$json" 60

# Only that interface: none of the host's, and not lo.
others=$(grep -o '"iface": *"[^"]*"' <<<"$attach" | grep -v "\"$FL_IF_CLI\"" | tr '\n' ' ')
[[ -z $others ]]
fl_ok $? "JSON attach lists no other interface (${others:-none})"
dropped=$(fl_json_total "$json" egress dropped)
[[ -n $dropped ]] && ((dropped >= 300))
fl_ok $? "JSON egress dropped ${dropped:-none} counts the 300 datagrams"

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

fl_done
