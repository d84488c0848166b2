#!/usr/bin/env bash
# Bystander throughput beside a running faultline, for a bystander that
# enters the target's namespace after the faults are armed (#15). The
# target's process is alone in the client namespace (so it owns it), and
# "faultline inject --direction both --drop 30" runs on it; the
# bystander's iperf3 TCP client then starts in that namespace, from its
# own cgroup. Each round measures the same client without faultline and
# with it, alternately; the figure is the median with over the median
# without, per ingress hook. Prints a Markdown section on stdout.
# Usage: bench/bystander.sh [ROUNDS]   (as root; default 5)
# shellcheck source=SCRIPTDIR/../tests/lib/lib.sh
source "$(dirname "$0")/../tests/lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds iperf3 jq
fl_require_faultline
ROUNDS=${1:-5}
SECS=3
fl_setup
port=$(fl_free_port)
fl_bg_in iperf "$FL_NS_SRV" - iperf3 -s -p "$port" >/dev/null || fl_bail "iperf3 -s did not start"
sleep 0.5
fl_bg_in target "$FL_NS_CLI" "$FL_CG_TARGET" sleep 100000 || fl_bail "no target process"
sleep 0.2

# bps: one iperf3 run of the bystander, in bits per second
bps()
{
	fl_run_in "$FL_NS_CLI" "$FL_CG_BYSTANDER" iperf3 -c "$FL_SRV4" -p "$port" -t "$SECS" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second // 0'
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) print 0; else print v[int((NR + 1) / 2)] }'
}

echo "| ingress hook | bystander without faultline (Mbit/s, median) | with (median) | with / without | goal ≥ 0.98 |"
echo "|---|---:|---:|---:|---|"
for hook in "default (XDP native)" "FAULTLINE_XDP=generic" "FAULTLINE_INGRESS=tc" \
	"FAULTLINE_INGRESS=tc FAULTLINE_TC=legacy" "FAULTLINE_INGRESS=cgroup"; do
	envs=()
	[[ $hook == default* ]] || read -ra envs <<<"$hook"
	: >"$FL_STATE/without"
	: >"$FL_STATE/with"
	for ((r = 0; r < ROUNDS; r++)); do
		bps >>"$FL_STATE/without"
		fl_faultline_start fl "${envs[@]}" --cgroup "$FL_CG_TARGET" --direction both \
			--drop 30 --duration 60s
		fl_wait_armed fl 20 || fl_bail "faultline did not arm ($hook)"
		bps >>"$FL_STATE/with"
		fl_stop fl INT
	done
	wo=$(median <"$FL_STATE/without")
	wi=$(median <"$FL_STATE/with")
	awk -v h="$hook" -v a="$wo" -v b="$wi" -v n="$ROUNDS" 'BEGIN {
		r = a > 0 ? b / a : 0
		printf "| %s | %.0f | %.0f | %.3f | %s |\n", h, a / 1e6, b / 1e6, r, (r >= 0.98 ? "met" : "MISSED")
	}'
	echo "bench: bystander, $hook: without $(tr '\n' ' ' <"$FL_STATE/without")/ with $(tr '\n' ' ' <"$FL_STATE/with")" >&2
done
echo
echo "$ROUNDS alternating rounds of $SECS s per hook; each round starts the bystander's client after faultline armed."
