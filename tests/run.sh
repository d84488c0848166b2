#!/usr/bin/env bash
# Runs faultline's tests after 'make all': the unit tests (cmocka, TAP
# output), the BPF program tests and the netns selftests, in that order.
# Shows every program's output, counts its TAP results, and ends with one
# line: "N passed, N failed, N skipped". Exit 0 iff nothing failed.
#
# Usage: tests/run.sh [PATTERN]   only programs whose path contains PATTERN
# Environment:
#   V=1              verbose selftests (commands and logs)
#   FL_ALLOW_SKIP=1  as root, a skip is a skip; otherwise it is a failure
#   FL_TEST_TIMEOUT  seconds one program may run (default 300)
#   OUTPUT           build directory (default build)
#   FL_LEFTOVER_CHECK=0  do not judge fl* namespaces and cgroups that appear
#                    while a program runs (another test run on the same
#                    machine makes them too; CI runs alone and keeps it on)
set -u

cd "$(dirname "$0")/.." || exit 1
OUTPUT=${OUTPUT:-build}
V=${V:-0}
export OUTPUT V
pattern=${1:-}
timeout_s=${FL_TEST_TIMEOUT:-300}
strict_skip=0
if [[ $(id -u) == 0 && ${FL_ALLOW_SKIP:-0} != 1 ]]; then
	strict_skip=1
fi

