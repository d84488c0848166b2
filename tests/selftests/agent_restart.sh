#!/usr/bin/env bash
# agent_restart: an agent's experiments outlive the agent (issue #14,
# crash safety). The agent pins each experiment's links and maps under
# --pin-dir (here a bpffs mount of this run's own), so `kill -9` of the
# agent leaves its faults running; the next agent takes them back
# (--on-restart adopt) or takes them off (clean); with no agent at all the
# kernel-side deadline ends them. On the host's tcx path and on the legacy
# clsact path (FAULTLINE_TC=legacy), each:
#   adopt: a spec-directory experiment (100 % egress UDP drop, 12 s, with a
#     tcp.retransmits condition too, so its tracepoint program is loaded
#     again and attached on the reused maps when taken back) is pinned (record, links, maps; files 0600); after kill -9 the target's
#     datagrams are still dropped; the restarted agent logs it taken back,
#     `status` shows it Started and it still drops; it ends Succeeded at
#     its original deadline (elapsed = duration, not duration + downtime);
#     then nothing is dropped, the pin directory is empty, nothing attached;
#   clean: an experiment submitted through the socket survives kill -9;
#     the agent restarted with --on-restart clean removes it before it
#     listens (nothing dropped, Aborted "removed at the agent's restart"),
#     the pin directory is empty and nothing is attached;
#   no restart: kill -9 and no agent: the faults end at the deadline by the
#     kernel's clock (datagrams pass), though the links are still pinned;
#     an agent started later removes them: with the default policy (tcx), or
#     with adopt (legacy), which ends it Succeeded "while no agent ran".
# The root qdisc restore (delay) needs sch_fq, which this host lacks.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq mountpoint
fl_require_traffic
fl_require_faultline

fl_plan 26
fl_setup
fl_start_servers
fl_pin_dir || fl_bail "cannot mount a bpffs instance under $FL_STATE"
fl_hold_run_lock || fl_bail "cannot take /run/faultline/lock"

SOCK=$FL_STATE/agent.sock
SPEC=$FL_STATE/spec
N=20			# datagrams per check
DUR=12			# seconds, the adopted experiment's duration
mkdir "$SPEC"

fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

# lost: sets r to the datagrams of N the target lost
lost()
{
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" "$N"
	r=$PING_LOST
}

# agent NAME POLICY: an agent on this run's socket, spec dir and pin dir,
# in the mode under test; waits until it listens
agent()
{
	fl_bg "$1" env "${TC_ENV[@]}" "$FL_BIN" agent --socket "$SOCK" --spec-dir "$SPEC" \
		--metrics-addr none --pin-dir "$FL_PIN" --on-restart "$2" --log-format json
	fl_wait_log "$1" "agent: listening on" 10
}

# kill9 NAME: SIGKILL, as a crash or an OOM kill would
kill9()
{
	{
		kill -KILL "$(fl_bg_pid "$1")"
		fl_wait "$1" 10
	} 2>/dev/null
}

status_of()
{
	"$FL_BIN" status --json --socket "$SOCK" |
		jq -c --arg n "$1" '[.[] | select(.name == $n)] | last // {}'
}

phase_of()
{
	status_of "$1" | jq -r '.phase // "none"'
}

# pins NAME: "ok" when NAME's directory holds its record, a link and the
# maps, every file 0600; else what it holds
pins()
{
	local d=$FL_PIN/$1 modes

	modes=$(find "$d" -mindepth 1 -printf '%m\n' 2>/dev/null | sort -u | tr '\n' ' ')
	if [[ -e $d/record && -n $(find "$d" -name 'link_*') && -e $d/map_fl_flows &&
	      $modes == "600 " && $(stat -c %a "$d") == 700 ]]; then
		echo ok
	else
		ls -l "$d" 2>&1 | tr '\n' ';'
	fi
}

pin_dir_empty()
{
	[[ -z $(ls -A "$FL_PIN" 2>/dev/null) ]]
}

