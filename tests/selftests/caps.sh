#!/usr/bin/env bash
# caps: 'faultline inject' and 'faultline run' need only CAP_BPF,
# CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN, and hold nothing else after
# setup (user/lib/caps.c, README "Packaging"):
#   - started as full root, once armed its effective, permitted and
#     bounding sets are exactly the four, its inheritable and ambient sets
#     empty, and it drops the target's UDP;
#   - started under capsh with only the four (bounding set, no_new_privs),
#     inject and run work: armed, 20 of 20 UDP pings lost, Succeeded;
#   - with any one of the four missing, each names it (exit 3);
#   - as a non-root uid of its own with the four as ambient capabilities
#     (setpriv), or as file capabilities (setcap), inject and run drop
#     (RLIMIT_MEMLOCK 0), the report is
#     written, the run state is in $XDG_RUNTIME_DIR/faultline (0700) and
#     empty after; 'stop' as that uid stops its run; root's process needs
#     CAP_SYS_PTRACE or --netns; that uid's cleanup takes its killed legacy
#     run's filter and qdisc and leaves root's beside it; each of the four
#     missing is named alone; no runtime directory, or a symlink for the
#     state directory, is refused;
#   - root sees that uid's runs in /run/user/UID/faultline (its fallback
#     without XDG_RUNTIME_DIR): root's stop stops one, root's cleanup
#     takes a killed one's filter, qdisc and record.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq capsh setpriv setcap prlimit
fl_require_traffic
fl_require_faultline

