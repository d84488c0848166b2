#!/usr/bin/env bash
# exp_signals: each kernel signal of "faultline run" moves as it should.
# One small experiment per signal on the target cgroup, whose process
# (a sleep, then the traffic tools) lives in the client namespace; each
# has one condition whose threshold the traffic must cross, so each must
# end Failed (exit 1) with that signal in failureReport and a value past
# the threshold.
#
#   tcp.resets.received  connects to a closed port (RST); no faults: a
#                        control run
#   tcp.retransmits      30 % egress TCP drop under a TCP stream
#   tcp.connect.failures 100 % egress drop, connects with short timeouts
#   http.responses.5xx   GETs to an flsvc answering 500, once with the
#                        client namespace shared with a bystander
#                        (cgroup ingress hook) and once owned by the
#                        target (the default XDP ingress placement)
#   http_owned           also: the kernel shows fl_xdp_in on the client
#                        veth while it runs, the report's attach[] lists
#                        xdp_native and its sharedNamespaces is empty: the
#                        namespace stayed the target's, so the cgroup hook
#                        attached beside XDP passed everything and the
#                        answers were seen by the XDP hook
#   tcp.rtt.p50/p99      against a delay known without faultline: no
#                        sch_fq or netem here, but a tbf on the client's
#                        veth (2 Mbit/s, burst 4 kB, latency 100 ms: a
#                        queue of 29 kB, 116 ms) that a bulk TCP stream
#                        fills and drains (cubic), so the stream's srtt
#                        swings between a few ms and ~115 ms (base 0.06).
#                        ss in the same namespace samples the socket's
#                        srtt every 50 ms during the stream. Asserted: p99
#                        is 90-130 ms (the queue's bound) and within 15 % of
#                        ss's largest; p50 is above 20 ms and 0.7-1.43 x
#                        ss's median (measured: 0.89-1.22 in 4 runs). A
#                        unit error (us for ns, srtt left x8), another
#                        socket's RTT, or no data fails.
#   packets.out.rate     a UDP send at 500 pps, no faults
#   faults.dropped       100 % egress drop of that send
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic

fl_plan 16
fl_setup
fl_start_servers

fl_exp_sleeper "$FL_NS_CLI"
fl_ok $? "a process of the target cgroup runs in the client namespace" ||
	fl_bail "cannot start the target's process"

exp=$FL_STATE/exp.yaml
closed_port=7999
http_port=8080

# Traffic of the target, run again and again by fl_exp_drive.
# shellcheck disable=SC2317 # called through fl_exp_drive
rst_traffic()
{
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-connect --dst "$FL_SRV4" \
		--port "$closed_port" --count 3 --timeout-ms 500
}

# shellcheck disable=SC2317 # called through fl_exp_drive
stream_traffic()
{
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-stream --dst "$FL_SRV4" \
		--port "$FL_TCP_PORT" --bytes 4000000 --timeout-ms 3000
}

# shellcheck disable=SC2317 # called through fl_exp_drive
connect_traffic()
{
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-connect --dst "$FL_SRV4" \
		--port "$FL_TCP_PORT" --count 3 --timeout-ms 300
}

# shellcheck disable=SC2317 # called through fl_exp_drive
http_traffic()
{
	fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_DEMO_SVC" get \
		--url "http://$FL_SRV4:$http_port/x" --timeout 1s
	sleep 0.1
}

# shellcheck disable=SC2317 # called through fl_exp_drive
udp_traffic()
{
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send --dst "$FL_SRV4" \
		--port "$FL_ECHO_PORT" --count 500 --pps 500
}

# run NAME FAULTS CONDITIONS TRAFFIC: one experiment of at most 12 s,
# driven by TRAFFIC; sets rc.
run()
{
	fl_exp_write "$exp" "$1" 12s "$2" "$3"
	fl_exp_start "$1" "$exp"
	if ! fl_exp_wait_started "$1"; then
		fl_wait "$1" 5
		rc=$?
		return
	fi
	fl_exp_drive "$1" 15 "$4"
	rc=$?
}

# ---- tcp.resets.received: a control run, no faults ----
run resets '[]' '[{name: rst, signal: tcp.resets.received, window: 10s, above: 2}]' rst_traffic
fl_exp_check_trip resets "$rc" tcp.resets.received
[[ $(fl_exp_q resets '.faults | length') == 0 ]]
fl_ok $? "resets: a control run: no faults in the report"

