#!/usr/bin/env bash
# faultline beside the tools users compare it with (issue 17, section 6):
# iptables (cgroup match, statistic) and nft (socket cgroupv2, numgen), in
# the client namespace of a veth pair, on the same target cgroup.
#   bystander   iperf3 TCP and a UDP flood of a bystander cgroup in the
#               target's namespace, while the target's egress is dropped
#               30 % by nothing, faultline, iptables or nft, all armed at
#               once in copies of the namespace pair; rounds in a rotating
#               order, paired ratios; an empty tcx program, one that only
#               reads the socket's cgroup id, and a second copy with
#               nothing as references; then each program's own time per
#               bystander packet (bpf_stats).
#               Goal: faultline >= 0.98 x nothing, and >= iptables.
#   drop rate   the target floods UDP (fltraffic udp-flood, sendmmsg) and
#               all of it is dropped: by faultline, by iptables in the raw
#               table; datagrams per second the sender gets through its
#               system calls. Goal: faultline >= iptables.
#   accuracy    the flood with 1, 10 and 50 % dropped by each tool; the
#               count from faultline's report and the rules' counters.
#               Goal: inside 5 sigma of the rate for every tool and rate.
#   footprint   faultline's VmRSS at 10,000 active flows. Goal: <= 32 MB.
# Prints a Markdown section on stdout.
# Usage: bench/side_by_side.sh [ROUNDS]   (as root; default 7)
# shellcheck source=SCRIPTDIR/../tests/lib/lib.sh
source "$(dirname "$0")/../tests/lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds iperf3 jq iptables nft
fl_require_faultline
ROUNDS=${1:-7}
N=${BENCH_FLOOD_COUNT:-200000}
fl_setup
port=$(fl_free_port)
fl_bg_in iperf "$FL_NS_SRV" - iperf3 -s -p "$port" >/dev/null || fl_bail "iperf3 -s did not start"
fl_bg_in target "$FL_NS_CLI" "$FL_CG_TARGET" sleep 100000 || fl_bail "no target process"
sleep 0.5
# the target's cgroup as iptables (relative to the cgroup2 mount) and nft
# (relative to /sys/fs/cgroup, as its parser resolves it) name it
ipt_path=${FL_CG_TARGET#"$FL_CG_ROOT"/}
FLN=0
nft_path=${FL_CG_TARGET#/sys/fs/cgroup/}
nft_level=$(awk -F/ '{ print NF }' <<<"$ipt_path")

# nsenter, not "ip netns exec": that remounts /sys, and nft then finds no
# /sys/fs/cgroup to resolve the cgroup path in
in_cli()
{
	nsenter --net="/run/netns/$FL_NS_CLI" "$@"
}

# tool_on TOOL PERCENT [raw]: the drop of PERCENT of the target's egress
# by TOOL (none, faultline, iptables, nft); tool_off undoes it.
tool_on()
{
	local tool=$1 pct=$2 prob

	prob=$(awk -v p="$pct" 'BEGIN { printf "%.4f", p / 100 }')
	case $tool in
	faultline)
		FLN=$((FLN + 1))
		fl_faultline_start "fl$FLN" --cgroup "$FL_CG_TARGET" --direction egress --drop "$pct" \
			--duration 10m --json
		fl_wait_armed "fl$FLN" 30 >&2
		;;
	iptables)
		if ((pct == 100)); then
			in_cli iptables -t "${3:-filter}" -A OUTPUT -m cgroup --path "$ipt_path" -j DROP
		else
			in_cli iptables -A OUTPUT -m cgroup --path "$ipt_path" \
				-m statistic --mode random --probability "$prob" -j DROP
		fi
		;;
	nft)
		in_cli nft -f - <<EOF
table inet flbench {
	chain out {
		type filter hook output priority 0;
		socket cgroupv2 level $nft_level "$nft_path" numgen random mod 100 < $pct counter drop
	}
}
EOF
		;;
	esac
}

