#!/usr/bin/env bash
# legacy_overlap: two faultline runs with different targets on one
# interface on the legacy clsact path (FAULTLINE_TC=legacy, as on 6.1).
# Each run takes its own filter priority (0xfa17, then the next free one)
# under faultline's handle, and takes only that filter off at its end; the
# clsact qdisc the first run made stays until the last faultline filter is
# gone, whichever run ends last (README "Neighbours").
#   overlap  A (target) and B (bystander) drop 100 % of their own UDP on
#            the client veth's egress; a third cgroup loses nothing
#   A ends   A's filter goes, B's stays and still drops, the clsact stays
#   B ends   no filter, no clsact; each report counts its own drops only
#   SIGKILL  A killed while B runs: B's end leaves A's filter and the
#            clsact; 'cleanup --netns' removes both
#   foreign  a filter someone adds to a clsact faultline made (a bpf
#            filter at prio 10) keeps it (and itself) when faultline ends
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline
# someone else's filter (tests/bpf/neighbour.bpf.c, as neighbours.sh uses)
NB_LEGACY=$FL_OUTPUT/tests/bpf/nb_legacy.bpf.o
[[ -f $NB_LEGACY ]] || fl_skip_all "no $NB_LEGACY: run make all"

N=200

fl_plan 11
fl_setup
fl_start_servers
OTHER=$FL_CG/other
mkdir "$OTHER" && FL_CGROUPS+=("$OTHER") || fl_bail "cannot create $OTHER"

# prefs: the priorities of faultline's egress filters on the client veth
prefs()
{
	tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress 2>/dev/null |
		awk '/handle 0xfa17/ { for (i = 1; i < NF; i++) if ($i == "pref") print $(i + 1) }' |
		sort -un | paste -sd' ' -
}
clsact()
{
	tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI" 2>/dev/null | grep -c clsact
}
# lost CG: how many of N UDP pings from CG got no reply ("-1" on error)
lost()
{
	fl_udp_ping "$1" "$FL_SRV4" "$N" --timeout-ms 100
	((PING_SENT == N && PING_ERRORS == 0)) && echo "$PING_LOST" || echo -1
}
args=(--netns "/run/netns/$FL_NS_CLI" --direction egress --proto udp --drop 100 --json)

# ---- two runs, one interface ----
fl_faultline_start A FAULTLINE_TC=legacy --cgroup "$FL_CG_TARGET" "${args[@]}" --duration 60s \
	--name "a$FL_RAND"
fl_wait_armed A 60 || fl_bail "run A did not start"
fl_faultline_start B FAULTLINE_TC=legacy --cgroup "$FL_CG_BYSTANDER" "${args[@]}" --duration 60s \
	--name "b$FL_RAND"
fl_wait_armed B 60
rc=$?
[[ $rc == 0 && $(prefs) == "64023 64024" && $(clsact) == 1 ]]
fl_ok $? "a second legacy run on the interface starts beside the first: filters at prefs '$(prefs)', $(clsact) clsact" ||
	fl_bail "the second run did not start: $(head -n 3 "$FL_STATE/B.err")"

la=$(lost "$FL_CG_TARGET")
lb=$(lost "$FL_CG_BYSTANDER")
lo=$(lost "$OTHER")
[[ $la == "$N" && $lb == "$N" && $lo == 0 ]]
fl_ok $? "overlap: A's target lost $la, B's target $lb, a third cgroup $lo of $N"

# ---- A ends first ----
fl_stop A TERM
rc=$?
[[ $rc == 130 && $(prefs) == 64024 && $(clsact) == 1 ]]
fl_ok $? "A ends (exit $rc): only its filter goes (prefs left '$(prefs)'), the clsact it made stays for B ($(clsact))"
la2=$(lost "$FL_CG_TARGET")
lb2=$(lost "$FL_CG_BYSTANDER")
[[ $la2 == 0 && $lb2 == "$N" ]] && fl_bg_alive B
fl_ok $? "after A: A's target lost $la2, B's target still $lb2 of $N (B armed)"

# ---- B ends last ----
fl_stop B TERM
rc=$?
[[ $rc == 130 && -z $(prefs) && $(clsact) == 0 ]]
fl_ok $? "B ends (exit $rc): no faultline filter left ('$(prefs)'), the clsact goes with the last one ($(clsact) left)" ||
	fl_diag "$(tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress)"
da=$(fl_json_total "$FL_STATE/A.out" egress dropped)
db=$(fl_json_total "$FL_STATE/B.out" egress dropped)
[[ $da == "$la" && $db == $((lb + lb2)) ]]
fl_ok $? "each report counts its own target's drops: A ${da:-none} (lost $la), B ${db:-none} (lost $((lb + lb2)))"
lb3=$(lost "$FL_CG_BYSTANDER")
[[ $lb3 == 0 ]]
fl_ok $? "after both: B's target loses nothing ($lb3 of $N)"

# ---- SIGKILL of the run that made the clsact ----
fl_faultline_start KA FAULTLINE_TC=legacy --cgroup "$FL_CG_TARGET" "${args[@]}" --duration 60s \
	--name "ka$FL_RAND"
fl_wait_armed KA 60 || fl_bail "run KA did not start"
fl_faultline_start KB FAULTLINE_TC=legacy --cgroup "$FL_CG_BYSTANDER" "${args[@]}" --duration 60s \
	--name "kb$FL_RAND"
fl_wait_armed KB 60 || fl_bail "run KB did not start"
fl_stop KA KILL
fl_stop KB TERM
rc=$?
[[ $rc == 130 && $(prefs) == 64023 && $(clsact) == 1 ]]
fl_ok $? "KA killed, KB ends (exit $rc): KB's filter goes, KA's stays ('$(prefs)') and keeps the clsact ($(clsact))"
out=$("$FL_BIN" cleanup --netns "/run/netns/$FL_NS_CLI" 2>&1)
rc=$?
[[ $rc == 0 && -z $(prefs) && $(clsact) == 0 ]]
fl_ok $? "cleanup --netns removes the killed run's filter and the clsact (exit $rc: $out)"

# ---- someone else's filter on a clsact faultline made ----
fl_faultline_start F FAULTLINE_TC=legacy --cgroup "$FL_CG_TARGET" "${args[@]}" --duration 60s \
	--name "f$FL_RAND"
fl_wait_armed F 60 || fl_bail "run F did not start"
tc -n "$FL_NS_CLI" filter add dev "$FL_IF_CLI" egress prio 10 handle 1 bpf da obj "$NB_LEGACY" sec tc ||
	fl_bail "cannot add the neighbour's filter"
fl_stop F TERM
rc=$?
foreign=$(tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress | grep -c 'pref 10 bpf .*handle 0x1 ')
[[ $rc == 130 && -z $(prefs) && $foreign == 1 && $(clsact) == 1 ]]
fl_ok $? "F ends (exit $rc): its filter goes; the clsact it made stays for a filter of someone else's ($foreign at pref 10, $(clsact) clsact)"
tc -n "$FL_NS_CLI" qdisc del dev "$FL_IF_CLI" clsact

fl_no_faultline_attached
fl_ok $? "nothing of faultline attached after the test"
fl_done
