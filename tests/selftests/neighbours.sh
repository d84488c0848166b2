#!/usr/bin/env bash
# neighbours: programs that are not faultline's keep working, keep their
# order and remain after faultline stops; two faultline runs on one
# interface with different targets do not interfere (README "Neighbours").
# On the client veth, before faultline starts:
#   - xdp-filter (Debian's xdp-tools, native mode, in a mount namespace of
#     this test with its own bpffs) drops replies from UDP port 7093;
#   - a tcx egress link (tests/lib/fl_tcx_neighbour) drops UDP to 7092;
#   - a legacy clsact filter ('tc filter ... bpf da obj', prio 10) drops
#     UDP to 7091.
# Each counts what it sees. xdp-filter's program is a plain one here: this
# host's kernel refuses the freplace programs libxdp's dispatcher is made
# of, and libxdp falls back (the dispatcher case runs in the VMs,
# tests/vm/xdp_dispatcher.sh). faultline, on a target that owns the
# namespace (where it would choose XDP), takes tc ingress beside it; with
# FAULTLINE_INGRESS=xdp it refuses before attaching anything. Its drop of
# UDP to 7000 works while every neighbour's drop goes on, their counters
# grow, their ids and order stay (tcx: the neighbour first; clsact: prio
# 10 first), on tcx and on the legacy path, and nothing of theirs changes
# after faultline ends. Then two runs on two cgroups of one namespace:
# each drops only its target's UDP, and stopping one leaves the other
# armed, on tcx and on the legacy path (each run its own filter priority).
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool jq nsenter unshare xdp-filter
fl_require_traffic
fl_require_faultline
NB=$FL_OUTPUT/tests/lib/fl_tcx_neighbour
NB_LEGACY=$FL_OUTPUT/tests/bpf/nb_legacy.bpf.o
NB_TCX=$FL_OUTPUT/tests/bpf/nb_tcx.bpf.o
[[ -x $NB && -f $NB_LEGACY && -f $NB_TCX ]] || fl_skip_all "no $NB or nb_*.bpf.o: run make all"

fl_plan 22

fl_setup
fl_start_servers
for p in 7091 7092 7093 7094; do
	fl_server "echo$p" udp-echo --port "$p" --duration 300 || fl_bail "cannot start udp-echo on $p"
done
OTHER=$FL_CG/other
mkdir "$OTHER" && FL_CGROUPS+=("$OTHER") || fl_bail "cannot create $OTHER"
# the target alone lives in the client namespace: it owns it (a pod)
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

# replies CG PORT: how many of 10 UDP pings from CG to PORT come back
replies()
{
	local out

	out=$(fl_traffic "$FL_NS_CLI" "$1" udp-ping --dst "$FL_SRV4" --port "$2" --count 10 \
		--timeout-ms 100)
	fl_kv "$out" replies || echo -1
}

# ---- the neighbours ----
# xdp-filter pins its maps in bpffs: a private one, in a mount namespace
# that lives as long as the test, so that runs never share xdp-filter state
fl_bg mntns unshare -m --propagation private sh -c \
	'mount -t bpf bpf /sys/fs/bpf && echo ready && exec sleep 300'
fl_wait_for 5 grep -q ready "$FL_STATE/mntns.out" || fl_bail "no private bpffs"
MNT=$(pgrep -P "$(fl_bg_pid mntns)" sleep || fl_bg_pid mntns)
xdpf()
{
	nsenter -t "$MNT" -m --net="/run/netns/$FL_NS_CLI" xdp-filter "$@"
}
xdpf load --mode native "$FL_IF_CLI" >"$FL_STATE/xdpf.log" 2>&1 &&
	xdpf port 7093 --mode src --proto udp >>"$FL_STATE/xdpf.log" 2>&1 ||
	fl_bail "xdp-filter did not load: $(cat "$FL_STATE/xdpf.log")"
# xdp_id: the XDP program on the client veth
xdp_id()
{
	ip -n "$FL_NS_CLI" -d -j link show dev "$FL_IF_CLI" | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // 0'
}
# xdpf_hits: xdp-filter's hit counter for port 7093
xdpf_hits()
{
	xdpf status 2>/dev/null | awk '$1 == 7093 { print $NF; exit }'
}

tc -n "$FL_NS_CLI" qdisc add dev "$FL_IF_CLI" clsact &&
	tc -n "$FL_NS_CLI" filter add dev "$FL_IF_CLI" egress prio 10 handle 1 bpf da \
		obj "$NB_LEGACY" sec tc || fl_bail "cannot add the legacy clsact filter"
