#!/usr/bin/env bash
# fault_contract: a fault in an experiment file and the same fault as
# `inject` flags go through one validator, so `faultline validate FILE`
# and `faultline inject --dry-run` agree: both exit 0, or both exit 2 and
# name the same field. Each row below is one fault written both ways.
# Would fail if either front end kept a check (or a limit) of its own.
# A valid fault that needs fq (delay, rate) exits 3 from the dry run where
# the kernel has no sch_fq (the host): that is the kernel, not the input,
# and is checked as such.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq
fl_require_faultline

# field | YAML of the fault (after its name) | inject flags
ROWS=(
	"ok|drop: {percent: 30}|--drop 30"
	"ok|direction: egress, match: {protocol: tcp, ports: [80, 443], peers: [198.18.0.0/15]}, drop: {percent: 0.5}|--direction egress --proto tcp --port 80 --port 443 --peer 198.18.0.0/15 --drop 0.5"
	"ok-fq|delay: {time: 20ms, jitter: 5ms, distribution: normal, correlation: 25}|--delay 20ms --jitter 5ms --distribution normal --correlation 25"
	"ok-fq|rate: {limit: 10mbit, per: flow}|--rate 10mbit --rate-per flow"
	"ok-fq|delay: {time: 4500ms, jitter: 4500ms}, rate: {limit: 1000pps}|--delay 4500ms --jitter 4500ms --rate 1000pps"
	"delay.time|delay: {time: 30s}|--delay 30s"
	"delay.time|delay: {time: 9500ms}, rate: {limit: 1mbit}|--delay 9500ms --rate 1mbit"
	"delay.jitter|delay: {time: 10ms, jitter: 20ms}|--delay 10ms --jitter 20ms"
	"delay.jitter|delay: {time: 1s, jitter: 500ms, distribution: pareto}|--delay 1s --jitter 500ms --distribution pareto"
	"delay.distribution|delay: {time: 10ms, distribution: normal}|--delay 10ms --distribution normal"
	"delay.correlation|delay: {time: 10ms, jitter: 1ms, correlation: 2.5}|--delay 10ms --jitter 1ms --correlation 2.5"
	"delay.distribution|delay: {time: 10ms, jitter: 1ms, distribution: gauss}|--delay 10ms --jitter 1ms --distribution gauss"
	"match.ports|match: {protocol: icmp, ports: [80]}, drop: {percent: 1}|--proto icmp --port 80 --drop 1"
	"match.ports|match: {ports: [70000]}, drop: {percent: 1}|--port 70000 --drop 1"
	"match.peers|match: {peers: [198.18.0.0/33]}, drop: {percent: 1}|--peer 198.18.0.0/33 --drop 1"
	"drop.percent|drop: {percent: 101}|--drop 101"
	"rate.limit|rate: {limit: 401gbit}|--rate 401gbit"
	"rate.per|rate: {limit: 1mbit, per: pod}|--rate 1mbit --rate-per pod"
	"direction|direction: inbound, drop: {percent: 1}|--direction inbound --drop 1"
	"no action|direction: egress|--direction egress"
	"ok|partition: {peers: [198.18.1.0/24, 2001:db8:1::/48]}|--partition 198.18.1.0/24 --partition 2001:db8:1::/48"
	"ok|match: {protocol: tcp, ports: [5432]}, partition: {peers: [198.18.1.7]}|--proto tcp --port 5432 --partition 198.18.1.7"
	"match.peers|match: {peers: [198.18.0.0/24]}, partition: {peers: [198.18.1.0/24]}|--peer 198.18.0.0/24 --partition 198.18.1.0/24"
	"direction|direction: egress, partition: {peers: [198.18.1.0/24]}|--direction egress --partition 198.18.1.0/24"
	"partition|partition: {peers: [198.18.1.0/24]}, drop: {percent: 10}|--partition 198.18.1.0/24 --drop 10"
	"partition.peers|partition: {peers: [198.18.1.0/33]}|--partition 198.18.1.0/33"
	"ok|loss: {p: 1, r: 25}|--loss-p 1 --loss-r 25"
	"ok|loss: {p: 5, r: 30, h: 20, k: 99.5, per: fault}|--loss-p 5 --loss-r 30 --loss-h 20 --loss-k 99.5 --loss-per fault"
	"ok|loss: {percent: 5, correlation: 50}|--loss 5 --loss-correlation 50"
	"ok-fq|loss: {percent: 1}, delay: {time: 20ms}|--loss 1 --delay 20ms"
	"loss.r|loss: {p: 1}|--loss-p 1"
	"loss.percent|loss: {percent: 5, p: 1, r: 20}|--loss 5 --loss-p 1 --loss-r 20"
	"loss.correlation|loss: {percent: 5, correlation: 100}|--loss 5 --loss-correlation 100"
	"loss.percent|loss: {correlation: 20}|--loss-correlation 20"
	"loss.p|loss: {r: 20}|--loss-r 20"
	"loss.k|loss: {p: 1, r: 20, k: 101}|--loss-p 1 --loss-r 20 --loss-k 101"
	"loss.per|loss: {percent: 1, per: pod}|--loss 1 --loss-per pod"
	"loss|loss: {percent: 1}, drop: {percent: 1}|--loss 1 --drop 1"
	"ok|drop: {percent: 20}, scope: connections|--drop 20 --scope connections"
	"ok|drop: {percent: 20}, scope: packets|--drop 20 --scope packets"
	"scope|delay: {time: 20ms}, scope: connections|--delay 20ms --scope connections"
	"scope|loss: {percent: 1}, scope: connections|--loss 1 --scope connections"
	"scope|drop: {percent: 20}, scope: flows|--drop 20 --scope flows"
	"ok|direction: egress, duplicate: {percent: 5}|--direction egress --duplicate 5"
	"ok|direction: egress, drop: {percent: 1}, duplicate: {percent: 5}|--direction egress --drop 1 --duplicate 5"
	"ok|duplicate: {percent: 5}, scope: connections|--duplicate 5 --scope connections"
	"ok-fq|delay: {time: 20ms, percent: 20}, scope: connections|--delay 20ms --delay-percent 20 --scope connections"
	"ok-fq|rate: {limit: 1mbit, percent: 20}|--rate 1mbit --rate-percent 20"
	"delay.percent|delay: {time: 20ms, percent: 120}|--delay 20ms --delay-percent 120"
	"rate.percent|delay: {time: 20ms, percent: 10}, rate: {limit: 1mbit, percent: 20}|--delay 20ms --delay-percent 10 --rate 1mbit --rate-percent 20"
	"duplicate|direction: egress, duplicate: {percent: 5}, delay: {time: 10ms}|--direction egress --duplicate 5 --delay 10ms"
	"duplicate.percent|direction: egress, duplicate: {percent: 120}|--direction egress --duplicate 120"
	"ok|match: {protocol: tcp}, reject: {percent: 100, with: tcp-reset}|--proto tcp --reject 100 --reject-with tcp-reset"
	"ok|direction: egress, reject: {percent: 20}, scope: connections|--direction egress --reject 20 --scope connections"
	"ok|match: {protocol: udp}, reject: {percent: 5, with: icmp-unreachable}|--proto udp --reject 5 --reject-with icmp-unreachable"
	"reject.with|reject: {percent: 5, with: tcp-reset}|--reject 5 --reject-with tcp-reset"
	"reject.with|reject: {percent: 5, with: nope}|--reject 5 --reject-with nope"
	"reject|reject: {percent: 5}, drop: {percent: 1}|--reject 5 --drop 1"
	"reject.percent|reject: {percent: 120}|--reject 120"
	"ok|dns: {match: {names: ['*.example.internal', Exact.Name.]}, action: nxdomain}|--dns-name *.example.internal --dns-name Exact.Name. --dns-action nxdomain"
	"ok|match: {peers: [198.18.0.53]}, dns: {match: {names: [a.example]}, action: drop}|--peer 198.18.0.53 --dns-name a.example --dns-action drop"
	"ok-fq|dns: {match: {names: [a.example]}, action: delay, delay: 2s}|--dns-name a.example --dns-action delay --dns-delay 2s"
	"dns.match.names|dns: {match: {names: [a..b]}, action: drop}|--dns-name a..b --dns-action drop"
	"dns.match.names|dns: {action: servfail}|--dns-action servfail"
	"dns.action|dns: {match: {names: [a.example]}}|--dns-name a.example"
	"dns.action|dns: {match: {names: [a.example]}, action: refused}|--dns-name a.example --dns-action refused"
	"dns.delay|dns: {match: {names: [a.example]}, action: delay, delay: 11s}|--dns-name a.example --dns-action delay --dns-delay 11s"
	"dns.delay|dns: {match: {names: [a.example]}, action: drop, delay: 1s}|--dns-name a.example --dns-action drop --dns-delay 1s"
	"dns|dns: {match: {names: [a.example]}, action: drop}, drop: {percent: 5}|--dns-name a.example --dns-action drop --drop 5"
	"direction|direction: ingress, dns: {match: {names: [a.example]}, action: drop}|--direction ingress --dns-name a.example --dns-action drop"
	"match.ports|match: {ports: [53]}, dns: {match: {names: [a.example]}, action: drop}|--port 53 --dns-name a.example --dns-action drop"
	"dns|direction: egress, dns: {match: {names: [a.example]}, action: drop}, corrupt: {percent: 5}|--direction egress --dns-name a.example --dns-action drop --corrupt 5"
	"ok|direction: egress, corrupt: {percent: 5}|--direction egress --corrupt 5"
	"ok|direction: egress, corrupt: {percent: 5, fixChecksum: true}|--direction egress --corrupt 5 --corrupt-fix-checksum"
	"ok|direction: egress, corrupt: {percent: 5}, scope: connections|--direction egress --corrupt 5 --scope connections"
	"direction|corrupt: {percent: 5}|--corrupt 5"
	"corrupt|direction: egress, corrupt: {percent: 5}, duplicate: {percent: 5}|--direction egress --corrupt 5 --duplicate 5"
	"corrupt.percent|direction: egress, corrupt: {percent: -1}|--direction egress --corrupt -1"
	"ok|direction: egress, corrupt: {percent: 5}, drop: {percent: 1}, scope: connections|--direction egress --corrupt 5 --drop 1 --scope connections"
)

