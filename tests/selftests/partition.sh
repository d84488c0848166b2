#!/usr/bin/env bash
# partition: `--partition CIDR` cuts everything between the target and the
# peer, both ways, in one rule, and nothing else. The target runs two
# iperf3 clients with --bidir (each sends and receives at 20 Mbit/s) to two
# iperf3 servers in the server namespace: peer A (198.18.0.1) and peer B
# (198.18.0.3). Three seconds in, a partition from A alone for 5 s:
#   A    flowed both ways before; then stalls both ways (an interval of
#        iperf3's with no byte sent and none received); flows again after
#   B    every interval carries bytes both ways
#   the report: the partition's peers, drops in both directions, Succeeded
# Fails if the partition cut one direction only (the other stream goes on),
# reached another peer, or stayed after the run.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip iperf3 jq
fl_require_faultline

PEER_B=198.18.0.3
PORT_A=5301
PORT_B=5302
SECS=16

fl_plan 8
fl_setup
ip -n "$FL_NS_SRV" addr add "$PEER_B/24" dev "$FL_IF_SRV" ||
	fl_bail "cannot add peer B's address"
fl_bg_in srva "$FL_NS_SRV" - iperf3 -s -1 -B "$FL_SRV4" -p "$PORT_A"
fl_bg_in srvb "$FL_NS_SRV" - iperf3 -s -1 -B "$PEER_B" -p "$PORT_B"
fl_wait_for 5 eval "ip netns exec $FL_NS_SRV ss -Hltn | grep -q ':$PORT_A ' &&
	ip netns exec $FL_NS_SRV ss -Hltn | grep -q ':$PORT_B '" ||
	fl_bail "the iperf3 servers did not listen"

fl_bg_in cla "$FL_NS_CLI" "$FL_CG_TARGET" iperf3 -c "$FL_SRV4" -p "$PORT_A" --bidir -b 20M \
	-t "$SECS" -i 1 --json
fl_bg_in clb "$FL_NS_CLI" "$FL_CG_TARGET" iperf3 -c "$PEER_B" -p "$PORT_B" --bidir -b 20M \
	-t "$SECS" -i 1 --json
sleep 3
fl_faultline_start fl --cgroup "$FL_CG_TARGET" --partition "$FL_SRV4/32" --duration 5s --json
fl_wait_armed fl 15 || fl_bail "faultline did not arm"
fl_wait fl 30
fl_ok $? "the partition ran and ended Succeeded (exit 0)"
fl_wait cla $((SECS + 40))
rca=$?
fl_wait clb $((SECS + 40))
rcb=$?
[[ $rca == 0 && $rcb == 0 ]]
fl_ok $? "both iperf3 clients finished (exit $rca, $rcb)" ||
	fl_diag_file "$FL_STATE/cla.err" "$FL_STATE/clb.err"

# intervals NAME: one line per iperf3 interval, "SENT RECEIVED" bytes of the
# client's two streams (sender: true is what it sent)
intervals()
{
	jq -r '.intervals[] | [([.streams[] | select(.sender) | .bytes] | add),
		([.streams[] | select(.sender | not) | .bytes] | add)] | @tsv' \
		"$FL_STATE/$1.out" 2>/dev/null
}
a=$(intervals cla)
b=$(intervals clb)
fl_diag "peer A, sent/received per second: $(tr '\t\n' '/ ' <<<"$a")"
fl_diag "peer B, sent/received per second: $(tr '\t\n' '/ ' <<<"$b")"

read -r s r <<<"$(head -n 1 <<<"$a")"
((${s:-0} > 0 && ${r:-0} > 0))
fl_ok $? "peer A flowed both ways before the partition (first second: $s sent, $r received)"
stalled=$(awk '$1 == 0 && $2 == 0' <<<"$a" | wc -l)
((stalled >= 1))
fl_ok $? "peer A stalled both ways: $stalled seconds with nothing sent and nothing received"
read -r s r <<<"$(tail -n 1 <<<"$a")"
((${s:-0} > 0 && ${r:-0} > 0))
fl_ok $? "peer A flowed again both ways after it (last second: $s sent, $r received)"
n=$(grep -c . <<<"$b")
full=$(awk '$1 > 0 && $2 > 0' <<<"$b" | wc -l)
((n >= SECS && full == n))
fl_ok $? "peer B carried bytes both ways in every one of its $n seconds ($full did)"

peers=$(jq -c '.faults[0].partition.peers' "$FL_STATE/fl.out" 2>/dev/null)
[[ $peers == '["198.18.0.1/32"]' ]]
fl_ok $? "the report names the partition's peers ($peers)"
ein=$(jq '.faults[0].ingress.dropped' "$FL_STATE/fl.out" 2>/dev/null)
eeg=$(jq '.faults[0].egress.dropped' "$FL_STATE/fl.out" 2>/dev/null)
((${ein:-0} > 0 && ${eeg:-0} > 0))
fl_ok $? "the partition dropped in both directions (ingress $ein, egress $eeg)"
fl_done
