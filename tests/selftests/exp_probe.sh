#!/usr/bin/env bash
# exp_probe: probes from inside a namespace. A probe's packets belong to
# faultline's own cgroup, never to a target, so a fault on the client
# side would not touch them: the target here is the SERVER, an flsvc
# in the target cgroup in the server namespace, and the probes run in the
# client namespace (netns: /run/netns/<client>).
#
#   control    no faults, 4 s: an HTTP and a TCP probe succeed on every
#              sample, probe.successRate is 1, nothing trips
#   http       100 % egress drop on the server: the HTTP probe's
#              connects time out, probe.failures > 3 over 10 s trips
#   tcp        the same fault: the TCP probe's failures trip
#   rate       the same fault: probe.successRate below 50 % trips
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
[[ -x $FL_DEMO_SVC ]] || fl_skip_all "no $FL_DEMO_SVC: run make all"

fl_plan 12
fl_setup

port=8080
fl_bg_in svc "$FL_NS_SRV" "$FL_CG_TARGET" "$FL_DEMO_SVC" serve --name web \
	--listen "$FL_SRV4:$port" --duration 120s
fl_wait_log svc "listening on" 5 &&
	grep -qx "$(fl_bg_pid svc)" "$FL_CG_TARGET/cgroup.procs"
fl_ok $? "the server runs in the target cgroup in the server namespace" ||
	fl_bail "cannot start the server"

exp=$FL_STATE/exp.yaml
drop='[{name: server-blackhole, direction: egress, drop: {percent: 100}}]'
probes="[{name: web, http: {url: \"http://$FL_SRV4:$port/healthz\", expectStatus: 200},
	  interval: 200ms, timeout: 300ms, netns: /run/netns/$FL_NS_CLI},
	 {name: port, tcp: {address: \"$FL_SRV4:$port\"},
	  interval: 200ms, timeout: 300ms, netns: /run/netns/$FL_NS_CLI}]"

# probe NAME PROBE FIELD: samples or failures of PROBE in NAME's report.
probe()
{
	fl_exp_q "$1" "[.probes[] | select(.name == \"$2\")][0].$3"
}

# cond NAME CONDITION: the value of the condition named CONDITION.
cond()
{
	fl_exp_q "$1" "[.conditions[] | select(.name == \"$2\")][0].value"
}

# ---- control: no faults ----
fl_exp_write "$exp" control 4s '[]' "[
	{name: web-fail, signal: probe.failures, probe: web, window: 4s, above: 3},
	{name: port-fail, signal: probe.failures, probe: port, window: 4s, above: 3},
	{name: web-ok, signal: probe.successRate, probe: web, window: 4s, below: 50%},
	{name: port-ok, signal: probe.successRate, probe: port, window: 4s, below: 50%}]" "$probes"
fl_exp_start control "$exp"
fl_exp_wait_started control
fl_ok $? "control: the experiment started" || fl_bail "faultline run did not start"
fl_wait control 20
rc=$?
state=$(fl_exp_q control .state)
[[ $rc == 0 && $state == Succeeded ]]
fl_ok $? "control: exit $rc, state ${state:-none}" || {
	fl_diag "$(fl_exp_summary control)"
	fl_diag_file "$FL_STATE/control.err"
}
for p in web port; do
	n=$(probe control "$p" samples)
	f=$(probe control "$p" failures)
	[[ ${n:-0} -ge 10 && $f == 0 ]]
	fl_ok $? "control: probe $p succeeds before the fault ($n samples, $f failures)"
done
ok_web=$(cond control web-ok)
ok_port=$(cond control port-ok)
[[ $ok_web == 1 && $ok_port == 1 ]]
fl_ok $? "control: probe.successRate is 1 for both (web $ok_web, port $ok_port)"

# faulted NAME CONDITIONS: a run of at most 15 s under the fault; sets rc.
faulted()
{
	fl_exp_write "$exp" "$1" 15s "$drop" "$2" "$probes"
	fl_exp_start "$1" "$exp"
	fl_exp_wait_started "$1"
	fl_wait "$1" 30
	rc=$?
}

# failed NAME PROBE: one result: PROBE failed at least 4 times in NAME.
failed()
{
	local n f

	n=$(probe "$1" "$2" samples)
	f=$(probe "$1" "$2" failures)
	[[ ${f:-0} -ge 4 ]]
	fl_ok $? "$1: probe $2 failed ${f:-none} times of ${n:-none}" ||
		fl_diag "$(fl_exp_summary "$1")"
}

# ---- the HTTP probe under a 100 % drop of the server's egress ----
faulted http '[{name: web-fail, signal: probe.failures, probe: web, window: 10s, above: 3}]'
fl_exp_check_trip http "$rc" probe.failures
failed http web

# ---- the TCP probe, same fault ----
faulted tcp '[{name: port-fail, signal: probe.failures, probe: port, window: 10s, above: 3}]'
fl_exp_check_trip tcp "$rc" probe.failures
failed tcp port

# ---- probe.successRate falls under the fault ----
# (A condition on it cannot ride along in the runs above without the risk
# of tripping first: the probes take their first sample as the run
# starts, and that one may still beat the fault.)
faulted rate '[{name: web-ok, signal: probe.successRate, probe: web, window: 10s, below: 50%}]'
fl_exp_check_trip rate "$rc" probe.successRate

fl_no_faultline_attached
fl_ok $? "nothing attached after the experiments"

fl_done
