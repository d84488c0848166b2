#!/usr/bin/env bash
# exp_sigstop: the experiment's duration is enforced in the kernel. With
# faultline frozen by SIGSTOP, the target's traffic is dropped until the
# duration ends and flows again after it, before faultline runs again.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq
fl_require_traffic
fl_require_faultline

fl_plan 5
fl_setup
fl_start_servers
fl_bg_in holder "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
sleep 0.3
cat >"$FL_STATE/stop.yaml" <<EOY
apiVersion: faultline/v1alpha1
kind: Experiment
metadata:
  name: frozen-$FL_RAND
spec:
  duration: 4s
  targets:
    - cgroup: $FL_CG_TARGET
  faults:
    - name: drop-all
      direction: egress
      match: {protocol: udp}
      drop: {percent: 100}
  failureConditions:
    - name: never
      signal: tcp.retransmits
      window: 4s
      above: 1000000
EOY
fl_bg frozen "$FL_BIN" run "$FL_STATE/stop.yaml" --json
fl_wait_log frozen "started" 20
fl_ok $? "the experiment started" || fl_bail "faultline run did not start"
start=$SECONDS
kill -STOP "${FL_BG[frozen]}"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 200
[[ $PING_REPLIES == 0 ]]
fl_ok $? "frozen, within the duration: the fault holds ($PING)"
sleep $((start + 6 - SECONDS))
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 200
[[ $PING_REPLIES == 200 ]]
fl_ok $? "still frozen, past the duration: traffic flows, the kernel passed it ($PING)"
kill -CONT "${FL_BG[frozen]}"
fl_wait frozen 30
rc=$?
[[ $rc == 0 && $(jq -r .state "$FL_STATE/frozen.out") == Succeeded ]]
fl_ok $? "after SIGCONT the experiment ends Succeeded (exit $rc)"
fl_no_faultline_attached
fl_ok $? "nothing attached at the end"
fl_done
