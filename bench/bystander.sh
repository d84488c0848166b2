#!/usr/bin/env bash
# Bystander throughput beside a running faultline, for a bystander that
# enters the target's namespace after the faults are armed (#15). The
# target's process is alone in the client namespace (so it owns it), and
# "faultline inject --direction both --drop 30" runs on it; the
# bystander's iperf3 TCP client then starts in that namespace, from its
# own cgroup. Each round measures the same client without faultline and
# with it, alternately; the figure is the median with over the median
# without, per ingress hook. Then what a bystander pays per socket it
# creates while faultline watches the target's namespace (fl_sock_watch,
# attached at the cgroup root: every socket on the host passes it).
# Prints a Markdown section on stdout.
# Usage: bench/bystander.sh [ROUNDS]   (as root; default 5)
# shellcheck source=SCRIPTDIR/../tests/lib/lib.sh
source "$(dirname "$0")/../tests/lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds iperf3 jq bpftool taskset
fl_require_faultline
fl_require_traffic
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
	# client and server pinned apart (-A): where the scheduler put them
	# moved a 3-s run by several per cent
	fl_run_in "$FL_NS_CLI" "$FL_CG_BYSTANDER" iperf3 -c "$FL_SRV4" -p "$port" -t "$SECS" -J \
		-A "$(($(nproc) - 1)),0" 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second // 0'
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) print 0; else print v[int((NR + 1) / 2)] }'
}

echo "| ingress hook | bystander without faultline (Mbit/s, median) | with (median) | with / without, paired (median) | goal ≥ 0.98 |"
echo "|---|---:|---:|---:|---|"
for hook in "default (XDP native)" "FAULTLINE_XDP=generic" "FAULTLINE_INGRESS=tc" \
	"FAULTLINE_INGRESS=tc FAULTLINE_TC=legacy" "FAULTLINE_INGRESS=cgroup"; do
	envs=()
	[[ $hook == default* ]] || read -ra envs <<<"$hook"
	: >"$FL_STATE/without"
	: >"$FL_STATE/with"
	: >"$FL_STATE/ratio"
	for ((r = 0; r < ROUNDS; r++)); do
		a=$(bps)
		fl_faultline_start fl "${envs[@]}" --cgroup "$FL_CG_TARGET" --direction both \
			--drop 30 --duration 60s
		fl_wait_armed fl 20 || fl_bail "faultline did not arm ($hook)"
		b=$(bps)
		fl_stop fl INT
		echo "$a" >>"$FL_STATE/without"
		echo "$b" >>"$FL_STATE/with"
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", (a > 0 ? b / a : 0) }' >>"$FL_STATE/ratio"
	done
	wo=$(median <"$FL_STATE/without")
	wi=$(median <"$FL_STATE/with")
	awk -v h="$hook" -v a="$wo" -v b="$wi" -v r="$(median <"$FL_STATE/ratio")" 'BEGIN {
		printf "| %s | %.0f | %.0f | %.3f | %s |\n", h, a / 1e6, b / 1e6, r, (r >= 0.98 ? "met" : "MISSED")
	}'
	echo "bench: bystander, $hook: without $(tr '\n' ' ' <"$FL_STATE/without")/ with $(tr '\n' ' ' <"$FL_STATE/with")" >&2
done
echo
echo "$ROUNDS rounds of $SECS s per hook, each without faultline and then with it (the bystander's"
echo "client started after faultline armed); client and server pinned to CPUs of their own."

# ---- socket creation ----
# ns_per_socket NS: one bystander's socket()+close() loop on one CPU
ns_per_socket()
{
	fl_run_in "$1" "$FL_CG_BYSTANDER" taskset -c "$(($(nproc) - 1))" \
		"$FL_TRAFFIC" sockets --count "$SOCKETS" | sed -n 's/.*ns_per_socket=\([0-9.]*\).*/\1/p'
}

SOCKETS=200000
SOCK_ROUNDS=$((ROUNDS * 2))
cg_root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
echo
echo "### socket creation beside a running faultline"
echo
echo "| bystander's sockets | ns per socket: nothing attached (median) | an empty sock_create program | faultline | faultline / nothing, paired (median) | goal ≤ 1.02 | faultline / empty program, paired |"
echo "|---|---:|---:|---:|---:|---|---:|"
for where in "in another namespace" "in the target's namespace"; do
	ns=$FL_NS_SRV
	[[ $where == *target* ]] && ns=$FL_NS_CLI
	for f in swo sem swi sratio seratio; do
		: >"$FL_STATE/$f"
	done
	for ((r = 0; r < SOCK_ROUNDS; r++)); do
		a=$(ns_per_socket "$ns")
		# the hook's own cost: an empty program where faultline's goes
		# (bench_detach runs in this namespace: inside "ip netns exec"
		# the cgroup2 mount is not there)
		fl_bg empty "$FL_OUTPUT/bench/bench_detach" --iface lo --cgroup "$cg_root" \
			--rounds 1 --hold-ms 600000 cgroup_sock_create
		fl_wait_for 5 eval 'bpftool cgroup show "$cg_root" 2>/dev/null | grep -q fl_bench_empty' ||
			fl_bail "no empty sock_create program at $cg_root: $(head -n 3 "$FL_STATE/empty.err")"
		e=$(ns_per_socket "$ns")
		fl_stop empty TERM
		fl_faultline_start fs --cgroup "$FL_CG_TARGET" --direction both --drop 30 --duration 60s
		fl_wait_armed fs 20 || fl_bail "faultline did not arm (sockets)"
		b=$(ns_per_socket "$ns")
		fl_stop fs INT
		[[ -n $a && -n $e && -n $b ]] || fl_bail "fltraffic sockets gave no figure"
		echo "$a" >>"$FL_STATE/swo"
		echo "$e" >>"$FL_STATE/sem"
		echo "$b" >>"$FL_STATE/swi"
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", b / a }' >>"$FL_STATE/sratio"
		awk -v a="$e" -v b="$b" 'BEGIN { printf "%.4f\n", b / a }' >>"$FL_STATE/seratio"
	done
	awk -v w="$where" -v a="$(median <"$FL_STATE/swo")" -v e="$(median <"$FL_STATE/sem")" \
		-v b="$(median <"$FL_STATE/swi")" -v r="$(median <"$FL_STATE/sratio")" \
		-v re="$(median <"$FL_STATE/seratio")" 'BEGIN {
		printf "| %s | %.0f | %.0f | %.0f | %.3f | %s | %.3f |\n", w, a, e, b, r,
			(r <= 1.02 ? "met" : "MISSED"), re
	}'
	echo "bench: sockets $where: nothing $(tr '\n' ' ' <"$FL_STATE/swo")/ empty $(tr '\n' ' ' <"$FL_STATE/sem")/ faultline $(tr '\n' ' ' <"$FL_STATE/swi")" >&2
done
echo
echo "$SOCK_ROUNDS rounds; each creates and closes $SOCKETS UDP sockets on one CPU: with nothing"
echo "attached, with an empty cgroup/sock_create program at the cgroup root (\`bench_detach\`),"
echo "and with \`faultline inject --cgroup TARGET --direction both --drop 30\` armed (the target"
echo "alone in its namespace, so fl_sock_watch is attached at the cgroup root). The target's"
echo "namespace stops being the target's alone at the bystander's first socket there."
