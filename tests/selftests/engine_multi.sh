#!/usr/bin/env bash
# engine_multi: two experiments in one engine (one process, as the node
# agent will run them), on distinct targets in one namespace, both dropping
# every UDP datagram their target sends:
#   a  trips on 'faults.dropped > 5/5s' after its target sends 50
#   b  has a condition that never trips and runs out its 8 s
# After a's trip only a's faults are off: a's target gets its datagrams
# through while b's target still loses every one, b ends Succeeded at its
# own deadline, and each result counts its own target's drops only. Would
# fail if the jobs shared the armed flag, the deadline, the monitor or the
# counters.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq
fl_require_traffic
fl_require_faultline
MULTI=$FL_OUTPUT/tests/lib/fl_engine_multi
[[ -x $MULTI ]] || fl_skip_all "no $MULTI: run make all"

fl_plan 10
fl_setup
fl_start_servers

# exp NAME CGROUP THRESHOLD DURATION: $FL_STATE/NAME.yaml
exp()
{
	fl_exp_drop_udp "$FL_STATE/$1.yaml" "$@"
}

# ping_from CGROUP: 100 UDP pings to the echo server; prints fltraffic's line
ping_from()
{
	fl_traffic "$FL_NS_CLI" "$1" udp-ping --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
		--count 100 --interval-us 2000 --timeout-ms 300
}

# the placement needs a process of each target in the namespace
fl_bg_in holda "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
fl_bg_in holdb "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 120
fl_wait_for 5 eval "grep -qx \"\${FL_BG[holda]}\" \"$FL_CG_TARGET/cgroup.procs\"" &&
	fl_wait_for 5 eval "grep -qx \"\${FL_BG[holdb]}\" \"$FL_CG_BYSTANDER/cgroup.procs\"" ||
	fl_bail "the targets' processes did not enter their cgroups"
exp a "$FL_CG_TARGET" 5 30s
exp b "$FL_CG_BYSTANDER" 1000000 8s
mkdir -p "$FL_STATE/rep"
fl_bg multi "$MULTI" --report-dir "$FL_STATE/rep" "$FL_STATE/a.yaml" "$FL_STATE/b.yaml"
fl_wait_for 10 grep -q '^started b' "$FL_STATE/multi.out"
fl_ok $? "both experiments started in one process" || fl_bail "$(cat "$FL_STATE/multi.err")"
t0=$SECONDS

fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-send --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
	--count 50 --pps 200 >/dev/null
fl_wait_for 5 grep -q '^ended a Failed' "$FL_STATE/multi.out"
fl_ok $? "a: its condition trips, a ends Failed" || fl_diag_file "$FL_STATE/multi.out"
! grep -q '^ended b' "$FL_STATE/multi.out"
fl_ok $? "b: still running after a's trip"

out=$(ping_from "$FL_CG_TARGET")
[[ $(fl_kv "$out" replies) == 100 ]]
fl_ok $? "a's target: every datagram gets through once a is off ($out)"
out=$(ping_from "$FL_CG_BYSTANDER")
[[ $(fl_kv "$out" replies) == 0 && $(fl_kv "$out" sent) == 100 ]]
fl_ok $? "b's target: still loses every datagram while b runs ($out)"

fl_wait multi 20
rc=$?
grep -q '^ended b Succeeded' "$FL_STATE/multi.out" && ((rc == 0))
fl_ok $? "b: ends Succeeded at its own deadline, after $((SECONDS - t0)) s (exit $rc)" ||
	fl_diag_file "$FL_STATE/multi.out"
el=$(jq -r .elapsed_s "$FL_STATE/rep/b.json")
awk -v e="$el" 'BEGIN { exit !(e >= 7.9 && e < 9.5) }'
fl_ok $? "b: ran its 8 s ($el s), not a's time"

a=$(jq -r '[.state, .failureReport.condition, .faults[0].egress.dropped,
	    .targets[0].cgroup] | map(tostring) | join(" ")' "$FL_STATE/rep/a.json")
read -r st cond dropped cg <<<"$a"
[[ $st == Failed && $cond == dropped && $cg == "$FL_CG_TARGET" ]] && ((dropped >= 6 && dropped <= 50))
fl_ok $? "a's result: Failed by its condition, its own target, 6..50 drops ($a)"
b=$(jq -r '[.state, (.failureReport == null), .faults[0].egress.dropped,
	    .targets[0].cgroup] | map(tostring) | join(" ")' "$FL_STATE/rep/b.json")
read -r st nofail dropped cg <<<"$b"
# b saw only its own target's 100 pings, none of a's 50 or 100
[[ $st == Succeeded && $nofail == true && $cg == "$FL_CG_BYSTANDER" && $dropped == 100 ]]
fl_ok $? "b's result: Succeeded, no failureReport, exactly its target's 100 drops ($b)"
fl_no_faultline_attached
fl_ok $? "nothing attached after both ended"
fl_done