# tool_off TOOL: undoes tool_on; prints how many packets TOOL dropped.
tool_off()
{
	case $1 in
	faultline)
		fl_stop "fl$FLN" INT
		fl_json_total "$FL_STATE/fl$FLN.out" egress dropped
		;;
	iptables)
		in_cli iptables-save -c | awk '/-j DROP/ { match($0, /^\[[0-9]+:/); s += substr($0, 2, RLENGTH - 2) } END { print s + 0 }'
		in_cli iptables -F OUTPUT
		in_cli iptables -t raw -F OUTPUT
		;;
	nft)
		in_cli nft -j list table inet flbench |
			jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0'
		in_cli nft delete table inet flbench
		;;
	*)
		echo 0
		;;
	esac
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) print 0; else print v[int((NR + 1) / 2)] }'
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'
}

met()
{
	if awk "BEGIN { exit !($1) }"; then echo met; else echo "**MISSED**"; fi
}

flood()
{
	fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-flood --dst "$FL_SRV4" \
		--port 30000 --flows 1000 --count "$N" 2>/dev/null
}

# ---- bystander throughput ----
# Every contender is armed at once, each in its own copy of the namespace
# pair (same addresses, same veth), so a round measures them back to back,
# a fraction of a second apart, with nothing re-armed in between: a drift of
# the shared machine falls on all of them alike. The bystander's cgroup
# sends in each copy in turn, in an order that rotates from round to round;
# the comparisons are the medians of each round's ratios. Two references
# make the figures readable: a second copy with nothing (none2/none is the
# resolution of the method) and an empty tcx program (what any program on
# this hook costs before it does anything).
# Two loads: iperf3 TCP (what users run; GSO makes its per-packet costs
# small) and a UDP flood of 64-byte datagrams (sendmmsg, one CPU), where
# each packet's cost through the hooks shows.
BYS_ROUNDS=$((ROUNDS * 8))
BYS_N=${BENCH_BYSTANDER_FLOOD:-100000}
BYS_SECS=2
NCPU=$(nproc)
contenders=(none none2 empty cgtest faultline iptables nft)
declare -A BNS=([faultline]=$FL_NS_CLI) BIF=([faultline]=$FL_IF_CLI)
k=0
for c in none none2 empty cgtest iptables nft; do
	k=$((k + 1))
	BNS[$c]=flc${k}_$FL_RAND
	ns_s=fls${k}_$FL_RAND
	for ns in "${BNS[$c]}" "$ns_s"; do
		ip netns add "$ns" || fl_bail "cannot add namespace $ns"
		FL_NETNS+=("$ns")
		ip -n "$ns" link set lo up
	done
	ip link add "c$k$FL_RAND" netns "${BNS[$c]}" type veth peer name "s$k$FL_RAND" netns "$ns_s" &&
		ip -n "$ns_s" addr add "$FL_SRV4/24" dev "s$k$FL_RAND" &&
		ip -n "${BNS[$c]}" addr add "$FL_CLI4/24" dev "c$k$FL_RAND" &&
		ip -n "$ns_s" link set "s$k$FL_RAND" up &&
		ip -n "${BNS[$c]}" link set "c$k$FL_RAND" up ||
		fl_bail "cannot build the namespace pair for $c"
	fl_wait_for 5 ip netns exec "${BNS[$c]}" ping -c 1 -W 1 -q "$FL_SRV4" >/dev/null ||
		fl_bail "the namespace pair for $c does not answer"
	fl_bg_in "iperf$k" "$ns_s" - iperf3 -s -p "$port" >/dev/null || fl_bail "iperf3 -s did not start for $c"
	BIF[$c]=c$k$FL_RAND
done
nsenter --net="/run/netns/${BNS[iptables]}" iptables -A OUTPUT -m cgroup --path "$ipt_path" \
	-m statistic --mode random --probability 0.3000 -j DROP || fl_bail "iptables rule not added"
nsenter --net="/run/netns/${BNS[nft]}" nft -f - <<EOF || fl_bail "nft table not added"
table inet flbench {
	chain out {
		type filter hook output priority 0;
		socket cgroupv2 level $nft_level "$nft_path" numgen random mod 100 < 30 counter drop
	}
}
EOF
fl_bg_in emptyprog "${BNS[empty]}" - "$FL_OUTPUT/bench/bench_detach" --iface "${BIF[empty]}" \
	--rounds 1 --hold-ms 3600000 tcx_egress || fl_bail "no empty tcx program on ${BIF[empty]}"
