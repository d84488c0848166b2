#!/usr/bin/env bash
# burst_loss: Gilbert-Elliott loss on a real socket's traffic. The target
# sends 5000 UDP datagrams to an echo server (fltraffic udp-ping), under
# `--direction egress --proto udp` and each form of the model:
#   --loss-p 2 --loss-r 20             simple Gilbert: L = p / (p + r) = 9.09 %
#   --loss 5 --loss-correlation 60     the simple form: L = 5 %
#   --loss-p 5 --loss-r 30 --loss-h 20 --loss-k 99 --loss-per fault
#                                      losses in both states: L = 12.29 %
# Each: the datagrams lost are inside 5 sigma of L, with the chain's own
# variance (Var = [L(1-L) + 2 (lb-lg)^2 piG piB lambda / (1-lambda)] / N,
# lambda = 1 - p - r; see tests/bpf/test_faults.c, which also checks burst
# lengths over 200,000 packets); the report counts exactly the datagrams
# lost (the echoes themselves are not touched); no send() error (a loss
# looks like a wire's). Fails if the model's parameters were mixed up (h
# and k swapped give 80 % instead of 12 %), or a loss leaked to the sender.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq awk
fl_require_traffic
fl_require_faultline

COUNT=5000

fl_plan 9
fl_setup
fl_start_servers

# run NAME "P R LG LB" FLAGS...: the model as probabilities, then the flags
run()
{
	local name=$1 model=$2 lost sd l lo hi drop

	shift 2
	fl_faultline_start "$name" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" --direction egress --proto udp \
		--duration 120s --json "$@"
	fl_wait_armed "$name" 15 || fl_bail "faultline did not arm"
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" "$COUNT" --interval-us 200 --timeout-ms 2000
	fl_stop "$name" INT
	read -r l lo hi <<<"$(awk -v m="$model" -v n="$COUNT" 'BEGIN {
		split(m, a, " "); p = a[1]; r = a[2]; lg = a[3]; lb = a[4]
		pib = p / (p + r); pig = 1 - pib; lam = 1 - p - r
		l = pig * lg + pib * lb
		sd = sqrt((l * (1 - l) + 2 * (lb - lg)^2 * pig * pib * lam / (1 - lam)) / n)
		lo = (l - 5 * sd) * n; if (lo < 0) lo = 0
		printf "%.4f %d %d\n", l, lo + 0.999, (l + 5 * sd) * n }')"
	((PING_SENT == COUNT && PING_LOST >= lo && PING_LOST <= hi))
	fl_ok $? "$name: lost $PING_LOST of $PING_SENT: inside 5 sigma of L = $l ($lo..$hi)"
	drop=$(jq '.faults[0].egress.dropped' "$FL_STATE/$name.out" 2>/dev/null)
	[[ $drop == "$PING_LOST" ]]
	fl_ok $? "$name: the report's dropped ($drop) is the datagrams lost ($PING_LOST)"
	[[ $PING_ERRORS == 0 ]]
	fl_ok $? "$name: no send() error ($PING_ERRORS)"
}

run gilbert "0.02 0.20 0 1" --loss-p 2 --loss-r 20
run simple "0.02 0.38 0 1" --loss 5 --loss-correlation 60
run full "0.05 0.30 0.01 0.80" --loss-p 5 --loss-r 30 --loss-h 20 --loss-k 99 --loss-per fault
fl_done
