#!/usr/bin/env bash
# bad_input: every invalid invocation of "faultline inject" exits 2 with a
# one-line error on stderr, and attaches nothing. Each case changes one
# argument of an invocation that is otherwise valid (the control case).
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_faultline

fl_plan 24
fl_setup

ns=/run/netns/$FL_NS_CLI
cg=$FL_CG_TARGET

# rejects DESC ARGS...: "faultline inject ARGS" must be refused.
rejects()
{
	local desc=$1 rc lines why=()

	shift
	fl_log "+ faultline inject $*"
	timeout 10 "$FL_BIN" inject "$@" >"$FL_STATE/bad.out" 2>"$FL_STATE/bad.err"
	rc=$?
	lines=$(grep -c . "$FL_STATE/bad.err")
	[[ $rc == 2 ]] || why+=("exit status $rc, want 2")
	[[ $lines == 1 ]] || why+=("$lines lines on stderr, want 1")
	fl_no_faultline_attached >"$FL_STATE/left" || why+=("something stayed attached")
	fl_ok "${#why[@]}" "rejects $desc" || {
		fl_diag "faultline inject $*" "${why[@]}"
		fl_diag_file "$FL_STATE/bad.err"
		fl_diag_file "$FL_STATE/left"
	}
}

# The control: these arguments are valid, so every refusal below is due
# to the one argument each case changes.
timeout 10 "$FL_BIN" inject --cgroup "$cg" --netns "$ns" --drop 30 \
	--duration 1s >"$FL_STATE/ctl.out" 2>"$FL_STATE/ctl.err"
rc=$?
fl_ok $rc "control: valid arguments run and exit 0 (status $rc)" ||
	fl_diag_file "$FL_STATE/ctl.err"

rejects "no --cgroup" --netns "$ns" --drop 30 --duration 2s
rejects "a cgroup path that does not exist" --cgroup "$FL_CG/nonexistent" --netns "$ns" --drop 30 --duration 2s
rejects "a directory that is not a cgroup (/tmp)" --cgroup /tmp --netns "$ns" --drop 30 --duration 2s
v1=
for d in /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup/cpu; do
	if [[ $(stat -f -c %T "$d" 2>/dev/null) == cgroupfs ]]; then
		v1=$d
		break
	fi
done
if [[ -n $v1 ]]; then
	rejects "a cgroup v1 directory ($v1)" --cgroup "$v1" --netns "$ns" --drop 30 --duration 2s
else
	fl_skip "rejects a cgroup v1 directory" "no cgroup v1 hierarchy mounted"
fi
rejects "a netns path that does not exist" --cgroup "$cg" --netns "/run/netns/fl_nonexistent_$FL_RAND" --drop 30 --duration 2s
rejects "an unknown --iface" --cgroup "$cg" --netns "$ns" --iface "flnone$FL_RAND" --drop 30 --duration 2s
rejects "--drop 101" --cgroup "$cg" --netns "$ns" --drop 101 --duration 2s
rejects "--drop -1" --cgroup "$cg" --netns "$ns" --drop -1 --duration 2s
rejects "--drop abc" --cgroup "$cg" --netns "$ns" --drop abc --duration 2s
rejects "no --drop" --cgroup "$cg" --netns "$ns" --duration 2s
rejects "--duration 0" --cgroup "$cg" --netns "$ns" --drop 30 --duration 0
rejects "--duration 5x" --cgroup "$cg" --netns "$ns" --drop 30 --duration 5x
rejects "--duration 25h" --cgroup "$cg" --netns "$ns" --drop 30 --duration 25h
rejects "--peer 198.18.0.0/33" --cgroup "$cg" --netns "$ns" --peer 198.18.0.0/33 --drop 30 --duration 2s
rejects "--peer nonsense" --cgroup "$cg" --netns "$ns" --peer nonsense --drop 30 --duration 2s
rejects "--peer 2001:db8::/129" --cgroup "$cg" --netns "$ns" --peer 2001:db8::/129 --drop 30 --duration 2s
rejects "--port 0" --cgroup "$cg" --netns "$ns" --port 0 --drop 30 --duration 2s
rejects "--port 70000" --cgroup "$cg" --netns "$ns" --port 70000 --drop 30 --duration 2s
rejects "--direction sideways" --cgroup "$cg" --netns "$ns" --direction sideways --drop 30 --duration 2s
rejects "--proto sctp" --cgroup "$cg" --netns "$ns" --proto sctp --drop 30 --duration 2s
rejects "an unknown option" --cgroup "$cg" --netns "$ns" --drop 30 --duration 2s --frobnicate
rejects "--corrupt-fix-checksum without --corrupt" --cgroup "$cg" --netns "$ns" --drop 30 --duration 2s --corrupt-fix-checksum

fl_no_faultline_attached
fl_ok $? "nothing attached at the end"

fl_done
