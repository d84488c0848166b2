// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fuzz target: the command line's values (parse.h, the --abort-if short
 * form, thresholds, target flags). Every parser sees every input, so one
 * corpus serves them all and a parser added later is fuzzed by adding a
 * line here. Besides "no crash", what a parser accepts must hold its
 * documented range, and the text forms that come back out (an address, a
 * condition's canonical name) must parse back to the same value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>

#include "fuzz.h"
#include "conditions.h"
#include "experiment.h"
#include "parse.h"

#define FZ_MAX_INPUT	4096

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_quiet();
	return 0;
}

static void fz_cidr(const char *s)
{
	struct fl_cidr c, back;
	char addr[80], text[80];
	size_t n;
	__u8 key[16];
	__u32 bits;

	if (fl_parse_cidr(s, &c))
		return;
	FZ_CHECK(c.family == AF_INET || c.family == AF_INET6);
	FZ_CHECK(c.prefixlen <= (c.family == AF_INET ? 32 : 128));
	fl_cidr_to_peer_key_addr(&c, key, &bits);
	FZ_CHECK(bits <= 128);
	FZ_CHECK(fl_format_addr(&c.addr, addr, sizeof(addr)) == 0);
	FZ_CHECK(fl_format_addr(&c.addr, addr, 1) == -ENOSPC);
	/* the report's text for it reads back as the same prefix */
	FZ_CHECK(fl_format_cidr(&c, text, sizeof(text)) == 0);
	n = strlen(text);
	FZ_CHECK(fl_format_cidr(&c, addr, n) == -ENOSPC);
	FZ_CHECK(fl_parse_cidr(text, &back) == 0);
	FZ_CHECK(back.family == c.family && back.prefixlen == c.prefixlen);
	FZ_CHECK(!memcmp(&back.addr, &c.addr, sizeof(c.addr)));
}

static void fz_condition(const char *s)
{
	struct fl_condition c, back;
	char err[512], name[FL_NAME_MAX + 1];

	memset(&c, 0, sizeof(c));
	err[0] = 0;
	if (fl_condition_parse_short(s, &c, err, sizeof(err))) {
		fz_check_err(err, sizeof(err));
		return;
	}
	FZ_CHECK(fl_signal_name(c.signal) && fl_cmp_name(c.cmp));
	FZ_CHECK(!isnan(c.threshold));
	FZ_CHECK(memchr(c.name, 0, sizeof(c.name)));
	/* the canonical text is itself a condition, the same one, unless it
	 * was too long for a name and shortened ("...", by design)
	 */
	memcpy(name, c.name, sizeof(c.name));
	name[FL_NAME_MAX] = 0;
	if (strlen(name) >= 3 && !strcmp(name + strlen(name) - 3, "..."))
		return;
	memset(&back, 0, sizeof(back));
	FZ_CHECK(fl_condition_parse_short(name, &back, err, sizeof(err)) == 0);
	FZ_CHECK(back.signal == c.signal && back.cmp == c.cmp);
	FZ_CHECK(back.window_ns == c.window_ns);
	FZ_CHECK(!strcmp(back.probe, c.probe));
}

static void fz_targets(const char *s)
{
	static const enum fl_target_kind kinds[] = {
		FL_TARGET_CGROUP, FL_TARGET_PID, FL_TARGET_CONTAINER, FL_TARGET_POD_UID,
	};
	struct fl_exp_target t;
	const char *what;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		memset(&t, 0, sizeof(t));
		what = NULL;
		if (fl_exp_target_set(&t, kinds[i], s, &what)) {
			FZ_CHECK(what && what[0]);
		} else {
			FZ_CHECK(t.kind == kinds[i] && t.ref);
			FZ_CHECK(fl_target_kind_name(t.kind));
		}
		fl_exp_target_free(&t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double pct, v;
	__u64 ns, rate;
	__u32 dir;
	__u16 port;
	__u8 u8, unit;
	char *s;
	int sig;

	if (size > FZ_MAX_INPUT)
		return -1;
	s = fz_str(data, size);

	if (!fl_parse_duration(s, &ns))
		FZ_CHECK(ns > 0);
	if (!fl_parse_percent(s, &pct)) {
		FZ_CHECK(pct >= 0 && pct <= 100);
		FZ_CHECK(fl_percent_to_prob(pct) <= FL_PROB_ONE);
	}
	if (!fl_parse_whole_percent(s, &u8))
		FZ_CHECK(u8 <= 100);
	if (!fl_parse_port(s, &port))
		FZ_CHECK(port >= 1);
	if (!fl_parse_proto(s, &u8))
		FZ_CHECK(fl_proto_name(u8) != NULL);
	if (!fl_parse_direction(s, &dir))
		FZ_CHECK(dir != 0);
	if (!fl_parse_rate(s, &rate, &unit))
		FZ_CHECK(rate > 0 && (unit == FL_RATE_BPS || unit == FL_RATE_PPS));
	if (!fl_parse_distribution(s, &u8))
		FZ_CHECK(u8 < FL_DIST_MAX);
	fz_cidr(s);
	fz_condition(s);
	for (sig = 0; sig < FL_SIG_MAX; sig++) {
		int ret = fl_threshold_parse(sig, s, &v);

		FZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ERANGE);
		if (!ret)
			FZ_CHECK(!isnan(v));
		FZ_CHECK(fl_threshold_expect(sig) != NULL);
	}
	fz_targets(s);
	free(s);
	return 0;
}
