#!/usr/bin/env bash
# dns: a DNS fault on real clients and a real server. Debian's dnsmasq in
# the server namespace answers a.example.internal, exact.name and
# other.test from a hosts file, on 198.18.0.1 and 2001:db8::1, and logs
# every query it gets. dig and getent (glibc's resolver, through the
# client namespace's /etc/netns/NAME/resolv.conf) ask from the target's
# cgroup and from a bystander's, in the client namespace. faultline
# injects --dns-name '*.example.internal' --dns-name exact.name with each
# action in turn:
#   nxdomain  the target's dig gets status NXDOMAIN (IPv4 and IPv6 server,
#             any case), getent finds nothing (exit 2), and dnsmasq's log
#             shows it never saw those queries; other.test resolves; the
#             bystander resolves a.example.internal; the report counts the
#             faulted queries
#   servfail  status SERVFAIL, both families, dnsmasq saw none
#   drop      dig times out (no reply at all), other.test resolves
#   after     the target resolves a.example.internal again
# Fails if a matching query reached the server, the answer's status is
# not the action's, a non-matching or a bystander's query was touched, or
# the fault stayed after the run.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip dnsmasq dig getent jq
fl_require_faultline

ANSWER4=198.18.0.77
ANSWER6=2001:db8::77
NETNS_ETC=/etc/netns/$FL_NS_CLI

# The client namespace's resolv.conf lives under /etc/netns: remove it on
# every path, then the library's teardown (idempotent) does the rest.
dns_teardown()
{
	rm -rf "${NETNS_ETC:?}"
	fl_teardown
}
trap dns_teardown EXIT
trap 'dns_teardown; exit 130' INT
trap 'dns_teardown; exit 143' TERM

fl_plan 27
fl_setup

cat >"$FL_STATE/hosts" <<EOF
$ANSWER4 a.example.internal exact.name other.test
$ANSWER6 a.example.internal exact.name other.test
EOF
# no upstream, no /etc/hosts, no cache (every query is looked up and
# logged), foreground, log to stderr
fl_bg_in dnsmasq "$FL_NS_SRV" - dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --addn-hosts="$FL_STATE/hosts" --cache-size=0 \
	--listen-address="$FL_SRV4" --listen-address="$FL_SRV6" --bind-interfaces \
	--user=root --group=root --pid-file= --log-queries --log-facility=- &&
	fl_wait_log dnsmasq "started" 5 || fl_bail "cannot start dnsmasq"

mkdir -p "$NETNS_ETC" &&
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$FL_SRV4" >"$NETNS_ETC/resolv.conf" ||
	fl_bail "cannot write $NETNS_ETC/resolv.conf"

# ask CG SERVER NAME [TYPE] [DIG OPTIONS...]: dig's output, one try
ask()
{
	local cg=$1 srv=$2 name=$3 type=${4:-A}

	shift 4 2>/dev/null || shift $#
	fl_run_in "$FL_NS_CLI" "$cg" dig "@$srv" "$name" "$type" +tries=1 +time=2 "$@" 2>&1
}

# status OUTPUT: the status dig printed (NOERROR, NXDOMAIN, ...), or none
status()
{
	sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n 1
}

# seen NAME: how many queries for NAME dnsmasq logged so far
seen()
{
	grep -ci "query\[[A-Z]*\] $1 from" "$FL_STATE/dnsmasq.err"
}

out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A +short)
[[ $out == "$ANSWER4" ]]
fl_ok $? "before: the target resolves a.example.internal to $ANSWER4 (${out:-nothing})"
out=$(ask "$FL_CG_TARGET" "$FL_SRV6" a.example.internal AAAA +short)
[[ $out == "$ANSWER6" ]]
fl_ok $? "before: over IPv6 too, AAAA $ANSWER6 (${out:-nothing})"
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" getent hosts a.example.internal)
[[ $out == "$ANSWER6"* || $out == "$ANSWER4"* ]]
fl_ok $? "before: getent hosts finds it through the namespace's resolv.conf (${out:-nothing})"

# arm ACTION: the fault on the target, until fl_stop
arm()
{
	fl_faultline_start "$1" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--dns-name '*.example.internal' --dns-name exact.name --dns-action "$1" \
		--duration 60s --json
	fl_wait_armed "$1" || fl_bail "faultline did not arm ($1)"
}

