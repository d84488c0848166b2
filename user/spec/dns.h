/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DNS fault names: the text a user gives ("*.example.internal",
 * "exact.name") checked and turned into the wire format and hash that the
 * datapath looks up (bpf/dns.h).
 */
#ifndef FL_SPEC_DNS_H
#define FL_SPEC_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "faultline.h"

/* What a DNS fault does to a query for one of its names. */
enum fl_dns_action {
	FL_DNS_ACT_NONE = 0,	/* not given */
	FL_DNS_ACT_DROP,	/* lost, as a drop fault loses it */
	FL_DNS_ACT_DELAY,	/* held for dns.delay (fq) */
	FL_DNS_ACT_NXDOMAIN,	/* answered at once: no such name */
	FL_DNS_ACT_SERVFAIL,	/* answered at once: the server failed */
};

#define FL_DNS_TEXT_MAX		256	/* a name as given, with its NUL; longer is cut and refused */

/* The parsed form of one name: its wire format (a wildcard's without the
 * "*" label), lower case.
 */
struct fl_dns_name {
	__u8 wire[FL_DNS_NAME_MAX];
	__u32 len;		/* wire bytes, the root's 0 included */
	__u32 labels;		/* labels in wire (not counting the root) */
	bool wild;		/* "*." and one label or more before the suffix */
};

/* Parse and check @text. 0; or -EINVAL with @msg saying what is wrong (the
 * name quoted) and what to give instead.
 */
int fl_dns_name_parse(const char *text, struct fl_dns_name *out, char *msg, size_t len);

/* The hash the datapath computes of the same bytes (fl_dns_hash_end). */
__u64 fl_dns_name_hash(const __u8 *wire, __u32 len);

int fl_dns_parse_action(const char *s, __u8 *action);
const char *fl_dns_action_name(__u8 action);

#endif /* FL_SPEC_DNS_H */
