#!/usr/bin/env bash
# legacy: the egress drop through legacy clsact filters (FAULTLINE_TC=
# legacy). The drop must be silent to the sender (TC_ACT_STOLEN, not
# SHOT), SIGINT must remove everything, and after SIGKILL the filter that
# stays behind must stop dropping at the deadline by itself, until
# "faultline cleanup --netns" removes it.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

N=3000
P=0.3

fl_plan 19
fl_setup
fl_start_servers

# egress_filter_listed: a bpf filter sits on the client veth's egress.
egress_filter_listed()
{
	tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress | grep -q bpf
}

args=(--cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI"
	--direction egress --proto udp --drop 30)

# ---- a normal run, ended by SIGINT ----
fl_faultline_start leg FAULTLINE_TC=legacy "${args[@]}" --duration 120s --json
fl_wait_armed leg
fl_ok $? "faultline armed with FAULTLINE_TC=legacy" || fl_bail "faultline did not arm"
egress_filter_listed
fl_ok $? "tc filter show lists the clsact egress filter" ||
	fl_diag "$(tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" egress)"

fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" "$N"
fl_diag "target: $PING"
lost=$PING_LOST
fl_within_5sigma "$PING_LOST" "$PING_SENT" "$P"
fl_ok $? "target lost $PING_LOST of $PING_SENT, want $(fl_binom_range "$N" "$P")"
[[ $PING_SENT == "$N" && $PING_ERRORS == 0 ]]
fl_ok $? "target saw no send errors ($PING_ERRORS): the drop is TC_ACT_STOLEN-silent"
fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 1000
[[ $PING_REPLIES == 1000 && $PING_ERRORS == 0 ]]
fl_ok $? "bystander lost nothing ($PING)"

fl_stop leg INT
rc=$?
[[ $rc == 130 ]]
fl_ok $? "faultline exits 130 (Aborted) on SIGINT (status $rc)"
dropped=$(fl_json_total "$FL_STATE/leg.out" egress dropped)
[[ -n $dropped ]] && ((dropped >= lost - lost / 50 - 2 && dropped <= lost + lost / 50 + 2))
fl_ok $? "JSON egress dropped ${dropped:-none} matches the $lost datagrams lost" ||
	fl_diag_file "$FL_STATE/leg.out" 60
fl_no_faultline_attached
fl_ok $? "nothing attached after SIGINT"
! fl_clsact_present
fl_ok $? "the clsact qdisc faultline created is gone" ||
	fl_diag "$(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI")"

# ---- SIGKILL: the filter stays, the deadline disarms it ----
fl_faultline_start killed FAULTLINE_TC=legacy "${args[@]}" --duration 3s
fl_wait_armed killed
fl_ok $? "second run armed (--duration 3s)" || fl_bail "faultline did not arm"
armed_at=$(fl_now_ms)
fl_stop killed KILL
egress_filter_listed
fl_ok $? "after SIGKILL the legacy filter is still attached"

# Before the deadline the orphaned filter still drops.
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 1000 --timeout-ms 200
if (($(fl_now_ms) - armed_at < 2500)); then
	((PING_LOST > 0 && PING_ERRORS == 0))
	fl_ok $? "before the deadline the orphaned filter still drops ($PING)"
else
	fl_skip "before the deadline the orphaned filter still drops" "the burst ended too late"
fi

# After it, everything passes.
sleep "$(awk -v t="$((armed_at + 3800 - $(fl_now_ms)))" 'BEGIN { print (t > 0 ? t / 1000 : 0) }')"
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 1000
[[ $PING_REPLIES == 1000 && $PING_ERRORS == 0 ]]
fl_ok $? "after the deadline the target loses nothing ($PING)"
fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 1000
[[ $PING_REPLIES == 1000 && $PING_ERRORS == 0 ]]
fl_ok $? "after the deadline the bystander loses nothing ($PING)"
egress_filter_listed
fl_ok $? "the filter is still there until cleanup"

# its own namespace only: a machine-wide cleanup refuses while other
# runs on the machine are active
fl_check "faultline cleanup --netns exits 0" "$FL_BIN" cleanup --netns "/run/netns/$FL_NS_CLI"
fl_no_faultline_attached
fl_ok $? "nothing attached after cleanup"
! fl_clsact_present
fl_ok $? "no clsact qdisc left after cleanup" ||
	fl_diag "$(tc -n "$FL_NS_CLI" qdisc show dev "$FL_IF_CLI")"
fl_check "a second faultline cleanup --netns exits 0" "$FL_BIN" cleanup --netns "/run/netns/$FL_NS_CLI"

fl_done
