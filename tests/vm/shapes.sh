#!/usr/bin/env bash
# shapes (VM: needs sch_fq): what the delay and rate options promise, each
# against a control in the same boot, so that an ignored option fails.
#
#   --correlation 50   lag-1 autocorrelation of the ranks of the
#                      per-datagram one-way delays, in sending order (ranks:
#                      a stall of the emulated machine delays a run of
#                      datagrams far beyond the jitter, and with raw values
#                      one such run alone reads as correlation). Each draw
#                      keeps half of the previous random value, an AR(1) of
#                      coefficient 0.5 under uniform jitter of half-width
#                      30 ms. Simulated, 400 runs of 600 samples with
#                      autocorrelated noise of sd 4.4 ms: 0.44 sd 0.04 with
#                      correlation 50, 0.02 sd 0.04 without (0.10 sd 0.04
#                      with a 200 ms stall in the stream). Asserted: < 0.25
#                      without, > 0.25 with, and 0.2 apart. An ignored
#                      --correlation reads about 0 and fails.
#   --distribution paretonormal
#                      a right-skewed shape where uniform is symmetric. The
#                      statistic: (p95 - p50) / (p50 - p5) of the delays;
#                      from faultline's own table (user/spec/dist.c) 2.36
#                      for paretonormal, 1 for uniform. Simulated, 1000 runs
#                      of 600 samples plus right-skewed noise: paretonormal
#                      2.19 sd 0.23 (min 1.59), uniform 0.99 sd 0.09 (max
#                      1.29). Asserted: paretonormal > 1.5, uniform < 1.5. A
#                      paretonormal drawn as uniform or normal (1.0) fails.
#   --rate 4mbit --rate-per flow vs target
#                      two TCP streams of one target (iperf3 -P 2): per
#                      flow each gets the rate, together twice it; per
#                      target they share it. Asserted: per flow, the sum is
#                      8 Mbit/s +- 15 % and each stream >= 3.4; per target,
#                      the sum is 4 +- 15 %. A per ignored either way
#                      gives the other case's sum, a factor 2 off.
#   --rate 1000pps     a UDP sender offering 2000 pps (64-byte datagrams,
#                      default socket buffers) is held to the rate: the sink
#                      receives at 1000 pps +- 5 % (received - 1 over the
#                      span from first to last arrival; fq releases them on
#                      the pacing clock), all but 3 of 3000 arrive, the
#                      sender blocks on its buffer and averages under 1150
#                      pps (its first ~200 datagrams fill its buffer at
#                      once: measured 1069-1076). Read as bits per second
#                      the limit would be ~1 pps; ignored, 2000 pps.
# Delays here use --reorder: without it, a late draw holds the datagrams
# behind it (monotonic departures), which bends the shape and adds
# correlation; with it, each datagram carries its own draw.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc iperf3 jq
fl_require_traffic
fl_require_faultline

fl_plan 10
fl_setup
SINK_PORT=7300

inject()
{
	local name=$1

	shift
	fl_faultline_start "$name" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--direction egress --duration 120s "$@"
	fl_wait_armed "$name" 30 || { fl_diag_file "$FL_STATE/$name.err" 20; return 1; }
}

# stream PPS COUNT: a UDP stream from the target to a sink in the server
# namespace; prints the sink's line (one-way delay statistics).
stream()
{
	local name=sink$RANDOM

	fl_server "$name" udp-sink --port "$SINK_PORT" --duration 60 --count "$2" || return 1
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send --dst "$FL_SRV4" --port "$SINK_PORT" \
		--count "$2" --pps "$1" >/dev/null
	fl_wait "$name" 5 2>/dev/null || fl_stop "$name" INT
	cat "$FL_STATE/$name.out"
}

# skew LINE: (p95 - p50) / (p50 - p5) of a sink line's delays.
skew()
{
	awk -v a="$(fl_kv "$1" owd_p5_us)" -v b="$(fl_kv "$1" owd_p50_us)" \
		-v c="$(fl_kv "$1" owd_p95_us)" 'BEGIN {
		if (a == "" || b - a <= 0) { print "nan"; exit }
		printf "%.2f\n", (c - b) / (b - a) }'
}

# ---- correlation (and the uniform control for the shape) ----
inject u0 --proto udp --delay 60ms --jitter 30ms --distribution uniform --reorder ||
	fl_bail "faultline did not arm"
u0=$(stream 100 600)
fl_stop u0 INT
fl_diag "uniform, no correlation: $u0"
inject u50 --proto udp --delay 60ms --jitter 30ms --distribution uniform --correlation 50 --reorder
u50=$(stream 100 600)
fl_stop u50 INT
fl_diag "uniform, correlation 50: $u50"
r0=$(fl_kv "$u0" owd_rank_lag1)
r50=$(fl_kv "$u50" owd_rank_lag1)
awk -v r="${r0:-nan}" -v n="$(fl_kv "$u0" received)" 'BEGIN { exit !(n >= 590 && r < 0.25) }'
fl_ok $? "correlation 0: lag-1 rank autocorrelation of the delays ${r0:-none} < 0.25"
awk -v r="${r50:-nan}" -v r0="${r0:-nan}" -v n="$(fl_kv "$u50" received)" \
	'BEGIN { exit !(n >= 590 && r > 0.25 && r - r0 > 0.2) }'
