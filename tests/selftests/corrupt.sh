#!/usr/bin/env bash
# corrupt: `--direction egress --corrupt PCT [--corrupt-fix-checksum]` flips
# one payload bit of a share of the target's TCP and UDP packets. Real
# clients on a veth pair (tests/lib/corrupt_peer.py: UDP datagrams of one
# known 256-byte pattern; a TCP transfer whose SHA-256 both ends print),
# counters from the report and from /proc/net/snmp in each namespace:
#   fixChecksum, UDP/IPv4 20 % and UDP/IPv6 10 %: every datagram arrives,
#       the corrupted ones with exactly one bit flipped, as many as the
#       report counts, inside 5 sigma; no checksum error at the receiver;
#       a bystander's datagrams in the same namespace arrive intact
#   no fixChecksum, the veth's checksum offload on (its default): the
#       socket's packets are CHECKSUM_PARTIAL, which a veth hands over
#       unverified, so the receiver gets the corrupted datagrams all the
#       same and counts no checksum error; a TCP transfer's hash differs
#       (README "Corrupt" says so: this checks that it still holds)
#   no fixChecksum, offload off (ethtool -K IF tx off): the receiver drops
#       each corrupted datagram (InCsumErrors counts exactly those the
#       report counts) and gets the others intact; a TCP transfer arrives
#       intact, through retransmissions, with TCP checksum errors counted
#       (packets of one segment: gso_max_size below the MTU)
# Fails if a corrupted packet differed by other than one bit, a count
# disagreed, the wrong checksum got through where the kernel checks, or
# the bystander were touched.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq awk ethtool /usr/bin/python3
fl_require_traffic
fl_require_faultline

PY=/usr/bin/python3
PEER=$FL_REPO/tests/lib/corrupt_peer.py
LEN=256

fl_plan 19
fl_setup

# snmp NS PROTO FIELD: a counter of /proc/net/snmp in NS
snmp()
{
	ip netns exec "$1" awk -v p="$2:" -v f="$3" '$1 == p {
		if (!c) { for (i = 2; i <= NF; i++) if ($i == f) c = i; next }
		print $c; exit }' /proc/net/snmp
}

# csumerr NS DST: the UDP checksum errors of NS for DST's family (IPv6
# keeps its own, in /proc/net/snmp6)
csumerr()
{
	if [[ $2 == *:* ]]; then
		ip netns exec "$1" awk '$1 == "Udp6InCsumErrors" { print $2 }' /proc/net/snmp6
	else
		snmp "$1" Udp InCsumErrors
	fi
}

# on NAME ARGS...: the fault on the target's egress
on()
{
	fl_faultline_start "$1" --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
		--direction egress --duration 120s --json "${@:2}"
	fl_wait_armed "$1" 15 || fl_bail "faultline did not arm"
}

# corrupted NAME: what the report of run NAME counts as corrupted
corrupted() { jq '.faults[0].egress.corrupted' "$FL_STATE/$1.out" 2>/dev/null; }

# udp NAME DST COUNT PCT [FLAGS...]: COUNT datagrams from the target to
# DST through the fault; sets SENT, RX (the receiver's line), CORR (the
# report's count) and CSUMERR (the receiver's new UDP checksum errors)
udp()
{
	local name=$1 dst=$2 count=$3 pct=$4 port e0 out

	shift 4
	port=$(fl_free_port)
	fl_bg_in "rx$name" "$FL_NS_SRV" - "$PY" "$PEER" udp-recv "$port" "$LEN" ||
		fl_bail "cannot start the receiver"
	fl_wait_log "rx$name" listening 10 || fl_bail "the receiver did not listen"
	e0=$(csumerr "$FL_NS_SRV" "$dst")
	on "$name" --proto udp --corrupt "$pct" "$@"
	out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" "$PY" "$PEER" udp-send "$dst" "$port" \
		"$count" "$LEN")
	fl_log "  $out"
	SENT=$(fl_kv "$out" sent)
	fl_stop "$name" INT
	fl_wait "rx$name" 30
	RX=$(cat "$FL_STATE/rx$name.out")
	fl_log "  receiver: $RX"
	CORR=$(corrupted "$name")
	CSUMERR=$(($(csumerr "$FL_NS_SRV" "$dst") - e0))
}

