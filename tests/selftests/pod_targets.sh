#!/usr/bin/env bash
# pod_targets: pods, containers and pids as targets, resolved on the node.
# Real cgroups are built exactly where a kubelet would put them, below a
# cgroup root of this run's own ($FL_CG_ROOT/fl_<rand>, passed as
# --cgroup-root or FAULTLINE_CGROUP_ROOT): a Burstable pod (systemd driver,
# containerd), a Guaranteed pod (systemd, CRI-O), a BestEffort pod
# (cgroupfs, a bare id) and a bystander pod (systemd BestEffort, docker),
# each container holding a process in the client namespace. A 100 % egress
# drop by --pod-uid, --container (prefix and full id) and --pid must take
# exactly its target's datagrams and none of the bystander's; a container
# that restarts inside a targeted pod stays covered; the report names what
# was asked; and what cannot be found, or needs the Kubernetes API, is
# refused with exit 2 and a message that says where it looked.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool jq
fl_require_traffic
fl_require_faultline

N=100		# datagrams per check: 100 % drop loses all, a bystander none

# hex N: N random hex digits.
hex()
{
	od -An -N"$(($1 / 2))" -tx1 /dev/urandom | tr -d ' \n'
}

uuid()
{
	local h

	h=$(hex 32)
	echo "${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
}

