#!/usr/bin/env bash
# exp_signals_more: the signals exp_signals.sh does not trip, read from
# the final value of each condition in "faultline run --json" (thresholds
# that do not trip; each run must end Succeeded), against what the test's
# own traffic implies. The target (a sleep, then the traffic) shares the
# client namespace with a bystander, so ingress is seen by the cgroup
# hook; the bystander sends more of the same traffic in the same runs, and
# every count is asserted exactly or tightly enough that counting the
# bystander's traffic would fail it. A count window is the whole run.
#
#   counts   packets.in/out, bytes.in/out: 20 UDP pings 150 ms apart to
#            the echo server, then a burst of 30 pings 2 ms apart whose
#            counts are still in the kernel's flow table when the run ends
#            (the final sweep must reach the conditions): 50 out, 50
#            echoes in, each 92 IP bytes (64 of payload + UDP + IPv4) at
#            egress (tc) and ingress (cgroup hook) alike. Bystander: 300
#            pings.
#   rates    the .rate of the four over 2 s, while the target sends UDP at
#            500/s to the echo server past the end of the run: 250-750/s
#            each way, bytes/packets as above. Bystander: 2000/s.
#   tcp      tcp.resets.sent: the target connects to the tcp-server (which
#            sends one byte on accept) and closes without reading it, so
#            its own socket sends a RST: 5 times. Connects to a closed port
#            get the server namespace's RST: tcp.resets.received and
#            tcp.connect.failures count them (5), resets.sent does not.
#            tcp.connect.latency.p50/p99 over the 15 good connects: more
#            than 0, p50 <= p99, under 1 s. Bystander: 12 and 7.
#   http     http.errorRate: an flsvc answering 500 on /x and 200 on
#            /healthz; 14 GETs of /healthz, then 6 of /x: 0.3 exactly, with
#            http.responses.5xx 6 and .total 20. Bystander: 10 GETs of /x.
#            Probes (faultline's own, in the client namespace; not the
#            target's traffic either): probe.successRate 1 for /healthz
#            and 0 for /x (expects 200); probe.latency.p50/p99 above 0 and
#            under 300 ms for /healthz, at least 300 ms for a server whose
#            upstream never answers and which falls back after 300 ms.
#   trips    http.errorRate above 50%, tcp.resets.sent above 2 and
#            probe.latency.p50 above 200 ms each end a run Failed.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic
[[ -x $FL_DEMO_SVC ]] || fl_skip_all "no $FL_DEMO_SVC: run make all"

fl_plan 32
fl_setup
fl_start_servers

http_port=8080
slow_port=8081
closed_port=7999
# In the server's subnet, on nobody: the slow server's upstream, whose
# connect waits for ARP until the upstream timeout.
nowhere=198.18.0.77

fl_bg_in svc500 "$FL_NS_SRV" - "$FL_DEMO_SVC" serve --name err500 \
	--listen "$FL_SRV4:$http_port" --status 500 --duration 300s
fl_bg_in slow "$FL_NS_SRV" - "$FL_DEMO_SVC" serve --name slow \
	--listen "$FL_SRV4:$slow_port" --upstream "http://$nowhere:9/" \
	--upstream-timeout 300ms --fallback slow --duration 300s
if ! fl_wait_log svc500 "listening on" 5 || ! fl_wait_log slow "listening on" 5; then
	fl_bail "flsvc did not start"
fi

fl_exp_sleeper "$FL_NS_CLI" &&
	fl_bg_in bystander "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 600 &&
	fl_wait_for 5 eval "grep -qx \"\${FL_BG[bystander]}\" \"$FL_CG_BYSTANDER/cgroup.procs\""
fl_ok $? "the target and a bystander share the client namespace" ||
	fl_bail "cannot start the target's and the bystander's processes"

exp=$FL_STATE/exp.yaml

# ---- helpers ----

# val NAME COND: the final value of condition COND in run NAME.
val()
{
	fl_exp_q "$1" "[.conditions[] | select(.name == \"$2\")][0].value"
}

