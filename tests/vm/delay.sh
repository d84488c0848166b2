#!/usr/bin/env bash
# delay (VM: needs sch_fq and sch_netem): a fixed delay adds its value to
# the target's RTT and nothing to the bystander's, on egress and on the
# ingress of a target that owns its namespace (and not to a bystander
# that enters that namespace afterwards); jitter has the requested
# spread, pareto a heavier tail than normal, flows stay in order unless
# --reorder; a rate limit holds TCP to it while the bystander runs free.
# Delay by connection (--delay-percent 20 --scope connections): of 200 UDP
# sockets, those whose every answer took at least the delay are inside 5
# sigma of 20 %, and none has some datagrams delayed and some not (a
# per-packet draw would split about half of them).
# FL_DELAY_SHAPES=0 leaves out the jitter and by-connection parts: what
# they judge is the program's draw, the same on every hook kind; the 6.1
# suite sets it, and runs shapes.sh (jitter shapes against controls)
# instead, while the 6.12 suite runs this test whole.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc ping iperf3 jq
fl_require_traffic
fl_require_faultline

shapes=${FL_DELAY_SHAPES:-1}
if [[ $shapes == 1 ]]; then
	fl_plan 20
else
	fl_plan 16
	fl_diag "FL_DELAY_SHAPES=0: the jitter and by-connection parts are not run here (the 6.12 suite runs them)"
fi
fl_setup
fl_start_servers
UDP_SINK_PORT=7300
CONN_ECHO_PORT=7301
JIT_FIXED=7302
JIT_NORMAL=7303
JIT_PARETO=7304

# median and standard deviation of ping RTTs in ms: "MEDIAN SD"
ping_stats()
{
	local cg=$1 n=$2

	fl_run_in "$FL_NS_CLI" "$cg" ping -n -c "$n" -i 0.05 -W 2 "$FL_SRV4" 2>/dev/null |
		sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n |
		awk '{ v[NR] = $1; s += $1; s2 += $1 * $1 }
		     END { if (!NR) { print "nan nan"; exit }
			   m = s / NR; printf "%.3f %.3f\n", v[int((NR + 1) / 2)], sqrt(s2 / NR - m * m) }'
}

# UDP stream from a cgroup to a sink in the server namespace: prints the
# sink's line (received, reordered, one-way delay statistics)
owd_stream()
{
	local cg=$1 pps=$2 count=$3 name=owd$RANDOM

	fl_server "$name" udp-sink --port "$UDP_SINK_PORT" --duration 60 --count "$count" ||
		return 1
	fl_traffic "$FL_NS_CLI" "$cg" udp-send --dst "$FL_SRV4" --port "$UDP_SINK_PORT" \
		--count "$count" --pps "$pps" >/dev/null
	fl_wait "$name" 5 2>/dev/null || fl_stop "$name" INT
	cat "$FL_STATE/$name.out"
}

inject()
{
	local name=$1

	shift
	fl_faultline_start "$name" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--duration 120s "$@"
	fl_wait_armed "$name" 30
}

read -r base_t _ <<<"$(ping_stats "$FL_CG_TARGET" 40)"
read -r base_b _ <<<"$(ping_stats "$FL_CG_BYSTANDER" 40)"
fl_diag "baseline median RTT: target $base_t ms, bystander $base_b ms"

# ---- fixed delay, egress ----
inject fixed --direction egress --delay 20ms
fl_ok $? "fixed: armed with fq on the client's interface" ||
	{ fl_diag_file "$FL_STATE/fixed.err" 30; fl_bail "faultline did not arm"; }
read -r t _ <<<"$(ping_stats "$FL_CG_TARGET" 60)"
read -r b _ <<<"$(ping_stats "$FL_CG_BYSTANDER" 40)"
awk -v t="$t" -v b0="$base_t" 'BEGIN { d = t - b0; exit !(d >= 17 && d <= 23) }'
fl_ok $? "fixed: target median RTT $t ms is baseline $base_t + 20 ± 3 ms"
awk -v b="$b" -v b0="$base_b" 'BEGIN { exit !(b - b0 < 3) }'
fl_ok $? "fixed: bystander median RTT $b ms is unaffected (baseline $base_b)"
fl_stop fixed INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "fixed: exits 130 (Aborted) on SIGINT (status $rc)"

