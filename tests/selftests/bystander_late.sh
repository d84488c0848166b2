#!/usr/bin/env bash
# bystander_late: a process of another cgroup that enters a target's
# network namespace after the faults are armed is never touched, and
# never counted for the target.
#
# The target's process (a sleep) is alone in the client namespace, so the
# namespace is "owned" and ingress is decided by destination address (XDP
# or tc). Then, with "faultline inject --direction ingress --drop 100"
# armed, a bystander's process starts there. For each ingress hook
# (default XDP native, FAULTLINE_XDP=generic, FAULTLINE_INGRESS=tc on tcx
# and on the legacy clsact path, and FAULTLINE_INGRESS=cgroup as the
# control) the test checks:
#   - before the bystander: the target's UDP echoes are all dropped;
#   - the bystander's 100 UDP echoes all come back, and its 4 MB TCP
#     stream completes (a bystander taken for the target loses them all);
#   - afterwards the target's echoes are still all dropped: the cgroup
#     hook took over (a fallback that passed everything fails here);
#   - the report lists the namespace under sharedNamespaces, found by the
#     socket watcher, with the bystander's pid, and the loader took the
#     owner hook off (XDP, tcx; a legacy filter stays and passes) (not for
#     the cgroup hook, which never decides by address).
# Then an experiment with http.responses.5xx above 0 runs on the owned
# namespace while a late bystander GETs from a server answering 500: the
# bystander's 500s must not reach the target's signal (it ends Succeeded,
# value 0), while a run where the target itself GETs trips (the control).
# Throughput ratios are measured by make bench (bench/RESULTS.md).
# FL_LATE_HOOKS names the hooks to run (default all five): the 6.1 suite
# runs xdp and tclegacy, the kernel's own paths there (without tcx, "tcx"
# is the legacy path again; generic XDP and the cgroup hook run the same
# programs as the host's).
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic
[[ -x $FL_DEMO_SVC ]] || fl_skip_all "no $FL_DEMO_SVC: run make all"

hooks=${FL_LATE_HOOKS:-xdp xdpgeneric tcx tclegacy cgroup}
read -ra hooks <<<"$hooks"
fl_plan $((5 * ${#hooks[@]} + 4))
[[ -n ${FL_LATE_HOOKS:-} ]] && fl_diag "FL_LATE_HOOKS: only ${hooks[*]}"
fl_setup
fl_start_servers

fl_exp_sleeper "$FL_NS_CLI" || fl_bail "cannot start the target's process"

# late NAME WANT_SHARED [VAR=VALUE...]: five results (see the top).
late()
{
	local name=$1 want_shared=$2 out pid n

	shift 2
	fl_faultline_start "$name" "$@" --cgroup "$FL_CG_TARGET" --direction ingress \
		--drop 100 --duration 60s --json
	if ! fl_wait_armed "$name"; then
		for n in 1 2 3 4 5; do fl_ok 1 "$name: armed"; done
		return
	fi
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 50
	[[ $PING_SENT == 50 && $PING_REPLIES == 0 ]]
	fl_ok $? "$name ${*:-default}: before the bystander, the target's echoes are dropped ($PING)"

	fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 100 --timeout-ms 3000
	[[ $PING_SENT == 100 && $PING_REPLIES == 100 ]]
	fl_ok $? "$name ${*:-default}: a bystander that came in after arming gets every echo ($PING)"
	out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_BYSTANDER" tcp-stream --dst "$FL_SRV4" \
		--port "$FL_TCP_PORT" --bytes 4000000 --timeout-ms 10000)
	fl_ok $? "$name ${*:-default}: the bystander's 4 MB TCP stream completes ($out)"

	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 50
	[[ $PING_SENT == 50 && $PING_REPLIES == 0 ]]
	fl_ok $? "$name ${*:-default}: after the bystander came, the target's echoes are still dropped ($PING)"

	fl_stop "$name" INT
	n=$(jq -r '.sharedNamespaces | length' "$FL_STATE/$name.out" 2>/dev/null)
	if [[ $want_shared == 1 ]]; then
		# the owner hook that only passes now is taken off (XDP and tcx;
		# a legacy filter stays, passing: on 6.1 tc ingress is one)
		want_off=0
		grep -q 'started:.*\(xdp_native\|xdp_generic\|tcx_ingress\)' "$FL_STATE/$name.err" &&
			want_off=1
		grep -q "is shared now (pid [0-9]*.*): $want_off owner hook" "$FL_STATE/$name.err" || n="$n, but the log does not say $want_off owner hook(s) were taken off"
		pid=$(jq -r '.sharedNamespaces[0].pid' "$FL_STATE/$name.out" 2>/dev/null)
		[[ $n == 1 && $(jq -r '.sharedNamespaces[0].foundBy' "$FL_STATE/$name.out") == socket &&
			$pid =~ ^[0-9]+$ && $pid -gt 1 ]]
		fl_ok $? "$name ${*:-default}: the report names the namespace as shared, by pid ${pid:-none} (entries: ${n:-no report}); $(grep -o 'is shared now.*taken off' "$FL_STATE/$name.err")" ||
			fl_diag_file "$FL_STATE/$name.err"
	else
		[[ $n == 0 ]]
		fl_ok $? "$name ${*:-default}: the cgroup hook never owned the namespace (entries: ${n:-no report})"
	fi
}

for h in "${hooks[@]}"; do
	case $h in
	xdp) late xdp 1 ;;
	xdpgeneric) late xdpgeneric 1 FAULTLINE_XDP=generic ;;
	tcx) late tcx 1 FAULTLINE_INGRESS=tc ;;
	tclegacy) late tclegacy 1 FAULTLINE_INGRESS=tc FAULTLINE_TC=legacy ;;
	cgroup) late cgroup 0 FAULTLINE_INGRESS=cgroup ;;
	*) fl_bail "FL_LATE_HOOKS: unknown hook $h (xdp, xdpgeneric, tcx, tclegacy, cgroup)" ;;
	esac
