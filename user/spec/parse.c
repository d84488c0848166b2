// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parsing of command line values.
 *
 * Numbers are scanned by hand instead of with strtoul()/strtod(): those
 * accept leading blanks, signs, hex, "inf" and "nan", and depend on the
 * locale, all of which would let a typo turn into a fault rule.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common.h"
#include "parse.h"


/* More fraction digits than this cannot change a 64-bit nanosecond count
 * (the largest unit is 3.6e12 ns) and would overflow the denominator.
 */
#define MAX_FRAC_DIGITS	18


struct decimal {
	__u64 ip;		/* integer part */
	__u64 fnum;		/* kept fraction digits ... */
	__u64 fden;		/* ... over 10^(number kept) */
	int frac_nonzero;	/* any digit, kept or not, is non-zero */
};

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* digits ["." digits]: both sides are required, so ".5" and "5." are
 * refused rather than guessed at.
 */
static int scan_decimal(const char **pp, struct decimal *d, int max_frac)
{
	const char *p = *pp;
	int kept = 0;

	if (!is_digit(*p))
		return -EINVAL;
	d->ip = 0;
	d->fnum = 0;
	d->fden = 1;
	d->frac_nonzero = 0;
	for (; is_digit(*p); p++) {
		if (__builtin_mul_overflow(d->ip, 10, &d->ip) ||
		    __builtin_add_overflow(d->ip, (__u64)(*p - '0'), &d->ip))
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return -EINVAL;
		for (; is_digit(*p); p++) {
			if (*p != '0')
				d->frac_nonzero = 1;
			if (kept < max_frac) {
				d->fnum = d->fnum * 10 + (__u64)(*p - '0');
				d->fden *= 10;
				kept++;
			}
		}
	}
	*pp = p;
	return 0;
}

static const struct {
	const char *name;
	__u64 mult;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", NSEC_PER_USEC },
	{ "ms", NSEC_PER_MSEC },
	{ "s", NSEC_PER_SEC },
	{ "m", 60 * NSEC_PER_SEC },
	{ "h", 3600 * NSEC_PER_SEC },
};

static int lookup_unit(const char *name, size_t len, __u64 *mult)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(duration_units); i++) {
		if (strlen(duration_units[i].name) == len &&
		    !memcmp(duration_units[i].name, name, len)) {
			*mult = duration_units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int fl_parse_duration(const char *s, __u64 *ns)
{
	const char *p = s;
	__u64 total = 0;
	int n_parts = 0;

	if (!s || !ns || !*s)
		return -EINVAL;

	while (*p) {
		struct decimal d;
		const char *unit;
		__u64 mult, part, frac;
		int err;

		err = scan_decimal(&p, &d, MAX_FRAC_DIGITS);
		if (err)
			return err;
		unit = p;
		while (*p >= 'a' && *p <= 'z')
			p++;
		if (p == unit) {
			/* Unitless only when it is the whole string: in
			 * "1h30" the 30 is more likely minutes than seconds.
			 */
			if (*p || n_parts)
				return -EINVAL;
			mult = NSEC_PER_SEC;
		} else if (lookup_unit(unit, (size_t)(p - unit), &mult)) {
			return -EINVAL;
		}

		/* fnum < fden <= 10^18 and mult < 2^42: the product needs
		 * more than 64 bits, the quotient does not.
		 */
		frac = (__u64)((unsigned __int128)d.fnum * mult / d.fden);
		if (__builtin_mul_overflow(d.ip, mult, &part) ||
		    __builtin_add_overflow(part, frac, &part))
			return -EINVAL;
		if (__builtin_add_overflow(total, part, &total))
			return -EINVAL;
		n_parts++;
	}
	if (!total)
		return -EINVAL;
	*ns = total;
	return 0;
}

/* Fraction digits beyond what a double can tell apart. */
#define PCT_FRAC_DIGITS	15

int fl_parse_percent(const char *s, double *pct)
{
	const char *p = s;
	struct decimal d;
	double v;

	if (!s || !pct)
		return -EINVAL;
	if (scan_decimal(&p, &d, PCT_FRAC_DIGITS))
		return -EINVAL;
	if (*p == '%')
		p++;
	if (*p)
		return -EINVAL;
	/* Decided on the exact digits, so "100.0000000000000000001" is
	 * refused even though it rounds to 100.0 as a double.
	 */
	if (d.ip > 100 || (d.ip == 100 && d.frac_nonzero))
		return -EINVAL;
	v = (double)d.ip + (double)d.fnum / (double)d.fden;
	*pct = v;
	return 0;
}

int fl_parse_whole_percent(const char *s, __u8 *pct)
{
	double v;

	if (fl_parse_percent(s, &v) || v != (double)(__u8)v)
		return -EINVAL;
	*pct = (__u8)v;
	return 0;
}

__u64 fl_percent_to_prob(double pct)
{
	double scaled;
	__u64 whole;

	if (isnan(pct) || pct <= 0.0)
		return 0;
	if (pct >= 100.0)
		return FL_PROB_ONE;
	scaled = pct / 100.0 * (double)FL_PROB_ONE;
	whole = (__u64)scaled;
	/* scaled < 2^32, so scaled - whole is exact and this rounds half
	 * away from zero like round(), without pulling in libm.
	 */
	if (scaled - (double)whole >= 0.5)
		whole++;
	return whole > FL_PROB_ONE ? FL_PROB_ONE : whole;
}

/* Clears every bit after the first 'bits' of a 16-byte address. */
static void mask_addr(__u8 a[16], unsigned int bits)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		a[i] &= (__u8)(0xff << (8 - bits));
		bits = 0;
	}
}