passed=0
failed=0
skipped=0
interrupted=0
failures=()			# "program: description" of each failure
tmp=$(mktemp -d /tmp/fl_run.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
pidf=$tmp/pid
rcf=$tmp/rc

# Each program, with how to run it.
progs=()
# FL_RUN_PROGS names the programs instead (the VM suites use it)
# shellcheck disable=SC2206 # a list of paths without blanks
candidates=(${FL_RUN_PROGS:-"$OUTPUT"/tests/unit/test_* "$OUTPUT"/tests/bpf/test_* tests/selftests/*.sh})
for f in "${candidates[@]}"; do
	[[ -f $f ]] || continue
	[[ $f == *.sh || -x $f ]] || continue
	[[ -z $pattern || $f == *"$pattern"* ]] || continue
	progs+=("$f")
done

fail()
{
	failed=$((failed + 1))
	failures+=("$1")
}

skip()
{
	if ((strict_skip)); then
		echo "# SKIP counts as a failure when run as root (FL_ALLOW_SKIP=1 allows it): $1"
		fail "$1 (skipped)"
	else
		echo "# SKIP: $1"
		skipped=$((skipped + 1))
	fi
}

# Counts the TAP results of one program's output. Result lines start at
# the first column; cmocka prints a skip as "not ok N # SKIP name".
count()
{
	local prog=$1 rc=$2 line desc n_results=0 n_not_ok=0 plan=0 planned=0 skip_reason='' bail='' plan_err=''

	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok([[:space:]]|$) ]]; then
			n_results=$((n_results + 1))
			desc=${line#not }
			desc=${desc#ok}
			desc=${desc# }
			if [[ $line =~ \#[[:space:]]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo]) ]]; then
				skip "$prog: $desc"
			elif [[ $line == not* ]]; then
				n_not_ok=$((n_not_ok + 1))
				fail "$prog: $desc"
			else
				passed=$((passed + 1))
			fi
		elif [[ $line == "Bail out!"* ]]; then
			bail=${line#Bail out!}
		elif [[ $line =~ ^1\.\.([0-9]+)(.*) ]]; then
			plan=1
			planned=$((planned + BASH_REMATCH[1]))
			if [[ ${BASH_REMATCH[2]} =~ \#[[:space:]]*[Ss][Kk][Ii][Pp][[:space:]]*(.*) ]]; then
				skip_reason=${BASH_REMATCH[1]}
			fi
		fi
	done <"$log"

	((interrupted)) && return
	# The plan: every program states how many results it gives ("1..N",
	# first or last; cmocka prints one per group, and they add up). A
	# program that gives fewer has tests that never ran, one that gives
	# more counted wrong, and without a plan a program that stops early
	# cannot be told from one that finished.
	if ((!plan)); then
		plan_err="no TAP plan (\"1..N\" line): its results cannot be checked"
	elif ((planned != n_results)); then
		plan_err="its TAP plan is 1..$planned, but it reported $n_results result(s)"
	fi
	# A timeout or a bail-out explains a short count, and is reported
	# as such. With "not ok" lines the program has failed already; only
	# a timeout or a wrong plan counts once more.
	if [[ $rc == 124 ]]; then
		fail "$prog: timed out after $timeout_s s"
	elif [[ -n $bail ]]; then
		((n_not_ok == 0)) && fail "$prog: bailed out:$bail"
	elif [[ -n $plan_err ]]; then
		[[ $rc != 0 ]] && plan_err+=" (exit status $rc)"
		fail "$prog: $plan_err"
	elif [[ $rc == 4 || ( $rc == 0 && -n $skip_reason ) ]]; then
		# all skipped ("1..0 # SKIP", or each result a skip)
		((n_results == 0)) && skip "$prog: ${skip_reason:-exit status 4}"
	elif ((n_not_ok > 0)); then
		:
	elif [[ $rc != 0 ]]; then
		fail "$prog: exited with status $rc"
	elif ((n_results == 0)); then
		passed=$((passed + 1))
	fi
}

if ((${#progs[@]} == 0)); then
	if [[ -n $pattern ]]; then
		echo "# no test program matches \"$pattern\""
	else
		echo "# no test programs found: run 'make all' first"
	fi
	fail "no tests run"
fi

# Runs one program: its output is shown and kept in $log, its status
# goes to $rcf. timeout gives the program a process group of its own and
# signals all of it, so a selftest's teardown trap runs on a timeout too.
run_one()
{
	: >"$pidf"
	echo 1 >"$rcf"
	(
		CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 15 "$timeout_s" "$@" </dev/null 2>&1 &
		echo $! >"$pidf"
		wait $!
		echo $? >"$rcf"
	) | tee -i "$log" &
	job=$!
	# wait returns early when a signal arrives; the trap forwards it.
	while kill -0 "$job" 2>/dev/null; do
		wait "$job"
	done
}

# Ctrl-C or TERM: stop the running program (its teardown runs), then
# report what ran so far.
on_signal()
{
	interrupted=1
	[[ -s $pidf ]] && kill -TERM "$(cat "$pidf")" 2>/dev/null
}
trap on_signal INT TERM

# What the tests create, by name: network namespaces and cgroup
# directories whose names start with "fl". One line each, sorted.
cg_root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
test_objects()
{
	ip netns list 2>/dev/null | awk '$1 ~ /^fl/ { print "netns " $1 }'
	if [[ -n $cg_root ]]; then
		find "$cg_root" -maxdepth 1 -mindepth 1 -type d -name 'fl*' -printf 'cgroup %p\n'
	fi
	return 0
}

# A program that left a namespace or cgroup behind fails, even when it
# crashed before its own cleanup could run; what it left is removed so
# that the next program, and the machine, start clean.
check_left()
{
	local prog=$1 kind path left

	[[ ${FL_LEFTOVER_CHECK:-1} == 0 ]] && return 0
	left=$(comm -13 "$tmp/objects_before" <(test_objects | sort))
	[[ -z $left ]] && return 0
	while read -r kind path; do
		fail "$prog: left behind $kind $path"
		if [[ $kind == netns ]]; then
			ip netns pids "$path" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
			ip netns del "$path" 2>/dev/null
		else
			find "$path" -name cgroup.procs -print0 | xargs -0 -r cat 2>/dev/null | xargs -r kill -KILL 2>/dev/null
			sleep 0.2
			find "$path" -depth -type d -exec rmdir {} + 2>/dev/null
		fi
	done <<<"$left"
}

for prog in "${progs[@]}"; do
	echo "# $prog"
	start=$SECONDS
	test_objects | sort >"$tmp/objects_before"
	if [[ $prog == *.sh ]]; then
		run_one bash "$prog"
	else
		run_one "$prog"
	fi
	rc=$(cat "$rcf")
	# every program's time, so a slow one shows in CI's log
	echo "# $prog: exit status $rc, $((SECONDS - start)) s"
	count "$prog" "$rc"
	check_left "$prog"
	if ((interrupted)); then
		fail "interrupted during $prog"
		break
	fi
done

# The VM suites: Debian's 6.1 (no tcx: the legacy clsact path) and 6.12
# (tcx), both with sch_fq and sch_netem, which this host's kernel lacks.
# Each boots once and runs its list through this same runner inside.
vm_summary=()
vm_suite()
{
	local kernel=$1 list=$2 line p f s out

	out=$tmp/vm_$kernel.log

	echo "# vm: Debian $kernel: $list"
	# FL_* reaches the guest: FL_VM=0 there, or FL_VM=1 here would make
	# the guest's runner start VMs of its own
	# crash_loop: 2 runs there (delay is on the fq path only in a guest;
	# an iteration takes about 20 s under TCG), the agent's on the host
	FL_RUN_PROGS="$list" FL_IN_VM=1 FL_VM=0 FL_TEST_TIMEOUT=600 \
		FL_CRASH_ITERS=${FL_VM_CRASH_ITERS:-2} FL_CRASH_AGENT_ITERS=${FL_VM_CRASH_AGENT_ITERS:-0} \
		timeout -k 15 "$vm_timeout" scripts/vmtest.sh -k "$kernel" -t "$vm_timeout" \
		tests/run.sh 2>&1 | tee -i "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [[ -z $line ]]; then
		fail "vm $kernel: the guest reported no result"
		vm_summary+=("Debian $kernel: no result")
		return
	fi
	read -r p _ f _ s _ <<<"${line//,/}"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	while read -r f; do
		failures+=("vm $kernel: $f")
	done < <(sed -n 's/^#   //p' "$out")
	vm_summary+=("Debian $kernel: $line")
}

vm_timeout=${FL_VM_TIMEOUT:-900}
if [[ -z ${FL_IN_VM:-} ]] && [[ ${FL_VM:-auto} == 1 || ( ${FL_VM:-auto} == auto && -z $pattern &&
      -z ${FL_RUN_PROGS:-} &&
      $(id -u) == 0 && $interrupted == 0 ) ]]; then
	echo "# host: $passed passed, $failed failed, $skipped skipped"
	# Each VM program runs where it covers a path the host cannot: sch_fq
	# and sch_netem (every delay), and 6.1's legacy clsact path. 6.12's
	# hooks are the host's (tcx), so it runs only what needs fq; 6.1 also
	# runs the drop and ownership tests, on the legacy path and the oldest
	# verifier. Both: the EDT and breaker PROG_TEST_RUN tests (helpers and
	# clocks differ by kernel), the fq replacement and the delay tests
	# (clsact and tcx place the programs and the copies differently).
	# Once only: the agent's restart, retargeting and the crash loop with
	# delay on 6.1, where the legacy filters are what a crash leaves;
	# shapes (6.1) and fidelity, exp_rtt and the fault contract's fq rows
	# (6.12) judge what the kernel's hook kind does not change. libxdp's
	# dispatcher (6.12): the host refuses its freplace programs. DNS: the
	# match and the forged answer on 6.1's verifier (test_dns), the delay
	# on fq (dns_delay, 6.12). The verifier's walk within its budget on
	# 6.1's verifier too (test_verifier), where it costs the most.
	# 6.1 leaves out what its own paths do not change: bystander_late's
	# generic XDP, tcx (the legacy path again there) and cgroup hooks, and
	# delay's jitter and by-connection draws (shapes.sh judges jitter there)
	FL_LATE_HOOKS=${FL_LATE_HOOKS:-xdp tclegacy} FL_DELAY_SHAPES=${FL_DELAY_SHAPES:-0} \
		vm_suite 6.1 "$OUTPUT/tests/bpf/test_edt $OUTPUT/tests/bpf/test_breaker $OUTPUT/tests/bpf/test_dns $OUTPUT/tests/bpf/test_verifier tests/selftests/drop_egress.sh tests/selftests/bystander_late.sh tests/vm/qdisc.sh tests/vm/agent_restart.sh tests/vm/delay.sh tests/vm/shapes.sh tests/vm/retarget.sh tests/selftests/crash_loop.sh"
	((interrupted)) || vm_suite 6.12 "$OUTPUT/tests/bpf/test_edt $OUTPUT/tests/bpf/test_breaker tests/selftests/fault_contract.sh tests/vm/qdisc.sh tests/vm/delay.sh tests/vm/fidelity.sh tests/vm/exp_rtt.sh tests/vm/xdp_dispatcher.sh tests/vm/dns_delay.sh"
	for line in "${vm_summary[@]}"; do
		echo "# vm: $line"
	done
fi

if ((${#failures[@]} > 0)); then
	echo "# failed:"
	for f in "${failures[@]}"; do
		echo "#   $f"
	done
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
