#!/usr/bin/env bash
# k8s_agents: two faultline agents driven by a real API server. The test
# plays the kubelet of two nodes (node-a, node-b): Node objects, Pods
# bound to them with their status written through the status
# subresource, and each pod's cgroup where a kubelet with the systemd
# driver puts it (under this run's own --cgroup-root), holding a process
# in the client namespace. The agents run with the service account's
# token only (deploy/rbac.yaml), not as admin.
#
# An Experiment in namespace default targets pods {app: ratings} (one pod
# per node; node-a also runs a bystander app=details) with a 100 % egress
# UDP drop and faults.dropped above N. Traffic from node-a's ratings pod
# trips node-a; node-b's faults must stop within 1 s of the trip (its
# pod's datagrams are dropped before and pass after; node-b's disarmedAt
# minus node-a's trippedAt <= 1 s); the overall phase is Failed. The
# bystander never loses a datagram. Deleting a second running Experiment
# stops it on both nodes. A malformed Experiment is refused by the API
# server. While a third Experiment runs, node-a's kubelet (played) adds a
# matching pod: listed in deferredPods while Pending, then added when it
# runs (it loses its datagrams from then on); its container restarts (a
# new container cgroup and id in the same pod cgroup) and it stays covered
# without the experiment restarting; it is deleted and taken out (its
# datagrams pass, the report keeps its counters). The env and the agents
# go down on every path.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_k8s.sh
source "$(dirname "$0")/../lib/lib_k8s.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc jq openssl curl setsid flock
fl_require_traffic
fl_require_faultline

N=20			# datagrams per check
THRESH=30		# node-a trips after this many drops
PIN_A=$FL_STATE/pin_a
PIN_B=$FL_STATE/pin_b

k8s_down()
{
	local n

	for n in agent_a agent_b; do
		fl_bg_alive "$n" && fl_stop "$n" TERM >/dev/null 2>&1
	done
	rmdir "$PIN_A" "$PIN_B" 2>/dev/null
	fl_k8s_down
}
trap 'k8s_down; fl_teardown' EXIT
trap 'k8s_down; fl_teardown; exit 130' INT
trap 'k8s_down; fl_teardown; exit 143' TERM

fl_plan 30

fl_k8s_up

# 1: the manifests
fl_k8s_deploy
fl_ok $? "deploy/namespace.yaml, crd.yaml and rbac.yaml applied" ||
	fl_bail "$(cat "$FL_STATE/apply.out")"

# 2: the agents' kubeconfig: the service account's token, nothing else
fl_k8s_sa_kubeconfig
fl_ok $? "a kubeconfig with the faultline service account's token only (it may not delete pods)" ||
	fl_diag_file "$FL_STATE/token.err"

# ---- the kubelet's part: nodes, pods, cgroups, status (lib_k8s.sh) ----

fl_k8s_kubelet_root || fl_bail "cannot create $ROOT"
fl_setup_pair || fl_bail "cannot set up the namespace pair"
fl_start_servers

# 3: nodes and pods
fl_k8s_nodes node-a node-b &&
	pod ratings-a node-a ratings && pod details-a node-a details &&
	pod ratings-b node-b ratings &&
	[[ $(kc get pods -n default -o jsonpath='{range .items[*]}{.status.phase}{" "}{end}') == "Running Running Running " ]]
fl_ok $? "kubelet played: node-a and node-b, pods ratings-a, details-a (node-a) and ratings-b (node-b) Running with cgroups" ||
	fl_bail "$(cat "$FL_STATE/pods.log")"
fl_wait_for 5 grep -q . "${CG[ratings-b]}/cgroup.procs" || fl_bail "the pods' processes did not start"

# lost POD: sets r to the datagrams lost of N from POD's cgroup
lost()
{
	fl_udp_ping "${CG[$1]}" "$FL_SRV4" "${2:-$N}"
	r=$PING_LOST
}

# 4: the agents
port=$((20000 + RANDOM % 20000))
for n in a b; do
	pin=PIN_${n^^}
	fl_bg "agent_$n" "$FL_BIN" agent --socket "$FL_STATE/$n.sock" --pin-dir "${!pin}" \
		--metrics-addr "127.0.0.1:$port" \
		--cgroup-root "$ROOT" --node-name "node-$n" --kubeconfig "$SA_KC" --log-format json
	port=$((port + 1))
