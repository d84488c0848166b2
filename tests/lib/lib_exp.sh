# shellcheck shell=bash
# Helpers for the experiment selftests (tests/selftests/exp_*.sh): write
# an experiment file, run "faultline run" in the background, wait for it
# to arm, and read its --json report with jq. Source it after lib.sh,
# whose teardown trap stops everything started here.

FL_DEMO_SVC=${FL_DEMO_SVC:-$FL_OUTPUT/tools/flsvc}

# fl_exp_require: what every experiment test needs (call before fl_plan).
fl_exp_require()
{
	fl_require_root
	fl_require_cgroup2
	fl_require_cmds ip tc bpftool jq
	fl_require_faultline
}

# fl_exp_write FILE NAME DURATION FAULTS CONDITIONS [PROBES]: an
# experiment on the target cgroup. FAULTS, CONDITIONS and PROBES are YAML
# flow sequences ("[]", "[{name: a, ...}]").
fl_exp_write()
{
	local file=$1 name=$2 duration=$3 faults=$4 conds=$5 probes=${6:-}

	{
		printf 'apiVersion: faultline/v1alpha1\nkind: Experiment\n'
		printf 'metadata:\n  name: %s\n' "$name"
		printf 'spec:\n  duration: %s\n' "$duration"
		printf '  targets:\n    - cgroup: %s\n' "$FL_CG_TARGET"
		printf '  faults: %s\n' "$faults"
		printf '  failureConditions: %s\n' "$conds"
		[[ -n $probes ]] && printf '  probes: %s\n' "$probes"
	} >"$file"
	fl_log "$(cat "$file")"
}

# fl_exp_drop_udp FILE NAME CGROUP THRESHOLD DURATION: an experiment that
# drops every UDP datagram CGROUP sends and fails when more than THRESHOLD
# were dropped within 5 s.
fl_exp_drop_udp()
{
	cat >"$1" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: $2}
spec:
  duration: $5
  targets: [{cgroup: $3}]
  faults:
    - name: drop-udp
      direction: egress
      match: {protocol: udp}
      drop: {percent: 100}
  failureConditions:
    - {name: dropped, signal: faults.dropped, above: $4, window: 5s}
EOF
	fl_log "$(cat "$1")"
}

# fl_exp_start NAME FILE [ARGS...]: "faultline run FILE --json ARGS" in the
# background (report: $FL_STATE/NAME.out, log: NAME.err).
fl_exp_start()
{
	local name=$1 file=$2

	shift 2
	fl_bg "$name" "$FL_BIN" run "$file" --json "$@"
}

# fl_exp_wait_started NAME [TIMEOUT_S]: waits for "experiment ... started".
fl_exp_wait_started()
{
	local name=$1 end=$(($(fl_now_ms) + ${2:-10} * 1000))

	while ! grep -q '^faultline: experiment .* started' "$FL_STATE/$name.err" 2>/dev/null; do
		if ! fl_bg_alive "$name" || (($(fl_now_ms) >= end)); then
			grep -q '^faultline: experiment .* started' "$FL_STATE/$name.err" 2>/dev/null &&
				return 0
			fl_diag "$name did not start"
			fl_diag_file "$FL_STATE/$name.err"
			return 1
		fi
		sleep 0.05
	done
}

# fl_exp_q NAME FILTER: jq -r FILTER on NAME's report (empty if none).
fl_exp_q()
{
	jq -r "$2" "$FL_STATE/$1.out" 2>/dev/null
}

# fl_exp_summary NAME: one line about NAME's report, for diagnostics.
fl_exp_summary()
{
	fl_exp_q "$1" '"state=\(.state) reason=\(.reason) conditions=" +
		([.conditions[] | "\(.name)=\(.value)\(if .error then "(error: \(.error))" else "" end)"]
		| join(","))'
}

# fl_exp_sleeper NS: a process in the target cgroup inside NS, so that the
# experiment finds the namespace to attach in (started once per test).
fl_exp_sleeper()
{
	fl_bg_in "sleeper_$1" "$1" "$FL_CG_TARGET" sleep 600 || return 1
	fl_wait_for 5 eval "grep -qx \"\${FL_BG[sleeper_$1]}\" \"$FL_CG_TARGET/cgroup.procs\""
}

# fl_exp_check_trip NAME RC SIGNAL: one result: NAME ended Failed (exit 1)
# with failureReport.signal SIGNAL and a value beyond its threshold.
fl_exp_check_trip()
{
	local name=$1 rc=$2 sig=$3 got

	got=$(fl_exp_q "$name" '[.state, .failureReport.signal, .failureReport.value,
		.failureReport.operator, .failureReport.threshold] | map(tostring) | join(" ")')
	# shellcheck disable=SC2086 # five words
	set -- $got
	[[ $rc == 1 && $1 == Failed && $2 == "$sig" ]] &&
		awk -v v="$3" -v op="$4" -v t="$5" 'BEGIN {
			if (op == "above") exit !(v > t)
			if (op == "atLeast") exit !(v >= t)
			if (op == "below") exit !(v < t)
			if (op == "atMost") exit !(v <= t)
			exit 1 }'
	fl_ok $? "$name: exit 1, Failed on $sig: ${3:-?} ${4:-?} ${5:-?} (exit $rc)" && return 0
	fl_diag "$(fl_exp_summary "$name")"
	fl_diag_file "$FL_STATE/$name.err" 10
	return 1
}

# fl_exp_cond NAME SIGNAL FIELD: FIELD of the first condition on SIGNAL.
fl_exp_cond()
{
	fl_exp_q "$1" "[.conditions[] | select(.signal == \"$2\")][0].$3"
}

# fl_exp_drive NAME MAX_S CMD...: runs CMD (traffic) again and again while
# the experiment NAME runs, for at most MAX_S seconds, then waits for
# NAME to end (at most 30 s more). Returns NAME's exit status.
fl_exp_drive()
{
	local name=$1 end=$(($(fl_now_ms) + $2 * 1000))

	shift 2
	while fl_bg_alive "$name" && (($(fl_now_ms) < end)); do
		"$@" >>"$FL_STATE/$name.traffic" 2>&1
	done
	fl_wait "$name" 30
}
