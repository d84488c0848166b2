#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target of the sanitizer build for a set
# time, starting from its committed corpus (tests/fuzz/corpus/TARGET).
# New inputs go to $OUTPUT/asan/fuzz-new/TARGET, a crash to
# $OUTPUT/asan/fuzz-crashes/TARGET-*; ends with one line per target and
# exits 1 if any crashed. To keep new inputs (minimised) in the corpus:
#   build/asan/tests/fuzz/fuzz_T -merge=1 tests/fuzz/corpus/T build/asan/fuzz-new/T
#
# Usage: tests/fuzz/run.sh [SECONDS [TARGET...]]   (default 300 s, all)
set -u
cd "$(dirname "$0")/../.." || exit 1
OUTPUT=${OUTPUT:-build}
bindir=$OUTPUT/asan/tests/fuzz
seconds=${1:-300}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f##*/fuzz_}
		targets+=("${t%.c}")
	done
fi

results=()
bad=0
for t in "${targets[@]}"; do
	bin=$bindir/fuzz_$t
	if [[ ! -x $bin ]]; then
		echo "fuzz: $bin is missing: run 'make asan-bins' first" >&2
		exit 1
	fi
	new=$OUTPUT/asan/fuzz-new/$t
	crashes=$OUTPUT/asan/fuzz-crashes
	mkdir -p "$new" "$crashes"
	echo "# fuzz_$t for ${seconds}s"
	# -max_len: experiment files and requests are larger than the default
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$crashes/$t-" "$new" "tests/fuzz/corpus/$t" \
		>"$OUTPUT/asan/fuzz-$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUTPUT/asan/fuzz-$t.log")
	if ((rc != 0)); then
		bad=1
		results+=("fuzz_$t: FAILED after ${runs:-?} runs (exit $rc): see $OUTPUT/asan/fuzz-$t.log and $crashes/$t-*")
		grep -m 3 -E 'ERROR|invariant|runtime error' "$OUTPUT/asan/fuzz-$t.log"
	else
		results+=("fuzz_$t: ok, ${runs:-?} runs in ${seconds}s; $(ls "$new" | wc -l) inputs in $new")
	fi
done
printf '%s\n' "${results[@]}"
exit $bad
