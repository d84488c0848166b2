#!/usr/bin/env bash
# exp_lifecycle: every way "faultline run" ends, and what it leaves.
#
#   trip       a condition trips: exit 1, state Failed, everything that was
#              attached while it ran is gone; --report-dir writes
#              report.json (the same report as --json) and timeline.svg,
#              which rsvg-convert renders; the timestamps are RFC 3339 UTC
#              with nanoseconds, startedAt <= trippedAt <= disarmedAt <=
#              detachedAt <= endedAt; the abort latencies are printed as
#              diagnostics (not asserted: they are times)
#   succeeded  a condition that never trips, 4 s: exit 0, state Succeeded
#   SIGINT     exit 130, state Aborted
#   stop       "faultline stop NAME": exit 130, state Aborted, the reason
#              names it; a stale state file's pid is never signalled
#   dry run    exit 0, says what it would attach, attaches nothing
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic
fl_require_cmds rsvg-convert

fl_plan 29
fl_setup
fl_start_servers

fl_exp_sleeper "$FL_NS_CLI"
fl_ok $? "a process of the target cgroup runs in the client namespace" ||
	fl_bail "cannot start the target's process"

exp=$FL_STATE/exp.yaml
closed_port=7999
# Drops every UDP packet the target sends; trips on RSTs the target gets
# (which the drop does not touch), so the trip comes when the test says.
faults='[{name: udp-blackhole, direction: egress, match: {protocol: udp}, drop: {percent: 100}}]'
rst_cond='[{name: resets, signal: tcp.resets.received, window: 10s, above: 2}]'
never_cond='[{name: never, signal: tcp.resets.received, window: 2s, above: 1000}]'

# shellcheck disable=SC2317 # called through fl_exp_drive
resets()
{
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-connect --dst "$FL_SRV4" \
		--port "$closed_port" --count 3 --timeout-ms 500
}

# ended NAME STATE RC WANT_RC: one result for how NAME ended.
ended()
{
	local state

	state=$(fl_exp_q "$1" .state)
	[[ $3 == "$4" && $state == "$2" ]]
	fl_ok $? "$1: exit $3 (want $4), state ${state:-none} (want $2)" && return 0
	fl_diag "$(fl_exp_summary "$1")"
	fl_diag_file "$FL_STATE/$1.err" 10
	return 1
}

attached_now()
{
	[[ -n $(FL_STRICT_PROGS=0 fl_leftovers) ]]
}

# ---- a trip ----
fl_exp_write "$exp" trip 30s "$faults" "$rst_cond"
fl_exp_start trip "$exp" --report-dir "$FL_STATE/report"
fl_exp_wait_started trip
fl_ok $? "trip: the experiment started" || fl_bail "faultline run did not start"
attached_now
fl_ok $? "trip: programs are attached while it runs"
out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
	--count 50 --timeout-ms 300)
[[ $(fl_kv "$out" replies) == 0 ]]
fl_ok $? "trip: the fault is on before the trip ($out)"
fl_exp_drive trip 15 resets
rc=$?
ended trip Failed "$rc" 1
[[ $(fl_exp_q trip .failureReport.signal) == tcp.resets.received ]]
fl_ok $? "trip: failureReport.signal is tcp.resets.received"
fl_no_faultline_attached
fl_ok $? "trip: nothing attached after the trip"
out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
	--count 50 --timeout-ms 300)
[[ $(fl_kv "$out" replies) == 50 ]]
fl_ok $? "trip: the target's traffic flows again ($out)"

# The timestamps.
ts_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'
bad=
for k in .startedAt .endedAt .failureReport.trippedAt .failureReport.disarmedAt \
	 .failureReport.detachedAt; do
	v=$(fl_exp_q trip "$k")
	[[ $v =~ $ts_re ]] || bad+=" $k=$v"
done
[[ -z $bad ]]
fl_ok $? "trip: timestamps are RFC 3339 UTC with nanoseconds${bad:+ (bad:$bad)}"
# Same format, same zone: they sort as strings.
order=$(fl_exp_q trip '[.startedAt, .failureReport.trippedAt, .failureReport.disarmedAt,
	.failureReport.detachedAt, .endedAt]
	| if . == sort and all(. != null) then "ok" else "out of order: \(.)" end')
[[ $order == ok ]]
fl_ok $? "trip: startedAt <= trippedAt <= disarmedAt <= detachedAt <= endedAt" ||
	fl_diag "$order"
lat=$(fl_exp_q trip '.failureReport | "disarm_latency_ns=\(.disarm_latency_ns) detach_latency_ns=\(.detach_latency_ns) links=\(.links)"')
fl_diag "trip: abort latencies: $lat"
fl_exp_q trip '.failureReport | [.disarm_latency_ns, .detach_latency_ns, .links]
	| all(type == "number" and . >= 0)' | grep -qx true &&
	[[ $(fl_exp_q trip '.failureReport.links') -ge 1 ]]