fl_ok $? "correlation 50: lag-1 rank autocorrelation ${r50:-none} > 0.25 and 0.2 above ${r0:-none}"

# ---- paretonormal against uniform ----
inject pn --proto udp --delay 60ms --jitter 20ms --distribution paretonormal --reorder
pn=$(stream 100 600)
fl_stop pn INT
fl_diag "paretonormal: $pn"
su=$(skew "$u0")
sp=$(skew "$pn")
awk -v s="$su" 'BEGIN { exit !(s + 0 == s && s < 1.5) }'
fl_ok $? "uniform: (p95 - p50) / (p50 - p5) = $su < 1.5 (symmetric)"
awk -v s="$sp" -v n="$(fl_kv "$pn" received)" 'BEGIN { exit !(n >= 590 && s + 0 == s && s > 1.5) }'
fl_ok $? "paretonormal: (p95 - p50) / (p50 - p5) = $sp > 1.5 (a long right tail)"

# ---- rate per flow against per target ----
# iperf_pair NAME: two parallel TCP streams of the target for 4 s; prints
# "SUM S1 S2" in Mbit/s as the receiver counted them.
iperf_pair()
{
	local port=$((5300 + RANDOM % 100))

	fl_bg_in "srv_$1" "$FL_NS_SRV" - iperf3 -s -1 -p "$port"
	sleep 1
	fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" iperf3 -c "$FL_SRV4" -p "$port" -t 4 -P 2 -J \
		>"$FL_STATE/$1.json" 2>&1
	fl_wait "srv_$1" 10 >/dev/null 2>&1
	jq -r '[.end.sum_received.bits_per_second,
		(.end.streams[].receiver.bits_per_second)] | map(. / 1e6 | . * 100 | round / 100) |
		map(tostring) | join(" ")' "$FL_STATE/$1.json" 2>/dev/null
}

inject perflow --proto tcp --rate 4mbit --rate-per flow
read -r sum s1 s2 <<<"$(iperf_pair perflow)"
fl_stop perflow INT
fl_diag "rate per flow: sum $sum, streams $s1 $s2 Mbit/s"
awk -v s="${sum:-0}" -v a="${s1:-0}" -v b="${s2:-0}" \
	'BEGIN { exit !(s >= 6.8 && s <= 9.2 && a >= 3.4 && b >= 3.4) }'
fl_ok $? "rate per flow: two streams get ${s1:-?} and ${s2:-?} Mbit/s, ${sum:-?} in all: each ~4, together 8 +- 15 %"

inject pertarget --proto tcp --rate 4mbit --rate-per target
read -r sum s1 s2 <<<"$(iperf_pair pertarget)"
fl_stop pertarget INT
fl_diag "rate per target: sum $sum, streams $s1 $s2 Mbit/s"
awk -v s="${sum:-0}" 'BEGIN { exit !(s >= 3.4 && s <= 4.6) }'
fl_ok $? "rate per target: two streams share it: ${s1:-?} + ${s2:-?} = ${sum:-?} Mbit/s is 4 +- 15 %"

# ---- a packet rate ----
inject pps --proto udp --rate 1000pps
fl_server ppsink udp-sink --port "$SINK_PORT" --duration 60 >/dev/null
out=$(FLTRAFFIC_DEFAULT_BUFFERS=1 fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send \
	--dst "$FL_SRV4" --port "$SINK_PORT" --count 3000 --pps 2000)
sleep 1
fl_stop ppsink INT
sink=$(cat "$FL_STATE/ppsink.out")
rx=$(fl_kv "$sink" received)
span=$(fl_kv "$sink" span_us)
fl_stop pps INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "pps: faultline exits 130, Aborted by SIGINT (status $rc)"
fl_diag "pps: a sender offering 2000 pps through 1000pps: $out; the sink: $sink"
rate=$(awk -v n="${rx:-0}" -v s="${span:-0}" 'BEGIN { if (s > 0) printf "%.0f\n", (n - 1) * 1e6 / s; else print 0 }')
awk -v r="$rate" -v p="$(fl_kv "$out" pps)" 'BEGIN { exit !(r >= 950 && r <= 1050 && p < 1150) }'
fl_ok $? "pps: received at $rate pps, 1000 +- 5 % (the sender averaged $(fl_kv "$out" pps) pps)"
(($(fl_kv "$out" blocked) > 0 && ${rx:-0} >= 2997))
fl_ok $? "pps: the sender waits for buffer room ($(fl_kv "$out" blocked) times) and ${rx:-?} of 3000 arrive"

fl_no_faultline_attached
fl_ok $? "nothing attached at the end"
fl_done
