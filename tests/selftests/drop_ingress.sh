#!/usr/bin/env bash
# drop_ingress: 100 % ingress drop, any protocol, for one cgroup in a
# namespace it shares with a bystander. The target gets no ICMP echo
# reply, no UDP echo and no TCP connection; the bystander, on the same
# veth, gets everything.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool ping
fl_require_traffic
fl_require_faultline

fl_plan 16
fl_setup
fl_start_servers

fl_faultline_start in --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction ingress --drop 100 --duration 120s --json
fl_wait_armed in
fl_ok $? "faultline armed" || fl_bail "faultline did not arm"

n=$(fl_icmp_ping "$FL_CG_TARGET" "$FL_SRV4")
[[ $n == 0 ]]
fl_ok $? "target: ping gets no reply (${n:-?} of 5)"
n=$(fl_icmp_ping "$FL_CG_BYSTANDER" "$FL_SRV4")
[[ $n == 5 ]]
fl_ok $? "bystander: ping gets every reply (${n:-?} of 5)"
n=$(fl_icmp_ping "$FL_CG_TARGET" "$FL_SRV6" -6)
[[ $n == 0 ]]
fl_ok $? "target: IPv6 ping gets no reply (${n:-?} of 5)"
n=$(fl_icmp_ping "$FL_CG_BYSTANDER" "$FL_SRV6" -6)
[[ $n == 5 ]]
fl_ok $? "bystander: IPv6 ping gets every reply (${n:-?} of 5)"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 300
[[ $PING_SENT == 300 && $PING_REPLIES == 0 ]]
fl_ok $? "target: udp-ping gets no echo ($PING)"
fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 300
[[ $PING_REPLIES == 300 ]]
fl_ok $? "bystander: udp-ping gets every echo ($PING)"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV6" 300
[[ $PING_SENT == 300 && $PING_REPLIES == 0 ]]
fl_ok $? "target: IPv6 udp-ping gets no echo ($PING)"
fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV6" 300
[[ $PING_REPLIES == 300 ]]
fl_ok $? "bystander: IPv6 udp-ping gets every echo ($PING)"

out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-connect --dst "$FL_SRV4" \
	--port "$FL_TCP_PORT" --count 3 --timeout-ms 700)
[[ $(fl_kv "$out" ok) == 0 && $(fl_kv "$out" failed) == 3 ]]
fl_ok $? "target: TCP connects fail ($out)"
out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_BYSTANDER" tcp-connect --dst "$FL_SRV4" \
	--port "$FL_TCP_PORT" --count 3 --timeout-ms 700)
[[ $(fl_kv "$out" ok) == 3 ]]
fl_ok $? "bystander: TCP connects succeed ($out)"

fl_stop in INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "faultline exits 130 (Aborted) on SIGINT (status $rc)"
json=$FL_STATE/in.out
dropped=$(fl_json_total "$json" ingress dropped)
[[ -n $dropped ]] && ((dropped >= 10 + 600))
fl_ok $? "JSON ingress dropped ${dropped:-none} counts at least the 10 pings and 600 echoes" ||
	fl_diag_file "$json" 60
dropped=$(fl_json_total "$json" egress dropped)
[[ ${dropped:-x} == 0 ]]
fl_ok $? "JSON egress dropped is 0 (${dropped:-none})"

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

n=$(fl_icmp_ping "$FL_CG_TARGET" "$FL_SRV4")
[[ $n == 5 ]]
fl_ok $? "target: ping works again after the end (${n:-?} of 5)"

fl_done
