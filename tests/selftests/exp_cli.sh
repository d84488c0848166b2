#!/usr/bin/env bash
# exp_cli: "faultline validate" and "faultline run" on good and bad input,
# and a run that fails at run time.
#
#   validate   a good file: exit 0, says "valid"; a file with an unknown
#              field: exit 2, one line "FILE:LINE:COL: unknown field ..."
#              pointing at the field
#   run        the same bad file: exit 2 with the same line, no report on
#              stdout, nothing attached; a file the parser accepts but
#              placement refuses (ingress delay for a target that shares
#              its namespace with a bystander): exit 2, nothing attached; a
#              file that does not exist: exit 2 (invalid input)
#   Error      on the legacy path, foreign clsact filters (not named fl_*)
#              that hold faultline's handle at every one of its 16
#              priorities on the target's interface: faultline must not
#              replace one, so attaching fails: exit 3, --json state
#              Error, no failureReport; the foreign filters are still
#              there, and nothing of faultline's
#              is left. (A foreign XDP program no longer makes an Error:
#              faultline takes tc ingress beside it; neighbours.sh.)
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_cmds clang

fl_plan 16
fl_setup

good=$FL_STATE/good.yaml
bad=$FL_STATE/bad.yaml
conds='[{name: resets, signal: tcp.resets.received, above: 1000}]'
fl_exp_write "$good" good 5s '[{name: lossy, direction: egress, drop: {percent: 10}}]' "$conds"

# The bad file: a misspelt field on line 13, column 7.
{
	printf 'apiVersion: faultline/v1alpha1\nkind: Experiment\n'
	printf 'metadata:\n  name: bad\n'
	printf 'spec:\n  duration: 5s\n'
	printf '  targets:\n    - cgroup: %s\n' "$FL_CG_TARGET"
	printf '  failureConditions: %s\n' "$conds"
	printf '  faults:\n'
	printf '    - name: lossy\n'		# line 11
	printf '      direction: egress\n'	# line 12
	printf '      dorp: {percent: 10}\n'	# line 13, the field at column 7
} >"$bad"
want="$bad:13:7: unknown field 'dorp' in faults[0]; expected one of name, direction, match, drop, delay, rate, partition, loss, scope, duplicate, reject, dns, corrupt"

# cli NAME CMD...: runs CMD with stdout and stderr in NAME.out and
# NAME.err; sets rc.
cli()
{
	local name=$1

	shift
	fl_log "+ $*"
	timeout 30 "$@" >"$FL_STATE/$name.out" 2>"$FL_STATE/$name.err"
	rc=$?
}

# ---- validate ----
cli vgood "$FL_BIN" validate "$good"
[[ $rc == 0 ]] && grep -q "^$good: valid: experiment good" "$FL_STATE/vgood.out"
fl_ok $? "validate: a good file: exit $rc (want 0), says valid" || {
	fl_diag_file "$FL_STATE/vgood.out"
	fl_diag_file "$FL_STATE/vgood.err"
}

cli vbad "$FL_BIN" validate "$bad"
[[ $rc == 2 ]]
fl_ok $? "validate: a bad file: exit $rc (want 2)"
[[ $(cat "$FL_STATE/vbad.err") == "$want" ]]
fl_ok $? "validate: the error is 'FILE:13:7: unknown field ...', one line" ||
	fl_diag "want: $want" "got:  $(head -c 500 "$FL_STATE/vbad.err")"

# ---- run on input it must refuse ----
fl_exp_sleeper "$FL_NS_CLI"
fl_ok $? "a process of the target cgroup runs in the client namespace" ||
	fl_bail "cannot start the target's process"

cli rbad "$FL_BIN" run "$bad" --json
[[ $rc == 2 && $(cat "$FL_STATE/rbad.err") == "$want" && ! -s $FL_STATE/rbad.out ]]
fl_ok $? "run: a bad file: exit $rc (want 2), the same one-line error, no report" || {
	fl_diag "want: $want"
	fl_diag_file "$FL_STATE/rbad.err"
	fl_diag_file "$FL_STATE/rbad.out"
}
fl_no_faultline_attached
fl_ok $? "run: a bad file: nothing attached"

# Ingress delay in a namespace the target shares with a bystander: the
# file is valid, placement must refuse it.
fl_bg_in bystander "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 600
fl_wait_for 5 eval "grep -qx \"\${FL_BG[bystander]}\" \"$FL_CG_BYSTANDER/cgroup.procs\""
fl_exp_write "$FL_STATE/shared.yaml" shared 5s \
	'[{name: slow, direction: ingress, delay: {time: 10ms}}]' "$conds"
