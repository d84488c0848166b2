#!/usr/bin/env bash
# `make demo`: a self-contained sandbox experiment. Two network namespaces
# (a server and a client), two cgroups in the client (target, bystander),
# a 30 % drop on the target's egress, and proof that the bystander is
# untouched and nothing is left behind. Touches nothing outside its own
# namespaces, cgroups and 198.18.0.0/24.
set -euo pipefail
cd "$(dirname "$0")/.."

FL=build/faultline
TRAFFIC=build/tests/tools/fltraffic
R=$(printf '%04x' $((RANDOM)))
SRV=fl_demo_srv_$R
CLI=fl_demo_cli_$R
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=$CGROOT/fl_demo_$R
TMP=$(mktemp -d)
PIDS=()

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root (network namespaces, cgroups, BPF); run 'sudo make demo'" >&2
	exit 1
fi
if [[ -z $CGROOT ]]; then
	echo "demo: no cgroup v2 mount found; mount one (mount -t cgroup2 none /sys/fs/cgroup/unified)" >&2
	exit 1
fi

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$SRV" 2>/dev/null || true
	ip netns del "$CLI" 2>/dev/null || true
	for d in "$CG/target" "$CG/bystander" "$CG"; do
		[[ -d $d ]] || continue
		while read -r p; do echo "$p" > "$CGROOT/cgroup.procs" 2>/dev/null || true; done < "$d/cgroup.procs"
		rmdir "$d" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap teardown EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_cg() { local cg=$1; shift; sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$cg" ip netns exec "$CLI" "$@"; }

step "Sandbox: namespaces $SRV (198.18.0.1) and $CLI (198.18.0.2), cgroups $CG/{target,bystander}"
ip netns add "$SRV"
ip netns add "$CLI"
ip link add "fd0_$R" type veth peer name "fd1_$R"
ip link set "fd0_$R" netns "$SRV"
ip link set "fd1_$R" netns "$CLI"
ip -n "$SRV" addr add 198.18.0.1/24 dev "fd0_$R"
ip -n "$CLI" addr add 198.18.0.2/24 dev "fd1_$R"
ip -n "$SRV" link set "fd0_$R" up
ip -n "$CLI" link set "fd1_$R" up
mkdir -p "$CG/target" "$CG/bystander"
ip netns exec "$SRV" "$TRAFFIC" udp-echo --port 7000 --duration 60 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.3

step "Kernel features"
"$FL" features

step "Fault: drop 30 % of the target's outgoing packets for 8 s"
echo "\$ faultline inject --cgroup $CG/target --netns /run/netns/$CLI --direction egress --drop 30 --duration 8s"
"$FL" inject --cgroup "$CG/target" --netns "/run/netns/$CLI" --direction egress \
	--drop 30 --duration 8s > "$TMP/report.txt" &
FLPID=$!
PIDS+=($FLPID)
# stderr stays on the terminal for the live status line; wait for the
# program to be loaded, then for the attach that follows it
for _ in $(seq 100); do bpftool prog show name fl_tcx_eg >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.3

step "Traffic: 3000 UDP echoes each from the target and the bystander"
in_cg target "$TRAFFIC" udp-ping --dst 198.18.0.1 --port 7000 --count 3000 --interval-us 1000 > "$TMP/target.out" &
TP=$!
in_cg bystander "$TRAFFIC" udp-ping --dst 198.18.0.1 --port 7000 --count 3000 --interval-us 1000 > "$TMP/bystander.out"
wait $TP
wait $FLPID || { echo "demo: faultline inject failed" >&2; exit 1; }

step "Report"
cat "$TMP/report.txt"

step "What the applications saw"
for who in target bystander; do
	line=$(cat "$TMP/$who.out")
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$line")
	replies=$(sed -n 's/.*replies=\([0-9]*\).*/\1/p' <<<"$line")
	errs=$(sed -n 's/.*send_errors=\([0-9]*\).*/\1/p' <<<"$line")
	awk -v w="$who" -v s="$sent" -v r="$replies" -v e="$errs" 'BEGIN {
		printf "  %-9s sent %d, answered %d: loss %.1f %%, send() errors %d\n", w, s, r, 100*(s-r)/s, e }'
done
echo "  (round-trip loss: a 30 % egress drop loses 30 % of the requests; the bystander loses nothing)"

step "Nothing left behind"
left=$(bpftool prog show 2>/dev/null | grep -c 'name fl_' || true)
echo "  faultline BPF programs still loaded: $left"
ip netns exec "$CLI" tc filter show dev "fd1_$R" egress | sed 's/^/  tc: /'
[[ $left -eq 0 ]] || { echo "demo: programs left behind" >&2; exit 1; }
echo "  demo done; the sandbox is removed on exit"
