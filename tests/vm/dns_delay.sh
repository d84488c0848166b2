#!/usr/bin/env bash
# dns_delay (VM: the delay action needs sch_fq): Debian's dnsmasq in the
# server namespace answers a.example.internal and other.test; dig asks it
# from the target's cgroup. With --dns-name '*.example.internal'
# --dns-action delay --dns-delay 2s, the answer to a.example.internal
# takes at least 2 s (dig's query time, IPv4 and IPv6), and dnsmasq does
# get the query (it is held, not lost); other.test and the bystander's
# a.example.internal are answered in less than the delay. Then nxdomain
# on the same kernel: the answer made in the kernel and handed back at
# the target's ingress (clsact on 6.1, tcx on 6.12). Fails if the delayed
# answer came sooner than the delay, a query not named was held, or the
# NXDOMAIN did not come back.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc dnsmasq dig
fl_require_faultline

DELAY_MS=2000
ANSWER4=198.18.0.77
ANSWER6=2001:db8::77

fl_plan 9
fl_setup

printf '%s a.example.internal other.test\n%s a.example.internal other.test\n' \
	"$ANSWER4" "$ANSWER6" >"$FL_STATE/hosts"
fl_bg_in dnsmasq "$FL_NS_SRV" - dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --addn-hosts="$FL_STATE/hosts" --cache-size=0 \
	--listen-address="$FL_SRV4" --listen-address="$FL_SRV6" --bind-interfaces \
	--user=root --group=root --pid-file= --log-queries --log-facility=- &&
	fl_wait_log dnsmasq "started" 10 || fl_bail "cannot start dnsmasq"

# ask CG SERVER NAME TYPE: dig's whole output, one try, waiting long
# enough for the delay
ask()
{
	fl_run_in "$FL_NS_CLI" "$1" dig "@$2" "$3" "$4" +tries=1 +time=8 2>&1
}

# qtime OUTPUT: dig's "Query time" in ms
qtime()
{
	sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$1"
}

answer()
{
	sed -n '/^;; ANSWER SECTION:/{n;p;q}' <<<"$1" | awk '{ print $NF }'
}

fl_faultline_start delay --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--dns-name '*.example.internal' --dns-action delay --dns-delay "${DELAY_MS}ms" \
	--duration 120s
fl_wait_armed delay 30 || fl_bail "faultline did not arm (delay)"

before=$(grep -c 'query\[A\] a.example.internal' "$FL_STATE/dnsmasq.err")
out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A)
t=$(qtime "$out")
[[ $(answer "$out") == "$ANSWER4" && -n $t ]] && ((t >= DELAY_MS))
fl_ok $? "delay: the target's a.example.internal is answered after ${t:-no answer} ms (>= $DELAY_MS)" ||
	fl_diag "$out"
[[ $(grep -c 'query\[A\] a.example.internal' "$FL_STATE/dnsmasq.err") -gt $before ]]
fl_ok $? "delay: dnsmasq got the held query"
out=$(ask "$FL_CG_TARGET" "$FL_SRV6" A.EXAMPLE.internal AAAA)
t=$(qtime "$out")
[[ $(answer "$out") == "$ANSWER6" && -n $t ]] && ((t >= DELAY_MS))
fl_ok $? "delay: over IPv6, A.EXAMPLE.internal AAAA after ${t:-no answer} ms (>= $DELAY_MS)" ||
	fl_diag "$out"
out=$(ask "$FL_CG_TARGET" "$FL_SRV4" other.test A)
t=$(qtime "$out")
[[ $(answer "$out") == "$ANSWER4" && -n $t ]] && ((t < DELAY_MS))
fl_ok $? "delay: the target's other.test is not held (${t:-no answer} ms)"
out=$(ask "$FL_CG_BYSTANDER" "$FL_SRV4" a.example.internal A)
t=$(qtime "$out")
[[ $(answer "$out") == "$ANSWER4" && -n $t ]] && ((t < DELAY_MS))
fl_ok $? "delay: the bystander's a.example.internal is not held (${t:-no answer} ms)"
fl_stop delay INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "delay: faultline ends on SIGINT, Aborted (exit $rc)"

fl_faultline_start nxdomain --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--dns-name '*.example.internal' --dns-action nxdomain --duration 120s
fl_wait_armed nxdomain 30 || fl_bail "faultline did not arm (nxdomain)"
out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A)
grep -q 'status: NXDOMAIN' <<<"$out"
fl_ok $? "nxdomain: the answer made in the kernel reaches dig over IPv4" || fl_diag "$out"
out=$(ask "$FL_CG_TARGET" "$FL_SRV6" a.example.internal AAAA)
grep -q 'status: NXDOMAIN' <<<"$out"
fl_ok $? "nxdomain: and over IPv6" || fl_diag "$out"
fl_stop nxdomain INT

out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A)
[[ $(answer "$out") == "$ANSWER4" ]]
fl_ok $? "after: the target resolves a.example.internal again ($(answer "$out"))"

fl_done
