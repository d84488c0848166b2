# shellcheck shell=bash
# Test library for faultline's selftests (tests/selftests/*.sh).
#
# A test sources this file, declares its needs (fl_require_*), builds its
# world (fl_setup_pair, fl_setup_cgroups), prints TAP through fl_plan,
# fl_ok, fl_check and fl_skip, and ends with fl_done. Every name carries a
# random suffix, state lives in a mktemp directory, background processes
# are tracked, and the teardown registered here runs on any exit, so two
# runs never collide and a test that dies midway leaves nothing behind.
#
# Environment: V=1 logs every command and dumps the logs at the end;
# FL_KEEP=1 keeps the state directory; FL_PAUSE=1 waits on the terminal
# before tearing down a failed test, so its namespaces can be inspected;
# FL_STRICT_PROGS=1 counts every loaded fl_ program as a leftover, even
# one that another live process (another faultline run) holds; FL_BIN
# and FL_TRAFFIC override the binaries, OUTPUT the build directory.

FL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FL_OUTPUT=${OUTPUT:-build}
[[ $FL_OUTPUT == /* ]] || FL_OUTPUT=$FL_REPO/$FL_OUTPUT
FL_BIN=${FL_BIN:-$FL_OUTPUT/faultline}
FL_TRAFFIC=${FL_TRAFFIC:-$FL_OUTPUT/tools/fltraffic}
FL_CG_ROOT=${FL_CG_ROOT:-$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)}
FL_CG_ROOT=${FL_CG_ROOT:-/sys/fs/cgroup/unified}
V=${V:-0}

# Names: a random suffix per run.
FL_RAND=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
FL_ID=fl_t$FL_RAND
FL_NS_SRV=fls_$FL_RAND
FL_NS_CLI=flc_$FL_RAND
FL_IF_SRV=fls$FL_RAND		# veth end in the server namespace
FL_IF_CLI=flc$FL_RAND		# veth end in the client namespace
FL_SRV4=198.18.0.1
FL_CLI4=198.18.0.2
FL_SRV6=2001:db8::1
FL_CLI6=2001:db8::2
FL_CG=$FL_CG_ROOT/fl_$FL_RAND
FL_CG_TARGET=$FL_CG/target
FL_CG_BYSTANDER=$FL_CG/bystander
FL_STATE=$(mktemp -d "/tmp/$FL_ID.XXXXXX") || {
	echo "lib.sh: mktemp failed" >&2
	exit 1
}

FL_NETNS=()			# namespaces to delete
FL_CGROUPS=()			# cgroup dirs to remove, parents first
FL_PIN_DIRS=()			# bpffs mounts to empty and unmount (fl_pin_dir)
declare -A FL_BG=()		# background name -> pid
FL_TAP_N=0
FL_TAP_FAIL=0
FL_TAP_SKIP=0
FL_TAP_PLAN=
FL_TORN_DOWN=0

# ---- logging and TAP ----

fl_diag()
{
	local line

	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# Verbose lines go to the TAP stream even from inside $(...).
exec {FL_LOG_FD}>&1

fl_log()
{
	[[ $V == 1 ]] && fl_diag "$*" >&"$FL_LOG_FD"
	return 0
}

# Prints a file as TAP diagnostics, at most $2 lines (default 20).
fl_diag_file()
{
	local max=${2:-20}

	[[ -s $1 ]] || return 0
	fl_diag "--- ${1##*/} ---"
	head -n "$max" "$1" | sed 's/^/#   /'
}

fl_plan()
{
	FL_TAP_PLAN=$1
	echo "1..$1"
}

# fl_ok STATUS DESC: one result from the exit status of a condition.
fl_ok()
{
	local rc=$1

	shift
	FL_TAP_N=$((FL_TAP_N + 1))
	if [[ $rc == 0 ]]; then
		echo "ok $FL_TAP_N - $*"
		return 0
	fi
	FL_TAP_FAIL=$((FL_TAP_FAIL + 1))
	echo "not ok $FL_TAP_N - $*"
	return 1
}

