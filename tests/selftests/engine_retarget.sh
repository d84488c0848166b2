#!/usr/bin/env bash
# engine_retarget: targets added to and removed from a running experiment,
# through the engine itself (tests/lib/fl_engine_retarget), the way the
# node agent follows pods that come and go. The experiment drops every
# UDP datagram its targets send, with legacy clsact filters so that what
# is attached can be seen with tc.
#   A  its target at the start: a cgroup in the client namespace, which a
#      bystander shares
#   C  added while it runs: a cgroup whose process lives in a third
#      namespace that the experiment did not cover, so adding it attaches
#      there; removing it takes the filter and the clsact off again
#   D  the target of a second experiment in the same engine: adding it is
#      refused (targets overlap)
#   B  the bystander in A's namespace, whose datagrams passed beside A's:
#      added, it is faulted on the filter already there; removed, it passes
# Would fail if an added target were not faulted, if a removed one still
# were, if the namespace C brought kept faultline's filter, if the job
# restarted (its start and deadline are its own), or if the report lost
# a removed target's counters.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc jq mkfifo
fl_require_traffic
fl_require_faultline
TOOL=$FL_OUTPUT/tests/lib/fl_engine_retarget
[[ -x $TOOL ]] || fl_skip_all "no $TOOL: run make all"

fl_plan 17
fl_setup
fl_start_servers

NS3=fl3_$FL_RAND
IF3=fl3a$FL_RAND		# in NS3
IF3S=fl3b$FL_RAND		# its peer, in the server namespace
SRV3=198.18.1.1
CLI3=198.18.1.2
CG_C=$FL_CG/c
CG_EMPTY=$FL_CG/empty
ip netns add "$NS3" && FL_NETNS+=("$NS3") && ip -n "$NS3" link set lo up &&
	ip link add "$IF3" netns "$NS3" type veth peer name "$IF3S" netns "$FL_NS_SRV" &&
	ip -n "$FL_NS_SRV" addr add "$SRV3/24" dev "$IF3S" &&
	ip -n "$NS3" addr add "$CLI3/24" dev "$IF3" &&
	ip -n "$FL_NS_SRV" link set "$IF3S" up && ip -n "$NS3" link set "$IF3" up &&
	fl_wait_for 5 ip netns exec "$NS3" ping -c 1 -W 1 -q "$SRV3" >/dev/null ||
	fl_bail "cannot set up the third namespace"
mkdir "$CG_C" "$CG_EMPTY" && FL_CGROUPS+=("$CG_C" "$CG_EMPTY") || fl_bail "cannot create cgroups"
# D: the other experiment's target, alone in a namespace with a veth pair
NS4=fl4_$FL_RAND
IF4=fl4a$FL_RAND
CG_D=$FL_CG/d
ip netns add "$NS4" && FL_NETNS+=("$NS4") &&
	ip -n "$NS4" link add "$IF4" type veth peer name "fl4b$FL_RAND" &&
	ip -n "$NS4" link set "$IF4" up && mkdir "$CG_D" && FL_CGROUPS+=("$CG_D") ||
	fl_bail "cannot set up D's namespace"

fl_bg_in holda "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
fl_bg_in holdb "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 120
fl_bg_in holdc "$NS3" "$CG_C" sleep 120
fl_bg_in holdd "$NS4" "$CG_D" sleep 120
for cg in "$FL_CG_TARGET" "$FL_CG_BYSTANDER" "$CG_C" "$CG_D"; do
	fl_wait_for 5 grep -q . "$cg/cgroup.procs" || fl_bail "no process entered $cg"
done

# lost NS CG DST: sets r to the datagrams lost of 10 from CG in NS
lost()
{
	local out

	out=$(fl_traffic "$1" "$2" udp-ping --dst "$3" --port "$FL_ECHO_PORT" --count 10 \
		--interval-us 2000 --timeout-ms 300)
	r=$(($(fl_kv "$out" sent) - $(fl_kv "$out" replies)))
}
lost_a() { lost "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_SRV4"; }
lost_b() { lost "$FL_NS_CLI" "$FL_CG_BYSTANDER" "$FL_SRV4"; }
lost_c() { lost "$NS3" "$CG_C" "$SRV3"; }

# say CMD: send a command and wait for its answer (the Nth line answered)
N_ANS=0
say()
{
	echo "$1" >&7
	N_ANS=$((N_ANS + 1))
	fl_wait_for 15 eval '(($(grep -c "^\(added\|removed\|error\)" "$FL_STATE/retarget.out") >= N_ANS))' ||
		return 1
	ANS=$(grep "^\(added\|removed\|error\)" "$FL_STATE/retarget.out" | sed -n "${N_ANS}p")
	fl_log "$1 -> $ANS"
}

fl_exp_drop_udp "$FL_STATE/x.yaml" retarget "$FL_CG_TARGET" 1000000 60s
# beside it in the same engine, on D (its own namespace, so that the
# legacy filters of the two never share an interface)
cat >"$FL_STATE/other.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: other}
spec:
  duration: 60s
  targets: [{cgroup: $CG_D}]
  faults: [{name: tcp-only, direction: egress, match: {protocol: tcp}, drop: {percent: 100}}]
  failureConditions: [{name: never, signal: faults.dropped, above: 1000000}]
EOF
mkfifo "$FL_STATE/cmd" || fl_bail "mkfifo failed"
FAULTLINE_TC=legacy fl_bg retarget bash -c 'exec "$0" "$1" "$2" "$3" <"$4"' "$TOOL" \
	"$FL_STATE/x.yaml" "$FL_STATE/report.json" "$FL_STATE/other.yaml" "$FL_STATE/cmd"
