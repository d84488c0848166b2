#!/usr/bin/env bash
# ringbuf_lost: a ring buffer that overflows is counted, and the report
# says so. FAULTLINE_RINGBUF_KB=4 makes faultline's ring buffer one page:
# a record (struct fl_event, 120 bytes, and an 8-byte header) takes 128,
# so 4 KiB hold 32 (64 is the bound below, with slack). An experiment on the
# target (no faults: only flow records) runs while faultline is stopped
# with SIGSTOP, so nothing drains the ring; meanwhile the target opens
# FLOWS one-datagram UDP flows, each to its own port: each is a new flow,
# one new-flow record each. Then SIGCONT.
#   small ring    ringbuf.lost >= FLOWS - 64: would fail if failed
#                 reservations were not counted, not summed into the
#                 report, or if FAULTLINE_RINGBUF_KB were ignored (1 MiB
#                 holds 8192 records, so nothing would be lost)
#   default ring  the same burst: ringbuf.lost == 0 and at least FLOWS
#                 records received (fails if the default ring were small,
#                 or losses were invented)
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic

FLOWS=2000
SINK_PORT0=20000

fl_plan 11
fl_setup

fl_exp_sleeper "$FL_NS_CLI"
fl_ok $? "a process of the target cgroup runs in the client namespace" ||
	fl_bail "cannot start the target's process"

exp=$FL_STATE/exp.yaml

# burst: FLOWS datagrams from the target, each from a new socket to its own
# port of the server (nothing listens: the datagrams are simply counted).
# bash's /dev/udp opens, connects, writes and closes without a fork.
burst()
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" bash -c '
		for ((p = $2; p < $2 + $3; p++)); do
			echo x >"/dev/udp/$1/$p" || exit 1
		done' bash "$FL_SRV4" "$SINK_PORT0" "$FLOWS" 2>/dev/null
}

# run NAME [VAR=VALUE]: the experiment, stopped during the burst.
run()
{
	local name=$1 pid

	shift
	fl_exp_write "$exp" "$name" 6s '[]' \
		'[{name: out, signal: packets.out, window: 6s, above: 1000000000}]'
	fl_bg "$name" env "$@" "$FL_BIN" run "$exp" --json
	fl_exp_wait_started "$name" || return 1
	pid=$(fl_bg_pid "$name")
	kill -STOP "$pid"
	burst
	local brc=$?
	kill -CONT "$pid"
	((brc == 0)) || { fl_diag "the burst failed (exit $brc)"; return 1; }
	fl_wait "$name" 20
}

run small FAULTLINE_RINGBUF_KB=4
rc=$?
lost=$(fl_exp_q small '.ringbuf.lost')
events=$(fl_exp_q small '.ringbuf.events')
fl_ok "$rc" "small ring: the experiment ran to its end, exit 0 (exit $rc)" ||
	{ fl_diag_file "$FL_STATE/small.err"; fl_diag "$(fl_exp_summary small)"; }
[[ $lost =~ ^[0-9]+$ ]] && ((lost >= FLOWS - 64))
fl_ok $? "small ring: ringbuf.lost ${lost:-none} >= $FLOWS - 64 ($FLOWS flows, a 4 KiB ring, ${events:-?} records received)"
[[ $events =~ ^[0-9]+$ ]] && ((events >= 1 && events + lost >= FLOWS))
fl_ok $? "small ring: events ${events:-none} + lost ${lost:-none} account for the $FLOWS new flows"
# The end-of-run sweep of the flow table makes packets.out exact even
# though most records were lost (it read 0-1 while the monitor judged a
# swept sample as of its own, older, time).
out=$(fl_exp_cond small packets.out value)
[[ $out =~ ^[0-9]+$ ]] && ((out == FLOWS))
fl_ok $? "small ring: packets.out ${out:-none} is exactly the $FLOWS datagrams, from the final sweep"

run default
rc=$?
lost=$(fl_exp_q default '.ringbuf.lost')
events=$(fl_exp_q default '.ringbuf.events')
fl_ok "$rc" "default ring: the experiment ran to its end, exit 0 (exit $rc)" ||
	{ fl_diag_file "$FL_STATE/default.err"; fl_diag "$(fl_exp_summary default)"; }
[[ $lost == 0 ]]
fl_ok $? "default ring: ringbuf.lost is 0 (${lost:-none})"
[[ $events =~ ^[0-9]+$ ]] && ((events >= FLOWS))
fl_ok $? "default ring: ${events:-none} records received, at least the $FLOWS new flows"
out=$(fl_exp_cond default packets.out value)
[[ $out =~ ^[0-9]+$ ]] && ((out >= FLOWS))
fl_ok $? "default ring: packets.out ${out:-none} counts all $FLOWS datagrams"

# An unusable value is refused with a warning, and the default is kept.
fl_exp_write "$exp" bad 1s '[]' '[{name: out, signal: packets.out, window: 1s, above: 1000000000}]'
FAULTLINE_RINGBUF_KB=lots timeout 20 "$FL_BIN" run "$exp" --json >"$FL_STATE/bad.out" 2>"$FL_STATE/bad.err"
rc=$?
[[ $rc == 0 ]] && grep -q "FAULTLINE_RINGBUF_KB" "$FL_STATE/bad.err"
fl_ok $? "FAULTLINE_RINGBUF_KB=lots: a warning, and the run goes on with the default (exit $rc)" ||
	fl_diag_file "$FL_STATE/bad.err"

fl_no_faultline_attached
fl_ok $? "nothing attached after the experiments"

fl_done
