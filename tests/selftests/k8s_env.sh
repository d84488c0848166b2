#!/usr/bin/env bash
# k8s_env: the Kubernetes manifests in deploy/ against a real API server.
# scripts/k8s-env.sh builds (once, cached) and starts etcd and
# kube-apiserver on 127.0.0.1; the test checks that kubectl talks to it,
# that the API server accepts every manifest (server-side dry run), that
# the Experiment CRD makes the server itself refuse a malformed experiment
# and name the bad fields, that the printer columns show, and that the
# agent's service account may read experiments and write their status
# but may not delete pods or read secrets. The env is brought down on
# every way out, and no etcd or kube-apiserver of this run may remain.
#
# Needs root (as every selftest here), Go, openssl and curl. The first run
# builds Kubernetes (10+ minutes on 2 cores): 'make k8s-bins' does it
# ahead of the runner's per-test timeout, and 'make test' calls it. A
# build that fails is a failure of this test, never a skip.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

export PATH=$PATH:/usr/local/go/bin
fl_require_root
fl_require_cmds go openssl curl setsid flock

ENV=$FL_REPO/scripts/k8s-env.sh
DEPLOY=$FL_REPO/deploy
K8S_DIR=
K8S_PIDS=()

# The env goes down on every path, before lib.sh's own teardown.
k8s_down()
{
	[[ -n $K8S_DIR ]] || return 0
	"$ENV" down "$K8S_DIR" >>"$FL_STATE/down.log" 2>&1 ||
		echo "# teardown: k8s-env.sh down $K8S_DIR failed: $(tail -n 1 "$FL_STATE/down.log")" >&2
	K8S_DIR=
}
trap 'k8s_down; fl_teardown' EXIT
trap 'k8s_down; fl_teardown; exit 130' INT
trap 'k8s_down; fl_teardown; exit 143' TERM

fl_plan 23

# 1: the binaries (built on the first run only)
out=$("$ENV" build 2>"$FL_STATE/build.err")
rc=$?
if ((rc != 0)); then
	fl_diag_file "$FL_STATE/build.err" 60
	fl_ok 1 "build kube-apiserver, kubectl and etcd (scripts/k8s-env.sh build)"
	fl_bail "no Kubernetes binaries"
fi
BINDIR=$(tail -n 1 <<<"$out")
fl_ok 0 "binaries in $BINDIR ($(head -n 2 "$BINDIR/BUILD-INFO" | tr '\n' ' '))"
KUBECTL=$BINDIR/kubectl

# 2: up
K8S_DIR=$(mktemp -d /tmp/fl_k8s.XXXXXX) || fl_bail "mktemp failed"
out=$("$ENV" up "$K8S_DIR" 2>"$FL_STATE/up.err")
rc=$?
if [[ $rc != 0 || $out != "KUBECONFIG=$K8S_DIR/kubeconfig" ]]; then
	fl_diag "up printed: $out"
	fl_diag_file "$FL_STATE/up.err" 60
	fl_ok 1 "k8s-env.sh up: etcd and kube-apiserver answer (/readyz)"
	fl_bail "the control plane did not come up"