# ---- fixed delay, ingress of a target that owns its namespace ----
# The target's process lives alone in the server namespace: its ingress
# is delayed at the egress of the peer that delivers into it.
fl_bg_in podproc "$FL_NS_SRV" "$FL_CG_TARGET" sleep 120
sleep 0.5
fl_stop echo TERM; fl_stop tcpsrv TERM
fl_faultline_start podin --cgroup "$FL_CG_TARGET" --direction ingress --delay 20ms --duration 120s
fl_wait_armed podin 30
fl_ok $? "ingress: armed on the server namespace's host-side peer" || fl_diag_file "$FL_STATE/podin.err" 20
read -r t _ <<<"$(ping_stats "$FL_CG_BYSTANDER" 60)"
awk -v t="$t" -v b0="$base_b" 'BEGIN { d = t - b0; exit !(d >= 17 && d <= 23) }'
fl_ok $? "ingress: RTT to the pod $t ms is baseline $base_b + 20 ± 3 ms"
# A bystander that enters the pod's namespace now: its own pings (echo
# replies come in through the delayed peer) must not be delayed. The
# namespace is no longer the target's alone, so the peer stops deciding
# by address there.
b=$(fl_run_in "$FL_NS_SRV" "$FL_CG_BYSTANDER" ping -n -c 40 -i 0.05 -W 2 "$FL_CLI4" 2>/dev/null |
	sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "nan" }')
awk -v b="$b" -v b0="$base_b" 'BEGIN { exit !(b - b0 < 3) }'
fl_ok $? "ingress: a bystander that enters the pod's namespace after arming is not delayed (median RTT $b ms, baseline $base_b)"
fl_stop podin INT
grep -q 'shared from' "$FL_STATE/podin.out"
fl_ok $? "ingress: the report says the namespace became shared" || fl_diag_file "$FL_STATE/podin.out" 30
fl_stop podproc TERM
fl_start_servers

if [[ $shapes == 1 ]]; then
	# ---- jitter: normal and pareto beside a fixed delay, in order at a low rate ----
	# One experiment, one port each, the three streams at once: the fixed
	# delay's spread is the measurement's own noise (large under
	# emulation), taken out below. One arm instead of three, one 15-s
	# stream instead of three in turn. The experiment finds the client's
	# namespace by a target's process there.
	fl_bg_in jholder "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
	cat >"$FL_STATE/jitter.yaml" <<EOY
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: jitter}
spec:
  duration: 120s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - {name: fixed, direction: egress, match: {protocol: udp, ports: [$JIT_FIXED]}, delay: {time: 30ms}}
    - {name: normal, direction: egress, match: {protocol: udp, ports: [$JIT_NORMAL]},
       delay: {time: 30ms, jitter: 10ms, distribution: normal}}
    - {name: pareto, direction: egress, match: {protocol: udp, ports: [$JIT_PARETO]},
       delay: {time: 30ms, jitter: 10ms, distribution: pareto}}
  failureConditions: [{name: never, signal: faults.dropped, above: 1000000, window: 1m}]
