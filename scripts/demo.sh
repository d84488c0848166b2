#!/usr/bin/env bash
# `faultline demo` (and `make demo`): a self-contained sandbox experiment,
# bookinfo style.
#
#   loadgen --> productpage --> reviews --> ratings      (HTTP, port 9080)
#
# Each service (and the load generator) runs in its own network namespace and
# its own cgroup v2 directory; the namespaces hang off one bridge in a fifth
# namespace, all on 198.18.0.0/24. Two experiments drop everything reaching
# ratings:
#   1. reviews has no fallback: productpage answers 502, the probe's failure
#      condition trips, and faultline stops the fault within milliseconds
#      (Failed, exit code 1);
#   2. reviews falls back: productpage stays up, the experiment runs its whole
#      duration (Succeeded, exit code 0).
# After each, it checks that nothing of faultline's is left in the sandbox;
# after tearing the sandbox down, that nothing of the demo is left at all.
# It touches nothing outside its own namespaces, cgroups and 198.18.0.0/24;
# only /tmp/faultline-demo-XXXX (experiment files, reports, logs) remains.
# Exit status: 0 when both experiments end as expected and nothing is left
# behind, 1 otherwise.
#
# `faultline demo` passes the binaries in FL_DEMO_FAULTLINE and FL_DEMO_FLSVC;
# run directly, the script takes them from the build tree (OUTPUT, default
# build).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${OUTPUT:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
FL=${FL_DEMO_FAULTLINE:-$BUILD/faultline}
SVC=${FL_DEMO_FLSVC:-$BUILD/tools/flsvc}
R=$(printf '%04x' $((RANDOM)))
NS=fl_demo_$R
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=$CGROOT/fl_demo_$R
OUT=/tmp/faultline-demo-$R
PORT=9080
EXP2_DURATION=20s
ROLES=(productpage reviews ratings loadgen)
declare -A ADDR=([productpage]=198.18.0.1 [reviews]=198.18.0.2 [ratings]=198.18.0.3 [loadgen]=198.18.0.10)
declare -A PID=()	# role -> pid of the process in its namespace
FLPID=
FLPIDS=	# every faultline run started, for their state in /run/faultline
CUR=	# the experiment running
SANDBOX=0	# set once the sandbox is being built: teardown then checks what is left
LOADPID=
T0=$SECONDS

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root (network namespaces, cgroups, BPF); run 'sudo faultline demo' or 'sudo make demo'" >&2
	exit 1
fi
if [[ -z $CGROOT ]]; then
	echo "demo: no cgroup v2 mount found; mount one (mount -t cgroup2 none /sys/fs/cgroup/unified)" >&2
	exit 1
fi
for b in "$FL" "$SVC"; do
	[[ -x $b ]] || { echo "demo: $b is missing; run 'make' first (or 'make demo')" >&2; exit 1; }
done
for c in ip tc bpftool; do
	command -v "$c" >/dev/null || { echo "demo: '$c' not found; run scripts/deps.sh" >&2; exit 1; }
done
while [[ -e $OUT || -e /run/netns/${NS}_br || -e $CG ]]; do
	R=$(printf '%04x' $((RANDOM)))
	NS=fl_demo_$R CG=$CGROOT/fl_demo_$R OUT=/tmp/faultline-demo-$R
done

ns() { echo "${NS}_$1"; }	# the namespace of a role (or "br")

# A process is running (not gone, not a zombie waiting for us).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ ${st:0:1} != Z ]]
}

# Stop a process we started and wait for it, SIGKILL after 3 s.
stop_pid() {
	local p=$1 i
	[[ -n $p ]] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for i in $(seq 30); do alive "$p" || break; sleep 0.1; done
	if alive "$p"; then
		echo "demo: pid $p did not stop on SIGTERM; killing it" >&2
		kill -KILL "$p" 2>/dev/null || true
	fi
	wait "$p" 2>/dev/null || true
}

