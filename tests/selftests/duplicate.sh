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

fl_plan 7
fl_setup
fl_server echo udp-echo --port "$FL_ECHO_PORT" --duration 120 ||
	fl_bail "cannot start the echo server"

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
fl_done
