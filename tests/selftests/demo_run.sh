#!/usr/bin/env bash
# demo_run: the README's main job, `faultline demo`, run whole as a user
# runs it (`make demo` calls the same command): it exits 0, experiment 1
# ends Failed (no fallback) and experiment 2 Succeeded (a fallback), and
# its own leftover check finds nothing. Takes about 35 s.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_faultline
[[ -x $FL_OUTPUT/tools/flsvc ]] || fl_skip_all "no $FL_OUTPUT/tools/flsvc: run make all"

fl_plan 4
out=$FL_STATE/demo.out
timeout -k 10 240 "$FL_BIN" demo >"$out" 2>&1
rc=$?
fl_ok "$rc" "faultline demo exits 0 (status $rc)" || fl_diag_file "$out" 60
grep -qE '^\s*\| experiment ratings-outage-[0-9a-f]+: Failed \(condition ' "$out"
fl_ok $? "experiment 1: Failed by its condition, without a fallback" || fl_diag_file "$out" 60
grep -qE '^\s*\| experiment ratings-outage-fallback-[0-9a-f]+: Succeeded ' "$out"
fl_ok $? "experiment 2: Succeeded, with a fallback" || fl_diag_file "$out" 60
grep -q '^demo: left behind: nothing' "$out"
fl_ok $? "the demo's leftover check finds nothing" || fl_diag_file "$out" 30
fl_done