FOUR=(BPF NET_ADMIN PERFMON SYS_ADMIN)
fl_plan $((22 + 3 * ${#FOUR[@]}))

# lower-case cap_ names, comma-separated, sorted
capset()
{
	printf 'cap_%s\n' "$@" | tr 'A-Z' 'a-z' | sort | paste -sd, -
}
KEEP=$(capset "${FOUR[@]}")

# drop_list KEEP: the bounding set's capabilities not in KEEP
drop_list()
{
	capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' |
		grep -vxF -f <(tr ',' '\n' <<<"$1") | paste -sd, -
}

# caps_of PID FIELD: FIELD (CapEff, CapPrm, ...) of PID as a sorted list
caps_of()
{
	local hex

	hex=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")
	capsh --decode="$hex" | sed 's/.*=//' | tr ',' '\n' | sort | paste -sd, -
}

# the pid of the faultline process under NAME (capsh execs it; env too)
fl_pid_of()
{
	fl_bg_pid "$1"
}

fl_setup
fl_start_servers
# The target's process holds no capability: without CAP_SYS_PTRACE,
# faultline may read /proc/PID/ns/net only of processes of its own uid
# whose capabilities are a subset of its own (a full-root one is checked
# at the end).
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" capsh --drop="$(drop_list "")" -- -c 'exec sleep 300'
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"
INJ=(inject --cgroup "$FL_CG_TARGET" --direction egress --proto udp --drop 100 --duration 3s)

# under KEEP CMD...: CMD with only the capabilities KEEP, no_new_privs
under()
{
	capsh --no-new-privs --drop="$(drop_list "$1")" -- -c 'exec "$0" "$@"' "${@:2}"
}

# refused_ptrace NAME CMD...: CMD exits 3 saying the target's processes
# cannot be inspected, naming CAP_SYS_PTRACE and --netns; leaves rc, err
refused_ptrace()
{
	"${@:2}" >/dev/null 2>"$FL_STATE/$1.err"
	rc=$?
	err=$(grep -v "running without" "$FL_STATE/$1.err" | head -n 1)
	[[ $rc == 3 && $err == *"cannot be inspected"*"CAP_SYS_PTRACE"*"--netns"* ]]
}

# ---- full root: after setup only the four ----
fl_bg root "$FL_BIN" "${INJ[@]}"
fl_wait_armed root || fl_bail "faultline inject (full root) did not arm"
pid=$(fl_pid_of root)
eff=$(caps_of "$pid" CapEff)
prm=$(caps_of "$pid" CapPrm)
bnd=$(caps_of "$pid" CapBnd)
inh=$(awk '$1 == "CapInh:" { print $2 }' "/proc/$pid/status")
amb=$(awk '$1 == "CapAmb:" { print $2 }' "/proc/$pid/status")
[[ $eff == "$KEEP" && $prm == "$KEEP" && $bnd == "$KEEP" && $inh == 0000000000000000 &&
	$amb == 0000000000000000 ]]
fl_ok $? "started as full root, once armed it holds only the four (eff $eff; prm $prm; bnd $bnd; inh $inh; amb $amb)"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 100
fl_wait root 10
rc=$?
[[ $rc == 0 && $PING_SENT == 20 && $PING_REPLIES == 0 ]]
fl_ok $? "with only the four left it drops the target's UDP ($PING) and ends Succeeded (exit $rc)" ||
	fl_diag_file "$FL_STATE/root.err"

# tasks_within PID SET: every thread's effective, permitted and bounding
# sets are within SET (capabilities are per thread)
tasks_within()
{
	local t f bad=0

	for t in /proc/"$1"/task/*; do
		for f in CapEff CapPrm CapBnd; do
			caps_of "${t#/proc/}" "$f" | tr ',' '\n' | grep -v '^$' |
				grep -qvxF -f <(tr ',' '\n' <<<"$2") && bad=1
		done
	done
	return "$bad"
}

# a run with a probe (threads) and an agent (metrics and control threads),
# started as full root: no thread keeps more than the four (and
# CAP_SYS_PTRACE, which they keep for pids and probe namespaces)
KEEP5=$(capset "${FOUR[@]}" SYS_PTRACE)
cat >"$FL_STATE/probe.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: probe$FL_RAND}
spec:
  duration: 3s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults: [{name: d, direction: egress, match: {protocol: udp}, drop: {percent: 100}}]
  failureConditions: [{name: f, signal: probe.failures, probe: p, above: 1000}]
  probes:
    - {name: p, tcp: {address: "$FL_SRV4:$FL_TCP_PORT"}, interval: 100ms, netns: /run/netns/$FL_NS_CLI}
EOF
fl_bg prun "$FL_BIN" run "$FL_STATE/probe.yaml"
fl_wait_armed prun || fl_diag_file "$FL_STATE/prun.err"
pid=$(fl_pid_of prun)
n=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
tasks_within "$pid" "$KEEP5" && [[ $n -ge 2 && $(caps_of "$pid" CapEff) == "$KEEP" ]]
fl_ok $? "run with a probe, from full root: $n threads, none holds more than ${KEEP5//,/ }; the main one only the four"
fl_wait prun 10
SOCK=$FL_STATE/agent.sock
fl_bg agent "$FL_BIN" agent --socket "$SOCK" --pin-dir "$FL_STATE/pin" \
	--metrics-addr "127.0.0.1:$(fl_free_port)"
fl_wait_for 10 test -S "$SOCK" || fl_diag_file "$FL_STATE/agent.err"
pid=$(fl_pid_of agent)
n=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
tasks_within "$pid" "$KEEP5" && [[ $n -ge 2 ]]
fl_ok $? "the agent, from full root: $n threads, none holds more than ${KEEP5//,/ }"
fl_stop agent TERM

# ---- started with only the four ----
fl_bg four under "$KEEP" "$FL_BIN" "${INJ[@]}"
fl_wait_armed four || fl_diag_file "$FL_STATE/four.err"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 100
fl_wait four 10
rc=$?
[[ $rc == 0 && $PING_SENT == 20 && $PING_REPLIES == 0 ]] &&
	! grep -q "missing" "$FL_STATE/four.err"
fl_ok $? "inject with exactly ${KEEP//,/ }: armed, 20 of 20 UDP pings lost ($PING), exit $rc" ||
	fl_diag_file "$FL_STATE/four.err"

fl_exp_drop_udp "$FL_STATE/drop.yaml" "caps$FL_RAND" "$FL_CG_TARGET" 1000000 5s
fl_bg frun under "$KEEP" "$FL_BIN" run "$FL_STATE/drop.yaml" --json
fl_wait_armed frun || fl_diag_file "$FL_STATE/frun.err"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 100
fl_wait frun 10
rc=$?
state=$(jq -r .state "$FL_STATE/frun.out" 2>/dev/null)
[[ $rc == 0 && $state == Succeeded && $PING_SENT == 20 && $PING_REPLIES == 0 ]]
fl_ok $? "run with exactly the four: 20 of 20 lost ($PING), $state, exit $rc" ||
	fl_diag_file "$FL_STATE/frun.err"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 20 --timeout-ms 300
[[ $PING_REPLIES == 20 ]]
fl_ok $? "after the runs the pings come back ($PING)"

# ---- one missing ----
for c in "${FOUR[@]}"; do
	less=$(tr ',' '\n' <<<"$KEEP" | grep -vx "cap_${c,,}" | paste -sd, -)
	under "$less" "$FL_BIN" "${INJ[@]}" >/dev/null 2>"$FL_STATE/no_$c.err"
	rc=$?
	err=$(grep -m 1 "missing" "$FL_STATE/no_$c.err")
	[[ $rc == 3 && $err == *"missing capabilities: CAP_$c (to "* ]]
	fl_ok $? "inject without CAP_$c names it (exit $rc: $err)"
	under "$less" "$FL_BIN" run "$FL_STATE/drop.yaml" >/dev/null 2>"$FL_STATE/runno_$c.err"
	rc=$?
	err=$(grep -m 1 "missing" "$FL_STATE/runno_$c.err")
	[[ $rc == 3 && $err == *"missing capabilities: CAP_$c (to "* ]]
	fl_ok $? "run without CAP_$c names it (exit $rc: $err)"
done

# ---- a non-root uid with only the four ----
# A uid of its own per run (no account needed), so that its cleanup,
# which takes only what its uid loaded, cannot meet another test's.
NB=$((3000000 + RANDOM * 4 + $$ % 4))
XDG=$FL_STATE/xdg
chmod 711 "$FL_STATE"
mkdir -m 700 "$XDG" "$FL_STATE/report" && chown "$NB:$NB" "$XDG" "$FL_STATE/report" ||
	fl_bail "cannot make uid $NB's runtime directory"
FOURL=$(printf '+%s,' "${FOUR[@],,}")
FOURL=${FOURL%,}
# as_nb CAPS: NB is the command that runs what follows it as uid NB
# holding exactly CAPS (+bpf,...; "" none), runtime directory XDG, the
# caller's environment otherwise (an array, since fl_bg needs a program:
# a function would run in a subshell that a signal to its pid misses)
as_nb()
{
	local c=-all${1:+,$1}

	NB_CMD=(env XDG_RUNTIME_DIR="$XDG" setpriv --reuid="$NB" --regid="$NB" --clear-groups
		--inh-caps="$c" --ambient-caps="$c" --bounding-set="$c")
}
# nonroot CAPS CMD...: CMD in the foreground as as_nb says
nonroot()
{
	as_nb "$1"
	"${NB_CMD[@]}" "${@:2}"
}
as_nb "$FOURL"
NB4=("${NB_CMD[@]}")
[[ ! -e /run/user/$NB ]] || fl_bail "/run/user/$NB exists: pick another uid"
mkdir "$FL_CG/nb" && FL_CGROUPS+=("$FL_CG/nb") || fl_bail "cannot make the cgroup nb"
# uid NB's own process: faultline under NB may read its /proc/PID/ns
fl_bg_in nbhold "$FL_NS_CLI" "$FL_CG/nb" setpriv --reuid="$NB" --regid="$NB" --clear-groups sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG/nb/cgroup.procs) -ge 1 ]]" ||
	fl_bail "uid $NB's process did not enter its cgroup"
NBINJ=(inject --cgroup "$FL_CG/nb" --direction egress --proto udp --drop 100)

# drops_all NAME CG: NAME (started with fl_bg) arms, all 20 UDP pings from
# CG are lost, and NAME exits 0; leaves rc and PING for the message
drops_all()
{
	fl_wait_armed "$1" || fl_diag_file "$FL_STATE/$1.err"
	fl_udp_ping "$2" "$FL_SRV4" 20 --timeout-ms 100
	fl_wait "$1" 10
	rc=$?
	[[ $rc == 0 && $PING_SENT == 20 && $PING_REPLIES == 0 && $PING_ERRORS == 0 ]]
}

# RLIMIT_MEMLOCK 0 too: BPF memory is charged to the memory cgroup since
# 5.11, so neither the limit nor CAP_SYS_RESOURCE is needed
fl_bg nb "${NB4[@]}" prlimit --memlock=0:0 "$FL_BIN" "${NBINJ[@]}" --duration 3s
drops_all nb "$FL_CG/nb" && ! grep -q "missing" "$FL_STATE/nb.err"
fl_ok $? "inject as uid $NB with the four (RLIMIT_MEMLOCK 0): 20 of 20 UDP pings lost ($PING), exit $rc" ||
	fl_diag_file "$FL_STATE/nb.err"

# file capabilities instead: a copy of the binary with the four (+ep),
# started by uid NB holding none
cp "$FL_BIN" "$FL_STATE/faultline.fcaps" &&
	setcap cap_bpf,cap_net_admin,cap_perfmon,cap_sys_admin+ep "$FL_STATE/faultline.fcaps" ||
	fl_bail "cannot set file capabilities on a copy of faultline"
# (the bounding set keeps the four: exec refuses a +e file whose
# capabilities it cannot all grant)
fl_bg nbf env XDG_RUNTIME_DIR="$XDG" setpriv --reuid="$NB" --regid="$NB" --clear-groups \
	--inh-caps=-all --ambient-caps=-all --bounding-set="-all,$FOURL" \
	"$FL_STATE/faultline.fcaps" "${NBINJ[@]}" --duration 3s
drops_all nbf "$FL_CG/nb"
fl_ok $? "uid $NB without capabilities, the four as file capabilities (setcap +ep): 20 of 20 lost ($PING), exit $rc" ||
	fl_diag_file "$FL_STATE/nbf.err"

fl_exp_drop_udp "$FL_STATE/nb.yaml" "nb$FL_RAND" "$FL_CG/nb" 1000000 5s
fl_bg nbrun "${NB4[@]}" "$FL_BIN" run "$FL_STATE/nb.yaml" --json --report-dir "$FL_STATE/report"
drops_all nbrun "$FL_CG/nb"
ok=$?
state=$(jq -r .state "$FL_STATE/report/report.json" 2>/dev/null)
dropped=$(jq -r '[.faults[]?.egress.dropped // empty] | add // 0' "$FL_STATE/report/report.json" 2>/dev/null)
owner=$(stat -c %u "$FL_STATE/report/report.json" 2>/dev/null)
[[ $ok == 0 && $state == Succeeded && $owner == "$NB" ]]
fl_ok $? "run as uid $NB: 20 of 20 lost ($PING), report.json written by uid $owner: $state, exit $rc" ||
	{ fl_diag_file "$FL_STATE/nbrun.err"; fl_diag "dropped in the report: $dropped"; }

SD=$XDG/faultline
left=$(find "$SD" -mindepth 1 ! -name lock | wc -l)
[[ $(stat -c '%u %a' "$SD") == "$NB 700" && $left == 0 ]]
fl_ok $? "uid $NB's run state in \$XDG_RUNTIME_DIR/faultline (uid $(stat -c '%u, mode %a' "$SD")), $left record left after the runs" ||
	fl_diag "$(ls -la "$SD")"

fl_bg nblong "${NB4[@]}" "$FL_BIN" "${NBINJ[@]}" --duration 60s
fl_wait_armed nblong || fl_diag_file "$FL_STATE/nblong.err"
out=$(nonroot "" "$FL_BIN" stop 2>&1)
fl_wait nblong 10
rc=$?
[[ $rc == 130 && $out == *"stopping experiment"* ]]
fl_ok $? "'faultline stop' as uid $NB (no capabilities) stops its own run (exit $rc: $out)"

# another uid's process (root's, in the target cgroup) is not
# inspectable without CAP_SYS_PTRACE; naming the namespace works
refused_ptrace nbother nonroot "$FOURL" "$FL_BIN" inject --cgroup "$FL_CG_TARGET" --drop 10 --duration 2s
fl_ok $? "uid $NB on root's process: refused, naming CAP_SYS_PTRACE and --netns (exit $rc: $err)"
fl_bg nbns "${NB4[@]}" "$FL_BIN" inject --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --proto udp --drop 100 --duration 3s
drops_all nbns "$FL_CG_TARGET"
fl_ok $? "uid $NB on root's process with --netns: 20 of 20 lost ($PING), exit $rc" ||
	fl_diag_file "$FL_STATE/nbns.err"

# cleanup by uid NB takes its own run's leftovers and nothing of root's:
# root holds a legacy filter in the server namespace meanwhile
mkdir "$FL_CG/srv" && FL_CGROUPS+=("$FL_CG/srv") || fl_bail "cannot make the cgroup srv"
fl_bg_in srvhold "$FL_NS_SRV" "$FL_CG/srv" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG/srv/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the server-side process did not enter its cgroup"
fl_bg rootleg env FAULTLINE_TC=legacy "$FL_BIN" inject --cgroup "$FL_CG/srv" --direction egress \
	--proto udp --drop 100 --duration 20s
fl_wait_armed rootleg || fl_diag_file "$FL_STATE/rootleg.err"
fl_bg nbleg "${NB4[@]}" env FAULTLINE_TC=legacy "$FL_BIN" "${NBINJ[@]}" --duration 20s
fl_wait_armed nbleg || fl_diag_file "$FL_STATE/nbleg.err"
fl_stop nbleg KILL
# clsact_in NS: a clsact qdisc is in NS
clsact_in()
{
	tc -n "$1" qdisc show 2>/dev/null | grep -q clsact
}
# filters_of NS DEV: the fl_ programs on DEV's egress in NS
filters_of()
{
	tc -n "$1" filter show dev "$2" egress 2>/dev/null | grep -c ' name fl_'
}
before="client $(filters_of "$FL_NS_CLI" "$FL_IF_CLI"), server $(filters_of "$FL_NS_SRV" "$FL_IF_SRV")"
recs=$(find "$SD" -name 'run.*' | wc -l)
out=$(nonroot "$FOURL" "$FL_BIN" cleanup 2>&1)
rc=$?
after="client $(filters_of "$FL_NS_CLI" "$FL_IF_CLI"), server $(filters_of "$FL_NS_SRV" "$FL_IF_SRV")"
[[ $rc == 0 && $before == "client 1, server 1" && $recs -ge 1 && $after == "client 0, server 1" &&
	$(find "$SD" -name 'run.*' | wc -l) == 0 ]] && ! clsact_in "$FL_NS_CLI"
fl_ok $? "cleanup as uid $NB after its legacy run was killed: its filter, clsact and $recs record gone, root's filter kept (exit $rc; filters before: $before; after: $after; $out)"
fl_stop rootleg INT
rc=$?
[[ $rc == 130 || $rc == 0 ]] && ! clsact_in "$FL_NS_SRV"
fl_ok $? "root's run beside it ends normally and cleans up (exit $rc)" ||
	fl_diag_file "$FL_STATE/rootleg.err"

# root sees uid NB's runs under /run/user/NB (no XDG_RUNTIME_DIR: the
# fallback): its stop stops one, its cleanup takes a killed one's record
mkdir -m 700 "/run/user/$NB" && chown "$NB:$NB" "/run/user/$NB" ||
	fl_bail "cannot make /run/user/$NB"
trap 'fl_teardown; rm -rf -- "/run/user/$NB"' EXIT
NBRUN=(env -u XDG_RUNTIME_DIR "${NB4[@]:2}")
fl_exp_drop_udp "$FL_STATE/nbu.yaml" "nbu$FL_RAND" "$FL_CG/nb" 1000000 60s
fl_bg nbu "${NBRUN[@]}" "$FL_BIN" run "$FL_STATE/nbu.yaml"
fl_wait_armed nbu || fl_diag_file "$FL_STATE/nbu.err"
exp=$(find "/run/user/$NB/faultline" -name 'exp.*' | wc -l)
out=$("$FL_BIN" stop "nbu$FL_RAND" 2>&1)
fl_wait nbu 10
rc=$?
[[ $exp == 1 && $rc == 130 && $out == *"stopping experiment nbu$FL_RAND"* ]]
fl_ok $? "uid $NB's run keeps its state in /run/user/$NB/faultline ($exp record); root's 'stop NAME' stops it (exit $rc: $out)"
fl_bg nbu2 "${NBRUN[@]}" env FAULTLINE_TC=legacy "$FL_BIN" "${NBINJ[@]}" --duration 20s
fl_wait_armed nbu2 || fl_diag_file "$FL_STATE/nbu2.err"
fl_stop nbu2 KILL
recs=$(find "/run/user/$NB/faultline" -name 'run.*' | wc -l)
out=$("$FL_BIN" cleanup --netns "/run/netns/$FL_NS_CLI" 2>&1)
rc=$?
[[ $rc == 0 && $recs == 1 && $(find "/run/user/$NB/faultline" -name 'run.*' | wc -l) == 0 &&
	$(filters_of "$FL_NS_CLI" "$FL_IF_CLI") == 0 ]] && ! clsact_in "$FL_NS_CLI"
fl_ok $? "root's cleanup --netns takes uid $NB's killed legacy run: filter, clsact and its record in /run/user/$NB (exit $rc: $out)"
rm -rf -- "/run/user/$NB"	# for the case without a runtime directory below

# each of the four missing: that one named, and only that one
for c in "${FOUR[@]}"; do
	less=$(tr ',' '\n' <<<"$FOURL" | grep -vx "+${c,,}" | paste -sd, -)
	nonroot "$less" "$FL_BIN" "${NBINJ[@]}" --duration 2s >/dev/null 2>"$FL_STATE/nbno_$c.err"
	rc=$?
	err=$(grep -m 1 "missing capabilities" "$FL_STATE/nbno_$c.err")
	named=$(grep -o 'CAP_[A-Z_]* (to ' <<<"$err" | paste -sd' ' -)
	[[ $rc == 3 && $named == "CAP_$c (to " && $err == *"run it as root, or grant"* ]]
	fl_ok $? "uid $NB without CAP_$c: exit $rc, names only it ($err)"
done

# no runtime directory of its own; a state directory that is not its own
out=$(env -u XDG_RUNTIME_DIR setpriv --reuid="$NB" --regid="$NB" --clear-groups \
	--inh-caps="-all,$FOURL" --ambient-caps="-all,$FOURL" --bounding-set="-all,$FOURL" \
	"$FL_BIN" "${NBINJ[@]}" --duration 2s 2>&1 >/dev/null)
rc=$?
out=$(grep -v "running without" <<<"$out")
[[ $rc == 3 && $out == *"no runtime directory"*"XDG_RUNTIME_DIR"* ]]
fl_ok $? "uid $NB without XDG_RUNTIME_DIR or /run/user/$NB: refused, saying what to set (exit $rc: $out)"
mv "$SD" "$SD.old" && ln -s "$FL_STATE" "$SD"
out=$(nonroot "$FOURL" "$FL_BIN" "${NBINJ[@]}" --duration 2s 2>&1 >/dev/null)
rc=$?
out=$(grep -v "running without" <<<"$out")
rm -f "$SD"
[[ $rc == 3 && $out == *"is not a directory of uid $NB"*"a symlink"* ]]
fl_ok $? "a run-state path that is a symlink: refused (exit $rc: $out)"

# ---- a target process with more capabilities than faultline ----
fl_bg_in rich "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 300
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_BYSTANDER/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the bystander's process did not enter its cgroup"
refused_ptrace rich under "$KEEP" "$FL_BIN" inject --cgroup "$FL_CG_BYSTANDER" --drop 10 --duration 2s
fl_ok $? "a target process holding more capabilities: refused, naming CAP_SYS_PTRACE and --netns (exit $rc: $err)"

fl_no_faultline_attached
fl_ok $? "nothing attached after the test"
fl_done
