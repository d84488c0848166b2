#!/usr/bin/env bash
# retarget (VM: needs sch_fq): a target added to a running delay
# experiment (through the engine: tests/lib/fl_engine_retarget) in a
# namespace the run did not cover gets fq as its interface's root and
# its packets delayed; removed, the root it had comes back exactly as it
# was, while the first target's fq and delay stay. Would fail if an added
# target's namespace got the programs but no fq (no delay), or if removal
# left fq behind or took the other target's.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc jq mkfifo ping
fl_require_traffic
fl_require_faultline
TOOL=$FL_OUTPUT/tests/lib/fl_engine_retarget
[[ -x $TOOL ]] || fl_skip_all "no $TOOL: run make all"

fl_plan 8
fl_setup

NS3=fl3_$FL_RAND
IF3=fl3a$FL_RAND
IF3S=fl3b$FL_RAND
SRV3=198.18.1.1
CLI3=198.18.1.2
CG_C=$FL_CG/c
ip netns add "$NS3" && FL_NETNS+=("$NS3") && ip -n "$NS3" link set lo up &&
	ip link add "$IF3" netns "$NS3" type veth peer name "$IF3S" netns "$FL_NS_SRV" &&
	ip -n "$FL_NS_SRV" addr add "$SRV3/24" dev "$IF3S" &&
	ip -n "$NS3" addr add "$CLI3/24" dev "$IF3" &&
	ip -n "$FL_NS_SRV" link set "$IF3S" up && ip -n "$NS3" link set "$IF3" up &&
	fl_wait_for 5 ip netns exec "$NS3" ping -c 1 -W 1 -q "$SRV3" >/dev/null ||
	fl_bail "cannot set up the third namespace"
mkdir "$CG_C" && FL_CGROUPS+=("$CG_C") || fl_bail "cannot create $CG_C"
# a root of its own on C's interface, to be given back as it was
ip netns exec "$NS3" tc qdisc replace dev "$IF3" root fq_codel limit 1234 target 7ms
before=$(tc -n "$NS3" qdisc show dev "$IF3" root)

fl_bg_in holda "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
fl_bg_in holdc "$NS3" "$CG_C" sleep 120
for cg in "$FL_CG_TARGET" "$CG_C"; do
	fl_wait_for 5 grep -q . "$cg/cgroup.procs" || fl_bail "no process entered $cg"
done

# rtt NS CG DST: the average ping RTT in ms (5 echoes)
rtt()
{
	fl_run_in "$1" "$2" ping -c 5 -i 0.2 -W 2 -q "$3" 2>/dev/null |
		awk -F'/' '/^rtt|^round-trip/ { printf "%d", $5 }'
}

cat >"$FL_STATE/x.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: retarget-delay}
spec:
  duration: 60s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - {name: slow, direction: egress, match: {protocol: icmp}, delay: {time: 40ms}}
  failureConditions:
    - {name: never, signal: faults.dropped, above: 1000000}
EOF
mkfifo "$FL_STATE/cmd" || fl_bail "mkfifo failed"
fl_bg retarget bash -c 'exec "$0" "$1" "$2" <"$3"' "$TOOL" \
	"$FL_STATE/x.yaml" "$FL_STATE/report.json" "$FL_STATE/cmd"
exec 7>"$FL_STATE/cmd"
fl_wait_for 30 grep -q '^started retarget-delay' "$FL_STATE/retarget.out"
fl_ok $? "the delay experiment runs on A" || fl_bail "$(cat "$FL_STATE/retarget.err")"

ra=$(rtt "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_SRV4")
rc=$(rtt "$NS3" "$CG_C" "$SRV3")
((ra >= 40 && rc < 40)) && [[ $(tc -n "$NS3" qdisc show dev "$IF3" root) == "$before" ]]
fl_ok $? "before C is added: A's RTT ${ra} ms, C's ${rc} ms, C's root untouched"

echo "add cgroup $CG_C" >&7
fl_wait_for 30 grep -q "^\(added\|error\) $CG_C" "$FL_STATE/retarget.out"
grep -q "^added $CG_C rc=0" "$FL_STATE/retarget.out"
fl_ok $? "C added while it runs" || fl_diag_file "$FL_STATE/retarget.out"
now=$(tc -n "$NS3" qdisc show dev "$IF3" root)
[[ $now == *"qdisc fq "* || $now == *"qdisc mq fa17:"* ]]
fl_ok $? "fq is the root of C's interface now ($now)"
rc=$(rtt "$NS3" "$CG_C" "$SRV3")
((rc >= 40))
fl_ok $? "C's RTT is delayed from then on: ${rc} ms"

echo "remove $CG_C" >&7
fl_wait_for 30 grep -q "^\(removed\|error\) $CG_C" "$FL_STATE/retarget.out"
grep -q "^removed $CG_C rc=0" "$FL_STATE/retarget.out" &&
	[[ $(tc -n "$NS3" qdisc show dev "$IF3" root) == "$before" ]]
fl_ok $? "C removed: its interface's root is exactly as before" ||
	fl_diag "$(tail -n 3 "$FL_STATE/retarget.out"; tc -n "$NS3" qdisc show dev "$IF3" root)"
ra=$(rtt "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_SRV4")
rc=$(rtt "$NS3" "$CG_C" "$SRV3")
now=$(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI" root)
((ra >= 40 && rc < 40)) && [[ $now == *"qdisc fq "* || $now == *"qdisc mq fa17:"* ]]
fl_ok $? "A keeps its fq and delay (${ra} ms), C is not delayed (${rc} ms)"

echo stop >&7
exec 7>&-
fl_wait retarget 30
jq -e '.state == "Aborted" and (.targets | length) == 2 and
	(.targets[1] | .added == true and .removed == true and .egress.delayed >= 5)' \
	"$FL_STATE/report.json" >/dev/null
fl_ok $? "the report counts C's delayed packets, marked added and removed" ||
	fl_diag "$(jq -c '[.targets[] | {ref, added, removed, egress}]' "$FL_STATE/report.json" 2>&1)"
fl_done
