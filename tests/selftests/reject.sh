#!/usr/bin/env bash
# reject: `--reject 100` answers the target's packets instead of sending
# them, and its applications see what a refusing or resetting peer shows
# them. Python 3 sockets in the target's and a bystander's cgroup, in one
# namespace, talk to fltraffic's servers (dual stack) over IPv4 and IPv6:
#   TCP, egress, port P:  the target's connect() fails with ECONNREFUSED;
#                         its connections opened before the fault see
#                         ECONNRESET on their next segment; the
#                         bystander's connect()s and connection go on
#   TCP, with icmp-unreachable: connect() fails with ECONNREFUSED as well
#   UDP, egress:          a connected socket's recv() sees ECONNREFUSED
#                         (ICMP / ICMPv6 port unreachable); the
#                         bystander's datagrams are echoed
#   the report counts every answer as rejected, none left unanswered
#   ingress in a shared namespace: refused before anything is attached,
#                         with the reason
#   ingress, the target alone in its namespace: the peer's connect()s to
#                         the target's server fail with ECONNREFUSED, its
#                         connected UDP sockets see ECONNREFUSED
# Fails if an answer were wrong (the kernel would ignore it and the client
# time out), went to the bystander, or were not counted.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq python3
fl_require_traffic
fl_require_faultline

fl_plan 16
IN_TCP=7101
IN_UDP=7100

fl_setup
fl_start_servers

# The client: prints the outcome of one exchange, an errno name or a word.
cat >"$FL_STATE/client.py" <<'EOF'
import errno, os, socket, sys, time

def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET

