#!/usr/bin/env bash
# Abort latency of faultline run, over many trips: from the kernel record
# that crossed the threshold to the faults being off (armed flag cleared)
# and to everything detached. Prints a Markdown section on stdout.
# Usage: bench/abort_latency.sh [TRIPS]   (as root; default 100)
# shellcheck source=SCRIPTDIR/../tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_traffic
fl_require_faultline
TRIPS=${1:-100}
fl_setup
fl_start_servers >/dev/null

exp=$FL_STATE/trip.yaml
cat >"$exp" <<EOY
apiVersion: faultline/v1alpha1
kind: Experiment
metadata:
  name: abort-latency
spec:
  duration: 30s
  targets:
    - cgroup: $FL_CG_TARGET
  faults:
    - name: drop-all
      direction: egress
      drop: {percent: 100}
  failureConditions:
    - name: first-drop
      signal: faults.dropped
      window: 10s
      above: 0
EOY
fl_bg_in holder "$FL_NS_CLI" "$FL_CG_TARGET" sleep 100000
sleep 0.3
: >"$FL_STATE/lat"
for ((i = 0; i < TRIPS; i++)); do
	"$FL_BIN" run "$exp" --json >"$FL_STATE/r.json" 2>"$FL_STATE/r.err" &
	pid=$!
	fl_wait_for 20 grep -q "experiment abort-latency started" "$FL_STATE/r.err"
	fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-send --dst "$FL_SRV4" \
		--port "$FL_ECHO_PORT" --count 20 --pps 1000 >/dev/null 2>&1
	wait "$pid"
	jq -r '.failureReport | "\(.disarm_latency_ns) \(.detach_latency_ns) \(.links)"' \
		"$FL_STATE/r.json" >>"$FL_STATE/lat" 2>/dev/null
	# one line rewritten on a terminal; a line per tenth of the run in a log
	if [[ -t 2 ]]; then
		printf '\rbench: abort latency: trip %d of %d' "$((i + 1))" "$TRIPS" >&2
	elif (( (i + 1) % ((TRIPS + 9) / 10) == 0 || i + 1 == TRIPS )); then
		printf 'bench: abort latency: trip %d of %d\n' "$((i + 1))" "$TRIPS" >&2
	fi
done
if [[ -t 2 ]]; then echo >&2; fi
stats()
{
	sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "no data"; exit }
		printf "%.3f | %.3f | %.3f | %d", v[int((NR + 1) / 2)] / 1e6,
			v[int(NR * 0.99 + 0.999)] / 1e6, v[NR] / 1e6, NR }'
}
links=$(awk '{ print $3 }' "$FL_STATE/lat" | sort -u | tr '\n' ' ')
echo "| stage | p50 ms | p99 ms | max ms | trips |"
echo "|---|---|---|---|---|"
echo "| trippedAt → disarmedAt (faults off) | $(awk '{ print $1 }' "$FL_STATE/lat" | stats) |"
echo "| trippedAt → detachedAt (all detached, restored) | $(awk '{ print $2 }' "$FL_STATE/lat" | stats) |"
echo
echo "Links detached per trip: ${links:-?}(tcx egress, cgroup ingress; no tracepoints: the condition needs none)."
echo
# The polling approach, for comparison: a breach is seen by the first
# scrape after it (every 15 s) and acted on at the first poll after that
# (every 5 s); both phases uniform. Simulated with a fixed seed.
awk 'BEGIN { srand(42); for (i = 0; i < 100000; i++) printf "%.3f\n", rand() * 15 + rand() * 5 }' |
	sort -n | awk '{ v[NR] = $1 } END {
		printf "Polling comparison (a 5 s poll over a 15 s scrape, simulated over %d breaches): p50 %.1f s, p99 %.1f s, max %.1f s from breach to rollback.\n",
			NR, v[int(NR / 2)], v[int(NR * 0.99)], v[NR] }'
fl_done >/dev/null
