#!/usr/bin/env bash
# udp_unconnected: an ingress drop for a target in a shared namespace
# reaches an unconnected UDP socket (bound to the wildcard, read with
# recvfrom), which iptables' cgroup match cannot see (the socket is looked
# up after its hooks). The target and a bystander each run a UDP echo
# server (fltraffic udp-echo: unconnected, recvmsg/recvfrom) in the server
# namespace, so that namespace is shared and the cgroup ingress hook is
# the one in use (by default, and with FAULTLINE_INGRESS=cgroup). A client
# in the other namespace pings both, IPv4 and IPv6, 100 datagrams each:
#   armed    the target's server gets none (its own count says so) and
#            the client no echo; the bystander's gets and echoes all
#   before and after  the target's server answers every one
# Fails if the drop missed unconnected sockets (the target would echo), hit
# the bystander's socket on the same port range and address, or stayed.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

T_PORT=7300
B_PORT=7301

fl_plan 16
fl_setup
fl_bg_in techo "$FL_NS_SRV" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-echo --port "$T_PORT" --duration 120 &&
	fl_wait_log techo listening 5 || fl_bail "cannot start the target's echo server"
fl_bg_in becho "$FL_NS_SRV" "$FL_CG_BYSTANDER" "$FL_TRAFFIC" udp-echo --port "$B_PORT" --duration 120 &&
	fl_wait_log becho listening 5 || fl_bail "cannot start the bystander's echo server"

# echoes DST PORT [TIMEOUT_MS]: replies to 100 datagrams from the client
# namespace. The wait for missing echoes is short where none may come, 3 s
# (it ends once all are in) where all must: a loaded machine must not fail.
echoes()
{
	fl_kv "$(fl_traffic "$FL_NS_CLI" - udp-ping --dst "$1" --port "$2" --count 100 \
		--timeout-ms "${3:-3000}")" replies
}

n=$(echoes "$FL_SRV4" "$T_PORT")
[[ $n == 100 ]]
fl_ok $? "before: the target's server echoes all 100 (${n:-none})"

# run CASE [VAR=VALUE...]: armed on the target alone (its namespace found
# from its process), then IPv4 and IPv6 to both servers.
run()
{
	local name=$1 n

	shift
	fl_faultline_start "$name" "$@" --cgroup "$FL_CG_TARGET" --direction ingress \
		--proto udp --drop 100 --duration 60s
	fl_wait_armed "$name"
	fl_ok $? "$name: armed (${*:-no variable})" || fl_bail "faultline did not arm"
	bpftool cgroup show "$FL_CG_TARGET" | grep -q 'cgroup_inet_ingress.*fl_cg_in'
	fl_ok $? "$name: the target's cgroup has faultline's ingress program"
	n=$(echoes "$FL_SRV4" "$T_PORT" 400)
	[[ $n == 0 ]]
	fl_ok $? "$name: the target's unconnected socket gets no IPv4 datagram (${n:-none} echoes)"
	n=$(echoes "$FL_SRV6" "$T_PORT" 400)
	[[ $n == 0 ]]
	fl_ok $? "$name: nor IPv6 (${n:-none} echoes)"
	n=$(echoes "$FL_SRV4" "$B_PORT")
	[[ $n == 100 ]]
	fl_ok $? "$name: the bystander's gets all 100 IPv4 (${n:-none} echoes)"
	n=$(echoes "$FL_SRV6" "$B_PORT")
	[[ $n == 100 ]]
	fl_ok $? "$name: and all 100 IPv6 (${n:-none} echoes)"
	fl_stop "$name" INT
}

run default
run cgroup FAULTLINE_INGRESS=cgroup

n=$(echoes "$FL_SRV4" "$T_PORT")
[[ $n == 100 ]]
fl_ok $? "after: the target's server echoes all 100 again (${n:-none})"

# The servers' own counts: the target's saw only the 200 of before and
# after; the bystander's all 400.
fl_stop techo TERM
fl_stop becho TERM
t=$(fl_kv "$(cat "$FL_STATE/techo.out")" received)
b=$(fl_kv "$(cat "$FL_STATE/becho.out")" received)
[[ $t == 200 && $b == 400 ]]
fl_ok $? "the target's server received ${t:-?} (want 200), the bystander's ${b:-?} (want 400)"

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

fl_done
