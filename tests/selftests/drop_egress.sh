#!/usr/bin/env bash
# drop_egress: 30 % egress drop for one cgroup. The target's loss must be
# binomial around 30 % and look like wire loss (no send() errors, TCP
# retransmits), a bystander cgroup in the same namespace must lose
# nothing, and the JSON report must count the drops.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

N4=4000		# IPv4 datagrams from the target
N6=1500		# IPv6 datagrams from the target
P=0.3
SPURIOUS=3	# retransmissions a clean TCP stream may show on a busy machine

fl_plan 19
fl_setup
fl_start_servers

# ---- UDP ----
fl_faultline_start udp --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --proto udp --drop 30 --duration 120s --json
fl_wait_armed udp
fl_ok $? "udp: faultline armed" || fl_bail "faultline did not arm"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" "$N4"
fl_diag "target IPv4: $PING"
lost4=$PING_LOST
fl_within_5sigma "$PING_LOST" "$PING_SENT" "$P"
fl_ok $? "udp: target IPv4 lost $PING_LOST of $PING_SENT, want $(fl_binom_range "$N4" "$P")"
[[ $PING_SENT == "$N4" && $PING_ERRORS == 0 ]]
fl_ok $? "udp: target IPv4 saw no send errors ($PING_ERRORS): a drop looks like wire loss"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV6" "$N6"
fl_diag "target IPv6: $PING"
lost6=$PING_LOST
fl_within_5sigma "$PING_LOST" "$PING_SENT" "$P"
fl_ok $? "udp: target IPv6 lost $PING_LOST of $PING_SENT, want $(fl_binom_range "$N6" "$P")"
[[ $PING_SENT == "$N6" && $PING_ERRORS == 0 ]]
fl_ok $? "udp: target IPv6 saw no send errors ($PING_ERRORS)"

fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 2000
[[ $PING_REPLIES == 2000 && $PING_ERRORS == 0 ]]
fl_ok $? "udp: bystander IPv4 lost nothing ($PING)"
fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV6" 500
[[ $PING_REPLIES == 500 && $PING_ERRORS == 0 ]]
fl_ok $? "udp: bystander IPv6 lost nothing ($PING)"

# The UDP rule must leave the target's TCP alone. A loaded machine can
# delay an ACK past the tail loss probe timer, so allow a few spurious
# retransmissions; a 30 % drop causes dozens.
out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-stream --dst "$FL_SRV4" \
	--port "$FL_TCP_PORT" --bytes 100000 --timeout-ms 10000)
[[ $(fl_kv "$out" acked) == 1 && $(fl_kv "$out" retrans) -le $SPURIOUS ]]
fl_ok $? "udp: --proto udp leaves the target's TCP alone ($out)"

fl_stop udp INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "udp: faultline exits 130 (Aborted) on SIGINT (status $rc)"
json=$FL_STATE/udp.out
[[ $(fl_json_str "$json" state) == Aborted && $(fl_json_str "$json" reason) == "stopped by SIGINT" ]]
fl_ok $? "udp: JSON says Aborted, stopped by SIGINT" || fl_diag_file "$json" 40
dropped=$(fl_json_total "$json" egress dropped)
lost=$((lost4 + lost6))
# Every datagram the target lost was dropped on its way out (replies
# come in on ingress, which this rule leaves alone): the counts agree.
[[ -n $dropped ]] && ((dropped > 0 && dropped >= lost - lost / 50 - 2 && dropped <= lost + lost / 50 + 2))
fl_ok $? "udp: JSON egress dropped ${dropped:-none} matches the $lost datagrams lost" ||
	fl_diag_file "$json" 60
ingress_dropped=$(fl_json_total "$json" ingress dropped)
[[ ${ingress_dropped:-x} == 0 ]]
fl_ok $? "udp: JSON ingress dropped is 0 (${ingress_dropped:-none})"

fl_no_faultline_attached
fl_ok $? "udp: nothing attached after the end"

# ---- TCP ----
fl_faultline_start tcp --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --proto tcp --drop 30 --duration 120s --json
fl_wait_armed tcp
fl_ok $? "tcp: faultline armed" || fl_bail "faultline did not arm"

out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" tcp-stream --dst "$FL_SRV4" \
	--port "$FL_TCP_PORT" --bytes 200000 --timeout-ms 60000)
fl_diag "target TCP: $out"
retrans=$(fl_kv "$out" retrans)
[[ $(fl_kv "$out" acked) == 1 && ${retrans:-0} -gt 0 ]]
fl_ok $? "tcp: target stream completes with retransmissions ($retrans): real loss recovery"
[[ $(fl_kv "$out" send_errors) == 0 ]]
fl_ok $? "tcp: target stream saw no send errors"

out=$(fl_traffic "$FL_NS_CLI" "$FL_CG_BYSTANDER" tcp-stream --dst "$FL_SRV6" \
	--port "$FL_TCP_PORT" --bytes 200000 --timeout-ms 10000)
[[ $(fl_kv "$out" acked) == 1 && $(fl_kv "$out" retrans) -le $SPURIOUS ]]
fl_ok $? "tcp: bystander stream without loss recovery ($out)"

fl_stop tcp INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "tcp: faultline exits 130 (Aborted) on SIGINT (status $rc)"
dropped=$(fl_json_total "$FL_STATE/tcp.out" egress dropped)
# A lost segment is retransmitted until it gets through, so the drops
# are at least the retransmissions that loss recovery needed, roughly.
[[ -n $dropped && -n $retrans ]] && ((dropped > 0 && dropped <= retrans + 5))
fl_ok $? "tcp: JSON egress dropped ${dropped:-none} > 0 and consistent with $retrans retransmissions" ||
	fl_diag_file "$FL_STATE/tcp.out" 60

fl_done