done
fl_wait_for 10 grep -q "watching Experiments" "$FL_STATE/agent_a.err" &&
	fl_wait_for 10 grep -q "watching Experiments" "$FL_STATE/agent_b.err" &&
	fl_bg_alive agent_a && fl_bg_alive agent_b
fl_ok $? "two agents (node-a, node-b) watch the API with the service account" ||
	fl_bail "$(tail -n 5 "$FL_STATE/agent_a.err" "$FL_STATE/agent_b.err")"

lost ratings-a && la=$r && lost ratings-b && lb=$r && lost details-a && ld=$r
[[ $la == 0 && $lb == 0 && $ld == 0 ]]
fl_ok $? "before any Experiment nothing is lost (a $la, b $lb, details $ld)"

# exp NAME DURATION THRESHOLD [PODS]: an Experiment on PODS (default
# app=ratings in namespace default), 100 % egress UDP drop
exp()
{
	kc apply -f - <<X
apiVersion: faultline.dev/v1alpha1
kind: Experiment
metadata: {name: $1, namespace: default}
spec:
  duration: $2
  targets:
    - pods: ${4:-"{namespace: default, matchLabels: {app: ratings}}"}
  faults:
    - {name: drop-udp, direction: egress, match: {protocol: udp}, drop: {percent: 100}}
  failureConditions:
    - {name: too-many-drops, signal: faults.dropped, above: $3}
X
}

# node_field EXP NODE FIELD
node_field()
{
	kc get experiment "$1" -n default -o json |
		jq -r --arg n "$2" --arg f "$3" '.status.nodes[]? | select(.node == $n) | .[$f] // empty'
}

# 5-6: exp1 starts on both nodes
E1=trip-$FL_RAND
exp "$E1" 60s "$THRESH" >"$FL_STATE/e1.out" 2>&1
fl_wait_for 15 eval '[[ $(node_field $E1 node-a phase) == Started && $(node_field $E1 node-b phase) == Started ]]'
fl_ok $? "$E1: both nodes' entries Started" ||
	fl_diag "$(kc get experiment "$E1" -n default -o json | jq -c .status)"
pods_a=$(kc get experiment "$E1" -n default -o json | jq -c '[.status.nodes[] | {(.node): .pods}] | add')
[[ $pods_a == '{"node-a":["default/ratings-a"],"node-b":["default/ratings-b"]}' ||
   $pods_a == '{"node-b":["default/ratings-b"],"node-a":["default/ratings-a"]}' ]]
fl_ok $? "each node targets its own ratings pod only ($pods_a)"

# 7-8: node-b drops, the bystander does not
lost ratings-b 10 && lb=$r && lost details-a && ld=$r
[[ $lb == 10 ]]
fl_ok $? "node-b's ratings pod: 10 of 10 dropped while it runs ($lb)"
[[ $ld == 0 ]]
fl_ok $? "the bystander details-a loses nothing ($ld of $N)"

# 9-12: node-a trips, node-b stops within 1 s (one flow of 60 datagrams)
fl_traffic "$FL_NS_CLI" "${CG[ratings-a]}" udp-send --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
	--count 60 --pps 200 >/dev/null
fl_wait_for 10 eval '[[ $(node_field $E1 node-a phase) == Failed && $(node_field $E1 node-b phase) == Aborted ]]'
fl_ok $? "node-a Failed by its condition, node-b Aborted" ||
	fl_diag "$(kc get experiment "$E1" -n default -o json | jq -c .status)"