teardown() {
	local rc=$? role p d
	trap - EXIT INT TERM HUP
	set +e
	# faultline first: on SIGTERM it disarms, detaches and restores everything
	if [[ -n $FLPID ]]; then
		stop_pid "$FLPID"
		[[ -s $OUT/exp$CUR/report.txt ]] && echo "demo: faultline: $(head -1 "$OUT/exp$CUR/report.txt")"
	fi
	stop_pid "$LOADPID"
	for role in "${ROLES[@]}"; do stop_pid "${PID[$role]:-}"; done
	# anything else still in our cgroups is ours (started by this script)
	for role in "${ROLES[@]}"; do
		d=$CG/$role
		[[ -f $d/cgroup.procs ]] || continue
		while read -r p; do kill -KILL "$p" 2>/dev/null; done < "$d/cgroup.procs"
	done
	for role in "${ROLES[@]}" br; do ip netns del "$(ns "$role")" 2>/dev/null; done
	for role in "${ROLES[@]}" ""; do
		d=$CG/$role
		[[ -d $d ]] || continue
		for _ in $(seq 20); do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
	done
	if [[ -d $OUT ]]; then
		echo
		echo "demo: sandbox removed; experiment files, reports and logs are in $OUT"
	fi
	if [[ $SANDBOX == 1 ]] && ! report_left_behind && [[ $rc == 0 ]]; then
		rc=1
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT
trap 'echo; echo "demo: terminated" >&2; exit 143' TERM
trap 'echo; echo "demo: hung up" >&2; exit 129' HUP

if [[ -t 1 ]]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s  (t=%ds)\n' "$B" "$*" "$N" $((SECONDS - T0)); }
say() { printf '  %s\n' "$*"; }
die() { printf 'demo: FAILED: %s\n' "$*" >&2; exit 1; }

# Become a command in a role's cgroup and namespace; for a background
# subshell (`exec_in_role ... &`), so that $! is the command's own pid. The
# shell joins the cgroup before `ip netns exec`, which remounts /sys (and so
# the cgroup mount) for the command, and ip execs the command.
exec_in_role() {
	local role=$1; shift
	exec sh -c 'ns=$1; shift; echo $$ > "$0/cgroup.procs" && exec ip netns exec "$ns" "$@"' \
		"$CG/$role" "$(ns "$role")" "$@"
}

# Start a service; wait until it answers /healthz.
start_service() {
	local role=$1 i; shift
	exec_in_role "$role" "$SVC" serve --name "$role" --listen "${ADDR[$role]}:$PORT" "$@" \
		2>>"$OUT/$role.log" &
	PID[$role]=$!
	for i in $(seq 50); do
		ip netns exec "$(ns loadgen)" "$SVC" get --timeout 200ms \
			--url "http://${ADDR[$role]}:$PORT/healthz" >/dev/null 2>&1 && return 0
		alive "${PID[$role]}" || break
		sleep 0.1
	done
	die "$role did not start; see $OUT/$role.log"
}

# The chain answers 200 end to end.
chain_ok() {
	local i body
	for i in $(seq 30); do
		if body=$(ip netns exec "$(ns loadgen)" "$SVC" get --timeout 2s \
			--url "http://${ADDR[productpage]}:$PORT/productpage" 2>/dev/null); then
			say "GET http://${ADDR[productpage]}:$PORT/productpage -> $(tr '\n' ' ' <<<"$body")"
			return 0
		fi
		sleep 0.2
	done
	die "the chain does not answer: $(tr '\n' ' ' <<<"$body")"
}

# What faultline could leave behind, in every sandbox namespace and cgroup.
snapshot() {
	local role n
	for role in br "${ROLES[@]}"; do
		n=$(ns "$role")
		echo "[$role]"
		tc -n "$n" qdisc show | sed 's/ refcnt [0-9]*//'
		ip -n "$n" -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' |
		while read -r dev; do
			for dir in ingress egress; do
				tc -n "$n" filter show dev "$dev" "$dir" 2>/dev/null |
					sed "s/^/tc filter $dev $dir: /"
			done
			ip -n "$n" -d link show dev "$dev" | grep -o 'prog/xdp[a-z]* id [0-9]*' |
				sed "s/^/$dev: /" || true
		done
		ip netns exec "$n" bpftool net show 2>/dev/null |
			grep -E 'fl_|id [0-9]+' | sed 's/^/bpftool net: /' || true
	done
	for role in "${ROLES[@]}"; do
		bpftool cgroup show "$CG/$role" 2>/dev/null | tail -n +2 | sed "s|^|cgroup $role: |"
	done
}

# The BPF programs a process holds (program and link fds), one id a line.
prog_ids_of() {
	grep -hs '^prog_id:' /proc/"$1"/fdinfo/* | awk '{ print $2 }' || true
}

# After experiment N: nothing of faultline's in the sandbox, and none of the
# programs its run loaded still loaded anywhere.
check_clean() {
	local n=$1 i id left ours fl holders
	snapshot > "$OUT/after.$n"
	if ! diff -u "$OUT/before" "$OUT/after.$n" > "$OUT/diff.$n"; then
		sed 's/^/  /' "$OUT/diff.$n"
		die "faultline left something in the sandbox (above)"
	fi
	say "sandbox: root qdiscs as before ($(grep -c '^qdisc' "$OUT/before") in 5 namespaces); no tc filter, XDP or cgroup program"
	say "  ratings' namespace: $(awk '/^\[/ { on = $0 == "[ratings]" }
		on && /^qdisc/ { printf "%s%s on %s", sep, $2, $5; sep = ", " }' "$OUT/after.$n"), as before"
	ours=$(sort -un "$OUT/exp$n/prog_ids" | tr '\n' ' ')
	[[ -n $ours ]] || die "could not see which BPF programs faultline loaded"
	# a program is freed once its last link and fd are gone: give RCU a moment
	for i in $(seq 30); do
		left=
		for id in $ours; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left+="$id "
		done
		[[ -z $left ]] && break
		sleep 0.1
	done
	[[ -z $left ]] || die "BPF programs loaded by the run are still loaded: ids $left"
	say "bpftool prog show: none of the $(wc -w <<<"$ours") programs the run loaded (ids ${ours% }) is left,"
	say "  so nothing holds one any more: no XDP, tcx or tracepoint link, no tc filter"
	# other fl_* programs on this machine (another faultline, the tests)
	fl=$(bpftool prog show 2>/dev/null | awk -F'[: ]+' '$3 == "name" && $4 ~ /^fl_/ { print $1 }' | tr '\n' '|')
	if [[ -z $fl ]]; then
		say "bpftool prog show: no program named fl_* loaded"
	else
		holders=$(grep -lsE "^prog_id:[[:space:]]+(${fl%|})\$" /proc/[0-9]*/fdinfo/* |
			cut -d/ -f3 | sort -un | while read -r i; do
				printf '%s(%s) ' "$i" "$(cat "/proc/$i/comm" 2>/dev/null)"; done || true)
		say "bpftool prog show: $(tr '|' '\n' <<<"${fl%|}" | wc -l) other fl_* programs loaded, not the demo's"
		say "  (held by: ${holders:-no process})"
	fi
}

# The load generator, 20 requests a second, until stopped.
start_load() {
	exec_in_role loadgen "$SVC" load --url "http://${ADDR[productpage]}:$PORT/productpage" \
		--rate 20 --duration 120s --timeout 2s >"$OUT/load$1.out" 2>"$OUT/load$1.log" &
	LOADPID=$!
}

stop_load() {
	sleep 1.5	# a second or so after the experiment: the recovery
	stop_pid "$LOADPID"
	LOADPID=
	say "what users saw (flsvc load, 20 requests/s), ok/failed per second:"
	awk '/^t=/ { sub("ok=", "", $2); sub("fail=", "", $3); s = s sprintf(" %s/%s", $2, $3); n++
		     if (n % 12 == 0) { print "   " s; s = "" } }
	     END { if (s != "") print "   " s }' "$OUT/load$1.log"
	say "total: $(cat "$OUT/load$1.out")"
}

# Where faultline attached, from the JSON report ("attach": hook, netns, iface).
show_attach() {
	local role pid line=
	[[ -f $1 ]] || return 0
	line=$(awk -F'"' '/"attach" *:/ { on = 1 } on && /"hook"/ { h = $4 }
		on && /"netns"/ { ns = $4 } on && /"cgroup"/ { ns = "cgroup " $4 }
		on && /"iface"/ { ns = ns " " $4 }
		on && /}/ && h != "" { printf "%s%s (%s)", sep, h, ns; sep = ", "; h = ns = "" }
		on && /]/ { exit }' "$1")
	for role in "${ROLES[@]}"; do
		pid=${PID[$role]:-}
		if [[ -n $pid ]]; then line=${line//"/proc/$pid/ns/net"/"netns of $role"}; fi
	done
	[[ -z $line ]] || say "faultline attached: $line"
}

# Run one experiment: its live status line goes to the terminal (stderr),
# its report to OUT/expN/report.txt, shown when it ends. faultline runs in the
# background so that Ctrl-C reaches the trap at once; the trap stops it.
run_experiment() {
	local n=$1 rc
	mkdir -p "$OUT/exp$n"
	echo "  \$ faultline run $OUT/exp$n.yaml --report-dir $OUT/exp$n"
	CUR=$n
	"$FL" run "$OUT/exp$n.yaml" --report-dir "$OUT/exp$n" > "$OUT/exp$n/report.txt" &
	FLPID=$!
	FLPIDS+=" $FLPID"
	# note the programs it loads, to check afterwards that they are all gone
	: > "$OUT/exp$n/prog_ids"
	while alive "$FLPID"; do
		prog_ids_of "$FLPID" >> "$OUT/exp$n/prog_ids"
		sleep 0.1
	done
	rc=0
	wait "$FLPID" || rc=$?
	FLPID=
	echo
	sed 's/^/  | /' "$OUT/exp$n/report.txt"
	show_attach "$OUT/exp$n/report.json"
	return "$rc"
}

# The fl_* programs loaded now, "id name" a line.
fl_progs() {
	bpftool prog show 2>/dev/null | awk -F'[: ]+' '$3 == "name" && $4 ~ /^fl_/ { print $1, $4 }' || true
}

# The processes that hold BPF program $1 (by a program or link fd).
holders_of() {
	grep -lsE "^prog_id:[[:space:]]+$1\$" /proc/[0-9]*/fdinfo/* | cut -d/ -f3 | sort -un |
		while read -r p; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done || true
}

# What the demo left on the machine, one line each; nothing when all is
# gone. Its BPF programs are those its runs were seen to hold, plus any
# fl_* program that no process holds (attached or pinned without an owner)
# and that was not there before the demo. Programs of another live
# faultline (a test, another run) are not the demo's.
left_behind() {
	local id name type prog left=" "
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^${NS}_" | sed 's/^/network namespace /' || true
	[[ -d $CG ]] && find "$CG" -type d | sed 's/^/cgroup directory /'
	while read -r id; do
		if name=$(bpftool prog show id "$id" 2>/dev/null); then
			echo "BPF program $(head -1 <<<"$name" | awk '{ print $1, $2, $3, $4 }') (a demo run loaded it)"
			left+="$id "
		fi
	done < <(sort -un "$OUT"/exp*/prog_ids 2>/dev/null)
	while read -r id name; do
		[[ $left == *" $id "* || $FL_BEFORE == *" $id "* || -n $(holders_of "$id") ]] && continue
		echo "BPF program $id: $name, held by no process"
		left+="$id "
	done < <(fl_progs)
	# bpftool 7.1 does not list tcx links; a link holds its program, so
	# the programs above cover them
	while read -r id type prog; do
		[[ $left == *" $prog "* ]] && echo "BPF link $id ($type) of program $prog"
	done < <(bpftool link show 2>/dev/null |
		awk '/^[0-9]+:/ { for (i = 3; i < NF; i++) if ($i == "prog") { sub(":", "", $1); print $1, $2, $(i + 1) } }')
	[[ -e /sys/fs/bpf/faultline && $PINS_BEFORE == 0 ]] && echo "pins under /sys/fs/bpf/faultline"
	for id in $FLPIDS; do
		for name in run exp; do
			[[ -e /run/faultline/$name.$id ]] && echo "run state /run/faultline/$name.$id"
		done
	done
	return 0
}

