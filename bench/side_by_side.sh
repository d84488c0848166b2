#!/usr/bin/env bash
# faultline beside the tools users compare it with (issue 17, section 6):
# iptables (cgroup match, statistic) and nft (socket cgroupv2, numgen), in
# the client namespace of a veth pair, on the same target cgroup.
#   bystander   iperf3 TCP and a UDP flood of a bystander cgroup in the
#               target's namespace, while the target's egress is dropped
#               30 % by nothing, faultline, iptables or nft; rounds in a
#               rotating order, medians, paired ratios.
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
SECS=3
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
# Each round runs every tool once, in an order that rotates from round to
# round, so a drift of the shared machine does not always fall on the same
# tool. The comparison is paired: each round's faultline / iptables ratio
# (two neighbouring measurements), and the median of those ratios.
# Two loads: iperf3 TCP (what users run; GSO makes its per-packet costs
# small) and a UDP flood of 64-byte datagrams (sendmmsg), where each
# packet's cost through the hooks shows.
declare -A bys byp
tools=(none faultline iptables nft)
bys_flood()
{
	fl_run_in "$FL_NS_CLI" "$FL_CG_BYSTANDER" "$FL_TRAFFIC" udp-flood --dst "$FL_SRV4" \
		--port 31000 --flows 16 --count "$N" 2>/dev/null
}
pair_tcp=() pair_udp=() pair_tcp_nft=() pair_udp_nft=()
for ((r = 0; r < ROUNDS; r++)); do
	declare -A this_t=() this_u=()
	for ((k = 0; k < ${#tools[@]}; k++)); do
		tool=${tools[$(((r + k) % ${#tools[@]}))]}
		tool_on "$tool" 30 >/dev/null
		v=$(fl_run_in "$FL_NS_CLI" "$FL_CG_BYSTANDER" iperf3 -c "$FL_SRV4" -p "$port" -t "$SECS" -J 2>/dev/null |
			jq -r '.end.sum_received.bits_per_second // 0')
		u=$(fl_kv "$(bys_flood)" pps)
		tool_off "$tool" >/dev/null
		bys[$tool]+="$v "
		byp[$tool]+="${u:-0} "
		this_t[$tool]=$v
		this_u[$tool]=${u:-0}
	done
	pair_tcp+=("$(ratio "${this_t[faultline]}" "${this_t[iptables]}")")
	pair_udp+=("$(ratio "${this_u[faultline]}" "${this_u[iptables]}")")
	pair_tcp_nft+=("$(ratio "${this_t[faultline]}" "${this_t[nft]}")")
	pair_udp_nft+=("$(ratio "${this_u[faultline]}" "${this_u[nft]}")")
	unset this_t this_u
done
declare -A med medp
for tool in "${tools[@]}"; do
	med[$tool]=$(tr ' ' '\n' <<<"${bys[$tool]}" | grep . | median)
	medp[$tool]=$(tr ' ' '\n' <<<"${byp[$tool]}" | grep . | median)
done
pmed()
{
	printf '%s\n' "$@" | grep -v n/a | median
}
echo "### bystander throughput beside a 30 % drop of the target's egress"
echo
echo "The bystander's cgroup shares the target's namespace. $ROUNDS rounds; each runs every tool once, the order"
echo "rotating from round to round; the comparisons with iptables and nft are paired (each round's ratio of two"
echo "neighbouring measurements, then the median of those ratios)."
echo
echo "| drop by | iperf3 TCP ${SECS} s, Mbit/s (median) | / nothing | UDP flood, 64-byte datagrams/s (median) | / nothing | TCP rounds (Mbit/s) |"
echo "|---|---:|---:|---:|---:|---|"
for tool in "${tools[@]}"; do
	echo "| $tool | $(awk -v b="${med[$tool]}" 'BEGIN { printf "%.0f", b / 1e6 }') | $(ratio "${med[$tool]}" "${med[none]}") | ${medp[$tool]} | $(ratio "${medp[$tool]}" "${medp[none]}") | $(awk '{ for (i = 1; i <= NF; i++) printf "%s%.0f", (i > 1 ? " " : ""), $i / 1e6 }' <<<"${bys[$tool]}") |"
done
echo
r_none=$(ratio "${med[faultline]}" "${med[none]}")
r_nonep=$(ratio "${medp[faultline]}" "${medp[none]}")
pt=$(pmed "${pair_tcp[@]}")
pu=$(pmed "${pair_udp[@]}")
echo "- faultline ≥ 0.98 × nothing: TCP $r_none: $(met "$r_none >= 0.98"); UDP flood $r_nonep: $(met "$r_nonep >= 0.98")"
echo "- faultline ≥ iptables (median of the paired ratios): TCP $pt × ($(met "$pt >= 1")); UDP flood $pu × ($(met "$pu >= 1"))"
echo "  - per round, TCP: ${pair_tcp[*]}; UDP flood: ${pair_udp[*]}"
echo "- (nft, paired: TCP $(pmed "${pair_tcp_nft[@]}") ×, UDP flood $(pmed "${pair_udp_nft[@]}") ×)"
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
