#!/usr/bin/env bash
# cleanup_netns: "faultline cleanup --netns PATH" cleans that namespace and
# nothing else. Two runs on the legacy clsact path (FAULTLINE_TC=legacy),
# one per namespace of the veth pair (the target's process in the client
# namespace, the bystander cgroup's in the server namespace), are killed
# with SIGKILL: each leaves its filter and the clsact qdisc it created.
#   scoped   cleanup --netns CLIENT exits 0 while other runs on the machine
#            may be active; the client namespace is clean, the server's
#            filter and clsact are still there (fails if the scope leaks)
#   record   the server's record survived the first cleanup: cleanup
#            --netns SERVER removes its clsact too (fails if the first
#            cleanup dropped the other namespace's record with its own)
#   bad path a path that is not a namespace: exit 2, the path named
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require

fl_plan 6
fl_setup
fl_bg_in holdc "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_bg_in holds "$FL_NS_SRV" "$FL_CG_BYSTANDER" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 && \$(wc -l <$FL_CG_BYSTANDER/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the targets' processes did not enter their cgroups"

fl_faultline_start cli FAULTLINE_TC=legacy FAULTLINE_INGRESS=cgroup --cgroup "$FL_CG_TARGET" \
	--direction egress --drop 10 --duration 60s
fl_faultline_start srv FAULTLINE_TC=legacy FAULTLINE_INGRESS=cgroup --cgroup "$FL_CG_BYSTANDER" \
	--direction egress --drop 10 --duration 60s
fl_wait_armed cli 20 && fl_wait_armed srv 20
fl_ok $? "two legacy runs armed, one per namespace" || fl_bail "a run did not start"
fl_stop cli KILL
fl_stop srv KILL

filters()
{
	tc -n "$1" filter show dev "$2" egress 2>/dev/null | grep -c 'handle 0xfa17'
}
clsact()
{
	tc -n "$1" qdisc show dev "$2" 2>/dev/null | grep -c clsact
}
before="client: $(filters "$FL_NS_CLI" "$FL_IF_CLI") filter(s), $(clsact "$FL_NS_CLI" "$FL_IF_CLI") clsact; server: $(filters "$FL_NS_SRV" "$FL_IF_SRV"), $(clsact "$FL_NS_SRV" "$FL_IF_SRV")"
[[ $before == "client: 1 filter(s), 1 clsact; server: 1, 1" ]]
fl_ok $? "SIGKILL left a filter and a clsact in each namespace ($before)"

out=$("$FL_BIN" cleanup --netns "/run/netns/$FL_NS_CLI" 2>&1)
rc=$?
after="client: $(filters "$FL_NS_CLI" "$FL_IF_CLI") filter(s), $(clsact "$FL_NS_CLI" "$FL_IF_CLI") clsact; server: $(filters "$FL_NS_SRV" "$FL_IF_SRV"), $(clsact "$FL_NS_SRV" "$FL_IF_SRV")"
[[ $rc == 0 && $after == "client: 0 filter(s), 0 clsact; server: 1, 1" ]]
fl_ok $? "scoped: cleanup --netns client exits 0 and cleans only there (exit $rc, $after: $out)"

out=$("$FL_BIN" cleanup --netns "/run/netns/$FL_NS_SRV" 2>&1)
rc=$?
after="server: $(filters "$FL_NS_SRV" "$FL_IF_SRV") filter(s), $(clsact "$FL_NS_SRV" "$FL_IF_SRV") clsact"
[[ $rc == 0 && $after == "server: 0 filter(s), 0 clsact" ]]
fl_ok $? "record: cleanup --netns server then cleans the server's (exit $rc, $after: $out)"

out=$("$FL_BIN" cleanup --netns "$FL_STATE/nothing" 2>&1)
rc=$?
[[ $rc == 2 && $out == *"$FL_STATE/nothing"* ]]
fl_ok $? "bad path: exit 2, the path named (exit $rc: $out)"

left=$(fl_leftovers | grep -v '^prog: ')
[[ -z $left ]]
fl_ok $? "nothing of faultline left in the test's namespaces and cgroups" || fl_diag "$left"
fl_done
