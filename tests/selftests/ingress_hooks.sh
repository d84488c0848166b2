#!/usr/bin/env bash
# ingress_hooks: FAULTLINE_INGRESS and FAULTLINE_XDP choose the hook that
# an ingress drop uses, and the drop happens there. For each choice, while
# "faultline inject --direction ingress --drop 100" is armed, the kernel
# is asked what is attached (and nothing else may be):
#   xdp native   ip link: "xdp" mode with fl_xdp_in (not "xdpgeneric")
#   xdp generic  ip link: "xdpgeneric" with fl_xdp_in
#   tc (tcx)     faultline's own link fds: a tcx link, attach type ingress,
#                on the veth's ifindex (bpftool 7.1 does not list tcx)
#   tc (legacy)  tc filter show ... ingress: fl_tc_in, handle 0xfa17
#   cgroup       bpftool cgroup show TARGET: cgroup_inet_ingress fl_cg_in
#   sock_watch   faultline's own link fds: a cgroup link, attach type
#                sock_create (with every owner hook, and the cgroup hook
#                beside it, which takes over if the namespace turns shared)
# and the target's UDP pings get no echo (and got every echo before).
# A target that owns its namespace (its process alone in the client
# namespace) is tried with every choice (default: XDP native). In a shared
# namespace (a bystander's process too) only the cgroup hook can tell the
# target's packets apart: the default and FAULTLINE_INGRESS=cgroup drop
# the target's echoes and not the bystander's; FAULTLINE_XDP=generic
# changes nothing there; FAULTLINE_INGRESS=xdp and =tc are refused with
# exit 2 and nothing attached.
# Fails if an environment variable is ignored (the default hook shows),
# if two hooks are attached at once, or if the drop does not happen.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip tc bpftool
fl_require_traffic
fl_require_faultline

fl_plan 28
fl_setup
fl_start_servers

fl_bg_in target "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_wait_for 5 eval "grep -qx \"\${FL_BG[target]}\" \"$FL_CG_TARGET/cgroup.procs\"" ||
	fl_bail "cannot start the target's process"
ifindex=$(ip -n "$FL_NS_CLI" -o link show dev "$FL_IF_CLI" | cut -d: -f1)