# fl_check DESC CMD...: runs CMD, one result from its status; its output
# is shown when it fails (always with V=1).
fl_check()
{
	local desc=$1 out rc

	shift
	fl_log "+ $*"
	out=$("$@" 2>&1)
	rc=$?
	if [[ -n $out ]] && [[ $rc != 0 || $V == 1 ]]; then
		fl_diag "$out"
	fi
	fl_ok "$rc" "$desc"
}

fl_skip()
{
	FL_TAP_N=$((FL_TAP_N + 1))
	FL_TAP_SKIP=$((FL_TAP_SKIP + 1))
	echo "ok $FL_TAP_N - $1 # SKIP $2"
}

# Skips the whole test before its plan (kselftest: exit 4).
fl_skip_all()
{
	echo "1..0 # SKIP $*"
	exit 4
}

# Stops the test at once: a step the rest depends on did not work. The
# runner counts the bail-out as one failure unless a "not ok" already
# reported it.
fl_bail()
{
	echo "Bail out! $*"
	exit 1
}

# Ends the test: 0 all passed, 4 all skipped, 1 otherwise.
fl_done()
{
	if [[ -n $FL_TAP_PLAN && $FL_TAP_N != "$FL_TAP_PLAN" ]]; then
		fl_diag "planned $FL_TAP_PLAN tests, ran $FL_TAP_N"
		exit 1
	fi
	[[ $FL_TAP_FAIL == 0 ]] || exit 1
	[[ $FL_TAP_N != 0 && $FL_TAP_SKIP == "$FL_TAP_N" ]] && exit 4
	exit 0
}

# ---- requirements (call before fl_plan) ----

fl_require_root()
{
	[[ $(id -u) == 0 ]] || fl_skip_all "needs root"
}

fl_require_cmds()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fl_skip_all "needs $c"
	done
}

fl_require_traffic()
{
	[[ -x $FL_TRAFFIC ]] || fl_skip_all "no $FL_TRAFFIC: run make all"
}

fl_require_faultline()
{
	[[ -x $FL_BIN ]] || fl_skip_all "no $FL_BIN: run make all"
}

fl_require_cgroup2()
{
	[[ -e $FL_CG_ROOT/cgroup.procs ]] || fl_skip_all "no cgroup v2 at $FL_CG_ROOT"
}

# ---- small utilities ----

# fl_kv LINE KEY: the value of KEY in a line of key=value pairs.
fl_kv()
{
	local line=" $1" v

	v=${line##* "$2"=}
	[[ $v == "$line" ]] && return 1
	echo "${v%% *}"
}

# fl_within_5sigma OBSERVED N P: 0 if OBSERVED is within five standard
# deviations of the binomial mean N*P (one count of slack for P 0 or 1).
fl_within_5sigma()
{
	awk -v o="$1" -v n="$2" -v p="$3" 'BEGIN {
		m = n * p; d = o - m; if (d < 0) d = -d
		b = 5 * sqrt(n * p * (1 - p))
		if (p == 0 || p == 1) b += 1
		exit !(d <= b)
	}'
}

# fl_binom_range N P: "lo..hi", the range fl_within_5sigma accepts.
fl_binom_range()
{
	awk -v n="$1" -v p="$2" 'BEGIN {
		m = n * p; b = 5 * sqrt(n * p * (1 - p))
		if (p == 0 || p == 1) b += 1
		lo = m - b; if (lo < 0) lo = 0
		printf "%d..%d\n", lo + 0.999999, m + b
	}'
}

fl_now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# fl_wait_for TIMEOUT_S CMD...: polls CMD every 50 ms until it succeeds.
fl_wait_for()
{
	local end=$(($(fl_now_ms) + ${1%%.*} * 1000))

	shift
	until "$@"; do
		(($(fl_now_ms) >= end)) && return 1
		sleep 0.05
	done
}

# fl_json_total FILE DIR FIELD: totals.DIR.FIELD from faultline's --json.
fl_json_total()
{
	tr -d ' \t\n' <"$1" | grep -o '"totals":{.*' |
		grep -o "\"$2\":{[^}]*}" | head -n 1 |
		grep -o "\"$3\":[0-9]*" | cut -d: -f2
}

# fl_json_str FILE KEY: the first string value of KEY.
fl_json_str()
{
	tr -d '\n' <"$1" | grep -o "\"$2\": *\"[^\"]*\"" | head -n 1 |
		sed 's/.*: *"\(.*\)"/\1/'
}

