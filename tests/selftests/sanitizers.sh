#!/usr/bin/env bash
# sanitizers: the sanitizer build (make asan-bins: clang, ASan and UBSan,
# every finding aborts) on what make test can afford, about a minute and a half:
#  - every fuzz target replays its committed corpus (tests/fuzz/corpus),
#    the regression suite of what fuzzing found;
#  - "faultline validate" on every experiment file of that corpus, through
#    the command layer that prints: exit 0 or 2, one line of error;
#  - every unit test;
#  - the BPF tests test_datapath and test_pkt_fuzz (BPF loading under ASan);
#  - the selftests in FL_ASAN_SELFTESTS, run on the ASan faultline: the
#    CLI's path, the agent's, and the Kubernetes controller's (its pods
#    retargeted mid-experiment leaked until LSan saw it at the agent's end).
# FL_ASAN_FULL=1 (make test-asan) runs every BPF test and every selftest
# instead. A program counts as passing when it exits 0 and ASan, LSan and
# UBSan said nothing.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

ASAN_OUT=$FL_OUTPUT/asan
FL_ASAN_SELFTESTS=${FL_ASAN_SELFTESTS:-"drop_egress agent k8s_agents"}

[[ -d $ASAN_OUT ]] || fl_skip_all "no $ASAN_OUT: run 'make asan-bins' (make test does)"

# leaks are errors; a report names its frames
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-}

targets=()
for f in "$FL_REPO"/tests/fuzz/fuzz_*.c; do
	t=${f##*/fuzz_}
	targets+=("${t%.c}")
done
units=()
for f in "$FL_REPO"/tests/unit/test_*.c; do
	t=${f##*/}
	units+=("${t%.c}")
done
if [[ ${FL_ASAN_FULL:-0} == 1 ]]; then
	bpfs=()
	for f in "$FL_REPO"/tests/bpf/test_*.c; do
		t=${f##*/}
		bpfs+=("${t%.c}")
	done
	selftests=()
	for f in "$FL_REPO"/tests/selftests/*.sh; do
		t=${f##*/}
		# itself; and valgrind does not run a program built with ASan
		[[ $t == sanitizers.sh || $t == valgrind.sh ]] && continue
		selftests+=("${t%.sh}")
	done
else
	bpfs=(test_datapath test_pkt_fuzz)
	read -r -a selftests <<<"$FL_ASAN_SELFTESTS"
fi

fl_plan $((${#targets[@]} + 1 + ${#units[@]} + ${#bpfs[@]} + ${#selftests[@]}))

# A sanitizer's report in @1, or nothing.
san_report()
{
	grep -m 5 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken' "$1"
}

# judge DESC RC LOG: one result.
judge()
{
	local desc=$1 rc=$2 log=$3 rep

	rep=$(san_report "$log")
	if [[ $rc == 0 && -z $rep ]]; then
		fl_ok 0 "$desc"
		return
	fi
	fl_ok 1 "$desc"
	fl_diag "exit status $rc"
	[[ -n $rep ]] && fl_diag "$rep"
	fl_diag_file "$log" 40
}

for t in "${targets[@]}"; do
	bin=$ASAN_OUT/tests/fuzz/fuzz_$t
	log=$FL_STATE/fuzz_$t.log
	n=$(find "$FL_REPO/tests/fuzz/corpus/$t" -type f | wc -l)
	if [[ ! -x $bin ]]; then
		fl_ok 1 "fuzz_$t replays its corpus"
		fl_diag "no $bin: the sanitizer build failed; see 'make asan-bins'"
		continue
	fi
	# -runs=0: run every input once, mutate nothing; a crashing input is
	# written beside the log, not into the working directory
	"$bin" -runs=0 -artifact_prefix="$FL_STATE/$t-" "$FL_REPO/tests/fuzz/corpus/$t" >"$log" 2>&1
	judge "fuzz_$t replays its corpus ($n inputs)" $? "$log"
done

# the files the parser was fuzzed with, through the CLI: accepted (0) or
# refused (2) with one line naming the file, never a crash or a runtime
# error (3)
log=$FL_STATE/validate.log
bad=()
n=0
for f in "$FL_REPO"/tests/fuzz/corpus/experiment/*; do
	n=$((n + 1))
	"$ASAN_OUT/faultline" validate "$f" >"$FL_STATE/v.out" 2>"$FL_STATE/v.err"
	rc=$?
	cat "$FL_STATE/v.err" >>"$log"
	lines=$(grep -c . "$FL_STATE/v.err")
	if [[ $rc == 0 && $lines == 0 ]] || [[ $rc == 2 && $lines == 1 ]] &&
	   [[ -z $(san_report "$FL_STATE/v.err") ]]; then
		continue
	fi
	bad+=("${f##*/}: exit $rc, $lines lines on stderr")
done
judge "faultline validate on $n fuzzed experiment files: exit 0 or 2 with one line (${#bad[@]} not)" \
	"${#bad[@]}" "$log"
((${#bad[@]})) && fl_diag "${bad[@]:0:10}"

for t in "${units[@]}"; do
	log=$FL_STATE/$t.log
	(cd "$FL_REPO" && "$ASAN_OUT/tests/unit/$t") >"$log" 2>&1
	judge "unit $t under ASan and UBSan" $? "$log"
done

# a program of the BPF or selftest kind runs through the runner itself,
# on the sanitizer build; its TAP stays in the log
for t in "${bpfs[@]/#/bpf/}" "${selftests[@]/%/.sh}"; do
	log=$FL_STATE/${t##*/}.log
	OUTPUT=${ASAN_OUT#"$FL_REPO"/} FL_LEFTOVER_CHECK=${FL_LEFTOVER_CHECK:-1} \
		"$FL_REPO/tests/run.sh" "/$t" >"$log" 2>&1
	rc=$?
	summary=$(tail -n 1 "$log")
	judge "$t under ASan and UBSan: $summary" "$rc" "$log"
done

fl_done
