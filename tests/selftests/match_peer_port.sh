#!/usr/bin/env bash
# match_peer_port: --peer CIDR and --port N select what is dropped, and
# nothing else is touched. The server namespace has two addresses per
# family (198.18.0.1 and .3, 2001:db8::1 and ::3) and UDP echo servers on
# two ports (7000, 7002); the target pings each combination, 100 datagrams.
#   --peer .3/32, ::3/128       .3 and ::3 lose every echo; .1 and ::1 none
#   --peer .0/31, 2001:db8::/127 prefixes: .1 and ::1 lose all, .3, ::3 none
#   --port 7002                 7002 loses all in both families, 7000 none
#   --peer .3/32 --port 7002    both must match: only .3:7002 loses
#   the same at ingress only    the echoes from .3:7002 are dropped at the
#                               target's cgroup ingress (the peer is then
#                               the source), .1:7002 and .3:7000 arrive
# A match that ignored --peer or --port, read only the first --peer, got a
# prefix length or the byte order wrong, or or-ed the fields, drops a
# "none" case or spares an "all" case. Egress drops are silent: no send
# error either way. The bystander is never touched.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

SRV4B=198.18.0.3
SRV6B=2001:db8::3
PORT_B=7002

fl_plan 18
fl_setup
ip -n "$FL_NS_SRV" addr add "$SRV4B/24" dev "$FL_IF_SRV" &&
	ip -n "$FL_NS_SRV" addr add "$SRV6B/64" dev "$FL_IF_SRV" nodad ||
	fl_bail "cannot add the second server addresses"
fl_start_servers
fl_server echo2 udp-echo --port "$PORT_B" --duration 300 || fl_bail "cannot start the second echo"
# a process of the bystander in the client namespace: it is shared, and
# ingress goes through the target's cgroup hook
fl_bg_in bystander "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 300

# ping CG DST PORT [TIMEOUT_MS]: 100 datagrams; prints "replies
# send_errors". The timeout is how long it waits for missing echoes after
# the last send: short where none may come, long (it ends as soon as all
# are in) where all must, so that a loaded machine cannot fail the test.
ping()
{
	local out

	out=$(fl_traffic "$FL_NS_CLI" "$1" udp-ping --dst "$2" --port "$3" --count 100 \
		--timeout-ms "${4:-3000}")
	echo "$(fl_kv "$out" replies) $(fl_kv "$out" send_errors)"
}

# expect DESC LIST: LIST of "DST/PORT=all|none", the target's pings; one
# result: each destination lost all or none of its echoes, no send error.
expect()
{
	local desc=$1 item dst port want r e bad='' got=''

	shift
	for item in "$@"; do
		want=${item##*=}
		dst=${item%=*}
		port=${dst##*/}
		dst=${dst%/*}
		if [[ $want == all ]]; then
			read -r r e <<<"$(ping "$FL_CG_TARGET" "$dst" "$port" 400)"
		else
			read -r r e <<<"$(ping "$FL_CG_TARGET" "$dst" "$port")"
		fi
		got+=" $dst:$port=$r"
		if [[ $want == all ]]; then
			[[ $r == 0 && $e == 0 ]] || bad+=" $dst:$port"
		else
			[[ $r == 100 && $e == 0 ]] || bad+=" $dst:$port"
		fi
	done
	[[ -z $bad ]]
	fl_ok $? "$desc: echoes back of 100:$got" || fl_diag "wrong:$bad"
}

# arm NAME ARGS...
arm()
{
	local name=$1

	shift
	fl_faultline_start "$name" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--proto udp --drop 100 --duration 60s "$@"
	fl_wait_armed "$name"
	fl_ok $? "$name: armed ($*)" || fl_bail "faultline did not arm"
}

# disarm NAME: stops it; the bystander's pings were never touched.
disarm()
{
	local r e

	read -r r e <<<"$(ping "$FL_CG_BYSTANDER" "$SRV4B" "$PORT_B")"
	[[ $r == 100 ]]
	fl_ok $? "$1: the bystander's echoes from $SRV4B:$PORT_B all come back ($r)"
	fl_stop "$1" INT
}

A=$FL_ECHO_PORT
B=$PORT_B
expect "control, no faultline" "$FL_SRV4/$A=none" "$SRV4B/$B=none" "$FL_SRV6/$A=none" "$SRV6B/$B=none"

arm peer --peer "$SRV4B/32" --peer "$SRV6B/128"
expect "peer /32 and /128" "$SRV4B/$A=all" "$FL_SRV4/$A=none" "$SRV6B/$A=all" "$FL_SRV6/$A=none"
disarm peer

arm prefix --peer 198.18.0.0/31 --peer 2001:db8::/127
expect "peer /31 and /127" "$FL_SRV4/$A=all" "$SRV4B/$A=none" "$FL_SRV6/$A=all" "$SRV6B/$A=none"
disarm prefix

arm port --port "$B"
expect "port $B" "$FL_SRV4/$B=all" "$FL_SRV4/$A=none" "$FL_SRV6/$B=all" "$FL_SRV6/$A=none"
disarm port

arm both --peer "$SRV4B/32" --peer "$SRV6B/128" --port "$B"
expect "peer and port" "$SRV4B/$B=all" "$SRV4B/$A=none" "$FL_SRV4/$B=none" \
	"$SRV6B/$B=all" "$SRV6B/$A=none" "$FL_SRV6/$B=none"
disarm both

arm ingress --direction ingress --peer "$SRV4B/32" --peer "$SRV6B/128" --port "$B"
expect "ingress, peer and port" "$SRV4B/$B=all" "$SRV4B/$A=none" "$FL_SRV4/$B=none" \
	"$SRV6B/$B=all" "$SRV6B/$A=none" "$FL_SRV6/$B=none"
disarm ingress

# The servers' own counts: at egress the dropped datagrams never reached
# them, at ingress they did and were echoed.
fl_stop echo2 TERM
rx=$(fl_kv "$(cat "$FL_STATE/echo2.out")" received)
# what reached port 7002: control 200 (.3, ::3); the bystander's 100 in
# each of the five runs; 'port' nothing else (.1 and ::1 dropped);
# 'both' .1 and ::1 (200); 'ingress' all four (400: dropped on the way
# back only)
want=$((200 + 5 * 100 + 200 + 400))
[[ $rx == "$want" ]]
fl_ok $? "echo on $B received $rx datagrams: $want, none of those dropped at egress"

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

fl_done