# fl_json_array FILE KEY: the text of the array KEY (no nested arrays).
fl_json_array()
{
	tr -d '\n' <"$1" | grep -o "\"$2\": *\[[^]]*\]" | head -n 1
}

# fl_free_port: a TCP port on loopback that nothing listens on, for a
# server of the test's own (random: two runs rarely pick the same one).
fl_free_port()
{
	local i port

	for ((i = 0; i < 50; i++)); do
		port=$((20000 + RANDOM % 40000))
		ss -Hltn "sport = :$port" | grep -q . || break
	done
	echo "$port"
}

# ---- namespaces and cgroups ----

# Two namespaces joined by a veth pair: server fls_R, client flc_R.
fl_setup_pair()
{
	local ns

	for ns in "$FL_NS_SRV" "$FL_NS_CLI"; do
		ip netns add "$ns" || return 1
		FL_NETNS+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
	fl_log "+ veth $FL_IF_CLI@$FL_NS_CLI <-> $FL_IF_SRV@$FL_NS_SRV"
	ip link add "$FL_IF_CLI" netns "$FL_NS_CLI" type veth \
		peer name "$FL_IF_SRV" netns "$FL_NS_SRV" || return 1
	ip -n "$FL_NS_SRV" addr add "$FL_SRV4/24" dev "$FL_IF_SRV" &&
	ip -n "$FL_NS_SRV" addr add "$FL_SRV6/64" dev "$FL_IF_SRV" nodad &&
	ip -n "$FL_NS_CLI" addr add "$FL_CLI4/24" dev "$FL_IF_CLI" &&
	ip -n "$FL_NS_CLI" addr add "$FL_CLI6/64" dev "$FL_IF_CLI" nodad &&
	ip -n "$FL_NS_SRV" link set "$FL_IF_SRV" up &&
	ip -n "$FL_NS_CLI" link set "$FL_IF_CLI" up || return 1
	# Both families answer before the test starts (and the neighbour
	# entries exist, so the first test packets are not queued).
	fl_wait_for 5 ip netns exec "$FL_NS_CLI" ping -c 1 -W 1 -q "$FL_SRV4" >/dev/null &&
	fl_wait_for 5 ip netns exec "$FL_NS_CLI" ping -6 -c 1 -W 1 -q "$FL_SRV6" >/dev/null
}

# fl_rx_one_cpu NS IF CPUMASK: RPS steers what IF receives in NS to the CPUs
# of hex CPUMASK (0: RPS off, each packet on the CPU that sent it). A veth
# delivers on the CPU that dequeued the packet from the sender's qdisc, and a
# qdisc's timer and its enqueue path run on different CPUs; one receiving CPU
# keeps the order the qdisc released, so an ordering test measures that.
fl_rx_one_cpu()
{
	local ns=$1 ifc=$2 mask=$3

	# shellcheck disable=SC2016 # expanded by the inner sh
	ip netns exec "$ns" sh -c 'for q in /sys/class/net/$1/queues/rx-*; do
		echo "$2" >"$q/rps_cpus" || exit 1; done' sh "$ifc" "$mask"
}

# $FL_CG/{target,bystander} under the cgroup v2 root.
fl_setup_cgroups()
{
	local d

	for d in "$FL_CG" "$FL_CG_TARGET" "$FL_CG_BYSTANDER"; do
		mkdir "$d" || return 1
		FL_CGROUPS+=("$d")
	done
}