fl_ok $? "trip: latencies and links are reported ($lat)"

# The report directory.
dir=$FL_STATE/report
[[ -s $dir/report.json ]] && jq -S . "$dir/report.json" >"$FL_STATE/a.json" 2>/dev/null &&
	jq -S . "$FL_STATE/trip.out" >"$FL_STATE/b.json" && cmp -s "$FL_STATE/a.json" "$FL_STATE/b.json"
fl_ok $? "report-dir: report.json is the --json report" ||
	fl_diag "$(diff "$FL_STATE/a.json" "$FL_STATE/b.json" 2>&1 | head -n 10)"
[[ -s $dir/timeline.svg ]] && grep -q '<svg' "$dir/timeline.svg"
fl_ok $? "report-dir: timeline.svg written"
fl_check "report-dir: rsvg-convert renders timeline.svg" \
	rsvg-convert "$dir/timeline.svg" -o "$FL_STATE/timeline.png"
[[ -s $FL_STATE/timeline.png && $(head -c 4 "$FL_STATE/timeline.png" | od -An -tx1 | tr -d ' \n') == 89504e47 ]]
fl_ok $? "report-dir: the PNG is not empty"

# ---- the duration elapses ----
fl_exp_write "$exp" succeeded 4s "$faults" "$never_cond"
fl_exp_start succeeded "$exp"
fl_exp_wait_started succeeded
fl_wait succeeded 20
rc=$?
ended succeeded Succeeded "$rc" 0
el=$(fl_exp_q succeeded .elapsed_s)
[[ $(fl_exp_q succeeded .failureReport) == null ]] && awk -v e="$el" 'BEGIN { exit !(e >= 3.99 && e < 6) }'
fl_ok $? "succeeded: no failureReport, elapsed ${el:-none} s of 4"
fl_no_faultline_attached
fl_ok $? "succeeded: nothing attached"

# ---- SIGINT ----
fl_exp_write "$exp" sigint 60s "$faults" "$never_cond"
fl_exp_start sigint "$exp"
fl_exp_wait_started sigint && attached_now
fl_ok $? "sigint: started, programs attached"
fl_stop sigint INT
rc=$?
ended sigint Aborted "$rc" 130
[[ $(fl_exp_q sigint .reason) == *INT* && $(fl_exp_q sigint .failureReport) == null ]]
fl_ok $? "sigint: reason names the signal ($(fl_exp_q sigint .reason)), no failureReport"
fl_no_faultline_attached
fl_ok $? "sigint: nothing attached"

# ---- faultline stop NAME (a name no other run on the machine has) ----
name=stop-$FL_RAND
fl_exp_write "$exp" "$name" 60s "$faults" "$never_cond"
fl_exp_start stop "$exp"
fl_exp_wait_started stop && attached_now
fl_ok $? "stop: started, programs attached"
out=$("$FL_BIN" stop "$name" 2>&1)
src=$?
fl_wait stop 15
rc=$?
[[ $src == 0 && $out == *"$name"* && $(fl_exp_q stop .reason) == *"faultline stop"* ]]
fl_ok $? "stop: faultline stop $name exits 0 ($out), the reason names it ($(fl_exp_q stop .reason))"
ended stop Aborted "$rc" 130
fl_no_faultline_attached
fl_ok $? "stop: nothing attached"

# ---- a stale state file: its pid is now another process's ----
fl_bg stale sleep 60
pid=$(fl_bg_pid stale)
mkdir -p /run/faultline
printf 'stale-%s\n1\n' "$FL_RAND" >"/run/faultline/exp.$pid"
out=$("$FL_BIN" stop "stale-$FL_RAND" 2>&1)
src=$?
fl_bg_alive stale && [[ $src == 3 && ! -e /run/faultline/exp.$pid ]]
fl_ok $? "stop: a stale state file is removed and its pid left alone (exit $src: $out)"
rm -f "/run/faultline/exp.$pid"
fl_stop stale >/dev/null

# ---- dry run ----
fl_exp_write "$exp" dryrun 60s "$faults" "$rst_cond"
out=$("$FL_BIN" run "$exp" --dry-run 2>&1)
rc=$?
[[ $rc == 0 && $out == *"would attach"* && $out != *"started"* &&
	$out == *"loaded and verified by this kernel"* && $out == *"fault "* && $out == *"condition "* ]]
fl_ok $? "dry run: exit $rc, shows its faults, conditions, what it would attach, and that this kernel loads the programs" ||
	fl_diag "$out"
fl_no_faultline_attached
fl_ok $? "dry run: nothing attached"

fl_done