fl_bg_in cgtestprog "${BNS[cgtest]}" - "$FL_OUTPUT/bench/bench_detach" --iface "${BIF[cgtest]}" \
	--rounds 1 --hold-ms 3600000 --cgroup-test tcx_egress || fl_bail "no cgroup-test program on ${BIF[cgtest]}"
tool_on faultline 30 >/dev/null
fl_bg_alive emptyprog || fl_bail "bench_detach exited: $(head -n 3 "$FL_STATE/emptyprog.err")"
fl_bg_alive cgtestprog || fl_bail "bench_detach --cgroup-test exited: $(head -n 3 "$FL_STATE/cgtestprog.err")"

bys_flood()
{
	fl_run_in "${BNS[$1]}" "$FL_CG_BYSTANDER" taskset -c "$((NCPU - 1))" "$FL_TRAFFIC" udp-flood \
		--dst "$FL_SRV4" --port 31000 --flows 16 --count "$BYS_N" 2>/dev/null
}
bys_tcp()
{
	fl_run_in "${BNS[$1]}" "$FL_CG_BYSTANDER" iperf3 -c "$FL_SRV4" -p "$port" -t "$BYS_SECS" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second // 0'
}
# one unmeasured pass: neighbours resolved, caches warm
for c in "${contenders[@]}"; do
	bys_flood "$c" >/dev/null
done
declare -A bys byp pr_t pr_u
# each round's ratio numerator/denominator
pairs=(faultline/none faultline/iptables faultline/nft faultline/empty faultline/cgtest empty/none cgtest/none
	none2/none iptables/none nft/none)