# answered ACTION STATUS: the target's queries for listed names get STATUS
# from faultline, over both families, and never reach dnsmasq
answered()
{
	local action=$1 want=$2 before out st

	before=$(seen a.example.internal)
	out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A)
	st=$(status "$out")
	[[ $st == "$want" ]]
	fl_ok $? "$action: the target's dig a.example.internal gets $want over IPv4 (${st:-no status})" ||
		fl_diag "$out"
	out=$(ask "$FL_CG_TARGET" "$FL_SRV6" A.Example.INTERNAL AAAA)
	st=$(status "$out")
	[[ $st == "$want" ]]
	fl_ok $? "$action: and A.Example.INTERNAL AAAA over IPv6 (${st:-no status})" || fl_diag "$out"
	out=$(ask "$FL_CG_TARGET" "$FL_SRV4" exact.name A)
	st=$(status "$out")
	[[ $st == "$want" ]]
	fl_ok $? "$action: and the exact name exact.name (${st:-no status})"
	[[ $(seen a.example.internal) == "$before" && $(seen exact.name) == 0 ]]
	fl_ok $? "$action: dnsmasq never saw those queries (its log: $(seen a.example.internal) for a.example.internal, $(seen exact.name) for exact.name)"
}

# untouched ACTION: what no fault names, or no target asks, resolves
untouched()
{
	local out before

	before=$(seen other.test)
	out=$(ask "$FL_CG_TARGET" "$FL_SRV4" other.test A +short)
	[[ $out == "$ANSWER4" && $(seen other.test) -gt $before ]]
	fl_ok $? "$1: the target's other.test resolves, from dnsmasq (${out:-nothing})"
	before=$(seen a.example.internal)
	out=$(ask "$FL_CG_BYSTANDER" "$FL_SRV6" a.example.internal AAAA +short)
	[[ $out == "$ANSWER6" && $(seen a.example.internal) -gt $before ]]
	fl_ok $? "$1: the bystander's a.example.internal resolves, from dnsmasq (${out:-nothing})"
}

arm nxdomain
answered nxdomain NXDOMAIN
untouched nxdomain
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" getent hosts a.example.internal)
rc=$?
[[ $rc == 2 && -z $out ]]
fl_ok $? "nxdomain: getent hosts a.example.internal finds nothing (exit $rc, '${out}')"
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" getent hosts other.test)
[[ $out == "$ANSWER6"* || $out == "$ANSWER4"* ]]
fl_ok $? "nxdomain: getent hosts other.test still finds it (${out:-nothing})"
fl_stop nxdomain INT
n=$(jq '.faults[0].egress.dns_queries' "$FL_STATE/nxdomain.out" 2>/dev/null)
# 3 digs and getent's A and AAAA; dig sends each once (+tries=1)
[[ $n =~ ^[0-9]+$ ]] && ((n >= 5))
fl_ok $? "nxdomain: the report counts the faulted queries (${n:-none}, at least 5)"

arm servfail
answered servfail SERVFAIL
untouched servfail
fl_stop servfail INT

arm drop
before=$(seen a.example.internal)
out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A)
rc=$?
[[ $rc == 9 && -z $(status "$out") ]]
fl_ok $? "drop: the target's dig a.example.internal times out (exit $rc: $(grep -m1 -o 'timed out\|no servers could be reached' <<<"$out"))" ||
	fl_diag "$out"
out=$(ask "$FL_CG_TARGET" "$FL_SRV6" a.example.internal AAAA)
rc=$?
[[ $rc == 9 && -z $(status "$out") ]]
fl_ok $? "drop: over IPv6 too (exit $rc)"
[[ $(seen a.example.internal) == "$before" ]]
fl_ok $? "drop: dnsmasq never saw them"
untouched drop
fl_stop drop INT
n=$(jq '.faults[0].egress.dropped' "$FL_STATE/drop.out" 2>/dev/null)
[[ $n == 2 ]]
fl_ok $? "drop: the report counts 2 dropped (${n:-none})"

out=$(ask "$FL_CG_TARGET" "$FL_SRV4" a.example.internal A +short)
[[ $out == "$ANSWER4" ]]
fl_ok $? "after: the target resolves a.example.internal again (${out:-nothing})"
out=$(ask "$FL_CG_TARGET" "$FL_SRV6" exact.name AAAA +short)
[[ $out == "$ANSWER6" ]]
fl_ok $? "after: and exact.name over IPv6 (${out:-nothing})"
fl_no_faultline_attached
fl_ok $? "after: nothing of faultline is left attached"

fl_done