ROOT=$FL_CG		# this run's kubelet --cgroup-root
UID_A=$(uuid) UID_B=$(uuid) UID_C=$(uuid) UID_D=$(uuid)
CID_A=$(hex 64) CID_A2=$(hex 64) CID_B=$(hex 64) CID_C=$(hex 64) CID_D=$(hex 64)
# a second container of pod C whose id shares 16 digits with C's: a
# prefix of 14 names both
rest=$(hex 48)
CID_C2=${CID_C:0:16}$(printf '%x' $(((16#${CID_C:16:1} + 1) % 16)))${rest:0:47}

POD_A=$ROOT/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_A//-/_}.slice
POD_B=$ROOT/kubepods.slice/kubepods-pod${UID_B//-/_}.slice
POD_C=$ROOT/kubepods/besteffort/pod$UID_C
POD_D=$ROOT/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_D//-/_}.slice
CG_A=$POD_A/cri-containerd-$CID_A.scope
CG_A2=$POD_A/cri-containerd-$CID_A2.scope
CG_B=$POD_B/crio-$CID_B.scope
CG_C=$POD_C/$CID_C
CG_C2=$POD_C/$CID_C2
CG_D=$POD_D/docker-$CID_D.scope

# mkcg DIR...: creates each (parents first) and has teardown remove it.
mkcg()
{
	local d

	for d in "$@"; do
		mkdir "$d" || return 1
		FL_CGROUPS+=("$d")
	done
}

# lost CG: the udp ping from CG; sets r to "lost/sent" (and PING_*).
lost()
{
	fl_udp_ping "$1" "$FL_SRV4" "$N"
	r=$PING_LOST/$PING_SENT
}

# q NAME FILTER: jq -r FILTER on NAME's JSON report.
q()
{
	jq -r "$2" "$FL_STATE/$1.out" 2>/dev/null
}

fl_plan 30
fl_setup_pair || fl_bail "cannot set up the namespace pair"
mkcg "$ROOT" "$ROOT/kubepods.slice" "$ROOT/kubepods.slice/kubepods-burstable.slice" \
	"$ROOT/kubepods.slice/kubepods-besteffort.slice" "$ROOT/kubepods" \
	"$ROOT/kubepods/besteffort" "$POD_A" "$POD_B" "$POD_C" "$POD_D" \
	"$CG_A" "$CG_B" "$CG_C" "$CG_C2" "$CG_D" ||
	fl_bail "cannot build the kubelet-like tree under $ROOT"
fl_start_servers
# each container's process, in the client namespace (the cgroup is joined
# before "ip netns exec", which remounts /sys)
for c in A B C D; do
	cg=CG_$c
	fl_bg_in "proc_$c" "$FL_NS_CLI" "${!cg}" sleep 300
done
fl_wait_for 5 grep -q . "$CG_D/cgroup.procs" || fl_bail "the container processes did not start"

# ---- what cannot be resolved, and what needs the API: exit 2 ----

out=$("$FL_BIN" inject --pod-uid "$UID_A" --drop 100 --dry-run 2>&1)
rc=$?
[[ $rc == 2 && $out == *"no pod with uid $UID_A under $FL_CG_ROOT (looked for kubepods.slice/kubepods-pod${UID_A//-/_}.slice"* &&
	$out == *"pass --cgroup-root"* ]]
fl_ok $? "the default root (the cgroup2 mount) does not hold this run's pods: exit 2 ($rc) says where it looked" ||
	fl_diag "$out"

missing=$(uuid)
out=$("$FL_BIN" inject --cgroup-root "$ROOT" --pod-uid "$missing" --drop 100 2>&1)
rc=$?
[[ $rc == 2 && $out == "faultline inject: --pod-uid $missing: no pod with uid $missing under $ROOT ("* ]]
fl_ok $? "an unknown pod uid: exit 2 ($rc), naming the uid and the root" || fl_diag "$out"

out=$(FAULTLINE_CGROUP_ROOT=$ROOT "$FL_BIN" inject --container "${CID_C:0:14}" --drop 100 2>&1)
rc=$?
[[ $rc == 2 && $out == *"container id prefix ${CID_C:0:14} is ambiguous under $ROOT: 2 containers start with it:"* &&
	$out == *"$CID_C "* && $out == *"$CID_C2 "* ]]
fl_ok $? "an ambiguous container prefix: exit 2 ($rc), naming both candidates" || fl_diag "$out"

out=$("$FL_BIN" inject --cgroup-root "$ROOT" --container "${CID_A:0:11}" --drop 100 2>&1)
rc=$?
[[ $rc == 2 && $out == *"invalid --container '${CID_A:0:11}': expected a container id: 12 to 64"* ]]
fl_ok $? "a container prefix of 11 digits: exit 2 ($rc)" || fl_diag "$out"

exp=$FL_STATE/by-name.yaml
cat >"$exp" <<EOF
apiVersion: faultline/v1alpha1
kind: Experiment
metadata: {name: by-name}
spec:
  duration: 10s
  targets:
    - pod: {uid: $UID_A}
    - pod: {namespace: x, name: y}
  faults: [{name: f, direction: egress, drop: {percent: 100}}]
  failureConditions: [{name: c, signal: packets.out, above: 1000000}]
EOF
want="$exp:8:12: targets[1].pod: a pod named by namespace and name needs the Kubernetes API: run it with the faultline agent that has API access"
out=$("$FL_BIN" validate "$exp" 2>&1)
rc=$?
[[ $rc == 2 && $out == "$want"* ]]
fl_ok $? "validate: pod {namespace, name} exits 2 ($rc) at its FILE:LINE:COL, needing the agent" ||
	fl_diag "$out"
out=$(FAULTLINE_CGROUP_ROOT=$ROOT "$FL_BIN" run "$exp" 2>&1)
rc=$?
[[ $rc == 2 && $out == "$want"* ]]
fl_ok $? "run: the same refusal, exit 2 ($rc), before anything is attached" || fl_diag "$out"

# ---- --pod-uid: three pods, one per driver layout and QoS class ----

fl_faultline_start pods --cgroup-root "$ROOT" --pod-uid "$UID_A" --pod-uid "$UID_B" \
	--pod-uid "$UID_C" --direction egress --drop 100 --duration 120s --json
fl_wait_armed pods
fl_ok $? "pods: faultline armed on three pods by uid" || fl_bail "faultline did not arm"

lost "$CG_A"
[[ $r == "$N/$N" && $PING_ERRORS == 0 ]]
fl_ok $? "pods: systemd Burstable pod's containerd container lost all ($r)"
lost "$CG_B"
[[ $r == "$N/$N" ]]
fl_ok $? "pods: systemd Guaranteed pod's CRI-O container lost all ($r)"
lost "$CG_C"
[[ $r == "$N/$N" ]]
fl_ok $? "pods: cgroupfs BestEffort pod's container lost all ($r)"
lost "$CG_D"
[[ $r == "0/$N" ]]
fl_ok $? "pods: the bystander pod lost nothing ($r)"

# a container restart: the old cgroup goes, a new one with a new id comes
# in the same pod while the run goes on, and its process sends
fl_stop proc_A KILL
fl_wait_for 5 rmdir "$CG_A" 2>/dev/null
fl_ok $? "pods: pod A's first container is gone" || fl_diag "$(cat "$CG_A/cgroup.procs" 2>&1)"
mkcg "$CG_A2" || fl_bail "cannot create $CG_A2"
fl_bg_in proc_A2 "$FL_NS_CLI" "$CG_A2" sleep 300
lost "$CG_A2"
[[ $r == "$N/$N" ]]
fl_ok $? "pods: the restarted container (new id, created mid-run) is covered: lost all ($r)"

fl_stop pods INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "pods: faultline exits 130 on SIGINT ($rc)"
got=$(q pods '[.targets[] | "\(.kind) \(.ref) \(.cgroup)"] | join("\n")')
want=$(printf 'pod %s %s\npod %s %s\npod %s %s' "$UID_A" "$POD_A" "$UID_B" "$POD_B" "$UID_C" "$POD_C")
[[ $got == "$want" ]]
fl_ok $? "pods: the report's targets[] name kind pod, the uid as ref, and the pod's cgroup" ||
	fl_diag "got:" "$got" "want:" "$want"
a_dropped=$(q pods '.targets[0].egress.dropped')
[[ -n $a_dropped && $a_dropped -ge $((2 * N)) && $(q pods '.targets[3]') == null ]]
fl_ok $? "pods: pod A's target counts both its containers' drops (${a_dropped:-none} >= $((2 * N)))" ||
	fl_diag_file "$FL_STATE/pods.out" 60
fl_no_faultline_attached
fl_ok $? "pods: nothing attached after the end"

# ---- --container: a 12-digit prefix, a full id, from the environment ----

fl_faultline_start ctr FAULTLINE_CGROUP_ROOT="$ROOT" --container "${CID_A2:0:12}" \
	--container "$CID_B" --container "containerd://${CID_C:0:20}" \
	--direction egress --drop 100 --duration 120s --json
fl_wait_armed ctr
fl_ok $? "ctr: faultline armed on three containers" || fl_bail "faultline did not arm"
lost "$CG_A2"
[[ $r == "$N/$N" ]]
fl_ok $? "ctr: container by 12-digit prefix lost all ($r)"
lost "$CG_B"
[[ $r == "$N/$N" ]]
fl_ok $? "ctr: container by full id lost all ($r)"
lost "$CG_C"
[[ $r == "$N/$N" ]]
fl_ok $? "ctr: container by a kubectl-style containerd:// prefix lost all ($r)"
lost "$CG_C2"
[[ $r == "0/$N" ]]
fl_ok $? "ctr: the other container of the same pod lost nothing: a container, not its pod ($r)"
lost "$CG_D"
[[ $r == "0/$N" ]]
fl_ok $? "ctr: the bystander pod lost nothing ($r)"
fl_stop ctr INT
rc=$?
got=$(q ctr '[.targets[] | "\(.kind) \(.ref) \(.cgroup)"] | join("\n")')
want=$(printf 'container %s %s\ncontainer %s %s\ncontainer %s %s' "${CID_A2:0:12}" "$CG_A2" \
	"$CID_B" "$CG_B" "${CID_C:0:20}" "$CG_C")
[[ $rc == 130 && $got == "$want" ]]
fl_ok $? "ctr: exit 130 ($rc); targets[] say kind container, the id as given, and its cgroup" ||
	fl_diag "got:" "$got" "want:" "$want"

# ---- --pid: the cgroup a process is in ----

pid_b=$(fl_bg_pid proc_B)
fl_faultline_start pid --pid "$pid_b" --direction egress --drop 100 --duration 120s --json
fl_wait_armed pid
fl_ok $? "pid: faultline armed on pid $pid_b" || fl_bail "faultline did not arm"
lost "$CG_B"
[[ $r == "$N/$N" ]]
fl_ok $? "pid: the process's container lost all ($r)"
lost "$CG_A2"
[[ $r == "0/$N" ]]
fl_ok $? "pid: another pod lost nothing ($r)"
lost "$CG_D"
[[ $r == "0/$N" ]]
fl_ok $? "pid: the bystander pod lost nothing ($r)"
fl_stop pid INT
rc=$?
got=$(q pid '.targets[0] | "\(.kind) \(.ref) \(.cgroup) \(.egress.dropped)"')
[[ $rc == 130 && $got == "pid $pid_b $CG_B $N" ]]
fl_ok $? "pid: exit 130 ($rc); targets[0] says kind pid, ref $pid_b, its cgroup and $N drops ($got)"
fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

fl_done