# in_range V LO HI: LO <= V <= HI (numbers; "null" or empty fails).
in_range()
{
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {
		if (v !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) exit 1
		exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}

# start NAME DURATION CONDITIONS [PROBES]: starts a run without faults
# and waits for it to start; bails out if it does not.
start()
{
	fl_exp_write "$exp" "$1" "$2" '[]' "$3" "${4:-}"
	fl_exp_start "$1" "$exp"
	fl_exp_wait_started "$1" || fl_bail "$1: faultline run did not start"
}

# finish NAME: waits for the run and checks it ran its course, which
# every run with thresholds that do not trip must.
finish()
{
	local rc state

	fl_wait "$1" 30
	rc=$?
	state=$(fl_exp_q "$1" .state)
	[[ $rc == 0 && $state == Succeeded ]]
	fl_ok $? "$1: exit $rc, ${state:-no report} (no threshold crossed)" && return 0
	fl_diag "$(fl_exp_summary "$1")"
	fl_diag_file "$FL_STATE/$1.err" 10
	return 1
}

# check NAME DESC V LO HI: one result, LO <= V <= HI.
check()
{
	in_range "$3" "$4" "$5"
	fl_ok $? "$1: $2: ${3:-none} (want $4..$5)" && return 0
	fl_diag "$(fl_exp_summary "$1")"
	return 1
}

# Traffic of one cgroup in the client namespace. Output goes to
# $FL_STATE/traffic.log; the counts asserted are the ones asked for.
traffic()
{
	fl_run_in "$FL_NS_CLI" "$@" >>"$FL_STATE/traffic.log" 2>&1
}

# unread_closes CG N: N connects to the tcp-server, each closed with the
# server's greeting byte unread: the closing socket sends a RST.
unread_closes()
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	traffic "$1" bash -c 'for ((i = 0; i < $1; i++)); do
		exec 3<>"/dev/tcp/$2/$3" || exit 1
		for ((j = 0; j < 200; j++)); do read -r -t 0 <&3 && break; sleep 0.01; done
		exec 3<&-
	done' bash "$2" "$FL_SRV4" "$FL_TCP_PORT"
}

# gets CG PATH N: N sequential GETs of PATH from the 500 server.
gets()
{
	local i

	for ((i = 0; i < $3; i++)); do
		traffic "$1" "$FL_DEMO_SVC" get --url "http://$FL_SRV4:$http_port$2" --timeout 2s
	done
}

# ---- counts ----
start counts 6s '[{name: pin, signal: packets.in, above: 100000},
	{name: pout, signal: packets.out, above: 100000},
	{name: bin, signal: bytes.in, above: 100000000},
	{name: bout, signal: bytes.out, above: 100000000}]'
fl_bg_in bys_counts "$FL_NS_CLI" "$FL_CG_BYSTANDER" "$FL_TRAFFIC" udp-ping --dst "$FL_SRV4" \
	--port "$FL_ECHO_PORT" --count 300 --interval-us 2000
ping=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
	--count 20 --interval-us 150000)
burst=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
	--count 30 --interval-us 2000)
fl_wait bys_counts 10
finish counts
[[ $(fl_kv "$ping" sent) == 20 && $(fl_kv "$ping" replies) == 20 &&
	$(fl_kv "$burst" sent) == 30 && $(fl_kv "$burst" replies) == 30 ]] ||
	fl_diag "counts: the target's pings did not all come back: $ping; $burst"
check counts "packets.out: the target's 50 pings" "$(val counts pout)" 50 50
check counts "packets.in: their 50 echoes" "$(val counts pin)" 50 50
check counts "bytes.out: 50 x 92 IP bytes" "$(val counts bout)" $((50 * 92)) $((50 * 92))
check counts "bytes.in: 50 x 92 IP bytes" "$(val counts bin)" $((50 * 92)) $((50 * 92))