# In a VM (make test's 6.12 suite) only the rows that need fq run: every
# other row is the same front ends on the same validator, and the host
# runs them all; under emulation each dry run's load takes seconds.
same=1
if [[ -n ${FL_IN_VM:-} ]]; then
	fq_rows=()
	for row in "${ROWS[@]}"; do
		[[ $row == ok-fq\|* ]] && fq_rows+=("$row")
	done
	fl_diag "in a VM: the ${#fq_rows[@]} rows that need fq of ${#ROWS[@]} (the host runs every row)"
	ROWS=("${fq_rows[@]}")
	same=0
fi
fl_plan $((${#ROWS[@]} + same))
fl_setup
fl_bg_in hold "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
fl_wait_for 5 eval "grep -qx \"\${FL_BG[hold]}\" \"$FL_CG_TARGET/cgroup.procs\"" ||
	fl_bail "the target's process did not enter its cgroup"
fq=$("$FL_BIN" features --json | jq -r .sch_fq)
fl_diag "sch_fq in this kernel: $fq"

i=0
for row in "${ROWS[@]}"; do
	IFS='|' read -r want yaml flags <<<"$row"
	i=$((i + 1))
	f=$FL_STATE/c$i.yaml
	cat >"$f" <<EOF2
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: c$i}
spec:
  duration: 10s
  targets: [{cgroup: $FL_CG_TARGET}]
  faults:
    - {name: f, $yaml}
  failureConditions:
    - {name: c, signal: faults.dropped, above: 1000000}
EOF2
	"$FL_BIN" validate "$f" >"$FL_STATE/v$i.out" 2>"$FL_STATE/v$i.err"
	vrc=$?
	# shellcheck disable=SC2086 # the flags are words
	"$FL_BIN" inject --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" $flags \
		--duration 10s --dry-run >"$FL_STATE/i$i.out" 2>"$FL_STATE/i$i.err"
	irc=$?
	verr=$(head -c 300 "$FL_STATE/v$i.err")
	ierr=$(head -c 300 "$FL_STATE/i$i.err")
	case $want in
	ok)
		[[ $vrc == 0 && $irc == 0 ]] && grep -q "BPF: .* loaded and verified" "$FL_STATE/i$i.out"
		fl_ok $? "$flags: both valid, the dry run loaded the programs (validate $vrc, inject $irc)" ||
			fl_diag "validate: $verr" "inject: $ierr"
		;;
	ok-fq)
		if [[ $fq == true ]]; then
			[[ $vrc == 0 && $irc == 0 ]]
		else
			[[ $vrc == 0 && $irc == 3 ]] && grep -q "fq" "$FL_STATE/i$i.err"
		fi
		fl_ok $? "$flags: both valid (validate $vrc; inject $irc, sch_fq $fq)" ||
			fl_diag "validate: $verr" "inject: $ierr"
		;;
	"no action")
		[[ $vrc == 2 && $irc == 2 && $verr == *"has no action"* && $ierr == *"has no action"* ]]
		fl_ok $? "$flags: both exit 2, 'has no action' (validate $vrc, inject $irc)" ||
			fl_diag "validate: $verr" "inject: $ierr"
		;;
	*)
		# inject names the field beside its flag: "delay.time (--delay):"
		# for a value the validator refused, "'30x' (delay.time):" for one
		# that does not parse
		[[ $vrc == 2 && $irc == 2 && $verr == *"faults[0].$want"* &&
		   ($ierr == *"($want)"* || $ierr == *": $want ("*) ]]
		fl_ok $? "$flags: both exit 2 naming $want (validate $vrc, inject $irc)" ||
			fl_diag "validate: $verr" "inject: $ierr"
		;;
	esac
done

# the message of the one validator reads the same from both front ends
((same)) || fl_done
v=$(grep -o 'delay.time: .*' "$FL_STATE/v6.err" | sed 's/^delay.time: //')
n=$(grep -o 'delay.time (--delay): .*' "$FL_STATE/i6.err" | sed 's/^delay.time (--delay): //')
[[ -n $v && $v == "$n" ]]
fl_ok $? "the same message from both: '$v'" || fl_diag "inject: $n"
fl_done