# ---- tcp.retransmits: 30 % egress drop on TCP ----
run retransmits '[{name: lossy, direction: egress, match: {protocol: tcp}, drop: {percent: 30}}]' \
	'[{name: retx, signal: tcp.retransmits, window: 10s, above: 5}]' stream_traffic
fl_exp_check_trip retransmits "$rc" tcp.retransmits

# ---- tcp.connect.failures: 100 % egress drop ----
run connfail '[{name: blackhole, direction: egress, drop: {percent: 100}}]' \
	'[{name: cf, signal: tcp.connect.failures, window: 10s, above: 2}]' connect_traffic
fl_exp_check_trip connfail "$rc" tcp.connect.failures

# ---- http.responses.5xx: a server answering 500 ----
if [[ -x $FL_DEMO_SVC ]]; then
	fl_bg_in svc500 "$FL_NS_SRV" - "$FL_DEMO_SVC" serve --name err500 \
		--listen "$FL_SRV4:$http_port" --status 500 --duration 120s
	fl_wait_log svc500 "listening on" 5 || fl_bail "flsvc did not start"

	# A bystander in the client namespace: the namespace is shared, and
	# the target's ingress is seen by the cgroup hook.
	fl_bg_in bystander "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 600
	fl_wait_for 5 eval "grep -qx \"\${FL_BG[bystander]}\" \"$FL_CG_BYSTANDER/cgroup.procs\""
	run http_shared '[]' '[{name: e5xx, signal: http.responses.5xx, window: 10s, above: 2},
		{name: total, signal: http.responses.total, window: 10s, above: 1000}]' http_traffic
	fl_exp_check_trip http_shared "$rc" http.responses.5xx
	total=$(fl_exp_cond http_shared http.responses.total value)
	[[ $(fl_exp_q http_shared '.attach[].hook' | grep -c cgroup_ingress) -ge 1 ]] &&
		awk -v t="$total" 'BEGIN { exit !(t >= 3) }'
	fl_ok $? "http_shared: cgroup ingress hook; http.responses.total counts the answers (${total:-none})" ||
		fl_diag "$(fl_exp_summary http_shared)"
	fl_stop bystander

	# The target alone in the client namespace: ingress goes to XDP by
	# default; the answers the target receives must count all the same.
	# While it runs, the kernel is asked which ingress hook is there.
	http_owned_hooks()
	{
		local l

		while fl_bg_alive http_owned; do
			l=$(ip -n "$FL_NS_CLI" -d link show dev "$FL_IF_CLI")
			[[ $l == *" xdp "*"prog/xdp "*"name fl_xdp_in"* ]] && touch "$FL_STATE/owned_xdp"
			http_traffic
		done
	}
	run http_owned '[]' '[{name: e5xx, signal: http.responses.5xx, window: 10s, above: 2}]' \
		http_owned_hooks
	fl_exp_check_trip http_owned "$rc" http.responses.5xx
	hooks=$(fl_exp_q http_owned '[.attach[].hook] | sort | join(",")')
	shared=$(fl_exp_q http_owned '.sharedNamespaces | length')
	[[ -e $FL_STATE/owned_xdp && $shared == 0 ]] && [[ ,$hooks, == *,xdp_native,* ]]
	fl_ok $? "http_owned: the answers were seen at XDP: fl_xdp_in on $FL_IF_CLI ($([[ -e $FL_STATE/owned_xdp ]] && echo seen || echo not seen)), the namespace stayed owned, so the cgroup hook beside it passed everything (shared entries: ${shared:-no report}), attach: $hooks"
	fl_stop svc500
else
	fl_skip "http_shared: 5xx trips" "no $FL_DEMO_SVC: run make all"
	fl_skip "http_shared: responses counted" "no $FL_DEMO_SVC: run make all"
	fl_skip "http_owned: 5xx trips" "no $FL_DEMO_SVC: run make all"
	fl_skip "http_owned: XDP hook" "no $FL_DEMO_SVC: run make all"
fi