# ---- rates ----
start rates 4s '[{name: pin, signal: packets.in.rate, window: 2s, above: 100000},
	{name: pout, signal: packets.out.rate, window: 2s, above: 100000},
	{name: bin, signal: bytes.in.rate, window: 2s, above: 100000000},
	{name: bout, signal: bytes.out.rate, window: 2s, above: 100000000}]'
# Both send for 5 s, past the run's 4: its last 2 s are full of traffic.
fl_bg_in tgt_rates "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-send --dst "$FL_SRV4" \
	--port "$FL_ECHO_PORT" --count 2500 --pps 500
fl_bg_in bys_rates "$FL_NS_CLI" "$FL_CG_BYSTANDER" "$FL_TRAFFIC" udp-send --dst "$FL_SRV4" \
	--port "$FL_ECHO_PORT" --count 10000 --pps 2000
finish rates
fl_wait tgt_rates 10
fl_wait bys_rates 10
pout=$(val rates pout)
pin=$(val rates pin)
check rates "packets.out.rate at 500/s" "$pout" 250 750
check rates "packets.in.rate of the echoes" "$pin" 250 750
check rates "bytes.out.rate per packet" "$(awk -v b="$(val rates bout)" -v p="$pout" \
	'BEGIN { if (p > 0) printf "%.1f", b / p }')" 91 93
check rates "bytes.in.rate per packet" "$(awk -v b="$(val rates bin)" -v p="$pin" \
	'BEGIN { if (p > 0) printf "%.1f", b / p }')" 91 93

# ---- tcp ----
start tcp 5s '[{name: sent, signal: tcp.resets.sent, above: 1000},
	{name: recv, signal: tcp.resets.received, above: 1000},
	{name: cfail, signal: tcp.connect.failures, above: 1000},
	{name: lat50, signal: tcp.connect.latency.p50, above: 1h},
	{name: lat99, signal: tcp.connect.latency.p99, above: 1h}]'
unread_closes "$FL_CG_BYSTANDER" 12
traffic "$FL_CG_BYSTANDER" "$FL_TRAFFIC" tcp-connect --dst "$FL_SRV4" --port "$closed_port" \
	--count 7 --timeout-ms 500
unread_closes "$FL_CG_TARGET" 5
traffic "$FL_CG_TARGET" "$FL_TRAFFIC" tcp-connect --dst "$FL_SRV4" --port "$closed_port" \
	--count 5 --timeout-ms 500
traffic "$FL_CG_TARGET" "$FL_TRAFFIC" tcp-connect --dst "$FL_SRV4" --port "$FL_TCP_PORT" \
	--count 10 --timeout-ms 1000
finish tcp
check tcp "tcp.resets.sent: the target's 5 closes with unread data" "$(val tcp sent)" 5 5
check tcp "tcp.resets.received: its 5 connects to a closed port" "$(val tcp recv)" 5 5
check tcp "tcp.connect.failures: the same 5" "$(val tcp cfail)" 5 5
lat50=$(val tcp lat50)
lat99=$(val tcp lat99)
check tcp "tcp.connect.latency.p50 (ns)" "$lat50" 1 1000000000
awk -v a="$lat50" -v b="$lat99" 'BEGIN { exit !(a > 0 && b >= a && b < 1e9) }'
fl_ok $? "tcp: tcp.connect.latency.p99 ${lat99:-none} ns: p50 <= p99 < 1 s"

# ---- http and probes ----
probes="[{name: ok, http: {url: \"http://$FL_SRV4:$http_port/healthz\", expectStatus: 200},
	  interval: 200ms, timeout: 2s, netns: /run/netns/$FL_NS_CLI},
	 {name: bad, http: {url: \"http://$FL_SRV4:$http_port/x\", expectStatus: 200},
	  interval: 200ms, timeout: 2s, netns: /run/netns/$FL_NS_CLI},
	 {name: slow, http: {url: \"http://$FL_SRV4:$slow_port/x\", expectStatus: 200},
	  interval: 200ms, timeout: 2s, netns: /run/netns/$FL_NS_CLI}]"
start http 5s '[{name: rate, signal: http.errorRate, above: 0.9},
	{name: e5xx, signal: http.responses.5xx, above: 1000},
	{name: total, signal: http.responses.total, above: 1000},
	{name: ok-rate, signal: probe.successRate, probe: ok, below: 0.5},
	{name: bad-rate, signal: probe.successRate, probe: bad, above: 0.5},
	{name: ok-p50, signal: probe.latency.p50, probe: ok, above: 1h},
	{name: ok-p99, signal: probe.latency.p99, probe: ok, above: 1h},
	{name: slow-p50, signal: probe.latency.p50, probe: slow, above: 1h},
	{name: slow-p99, signal: probe.latency.p99, probe: slow, above: 1h}]' "$probes"
