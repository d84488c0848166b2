#!/usr/bin/env bash
# exp_rtt (VM: needs sch_fq): the kernel's tcp.rtt signal rises under load.
# A 10 Mbit/s bottleneck on the target's egress queues a bulk TCP stream
# in fq, so its smoothed RTT climbs far above the idle one; an experiment
# watching tcp.rtt.p50 trips on it, while the same condition without load
# does not.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc iperf3 jq
fl_require_traffic
fl_require_faultline

fl_plan 4
fl_setup
fl_bg_in holder "$FL_NS_CLI" "$FL_CG_TARGET" sleep 600
sleep 0.5

write_exp()
{
	cat >"$FL_STATE/$1.yaml" <<EOY
apiVersion: faultline/v1alpha1
kind: Experiment
metadata:
  name: rtt-$1
spec:
  duration: 25s
  targets:
    - cgroup: $FL_CG_TARGET
  faults:
    - name: bottleneck
      direction: egress
      match: {protocol: tcp}
      rate: {limit: 10mbit}
  failureConditions:
    - name: rtt-up
      signal: tcp.rtt.p50
      window: 5s
      above: 20ms
EOY
}

# idle: a trickle of short connections, RTT stays low
write_exp idle
"$FL_BIN" run "$FL_STATE/idle.yaml" --json >"$FL_STATE/idle.json" 2>"$FL_STATE/idle.err" &
pid=$!
fl_wait_for 60 grep -q started "$FL_STATE/idle.err"
fl_bg_in iperfi "$FL_NS_SRV" - iperf3 -s -1 -p 5501
sleep 1
fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" iperf3 -c "$FL_SRV4" -p 5501 -t 3 -b 1M >/dev/null 2>&1
kill -INT "$pid"; wait "$pid"; rc=$?
v=$(jq -r '.conditions[0].value' "$FL_STATE/idle.json")
[[ $rc == 130 ]] && awk -v v="$v" 'BEGIN { exit !(v != "null" && v < 20e6) }'
fl_ok $? "idle (1 Mbit/s through a 10 Mbit/s limit): tcp.rtt.p50 ${v} ns stays under 20 ms, no trip (exit $rc)"

# loaded: a bulk stream fills the bottleneck
write_exp load
"$FL_BIN" run "$FL_STATE/load.yaml" --json >"$FL_STATE/load.json" 2>"$FL_STATE/load.err" &
pid=$!
fl_wait_for 60 grep -q started "$FL_STATE/load.err"
fl_bg_in iperfl "$FL_NS_SRV" - iperf3 -s -1 -p 5502
sleep 1
fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" iperf3 -c "$FL_SRV4" -p 5502 -t 8 >/dev/null 2>&1
wait "$pid"; rc=$?
fl_diag "loaded: $(jq -c '.failureReport' "$FL_STATE/load.json")"
[[ $rc == 1 && $(jq -r '.failureReport.signal' "$FL_STATE/load.json") == tcp.rtt.p50 ]]
fl_ok $? "loaded: the experiment fails on tcp.rtt.p50 (exit $rc)"
v=$(jq -r '.failureReport.value' "$FL_STATE/load.json")
awk -v v="$v" 'BEGIN { exit !(v > 20e6) }'
fl_ok $? "loaded: tcp.rtt.p50 rose to $v ns, above 20 ms"
fl_no_faultline_attached
fl_ok $? "nothing attached after the trip"
fl_done