# The last word: after the teardown, nothing of the demo is left. Programs
# are freed a grace period after their last link closes: poll for 3 s.
report_left_behind() {
	local left i
	for i in $(seq 30); do
		left=$(left_behind)
		[[ -z $left ]] && break
		sleep 0.1
	done
	if [[ -n $left ]]; then
		printf '%sdemo: left behind:%s\n' "${B:-}" "${N:-}" >&2
		awk '{ print "  " $0 }' <<<"$left" >&2
		echo "  'faultline cleanup' removes faultline's; 'ip netns del NAME' and 'rmdir DIR' the rest" >&2
		return 1
	fi
	printf '%sdemo: left behind: nothing%s (checked netns, cgroups, BPF programs and links, pins, run state, qdiscs)\n' \
		"${B:-}" "${N:-}"
	say "netns ${NS}_* and cgroup $CG: gone"
	say "BPF: none of the $(sort -un "$OUT"/exp*/prog_ids 2>/dev/null | wc -l) programs the runs held is loaded, so no link to one;"
	say "  no fl_* program without an owner; nothing under /sys/fs/bpf/faultline"
	say "no state of the demo's runs in /run/faultline; the qdiscs went with the namespaces"
	return 0
}

# ---------------------------------------------------------------------------

FL_BEFORE=" $(fl_progs | awk '{ print $1 }' | tr '\n' ' ')"
PINS_BEFORE=0
[[ -e /sys/fs/bpf/faultline ]] && PINS_BEFORE=1
SANDBOX=1
mkdir -m 0755 "$OUT"
mkdir "$CG"