ta=$(node_field "$E1" node-a trippedAt)
db=$(node_field "$E1" node-b disarmedAt)
ms=$(python3 -c '
import sys, datetime as d
def p(s):
    s = s.rstrip("Z"); b, f = (s.split(".") + ["0"])[:2]
    return d.datetime.fromisoformat(b).timestamp() + float("0." + f)
print(round((p(sys.argv[2]) - p(sys.argv[1])) * 1000, 1))' "$ta" "$db" 2>/dev/null)
echo "$ms" >"$FL_STATE/trip_to_off_ms"
fl_log "trip->node-b off: ${ms} ms (trippedAt $ta, disarmedAt $db)"
[[ -n $ms ]] && python3 -c "import sys; sys.exit(0 if 0 <= $ms <= 1000 else 1)"
fl_ok $? "node-b's disarmedAt - node-a's trippedAt = ${ms} ms <= 1000 ms" ||
	fl_diag "trippedAt $ta disarmedAt $db"
lost ratings-b && lb=$r
[[ $lb == 0 ]]
fl_ok $? "after the trip node-b's ratings pod passes again (lost $lb of $N)"
fl_wait_for 10 eval '[[ $(kc get experiment $E1 -n default -o jsonpath={.status.phase}) == Failed ]]'
line=$(kc get experiments -n default 2>&1 | grep "^$E1 ")
[[ $line == *Failed* && $line == *too-many-drops* ]]
fl_ok $? "kubectl get experiments: $E1 Failed, tripped by too-many-drops ($(tr -s ' ' <<<"$line"))" ||
	fl_diag "$(kc get experiment "$E1" -n default -o json | jq -c .status)"

# 13-16: deleting a running Experiment stops it on both nodes
E2=del-$FL_RAND
exp "$E2" 60s 1000000 >"$FL_STATE/e2.out" 2>&1
fl_wait_for 15 eval '[[ $(node_field $E2 node-a phase) == Started && $(node_field $E2 node-b phase) == Started ]]'
fl_ok $? "$E2: both nodes Started" ||
	fl_diag "$(kc get experiment "$E2" -n default -o json | jq -c .status)"
lost ratings-a 10 && la=$r && lost ratings-b 10 && lb=$r
[[ $la == 10 && $lb == 10 ]]
fl_ok $? "$E2 drops on both nodes (a $la/10, b $lb/10)"
kc delete experiment "$E2" -n default >/dev/null 2>&1
fl_wait_for 5 grep -q "Experiment default/$E2 deleted: stopping" "$FL_STATE/agent_a.err" &&
	fl_wait_for 5 grep -q "Experiment default/$E2 deleted: stopping" "$FL_STATE/agent_b.err" &&
	fl_wait_for 5 eval 'grep -q "ended Aborted.*\"experiment\":\"default.$E2\"" "$FL_STATE/agent_a.err" &&
		grep -q "ended Aborted.*\"experiment\":\"default.$E2\"" "$FL_STATE/agent_b.err"'
fl_ok $? "kubectl delete $E2: both agents stop it" ||
	fl_diag "$(grep -h "$E2" "$FL_STATE"/agent_*.err | tail -n 6)"
lost ratings-a && la=$r && lost ratings-b && lb=$r && lost details-a && ld=$r
[[ $la == 0 && $lb == 0 && $ld == 0 ]]
fl_ok $? "after the delete nothing is lost (a $la, b $lb, details $ld)"

# 17: malformed
out=$(kc apply -f - 2>&1 <<X
apiVersion: faultline.dev/v1alpha1
kind: Experiment
metadata: {name: bad-$FL_RAND, namespace: default}
spec:
  duration: soon
  targets: [{pods: {namespace: default, matchLabels: {app: ratings}}}]
  faults: [{name: f, drop: {percent: 150}}]
X
)
rc=$?
[[ $rc != 0 && $out == *spec.duration* && $out == *percent* ]]
fl_ok $? "a malformed Experiment is refused by the API server" || fl_diag "$out"

# 18: the bystander, once more, and the agents alive
lost details-a && ld=$r
[[ $ld == 0 ]] && fl_bg_alive agent_a && fl_bg_alive agent_b
fl_ok $? "the bystander never lost a datagram; both agents still run"

# 19-28: pods that come, restart and go while an Experiment runs (node-a)
E3=pods-$FL_RAND
# its selector names no namespace: the Experiment's own (default)
exp "$E3" 120s 1000000 "{matchLabels: {app: ratings}}" >"$FL_STATE/e3.out" 2>&1
fl_wait_for 15 eval '[[ $(node_field $E3 node-a phase) == Started && $(node_field $E3 node-b phase) == Started ]]'
fl_ok $? "$E3, whose pods selector names no namespace, selects in the Experiment's own: Started on both nodes" ||
	fl_diag "$(cat "$FL_STATE/e3.out"; kc get experiment "$E3" -n default -o json | jq -c .status)"
started_a=$(node_field "$E3" node-a startedAt)
pod_create ratings-a2 node-a ratings
fl_wait_for 10 eval '[[ $(node_field $E3 node-a deferredPods | jq -r ".[]?") == default/ratings-a2 ]]'
fl_ok $? "$E3: a matching pod created on node-a waits in deferredPods while it is Pending" ||
	fl_diag "$(kc get experiment "$E3" -n default -o json | jq -c '.status.nodes')"
pod_container ratings-a2 0 || fl_bail "cannot start ratings-a2's container"
fl_wait_for 10 eval '[[ $(node_field $E3 node-a pods | jq -c "sort") == "[\"default/ratings-a\",\"default/ratings-a2\"]" &&
	-z $(node_field $E3 node-a deferredPods) ]]'
