#!/usr/bin/env bash
# xdp_dispatcher (VM: the host kernel refuses freplace programs, so libxdp
# cannot build its dispatcher there): faultline joins libxdp's
# multi-program dispatcher that xdp-filter (Debian's xdp-tools) put on the
# client veth, after xdp-filter, and leaves it as it found it
# (README "Neighbours").
#   join     faultline's XDP ingress drop of UDP to 7000 works while
#            xdp-filter's rule (replies from 7093) still drops and counts;
#            'xdp-loader status' lists xdp-filter's program first, then
#            fl_xdp_in at run priority 64023
#   leave    after the run the dispatcher holds xdp-filter's program alone,
#            with its id and priority, and 7000 passes
#   SIGKILL  a killed run's program stays in the dispatcher (libxdp pins
#            it); 'faultline cleanup --netns' takes it out, and only it
#   plain    xdp-filter loaded without the dispatcher: FAULTLINE_INGRESS=
#            xdp is refused (exit 3) naming the program; chosen freely,
#            faultline takes tc ingress beside it
# libxdp finds a dispatcher's programs through pins in bpffs: xdp-filter,
# xdp-loader and faultline run in a mount namespace of this test with a
# bpffs of its own on /sys/fs/bpf.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip bpftool nsenter unshare xdp-filter xdp-loader
fl_require_traffic
fl_require_faultline

fl_plan 12
fl_setup
fl_start_servers
for p in 7093 7094; do
	fl_server "echo$p" udp-echo --port "$p" --duration 300 || fl_bail "cannot start udp-echo on $p"
done
# the target alone lives in the client namespace: faultline chooses XDP
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

fl_bg mntns unshare -m --propagation private sh -c \
	'mount -t bpf bpf /sys/fs/bpf && echo ready && exec sleep 300'
