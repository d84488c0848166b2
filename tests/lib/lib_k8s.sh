# shellcheck shell=bash
# Kubernetes helpers for selftests against the real API server that
# scripts/k8s-env.sh starts (tests/selftests/k8s_*.sh). Source after lib.sh.
#
#   fl_k8s_up               build (cached) and start etcd + kube-apiserver;
#                           bails when it cannot; sets KUBECTL, K8S_DIR,
#                           exports KUBECONFIG (admin)
#   kc ARGS...              kubectl with a request timeout
#   fl_k8s_deploy           apply deploy/namespace.yaml, crd.yaml, rbac.yaml
#   fl_k8s_sa_kubeconfig    SA_KC: a kubeconfig with the faultline service
#                           account's token only
#   fl_k8s_kubelet_root     ROOT (=$FL_CG): the kubelet's --cgroup-root with
#                           the systemd driver's kubepods slices
#   fl_k8s_nodes NODE...    Node objects, and the default service account
#   pod NAME NODE APP       a Burstable pod bound to NODE, Running, its
#                           container cgroup in CG[NAME] holding a process in
#                           the client namespace (the kubelet's part played)
#   fl_k8s_down             stop the control plane (the test's traps call it
#                           before fl_teardown)

FL_K8S_ENV=$FL_REPO/scripts/k8s-env.sh
FL_K8S_DEPLOY=$FL_REPO/deploy
K8S_DIR=
declare -A CG=() PCG=() APP=()
export PATH=$PATH:/usr/local/go/bin

fl_k8s_down()
{
	[[ -n $K8S_DIR ]] || return 0
	"$FL_K8S_ENV" down "$K8S_DIR" >>"$FL_STATE/down.log" 2>&1 ||
		echo "# teardown: k8s-env.sh down $K8S_DIR failed" >&2
	K8S_DIR=
}

fl_k8s_up()
{
	local out bindir

	out=$("$FL_K8S_ENV" build 2>"$FL_STATE/build.err") || {
		fl_diag_file "$FL_STATE/build.err" 40
		fl_bail "no Kubernetes binaries (scripts/k8s-env.sh build)"
	}
	bindir=$(tail -n 1 <<<"$out")
	KUBECTL=$bindir/kubectl
	K8S_DIR=$(mktemp -d /tmp/fl_k8s.XXXXXX) || fl_bail "mktemp failed"
	out=$("$FL_K8S_ENV" up "$K8S_DIR" 2>"$FL_STATE/up.err")
	[[ $out == "KUBECONFIG=$K8S_DIR/kubeconfig" ]] || {
		fl_diag_file "$FL_STATE/up.err" 40
		fl_bail "the control plane did not come up"
	}
	export KUBECONFIG=$K8S_DIR/kubeconfig
}

kc()
{
	"$KUBECTL" --request-timeout=30s "$@"
}

fl_k8s_deploy()
{
	kc apply -f "$FL_K8S_DEPLOY/namespace.yaml" -f "$FL_K8S_DEPLOY/crd.yaml" \
		-f "$FL_K8S_DEPLOY/rbac.yaml" >"$FL_STATE/apply.out" 2>&1 &&
		kc wait --for=condition=Established crd/experiments.faultline.dev --timeout=30s \
			>>"$FL_STATE/apply.out" 2>&1
}

# 0 when SA_KC holds the service account's token and nothing else, and
# that account may not delete pods
fl_k8s_sa_kubeconfig()
{
	local token server

	token=$(kc create token faultline -n faultline-system --duration=1h 2>"$FL_STATE/token.err")
	server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	SA_KC=$FL_STATE/sa.kubeconfig
	cat >"$SA_KC" <<KC
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "$server", certificate-authority: "$K8S_DIR/pki/ca.crt"}
users:
- name: faultline
  user: {token: "$token"}
contexts:
- name: sa
  context: {cluster: c, user: faultline}
current-context: sa
KC
	[[ $token == *.*.* ]] && ! grep -q "client-certificate\|client-key" "$SA_KC" &&
		! "$KUBECTL" --kubeconfig "$SA_KC" auth can-i delete pods -A >/dev/null 2>&1
}

# ---- the kubelet's part: nodes, pods, cgroups, status ----

uuid_()
{
	echo "${1//-/_}"
}

mkcg()
{
	local d

	for d in "$@"; do
		mkdir -p "$d" || return 1
		FL_CGROUPS+=("$d")
	done
}

fl_k8s_kubelet_root()
{
	ROOT=$FL_CG	# every node's kubelet --cgroup-root (the pod uids differ)
	mkcg "$ROOT" "$ROOT/kubepods.slice" "$ROOT/kubepods.slice/kubepods-burstable.slice"
}

fl_k8s_nodes()
{
	local n

	for n in "$@"; do
		kc apply -f - >>"$FL_STATE/pods.log" 2>&1 <<NODE || return 1
apiVersion: v1
kind: Node
metadata: {name: $n, labels: {kubernetes.io/hostname: $n}}
NODE
	done
	# no controller manager makes the namespace's default service account
	kc create serviceaccount default -n default >>"$FL_STATE/pods.log" 2>&1 ||
		kc get serviceaccount default -n default >/dev/null 2>&1
}

# pod_create NAME NODE APP: a Burstable pod bound to NODE, as the scheduler
# leaves it (Pending: no cgroup, no process yet).
pod_create()
{
	local name=$1 node=$2 app=$3

	APP[$name]=$app
	kc apply -f - >>"$FL_STATE/pods.log" 2>&1 <<P
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: default, labels: {app: $app}}
spec:
  nodeName: $node
  containers: [{name: main, image: registry.invalid/$app:1, resources: {requests: {cpu: 10m}}}]
P
}

# pod_container NAME RESTARTS: what the kubelet does to (re)start the pod's
# container: a new container cgroup inside the pod's (a new id), its
# process in the client namespace, and the status (Running, podIP,
# qosClass, containerStatuses with that id and restart count).
pod_container()
{
	local name=$1 restarts=$2 uid cid ccg app=${APP[$1]}

	uid=$(kc get pod "$name" -n default -o jsonpath='{.metadata.uid}') || return 1
	cid=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	PCG[$name]=$ROOT/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(uuid_ "$uid").slice
	ccg=${PCG[$name]}/cri-containerd-$cid.scope
	[[ -d ${PCG[$name]} ]] || mkcg "${PCG[$name]}" || return 1
	mkcg "$ccg" || return 1
	CG[$name]=$ccg
	fl_bg_in "proc_${name}_$restarts" "$FL_NS_CLI" "$ccg" sleep 600
	fl_wait_for 5 grep -q . "$ccg/cgroup.procs" || return 1
	kc patch pod "$name" -n default --subresource=status --type=merge -p "{\"status\":{
		\"phase\":\"Running\",\"podIP\":\"$FL_CLI4\",\"qosClass\":\"Burstable\",
		\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],
		\"containerStatuses\":[{\"name\":\"main\",\"ready\":true,\"restartCount\":$restarts,
		\"image\":\"registry.invalid/$app:1\",\"imageID\":\"\",
		\"containerID\":\"containerd://$cid\",\"state\":{\"running\":{}}}]}}" \
		>>"$FL_STATE/pods.log" 2>&1
}

# pod NAME NODE APP: created and running
pod()
{
	pod_create "$@" && pod_container "$1" 0
}
