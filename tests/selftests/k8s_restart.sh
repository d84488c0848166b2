#!/usr/bin/env bash
# k8s_restart: a node's agent killed with SIGKILL mid-Experiment and
# restarted, against the real API server (scripts/k8s-env.sh; the kubelet
# played as in k8s_agents.sh, through tests/lib/lib_k8s.sh). Two nodes, one
# ratings pod each, Experiments with a 100 % egress UDP drop that never
# trips; node-a's agent pins under a bpffs mount of this run's own.
#   adopt: after kill -9 node-a's pod is still dropped; the agent restarted
#     with --on-restart adopt takes the job back (node-a's entry stays
#     Started and its pod dropped), it ends Succeeded at the original
#     deadline (endedAt - startedAt < duration + 1 s), the overall phase is
#     Succeeded, and then nothing is dropped and nothing is pinned;
#   clean: the agent restarted with --on-restart clean removes the job at
#     once: node-a's entry Aborted "removed at the agent's restart", its pod
#     passes while node-b's is still dropped; the overall phase ends Aborted
#     when node-b's duration ends;
#   deleted while down: an Experiment deleted while node-a's agent was dead
#     is stopped by the agent restarted with adopt, once its list is in.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_k8s.sh
source "$(dirname "$0")/../lib/lib_k8s.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc jq openssl curl setsid flock mountpoint
fl_require_traffic
fl_require_faultline

N=20			# datagrams per check
PIN_B=$FL_STATE/pin_b	# node-b is never killed: no bpffs needed

k8s_down()
{
	local n

	for n in agent_a agent_b; do
		fl_bg_alive "$n" && fl_stop "$n" TERM >/dev/null 2>&1
	done
	rmdir "$PIN_B" 2>/dev/null
	fl_k8s_down
}
trap 'k8s_down; fl_teardown' EXIT
trap 'k8s_down; fl_teardown; exit 130' INT
trap 'k8s_down; fl_teardown; exit 143' TERM

fl_plan 14

fl_k8s_up
fl_pin_dir || fl_bail "cannot mount a bpffs instance under $FL_STATE"
fl_hold_run_lock || fl_bail "cannot take /run/faultline/lock"
PIN_A=$FL_PIN

fl_k8s_deploy
fl_ok $? "deploy/namespace.yaml, crd.yaml and rbac.yaml applied" ||
	fl_bail "$(cat "$FL_STATE/apply.out")"
fl_k8s_sa_kubeconfig
fl_ok $? "a kubeconfig with the faultline service account's token only" ||
	fl_diag_file "$FL_STATE/token.err"
fl_k8s_kubelet_root || fl_bail "cannot create $ROOT"
fl_setup_pair || fl_bail "cannot set up the namespace pair"
fl_start_servers
fl_k8s_nodes node-a node-b && pod ratings-a node-a ratings && pod ratings-b node-b ratings &&
	[[ $(kc get pods -n default -o jsonpath='{range .items[*]}{.status.phase}{" "}{end}') == "Running Running " ]]
fl_ok $? "kubelet played: pods ratings-a (node-a) and ratings-b (node-b) Running with cgroups" ||
	fl_bail "$(cat "$FL_STATE/pods.log")"
fl_wait_for 5 grep -q . "${CG[ratings-b]}/cgroup.procs" || fl_bail "the pods' processes did not start"

# lost POD: sets r to the datagrams lost of N from POD's cgroup
lost()
{
	fl_udp_ping "${CG[$1]}" "$FL_SRV4" "$N"
	r=$PING_LOST
}

PORT=$(fl_free_port)
# agent N POLICY: node-N's agent; waits until it watches the API
agent()
{
	local pin=PIN_${1^^}

	fl_bg "agent_$1" "$FL_BIN" agent --socket "$FL_STATE/$1.sock" --pin-dir "${!pin}" \
		--on-restart "$2" --metrics-addr none --cgroup-root "$ROOT" --node-name "node-$1" \
		--kubeconfig "$SA_KC" --log-format json
	fl_wait_for 10 grep -q "watching Experiments" "$FL_STATE/agent_$1.err"
}

kill9()
{
	{
		kill -KILL "$(fl_bg_pid "agent_$1")"
		fl_wait "agent_$1" 10
	} 2>/dev/null
}

# exp NAME DURATION: an Experiment on app=ratings, 100 % egress UDP drop
exp()
{
	kc apply -f - >>"$FL_STATE/exp.log" 2>&1 <<X
apiVersion: faultline.dev/v1alpha1
kind: Experiment
metadata: {name: $1, namespace: default}
spec:
  duration: $2
  targets:
    - pods: {namespace: default, matchLabels: {app: ratings}}
  faults:
    - {name: drop-udp, direction: egress, match: {protocol: udp}, drop: {percent: 100}}
  failureConditions:
    - {name: too-many-drops, signal: faults.dropped, above: 1000000}
X
}

# node_field EXP NODE FIELD
node_field()
{
	kc get experiment "$1" -n default -o json |
		jq -r --arg n "$2" --arg f "$3" '.status.nodes[]? | select(.node == $n) | .[$f] // empty'
}

