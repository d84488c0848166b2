#!/usr/bin/env bash
# duplicate: `--direction egress --duplicate PCT` sends a share of the
# target's packets twice, with no error to the sender.
#   100 %, iputils ping (20 echoes): every request arrives twice, so ping
#          reports 20 received and +19 or +20 duplicates (it exits on its
#          20th reply, which the last copy's answer may follow); the
#          bystander's ping in the same namespace gets none
#   30 %,  udp-ping (3000 datagrams): the echo server receives 3000 + the
#          copies, the copies inside 5 sigma of the binomial at 30 %, and
#          exactly what the report counts as duplicated; the client gets
#          every datagram answered, the copies' answers as duplicates
#          (but for the last one or two, which may come after it stops)
#   ingress, 30 %, the target alone in the client namespace (so tc
#          ingress decides, by address): the target's udp-ping gets 3000
#          answers and the copies of 30 % of them as duplicates (5 sigma),
#          exactly the report's ingress duplicated; the echo server (the
#          target's egress, not asked) receives exactly 3000
#   ingress refused, exit 2 and nothing attached: FAULTLINE_INGRESS=xdp
#          (XDP cannot copy); a namespace shared with a bystander's
#          process (only cgroup_skb tells the target apart there)
# Fails if a copy were not sent (or sent twice), counted wrong, leaked to
# the bystander, or if a duplicate showed the sender an error.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip ping jq awk
fl_require_traffic
fl_require_faultline

COUNT=3000

fl_plan 12
fl_setup
fl_server echo udp-echo --port "$FL_ECHO_PORT" --duration 120 ||
	fl_bail "cannot start the echo server"
fl_server echo2 udp-echo --port "$((FL_ECHO_PORT + 1))" --duration 120 ||
	fl_bail "cannot start the second echo server"

# on NAME PCT: the fault on the target's egress
on()
{
	fl_faultline_start "$1" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--direction egress --duplicate "$2" --duration 120s --json
	fl_wait_armed "$1" 15 || fl_bail "faultline did not arm"
}

on all 100
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" ping -n -q -c 20 -i 0.05 -W 2 "$FL_SRV4" 2>&1)
fl_log "  $out"
rx=$(grep -o '[0-9]* received' <<<"$out")
dup=$(grep -o '+[0-9]* duplicates' <<<"$out")
[[ ${rx%% *} == 20 && ($dup == "+20 duplicates" || $dup == "+19 duplicates") ]]
fl_ok $? "100 %: ping got 20 replies and ${dup:-no duplicates} (want +19 or +20)"
out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_BYSTANDER" ping -n -q -c 20 -i 0.05 -W 2 "$FL_SRV4" 2>&1)
rx=$(grep -o '[0-9]* received' <<<"$out")
[[ ${rx%% *} == 20 && $out != *duplicates* ]]
fl_ok $? "the bystander's ping: ${rx:-none}, no duplicates"
fl_stop all INT
d=$(jq '.faults[0].egress.duplicated' "$FL_STATE/all.out" 2>/dev/null)
[[ $d == 20 ]]
fl_ok $? "the report counts 20 duplicated (${d:-none})"

on part 30
fl_udp_ping "$FL_CG_TARGET" "$FL_SRV4" "$COUNT" --interval-us 500 --timeout-ms 2000
fl_stop part INT
fl_stop echo INT
srv=$(fl_kv "$(cat "$FL_STATE/echo.out")" received)
copies=$((srv - COUNT))
read -r lo hi <<<"$(awk -v n="$COUNT" 'BEGIN { m = n * 0.3; s = sqrt(n * 0.3 * 0.7);
	printf "%d %d\n", m - 5 * s + 0.999, m + 5 * s }')"