rxv() { fl_kv "$RX" "$1"; }

# tcp NAME BYTES PCT: a transfer of BYTES through the fault; sets SAME (1:
# the hashes agree), CORR, RETRANS (the sender's retransmitted segments)
# and TCPERR (the receiver's new TCP checksum errors)
tcp()
{
	local name=$1 bytes=$2 pct=$3 port r0 e0 out got

	port=$(fl_free_port)
	fl_bg_in "trx$name" "$FL_NS_SRV" - "$PY" "$PEER" tcp-recv "$port" ||
		fl_bail "cannot start the TCP receiver"
	fl_wait_log "trx$name" listening 10 || fl_bail "the TCP receiver did not listen"
	r0=$(snmp "$FL_NS_CLI" Tcp RetransSegs)
	e0=$(snmp "$FL_NS_SRV" Tcp InCsumErrors)
	on "$name" --proto tcp --corrupt "$pct"
	out=$(fl_run_in "$FL_NS_CLI" "$FL_CG_TARGET" "$PY" "$PEER" tcp-send "$FL_SRV4" "$port" \
		"$bytes")
	fl_wait "trx$name" 60
	fl_stop "$name" INT
	got=$(cat "$FL_STATE/trx$name.out")
	fl_log "  sender: $out; receiver: $got"
	SAME=0
	[[ -n $(fl_kv "$out" sha256) && $(fl_kv "$out" sha256) == "$(fl_kv "$got" sha256)" ]] && SAME=1
	[[ $(fl_kv "$got" bytes) == "$bytes" ]] || SAME=0
	CORR=$(corrupted "$name")
	RETRANS=$(($(snmp "$FL_NS_CLI" Tcp RetransSegs) - r0))
	TCPERR=$(($(snmp "$FL_NS_SRV" Tcp InCsumErrors) - e0))
}

# in5 OBSERVED N PCT: inside 5 sigma of the binomial, as text for a message
in5() { fl_within_5sigma "$1" "$2" "$(awk -v p="$3" 'BEGIN { print p / 100 }')"; }

# ---- fixChecksum: corrupted data delivered ----
bport=$(fl_free_port)
fl_bg_in bys "$FL_NS_SRV" - "$PY" "$PEER" udp-recv "$bport" "$LEN" || fl_bail "no bystander receiver"
fl_wait_log bys listening 10 || fl_bail "the bystander's receiver did not listen"
fl_bg_in byssend "$FL_NS_CLI" "$FL_CG_BYSTANDER" "$PY" "$PEER" udp-send "$FL_SRV4" "$bport" 3000 "$LEN"
udp fix4 "$FL_SRV4" 3000 20 --corrupt-fix-checksum
fl_wait byssend 60
fl_wait bys 30
((SENT == 3000 && $(rxv received) == 3000 && $(rxv other) == 0 && $(rxv short) == 0))
fl_ok $? "fixChecksum, UDP/IPv4 20 %: all 3000 arrive, none damaged otherwise ($RX)"
[[ $CORR == "$(rxv onebit)" ]] && in5 "$CORR" 3000 20
fl_ok $? "fixChecksum: $(rxv onebit) arrive with one bit flipped, the report's corrupted ($CORR), inside 5 sigma of 20 %"
((CSUMERR == 0))
fl_ok $? "fixChecksum: no UDP checksum error at the receiver ($CSUMERR)"
by=$(cat "$FL_STATE/bys.out")
[[ $(fl_kv "$by" received) == 3000 && $(fl_kv "$by" intact) == 3000 ]]
fl_ok $? "the bystander's 3000 datagrams, sent at the same time, arrive intact ($by)"

udp fix6 "$FL_SRV6" 2000 10 --corrupt-fix-checksum
((SENT == 2000 && $(rxv received) == 2000 && $(rxv other) == 0))
fl_ok $? "fixChecksum, UDP/IPv6 10 %: all 2000 arrive, none damaged otherwise ($RX)"
[[ $CORR == "$(rxv onebit)" ]] && in5 "$CORR" 2000 10 && ((CSUMERR == 0))
fl_ok $? "fixChecksum, IPv6: $(rxv onebit) with one bit flipped = the report's $CORR, inside 5 sigma; $CSUMERR checksum errors"