EOY
	fl_exp_start jitter "$FL_STATE/jitter.yaml"
	fl_exp_wait_started jitter 60 || fl_bail "the jitter experiment did not start"
	for port in $JIT_FIXED $JIT_NORMAL $JIT_PARETO; do
		fl_server "owd$port" udp-sink --port "$port" --duration 60 --count 300 ||
			fl_bail "cannot start the sink on $port"
	done
	senders=()
	for port in $JIT_FIXED $JIT_NORMAL $JIT_PARETO; do
		fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send --dst "$FL_SRV4" --port "$port" \
			--count 300 --pps 20 >/dev/null &
		senders+=($!)
	done
	wait "${senders[@]}"
	for port in $JIT_FIXED $JIT_NORMAL $JIT_PARETO; do
		fl_wait "owd$port" 5 2>/dev/null || fl_stop "owd$port" INT
	done
	fl_stop jitter INT
	fl_stop jholder TERM
	out=$(cat "$FL_STATE/owd$JIT_FIXED.out")
	fl_diag "fixed 30 ms: $out"
	# spread as (p95 - p5) / 3.29, the standard deviation of a normal: one
	# emulator stall of 200 ms moves a standard deviation by tens of ms, and
	# the quantiles by nothing
	sd0=$(awk -v a="$(fl_kv "$out" owd_p95_us)" -v b="$(fl_kv "$out" owd_p5_us)" \
		'BEGIN { printf "%.1f", (a - b) / 3.29 }')
	out=$(cat "$FL_STATE/owd$JIT_NORMAL.out")
	fl_diag "normal: $out"
	sd=$(awk -v a="$(fl_kv "$out" owd_p95_us)" -v b="$(fl_kv "$out" owd_p5_us)" \
		'BEGIN { printf "%.1f", (a - b) / 3.29 }')
	p50n=$(fl_kv "$out" owd_p50_us); p99n=$(fl_kv "$out" owd_p99_us)
	sdj=$(awk -v a="$sd" -v b="$sd0" 'BEGIN { v = a * a - b * b; printf "%.0f", (v > 0 ? sqrt(v) : 0) }')
	awk -v sd="$sdj" 'BEGIN { exit !(sd >= 7000 && sd <= 13000) }'
	fl_ok $? "jitter: one-way delay spread (p95-p5)/3.29 ${sd}us, less the ${sd0}us of a fixed delay: ${sdj}us is 10 ms ± 30 %"

	out=$(cat "$FL_STATE/owd$JIT_PARETO.out")
	fl_diag "pareto: $out"
	p50p=$(fl_kv "$out" owd_p50_us); p99p=$(fl_kv "$out" owd_p99_us)
	awk -v a="$p99p" -v b="$p50p" -v c="$p99n" -v d="$p50n" 'BEGIN { exit !(a / b > c / d) }'
	fl_ok $? "pareto: p99/p50 $p99p/$p50p is above normal's $p99n/$p50n (a heavier tail)"
fi

# ---- ordering ----
# What faultline controls is the order fq releases a flow in. The receiving
# veth adds its own reordering when two CPUs dequeue from fq (its timer on
# one, the sender's enqueue on the other) and deliver into their own
# backlogs: 1 to 7 of 3000 in 3 of 7 runs here, 0 with one receiving CPU.
# Receiving on one CPU takes that out (bench/vm_fidelity.sh measures both).
fl_rx_one_cpu "$FL_NS_SRV" "$FL_IF_SRV" 1 || fl_bail "cannot set rps_cpus on $FL_IF_SRV"
inject order --direction egress --proto udp --delay 30ms --jitter 10ms --distribution normal
out=$(owd_stream "$FL_CG_TARGET" 500 3000)
fl_diag "in order: $out"
[[ $(fl_kv "$out" reordered) == 0 && $(fl_kv "$out" received) -ge 2990 ]]
fl_ok $? "order: 500 pps with 10 ms jitter arrives with zero reordering by default"
fl_stop order INT
inject reorder --direction egress --proto udp --delay 30ms --jitter 10ms --distribution normal --reorder
out=$(owd_stream "$FL_CG_TARGET" 500 3000)
fl_diag "reorder: $out"
(( $(fl_kv "$out" reordered) > 0 ))
fl_ok $? "order: with --reorder, $(fl_kv "$out" reordered) of 3000 datagrams arrive out of order"
fl_stop reorder INT
fl_rx_one_cpu "$FL_NS_SRV" "$FL_IF_SRV" 0

# ---- rate limit ----
fl_bg_in iperf "$FL_NS_SRV" - iperf3 -s -1 -p 5201
sleep 1
inject rate --direction egress --rate 10mbit
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" iperf3 -c "$FL_SRV4" -p 5201 -t 6 -f m 2>&1 |
	awk '/receiver/ { print $(NF-2) }')