fl_wait_for 5 grep -q ready "$FL_STATE/mntns.out" || fl_bail "no private bpffs"
MNT=$(pgrep -P "$(fl_bg_pid mntns)" sleep || fl_bg_pid mntns)
# inmnt CMD...: CMD in the test's mount namespace (its bpffs), with the
# root and working directory of the process there (the VM's tests run in
# a chroot)
inmnt()
{
	nsenter -t "$MNT" -m -r -w "$@"
}
# innet CMD...: CMD there and in the client namespace (nsenter opens the
# namespace's file before it enters the mount namespace)
innet()
{
	nsenter -t "$MNT" -m -r -w --net="/run/netns/$FL_NS_CLI" "$@"
}
xdpf()
{
	innet xdp-filter "$@"
}
# progs: "PRIO:NAME:ID ..." of the dispatcher's programs, in run order
progs()
{
	innet xdp-loader status "$FL_IF_CLI" 2>/dev/null |
		awk '$1 == "=>" { printf "%s%s:%s:%s", sep, $2, $3, $4; sep = " " }'
}
main_prog()
{
	innet xdp-loader status "$FL_IF_CLI" 2>/dev/null |
		awk -v d="$FL_IF_CLI" '$1 == d { print $2 }'
}
xdpf_hits()
{
	xdpf status 2>/dev/null | awk '$1 == 7093 { print $NF; exit }'
}
# replies PORT: how many of 10 UDP pings from the target come back
replies()
{
	local out

	out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" --port "$1" \
		--count 10 --timeout-ms 100)
	fl_kv "$out" replies || echo -1
}
# inject NAME [VAR=VALUE]... ARGS: faultline in the test's mount namespace
inject()
{
	local name=$1 envs=()

	shift
	while [[ $# -gt 0 && $1 == [A-Z]*=* ]]; do
		envs+=("$1")
		shift
	done
	fl_bg "$name" nsenter -t "$MNT" -m -r -w env "${envs[@]}" "$FL_BIN" inject "$@"
}
FAULT=(--cgroup "$FL_CG_TARGET" --proto udp --port 7000 --drop 100)

xdpf load --mode native "$FL_IF_CLI" >"$FL_STATE/xdpf.log" 2>&1 &&
	xdpf port 7093 --mode src --proto udp >>"$FL_STATE/xdpf.log" 2>&1 ||
	fl_bail "xdp-filter did not load: $(cat "$FL_STATE/xdpf.log")"
BEFORE=$(progs)
[[ $(main_prog) == xdp_dispatcher && $BEFORE == *:xdpfilt_* && $(wc -w <<<"$BEFORE") == 1 ]]
fl_ok $? "xdp-filter is in libxdp's dispatcher: $(main_prog) [$BEFORE]" ||
	fl_bail "libxdp made no dispatcher here: $(cat "$FL_STATE/xdpf.log")"
r93=$(replies 7093)
r00=$(replies 7000)
[[ $r93 == 0 && $r00 == 10 ]]
fl_ok $? "before: xdp-filter drops replies from 7093 ($r93 of 10 back), 7000 passes ($r00)"

# ---- join ----
inject run "${FAULT[@]}" --duration 30s
fl_wait_armed run 60 || fl_bail "faultline did not start: $(head -n 3 "$FL_STATE/run.err")"
hooks=$(grep -m 1 "started" "$FL_STATE/run.err")
during=$(progs)
hits=$(xdpf_hits)
r00=$(replies 7000)
r94=$(replies 7094)
r93=$(replies 7093)
[[ $r00 == 0 && $r94 == 10 && $r93 == 0 && $(xdpf_hits) -ge $((hits + 10)) && $hooks == *xdp_dispatcher* ]]
fl_ok $? "join: faultline drops UDP to 7000 ($r00 of 10 back; 7094 $r94) and xdp-filter still drops 7093 ($r93 back, hits $hits -> $(xdpf_hits)): $hooks"
[[ $during == "$BEFORE 64023:fl_xdp_in:"* && $(wc -w <<<"$during") == 2 ]]
fl_ok $? "join: the dispatcher runs xdp-filter first, then faultline [$during]"
FL_ID_RUN=${during##*:}
fl_stop run TERM
rc=$?
r00=$(replies 7000)
r93=$(replies 7093)
[[ $rc == 130 && $(progs) == "$BEFORE" && $r00 == 10 && $r93 == 0 ]]
fl_ok $? "leave (exit $rc): xdp-filter alone in the dispatcher, as before [$(progs)]; 7000 passes ($r00), 7093 still dropped ($r93)"
! bpftool prog show id "$FL_ID_RUN" >/dev/null 2>&1
fl_ok $? "leave: faultline's component (id $FL_ID_RUN) is gone from the kernel"

# ---- SIGKILL, then cleanup (FAULTLINE_INGRESS=xdp joins as well) ----
inject killed FAULTLINE_INGRESS=xdp "${FAULT[@]}" --duration 30s
fl_wait_armed killed 60 || fl_bail "faultline did not start: $(head -n 3 "$FL_STATE/killed.err")"
fl_stop killed KILL
left=$(progs)
r00=$(replies 7000)
[[ $left == "$BEFORE 64023:fl_xdp_in:"* && $r00 == 0 ]]
fl_ok $? "SIGKILL: the killed run's program stays in the dispatcher, armed until its deadline ($r00 of 10 back) [$left]"
out=$(inmnt "$FL_BIN" cleanup --netns "/run/netns/$FL_NS_CLI" 2>&1)
rc=$?
r00=$(replies 7000)
r93=$(replies 7093)
[[ $rc == 0 && $(progs) == "$BEFORE" && $r00 == 10 && $r93 == 0 ]]
fl_ok $? "cleanup --netns (exit $rc: $out): xdp-filter alone, as before [$(progs)]; 7000 passes ($r00), 7093 dropped ($r93)"
! bpftool prog show id "${left##*:}" >/dev/null 2>&1
fl_ok $? "cleanup: the killed run's component (id ${left##*:}) is gone from the kernel"

# ---- a plain XDP program: refused at XDP, tc beside it when chosen freely ----
xdpf unload "$FL_IF_CLI" >>"$FL_STATE/xdpf.log" 2>&1
LIBXDP_SKIP_DISPATCHER=1 xdpf load --mode native "$FL_IF_CLI" >>"$FL_STATE/xdpf.log" 2>&1 &&
	xdpf port 7093 --mode src --proto udp >>"$FL_STATE/xdpf.log" 2>&1 ||
	fl_bail "xdp-filter did not load without the dispatcher: $(cat "$FL_STATE/xdpf.log")"
[[ $(main_prog) == xdpfilt_* ]] || fl_bail "xdp-filter's program is not on its own: $(main_prog)"
inject plain FAULTLINE_INGRESS=xdp "${FAULT[@]}" --duration 5s
fl_wait plain 30
rc=$?
err=$(grep -m 1 "XDP program" "$FL_STATE/plain.err")
[[ $rc == 3 && $err == *"not libxdp's multi-program dispatcher"*"FAULTLINE_INGRESS=tc"* && $(main_prog) == xdpfilt_* ]]
fl_ok $? "plain: FAULTLINE_INGRESS=xdp refused (exit $rc: $err)"
inject auto "${FAULT[@]}" --duration 30s
fl_wait_armed auto 60 || fl_bail "faultline did not start: $(head -n 3 "$FL_STATE/auto.err")"
hooks=$(grep -m 1 "started" "$FL_STATE/auto.err")
r00=$(replies 7000)
r93=$(replies 7093)
fl_stop auto TERM
[[ $r00 == 0 && $r93 == 0 && $hooks != *xdp* && $hooks == *_ingress* ]]
fl_ok $? "plain: chosen freely, faultline drops 7000 at tc ingress ($r00 back) beside xdp-filter ($r93 back): $hooks"

xdpf unload "$FL_IF_CLI" >>"$FL_STATE/xdpf.log" 2>&1
fl_no_faultline_attached
fl_ok $? "nothing of faultline's attached after the test"
fl_done