fl_ok $? "once it runs, node-a's entry lists it in pods and no longer in deferredPods" ||
	fl_diag "$(kc get experiment "$E3" -n default -o json | jq -c '.status.nodes')"
lost ratings-a2 10 && l2=$r && lost ratings-a 10 && la=$r && lost details-a && ld=$r
[[ $l2 == 10 && $la == 10 && $ld == 0 ]]
fl_ok $? "the pod added mid-experiment loses 10 of 10 from then on (a2 $l2, a $la, details $ld of $N)"

# the container restarts: its process dies, its cgroup goes, a new one
# with a new id starts inside the same pod cgroup
old_ccg=${CG[ratings-a2]}
fl_stop proc_ratings-a2_0 KILL >/dev/null 2>&1
rmdir "$old_ccg" 2>/dev/null
pod_container ratings-a2 1 || fl_bail "cannot restart ratings-a2's container"
fl_wait_for 5 grep -q . "${CG[ratings-a2]}/cgroup.procs"
[[ ! -d $old_ccg ]] && lost ratings-a2 10 && l2=$r && [[ $l2 == 10 ]]
fl_ok $? "after a container restart (new container cgroup and id) the pod still loses 10 of 10 ($l2)"
sleep 1	# let the status change reach the agent
[[ $(node_field "$E3" node-a phase) == Started && $(node_field "$E3" node-a startedAt) == "$started_a" &&
   $(grep -c "started for Experiment.*\"experiment\":\"default.$E3\"" "$FL_STATE/agent_a.err") == 1 &&
   $(grep -c "added to the experiment.*\"experiment\":\"default.$E3\"" "$FL_STATE/agent_a.err") == 1 ]] &&
	! grep -q "ratings-a2 went" "$FL_STATE/agent_a.err"
fl_ok $? "the restart did not restart the experiment: still Started since $started_a, started once, the pod never taken out" ||
	fl_diag "$(grep -h "$E3" "$FL_STATE/agent_a.err" | tail -n 6)"

kc delete pod ratings-a2 -n default --wait=false >>"$FL_STATE/pods.log" 2>&1
fl_wait_for 10 eval '[[ $(node_field $E3 node-a pods | jq -c .) == "[\"default/ratings-a\"]" ]]' &&
	grep -q "pod default/ratings-a2 went: taken out of the experiment" "$FL_STATE/agent_a.err"
fl_ok $? "a targeted pod deleted is taken out: node-a's entry lists ratings-a only" ||
	fl_diag "$(grep -h "$E3" "$FL_STATE/agent_a.err" | tail -n 6)"
lost ratings-a2 && l2=$r && lost ratings-a 10 && la=$r
[[ $l2 == 0 && $la == 10 ]]
fl_ok $? "its traffic passes again (lost $l2 of $N) while ratings-a still loses 10 of 10 ($la)"
"$FL_BIN" stop "default.$E3" --socket "$FL_STATE/a.sock" >"$FL_STATE/stop3.out" 2>&1
fl_wait_for 10 eval '[[ $(node_field $E3 node-a phase) == Aborted ]]'
rep=$(kc get experiment "$E3" -n default -o json |
	jq -c '.status.nodes[] | select(.node == "node-a") | .report.targets')
uid2=$(kc get pod ratings-a2 -n default -o jsonpath='{.metadata.uid}' 2>/dev/null)
jq -e --arg u "$uid2" 'length == 2 and (.[1] | .ref == $u and .added == true and .removed == true
	and .egress.dropped >= 20) and (.[0] | .added != true and .removed != true)' <<<"$rep" >/dev/null
fl_ok $? "node-a's report keeps the removed pod's counters, marked added and removed" ||
	fl_diag "$rep"
grep '"level":"warn"' "$FL_STATE/agent_a.err" | grep -q "default.$E3"
(($? != 0))
fl_ok $? "no warning about $E3 in node-a's log" ||
	fl_diag "$(grep '"level":"warn"' "$FL_STATE/agent_a.err" | grep "$E3" | tail -n 3)"

# 29: SIGTERM ends both agents
fl_stop agent_a TERM && fl_stop agent_b TERM
fl_ok $? "both agents end on SIGTERM" || fl_diag_file "$FL_STATE/agent_a.err" 20
fl_done