fl_diag "rate: target got ${out:-nothing} Mbit/s"
awk -v r="${out:-0}" 'BEGIN { exit !(r >= 9 && r <= 11) }'
fl_ok $? "rate: target TCP at ${out:-0} Mbit/s is 10 ± 10 %"
fl_bg_in iperf2 "$FL_NS_SRV" - iperf3 -s -1 -p 5202
sleep 1
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_BYSTANDER" iperf3 -c "$FL_SRV4" -p 5202 -t 3 -f m 2>&1 |
	awk '/receiver/ { print $(NF-2) }')
fl_diag "rate: bystander got ${out:-nothing} Mbit/s"
awk -v r="${out:-0}" 'BEGIN { exit !(r >= 30) }'
fl_ok $? "rate: bystander runs free at ${out:-0} Mbit/s"
fl_stop rate INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "rate: exits 130 (Aborted) (status $rc)"

# A bottleneck pushes back: a UDP sender offering twice the limit, with
# default buffers, waits for buffer room and loses nothing, while its queue
# stays under FL_RATE_QUEUE_NS (a runaway clock would drop nearly all).
inject urate --direction egress --proto udp --rate 1mbit
fl_server urs udp-sink --port "$UDP_SINK_PORT" --duration 60 >/dev/null
out=$(FLTRAFFIC_DEFAULT_BUFFERS=1 fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send \
	--dst "$FL_SRV4" --port "$UDP_SINK_PORT" --count 6000 --pps 2400)
sleep 2
fl_stop urs INT
rx=$(fl_kv "$(cat "$FL_STATE/urs.out")" received)
fl_diag "rate: UDP sender offering 2400 pps through 1 Mbit/s (1179 pps of 106-byte frames): $out; received $rx"
awk -v p="$(fl_kv "$out" pps)" 'BEGIN { exit !(p >= 1179 * 0.9 && p <= 1179 * 1.15) }' &&
	(( $(fl_kv "$out" blocked) > 0 && rx >= 5994 ))
fl_ok $? "rate: a UDP sender at twice the limit is held to it ($(fl_kv "$out" pps) pps), waits for buffer room ($(fl_kv "$out" blocked) times) and loses ${rx:+$((6000 - rx))} of 6000"
fl_stop urate INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "rate: exits 130 (Aborted) after the UDP sender (status $rc)"

if [[ $shapes == 1 ]]; then
	# ---- delay by connection ----
	# One process, 200 UDP sockets (each its own 5-tuple), 3 rounds of one
	# datagram each: a socket is slow when every answer took at least the
	# delay. 1 s is far above this emulator's stalls (up to about 0.6 s seen
	# under a loaded host), which would otherwise make a fast socket's answer
	# look delayed.
	fl_server cecho udp-echo --port "$CONN_ECHO_PORT" --duration 60 ||
		fl_bail "cannot start the echo server for delay by connection"
	inject conn --direction egress --proto udp --port "$CONN_ECHO_PORT" --delay 1s \
		--delay-percent 20 --scope connections
	out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-conns --dst "$FL_SRV4" --port "$CONN_ECHO_PORT" \
		--flows 200 --count 3 --wait-ms 1000 --timeout-ms 4000)
	fl_stop conn INT
	fl_stop cecho INT
	read -r lo hi <<<"$(awk 'BEGIN { m = 200 * 0.2; s = sqrt(200 * 0.2 * 0.8);
		printf "%d %d\n", m - 5 * s + 0.999, m + 5 * s }')"
	slow=$(fl_kv "$out" slow)
	(( $(fl_kv "$out" sockets) == 200 && slow >= lo && slow <= hi ))
	fl_ok $? "by connection: ${slow:-?} of 200 UDP connections delayed 1 s on every datagram, inside 5 sigma of 20 % ($lo..$hi; $out)"
	[[ $(fl_kv "$out" mixed) == 0 && $(fl_kv "$out" incomplete) == 0 ]]
	fl_ok $? "by connection: no connection had some datagrams delayed and some not, none lost one ($out)"
fi

fl_no_faultline_attached
fl_ok $? "nothing attached at the end"
fl_done