static int is_v4_mapped(const struct fl_addr *a)
{
	static const __u8 prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	return !memcmp(a->u8, prefix, sizeof(prefix));
}

int fl_parse_cidr(const char *s, struct fl_cidr *c)
{
	char buf[INET6_ADDRSTRLEN];
	struct fl_cidr r;
	const char *slash;
	unsigned int max_bits, plen;
	size_t alen;

	if (!s || !c)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (!alen || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	memset(&r, 0, sizeof(r));
	if (memchr(buf, ':', alen)) {
		if (inet_pton(AF_INET6, buf, r.addr.u8) != 1)
			return -EINVAL;
		r.family = AF_INET6;
		max_bits = 128;
	} else {
		if (inet_pton(AF_INET, buf, &r.addr.u8[12]) != 1)
			return -EINVAL;
		r.addr.u8[10] = 0xff;
		r.addr.u8[11] = 0xff;
		r.family = AF_INET;
		max_bits = 32;
	}

	plen = max_bits;
	if (slash) {
		const char *p = slash + 1;

		if (!*p)
			return -EINVAL;
		for (plen = 0; *p; p++) {
			if (!is_digit(*p))
				return -EINVAL;
			plen = plen * 10 + (unsigned int)(*p - '0');
			if (plen > max_bits)
				return -EINVAL;
		}
	}
	r.prefixlen = (__u8)plen;
	mask_addr(r.addr.u8, (max_bits == 32 ? 96 : 0) + plen);
	*c = r;
	return 0;
}

void fl_cidr_to_peer_key_addr(const struct fl_cidr *c, __u8 out[16],
			      __u32 *bits128)
{
	memcpy(out, c->addr.u8, 16);
	/* The first 96 bits of a mapped address are the fixed ::ffff: part,
	 * so an IPv4 /0 still matches only IPv4 peers.
	 */
	*bits128 = (c->family == AF_INET ? 96 : 0) + c->prefixlen;
}

int fl_format_addr(const struct fl_addr *a, char *buf, size_t len)
{
	const char *r;

	if (!a || !buf)
		return -EINVAL;
	if (len > (size_t)(socklen_t)-1)
		len = (socklen_t)-1;
	if (is_v4_mapped(a))
		r = inet_ntop(AF_INET, &a->u8[12], buf, (socklen_t)len);
	else
		r = inet_ntop(AF_INET6, a->u8, buf, (socklen_t)len);
	return r ? 0 : -ENOSPC;
}

int fl_format_cidr(const struct fl_cidr *c, char *buf, size_t len)
{
	size_t n;
	int ret;

	if (!c || !buf)
		return -EINVAL;
	/* an IPv6 prefix over mapped addresses stays IPv6: "a.b.c.d/128" is
	 * no CIDR, and "::ffff:a.b.c.d/128" is what the user wrote
	 */
	if (c->family == AF_INET)
		ret = fl_format_addr(&c->addr, buf, len);
	else
		ret = inet_ntop(AF_INET6, c->addr.u8, buf, len > 0xffff ? 0xffff : (socklen_t)len) ?
			0 : -ENOSPC;
	if (ret)
		return ret;
	n = strlen(buf);
	if ((size_t)snprintf(buf + n, len - n, "/%u", c->prefixlen) >= len - n)
		return -ENOSPC;
	return 0;
}

int fl_parse_port(const char *s, __u16 *port)
{
	unsigned int v = 0;
	const char *p;

	if (!s || !port || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (!is_digit(*p))
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (!v)
		return -EINVAL;
	*port = (__u16)v;
	return 0;
}

int fl_parse_proto(const char *s, __u8 *proto)
{
	if (!s || !proto)
		return -EINVAL;
	if (!strcmp(s, "tcp"))
		*proto = FL_PROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = FL_PROTO_UDP;
	else if (!strcmp(s, "icmp"))
		*proto = FL_PROTO_ICMP;
	else if (!strcmp(s, "any"))
		*proto = FL_PROTO_ANY;
	else
		return -EINVAL;
	return 0;
}

int fl_parse_direction(const char *s, __u32 *dir_mask)
{
	if (!s || !dir_mask)
		return -EINVAL;
	if (!strcmp(s, "ingress"))
		*dir_mask = FL_DIRM_INGRESS;
	else if (!strcmp(s, "egress"))
		*dir_mask = FL_DIRM_EGRESS;
	else if (!strcmp(s, "both"))
		*dir_mask = FL_DIRM_BOTH;
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	__u64 mult;
	__u8 unit;
} rate_units[] = {
	{ "bit", 1, FL_RATE_BPS },
	{ "kbit", 1000, FL_RATE_BPS },
	{ "mbit", 1000000, FL_RATE_BPS },
	{ "gbit", 1000000000, FL_RATE_BPS },
	{ "pps", 1, FL_RATE_PPS },
	{ "kpps", 1000, FL_RATE_PPS },
};

int fl_parse_rate(const char *s, __u64 *rate, __u8 *unit)
{
	const char *p = s;
	struct decimal d;
	__u64 v, frac;
	size_t i;

	if (!s || !rate || !unit || scan_decimal(&p, &d, MAX_FRAC_DIGITS))
		return -EINVAL;
	/* tc reads "bps" as bytes per second; name bits or packets instead */
	for (i = 0; i < ARRAY_SIZE(rate_units); i++) {
		if (strcmp(p, rate_units[i].name))
			continue;
		frac = (__u64)((unsigned __int128)d.fnum * rate_units[i].mult / d.fden);
		if (__builtin_mul_overflow(d.ip, rate_units[i].mult, &v) ||
		    __builtin_add_overflow(v, frac, &v) || !v)
			return -EINVAL;
		*rate = v;
		*unit = rate_units[i].unit;
		return 0;
	}
	return -EINVAL;
}

int fl_parse_distribution(const char *s, __u8 *dist)
{
	static const char *const names[FL_DIST_MAX] = {
		[FL_DIST_UNIFORM] = "uniform",
		[FL_DIST_NORMAL] = "normal",
		[FL_DIST_PARETO] = "pareto",
		[FL_DIST_PARETONORMAL] = "paretonormal",
	};
	int i;

	if (!s || !dist)
		return -EINVAL;
	for (i = 0; i < FL_DIST_MAX; i++) {
		if (!strcmp(s, names[i])) {
			*dist = i;
			return 0;
		}
	}
	return -EINVAL;
}

int fl_parse_scope(const char *s, __u8 *scope)
{
	if (!s || !scope)
		return -EINVAL;
	if (!strcmp(s, "packets"))
		*scope = FL_SCOPE_PACKETS;
	else if (!strcmp(s, "connections"))
		*scope = FL_SCOPE_CONNECTIONS;
	else
		return -EINVAL;
	return 0;
}

int fl_parse_loss_per(const char *s, __u8 *per)
{
	if (!s || !per)
		return -EINVAL;
	if (!strcmp(s, "flow"))
		*per = FL_LOSS_PER_FLOW;
	else if (!strcmp(s, "fault"))
		*per = FL_LOSS_PER_FAULT;
	else
		return -EINVAL;
	return 0;
}

const char *fl_proto_name(__u8 proto)
{
	switch (proto) {
	case FL_PROTO_TCP:
		return "tcp";
	case FL_PROTO_UDP:
		return "udp";
	case FL_PROTO_ICMP:
		return "icmp";
	case FL_PROTO_ICMPV6:
		return "icmpv6";
	case FL_PROTO_ANY:
		return "any";
	}
	return "other";
}