phase()
{
	kc get experiment "$1" -n default -o jsonpath='{.status.phase}'
}

status_of()
{
	kc get experiment "$1" -n default -o json | jq -c .status
}

pin_dir_empty()
{
	[[ -z $(ls -A "$PIN_A" 2>/dev/null) ]]
}

agent a clean && agent b clean
fl_ok $? "two agents (node-a pinning in $PIN_A, node-b) watch the API" ||
	fl_bail "$(tail -n 5 "$FL_STATE/agent_a.err" "$FL_STATE/agent_b.err")"

# ---- adopt ----
E1=adopt-$FL_RAND
DUR=15
exp "$E1" "${DUR}s"
fl_wait_for 15 eval '[[ $(node_field $E1 node-a phase) == Started && $(node_field $E1 node-b phase) == Started ]]'
lost ratings-a && la=$r
[[ $la == "$N" && -d $PIN_A/default+$E1 ]]
fl_ok $? "$E1: both nodes Started, node-a drops ($la/$N) and pinned it" ||
	fl_diag "$(status_of "$E1")"
kill9 a
sleep 2
lost ratings-a && la=$r
[[ $la == "$N" ]]
fl_ok $? "$E1: after kill -9 of node-a's agent its pod is still dropped ($la/$N)"
agent a adopt &&
	fl_wait_for 10 grep -q "default.$E1.*taken back after the agent's restart\|taken back after the agent's restart.*default.$E1" "$FL_STATE/agent_a.err"
rc=$?
lost ratings-a && la=$r
[[ $rc == 0 && $(node_field "$E1" node-a phase) == Started && $la == "$N" ]]
fl_ok $? "$E1: the agent restarted with adopt took it back: node-a Started, still dropping ($la/$N)" ||
	fl_diag_file "$FL_STATE/agent_a.err" 20
fl_wait_for $((DUR + 10)) eval '[[ $(phase $E1) == Succeeded ]]'
st=$(status_of "$E1")
jq -e --argjson d "$DUR" '.nodes[] | select(.node == "node-a") | .phase == "Succeeded" and
	((.endedAt | sub("\\.[0-9]+"; "") | fromdateiso8601) - (.startedAt | sub("\\.[0-9]+"; "") | fromdateiso8601)) <= $d + 1' \
	<<<"$st" >/dev/null && [[ $(phase "$E1") == Succeeded ]]
fl_ok $? "$E1: node-a Succeeded at the original deadline, the overall phase Succeeded" ||
	fl_diag "$st"
lost ratings-a && la=$r
[[ $la == 0 ]] && pin_dir_empty
fl_ok $? "$E1: then node-a's pod passes ($la/$N lost) and nothing is pinned ($(ls -A "$PIN_A"))"

# ---- clean ----
E2=clean-$FL_RAND
exp "$E2" 12s
fl_wait_for 15 eval '[[ $(node_field $E2 node-a phase) == Started && $(node_field $E2 node-b phase) == Started ]]'
kill9 a
lost ratings-a && la=$r
[[ $la == "$N" ]]
fl_ok $? "$E2: both Started; after kill -9 node-a's pod is still dropped ($la/$N)"
agent a clean
fl_wait_for 10 eval '[[ $(node_field $E2 node-a phase) == Aborted ]]'
msg=$(node_field "$E2" node-a message)
lost ratings-a && la=$r && lost ratings-b && lb=$r
[[ $msg == *"removed at the agent's restart (--on-restart clean)"* && $la == 0 && $lb == "$N" ]] &&
	pin_dir_empty
fl_ok $? "$E2: restarted with clean, node-a's entry is Aborted ($msg), its pod passes ($la), node-b still drops ($lb), nothing pinned" ||
	fl_diag "$(status_of "$E2")"
fl_wait_for 30 eval '[[ $(phase $E2) == Aborted ]]'
[[ $(node_field "$E2" node-b phase) == Succeeded && $(phase "$E2") == Aborted ]]
fl_ok $? "$E2: node-b Succeeded at its end, the overall phase Aborted" ||
	fl_diag "$(status_of "$E2")"

# ---- deleted while the agent is down ----
E3=gone-$FL_RAND
exp "$E3" 60s
fl_wait_for 15 eval '[[ $(node_field $E3 node-a phase) == Started ]]'
kill9 a
kc delete experiment "$E3" -n default >/dev/null 2>&1
fl_wait_for 10 eval 'grep -q "Experiment default/$E3 deleted: stopping" "$FL_STATE/agent_b.err"'
agent a adopt &&
	fl_wait_for 10 eval 'grep -q "its Experiment is gone" "$FL_STATE/agent_a.err"' &&
	fl_wait_for 5 pin_dir_empty
rc=$?
lost ratings-a && la=$r
[[ $rc == 0 && $la == 0 ]]
fl_ok $? "$E3 deleted while node-a's agent was dead: the agent restarted with adopt stopped it ($la/$N lost), nothing pinned" ||
	fl_diag_file "$FL_STATE/agent_a.err" 20

fl_stop agent_a TERM && fl_stop agent_b TERM
fl_ok $? "both agents end on SIGTERM"
fl_done