done

# ---- HTTP answers of a late bystander are not the target's ----
http_port=$(fl_free_port)
fl_bg_in svc500 "$FL_NS_SRV" - "$FL_DEMO_SVC" serve --name err500 \
	--listen "$FL_SRV4:$http_port" --status 500 --duration 120s
fl_wait_log svc500 "listening on" 5 || fl_bail "flsvc did not start"

exp=$FL_STATE/exp.yaml
# http_run NAME CGROUP: an experiment on the target (8 s) that fails at the first
# 5xx, while CGROUP's process GETs from the 500 server in the client
# namespace for 4 s; sets rc.
http_run()
{
	local name=$1 cg=$2 i

	fl_exp_write "$exp" "$name" 8s '[]' \
		'[{name: e5xx, signal: http.responses.5xx, window: 5s, above: 0}]'
	fl_exp_start "$name" "$exp"
	if ! fl_exp_wait_started "$name"; then
		fl_wait "$name" 5
		rc=$?
		return
	fi
	for i in $(seq 20); do
		fl_run_in "$FL_NS_CLI" "$cg" "$FL_DEMO_SVC" get \
			--url "http://$FL_SRV4:$http_port/x" --timeout 1s >/dev/null 2>&1
		sleep 0.2
	done
	fl_wait "$name" 15
	rc=$?
}

http_run http_bystander "$FL_CG_BYSTANDER"
[[ $rc == 0 && $(fl_exp_q http_bystander .state) == Succeeded &&
	$(fl_exp_cond http_bystander http.responses.5xx value) == 0 ]]
fl_ok $? "a late bystander's 20 answers of 500 do not count for the target: exit $rc, $(fl_exp_summary http_bystander)"
[[ $(fl_exp_q http_bystander '.sharedNamespaces[0].foundBy') == socket ]]
fl_ok $? "the report says the bystander ended the ownership ($(fl_exp_q http_bystander '.sharedNamespaces'))"
# the control: the same GETs from the target trip the condition
http_run http_target "$FL_CG_TARGET"
[[ $rc == 1 && $(fl_exp_q http_target .state) == Failed ]]
fl_ok $? "control: the target's own 500s trip it: exit $rc, $(fl_exp_summary http_target)"
fl_stop svc500

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

fl_done