for mode in tcx legacy; do
	if [[ $mode == legacy ]]; then TC_ENV=(FAULTLINE_TC=legacy); else TC_ENV=(FAULTLINE_TC=tcx); fi

	# ---- adopt ----
	name=adopt-$mode-$FL_RAND
	agent a1 clean || fl_bail "the agent did not start"
	fl_exp_drop_udp "$FL_STATE/a.yaml" "$name" "$FL_CG_TARGET" 1000000 "${DUR}s"
	echo "    - {name: retx, signal: tcp.retransmits, above: 1000000, window: 5s}" >>"$FL_STATE/a.yaml"
	mv "$FL_STATE/a.yaml" "$SPEC/a.yaml"
	fl_wait_for 10 eval '[[ $(phase_of $name) == Started ]]'
	p=$(pins "$name")
	[[ $p == ok ]]
	fl_ok $? "$mode adopt: the spec-dir experiment started and is pinned: record, links, maps, 0600 ($p)"
	lost
	[[ $r == "$N" ]]
	fl_ok $? "$mode adopt: the target's datagrams are dropped ($PING)"
	kill9 a1
	sleep 2		# a downtime the deadline must not be shifted by
	lost
	[[ $r == "$N" ]]
	fl_ok $? "$mode adopt: after kill -9 of the agent they are still dropped: the experiment survived ($PING)"
	agent a2 adopt &&
		fl_wait_log a2 "taken back from $FL_PIN/$name (--on-restart adopt)" 5
	st=$(status_of "$name")
	lost
	[[ $(jq -r .phase <<<"$st") == Started && $(jq -r .adopted <<<"$st") == true && $r == "$N" ]]
	fl_ok $? "$mode adopt: the restarted agent took it back: status $st; still dropping ($PING)"
	fl_wait_for $((DUR + 5)) eval '[[ $(phase_of $name) == Succeeded ]]'
	st=$(status_of "$name")
	jq -e '.phase == "Succeeded" and .elapsed_s >= .duration_s and .elapsed_s < .duration_s + 1' \
		<<<"$st" >/dev/null
	fl_ok $? "$mode adopt: it ended Succeeded at its original deadline, not a restarted one: $st"
	lost
	pin_dir_empty && [[ $r == 0 ]] && fl_no_faultline_attached
	fl_ok $? "$mode adopt: then nothing is dropped ($PING), the pin dir is empty ($(ls -A "$FL_PIN")), nothing attached"
	rm -f "$SPEC/a.yaml"
	fl_stop a2 TERM

	# ---- clean ----
	name=clean-$mode-$FL_RAND
	agent c1 clean || fl_bail "the agent did not start"
	fl_exp_drop_udp "$FL_STATE/c.yaml" "$name" "$FL_CG_TARGET" 1000000 60s
	fl_bg crun "$FL_BIN" run "$FL_STATE/c.yaml" --agent --socket "$SOCK" --json
	fl_wait_log crun "started in the agent" 10
	lost
	[[ $r == "$N" && $(pins "$name") == ok ]]
	fl_ok $? "$mode clean: a socket-submitted experiment drops ($PING) and is pinned"
	kill9 c1
	fl_wait crun 10 >/dev/null
	lost
	[[ $r == "$N" ]]
	fl_ok $? "$mode clean: after kill -9 it still drops ($PING)"
	agent c2 clean
	lost
	[[ $r == 0 ]] &&
		grep -q "removing what the previous agent left: .*on" "$FL_STATE/c2.err" &&
		grep -q "ended Aborted: removed at the agent's restart (--on-restart clean)" "$FL_STATE/c2.err" &&
		[[ $(phase_of "$name") == Aborted ]]
	fl_ok $? "$mode clean: the restarted agent removed it before listening: nothing dropped ($PING), logged, Aborted" ||
		fl_diag_file "$FL_STATE/c2.err"
	pin_dir_empty && fl_no_faultline_attached && ! fl_clsact_present
	fl_ok $? "$mode clean: the pin dir is empty, nothing attached, no clsact qdisc left"
	fl_stop c2 TERM

	# ---- no restart: the kernel's deadline ----
	name=nort-$mode-$FL_RAND
	agent n1 clean || fl_bail "the agent did not start"
	fl_exp_drop_udp "$FL_STATE/n.yaml" "$name" "$FL_CG_TARGET" 1000000 5s
	mv "$FL_STATE/n.yaml" "$SPEC/n.yaml"
	fl_wait_for 10 eval '[[ $(phase_of $name) == Started ]]'
	t0=$(fl_now_ms)
	kill9 n1
	rm -f "$SPEC/n.yaml"
	lost
	[[ $r == "$N" ]]
	fl_ok $? "$mode no restart: after kill -9 the faults run on ($PING)"
	sleep "$(awk -v t="$(($(fl_now_ms) - t0))" 'BEGIN { s = 6 - t / 1000; print (s > 0 ? s : 0) }')"
	lost
	[[ $r == 0 && $(pins "$name") == ok ]]
	fl_ok $? "$mode no restart: past the deadline the kernel passes every datagram ($PING) though the links are still pinned"
	if [[ $mode == tcx ]]; then
		policy=clean want="ended Aborted: removed at the agent's restart"
	else
		policy=adopt want="ended Succeeded: the duration elapsed while no agent ran"
	fi
	agent n2 "$policy"
	fl_wait_for 5 grep -q "$want" "$FL_STATE/n2.err" &&
		fl_wait_for 5 pin_dir_empty && fl_no_faultline_attached && ! fl_clsact_present
	fl_ok $? "$mode no restart: an agent started later with --on-restart $policy removed what was left ('$want')" ||
		fl_diag_file "$FL_STATE/n2.err"
	fl_stop n2 TERM
done

fl_done