# legacy: "prio ID" of the egress filters, in the order tc runs them
legacy()
{
	tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress |
		awk '/ bpf / { for (i = 1; i < NF; i++) { if ($i == "pref") p = $(i + 1); if ($i == "id") print p ":" $(i + 1) } }' |
		sort -t: -k1,1n -u | paste -sd' ' -
}
fl_bg tcxnb "$NB" attach "$NB_TCX" "/run/netns/$FL_NS_CLI" "$FL_IF_CLI" egress
fl_wait_for 5 grep -q prog_id= "$FL_STATE/tcxnb.out" || fl_bail "the tcx neighbour did not attach"
TCX_ID=$(fl_kv "$(cat "$FL_STATE/tcxnb.out")" prog_id)
TCX_MAP=$(fl_kv "$(cat "$FL_STATE/tcxnb.out")" map_id)
LEG_ID=$(legacy)
LEG_ID=${LEG_ID#10:}
LEG_MAP=$(bpftool prog show id "$LEG_ID" -j | jq -r '.map_ids[0]')
tcx_chain()
{
	ip netns exec "$FL_NS_CLI" "$NB" query "$FL_IF_CLI" egress
}
# count MAP KEY: a neighbour's counter (a little-endian u64)
count()
{
	local hex

	hex=$(bpftool map lookup id "$1" key "$2" 0 0 0 -j |
		jq -r '.value | reverse | map(ltrimstr("0x")) | join("")')
	echo $((16#${hex:-0}))
}
XDP_ID=$(xdp_id)

# snap: the neighbours' state, for comparing before, during and after
snap()
{
	echo "xdp=$(xdp_id) tcx=$(tcx_chain) legacy=$(legacy)"
}
BEFORE=$(snap)
r91=$(replies "$FL_CG_TARGET" 7091)
r92=$(replies "$FL_CG_TARGET" 7092)
r93=$(replies "$FL_CG_TARGET" 7093)
r94=$(replies "$FL_CG_TARGET" 7094)
r00=$(replies "$FL_CG_TARGET" 7000)
[[ $XDP_ID != 0 && -n $TCX_ID && -n $LEG_ID && $r91 == 0 && $r92 == 0 && $r93 == 0 &&
	$r94 == 10 && $r00 == 10 ]]
fl_ok $? "before: each neighbour drops its port (7091 $r91, 7092 $r92, 7093 $r93 of 10 back), 7094 and 7000 pass ($r94, $r00); $BEFORE" ||
	fl_bail "the neighbours do not work without faultline"

# neighbours_work WHEN: each neighbour still drops its port and counts
neighbours_work()
{
	local c_tcx c_leg hits b91 b92 b93

	c_tcx=$(count "$TCX_MAP" 1)
	c_leg=$(count "$LEG_MAP" 1)
	hits=$(xdpf_hits)
	b91=$(replies "$FL_CG_TARGET" 7091)
	b92=$(replies "$FL_CG_TARGET" 7092)
	b93=$(replies "$FL_CG_TARGET" 7093)
	[[ $b91 == 0 && $b92 == 0 && $b93 == 0 &&
		$(count "$TCX_MAP" 1) -ge $((c_tcx + 10)) &&
		$(count "$LEG_MAP" 1) -ge $((c_leg + 10)) &&
		$(xdpf_hits) -ge $((hits + 10)) ]]
	fl_ok $? "$1: the neighbours still drop their ports (7091 $b91, 7092 $b92, 7093 $b93 back) and count them (tcx $(count "$TCX_MAP" 1), legacy $(count "$LEG_MAP" 1), xdp-filter $(xdpf_hits))"
}

# ---- FAULTLINE_INGRESS=xdp: refused, nothing attached ----
FAULTLINE_INGRESS=xdp "$FL_BIN" inject --cgroup "$FL_CG_TARGET" --proto udp --port 7000 \
	--drop 100 --duration 3s >/dev/null 2>"$FL_STATE/xdp.err"
rc=$?
err=$(grep -m 1 "XDP program" "$FL_STATE/xdp.err")
[[ $rc == 3 && $err == *"already has an XDP program (id $XDP_ID"*"FAULTLINE_INGRESS=tc"* &&
	$(snap) == "$BEFORE" ]]
fl_ok $? "FAULTLINE_INGRESS=xdp beside xdp-filter: refused before attaching (exit $rc: $err)"

# ---- one run, on tcx and on the legacy path ----
# one_run LABEL [VAR=VALUE]: faultline drops the target's UDP to 7000
# beside the neighbours, which keep working and keep their order
one_run()
{
	local label=$1 during hooks order
	shift

	fl_faultline_start "$label" "$@" --cgroup "$FL_CG_TARGET" --proto udp --port 7000 \
		--drop 100 --duration 6s
	fl_wait_armed "$label" || fl_bail "faultline ($label) did not start"
	hooks=$(grep -m 1 "started" "$FL_STATE/$label.err")
	during=$(snap)
	r00=$(replies "$FL_CG_TARGET" 7000)
	r94=$(replies "$FL_CG_TARGET" 7094)
	[[ $r00 == 0 && $r94 == 10 && $hooks != *xdp* && $hooks == *_ingress* ]]
	fl_ok $? "$label: faultline drops the target's UDP to 7000 ($r00 of 10 back; 7094: $r94), ingress beside XDP: $hooks"
	neighbours_work "$label, during"
	# the neighbours' programs are the same, first in their chains
	order=1
	[[ $(xdp_id) == "$XDP_ID" ]] || order=0
	[[ $(tcx_chain) == "$TCX_ID"* ]] || order=0
	[[ $(legacy) == "10:$LEG_ID"* ]] || order=0
	fl_ok $((1 - order)) "$label, during: xdp $XDP_ID kept, tcx chain '$(tcx_chain)' starts with $TCX_ID, clsact '$(legacy)' starts with prio 10 $LEG_ID"
	fl_wait "$label" 15
	rc=$?
	[[ $rc == 0 && $(snap) == "$BEFORE" ]]
	fl_ok $? "$label: ends Succeeded (exit $rc) and the neighbours are exactly as before ($(snap))"
	r00=$(replies "$FL_CG_TARGET" 7000)
	[[ $r00 == 10 ]]
	fl_ok $? "$label, after: the target's UDP to 7000 passes again ($r00 of 10)"
	neighbours_work "$label, after"
}
one_run tcx
one_run legacy FAULTLINE_TC=legacy
[[ $(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI" | grep -c clsact) == 1 ]]
fl_ok $? "the clsact qdisc faultline found (and did not create) is still there"

# ---- two runs, two targets, one interface ----
fl_bg_in byst "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 300
fl_bg_in other "$FL_NS_CLI" "$OTHER" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_BYSTANDER/cgroup.procs) -ge 1 && \$(wc -l <$OTHER/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the bystander's processes did not enter their cgroups"
FAULT=(--proto udp --port 7000 --drop 100 --duration 30s)
fl_faultline_start runA --cgroup "$FL_CG_TARGET" "${FAULT[@]}" --name "a$FL_RAND"
fl_faultline_start runB --cgroup "$FL_CG_BYSTANDER" "${FAULT[@]}" --name "b$FL_RAND"
fl_wait_armed runA && fl_wait_armed runB || fl_bail "the two runs did not both start"
ra=$(replies "$FL_CG_TARGET" 7000)
rb=$(replies "$FL_CG_BYSTANDER" 7000)
ro=$(replies "$OTHER" 7000)
chain=$(tcx_chain)
[[ $ra == 0 && $rb == 0 && $ro == 10 && $(wc -w <<<"$chain") == 3 && $chain == "$TCX_ID "* ]]
fl_ok $? "two runs: A's target $ra, B's target $rb, a third cgroup $ro of 10 back; tcx chain '$chain'"
fl_stop runB TERM
rc=$?
rb=$(replies "$FL_CG_BYSTANDER" 7000)
ra=$(replies "$FL_CG_TARGET" 7000)
[[ $rc == 130 && $rb == 10 && $ra == 0 ]] && fl_bg_alive runA
fl_ok $? "B stopped (exit $rc): B's target back ($rb of 10), A still armed ($ra of 10 back)"
fl_stop runA TERM
ra=$(replies "$FL_CG_TARGET" 7000)
[[ $ra == 10 && $(snap) == "$BEFORE" ]]
fl_ok $? "A stopped: its target back ($ra of 10), the neighbours as before"

# legacy: each run takes a filter priority of its own on the device
fl_faultline_start lA FAULTLINE_TC=legacy --cgroup "$FL_CG_TARGET" "${FAULT[@]}" --name "la$FL_RAND"
fl_faultline_start lB FAULTLINE_TC=legacy --cgroup "$FL_CG_BYSTANDER" "${FAULT[@]}" --name "lb$FL_RAND"
fl_wait_armed lA && fl_wait_armed lB || fl_bail "the two legacy runs did not both start: $(head -n 2 "$FL_STATE/lB.err")"
ra=$(replies "$FL_CG_TARGET" 7000)
rb=$(replies "$FL_CG_BYSTANDER" 7000)
ro=$(replies "$OTHER" 7000)
[[ $ra == 0 && $rb == 0 && $ro == 10 && $(legacy) == "10:$LEG_ID"* ]]
fl_ok $? "legacy path, two runs: A's target $ra, B's target $rb, a third cgroup $ro of 10 back; clsact '$(legacy)'"
fl_stop lB TERM
rc=$?
rb=$(replies "$FL_CG_BYSTANDER" 7000)
ra=$(replies "$FL_CG_TARGET" 7000)
ok=1
[[ $rc == 130 && $rb == 10 && $ra == 0 ]] && fl_bg_alive lA && ok=0
fl_stop lA TERM
[[ $ok == 0 && $(snap) == "$BEFORE" ]]
fl_ok $? "legacy path: B stopped (exit $rc): B's target back ($rb of 10), A still armed ($ra of 10 back); after A the neighbours are as before"

neighbours_work "at the end"
# the neighbours go (the leftover check counts anything on the veth)
xdpf unload "$FL_IF_CLI" >/dev/null 2>&1
fl_stop tcxnb TERM
tc -n "$FL_NS_CLI" qdisc del dev "$FL_IF_CLI" clsact
fl_no_faultline_attached
fl_ok $? "nothing of faultline's attached after the test"
fl_done
