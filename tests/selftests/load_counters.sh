#!/usr/bin/env bash
# load_counters: at the highest rate the sendmmsg generator reaches on the
# veth (fltraffic udp-flood, no pacing, over 1000 destination ports), the
# per-CPU counters account for every datagram exactly.
#   counts    a 30 % egress UDP drop on the target; the flood: the report's
#             egress matched equals the datagrams the generator handed the
#             kernel (sent + send_errors), exactly; what passed (matched -
#             dropped) equals what reached the server namespace's UDP
#             (InDatagrams + NoPorts + InErrors of its /proc/net/snmp) plus
#             what the veth could not hand over (the client end's TX
#             dropped, when the peer's backlog is full), exactly; dropped
#             is inside 5 sigma of 30 %. Fails on any lost or double count,
#             on a counter that a CPU wrote over another's, or if the
#             generator miscounts.
#   tiny ring FAULTLINE_RINGBUF_KB=4 (one page, 32 records) and a flood
#             over 10,000 ports, each a new flow: ringbuf.lost > 0 in the
#             report (losses counted and reported), while the condition
#             "faults.dropped > 2000", judged in the kernel from map
#             counters, still trips: the run ends Failed (exit 1) with
#             faults.dropped in the failure report, value > 2000, and the
#             dropped total does not fall short of the threshold.
# The rate reached is printed (bench/RESULTS.md keeps rates; nothing here
# is timed).
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic

N=${FL_LOAD_COUNT:-300000}
P=0.3
PORT0=30000

fl_plan 7
fl_setup
fl_start_servers
fl_bg_in holder "$FL_NS_CLI" "$FL_CG_TARGET" sleep 600
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"
# Neighbour entries resolved before the count starts: a datagram queued
# on an unresolved neighbour could be dropped before tc sees it.
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 3 --timeout-ms 500

# ---- counts ----
# UDP datagrams that reached the server namespace, and datagrams the
# client's veth dropped on the way (peer backlog full).
udp_arrivals()
{
	ip netns exec "$FL_NS_SRV" cat /proc/net/snmp | awk '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Udp:" { print $col["InDatagrams"] + $col["NoPorts"] + $col["InErrors"] }'
}
veth_tx_dropped()
{
	ip -n "$FL_NS_CLI" -s -j link show dev "$FL_IF_CLI" | jq '.[0].stats64.tx.dropped'
}

arr0=$(udp_arrivals)
vd0=$(veth_tx_dropped)
fl_faultline_start counts --cgroup "$FL_CG_TARGET" --direction egress --proto udp \
	--drop 30 --duration 5m --json
fl_wait_armed counts 20 || fl_bail "faultline inject did not start"
out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-flood --dst "$FL_SRV4" --port "$PORT0" \
	--flows 1000 --count "$N")
fl_diag "flood: $out"
seen=$(($(fl_kv "$out" sent) + $(fl_kv "$out" send_errors)))
[[ $seen == "$N" ]]
fl_ok $? "the generator handed the kernel all $N datagrams ($out)"
arrived=$(($(udp_arrivals) - arr0))
vdropped=$(($(veth_tx_dropped) - vd0))
fl_stop counts INT
json=$FL_STATE/counts.out
matched=$(fl_json_total "$json" egress matched)
dropped=$(fl_json_total "$json" egress dropped)
[[ ${matched:-x} == "$seen" ]]
fl_ok $? "egress matched ${matched:-none} == datagrams sent $seen" || fl_diag_file "$json" 60
[[ -n $dropped && -n $matched ]] && ((matched - dropped == arrived + vdropped))
fl_ok $? "passed (matched - dropped = $((${matched:-0} - ${dropped:-0}))) == arrived at the server $arrived + veth drops $vdropped"
fl_within_5sigma "${dropped:-0}" "$seen" "$P"
fl_ok $? "dropped ${dropped:-none} of $seen is inside 5 sigma of 30 % ($(fl_binom_range "$seen" "$P"))"

# ---- tiny ring ----
cat >"$FL_STATE/tiny.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: tiny-$FL_RAND}
spec:
  duration: 60s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - name: drop-udp
      direction: egress
      match: {protocol: udp}
      drop: {percent: 50}
  failureConditions:
    - name: too-many-drops
      signal: faults.dropped
      window: 60s
      above: 2000
EOF
fl_bg tiny env FAULTLINE_RINGBUF_KB=${FL_TINY_KB:-4} "$FL_BIN" run "$FL_STATE/tiny.yaml" --json
fl_wait_log tiny "started" 20 || fl_bail "faultline run did not start"
out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-flood --dst "$FL_SRV4" --port 40000 \
	--flows 10000 --count 20000)
fl_diag "flood: $out"
fl_wait tiny 30
rc=$?
json=$FL_STATE/tiny.out
[[ $rc == 1 && $(jq -r .state "$json") == Failed ]]
fl_ok $? "tiny ring: the condition tripped: exit $rc, state $(jq -r .state "$json" 2>/dev/null)" ||
	fl_diag_file "$FL_STATE/tiny.err"
lost=$(jq -r '.ringbuf.lost' "$json")
[[ $lost =~ ^[0-9]+$ ]] && ((lost > 0))
fl_ok $? "tiny ring: losses counted and reported (ringbuf.lost ${lost:-none}, $(jq -r '.ringbuf.events' "$json") records)"
value=$(jq -r '.failureReport | select(.signal == "faults.dropped") | .value' "$json" 2>/dev/null)
dropped=$(fl_json_total "$json" egress dropped)
[[ -n $value ]] && awk -v v="$value" 'BEGIN { exit !(v > 2000) }' && ((dropped > 2000))
fl_ok $? "tiny ring: faults.dropped judged from map counters: value ${value:-none} > 2000, dropped total ${dropped:-none}" ||
	jq -c .failureReport "$json" | sed 's/^/# /'
fl_done