def name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if mode == "connect":
        s = socket.socket(fam(addr), socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((addr, port))
        print("connected")
    elif mode == "hold":
        # connect, say so, wait for the go, then send and listen
        ready, go = sys.argv[4], sys.argv[5]
        s = socket.socket(fam(addr), socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((addr, port))
        s.recv(1)  # fltraffic's tcp-server greets with one byte
        open(ready, "w").close()
        deadline = time.time() + 60
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.05)
        s.sendall(b"x" * 100)
        s.settimeout(2)
        try:
            print("data" if s.recv(100) else "closed")
        except socket.timeout:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            print(errno.errorcode.get(err, str(err)) if err else "alive")
    elif mode == "udp":
        s = socket.socket(fam(addr), socket.SOCK_DGRAM)
        s.connect((addr, port))
        s.settimeout(2)
        s.send(b"ping")
        print("echoed" if s.recv(100) == b"ping" else "other")
except OSError as e:
    print(name(e))
EOF

# client CG MODE ADDR PORT: the client's outcome on stdout (in the client
# namespace; peer: the same from the server namespace)
client()
{
	fl_run_in "$FL_NS_CLI" "$1" python3 "$FL_STATE/client.py" "${@:2}" 2>>"$FL_STATE/client.err"
}

peer()
{
	fl_run_in "$FL_NS_SRV" - python3 "$FL_STATE/client.py" "$@" 2>>"$FL_STATE/client.err"
}

# ---- TCP ----
# hold NAME CG ADDR: a connection opened now, used once the fault is on
hold()
{
	fl_bg_in "hold_$1" "$FL_NS_CLI" "$2" python3 "$FL_STATE/client.py" hold "$3" \
		"$FL_TCP_PORT" "$FL_STATE/ready_$1" "$FL_STATE/go"
}
hold t4 "$FL_CG_TARGET" "$FL_SRV4"
hold t6 "$FL_CG_TARGET" "$FL_SRV6"
hold b4 "$FL_CG_BYSTANDER" "$FL_SRV4"
fl_wait_for 10 test -e "$FL_STATE/ready_t4" -a -e "$FL_STATE/ready_t6" -a -e "$FL_STATE/ready_b4" ||
	fl_bail "the long-lived connections did not open"

fl_faultline_start tcp --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --proto tcp --port "$FL_TCP_PORT" --reject 100 --duration 60s --json
fl_wait_armed tcp 15 || fl_bail "faultline did not arm"

r4=$(client "$FL_CG_TARGET" connect "$FL_SRV4" "$FL_TCP_PORT")
r6=$(client "$FL_CG_TARGET" connect "$FL_SRV6" "$FL_TCP_PORT")
[[ $r4 == ECONNREFUSED ]]
fl_ok $? "the target's connect() over IPv4 fails with ECONNREFUSED (got ${r4:-nothing})"
[[ $r6 == ECONNREFUSED ]]
fl_ok $? "the target's connect() over IPv6 fails with ECONNREFUSED (got ${r6:-nothing})"
b4=$(client "$FL_CG_BYSTANDER" connect "$FL_SRV4" "$FL_TCP_PORT")
b6=$(client "$FL_CG_BYSTANDER" connect "$FL_SRV6" "$FL_TCP_PORT")
[[ $b4 == connected && $b6 == connected ]]
fl_ok $? "the bystander's connect()s succeed (IPv4: ${b4:-nothing}, IPv6: ${b6:-nothing})"

: >"$FL_STATE/go"
fl_wait hold_t4 15
fl_wait hold_t6 15
fl_wait hold_b4 15
e4=$(cat "$FL_STATE/hold_t4.out")
e6=$(cat "$FL_STATE/hold_t6.out")
eb=$(cat "$FL_STATE/hold_b4.out")
[[ $e4 == ECONNRESET ]]
fl_ok $? "the target's established IPv4 connection sees ECONNRESET (got ${e4:-nothing})"
[[ $e6 == ECONNRESET ]]
fl_ok $? "the target's established IPv6 connection sees ECONNRESET (got ${e6:-nothing})"
[[ $eb == alive ]]
fl_ok $? "the bystander's established connection is untouched (got ${eb:-nothing})"
fl_stop tcp INT
rej=$(jq '.faults[0].egress.rejected' "$FL_STATE/tcp.out" 2>/dev/null)
un=$(jq '.drops_by_reason.reject_unanswered' "$FL_STATE/tcp.out" 2>/dev/null)
# two SYNs, two data segments; a SYN that the kernel sends again after a
# RST it ignored would show here as more
[[ $rej == 4 && $un == 0 ]]
fl_ok $? "the report counts 4 rejected, 0 unanswered (got ${rej:-none}, ${un:-none})" ||
	fl_diag_file "$FL_STATE/tcp.err"

# ---- TCP answered with ICMP ----
fl_faultline_start icmp --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --proto tcp --port "$FL_TCP_PORT" --reject 100 \
	--reject-with icmp-unreachable --duration 60s --json
fl_wait_armed icmp 15 || fl_bail "faultline did not arm"
i4=$(client "$FL_CG_TARGET" connect "$FL_SRV4" "$FL_TCP_PORT")
i6=$(client "$FL_CG_TARGET" connect "$FL_SRV6" "$FL_TCP_PORT")
fl_stop icmp INT
[[ $i4 == ECONNREFUSED && $i6 == ECONNREFUSED ]]
fl_ok $? "with icmp-unreachable the target's connect()s fail with ECONNREFUSED too (IPv4: ${i4:-nothing}, IPv6: ${i6:-nothing})"

# ---- UDP ----
fl_faultline_start udp --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --proto udp --port "$FL_ECHO_PORT" --reject 100 --duration 60s --json
fl_wait_armed udp 15 || fl_bail "faultline did not arm"
u4=$(client "$FL_CG_TARGET" udp "$FL_SRV4" "$FL_ECHO_PORT")
u6=$(client "$FL_CG_TARGET" udp "$FL_SRV6" "$FL_ECHO_PORT")
[[ $u4 == ECONNREFUSED ]]
fl_ok $? "the target's connected UDP socket over IPv4 sees ECONNREFUSED (got ${u4:-nothing})"
[[ $u6 == ECONNREFUSED ]]
fl_ok $? "the target's connected UDP socket over IPv6 sees ECONNREFUSED (got ${u6:-nothing})"
v4=$(client "$FL_CG_BYSTANDER" udp "$FL_SRV4" "$FL_ECHO_PORT")
v6=$(client "$FL_CG_BYSTANDER" udp "$FL_SRV6" "$FL_ECHO_PORT")
[[ $v4 == echoed && $v6 == echoed ]]
fl_ok $? "the bystander's datagrams are echoed (IPv4: ${v4:-nothing}, IPv6: ${v6:-nothing})"
fl_stop udp INT
rej=$(jq '.faults[0].egress.rejected' "$FL_STATE/udp.out" 2>/dev/null)
[[ $rej == 2 ]]
fl_ok $? "the report counts 2 rejected datagrams (got ${rej:-none})" ||
	fl_diag_file "$FL_STATE/udp.err"

# ---- ingress where it cannot be answered ----
out=$("$FL_BIN" inject --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction ingress --reject 100 --duration 5s 2>&1)
rc=$?
fl_diag "faultline said: $out"
((rc != 0)) && [[ $out == *"an ingress reject answers from tc ingress"* ]]
fl_ok $? "an ingress reject in a shared namespace is refused with the reason (exit $rc)"

# ---- ingress, the target owning its namespace ----
# Only the target's servers run in the client namespace now: the peer's
# packets to them are answered at the target's tc ingress, back out of its
# interface.
fl_bg_in tsrv "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" tcp-server --port "$IN_TCP" --duration 60 &&
	fl_wait_log tsrv listening 5 || fl_bail "cannot start the target's tcp-server"
fl_bg_in techo "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-echo --port "$IN_UDP" --duration 60 &&
	fl_wait_log techo listening 5 || fl_bail "cannot start the target's udp-echo"
fl_faultline_start in --cgroup "$FL_CG_TARGET" --direction ingress --reject 100 \
	--duration 60s --json
fl_wait_armed in 15 || fl_bail "faultline did not arm"
p4=$(peer connect "$FL_CLI4" "$IN_TCP")
p6=$(peer connect "$FL_CLI6" "$IN_TCP")
[[ $p4 == ECONNREFUSED && $p6 == ECONNREFUSED ]]
fl_ok $? "ingress: the peer's connect()s to the target fail with ECONNREFUSED (IPv4: ${p4:-nothing}, IPv6: ${p6:-nothing})"
q4=$(peer udp "$FL_CLI4" "$IN_UDP")
q6=$(peer udp "$FL_CLI6" "$IN_UDP")
[[ $q4 == ECONNREFUSED && $q6 == ECONNREFUSED ]]
fl_ok $? "ingress: the peer's connected UDP sockets see ECONNREFUSED (IPv4: ${q4:-nothing}, IPv6: ${q6:-nothing})"
fl_stop in INT
rej=$(jq '.faults[0].ingress.rejected' "$FL_STATE/in.out" 2>/dev/null)
[[ $rej == 4 ]]
fl_ok $? "ingress: the report counts 4 rejected (got ${rej:-none})" ||
	fl_diag_file "$FL_STATE/in.err"
fl_done