exec 7>"$FL_STATE/cmd"
fl_wait_for 10 grep -q '^started retarget' "$FL_STATE/retarget.out"
fl_ok $? "the experiment runs on A" || fl_bail "$(cat "$FL_STATE/retarget.err")"

lost_a && la=$r && lost_c && lc=$r && lost_b && lb=$r
[[ $la == 10 && $lc == 0 && $lb == 0 ]] && ! tc -n "$NS3" qdisc show dev "$IF3" | grep -q clsact
fl_ok $? "before C is added: A loses 10 of 10, C $lc, the bystander $lb; nothing on $IF3"

say "add cgroup $CG_C" && [[ $ANS == "added $CG_C rc=0" ]]
fl_ok $? "C added while it runs ($ANS)"
tc -n "$NS3" filter show dev "$IF3" egress 2>&1 | grep -q 'fl_cls_eg'
fl_ok $? "faultline's egress filter is on $IF3, in the namespace C brought" ||
	fl_diag "$(tc -n "$NS3" filter show dev "$IF3" egress 2>&1)"
lost_c && lc=$r && lost_a && la=$r && lost_b && lb=$r
[[ $lc == 10 && $la == 10 && $lb == 0 ]]
fl_ok $? "C loses 10 of 10 from then on, A still 10 ($la), the bystander $lb"

say "add cgroup $CG_C" && [[ $ANS == "error $CG_C: "*"already a target"*"rc=-17" ]]
fl_ok $? "adding C twice is refused ($ANS)"
say "add cgroup $CG_EMPTY" && [[ $ANS == "error $CG_EMPTY: "*"no process runs in"*"rc=-22" ]]
fl_ok $? "a cgroup with no process is refused, naming why ($ANS)"
say "add cgroup $FL_CG/none" && [[ $ANS == "error $FL_CG/none: "*"rc=-22" ]]
fl_ok $? "a cgroup that does not exist is refused ($ANS)"
say "add cgroup $CG_D" &&
	[[ $ANS == "error $CG_D: targets overlap: "*"the running experiment other"*"rc=-16" ]] &&
	[[ $(tc -n "$NS4" filter show dev "$IF4" egress | grep -c fl_cls_eg) == 1 ]]
fl_ok $? "a target of another running experiment is refused, nothing added there ($ANS)" ||
	fl_diag "$(tc -n "$NS4" filter show dev "$IF4" egress)"

say "remove $CG_C" && [[ $ANS == "removed $CG_C rc=0" ]]
fl_ok $? "C removed ($ANS)"
! tc -n "$NS3" filter show dev "$IF3" egress 2>&1 | grep -q 'fl_cls_eg' &&
	! tc -n "$NS3" qdisc show dev "$IF3" | grep -q clsact
fl_ok $? "its filter and the clsact faultline made are off $IF3" ||
	fl_diag "$(tc -n "$NS3" qdisc show dev "$IF3"; tc -n "$NS3" filter show dev "$IF3" egress)"
lost_c && lc=$r && lost_a && la=$r
[[ $lc == 0 && $la == 10 ]]
fl_ok $? "C's datagrams pass again ($lc lost) while A still loses 10 of 10 ($la)"

lost_b && lb=$r && say "add cgroup $FL_CG_BYSTANDER" && [[ $ANS == "added $FL_CG_BYSTANDER rc=0" ]] &&
	lost_b && [[ $lb == 0 && $r == 10 ]] && lost_a && [[ $r == 10 ]]
fl_ok $? "B, the bystander beside A, added: it loses 10 of 10 from then on ($lb before; $ANS)"
say "remove $FL_CG_BYSTANDER" && [[ $ANS == "removed $FL_CG_BYSTANDER rc=0" ]] && lost_b && lb=$r &&
	lost_a && [[ $lb == 0 && $r == 10 ]]
fl_ok $? "B removed: it passes again ($lb lost) while A still loses 10 of 10 ($r)"

say "remove $FL_CG_TARGET" && lost_a && la=$r && say "remove $FL_CG_TARGET" &&
	[[ $la == 0 && $ANS == "error $FL_CG_TARGET: "*"not a target"*"rc=-2" ]]
fl_ok $? "A removed too: it passes ($la lost); removing it again is refused ($ANS)"

say "add cgroup $CG_C" && [[ $ANS == "added $CG_C rc=0" ]] && lost_c && [[ $r == 10 ]]
fl_ok $? "C added again: a new target id, faulted again ($r of 10)"

echo stop >&7
exec 7>&-
fl_wait retarget 15
rep=$FL_STATE/report.json
jq -e --arg a "$FL_CG_TARGET" --arg b "$FL_CG_BYSTANDER" --arg c "$CG_C" '
	.state == "Aborted" and (.targets | length) == 4 and
	(.targets[0] | .ref == $a and .removed == true and .added != true and .egress.dropped == 50) and
	(.targets[1] | .ref == $c and .removed == true and .added == true and .egress.dropped == 10) and
	(.targets[2] | .ref == $b and .removed == true and .added == true and .egress.dropped == 10) and
	(.targets[3] | .ref == $c and .removed != true and .added == true and .egress.dropped == 10) and
	.totals.egress.dropped == 80 and .elapsed_s < 60' "$rep" >/dev/null
fl_ok $? "the report keeps every target's counters, marked added and removed, in one run" ||
	fl_diag "$(jq -c '{state, elapsed_s, t: [.targets[] | {ref, added, removed, d: .egress.dropped}], tot: .totals.egress.dropped}' "$rep" 2>&1)"
fl_done