step "Sandbox: 5 network namespaces ${NS}_*, cgroups $CG/{productpage,reviews,ratings,loadgen}"
ip netns add "$(ns br)"
ip -n "$(ns br)" link add br0 type bridge
ip -n "$(ns br)" link set br0 up
for role in "${ROLES[@]}"; do
	ip netns add "$(ns "$role")"
	mkdir "$CG/$role"
	# eth0 in the role's namespace, its peer (named after the role) on the bridge
	ip link add eth0 netns "$(ns "$role")" type veth peer name "${role:0:11}" netns "$(ns br)"
	ip -n "$(ns br)" link set "${role:0:11}" master br0 up
	ip -n "$(ns "$role")" addr add "${ADDR[$role]}/24" dev eth0
	ip -n "$(ns "$role")" link set eth0 up
	ip -n "$(ns "$role")" link set lo up
	printf '  %-12s %-12s netns %-26s cgroup %s\n' "$role" "${ADDR[$role]}" "$(ns "$role")" "$CG/$role"
done
say "bridge br0 in netns $(ns br); files in $OUT"

step "Services: loadgen -> productpage -> reviews -> ratings (flsvc, port $PORT)"
start_service ratings
start_service reviews --upstream "http://${ADDR[ratings]}:$PORT/ratings" --upstream-timeout 300ms
start_service productpage --upstream "http://${ADDR[reviews]}:$PORT/reviews" --upstream-timeout 1s
say "reviews:     --upstream http://${ADDR[ratings]}:$PORT/ratings --upstream-timeout 300ms (no fallback)"
say "productpage: --upstream http://${ADDR[reviews]}:$PORT/reviews --upstream-timeout 1s"
chain_ok
snapshot > "$OUT/before"

