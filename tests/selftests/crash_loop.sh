#!/usr/bin/env bash
# crash_loop: faultline must never become the outage, whatever happens to
# its process. Each iteration runs an experiment (100 % egress UDP drop,
# plus a 20 ms TCP delay where sch_fq exists, and a condition) on the
# target, and at a random moment sends the loader SIGKILL, SIGSTOP (left
# stopped) or SIGTERM, alternating tcx and the legacy clsact path
# (FAULTLINE_TC=legacy). Then, per iteration:
#   - the target's UDP traffic passes again by the experiment's deadline
#     at the latest (min(start line, signal) + duration, plus 3 s of slack
#     for polling on a busy machine), with the loader still stopped or dead;
#   - a SIGTERMed run that ended by itself (exit 130) left nothing;
#   - after "faultline cleanup --netns" of the test's own namespaces
#     (scoped, so other runs on the machine are not touched), nothing of
#     faultline is left there: no filter, link or XDP program on the veths,
#     no program the loader held, no clsact qdisc, and the root qdisc is
#     the one from before.
# The same loop then signals "faultline agent" holding an experiment that
# "run --agent" submitted.
#
# The schedule comes from a seed, printed first; FL_CRASH_SEED=N replays
# it. FL_CRASH_ITERS (default 10) and FL_CRASH_AGENT_ITERS (default 4) set
# the counts; "make stress" runs 100 and 20. The worst time from the
# signal to passing traffic, and past the deadline, is printed at the end
# (tests/RELIABILITY.md keeps the record). Half the signals (seeded) come
# after the start line, the others from the launch, often while attaching.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic

