/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsing of command line values. Every function returns 0 or a negative
 * errno and never prints: the caller knows which option was wrong and can
 * say so better than we can.
 */
#ifndef FL_PARSE_H
#define FL_PARSE_H

#include <stddef.h>
#include <sys/socket.h>

#include "faultline.h"

struct fl_cidr {
	int family;		/* AF_INET or AF_INET6 */
	struct fl_addr addr;	/* network order; IPv4 as ::ffff:a.b.c.d */
	__u8 prefixlen;		/* family bits: 0..32 or 0..128 */
};

/* "500ms", "10s", "2m", "1h", "1h30m", "250us", "1.5s"; units ns us ms s m h,
 * components may be chained; a bare number means seconds. No whitespace,
 * no sign, result must be > 0 and fit in 64 bits of nanoseconds.
 * Fractions below one nanosecond are truncated.
 */
int fl_parse_duration(const char *s, __u64 *ns);

/* "30", "30%", "0.01", "100": plain decimal in 0..100 inclusive. */
int fl_parse_percent(const char *s, double *pct);
/* A percentage that is a whole number, 0..100: the datapath keeps whole
 * percents where this is used (correlation).
 */
int fl_parse_whole_percent(const char *s, __u8 *pct);

/* round(pct / 100 * FL_PROB_ONE), clamped to [0, FL_PROB_ONE]; NaN gives 0. */
__u64 fl_percent_to_prob(double pct);

/* "198.18.0.0/15", "2001:db8::/32"; a bare address is a host prefix.
 * Host bits beyond the prefix are cleared.
 */
int fl_parse_cidr(const char *s, struct fl_cidr *c);

/* The 16-byte mapped address and the prefix length counted in 128-bit
 * address space (IPv4 /24 -> 120), as the peer LPM map wants them.
 */
void fl_cidr_to_peer_key_addr(const struct fl_cidr *c, __u8 out[16],
			      __u32 *bits128);

/* IPv4-mapped addresses print as a dotted quad, others as IPv6 text.
 * -ENOSPC when buf cannot hold the text and its NUL.
 */
int fl_format_addr(const struct fl_addr *a, char *buf, size_t len);

/* "ADDR/N", which fl_parse_cidr reads back as the same prefix; an IPv4
 * prefix as a dotted quad. -ENOSPC when buf is too small.
 */
int fl_format_cidr(const struct fl_cidr *c, char *buf, size_t len);

/* 1..65535, decimal digits only. */
int fl_parse_port(const char *s, __u16 *port);

/* Lower case only: tcp, udp, icmp, any -> FL_PROTO_*. */
int fl_parse_proto(const char *s, __u8 *proto);
/* "tcp", "udp", "icmp", "icmpv6", "any" or "other". */
const char *fl_proto_name(__u8 proto);

/* Lower case only: ingress, egress, both -> FL_DIRM_*. */
int fl_parse_direction(const char *s, __u32 *dir_mask);

/* "10mbit", "500kbit", "1gbit", "12000bit" (bits per second) or "1000pps",
 * "2kpps" (packets per second); *unit is FL_RATE_BPS or FL_RATE_PPS.
 */
int fl_parse_rate(const char *s, __u64 *rate, __u8 *unit);

/* uniform, normal, pareto, paretonormal -> enum fl_dist. */
int fl_parse_distribution(const char *s, __u8 *dist);

/* packets, connections -> FL_SCOPE_*. */
int fl_parse_scope(const char *s, __u8 *scope);

/* flow, fault -> FL_LOSS_PER_*. */
int fl_parse_loss_per(const char *s, __u8 *per);

#endif /* FL_PARSE_H */
