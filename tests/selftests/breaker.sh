#!/usr/bin/env bash
# breaker: conditions on kernel-counted signals are judged in the kernel,
# and the faults stop there, even with the loader frozen.
#
#   faults.dropped > 9: faultline run is SIGSTOPped right after it arms;
#     the target then sends 100 UDP echoes, one at a time, under a 100 %
#     UDP drop. Exactly 10 are lost (the 10th is the crossing event, the
#     11th is the first packet after it and passes), while the loader is
#     still frozen. After SIGCONT the run ends Failed (exit 1) with value
#     10, failureReport.judgedIn "kernel", trippedAt <= disarmedAt, the
#     faults off within 1 ms of the crossing (the kernel's own stamps),
#     and the report's egress drops are exactly 10.
#     A userspace judge could trip nothing while frozen: all 100 would be
#     lost until the deadline (the control, with the condition written as
#     a rate, which stays in userspace: its report says judgedIn
#     userspace; whether it trips after SIGCONT depends on how late the
#     loader wakes, so that is not asserted).
#   tcp.connect.failures > 2: the same with a 100 % TCP drop and connects
#     with a 300 ms timeout: the 4th connect succeeds while frozen.
#   --explain says which conditions run where, and why.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic

fl_plan 12
fl_setup
fl_start_servers
fl_exp_sleeper "$FL_NS_CLI" || fl_bail "cannot start the target's process"
exp=$FL_STATE/exp.yaml

# frozen NAME: runs $exp, SIGSTOPs it once armed; returns 1 if it did not arm.
frozen()
{
	fl_exp_start "$1" "$exp"
	if ! fl_exp_wait_started "$1" 20; then
		return 1
	fi
	kill -STOP "${FL_BG[$1]}"
}

# thaw NAME: SIGCONT and wait; sets rc.
thaw()
{
	kill -CONT "${FL_BG[$1]}"
	fl_wait "$1" 30
	rc=$?
}

# ---- faults.dropped, kernel ----
fl_exp_write "$exp" kdrop 20s \
	'[{name: drop-udp, direction: egress, match: {protocol: udp}, drop: {percent: 100}}]' \
	'[{name: dropped, signal: faults.dropped, window: 10s, above: 9}]'
if frozen kdrop; then
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 100 --timeout-ms 100
	[[ $PING_SENT == 100 && $PING_LOST == 10 ]]
	fl_ok $? "frozen loader: exactly 10 lost, the first packet after the crossing passed ($PING)"
	thaw kdrop
	[[ $rc == 1 && $(fl_exp_q kdrop .state) == Failed ]]
	fl_ok $? "after SIGCONT: Failed, exit $rc ($(fl_exp_summary kdrop))"
	[[ $(fl_exp_q kdrop .failureReport.value) == 10 && $(fl_exp_q kdrop .failureReport.judgedIn) == kernel ]]
	fl_ok $? "failureReport: value $(fl_exp_q kdrop .failureReport.value), judged in $(fl_exp_q kdrop .failureReport.judgedIn)"
	lat=$(fl_exp_q kdrop .failureReport.disarm_latency_ns)
	[[ $lat =~ ^[0-9]+$ ]] && ((lat < 1000000))
	fl_ok $? "the kernel cleared the flag ${lat:-?} ns after the crossing event (trippedAt $(fl_exp_q kdrop .failureReport.trippedAt), disarmedAt $(fl_exp_q kdrop .failureReport.disarmedAt))"
	[[ $(fl_json_total "$FL_STATE/kdrop.out" egress dropped) == 10 ]]
	fl_ok $? "the report counts exactly 10 drops ($(fl_json_total "$FL_STATE/kdrop.out" egress dropped))"
else
	for i in 1 2 3 4 5; do fl_ok 1 "kdrop: started"; done
fi

# ---- the control: a rate is judged in userspace, which is frozen ----
fl_exp_write "$exp" udrop 4s \
	'[{name: drop-udp, direction: egress, match: {protocol: udp}, drop: {percent: 100}}]' \
	'[{name: dropping, signal: packets.out.rate, window: 1s, above: 5}]'
if frozen udrop; then
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 50 --timeout-ms 20
	[[ $PING_SENT == 50 && $PING_REPLIES == 0 ]]
	fl_ok $? "control: a userspace condition trips nothing while the loader is frozen ($PING)"
	thaw udrop
	[[ $(fl_exp_q udrop '.conditions[0].judgedIn') == userspace ]]
	fl_ok $? "control: judged in $(fl_exp_q udrop '.conditions[0].judgedIn') ($(fl_exp_summary udrop))"
else
	for i in 1 2; do fl_ok 1 "udrop: started"; done
fi

# ---- tcp.connect.failures, kernel (tracepoint) ----
fl_exp_write "$exp" kconn 20s \
	'[{name: drop-tcp, direction: egress, match: {protocol: tcp}, drop: {percent: 100}}]' \
	'[{name: refused, signal: tcp.connect.failures, window: 10s, above: 2}]'
if frozen kconn; then
	out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-connect --dst "$FL_SRV4" \
		--port "$FL_TCP_PORT" --count 3 --timeout-ms 300)
	out2=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-connect --dst "$FL_SRV4" \
		--port "$FL_TCP_PORT" --count 1 --timeout-ms 2000)
	[[ $(fl_kv "$out2" ok) == 1 ]]
	fl_ok $? "frozen loader: after 3 failed connects the 4th succeeds ($out / $out2)"
	thaw kconn
	[[ $rc == 1 && $(fl_exp_q kconn .failureReport.signal) == tcp.connect.failures &&
		$(fl_exp_q kconn .failureReport.judgedIn) == kernel ]]
	fl_ok $? "after SIGCONT: Failed on tcp.connect.failures, judged in the kernel (exit $rc, $(fl_exp_summary kconn))"
else
	for i in 1 2; do fl_ok 1 "kconn: started"; done
fi

# ---- --explain ----
cat >"$exp" <<EOY
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: explain}
spec:
  duration: 30s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults: [{name: d, direction: egress, drop: {percent: 10}}]
  failureConditions:
    - {name: drops, signal: faults.dropped, window: 10s, above: 100}
    - {name: p99, signal: tcp.rtt.p99, window: 10s, above: 200ms}
    - {name: quiet, signal: packets.out, window: 10s, below: 5}
EOY
out=$("$FL_BIN" run "$exp" --explain 2>&1)
rc=$?
fl_log "$out"
[[ $rc == 0 ]] && grep -q '^drops: kernel' <<<"$out" && grep -q '^p99: userspace.*percentile' <<<"$out" &&
	grep -q '^quiet: userspace.*silence' <<<"$out"
fl_ok $? "--explain: drops in the kernel, p99 and quiet in userspace with the reason (exit $rc)" ||
	fl_diag "$out"
n=$("$FL_BIN" run "$exp" --explain --json 2>/dev/null | jq -r '[.conditions[] | select(.judgedIn == "kernel")] | length')
[[ $n == 1 ]]
fl_ok $? "--explain --json: one condition judged in the kernel (${n:-no JSON})"

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"
fl_done