ITERS=${FL_CRASH_ITERS:-10}
AGENT_ITERS=${FL_CRASH_AGENT_ITERS:-4}
SEED=${FL_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
DUR_S=3

# The whole schedule is drawn before anything else uses $RANDOM, so a
# seed replays the same signals at the same moments.
RANDOM=$SEED
SIGS=(KILL STOP TERM)
declare -a SCHED_SIG SCHED_MS SCHED_ARMED
for ((i = 0; i < ITERS + AGENT_ITERS; i++)); do
	SCHED_SIG[i]=${SIGS[RANDOM % 3]}
	SCHED_MS[i]=$((RANDOM % 2500))
	# from the start line (armed) or from the launch (often still
	# attaching: a slow guest takes longer than 2.5 s to arm)
	SCHED_ARMED[i]=$((RANDOM % 2))
done

fl_plan $((1 + ITERS + AGENT_ITERS + 1))
fl_diag "seed $SEED (FL_CRASH_SEED=$SEED replays this schedule)"
fl_setup
# servers for as long as the loop may take (fl_start_servers gives 300 s,
# which a loop of 100, or a TCG guest, outlives)
fl_server echo udp-echo --port "$FL_ECHO_PORT" --duration 3600 ||
	fl_bail "cannot start the echo server"
fl_bg_in holder "$FL_NS_CLI" "$FL_CG_TARGET" sleep 3600
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

# Delay needs sch_fq: the host has none, the VM kernels do. No TCP flows
# here: the delay is there for the fq root qdisc it installs, which must
# be put back (by the run, or by cleanup after a kill).
have_fq=0
if tc -n "$FL_NS_CLI" qdisc add dev "$FL_IF_CLI" root fq 2>/dev/null; then
	tc -n "$FL_NS_CLI" qdisc del dev "$FL_IF_CLI" root
	have_fq=1
fi
root_before=$(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI" root)
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 5 --timeout-ms 500
[[ $PING_REPLIES == 5 ]]
fl_ok $? "before: the target's UDP passes ($PING); sch_fq: $have_fq (delay in the experiment iff 1)"

exp_write()
{
	local file=$1 name=$2 delay=''

	((have_fq)) && delay="
    - name: delay-tcp
      direction: egress
      match: {protocol: tcp}
      delay: {time: 20ms}"
	cat >"$file" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: $name}
spec:
  duration: ${DUR_S}s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - name: drop-udp
      direction: egress
      match: {protocol: udp}
      drop: {percent: 100}$delay
  failureConditions:
    - name: never
      signal: faults.dropped
      window: ${DUR_S}s
      above: 1000000000
EOF
}

# The BPF programs a process holds open.
held_progs()
{
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u
}

# What is left in this test's namespaces and cgroups (fl_leftovers without
# its machine-wide program list: programs of other runs on the machine
# are not this test's).
scoped_leftovers()
{
	local id

	fl_leftovers | grep -v '^prog: '
	for id in $1; do
		bpftool prog show id "$id" >/dev/null 2>&1 && echo "program $id the loader held"
	done
	fl_clsact_present && echo "a clsact qdisc"
	[[ $(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI" root) == "$root_before" ]] ||
		echo "root qdisc: $(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI" root), was: $root_before"
	return 0
}

scoped_cleanup()
{
	local ns rc=0

	for ns in "$FL_NS_CLI" "$FL_NS_SRV"; do
		"$FL_BIN" cleanup --netns "/run/netns/$ns" >>"$FL_STATE/cleanup.out" 2>&1 || rc=$?
	done
	return "$rc"
}

worst_after_sig=0
worst_past_deadline=-999999
worst_desc=''

# one_round I KIND NAME PID STARTFILE: the loader (KIND run or agent,
# background job NAME, process PID; its start line goes to STARTFILE) is
# signalled per the schedule, then the checks above. Sets WHY and DESC.
one_round()
{
	local i=$1 kind=$2 name=$3 pid=$4 startf=$5 sig=${SCHED_SIG[$1]} at=${SCHED_MS[$1]}
	local progs started=0 t_sig t_start deadline t_pass=0 rc held_ok=1 left now

	WHY=''
	sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"
	progs=$(held_progs "$pid")
	grep -qF "started" "$startf" 2>/dev/null && started=1
	t_sig=$(fl_now_ms)
	kill -"$sig" "$pid" 2>/dev/null
	# The start line is printed once armed: the kernel's deadline is
	# at most that moment, or the signal's, plus the duration.
	t_start=$t_sig
	if ((started)); then
		t_start=$(date -r "$startf" +%s%3N)
		((t_start > t_sig)) && t_start=$t_sig
	fi
	deadline=$((t_start + DUR_S * 1000))
	# Stopped while it holds its faults: the drop must still be there
	# (else this test's traffic does not go through faultline at all).
	# Judged only when the ping ended before the deadline (a slow guest
	# may take longer to start the tool than the duration has left).
	if [[ $sig == STOP ]] && ((started && deadline - $(fl_now_ms) > 1000)); then
		fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 3 --timeout-ms 200
		if ((PING_REPLIES != 0 && $(fl_now_ms) < deadline - 100)); then
			held_ok=0
			WHY+=" stopped within the duration but the drop did not hold ($PING);"
		fi
	fi
	while :; do
		fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 3 --timeout-ms 200
		now=$(fl_now_ms)
		if [[ $PING_REPLIES == 3 ]]; then
			t_pass=$now
			break
		fi
		((now > deadline + 3000)) && break
	done
	if ((t_pass == 0)); then
		WHY+=" traffic still dropped $((now - deadline)) ms past the deadline ($PING);"
	else
		((t_pass - t_sig > worst_after_sig)) && worst_after_sig=$((t_pass - t_sig))
		if ((t_pass - deadline > worst_past_deadline)); then
			worst_past_deadline=$((t_pass - deadline))
			worst_desc="$kind $sig at +${at} ms"
		fi
	fi
	# End it: a stopped loader gets SIGKILL (it never runs again); a
	# SIGTERMed one finishes by itself.
	[[ $sig == STOP ]] && kill -KILL "$pid" 2>/dev/null
	fl_wait "$name" 15
	rc=$?
	if [[ $sig == TERM && $kind == run && $rc == 130 ]]; then
		left=$(scoped_leftovers "$progs")
		[[ -z $left ]] || WHY+=" SIGTERM, exit 130, yet left: $(tr '\n' ';' <<<"$left")"
	fi
	if ! scoped_cleanup; then
		WHY+=" cleanup --netns failed: $(tail -n 2 "$FL_STATE/cleanup.out" | tr '\n' ' ');"
	fi
	fl_wait_for 3 eval '[[ -z $(scoped_leftovers "$progs") ]]'
	left=$(scoped_leftovers "$progs")
	[[ -z $left ]] || WHY+=" after cleanup, left: $(tr '\n' ';' <<<"$left")"
	DESC="$kind $sig at +${at} ms ($( ((started)) && echo armed || echo arming)), exit $rc, traffic back $((t_pass ? t_pass - t_sig : -1)) ms after the signal"
	((held_ok)) && [[ -z $WHY ]]
}

for ((i = 0; i < ITERS; i++)); do
	tcmode=tcx
	((i % 2)) && tcmode=legacy
	exp_write "$FL_STATE/run$i.yaml" "crash$i-$FL_RAND"
	envs=()
	[[ $tcmode == legacy ]] && envs=(FAULTLINE_TC=legacy)
	fl_bg "run$i" env "${envs[@]}" "$FL_BIN" run "$FL_STATE/run$i.yaml" --json
	((SCHED_ARMED[i])) && fl_wait_log "run$i" "started" 30 >/dev/null
	# 2>/dev/null: the shell's "Killed" notices when it reaps the loader
	one_round "$i" run "run$i" "$(fl_bg_pid "run$i")" "$FL_STATE/run$i.err" 2>/dev/null
	fl_ok $? "run #$i $tcmode: $DESC" || fl_diag "$WHY" "$(tail -n 3 "$FL_STATE/run$i.err")"
done

SOCK=$FL_STATE/agent.sock
for ((j = 0; j < AGENT_ITERS; j++)); do
	i=$((ITERS + j))
	rm -f "$SOCK"
	fl_bg "agent$j" "$FL_BIN" agent --socket "$SOCK" --spec-dir "$FL_STATE/spec$j" \
		--metrics-addr none --pin-dir "$FL_STATE/pin$j"
	mkdir -p "$FL_STATE/spec$j"
	if ! fl_wait_for 10 test -S "$SOCK"; then
		fl_ok 1 "agent #$j: the agent did not listen" || fl_diag_file "$FL_STATE/agent$j.err"
		continue
	fi
	exp_write "$FL_STATE/agent$j.yaml" "acrash$j-$FL_RAND"
	fl_bg "client$j" "$FL_BIN" run "$FL_STATE/agent$j.yaml" --agent --socket "$SOCK" --json
	# The start is the client's line; the signal goes to the agent, always
# after it (the agent arms only once it has the experiment).
	fl_wait_log "client$j" "started in the agent" 10 ||
		fl_diag "agent #$j: no start line; signalling anyway"
	one_round "$i" agent "agent$j" "$(fl_bg_pid "agent$j")" "$FL_STATE/client$j.err" 2>/dev/null
	fl_ok $? "agent #$j: $DESC" || fl_diag "$WHY" "$(tail -n 3 "$FL_STATE/agent$j.err")"
	{
		kill -KILL "$(fl_bg_pid "client$j")"
		fl_wait "client$j" 5
	} 2>/dev/null
done

((worst_past_deadline > -999999))
fl_ok $? "seed $SEED: worst time to passing traffic: $worst_after_sig ms after the signal; $worst_past_deadline ms relative to the deadline ($worst_desc)"
fl_done
