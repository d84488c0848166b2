#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Both ends of the corrupt selftest's traffic, with content the receiver
can check: UDP datagrams that are all one known pattern, and a TCP stream
whose SHA-256 both ends print.

  corrupt_peer.py udp-recv PORT LEN [IDLE_S]   received= intact= onebit= other= short=
  corrupt_peer.py udp-send DST PORT COUNT LEN  sent= errors=
  corrupt_peer.py tcp-recv PORT                bytes= sha256=
  corrupt_peer.py tcp-send DST PORT BYTES      bytes= sha256=

udp-recv stops IDLE_S (default 2) seconds after the last datagram, or 60 s
after it starts when none comes. One line of key=value pairs on stdout;
"listening" on stderr once bound.
"""
import hashlib
import random
import socket
import sys
import time

SO_RCVBUFFORCE = 33  # asm-generic/socket.h; Python's socket module lacks it


def pattern(n):
    return random.Random(20261206).randbytes(n)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_recv(port, length, idle=2.0):
    want = pattern(length)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # past net.core.rmem_max (root): a busy machine must not make the
    # receiver drop what the fault did not
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    s.bind(("::", port))
    print("listening", file=sys.stderr, flush=True)
    n = intact = onebit = other = short = 0
    s.settimeout(60)
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        s.settimeout(idle)
        n += 1
        if len(d) != length:
            short += 1
        elif d == want:
            intact += 1
        elif sum(bin(a ^ b).count("1") for a, b in zip(d, want)) == 1:
            onebit += 1
        else:
            other += 1
    print(f"received={n} intact={intact} onebit={onebit} other={other} short={short}")


def udp_send(dst, port, count, length):
    data = pattern(length)
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.connect((dst, port))
    sent = errors = 0
    for i in range(count):
        try:
            s.send(data)
            sent += 1
        except OSError:
            errors += 1
        # about 5,000 a second: no receive buffer fills
        if i % 50 == 49:
            time.sleep(0.01)
    print(f"sent={sent} errors={errors}")


def tcp_recv(port):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("::", port))
    ls.listen(1)
    print("listening", file=sys.stderr, flush=True)
    ls.settimeout(60)
    c, _ = ls.accept()
    c.settimeout(60)
    h = hashlib.sha256()
    n = 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    print(f"bytes={n} sha256={h.hexdigest()}")


def tcp_send(dst, port, nbytes):
    data = random.Random(7).randbytes(nbytes)
    s = socket.create_connection((dst, port), timeout=60)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    print(f"bytes={nbytes} sha256={hashlib.sha256(data).hexdigest()}")


def main(a):
    if a[0] == "udp-recv":
        udp_recv(int(a[1]), int(a[2]), float(a[3]) if len(a) > 3 else 2.0)
    elif a[0] == "udp-send":
        udp_send(a[1], int(a[2]), int(a[3]), int(a[4]))
    elif a[0] == "tcp-recv":
        tcp_recv(int(a[1]))
    elif a[0] == "tcp-send":
        tcp_send(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(f"corrupt_peer.py: unknown mode {a[0]}; see the docstring")


if __name__ == "__main__":
    main(sys.argv[1:])