write_experiment() {
	local n=$1 name=$2 duration=$3 window=$4
	cat > "$OUT/exp$n.yaml" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata:
  name: $name
spec:
  duration: $duration
  targets:
    - cgroup: $CG/ratings
  faults:
    - name: ratings-unreachable
      direction: ingress
      match: {protocol: tcp, ports: [$PORT]}
      drop: {percent: 100}
  failureConditions:
    - name: productpage-failing
      signal: probe.failures
      probe: productpage
      window: $window
      above: 10
    - name: drop-budget
      signal: faults.dropped
      window: $window
      above: 5000
  probes:
    - name: productpage
      http: {url: "http://${ADDR[productpage]}:$PORT/productpage", expectStatus: 200}
      interval: 200ms
      timeout: 2s
      netns: /run/netns/$(ns loadgen)
EOF
}

step "Experiment 1: ratings unreachable, reviews without a fallback"
write_experiment 1 "ratings-outage-$R" 1m 1m
say "$OUT/exp1.yaml:"
sed 's/^/    /' "$OUT/exp1.yaml"
say "(the probe GETs productpage from the loadgen namespace; 'drop-budget' is measured in the"
say " kernel: the packets the fault dropped, a cap on the blast radius that is never reached here)"
echo
start_load 1
sleep 1
rc=0
run_experiment 1 || rc=$?
stop_load 1
say "report: $OUT/exp1/report.txt, $OUT/exp1/report.json; timeline: $OUT/exp1/timeline.svg"
if [[ $rc -eq 1 ]]; then
	say "faultline exit code 1: Failed, as expected: without a fallback, losing ratings breaks productpage"
	awk -F'[:,]' '/"elapsed_s"/ { e = $2 } /"disarm_latency_ns"/ { d = $2 } /"detach_latency_ns"/ { t = $2 }
		END { if (d != "") printf "  the condition tripped %.1f s in; the fault was off %.3f ms later, everything detached after %.0f ms\n", e, d / 1e6, t / 1e6 }' \
		"$OUT/exp1/report.json"