((PING_SENT == COUNT && PING_ERRORS == 0 && PING_REPLIES == COUNT))
fl_ok $? "30 %: every datagram answered, no send error (sent $PING_SENT, replies $PING_REPLIES, errors $PING_ERRORS)"
((copies >= lo && copies <= hi))
fl_ok $? "30 %: the server received $srv: $copies copies, inside 5 sigma of 30 % ($lo..$hi)"
d=$(jq '.faults[0].egress.duplicated' "$FL_STATE/part.out" 2>/dev/null)
[[ $d == "$copies" ]]
fl_ok $? "the report's duplicated ($d) is the copies the server received ($copies)"
# udp-ping stops listening once every datagram is answered: the answer to
# the last datagrams' second copies (the originals, which leave after their
# copy) may come after that
dups=$(fl_kv "$PING" dups)
((dups <= copies && dups >= copies - 2))
fl_ok $? "the client received the copies' answers as duplicates ($dups of $copies; the last may come after it stops)"

# ---- ingress: the target owns the client namespace ----
fl_bg_in target "$FL_NS_CLI" "$FL_CG_TARGET" sleep 120
fl_wait_for 5 eval "grep -qx \"\${FL_BG[target]}\" \"$FL_CG_TARGET/cgroup.procs\"" ||
	fl_bail "cannot start the target's process"
fl_faultline_start in --cgroup "$FL_CG_TARGET" --direction ingress --duplicate 30 \
	--duration 120s --json
fl_wait_armed in 15 || fl_bail "faultline did not arm (ingress)"
PING=$(fl_traffic "$FL_NS_CLI" "$FL_CG_TARGET" udp-ping --dst "$FL_SRV4" \
	--port "$((FL_ECHO_PORT + 1))" --count "$COUNT" --interval-us 500 --timeout-ms 2000)
fl_stop in INT
fl_stop echo2 INT
srv=$(fl_kv "$(cat "$FL_STATE/echo2.out")" received)
dups=$(fl_kv "$PING" dups)
d=$(jq '.faults[0].ingress.duplicated' "$FL_STATE/in.out" 2>/dev/null)
[[ $(fl_kv "$PING" replies) == "$COUNT" && $(fl_kv "$PING" send_errors) == 0 ]] &&
	((dups >= lo && dups <= hi))
fl_ok $? "ingress 30 %: the target got every answer and $dups copies, inside 5 sigma of 30 % ($lo..$hi) ($PING)"
# the last answers' copies may come after udp-ping stops listening
[[ -n $d ]] && ((dups <= d && dups >= d - 2))
fl_ok $? "ingress: the report's ingress duplicated ($d) is the copies the target received ($dups)"
[[ $srv == "$COUNT" ]]
fl_ok $? "ingress: the echo server received exactly $COUNT (got $srv): the target's egress untouched"

# ---- ingress where no hook can copy: refused ----
rc=0
env FAULTLINE_INGRESS=xdp "$FL_BIN" inject --cgroup "$FL_CG_TARGET" --direction ingress \
	--duplicate 30 --duration 5s >"$FL_STATE/refuse.out" 2>"$FL_STATE/refuse.err" || rc=$?
[[ $rc == 2 ]] && grep -q 'FAULTLINE_INGRESS=xdp chose XDP, which cannot copy a packet' \
	"$FL_STATE/refuse.err"
fl_ok $? "ingress, FAULTLINE_INGRESS=xdp: refused with exit 2 (exit $rc)" ||
	fl_diag_file "$FL_STATE/refuse.err"
fl_bg_in bystander "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 120
fl_wait_for 5 eval "grep -qx \"\${FL_BG[bystander]}\" \"$FL_CG_BYSTANDER/cgroup.procs\"" ||
	fl_bail "cannot start the bystander's process"
rc=0
"$FL_BIN" inject --cgroup "$FL_CG_TARGET" --direction ingress --duplicate 30 --duration 5s \
	>"$FL_STATE/refuse.out" 2>"$FL_STATE/refuse.err" || rc=$?
[[ $rc == 2 ]] && grep -q 'in a shared network namespace the target.s ingress is told apart only at its sockets' \
	"$FL_STATE/refuse.err"
fl_ok $? "ingress, a shared namespace: refused with exit 2 (exit $rc)" ||
	fl_diag_file "$FL_STATE/refuse.err"
fl_done
