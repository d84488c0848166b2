#!/usr/bin/env bash
# conn_scope: `--drop 20 --scope connections` blackholes whole connections,
# about a fifth of them, and leaves the rest untouched. The target makes
# 1200 TCP connections (connect(2), then the server's first byte) to a
# server in the other namespace, 24 clients at once (each mostly waits out
# a chosen connection's 1 s), 1 s each at most:
#   the failed fraction is inside 5 sigma of the binomial at 20 %
#   (sd = sqrt(n p (1 - p))), so every packet of a chosen connection was
#   dropped (a SYN retransmit too) and no packet of the others: with a
#   per-packet draw a connection would fail only when all its SYNs were
#   lost, and with the draw inverted 80 % would fail
#   a bystander's 200 connections all succeed
#   the report: scope connections, and each flow it lists lost all its
#   packets or none (with a per-packet draw, a connection that got through
#   loses some packets of its own: a SYN retransmitted in time, an ACK)
# Then `--duplicate 20 --scope connections` (egress, UDP): 300 udp-ping
# runs of 4 datagrams, each its own socket (a new 5-tuple):
#   each run got every answer, and either no copy or a copy of each (the
#   last copy's answer may come after udp-ping stops: 3 or 4 duplicates);
#   the runs with copies are inside 5 sigma of 20 %
# Fails if the choice were made per packet, per direction (a chosen
# connection's SYN-ACK would come back), or for the bystander; or if a
# duplicated connection had only some packets copied.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq awk
fl_require_traffic
fl_require_faultline

CLIENTS=24
PER=50
N=$((CLIENTS * PER))

fl_plan 8
fl_setup
fl_server tcpsrv tcp-server --port "$FL_TCP_PORT" --duration 300 ||
	fl_bail "cannot start the TCP server"
fl_faultline_start fl --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" --proto tcp --port "$FL_TCP_PORT" --drop 20 \
	--scope connections --duration 120s --json
fl_wait_armed fl 15 || fl_bail "faultline did not arm"

for i in $(seq 1 "$CLIENTS"); do
	fl_bg_in "c$i" "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" tcp-connect --dst "$FL_SRV4" \
		--port "$FL_TCP_PORT" --count "$PER" --timeout-ms 1000
done
fl_bg_in by "$FL_NS_CLI" "$FL_CG_BYSTANDER" "$FL_TRAFFIC" tcp-connect --dst "$FL_SRV4" \
	--port "$FL_TCP_PORT" --count 200 --timeout-ms 1000
ok=0
failed=0
for i in $(seq 1 "$CLIENTS"); do
	fl_wait "c$i" 120
	line=$(cat "$FL_STATE/c$i.out")
	ok=$((ok + $(fl_kv "$line" ok || echo 0)))
	failed=$((failed + $(fl_kv "$line" failed || echo 0)))
done
fl_wait by 60
by=$(cat "$FL_STATE/by.out")
fl_stop fl INT

((ok + failed == N))
fl_ok $? "the target made $N connection attempts ($ok succeeded, $failed failed)"
read -r lo hi <<<"$(awk -v n="$N" 'BEGIN { m = n * 0.2; s = sqrt(n * 0.2 * 0.8);
	printf "%d %d\n", m - 5 * s + 0.999, m + 5 * s }')"
((failed >= lo && failed <= hi))
fl_ok $? "failed $failed of $N connections: inside 5 sigma of 20 % ($lo..$hi)"
[[ $(fl_kv "$by" ok) == 200 && $(fl_kv "$by" failed) == 0 ]]
fl_ok $? "the bystander's 200 connections all succeeded ($by)"
scope=$(jq -r '.faults[0].scope' "$FL_STATE/fl.out" 2>/dev/null)
[[ $scope == connections ]]
fl_ok $? "the report says scope connections ($scope)"
# each failed connect sent at least its SYN, and every packet of a chosen
# connection is dropped: at least one drop per failed connection
drop=$(jq '.faults[0].egress.dropped' "$FL_STATE/fl.out" 2>/dev/null)
((${drop:-0} >= failed))
fl_ok $? "egress dropped $drop packets, at least one per failed connection ($failed)"
read -r hit part <<<"$(jq -r '[([.flows[] | select(.drops > 0)] | length),
	([.flows[] | select(.drops > 0 and .drops != .packets)] | length)] | @tsv' \
	"$FL_STATE/fl.out" 2>/dev/null)"
((${hit:-0} > 0 && ${part:-1} == 0))
fl_ok $? "of the report's flows, $hit lost packets, and $part of them lost only some"

# ---- duplicate by connection ----
RUNS=300
fl_server echo udp-echo --port "$FL_ECHO_PORT" --duration 300 ||
	fl_bail "cannot start the echo server"
fl_faultline_start dup --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" --proto udp \
	--port "$FL_ECHO_PORT" --direction egress --duplicate 20 --scope connections \
	--duration 120s --json
fl_wait_armed dup 15 || fl_bail "faultline did not arm (duplicate)"
all=0
none=0
mixed=0
for i in $(seq 1 "$RUNS"); do
	out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" \
		--port "$FL_ECHO_PORT" --count 4 --interval-us 1000 --timeout-ms 1000)
	r=$(fl_kv "$out" replies)
	d=$(fl_kv "$out" dups)
	if [[ $r == 4 && $d == 0 ]]; then
		none=$((none + 1))
	elif [[ $r == 4 && ($d == 3 || $d == 4) ]]; then
		all=$((all + 1))
	else
		mixed=$((mixed + 1))
		fl_diag "run $i: some packets copied, or answers missing: $out"
	fi
done
fl_stop dup INT
((mixed == 0 && all + none == RUNS))
fl_ok $? "duplicate by connection: of $RUNS runs $all had every datagram copied, $none none, $mixed some"
read -r lo hi <<<"$(awk -v n="$RUNS" 'BEGIN { m = n * 0.2; s = sqrt(n * 0.2 * 0.8);
	printf "%d %d\n", m - 5 * s + 0.999, m + 5 * s }')"
((all >= lo && all <= hi))
fl_ok $? "duplicate by connection: $all of $RUNS connections copied, inside 5 sigma of 20 % ($lo..$hi)"
fl_done
