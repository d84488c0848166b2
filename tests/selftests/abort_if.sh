#!/usr/bin/env bash
# abort_if: "inject --abort-if" on the host (drop faults only: no fq). A
# condition that trips stops the faults, and the report says when:
#   above  --drop 100 with 'faults.dropped > 5/10s': exit 1, state aborted
#          (reason condition), a failureReport naming the condition; its
#          timestamps are RFC 3339 UTC with nanoseconds, startedAt <=
#          trippedAt <= disarmedAt <= detachedAt = endedAt, and the two
#          latencies are exactly the differences of those timestamps (one
#          clock, one offset). The latencies themselves are diagnostics.
#   below  'packets.out.rate < 1000/2s' under a 50 pps sender trips once a
#          whole window has passed; the summary for a person gives the trip
#          time and both latencies
#   none   a condition that never trips: exit 0, completed, failureReport
#          null, startedAt and endedAt in order
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool jq date
fl_require_traffic
fl_require_faultline

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'

fl_plan 15
fl_setup
fl_start_servers

# q NAME FILTER: jq -r FILTER on NAME's JSON report.
q()
{
	jq -r "$2" "$FL_STATE/$1.out" 2>/dev/null
}

# ns TIMESTAMP: nanoseconds since the epoch (GNU date reads RFC 3339).
ns()
{
	date -u -d "$1" +%s%N 2>/dev/null
}

# udp_send COUNT PPS: datagrams from the target to the echo server.
udp_send()
{
	fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send --dst "$FL_SRV4" \
		--port "$FL_ECHO_PORT" --count "$1" --pps "$2" >/dev/null
}

inject()
{
	local name=$1

	shift
	fl_faultline_start "$name" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--direction egress --proto udp "$@"
}

# ---- above: a count over its threshold ----
inject above --drop 100 --abort-if 'faults.dropped > 5/10s' --duration 20s --json
fl_wait_armed above
fl_ok $? "above: faultline armed" || fl_bail "faultline did not arm"
udp_send 50 100
fl_wait above 30
rc=$?
[[ $rc == 1 && $(q above .state) == Failed && $(q above .reason) == "condition faults.dropped > 5/10s tripped"* ]]
fl_ok $? "above: exit 1, Failed by the condition (exit $rc, $(q above '"\(.state) \(.reason)"'))" ||
	fl_diag_file "$FL_STATE/above.out" 60

got=$(q above '.failureReport | [.condition, .signal, .operator, .threshold, .window_s,
	(.value > .threshold), (.links >= 1)] | map(tostring) | join("|")')
[[ $got == "faults.dropped > 5/10s|faults.dropped|above|5|10|true|true" ]]
fl_ok $? "above: failureReport names the condition, a value past 5 and the links ($got)"

bad=
for k in .startedAt .endedAt .failureReport.trippedAt .failureReport.disarmedAt \
	 .failureReport.detachedAt; do
	v=$(q above "$k")
	[[ $v =~ $TS_RE ]] || bad+=" $k=$v"
done
[[ -z $bad ]]
fl_ok $? "above: timestamps are RFC 3339 UTC with nanoseconds${bad:+ (bad:$bad)}"

# Same format, same zone: they sort as strings.
order=$(q above '[.startedAt, .failureReport.trippedAt, .failureReport.disarmedAt,
	.failureReport.detachedAt] | if . == sort and all(. != null) then "ok"
	else "out of order: \(.)" end')
[[ $order == ok && $(q above .endedAt) == "$(q above .failureReport.detachedAt)" ]]
fl_ok $? "above: startedAt <= trippedAt <= disarmedAt <= detachedAt = endedAt" ||
	fl_diag "$order; endedAt $(q above .endedAt)"

lat=$(q above '.failureReport | "\(.disarm_latency_ns) \(.detach_latency_ns)"')
fl_diag "above: disarm_latency_ns detach_latency_ns: $lat"
tripped=$(ns "$(q above .failureReport.trippedAt)")
disarmed=$(ns "$(q above .failureReport.disarmedAt)")
detached=$(ns "$(q above .failureReport.detachedAt)")
[[ -n $tripped && -n $disarmed && -n $detached &&
   $lat == "$((disarmed - tripped)) $((detached - tripped))" ]]
fl_ok $? "above: the latencies are the differences of the timestamps, to the ns ($lat)"

[[ $(q above '[.conditions[] | .tripped] | map(tostring) | join(",")') == true ]]
fl_ok $? "above: conditions[0].tripped is true"

fl_no_faultline_attached
fl_ok $? "above: nothing attached after the trip"

# ---- below: a rate under its floor, in the summary for a person ----
inject below --drop 0 --abort-if 'packets.out.rate < 1000/2s' --duration 20s
fl_wait_armed below
fl_ok $? "below: faultline armed" || fl_bail "faultline did not arm"
fl_bg_in sender "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-send --dst "$FL_SRV4" \
	--port "$FL_ECHO_PORT" --count 500 --pps 50
fl_wait below 30
rc=$?
fl_stop sender INT
text=$FL_STATE/below.out
[[ $rc == 1 ]] && grep -q '^experiment inject: Failed (condition packets.out.rate < 1000/2s tripped: ' "$text"
fl_ok $? "below: exit 1, Failed by the condition (exit $rc)" || fl_diag_file "$text"
ts=$(awk '$1 == "tripped" { print $2 }' "$text")
line=$(grep -F -- "packets.out.rate < 1000/2s: packets.out.rate = " "$text")
v=${line##*= }
v=${v%%,*}
[[ $ts =~ $TS_RE ]] && awk -v v="$v" 'BEGIN { exit !(v + 0 < 1000) }'
fl_ok $? "below: the summary gives the trip time ($ts) and a rate under 1000 (${line:-no line})" ||
	fl_diag_file "$text"
line=$(grep -cE '^ +-?[0-9.]+ ms after the trip' "$text")
[[ $line == 2 ]] && grep -qE '^  faults off +[0-9-]+T' "$text" && grep -qE '^  detached +[0-9-]+T' "$text"
fl_ok $? "below: the summary gives the faults-off and detach times and latencies ($line lines)" ||
	fl_diag_file "$text"
fl_no_faultline_attached
fl_ok $? "below: nothing attached after the trip"

# ---- none: nothing trips ----
inject none --drop 10 --abort-if 'faults.dropped > 1000000/10s' --duration 1s --json
fl_wait none 30
rc=$?
[[ $rc == 0 && $(q none .state) == Succeeded && $(q none .reason) == "the duration elapsed"* &&
   $(q none 'has("failureReport") and .failureReport == null') == true ]]
fl_ok $? "none: exit 0, Succeeded, failureReport null (exit $rc)" ||
	fl_diag_file "$FL_STATE/none.out" 30
started=$(q none .startedAt)
ended=$(q none .endedAt)
[[ $started =~ $TS_RE && $ended =~ $TS_RE ]] && (($(ns "$started") < $(ns "$ended")))
fl_ok $? "none: startedAt $started before endedAt $ended"

fl_done