# ---- no fixChecksum, checksum offload on: a veth does not check ----
off=$(ip netns exec "$FL_NS_CLI" ethtool -k "$FL_IF_CLI" | awk '$1 == "tx-checksumming:" { print $2 }')
[[ $off == on ]]
fl_ok $? "the veth's checksum offload is on by default (tx-checksumming: $off)"
udp wrongon "$FL_SRV4" 3000 20
((SENT == 3000 && $(rxv received) == 3000 && $(rxv other) == 0 && CSUMERR == 0))
fl_ok $? "offload on, checksum left wrong: all 3000 arrive, no checksum error counted ($RX, errors $CSUMERR)"
[[ $CORR == "$(rxv onebit)" ]] && in5 "$CORR" 3000 20
fl_ok $? "offload on: the $CORR corrupted ones reach the application unchecked, one bit flipped ($(rxv onebit))"
tcp tcpon 2000000 50
((CORR > 0 && SAME == 0 && TCPERR == 0))
fl_ok $? "offload on, TCP 50 %: $CORR segments corrupted, the transfer's hash differs, $TCPERR checksum errors"

# ---- no fixChecksum, checksum offload off: the receiver drops them ----
ip netns exec "$FL_NS_CLI" ethtool -K "$FL_IF_CLI" tx off >/dev/null
off=$(ip netns exec "$FL_NS_CLI" ethtool -k "$FL_IF_CLI" | awk '$1 == "tx-checksumming:" { print $2 }')
[[ $off == off ]]
fl_ok $? "ethtool -K $FL_IF_CLI tx off (tx-checksumming: $off)"
udp wrong4 "$FL_SRV4" 3000 20
((SENT == 3000 && $(rxv onebit) == 0 && $(rxv other) == 0 && $(rxv short) == 0))
fl_ok $? "offload off, UDP/IPv4 20 %: no corrupted datagram reaches the application ($RX)"
((CSUMERR == CORR)) && in5 "$CORR" 3000 20
fl_ok $? "offload off: InCsumErrors counts $CSUMERR, the report's corrupted $CORR, inside 5 sigma of 20 %"
(($(rxv received) == 3000 - CORR && $(rxv intact) == 3000 - CORR))
fl_ok $? "offload off: the other $(rxv intact) arrive intact"
udp wrong6 "$FL_SRV6" 2000 10
((SENT == 2000 && $(rxv onebit) == 0 && $(rxv other) == 0 && CSUMERR == CORR && CORR > 0))
fl_ok $? "offload off, UDP/IPv6 10 %: none delivered corrupted, $CSUMERR checksum errors for $CORR corrupted ($RX)"
# TCP hands the device GSO packets of many segments, cut after the fault:
# each segment of a corrupted one carries the wrong seed (README). Packets
# of one segment each (gso_max_size below the MTU) make this count them.
ip -n "$FL_NS_CLI" link set dev "$FL_IF_CLI" gso_max_size 1400
tcp tcpoff 1000000 3
((SAME == 1))
fl_ok $? "offload off, one-segment packets, TCP 3 %: the 1 MB transfer's hash is intact"
((CORR > 0 && RETRANS >= CORR))
fl_ok $? "offload off: $CORR segments corrupted, $RETRANS retransmitted"
# a retransmission may merge segments into one packet: at least one each
((TCPERR >= CORR))
fl_ok $? "offload off: the receiver counts $TCPERR TCP checksum errors, at least one per corrupted packet ($CORR)"
# the fault's own line in the text report of a run without --json
fl_faultline_start txt --cgroup "$FL_CG_TARGET" --netns "/run/netns/$FL_NS_CLI" \
	--direction egress --duration 1s --proto udp --corrupt 5
fl_wait txt 30
grep -q 'egress matched [0-9]*, dropped 0, delayed 0, corrupted [0-9]*' "$FL_STATE/txt.out"
fl_ok $? "the text report shows 'corrupted' beside the fault's other counts"
fl_done
