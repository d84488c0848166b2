#!/bin/bash
# Run faultline's benchmarks and record them in bench/RESULTS.md: each
# benchmark owns one section between its begin/end markers, rewritten on
# every run; the rest of the file is left as it is.
#
# Environment: OUTPUT (build directory, default build), BENCH_ARGS (extra
# arguments for bench_datapath, e.g. "--runs 9"), BENCH_DATAPATH=0,
# BENCH_ABORT=0, BENCH_BREAKER=0, BENCH_BYSTANDER=0, BENCH_SIDE=0 or BENCH_VM=0
# to leave a part out, BENCH_VM_KERNELS (the VM kernels, default "6.1 6.12"), BENCH_SIDE_ROUNDS (side by side with iptables and nft,
# default 5),
# BENCH_BYSTANDER_ROUNDS (default 5), BENCH_TRIPS (abort
# latency trips, default 100), FL_FIDELITY_ROUNDS (VM rounds, default 3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${OUTPUT:-build}
[[ $out == /* ]] || out=$repo/$out
results=$here/RESULTS.md
bin=$out/bench/bench_datapath

if [[ $EUID -ne 0 ]]; then
	echo "bench/run.sh: needs root (BPF_PROG_TEST_RUN and a cgroup of its own)" >&2
	exit 4
fi
if [[ ! -x $bin ]]; then
	echo "bench/run.sh: $bin is missing; run 'make' first" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/fl_bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Replace the section of benchmark $1 in RESULTS.md with file $2.
put_section() {
	local name=$1 body=$2 begin end
	begin="<!-- $name: begin (written by bench/run.sh) -->"
	end="<!-- $name: end -->"
	if [[ ! -f $results ]]; then
		# shellcheck disable=SC2016 # literal backticks: Markdown
		printf '# faultline benchmark results\n\nWritten by `make bench` (bench/run.sh); each section is replaced when its benchmark runs again.\n\n' >"$results"
	fi
	if grep -qF "$begin" "$results"; then
		awk -v b="$begin" -v e="$end" -v f="$body" '
			$0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0; next }
			!skip { print }
		' "$results" >"$tmp/results"
		cat "$tmp/results" >"$results"
	else
		cat "$body" >>"$results"
	fi
}

read -ra args <<<"${BENCH_ARGS:-}"
cmd=${bin#"$repo"/}
[[ ${#args[@]} -eq 0 ]] || cmd+=" ${args[*]}"
if [[ ${BENCH_DATAPATH:-1} == 1 ]]; then
echo "bench/run.sh: $cmd" >&2
load=$(cut -d' ' -f1-3 /proc/loadavg)
"$bin" "${args[@]}" | tee "$tmp/table"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

{
	echo "<!-- bench_datapath: begin (written by bench/run.sh) -->"
	echo "## bench_datapath: per-packet cost of each entry point"
	echo
	echo "- command: \`make bench\`, which runs \`$cmd\`"
	echo "- kernel: \`$(uname -r)\`; CPU: $cpu, $(nproc) CPUs; load average before/after: $load / $load_after"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "- method: BPF_PROG_TEST_RUN on one pinned CPU, a 106-byte IPv4/UDP frame; the rule is"
	echo "  \`udp port 5201\` at 0 % (passes) or 100 % (dropped); at 10000, 9,999 extra fake cgroup"
	echo "  ids and owned addresses each have their own rule. The figures are cache-hot: the same"
	echo "  packet, flow entry and map buckets on every run."
	echo
	cat "$tmp/table"
	echo
	echo "<!-- bench_datapath: end -->"
} >"$tmp/section"
put_section bench_datapath "$tmp/section"
fi

# Abort latency over many trips (host).
if [[ ${BENCH_ABORT:-1} == 1 ]]; then
	echo "bench/run.sh: bench/abort_latency.sh ${BENCH_TRIPS:-100}" >&2
	bash "$here/abort_latency.sh" "${BENCH_TRIPS:-100}" >"$tmp/abort"
	{
		echo "<!-- abort_latency: begin (written by bench/run.sh) -->"
		echo "## abort latency: trip to faults off, trip to detached"
		echo
		echo "- command: \`make bench\`, which runs \`bench/abort_latency.sh ${BENCH_TRIPS:-100}\`"
		echo "- kernel: \`$(uname -r)\`; $(nproc) CPUs; date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- method: an experiment drops all of a target's egress and trips on the first"
		echo "  flow record (\`packets.out.rate > 0\`, judged by the loader; conditions the kernel"
		echo "  judges are in the breaker section); the times are the report's"
		echo "  \`disarm_latency_ns\` and \`detach_latency_ns\` (CLOCK_MONOTONIC throughout)."
		echo
		cat "$tmp/abort"
		echo
		echo "<!-- abort_latency: end -->"
	} >"$tmp/section"
	put_section abort_latency "$tmp/section"
fi

# In-kernel breakers: trip to faults off, and the bookkeeping per packet.
if [[ ${BENCH_BREAKER:-1} == 1 ]]; then
	echo "bench/run.sh: $out/bench/bench_breaker 1000 9" >&2
	"$out/bench/bench_breaker" 1000 9 >"$tmp/breaker"
	{
		echo "<!-- breaker: begin (written by bench/run.sh) -->"
		echo "## in-kernel breakers: trip to faults off, bookkeeping per packet"
		echo
		echo "- command: \`make bench\`, which runs \`${out#"$repo"/}/bench/bench_breaker 1000 9\`"
		echo "- kernel: \`$(uname -r)\`; $(nproc) CPUs; date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
		echo "- method: BPF_PROG_TEST_RUN on CPU 0. Trips: a \`faults.dropped > 0\` breaker is reset and"
		echo "  one dropped target packet crosses it; the time is the breaker's own stamps, from the"
		echo "  crossing event to the armed flag cleared, in the same program. Bookkeeping: the"
		echo "  same passing target packet with and without a breaker, alternated, medians."
		echo
		cat "$tmp/breaker"
		echo
		echo "<!-- breaker: end -->"
	} >"$tmp/section"
	put_section breaker "$tmp/section"
fi

# A bystander that enters a target's namespace after the start (host).
if [[ ${BENCH_BYSTANDER:-1} == 1 ]]; then
	echo "bench/run.sh: bench/bystander.sh ${BENCH_BYSTANDER_ROUNDS:-5}" >&2
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	bash "$here/bystander.sh" "${BENCH_BYSTANDER_ROUNDS:-5}" >"$tmp/bystander"
	{
		echo "<!-- bystander: begin (written by bench/run.sh) -->"
		echo "## bystander throughput: a late bystander in a target's namespace"
		echo
		echo "- command: \`make bench\`, which runs \`bench/bystander.sh ${BENCH_BYSTANDER_ROUNDS:-5}\`"
		echo "- kernel: \`$(uname -r)\`; $(nproc) CPUs; date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before/after: $load / $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "- method: the target's process alone in the client namespace, \`faultline inject"
		echo "  --cgroup TARGET --direction both --drop 30\` armed, then the bystander's iperf3 TCP"
		echo "  client started there from its own cgroup; the same client without faultline in"
		echo "  the same round."
		echo
		cat "$tmp/bystander"
		echo
		echo "<!-- bystander: end -->"
	} >"$tmp/section"
	put_section bystander "$tmp/section"
fi

# Beside iptables and nft: bystanders, drop rate, accuracy, footprint (host).
if [[ ${BENCH_SIDE:-1} == 1 ]]; then
	echo "bench/run.sh: bench/side_by_side.sh ${BENCH_SIDE_ROUNDS:-7}" >&2
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	bash "$here/side_by_side.sh" "${BENCH_SIDE_ROUNDS:-7}" >"$tmp/side"
	{
		echo "<!-- side_by_side: begin (written by bench/run.sh) -->"
		echo "## side by side with iptables and nft (issue 17 §6)"
		echo
		echo "- command: \`make bench\`, which runs \`bench/side_by_side.sh ${BENCH_SIDE_ROUNDS:-7}\`"
		echo "- kernel: \`$(uname -r)\`; $(nproc) CPUs; date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown); load average before/after: $load / $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "- tools: $(iptables --version | head -n 1), $(nft --version | head -n 1); faultline on tcx"
		echo
		cat "$tmp/side"
		echo
		echo "<!-- side_by_side: end -->"
	} >"$tmp/section"
	put_section side_by_side "$tmp/section"
fi

# Fidelity against netem, in a VM on each kernel (the host has no fq).
if [[ ${BENCH_VM:-1} == 1 ]]; then
	for k in ${BENCH_VM_KERNELS:-6.1 6.12}; do
		echo "bench/run.sh: scripts/vmtest.sh -k $k bench/vm_fidelity.sh" >&2
		load=$(cut -d' ' -f1-3 /proc/loadavg)
		if ! "$repo/scripts/vmtest.sh" -k "$k" -t 1500 -w "$tmp" -- bench/vm_fidelity.sh \
			"$tmp/vm_$k.md" >&2; then
			echo "bench/run.sh: the $k fidelity run failed" >&2
			continue
		fi
		{
			echo "<!-- vm_fidelity_$k: begin (written by bench/run.sh) -->"
			echo "## fidelity against netem, Debian $k (TCG VM)"
			echo
			echo "- command: \`make bench\`, which runs \`scripts/vmtest.sh -k $k bench/vm_fidelity.sh\`"
			echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host kernel \`$(uname -r)\`; host load average before/after: $load / $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the guest's vCPUs are host threads: a busy host widens the ranges)"
			echo
			cat "$tmp/vm_$k.md"
			echo
			echo "<!-- vm_fidelity_$k: end -->"
		} >"$tmp/section"
		put_section "vm_fidelity_$k" "$tmp/section"
	done
fi
echo "bench/run.sh: wrote $results" >&2