# hooks NAME: the ingress hooks of faultline run NAME that the kernel
# shows, space-separated, sorted.
hooks()
{
	local pid f out=()

	pid=$(fl_bg_pid "$1")
	case $(ip -n "$FL_NS_CLI" -d link show dev "$FL_IF_CLI") in
	*" xdpgeneric "*"prog/xdp "*"name fl_xdp_in"*) out+=(xdp_generic) ;;
	*" xdp "*"prog/xdp "*"name fl_xdp_in"*) out+=(xdp_native) ;;
	*prog/xdp*) out+=(xdp_foreign) ;;
	esac
	for f in /proc/"$pid"/fdinfo/*; do
		# the socket watcher: a cgroup link of type sock_create (2)
		grep -q '^link_type:[[:space:]]*cgroup' "$f" 2>/dev/null &&
			grep -qE '^attach_type:[[:space:]]*2$' "$f" && out+=(sock_watch)
		grep -q '^link_type:[[:space:]]*tcx' "$f" 2>/dev/null || continue
		grep -q '^attach_type:.*(ingress)' "$f" &&
			grep -qx "ifindex:[[:space:]]*$ifindex" "$f" && out+=(tcx_ingress)
	done
	tc -n "$FL_NS_CLI" filter show dev "$FL_IF_CLI" ingress 2>/dev/null |
		grep -q 'handle 0xfa17 fl_tc_in' && out+=(clsact_ingress)
	bpftool cgroup show "$FL_CG_TARGET" 2>/dev/null |
		grep -qE 'cgroup_inet_ingress.*fl_cg_in' && out+=(cgroup_ingress)
	printf '%s\n' "${out[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# owned CASE WANT [VAR=VALUE...]: ingress drop of the target alone in its
# namespace with those variables; two results: the hook, the drop.
owned()
{
	local name=$1 want=$2 got

	shift 2
	fl_faultline_start "$name" "$@" --cgroup "$FL_CG_TARGET" --direction ingress \
		--drop 100 --duration 60s
	if ! fl_wait_armed "$name"; then
		fl_ok 1 "$name: armed"
		fl_ok 1 "$name: drop"
		return
	fi
	got=$(hooks "$name")
	[[ $got == "$want" ]]
	fl_ok $? "owned, ${*:-no variable}: the kernel shows '$got' (want '$want')"
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 100
	[[ $PING_SENT == 100 && $PING_REPLIES == 0 && $PING_ERRORS == 0 ]]
	fl_ok $? "owned, ${*:-no variable}: the target's echoes are dropped ($PING)"
	fl_stop "$name" INT
}

# The control: before any faultline, every echo comes back.
# Where every echo must come back, udp-ping may wait up to 3 s for late
# ones (it stops once all are in): a loaded machine must not fail the test.
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 100 --timeout-ms 3000
[[ $PING_REPLIES == 100 ]]
fl_ok $? "control: every echo comes back without faultline ($PING)"

# Deciding by address holds only while the namespace is the target's
# alone: the socket watcher (at the cgroup root) ends it, and the cgroup
# hook, attached beside the owner hook, takes over (bystander_late.sh).
owned default "cgroup_ingress sock_watch xdp_native"
owned xdp "cgroup_ingress sock_watch xdp_native" FAULTLINE_INGRESS=xdp
owned xdpnative "cgroup_ingress sock_watch xdp_native" FAULTLINE_INGRESS=xdp FAULTLINE_XDP=native
owned xdpgeneric "cgroup_ingress sock_watch xdp_generic" FAULTLINE_XDP=generic
owned tc "cgroup_ingress sock_watch tcx_ingress" FAULTLINE_INGRESS=tc
owned tclegacy "cgroup_ingress clsact_ingress sock_watch" FAULTLINE_INGRESS=tc FAULTLINE_TC=legacy
owned cgroup cgroup_ingress FAULTLINE_INGRESS=cgroup

# IPv6 through generic XDP, the path of a driver without native XDP.
fl_faultline_start gen6 FAULTLINE_XDP=generic --cgroup "$FL_CG_TARGET" --direction ingress \
	--drop 100 --duration 60s
fl_wait_armed gen6
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV6" 100
[[ $(hooks gen6) == "cgroup_ingress sock_watch xdp_generic" && $PING_SENT == 100 && $PING_REPLIES == 0 ]]
fl_ok $? "owned, FAULTLINE_XDP=generic: IPv6 echoes are dropped too ($PING)"
fl_stop gen6 INT

# ---- a shared namespace ----
fl_bg_in bystander "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 300
fl_wait_for 5 eval "grep -qx \"\${FL_BG[bystander]}\" \"$FL_CG_BYSTANDER/cgroup.procs\"" ||
	fl_bail "cannot start the bystander's process"

# shared CASE [VAR=VALUE...]: three results: the hook, the target's drop,
# the bystander's echoes.
shared()
{
	local name=$1 got

	shift
	fl_faultline_start "$name" "$@" --cgroup "$FL_CG_TARGET" --direction ingress \
		--drop 100 --duration 60s
	fl_wait_armed "$name"
	got=$(hooks "$name")
	[[ $got == cgroup_ingress ]]
	fl_ok $? "shared, ${*:-no variable}: the kernel shows '$got' (want 'cgroup_ingress')"
	fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" 100
	[[ $PING_SENT == 100 && $PING_REPLIES == 0 ]]
	fl_ok $? "shared, ${*:-no variable}: the target's echoes are dropped ($PING)"
	fl_udp_ping "$FL_CG_BYSTANDER" "$FL_SRV4" 100 --timeout-ms 3000
	[[ $PING_REPLIES == 100 ]]
	fl_ok $? "shared, ${*:-no variable}: the bystander's all come back ($PING)"
	fl_stop "$name" INT
}

shared sdefault
shared scgroup FAULTLINE_INGRESS=cgroup
shared sgeneric FAULTLINE_XDP=generic

for mode in xdp tc; do
	env FAULTLINE_INGRESS=$mode "$FL_BIN" inject --cgroup "$FL_CG_TARGET" --direction ingress \
		--drop 100 --duration 5s >"$FL_STATE/refuse.out" 2>"$FL_STATE/refuse.err"
	rc=$?
	[[ $rc == 2 ]] && grep -q 'shared namespace needs the cgroup ingress hook' "$FL_STATE/refuse.err"
	fl_ok $? "shared, FAULTLINE_INGRESS=$mode: refused with exit 2 (exit $rc)" ||
		fl_diag_file "$FL_STATE/refuse.err"
done

fl_no_faultline_attached
fl_ok $? "nothing attached after the end"

fl_done