for ((r = 0; r < BYS_ROUNDS; r++)); do
	declare -A this_t=() this_u=()
	for ((k = 0; k < ${#contenders[@]}; k++)); do
		c=${contenders[$(((r + k) % ${#contenders[@]}))]}
		this_u[$c]=$(fl_kv "$(bys_flood "$c")" pps)
		byp[$c]+="${this_u[$c]:-0} "
		# TCP takes seconds: one round in four
		if ((r % 4 == 0)); then
			this_t[$c]=$(bys_tcp "$c")
			bys[$c]+="${this_t[$c]:-0} "
		fi
	done
	for pr in "${pairs[@]}"; do
		pr_u[$pr]+="$(ratio "${this_u[${pr%/*}]:-0}" "${this_u[${pr#*/}]:-0}") "
		((r % 4 == 0)) && pr_t[$pr]+="$(ratio "${this_t[${pr%/*}]:-0}" "${this_t[${pr#*/}]:-0}") "
	done
	unset this_t this_u
done
# Each program's own time per bystander packet, from the kernel's
# bpf_stats (it adds two clock reads to every run, the same for each
# program; turned on only for these floods, and back off on any exit).
# Not during the rounds above: the clock reads would weigh on the ratios.
NB=$FL_OUTPUT/tests/lib/fl_tcx_neighbour
prog_id()
{
	ip netns exec "${BNS[$1]}" "$NB" query "${BIF[$1]}" egress | awk '{ print $1 }'
}
prog_stats()
{
	bpftool prog show id "$1" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; fl_teardown' EXIT
sysctl -qw kernel.bpf_stats_enabled=1
declare -A pns
for ((r = 0; r < 5; r++)); do
	for c in empty cgtest faultline; do
		id=$(prog_id "$c")
		[[ -n $id ]] || fl_bail "no tcx program found on ${BIF[$c]} for $c"
		read -r t0 n0 < <(prog_stats "$id")
		bys_flood "$c" >/dev/null
		read -r t1 n1 < <(prog_stats "$id")
		pns[$c]+="$(awk -v t=$((t1 - t0)) -v n=$((n1 - n0)) 'BEGIN { if (n > 0) printf "%.1f", t / n; else print "n/a" }') "
	done
done
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
trap fl_teardown EXIT
tool_off faultline >/dev/null
fl_stop emptyprog
fl_stop cgtestprog
declare -A med medp
for c in "${contenders[@]}"; do
	med[$c]=$(tr ' ' '\n' <<<"${bys[$c]}" | grep . | median)
	medp[$c]=$(tr ' ' '\n' <<<"${byp[$c]}" | grep . | median)
done
pmed()
{
	tr ' ' '\n' <<<"$1" | grep . | grep -v n/a | median
}
declare -A label=([none]="nothing" [none2]="nothing, a second copy (A/A)" [empty]="an empty tcx program"
	[faultline]="faultline (tcx), 30 % of the target's egress" [iptables]="iptables, cgroup match, statistic 30 %"
	[nft]="nft, socket cgroupv2, numgen 30 %" [cgtest]="a tcx program that only reads the socket's cgroup id")
echo "### bystander throughput beside a 30 % drop of the target's egress"
echo
echo "The bystander's cgroup sends from the namespace a target lives in. Every contender is armed at once, each"
echo "in its own copy of the namespace pair; a round sends from each copy in turn, in an order that rotates"
echo "from round to round. $BYS_ROUNDS rounds of a UDP flood ($BYS_N datagrams of 64 bytes, sendmmsg, one CPU),"
echo "$(((BYS_ROUNDS + 3) / 4)) of iperf3 TCP (${BYS_SECS} s). Ratios are paired: the median of each round's ratio."
echo
echo "| on the bystander's path | TCP Mbit/s (median) | / nothing (paired) | UDP flood datagrams/s (median) | / nothing (paired) |"
echo "|---|---:|---:|---:|---:|"
for c in "${contenders[@]}"; do
	rt=1 ru=1
	if [[ $c != none ]]; then
		rt=$(pmed "${pr_t[$c/none]:-}") ru=$(pmed "${pr_u[$c/none]:-}")
	fi
	echo "| ${label[$c]} | $(awk -v b="${med[$c]}" 'BEGIN { printf "%.0f", b / 1e6 }') | $rt | ${medp[$c]} | $ru |"
done
echo
ft=$(pmed "${pr_t[faultline/none]}") fu=$(pmed "${pr_u[faultline/none]}")
it=$(pmed "${pr_t[faultline/iptables]}") iu=$(pmed "${pr_u[faultline/iptables]}")
echo "- faultline ≥ 0.98 × nothing: TCP $ft: $(met "$ft >= 0.98"); UDP flood $fu: $(met "$fu >= 0.98")"
echo "- faultline ≥ iptables (paired): TCP $it ×: $(met "$it >= 1"); UDP flood $iu ×: $(met "$iu >= 1")"
echo "  (nft, paired: TCP $(pmed "${pr_t[faultline/nft]}") ×, UDP flood $(pmed "${pr_u[faultline/nft]}") ×)"
echo "- the hook's own cost, an empty tcx program / nothing: TCP $(pmed "${pr_t[empty/none]}"), UDP flood $(pmed "${pr_u[empty/none]}");"
echo "  faultline / the empty program: TCP $(pmed "${pr_t[faultline/empty]}"), UDP flood $(pmed "${pr_u[faultline/empty]}")"
echo "- the least a decision by cgroup costs, a program that only reads the socket's cgroup id / nothing:"
echo "  TCP $(pmed "${pr_t[cgtest/none]}"), UDP flood $(pmed "${pr_u[cgtest/none]}"); faultline / that program: UDP flood $(pmed "${pr_u[faultline/cgtest]}")"
echo "- resolution, nothing / nothing in a second copy: TCP $(pmed "${pr_t[none2/none]}"), UDP flood $(pmed "${pr_u[none2/none]}")"
echo "- UDP flood, each round's faultline / nothing: ${pr_u[faultline/none]}"
echo
e_ns=$(pmed "${pns[empty]}") g_ns=$(pmed "${pns[cgtest]}") f_ns=$(pmed "${pns[faultline]}")
pkt_ns=$(awk -v p="${medp[none]}" 'BEGIN { if (p > 0) printf "%.0f", 1e9 / p; else print 0 }')
budget=$(awk -v e="$(pmed "${pr_u[empty/none]}")" -v t="$pkt_ns" 'BEGIN { printf "%.1f", (e - 0.98) * t }')
echo "Inside each program, per bystander datagram of the flood (bpf_stats, medians of 5 floods; each figure"
echo "includes the same two clock reads):"
echo
echo "| program | ns per packet | over the empty program |"
echo "|---|---:|---:|"
echo "| an empty tcx program | $e_ns | |"
echo "| reads the socket's cgroup id, nothing else | $g_ns | $(awk -v a="$g_ns" -v b="$e_ns" 'BEGIN { printf "%+.1f", a - b }') |"
echo "| faultline's fl_tcx_eg (a bystander's packet) | $f_ns | $(awk -v a="$f_ns" -v b="$e_ns" 'BEGIN { printf "%+.1f", a - b }') |"
echo
echo "- a datagram of the flood takes $pkt_ns ns with nothing on the path; 0.98 × nothing leaves a program"
echo "  (empty program / nothing − 0.98) × $pkt_ns = $budget ns over the empty one$(awk -v b="$budget" \
	'BEGIN { if (b < 0) print ": below zero, not even the empty program fits" }')"
echo

# ---- drop throughput at the flood rate ----
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 3 --timeout-ms 300	# neighbours resolved
declare -A pps
for ((r = 0; r < ROUNDS; r++)); do
	for tool in none faultline iptables; do
		tool_on "$tool" 100 raw >/dev/null
		out=$(flood)
		tool_off "$tool" >/dev/null
		pps[$tool]+="$(fl_kv "$out" pps) "
	done
done
for tool in none faultline iptables; do
	med[$tool]=$(tr ' ' '\n' <<<"${pps[$tool]}" | grep . | median)
done
echo "### drop throughput: all of the target's UDP flood dropped"
echo
echo "fltraffic udp-flood (sendmmsg, 64 per call, 1000 flows, $N datagrams of 64 bytes), $ROUNDS alternating rounds;"
echo "datagrams per second through the sender's system calls (iptables' DROP returns EPERM per datagram:"
echo "the sender sees it; faultline's tcx drop is silent, see FACTS.md)."
echo
echo "| dropped by | datagrams/s (median) | rounds |"
echo "|---|---:|---|"
echo "| nothing (passes) | ${med[none]} | ${pps[none]}|"
echo "| faultline (tcx, 100 %) | ${med[faultline]} | ${pps[faultline]}|"
echo "| iptables raw OUTPUT, cgroup match, DROP | ${med[iptables]} | ${pps[iptables]}|"
echo
echo "- faultline ≥ iptables raw: $(ratio "${med[faultline]}" "${med[iptables]}") ×: $(met "${med[faultline]} >= ${med[iptables]}")"
echo

# ---- accuracy ----
echo "### drop accuracy: the flood of $N datagrams, dropped 1, 10 and 50 %"
echo
echo "| rate | tool | dropped | expected 5σ range | |"
echo "|---:|---|---:|---|---|"
acc_missed=0
for pct in 1 10 50; do
	p=$(awk -v x="$pct" 'BEGIN { print x / 100 }')
	for tool in faultline iptables nft; do
		tool_on "$tool" "$pct" >/dev/null
		out=$(flood)
		dropped=$(tool_off "$tool" | tail -n 1)
		sent=$(($(fl_kv "$out" sent) + $(fl_kv "$out" send_errors)))
		if [[ -n $dropped ]] && fl_within_5sigma "$dropped" "$sent" "$p"; then
			m=met
		else
			m="**MISSED**"
			acc_missed=$((acc_missed + 1))
		fi
		echo "| $pct % | $tool | $dropped of $sent | $(fl_binom_range "$sent" "$p") | $m |"
	done
done
echo
echo "- inside 5σ at every rate: $( ((acc_missed == 0)) && echo met || echo "**MISSED** in $acc_missed rows")"
echo

# ---- footprint ----
fl_faultline_start rss --cgroup "$FL_CG_TARGET" --direction egress --proto udp --drop 10 \
	--duration 60s --json
fl_wait_armed rss 30
pid=$(fl_bg_pid rss)
fl_bg_in flows "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-flood --dst "$FL_SRV4" \
	--port 20000 --flows 10000 --pps 5000 --duration 12
max=0
for ((i = 0; i < 12; i++)); do
	sleep 1
	v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	((v > max)) && max=$v
done
fl_wait flows 20
fl_stop rss INT
echo "### footprint: faultline at 10,000 active flows"
echo
echo "- \`faultline inject\` (10 % UDP drop) while the target sends to 10,000 ports at 5000/s for 12 s:"
echo "  largest VmRSS $((max / 1024)) MB ($max kB) ≤ 32 MB: $(met "$max <= 32768")."
echo "  Flat over 30 minutes: \`make stress\` (tests/selftests/load_long.sh with FL_LONG_S=1800)."
