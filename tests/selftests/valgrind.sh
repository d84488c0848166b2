#!/usr/bin/env bash
# valgrind: one "faultline run" of the normal build under valgrind's
# memcheck, start to end: an experiment that drops the target's UDP while
# traffic flows (programs loaded and attached, the ring buffer read, the
# condition judged, the report written, everything detached). memcheck
# must report no error and no leak (definite, indirect or possible), and
# the run must end Succeeded with its drops counted, as it would without
# valgrind. The only suppressions (tests/lib/valgrind.supp) are valgrind's
# bpf() wrapper reading attribute bytes that libbpf does not pass.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic
fl_require_cmds valgrind

fl_plan 5
fl_setup
fl_start_servers
fl_exp_sleeper "$FL_NS_CLI" || fl_bail "no process in the target cgroup"

exp=$FL_STATE/vg.yaml
vlog=$FL_STATE/memcheck.log
# the threshold is out of reach: the run ends by its duration
fl_exp_drop_udp "$exp" vg "$FL_CG_TARGET" 1000000 15s
fl_bg vg valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all \
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
	--suppressions="$FL_REPO/tests/lib/valgrind.supp" --log-file="$vlog" \
	"$FL_BIN" run "$exp" --json
# valgrind runs the loader about 20 to 50 times slower
fl_exp_wait_started vg 60
fl_ok $? "faultline run started under memcheck" || fl_bail "the run did not start"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 200
fl_diag "target: $PING"
[[ $PING_SENT == 200 && $PING_REPLIES == 0 ]]
fl_ok $? "the fault drops while under memcheck ($PING)"

fl_wait vg 120
rc=$?
[[ $rc == 0 && $(fl_exp_q vg .state) == Succeeded ]]
fl_ok $? "the run ended Succeeded, exit status $rc (99: memcheck found errors)" ||
	fl_diag_file "$FL_STATE/vg.err"

errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$vlog" | tail -n 1)
[[ $errs == 0 ]]
fl_ok $? "memcheck: ${errs:-no} errors" || fl_diag_file "$vlog" 60

# "All heap blocks were freed", or every kind of loss at 0 bytes
if grep -q 'All heap blocks were freed' "$vlog"; then
	leak=none
else
	leak=$(grep -E '(definitely|indirectly|possibly) lost:' "$vlog" |
		awk '{ s += $4 } END { print s + 0 }')
fi
[[ $leak == none || $leak == 0 ]]
fl_ok $? "memcheck: no leak (lost bytes: $leak)" ||
	fl_diag_file <(grep -A 12 'lost in' "$vlog") 60

fl_done