fi
fl_ok 0 "k8s-env.sh up: etcd and kube-apiserver answer (/readyz)"
export KUBECONFIG=$K8S_DIR/kubeconfig
for f in "$K8S_DIR"/*.pid; do
	read -r pid _ <"$f" && K8S_PIDS+=("$pid")
done
fl_diag "$(tail -n 1 "$FL_STATE/up.err")"

kc()
{
	"$KUBECTL" --request-timeout=30s "$@"
}

# 3: kubectl and the server, both at the pinned release
version=$(kc version -o json 2>&1)
want=$(sed -n 's/^kubernetes //p' "$BINDIR/BUILD-INFO")
fl_log "$version"
grep -q "\"gitVersion\": \"$want\"" <<<"$(grep -A8 serverVersion <<<"$version")"
fl_ok $? "kubectl version: the server says $want" || fl_diag "$version"

# 4-9: every manifest, as the API server judges it (server-side dry run).
# A namespaced object needs its namespace to exist, even in a dry run, so
# the cluster-scoped ones go first and then the namespace is made.
fl_check "dry run: namespace.yaml" kc apply --dry-run=server -f "$DEPLOY/namespace.yaml"
fl_check "dry run: crd.yaml" kc apply --dry-run=server -f "$DEPLOY/crd.yaml"
kc apply -f "$DEPLOY/namespace.yaml" >"$FL_STATE/ns.out" 2>&1 || fl_diag_file "$FL_STATE/ns.out"
for f in rbac daemonset service; do
	fl_check "dry run: $f.yaml" kc apply --dry-run=server -f "$DEPLOY/$f.yaml"
done
# Nothing in deploy/ is left out of the list above.
fl_diag "deploy/: $(cd "$DEPLOY" && ls -- *.yaml | tr '\n' ' ')"
[[ $(cd "$DEPLOY" && ls -- *.yaml | sort | tr '\n' ' ') == \
   "crd.yaml daemonset.yaml namespace.yaml rbac.yaml service.yaml " ]]
fl_ok $? "every manifest in deploy/ was dry-run"

# 10: the CRD for real
fl_check "create the Experiment CRD, Established" sh -c '
	"$1" apply -f "$2/crd.yaml" &&
	"$1" wait --for condition=Established --timeout=60s crd/experiments.faultline.dev' \
	sh "$KUBECTL" "$DEPLOY"

# 11: a valid experiment, every kind of target and field
cat >"$FL_STATE/good.yaml" <<'EOF'
apiVersion: faultline.dev/v1alpha1
kind: Experiment
metadata: {name: ratings-outage, namespace: default}
spec:
  duration: 2m
  targets:
    - cgroup: /sys/fs/cgroup/demo/ratings
    - pid: 4242
    - container: {id: "containerd://0123456789abcdef0123"}
    - pod: {uid: 5b0e6c6e-1d2a-4c8e-9f35-0123456789ab}
    - pod: {namespace: demo, name: ratings-0}
    - pods: {namespace: demo, matchLabels: {app: ratings}}
  faults:
    - name: drop-ratings
      direction: ingress
      match: {protocol: tcp, peers: [198.18.0.0/24, "2001:db8::1"], ports: [9080]}
      drop: {percent: 12.5}
      delay: {time: 50ms, jitter: 10ms, distribution: paretonormal, correlation: 25, reorder: true}
      rate: {limit: 1.5mbit, per: flow}
    - name: throttle
      rate: {limit: 2kpps}
  failureConditions:
    - {name: too-many-failures, signal: probe.failures, probe: productpage, window: 1m, above: 10}
    - {name: slow, signal: probe.latency.p99, probe: productpage, atLeast: 250ms}
    - {name: low-success, signal: probe.successRate, probe: productpage, below: 95%}
    - name: errors
      signal: prometheus
      prometheus: {url: "http://127.0.0.1:9090", query: "vector(0)", interval: 500ms}
      above: 0.5
  probes:
    - name: productpage
      http: {url: "http://198.18.0.1:9080/productpage", expectStatus: 200}
      interval: 200ms
      timeout: 1s
EOF
fl_check "a valid Experiment is accepted" kc apply -f "$FL_STATE/good.yaml"

# 12: the schema mirrors the file format: every example file passes it
examples_pass()
{
	local f rc=0

	for f in "$FL_REPO"/examples/*.yaml; do
		sed 's|^apiVersion: faultline/v1alpha1$|apiVersion: faultline.dev/v1alpha1|' "$f" |
			kc apply --dry-run=server -n default -f - || rc=1
	done
	return "$rc"
}
fl_check "examples/*.yaml, as faultline.dev/v1alpha1, pass the CRD (server dry run)" examples_pass

# 13-15: a malformed one: the API server refuses it and names each field
cat >"$FL_STATE/bad.yaml" <<'EOF'
apiVersion: faultline.dev/v1alpha1
kind: Experiment
metadata: {name: malformed, namespace: default}
spec:
  duration: 2m
  targets:
    - cgroup: /sys/fs/cgroup/demo/ratings
  faults:
    - name: drop-ratings
      direction: sideways
      drop: {percent: "lots"}
EOF
err=$(kc apply -f "$FL_STATE/bad.yaml" 2>&1)
rc=$?
fl_diag "the API server said:" "$err"
((rc != 0)) && grep -q 'is invalid' <<<"$err"
fl_ok $? "a malformed Experiment is refused by the API server"
grep -q 'spec.faults\[0\].drop.percent' <<<"$err" && grep -q 'spec.faults\[0\].direction' <<<"$err" &&
	grep -q 'sideways' <<<"$err"
fl_ok $? "the refusal names spec.faults[0].drop.percent and spec.faults[0].direction"
# The rules (CEL, oneOf) run only on an object whose types are right.
cat >"$FL_STATE/bad2.yaml" <<'EOF'
apiVersion: faultline.dev/v1alpha1
kind: Experiment
metadata: {name: malformed2, namespace: default}
spec:
  duration: 2m
  targets:
    - pod: {namespace: demo}
  faults:
    - name: does-nothing
      match: {peers: [not-an-address]}
    - name: half-a-chain
      loss: {p: 1}
  failureConditions:
    - {name: two-thresholds, signal: probe.failures, above: 1, below: 5}
EOF
err=$(kc apply -f "$FL_STATE/bad2.yaml" 2>&1)
rc=$?
fl_diag "the API server said:" "$err"
((rc != 0)) && grep -q 'spec.faults\[0\]: .*drop, loss, duplicate, reject, corrupt, delay, rate, partition or dns' <<<"$err" &&
	grep -q 'spec.faults\[1\].loss: .*p and r go together' <<<"$err" &&
	grep -q 'spec.faults\[0\].match.peers\[0\]: .*IP address or a CIDR' <<<"$err" &&
	grep -q 'spec.targets\[0\].pod: .*uid, or by namespace and name' <<<"$err" &&
	grep -q 'spec.failureConditions\[0\]' <<<"$err"
fl_ok $? "the rules too: a fault that does nothing, a bad peer, half a loss chain, a half-named pod, two thresholds"

# 16: the printer columns
get=$(kc get experiments -n default 2>&1)
fl_diag "$get"
head -n 1 <<<"$get" | grep -qE '^NAME +PHASE +NODES +TRIPPED +AGE$' &&
	grep -q '^ratings-outage ' <<<"$get" && ! grep -q '^malformed' <<<"$get"
fl_ok $? "kubectl get experiments: NAME PHASE NODES TRIPPED AGE, the valid one only"

# 17-22: the agent's service account, by its own token (and nothing else:
# an empty kubeconfig, so no admin certificate goes with it)
kc apply -f "$DEPLOY/rbac.yaml" >"$FL_STATE/rbac.out" 2>&1 || fl_diag_file "$FL_STATE/rbac.out"
token=$(kc create token faultline -n faultline-system --duration=10m 2>"$FL_STATE/token.err")
[[ $token == *.*.* ]]
fl_ok $? "kubectl create token faultline -n faultline-system" || fl_diag_file "$FL_STATE/token.err"
: >"$FL_STATE/empty.kubeconfig"
sa()
{
	"$KUBECTL" --request-timeout=30s --kubeconfig "$FL_STATE/empty.kubeconfig" \
		--server "https://127.0.0.1:$(cat "$K8S_DIR/api.port")" \
		--certificate-authority "$K8S_DIR/pki/ca.crt" --token "$token" "$@"
}
# can_i WANT VERB RESOURCE [ARGS]: "kubectl auth can-i" answers WANT
can_i()
{
	local want=$1 ans

	shift
	ans=$(sa auth can-i "$@" 2>&1)
	fl_log "can-i $*: $ans"
	[[ $ans == "$want" ]] || { fl_diag "can-i $*: '$ans', expected '$want'"; return 1; }
}
who=$(sa auth whoami -o jsonpath='{.status.userInfo.username}' 2>&1)
can_i yes list experiments.faultline.dev --all-namespaces &&
	can_i yes watch experiments.faultline.dev -n default
fl_ok $? "as $who: can list and watch experiments"
can_i yes patch experiments.faultline.dev --subresource=status -n default &&
	can_i yes update experiments.faultline.dev --subresource=status -n default
fl_ok $? "can patch and update experiments/status"
can_i no delete pods -n default && can_i no delete experiments.faultline.dev -n default &&
	can_i no patch experiments.faultline.dev -n default
fl_ok $? "cannot delete pods, delete experiments or change their spec"
can_i no get secrets -n faultline-system && can_i no list secrets --all-namespaces
fl_ok $? "cannot read secrets"
# and for real: the token writes a status, which the columns then show
sa patch experiment ratings-outage -n default --subresource=status --type=merge \
	-p '{"status":{"phase":"Started","nodeCount":2,"nodes":[{"node":"n1","phase":"Started"},{"node":"n2","phase":"Started"}]}}' \
	>"$FL_STATE/patch.out" 2>&1 || fl_diag_file "$FL_STATE/patch.out"
get=$(kc get experiment ratings-outage -n default --no-headers 2>&1)
fl_diag "$get"
[[ $get =~ ^ratings-outage\ +Started\ +2\ + ]]
fl_ok $? "the service account's status patch shows: Phase Started, Nodes 2"

# 23: down, and nothing of ours is left
dir=$K8S_DIR
k8s_down
left=
for pid in "${K8S_PIDS[@]}"; do
	[[ -e /proc/$pid ]] && grep -qF -- "$dir" "/proc/$pid/cmdline" 2>/dev/null && left+=" $pid"
done
left+=$(pgrep -f -- "$dir/" | tr '\n' ' ')
[[ ! -e $dir && -z ${left// /} ]]
fl_ok $? "k8s-env.sh down: $dir removed, no etcd or kube-apiserver of this run left" ||
	fl_diag "left: $left" "$(cat "$FL_STATE/down.log" 2>/dev/null)"

fl_done