cli vshared "$FL_BIN" validate "$FL_STATE/shared.yaml"
cli rshared "$FL_BIN" run "$FL_STATE/shared.yaml" --json
[[ $(cat "$FL_STATE/vshared.out") == *valid* && $rc == 2 ]] &&
	grep -q 'ingress delay and rate need a target that owns its network namespace' \
		"$FL_STATE/rshared.err"
fl_ok $? "run: ingress delay in a shared namespace (a valid file): exit $rc (want 2), says why" ||
	fl_diag_file "$FL_STATE/rshared.err"
fl_no_faultline_attached
fl_ok $? "run: refused placement: nothing attached"
fl_stop bystander

missing=$FL_STATE/does-not-exist.yaml
cli rmissing "$FL_BIN" run "$missing" --json
[[ $rc == 2 ]] && grep -qF "$missing: No such file or directory" "$FL_STATE/rmissing.err"
fl_ok $? "run: a missing file: exit $rc (want 2, invalid input), names the file" ||
	fl_diag_file "$FL_STATE/rmissing.err"

# ---- Error: attaching fails at run time ----
# Foreign filters (not named fl_*) with faultline's handle at every one of
# its priorities on the client's veth egress; faultline on the legacy path
# must refuse to take one over, and finds out only when it attaches.
printf '%s\n' \
	'__attribute__((section("tc"), used)) int foreign_pass(void *ctx) { return -1; /* TC_ACT_UNSPEC */ }' \
	'char _license[] __attribute__((section("license"), used)) = "GPL";' >"$FL_STATE/foreign.c"
clang -O2 -target bpf -c "$FL_STATE/foreign.c" -o "$FL_STATE/foreign.o" 2>"$FL_STATE/clang.err" &&
	tc -n "$FL_NS_CLI" qdisc add dev "$FL_IF_CLI" clsact &&
	for ((p = 0xfa17; p < 0xfa17 + 16; p++)); do
		tc -n "$FL_NS_CLI" filter add dev "$FL_IF_CLI" egress prio "$p" handle 0xfa17 bpf da \
			obj "$FL_STATE/foreign.o" sec tc || break
	done && ((p == 0xfa17 + 16))
fl_ok $? "foreign clsact filters with faultline's handle at its 16 priorities are on $FL_IF_CLI" ||
	fl_diag_file "$FL_STATE/clang.err"
foreign_id()
{
	tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress | grep -o 'foreign_pass.* id [0-9]*\|id [0-9]* name foreign_pass' |
		grep -o 'id [0-9]*' | awk '{ print $2 }' | sort -u | paste -sd' ' -
}
foreign=$(foreign_id)

# A name of its own: a run that dies leaves its state file behind, and
# the test removes it by that name.
name=error-$FL_RAND
fl_exp_write "$FL_STATE/error.yaml" "$name" 10s '[]' "$conds"
cli error env FAULTLINE_TC=legacy "$FL_BIN" run "$FL_STATE/error.yaml" --json
for f in /run/faultline/exp.*; do
	[[ -f $f && $(cat "$f" 2>/dev/null) == "$name" ]] || continue
	kill -0 "${f##*.}" 2>/dev/null || rm -f "$f"
done
state=$(fl_exp_q error .state)
[[ $rc == 3 && $state == Error ]]
fl_ok $? "Error: exit $rc (want 3), state ${state:-none} (want Error)" || {
	fl_diag_file "$FL_STATE/error.err"
	fl_diag_file "$FL_STATE/error.out"
}
[[ $(fl_exp_q error .failureReport) == null && -n $(fl_exp_q error .reason) ]] &&
	grep -q "filter priorities (0xfa17-0xfa26) on $FL_IF_CLI egress holds a filter with its handle already" "$FL_STATE/error.err"
fl_ok $? "Error: a reason ($(fl_exp_q error .reason)), no failureReport, the log names the foreign filters" ||
	fl_diag_file "$FL_STATE/error.err"
[[ -n $foreign && $(foreign_id) == "$foreign" ]]
fl_ok $? "Error: the foreign filters (ids ${foreign:-none}) are still attached"

# The foreign filter is the test's: remove it, then nothing may be left.
tc -n "$FL_NS_CLI" qdisc del dev "$FL_IF_CLI" clsact
fl_no_faultline_attached
fl_ok $? "Error: nothing of faultline's left attached"

# The control for the case above: without the foreign filter the same
# file runs (so the Error was the foreign filter's doing).
fl_exp_write "$FL_STATE/error.yaml" control 1s '[]' "$conds"
cli control env FAULTLINE_TC=legacy "$FL_BIN" run "$FL_STATE/error.yaml" --json
state=$(fl_exp_q control .state)
[[ $rc == 0 && $state == Succeeded ]]
fl_ok $? "control: without the foreign filter the same run succeeds (exit $rc, ${state:-none})" ||
	fl_diag_file "$FL_STATE/control.err"
fl_no_faultline_attached
fl_ok $? "control: nothing attached"

fl_done
