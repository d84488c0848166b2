// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS fault names and actions (see dns.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

static const char *const fl_dns_actions[] = {
	[FL_DNS_ACT_DROP] = "drop",
	[FL_DNS_ACT_DELAY] = "delay",
	[FL_DNS_ACT_NXDOMAIN] = "nxdomain",
	[FL_DNS_ACT_SERVFAIL] = "servfail",
};

int fl_dns_parse_action(const char *s, __u8 *action)
{
	__u8 i;

	for (i = FL_DNS_ACT_DROP; i <= FL_DNS_ACT_SERVFAIL; i++) {
		if (!strcmp(s, fl_dns_actions[i])) {
			*action = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fl_dns_action_name(__u8 action)
{
	if (action < FL_DNS_ACT_DROP || action > FL_DNS_ACT_SERVFAIL)
		return "none";
	return fl_dns_actions[action];
}

__u64 fl_dns_name_hash(const __u8 *wire, __u32 len)
{
	__u64 h = FL_DNS_HASH_SEED, w = 0;
	__u32 j;

	/* from the last byte to the first, as the datapath reads a query */
	for (j = 0; j < len; j++) {
		w = w << 8 | wire[len - 1 - j];
		if ((j & 7) == 7) {
			h = fl_dns_mix(h, w);
			w = 0;
		}
	}
	return fl_dns_hash_end(h, w, len);
}

static bool fl_dns_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int fl_dns_name_parse(const char *text, struct fl_dns_name *out, char *msg, size_t len)
{
	const char *s = text;
	size_t n = strlen(text), i, start, need;

	memset(out, 0, sizeof(*out));
	/* one trailing dot is the root, as in a fully qualified name */
	if (n && s[n - 1] == '.')
		n--;
	if (!n) {
		snprintf(msg, len, "'%s' is not a name: expected one such as exact.name or *.example.internal",
			 text);
		return -EINVAL;
	}
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		out->wild = true;
		s += 2;
		n -= 2;
	} else if (n == 1 && s[0] == '*') {
		snprintf(msg, len,
			 "'*' alone would match every name; give a suffix after it, as in *.example.internal");
		return -EINVAL;
	}
	/* the wire format spends a byte on each label's length and one on
	 * the root: n + 2 bytes; a wildcard matches names with one more
	 * label of at least one character
	 */
	need = n + 2 + (out->wild ? 2 : 0);
	if (need > FL_DNS_NAME_MAX) {
		snprintf(msg, len,
			 "'%.40s...' is too long: faultline reads a query's name up to %d bytes in DNS wire format (%d characters)%s; use a shorter name or a wildcard for a suffix of it",
			 text, FL_DNS_NAME_MAX, FL_DNS_NAME_MAX - 2,
			 out->wild ? ", and a wildcard needs room for one more label" : "");
		return -EINVAL;
	}
	for (start = 0; start <= n; start = i + 1) {
		for (i = start; i < n && s[i] != '.'; i++) {
			if (s[i] == '*') {
				snprintf(msg, len,
					 "'%s': '*' may only start a name, followed by a dot, as in *.example.internal",
					 text);
				return -EINVAL;
			}
			if (!fl_dns_char_ok(s[i])) {
				snprintf(msg, len,
					 "'%s' has '%c', which is not a letter, digit, '-' or '_'",
					 text, s[i]);
				return -EINVAL;
			}
		}
		if (i == start) {
			snprintf(msg, len,
				 "'%s' has an empty label (two dots in a row, or a dot at the start)",
				 text);
			return -EINVAL;
		}
		if (i - start > 63) {
			snprintf(msg, len, "'%s' has a label of %zu characters; DNS allows 63",
				 text, i - start);
			return -EINVAL;
		}
		out->wire[out->len++] = i - start;
		for (; start < i; start++)
			out->wire[out->len++] = (s[start] >= 'A' && s[start] <= 'Z') ?
							s[start] | 0x20 : s[start];
		out->labels++;
	}
	out->wire[out->len++] = 0;
	return 0;
}