else
	die "experiment 1 ended with exit code $rc; expected 1 (Failed)"
fi

step "Nothing left behind after experiment 1"
check_clean 1
chain_ok

step "Reviews restarted with a fallback"
stop_pid "${PID[reviews]}"
start_service reviews --upstream "http://${ADDR[ratings]}:$PORT/ratings" --upstream-timeout 300ms \
	--fallback "reviews (ratings unavailable)"
say "reviews: --upstream-timeout 300ms --fallback 'reviews (ratings unavailable)'"
say "(300 ms < productpage's 1 s < the probe's 2 s: each caller waits longer than its callee)"
chain_ok

step "Experiment 2: the same fault, reviews with a fallback ($EXP2_DURATION)"
write_experiment 2 "ratings-outage-fallback-$R" "$EXP2_DURATION" "$EXP2_DURATION"
say "$OUT/exp2.yaml: as exp1.yaml, with a duration and windows of $EXP2_DURATION"
say "(a window may not be longer than the experiment)"
echo
start_load 2
sleep 1
rc=0
run_experiment 2 || rc=$?
stop_load 2
say "report: $OUT/exp2/report.txt, $OUT/exp2/report.json; timeline: $OUT/exp2/timeline.svg"
if [[ $rc -eq 0 ]]; then
	say "faultline exit code 0: Succeeded: with a fallback, productpage survives losing ratings"
else
	die "experiment 2 ended with exit code $rc; expected 0 (Succeeded)"
fi

step "Nothing left behind after experiment 2"
check_clean 2
chain_ok

step "Done in $((SECONDS - T0)) s: experiment 1 Failed (exit 1), experiment 2 Succeeded (exit 0)"
