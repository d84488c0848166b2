#!/usr/bin/env bash
# no_fq (host): this kernel has no sch_fq, so delay and rate must stop
# with a clear error that names it, exit 3, and attach nothing; and an
# ingress delay for a target in a shared namespace is refused with exit 2.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc
fl_require_faultline

if "$FL_BIN" features | grep -q '^sch_fq *yes'; then
	fl_skip_all "this kernel has sch_fq: the no-fq path is tested on kernels without it"
fi
fl_plan 6
fl_setup
for fault in "--delay 20ms" "--rate 10mbit"; do
	# shellcheck disable=SC2086 # two words on purpose
	err=$("$FL_BIN" inject --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--direction egress $fault --duration 2s 2>&1 >/dev/null)
	rc=$?
	[[ $rc == 3 && $err == *CONFIG_NET_SCH_FQ* && $err == *sch_fq* ]]
	fl_ok $? "$fault without sch_fq: exit $rc, '$err'"
done
# ingress delay in a shared namespace is refused before anything else
err=$("$FL_BIN" inject --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction ingress --delay 20ms --duration 2s 2>&1 >/dev/null)
rc=$?
[[ $rc == 2 && $err == *"owns its network namespace"* ]]
fl_ok $? "ingress delay for a target in a shared namespace: exit $rc, '$err'"
before=$(ip netns exec "$FL_NS_CLI" tc qdisc show dev "$FL_IF_CLI")
fl_no_faultline_attached
fl_ok $? "nothing attached"
after=$(ip netns exec "$FL_NS_CLI" tc qdisc show dev "$FL_IF_CLI")
[[ $before == "$after" && $after != *clsact* ]]
fl_ok $? "the interface's qdiscs are untouched ($after)"
"$FL_BIN" features | grep -q '^sch_fq *no'
fl_ok $? "'faultline features' shows sch_fq missing"
fl_done