# Builds FL_CMD: CMD run in namespace NS ("-": the caller's) with its
# process in cgroup CG ("-": the caller's). The cgroup is joined first,
# since "ip netns exec" remounts /sys and hides the cgroup tree.
_fl_in_cmd()
{
	local ns=$1 cg=$2

	shift 2
	# shellcheck disable=SC2016 # expanded by the inner sh
	FL_CMD=(sh -c '
		if [ "$1" != - ]; then echo $$ >"$1/cgroup.procs" || exit 125; fi
		ns=$2; shift 2
		if [ "$ns" = - ]; then exec "$@"; fi
		exec ip netns exec "$ns" "$@"' sh "$cg" "$ns" "$@")
}

# fl_run_in NS CG CMD...: runs CMD in the foreground.
fl_run_in()
{
	_fl_in_cmd "$@"
	fl_log "+ [$1 ${2##*/}] ${*:3}"
	"${FL_CMD[@]}"
}

# fl_setup: the namespace pair and the cgroups, or bail out.
fl_setup()
{
	fl_setup_pair || fl_bail "cannot set up the namespace pair"
	fl_setup_cgroups || fl_bail "cannot create the test cgroups under $FL_CG_ROOT"
}

# ---- background processes ----

# fl_bg NAME CMD...: starts CMD (an executable, not a function) in the
# background; stdout goes to $FL_STATE/NAME.out, stderr to NAME.err.
fl_bg()
{
	local name=$1

	shift
	fl_log "+ & ($name) $*"
	_fl_bg "$name" "$@"
}

_fl_bg()
{
	local name=$1

	shift
	"$@" >"$FL_STATE/$name.out" 2>"$FL_STATE/$name.err" </dev/null &
	FL_BG[$name]=$!
}

# fl_bg_in NAME NS CG CMD...
fl_bg_in()
{
	local name=$1

	shift
	fl_log "+ & ($name) [$1 ${2##*/}] ${*:3}"
	_fl_in_cmd "$@"
	_fl_bg "$name" "${FL_CMD[@]}"
}

fl_bg_pid()
{
	echo "${FL_BG[$1]:-}"
}

fl_bg_alive()
{
	local pid=${FL_BG[$1]:-}

	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# fl_wait NAME [TIMEOUT_S]: waits for NAME to exit and returns its exit
# status; past the timeout (default 30 s) it is killed and 124 returned.
fl_wait()
{
	local name=$1 pid=${FL_BG[$1]:-} rc

	[[ -n $pid ]] || return 127
	if ! fl_wait_for "${2:-30}" eval "! kill -0 $pid 2>/dev/null"; then
		fl_diag "$name (pid $pid) still runs after ${2:-30} s: killing it"
		kill -KILL "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		unset "FL_BG[$name]"
		return 124
	fi
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	unset "FL_BG[$name]"
	return "$rc"
}

# fl_stop NAME [SIGNAL]: signals NAME (default TERM) and waits for it.
fl_stop()
{
	local pid=${FL_BG[$1]:-}

	[[ -n $pid ]] || return 127
	# The shell reports a killed job on stderr when it reaps it; that
	# is expected here, not news.
	{
		kill -"${2:-TERM}" "$pid"
		fl_wait "$1" 10
	} 2>/dev/null
}

# fl_wait_log NAME PATTERN [TIMEOUT_S]: waits for PATTERN (fixed string)
# in NAME's stderr; fails at once if NAME exits first.
fl_wait_log()
{
	local name=$1 pat=$2 end

	end=$(($(fl_now_ms) + ${3:-10} * 1000))
	while ! grep -qF -- "$pat" "$FL_STATE/$name.err" 2>/dev/null; do
		if ! fl_bg_alive "$name"; then
			grep -qF -- "$pat" "$FL_STATE/$name.err" 2>/dev/null && return 0
			fl_diag "$name exited before printing '$pat'"
			fl_diag_file "$FL_STATE/$name.err"
			return 1
		fi
		if (($(fl_now_ms) >= end)); then
			fl_diag "$name did not print '$pat' within ${3:-10} s"
			fl_diag_file "$FL_STATE/$name.err"
			return 1
		fi
		sleep 0.05
	done
}

# ---- traffic (tests/tools/fltraffic) ----

# fl_traffic NS CG SUBCOMMAND ARGS...: prints fltraffic's result line.
fl_traffic()
{
	local ns=$1 cg=$2 out rc

	shift 2
	out=$(fl_run_in "$ns" "$cg" "$FL_TRAFFIC" "$@" 2>>"$FL_STATE/traffic.err")
	rc=$?
	fl_log "  $out"
	echo "$out"
	return "$rc"
}

# fl_server NAME SUBCOMMAND ARGS...: an fltraffic server in the server
# namespace, returned once it listens.
fl_server()
{
	local name=$1

	shift
	fl_bg_in "$name" "$FL_NS_SRV" - "$FL_TRAFFIC" "$@" || return 1
	fl_wait_log "$name" listening 5
}

# fl_udp_ping CG DST COUNT [ARGS...]: udp-ping from the client namespace,
# in cgroup CG, to the echo server on $FL_ECHO_PORT. Sets PING (the
# result line), PING_SENT, PING_REPLIES, PING_LOST and PING_ERRORS.
FL_ECHO_PORT=7000
FL_TCP_PORT=7001
# shellcheck disable=SC2034 # read by the tests
fl_udp_ping()
{
	local cg=$1 dst=$2 count=$3

	shift 3
	PING=$(fl_traffic "$FL_NS_CLI" "$cg" udp-ping --dst "$dst" --port "$FL_ECHO_PORT" \
		--count "$count" "$@")
	PING_SENT=$(fl_kv "$PING" sent) || PING_SENT=-1
	PING_REPLIES=$(fl_kv "$PING" replies) || PING_REPLIES=-1
	PING_ERRORS=$(fl_kv "$PING" send_errors) || PING_ERRORS=-1
	PING_LOST=$((PING_SENT - PING_REPLIES))
}

# fl_start_servers: udp-echo on $FL_ECHO_PORT and tcp-server on
# $FL_TCP_PORT in the server namespace, for up to 300 s.
fl_start_servers()
{
	if ! fl_server echo udp-echo --port "$FL_ECHO_PORT" --duration 300 ||
	   ! fl_server tcpsrv tcp-server --port "$FL_TCP_PORT" --duration 300; then
		fl_bail "cannot start the traffic servers"
	fi
}

# fl_icmp_ping CG DST [ARGS]: iputils ping from the client namespace in
# cgroup CG, 5 echoes; prints the number of replies.
fl_icmp_ping()
{
	local cg=$1 dst=$2 out

	shift 2
	out=$(fl_run_in "$FL_NS_CLI" "$cg" ping -n -q -c 5 -W 1 -i 0.2 "$@" "$dst" 2>&1)
	fl_log "  $out"
	out=$(grep -o '[0-9]* received' <<<"$out")
	echo "${out%% *}"
}

# ---- faultline ----

# fl_faultline_start NAME [VAR=VALUE...] ARGS...: runs "faultline inject
# ARGS" in the background (stdout: NAME.out, stderr: NAME.err).
fl_faultline_start()
{
	local name=$1 envs=()

	shift
	while [[ $# -gt 0 && $1 == [A-Z]*=* ]]; do
		envs+=("$1")
		shift
	done
	fl_bg "$name" env "${envs[@]}" "$FL_BIN" inject "$@"
}

# fl_wait_armed NAME [TIMEOUT_S]: waits for "faultline: experiment ... started" (armed).
fl_wait_armed()
{
	# arming is the verifier's work on every program: seconds when the
	# machine is quiet, many more when it is shared or emulated (TCG).
	# A bound exists only so that a run that never arms fails instead of
	# hanging; one that exits first fails at once.
	local floor=60 t=${2:-0}

	[[ -n ${FL_IN_VM:-} ]] && floor=180
	((t < floor)) && t=$floor
	fl_wait_log "$1" "faultline: experiment " "$t"
}

# _fl_foreign_prog_ids: ids of the BPF programs that live processes this
# test did not start hold open (another faultline run on the machine).
_fl_foreign_prog_ids()
{
	local ns dev dir

	grep -H '^prog_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null |
		awk -F'[/:\t ]+' -v mine=" ${FL_BG[*]} " '{
			if (index(mine, " " $3 " ")) ours[$NF] = 1; else theirs[$NF] = 1
		} END { for (id in theirs) if (!(id in ours)) print id }'
	# and legacy clsact filters in namespaces of other runs: no process
	# holds their programs (a killed run's, until its deadline and cleanup)
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ " ${FL_NETNS[*]} " == *" $ns "* ]] && continue
		tc -n "$ns" qdisc show 2>/dev/null | grep -q clsact || continue
		for dev in $(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			for dir in ingress egress; do
				tc -n "$ns" filter show dev "$dev" "$dir" 2>/dev/null
			done
		done
	done | grep -o ' id [0-9]* name fl_' | awk '{ print $2 }'
}

# fl_leftovers: prints one line per faultline attachment that exists.
# A program another live process holds belongs to someone else's run
# and is not counted, unless FL_STRICT_PROGS=1.
fl_leftovers()
{
	local ns dev cg dir out foreign=" "

	[[ ${FL_STRICT_PROGS:-0} == 1 ]] || foreign=" $(_fl_foreign_prog_ids | tr '\n' ' ')"
	bpftool prog show 2>/dev/null | grep -E '^[0-9]+: .* name fl_' |
		while IFS= read -r out; do
			[[ $foreign == *" ${out%%:*} "* ]] || echo "prog: $out"
		done
	for ns in "${FL_NETNS[@]}"; do
		[[ -e /run/netns/$ns ]] || continue
		# Every veth of the test is ours: anything on it is a leftover.
		ip netns exec "$ns" bpftool net show 2>/dev/null |
			grep -vE '^(xdp|tc|flow_dissector|netfilter|tcx):?$|^$' |
			sed "s/^/$ns net: /"
		for dev in $(ip -n "$ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			[[ $dev == lo ]] && continue
			for dir in ingress egress; do
				out=$(tc -n "$ns" filter show dev "$dev" "$dir" 2>/dev/null)
				[[ -n $out ]] && awk -v p="$ns $dev $dir filter: " '{ print p $0 }' <<<"$out"
			done
			ip -n "$ns" -d link show dev "$dev" | grep -E 'prog/xdp|xdp' |
				sed "s/^/$ns $dev: /"
		done
	done
	for cg in "${FL_CGROUPS[@]}"; do
		[[ -d $cg ]] || continue
		bpftool cgroup show "$cg" 2>/dev/null | grep -vE '^ID[[:space:]]|^$' |
			sed "s|^|cgroup ${cg#"$FL_CG_ROOT"/}: |"
	done
	return 0
}

# fl_no_faultline_attached: 0 iff no fl_ program is loaded and nothing
# is attached to the test interfaces and cgroups. Programs are freed
# after an RCU grace period once their links close: poll for 3 s.
fl_no_faultline_attached()
{
	local left end

	end=$(($(fl_now_ms) + 3000))
	while :; do
		left=$(fl_leftovers)
		[[ -z $left ]] && return 0
		(($(fl_now_ms) >= end)) && break
		sleep 0.1
	done
	fl_diag "still attached after 3 s:" "$left"
	return 1
}

# fl_clsact_present: 0 if a clsact qdisc is on a test interface.
fl_clsact_present()
{
	local ns

	for ns in "${FL_NETNS[@]}"; do
		tc -n "$ns" qdisc show 2>/dev/null | grep -q clsact && return 0
	done
	return 1
}

# fl_pin_dir: sets FL_PIN to a new directory for an agent's --pin-dir, on
# a bpffs instance of this run's own (each bpf mount is a file system of
# its own), emptied and unmounted on teardown. Not in $(...): the mount
# must be remembered.
fl_pin_dir()
{
	local mnt=$FL_STATE/bpffs.${#FL_PIN_DIRS[@]}

	mkdir "$mnt" && mount -t bpf "fl_$FL_RAND" "$mnt" || return 1
	FL_PIN_DIRS+=("$mnt")
	FL_PIN=$mnt/faultline
}

# fl_hold_run_lock: holds faultline's run lock (/run/faultline/lock) shared
# until teardown, as every run does. A test that kills an agent with
# SIGKILL on purpose leaves its experiment running with no process
# holding the lock; another test's teardown 'faultline cleanup'
# (machine-wide) would then take it off under the test.
# The test's shell holds it (no helper process that could outlive the
# test); teardown lets it go.
fl_hold_run_lock()
{
	(umask 077 && mkdir -p /run/faultline && : >>/run/faultline/lock) || return 1
	exec {FL_RUN_LOCK_FD}<>/run/faultline/lock || return 1
	flock -s -w 20 "$FL_RUN_LOCK_FD"
}

# ---- teardown ----

# Kills the processes left in a test cgroup (they were all started by the
# test), moves anything that survives to the root, and removes the dir.
_fl_cgroup_remove()
{
	local cg=$1 pid i procs=()

	[[ -d $cg ]] || return 0
	mapfile -t procs <"$cg/cgroup.procs"
	for pid in "${procs[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		mapfile -t procs <"$cg/cgroup.procs"
		[[ ${#procs[@]} == 0 ]] && break
		if ((i == 10)); then
			for pid in "${procs[@]}"; do
				kill -KILL "$pid" 2>/dev/null
			done
		fi
		sleep 0.1
	done
	mapfile -t procs <"$cg/cgroup.procs"
	for pid in "${procs[@]}"; do
		echo "$pid" >"$FL_CG_ROOT/cgroup.procs" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		rmdir "$cg" 2>/dev/null && return 0
		[[ -d $cg ]] || return 0
		sleep 0.1
	done
	echo "# teardown: cannot remove $cg" >&2
}

fl_teardown()
{
	local name pid i ns

	# Once only; and a second signal must not cut it short.
	[[ $FL_TORN_DOWN == 1 ]] && return 0
	trap '' INT TERM
	if [[ $FL_TAP_FAIL != 0 && ${FL_PAUSE:-0} == 1 ]] && [[ -r /dev/tty ]]; then
		echo "# paused: namespaces $FL_NS_CLI $FL_NS_SRV, state $FL_STATE; Enter tears down" >/dev/tty
		read -r _ </dev/tty
	fi
	if [[ $V == 1 ]]; then
		for name in "$FL_STATE"/*.err "$FL_STATE"/*.out; do
			[[ -s $name ]] && fl_diag_file "$name" 200 >&2
		done
	fi
	for name in "${!FL_BG[@]}"; do
		kill -TERM "${FL_BG[$name]}" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		pid=
		for name in "${!FL_BG[@]}"; do
			kill -0 "${FL_BG[$name]}" 2>/dev/null && pid=${FL_BG[$name]}
		done
		[[ -z $pid ]] && break
		sleep 0.1
	done
	for name in "${!FL_BG[@]}"; do
		kill -KILL "${FL_BG[$name]}" 2>/dev/null
		{ wait "${FL_BG[$name]}"; } 2>/dev/null
		unset "FL_BG[$name]"
	done
	for ((i = ${#FL_CGROUPS[@]} - 1; i >= 0; i--)); do
		_fl_cgroup_remove "${FL_CGROUPS[i]}"
	done
	if [[ -n ${FL_RUN_LOCK_FD:-} ]]; then
		exec {FL_RUN_LOCK_FD}>&-
		FL_RUN_LOCK_FD=
	fi
	# an agent's pins hold their links: unpinning detaches them
	for name in "${FL_PIN_DIRS[@]}"; do
		mountpoint -q "$name" || continue
		rm -rf "${name:?}"/faultline
		umount "$name"
	done
	FL_PIN_DIRS=()
	# Only a test that built something can have left faultline state,
	# and only in its own namespaces: cleaning just those works while
	# other runs on the machine are active, and leaves theirs alone.
	if [[ -x $FL_BIN && ${#FL_NETNS[@]} -gt 0 ]]; then
		for ns in "${FL_NETNS[@]}"; do
			[[ -e /run/netns/$ns ]] || continue
			timeout 20 "$FL_BIN" cleanup --netns "/run/netns/$ns" >"$FL_STATE/cleanup.log" 2>&1 ||
				echo "# teardown: faultline cleanup --netns $ns exited $?: $(head -n 1 "$FL_STATE/cleanup.log")" >&2
		done
	fi
	# The veth pair goes with its namespaces; deleting it first makes
	# sure, even if a stray process kept a namespace alive.
	[[ -e /run/netns/$FL_NS_CLI ]] && ip -n "$FL_NS_CLI" link del "$FL_IF_CLI" 2>/dev/null
	for ns in "${FL_NETNS[@]}"; do
		[[ -e /run/netns/$ns ]] && ip netns del "$ns"
	done
	FL_NETNS=()
	FL_CGROUPS=()
	if [[ ${FL_KEEP:-0} == 1 ]]; then
		echo "# state kept in $FL_STATE" >&2
	else
		rm -rf "$FL_STATE"
	fi
	FL_TORN_DOWN=1
}

trap fl_teardown EXIT
trap 'fl_teardown; exit 130' INT
trap 'fl_teardown; exit 143' TERM