# The 200s first: the target's rate climbs to 0.3 and never passes 0.9,
# unless someone else's 500s count (the bystander's come first).
gets "$FL_CG_BYSTANDER" /x 10
gets "$FL_CG_TARGET" /healthz 14
gets "$FL_CG_TARGET" /x 6
finish http
check http "http.errorRate: 6 of 20" "$(val http rate)" 0.299999 0.300001
check http "http.responses.5xx" "$(val http e5xx)" 6 6
check http "http.responses.total" "$(val http total)" 20 20
check http "probe.successRate of /healthz" "$(val http ok-rate)" 1 1
check http "probe.successRate of /x (500, expects 200)" "$(val http bad-rate)" 0 0
ok50=$(val http ok-p50)
ok99=$(val http ok-p99)
check http "probe.latency.p50 of /healthz (ns)" "$ok50" 1 299999999
awk -v a="$ok50" -v b="$ok99" 'BEGIN { exit !(a > 0 && b >= a && b < 3e8) }'
fl_ok $? "http: probe.latency.p99 of /healthz ${ok99:-none} ns: p50 <= p99 < 300 ms"
check http "probe.latency.p50 of the slow server (ns)" "$(val http slow-p50)" 300000000 2000000000
check http "probe.latency.p99 of the slow server (ns)" "$(val http slow-p99)" 300000000 2000000000
n=$(fl_exp_q http '[.probes[] | select(.name == "slow")][0].samples')
[[ ${n:-0} -ge 3 ]]
fl_ok $? "http: the slow probe took ${n:-no} samples"

# ---- trips ----
# run_trip NAME DURATION CONDITIONS [PROBES]: a run of at most DURATION,
# driven by the function named in $drive; sets rc.
run_trip()
{
	fl_exp_write "$exp" "$1" "$2" '[]' "$3" "${4:-}"
	fl_exp_start "$1" "$exp"
	if ! fl_exp_wait_started "$1"; then
		fl_wait "$1" 5
		rc=$?
		return
	fi
	fl_exp_drive "$1" 15 "$drive"
	rc=$?
}

# shellcheck disable=SC2317 # called through fl_exp_drive
drive_500()
{
	gets "$FL_CG_TARGET" /x 1
	sleep 0.1
}

# shellcheck disable=SC2317 # called through fl_exp_drive
drive_rst()
{
	unread_closes "$FL_CG_TARGET" 1
}

# shellcheck disable=SC2317 # called through fl_exp_drive
drive_none()
{
	sleep 0.1
}

drive=drive_500
run_trip trip_rate 10s '[{name: rate, signal: http.errorRate, above: 50%}]'
fl_exp_check_trip trip_rate "$rc" http.errorRate

drive=drive_rst
run_trip trip_rst 10s '[{name: sent, signal: tcp.resets.sent, above: 2}]'
fl_exp_check_trip trip_rst "$rc" tcp.resets.sent

drive=drive_none
run_trip trip_probe 10s '[{name: slow, signal: probe.latency.p50, probe: slow, above: 200ms}]' \
	"[{name: slow, http: {url: \"http://$FL_SRV4:$slow_port/x\"}, interval: 200ms, timeout: 2s,
	   netns: /run/netns/$FL_NS_CLI}]"
fl_exp_check_trip trip_probe "$rc" probe.latency.p50

fl_no_faultline_attached
fl_ok $? "nothing attached after the experiments"

fl_done