# ---- tcp.rtt.p50 and p99: against a known queueing delay ----
tc -n "$FL_NS_CLI" qdisc replace dev "$FL_IF_CLI" root tbf rate 2mbit burst 4kb latency 100ms ||
	fl_bail "cannot add tbf on $FL_IF_CLI"
fl_exp_write "$exp" rtt 7s '[]' '[{name: rtt50, signal: tcp.rtt.p50, window: 7s, above: 1h},
	{name: rtt99, signal: tcp.rtt.p99, window: 7s, above: 1h}]'
fl_exp_start rtt "$exp"
fl_exp_wait_started rtt || fl_bail "the rtt experiment did not start"
# 1 MB at 2 Mbit/s: about 4 s, inside the 7 s of the experiment
fl_bg_in rttstream "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" tcp-stream --dst "$FL_SRV4" \
	--port "$FL_TCP_PORT" --bytes 1000000 --timeout-ms 6500
while fl_bg_alive rttstream; do
	ip netns exec "$FL_NS_CLI" ss -tinH dst "$FL_SRV4" dport = ":$FL_TCP_PORT" 2>/dev/null |
		grep -o ' rtt:[0-9.]*' | cut -d: -f2
	sleep 0.05
done >"$FL_STATE/ss_rtt"
fl_wait rttstream 10
fl_wait rtt 20
rc=$?
tc -n "$FL_NS_CLI" qdisc del dev "$FL_IF_CLI" root
read -r ss_med ss_max ss_n <<<"$(sort -n "$FL_STATE/ss_rtt" |
	awk '{ v[NR] = $1 } END { if (NR) printf "%s %s %d\n", v[int((NR + 1) / 2)], v[NR], NR }')"
p50=$(fl_exp_cond rtt tcp.rtt.p50 value)
p99=$(fl_exp_cond rtt tcp.rtt.p99 value)
[[ $rc == 0 && $(fl_exp_q rtt .state) == Succeeded ]]
fl_ok $? "rtt: the experiment ran its 7 s (exit $rc, $(fl_exp_q rtt .state))" ||
	fl_diag "$(fl_exp_summary rtt)"
# ss prints ms, the report ns
awk -v a="${p50:-0}" -v b="${p99:-0}" -v m="${ss_med:-0}" -v x="${ss_max:-0}" -v n="${ss_n:-0}" \
	'BEGIN { a /= 1e6; b /= 1e6
		 exit !(n >= 20 && b >= 90 && b <= 130 && b >= 0.85 * x && b <= 1.15 * x) }'
fl_ok $? "rtt: p99 ${p99:-none} ns is the tbf queue's 90-130 ms and within 15 % of the largest srtt ss saw, ${ss_max:-none} ms (${ss_n:-0} samples)" ||
	fl_diag "$(fl_exp_summary rtt)"
awk -v a="${p50:-0}" -v m="${ss_med:-0}" \
	'BEGIN { a /= 1e6; exit !(a > 20 && a >= 0.7 * m && a <= 1.43 * m) }'
fl_ok $? "rtt: p50 ${p50:-none} ns is above 20 ms and 0.7-1.43 x the median srtt ss saw, ${ss_med:-none} ms"

# ---- packets.out.rate, then faults.dropped ----
run rate '[]' '[{name: pps, signal: packets.out.rate, window: 2s, above: 100}]' udp_traffic
fl_exp_check_trip rate "$rc" packets.out.rate

run dropped '[{name: blackhole, direction: egress, drop: {percent: 100}}]' \
	'[{name: drops, signal: faults.dropped, window: 10s, above: 50},
	  {name: pps, signal: packets.out.rate, window: 10s, above: 1000000}]' udp_traffic
fl_exp_check_trip dropped "$rc" faults.dropped
pps=$(fl_exp_cond dropped packets.out.rate value)
dropped=$(fl_exp_q dropped '.faults[0].egress.dropped')
trip=$(fl_exp_q dropped '.failureReport.value')
awk -v p="$pps" -v d="$dropped" -v t="$trip" 'BEGIN { exit !(p > 0 && d >= t) }'
fl_ok $? "dropped: packets.out.rate moves too (${pps:-none}/s); the fault dropped ${dropped:-none} >= ${trip:-none}" ||
	fl_diag "$(fl_exp_summary dropped)"

fl_no_faultline_attached
fl_ok $? "nothing attached after the experiments"

fl_done
