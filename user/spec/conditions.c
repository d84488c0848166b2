// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Failure conditions: the signal table, thresholds, evaluation against a
 * sliding window, and the --abort-if short form.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "conditions.h"
#include "parse.h"


static const struct fl_signal_info signals[FL_SIG_MAX] = {
	[FL_SIG_PACKETS_IN] = { "packets.in", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_PACKETS_IN_RATE] = { "packets.in.rate", FL_STAT_RATE, FL_UNIT_PER_SEC },
	[FL_SIG_PACKETS_OUT] = { "packets.out", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_PACKETS_OUT_RATE] = { "packets.out.rate", FL_STAT_RATE, FL_UNIT_PER_SEC },
	[FL_SIG_BYTES_IN] = { "bytes.in", FL_STAT_SUM, FL_UNIT_BYTES },
	[FL_SIG_BYTES_IN_RATE] = { "bytes.in.rate", FL_STAT_RATE, FL_UNIT_PER_SEC },
	[FL_SIG_BYTES_OUT] = { "bytes.out", FL_STAT_SUM, FL_UNIT_BYTES },
	[FL_SIG_BYTES_OUT_RATE] = { "bytes.out.rate", FL_STAT_RATE, FL_UNIT_PER_SEC },
	[FL_SIG_FAULTS_DROPPED] = { "faults.dropped", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_FAULTS_DELAYED] = { "faults.delayed", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_TCP_RETRANSMITS] = { "tcp.retransmits", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_TCP_RESETS_SENT] = { "tcp.resets.sent", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_TCP_RESETS_RECEIVED] = { "tcp.resets.received", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_TCP_CONNECT_FAILURES] = { "tcp.connect.failures", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_TCP_CONNECT_LATENCY_P50] = { "tcp.connect.latency.p50", FL_STAT_P50, FL_UNIT_NS },
	[FL_SIG_TCP_CONNECT_LATENCY_P99] = { "tcp.connect.latency.p99", FL_STAT_P99, FL_UNIT_NS },
	[FL_SIG_TCP_RTT_P50] = { "tcp.rtt.p50", FL_STAT_P50, FL_UNIT_NS },
	[FL_SIG_TCP_RTT_P99] = { "tcp.rtt.p99", FL_STAT_P99, FL_UNIT_NS },
	[FL_SIG_HTTP_RESPONSES_5XX] = { "http.responses.5xx", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_HTTP_RESPONSES_TOTAL] = { "http.responses.total", FL_STAT_SUM, FL_UNIT_COUNT },
	[FL_SIG_HTTP_ERROR_RATE] = { "http.errorRate", FL_STAT_RATIO, FL_UNIT_RATIO },
	[FL_SIG_PROBE_FAILURES] = { "probe.failures", FL_STAT_SUM, FL_UNIT_COUNT, true },
	[FL_SIG_PROBE_LATENCY_P50] = { "probe.latency.p50", FL_STAT_P50, FL_UNIT_NS, true },
	[FL_SIG_PROBE_LATENCY_P99] = { "probe.latency.p99", FL_STAT_P99, FL_UNIT_NS, true },
	[FL_SIG_PROBE_SUCCESS_RATE] = { "probe.successRate", FL_STAT_RATIO, FL_UNIT_RATIO, true },
	[FL_SIG_PROMETHEUS] = { "prometheus", FL_STAT_LAST, FL_UNIT_ANY },
};

static int is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

bool fl_name_valid(const char *s, size_t len)
{
	size_t i;

	if (!s || !len || len >= FL_NAME_MAX || !is_alnum(s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return false;
	return true;
}

const struct fl_signal_info *fl_signal_info(enum fl_signal s)
{
	if ((unsigned int)s >= FL_SIG_MAX)
		return NULL;
	return &signals[s];
}

const char *fl_signal_name(enum fl_signal s)
{
	const struct fl_signal_info *si = fl_signal_info(s);

	return si ? si->name : NULL;
}

int fl_signal_parse(const char *name, enum fl_signal *s)
{
	unsigned int i;

	if (!name || !s)
		return -EINVAL;
	for (i = 0; i < FL_SIG_MAX; i++) {
		if (!strcmp(signals[i].name, name)) {
			*s = (enum fl_signal)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	const char *symbol;
} cmps[] = {
	[FL_CMP_ABOVE] = { "above", ">" },
	[FL_CMP_BELOW] = { "below", "<" },
	[FL_CMP_AT_LEAST] = { "atLeast", ">=" },
	[FL_CMP_AT_MOST] = { "atMost", "<=" },
};

const char *fl_cmp_name(enum fl_cmp op)
{
	if (op <= FL_CMP_NONE || (size_t)op >= ARRAY_SIZE(cmps))
		return NULL;
	return cmps[op].name;
}

const char *fl_cmp_symbol(enum fl_cmp op)
{
	if (op <= FL_CMP_NONE || (size_t)op >= ARRAY_SIZE(cmps))
		return NULL;
	return cmps[op].symbol;
}

int fl_cmp_eval(enum fl_cmp op, double value, double threshold)
{
	switch (op) {
	case FL_CMP_ABOVE:
		return value > threshold;
	case FL_CMP_BELOW:
		return value < threshold;
	case FL_CMP_AT_LEAST:
		return value >= threshold;
	case FL_CMP_AT_MOST:
		return value <= threshold;
	default:
		return 0;
	}
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* ["-"] digits ["." digits], nothing else: no blanks, exponents, hex,
 * "inf" or "nan", and no locale. The sign is accepted here and judged by
 * the caller.
 *
 * The digits are gathered into one integer and divided by a power of ten
 * once, so a threshold of 0.3 is the double nearest 0.3, equal to what a
 * compiler makes of the literal.
 */
#define MANT_LIMIT	100000000000000000ULL	/* 10^17: room for a digit */

static int scan_number(const char *s, double *v)
{
	const char *p = s;
	__u64 mant = 0;
	int neg = 0, exp10 = 0, in_frac = 0;
	double x;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!is_digit(*p))
		return -EINVAL;
	for (;; p++) {
		if (*p == '.' && !in_frac) {
			in_frac = 1;
			if (!is_digit(p[1]))
				return -EINVAL;
			continue;
		}
		if (!is_digit(*p))
			break;
		if (mant < MANT_LIMIT) {
			mant = mant * 10 + (__u64)(*p - '0');
			exp10 -= in_frac;
		} else if (!in_frac) {
			exp10++;	/* digits beyond precision */
		}
		if (exp10 > 400)
			return -ERANGE;
	}
	if (*p)
		return -EINVAL;
	x = (double)mant;
	for (; exp10 > 0; exp10--)
		x *= 10;
	for (; exp10 < -22; exp10++)
		x /= 10;
	if (exp10 < 0) {
		static const double pow10[] = {
			1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
			1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
			1e20, 1e21, 1e22,
		};

		x /= pow10[-exp10];
	}
	if (!isfinite(x))
		return -ERANGE;
	*v = neg ? -x : x;
	return 0;
}

int fl_threshold_parse(enum fl_signal s, const char *text, double *v)
{
	const struct fl_signal_info *si = fl_signal_info(s);
	size_t len;
	double x;
	__u64 ns;
	int err;

	if (!si || !text || !v)
		return -EINVAL;
	switch (si->unit) {
	case FL_UNIT_NS:
		if (fl_parse_duration(text, &ns))
			return -EINVAL;
		*v = (double)ns;
		return 0;
	case FL_UNIT_RATIO:
		len = strlen(text);
		if (len && text[len - 1] == '%') {
			if (fl_parse_percent(text, &x))
				return text[0] == '-' ? -ERANGE : -EINVAL;
			*v = x / 100;
			return 0;
		}
		err = scan_number(text, &x);
		if (err)
			return err;
		if (x < 0 || x > 1)
			return -ERANGE;
		*v = x;
		return 0;
	case FL_UNIT_ANY:
		return scan_number(text, v);
	default:
		err = scan_number(text, &x);
		if (err)
			return err;
		if (x < 0)
			return -ERANGE;
		*v = x;
		return 0;
	}
}

const char *fl_threshold_expect(enum fl_signal s)
{
	const struct fl_signal_info *si = fl_signal_info(s);

	if (!si)
		return "a threshold";
	switch (si->unit) {
	case FL_UNIT_NS:
		return "a duration like 200ms or 1.5s";
	case FL_UNIT_RATIO:
		return "a fraction from 0 to 1 or a percentage like 95%";
	case FL_UNIT_ANY:
		return "a number like 0.5 or -3";
	default:
		return "a number >= 0 like 10 or 2.5";
	}
}

const char *fl_condition_pointless(const struct fl_condition *c)
{
	const struct fl_signal_info *si = fl_signal_info(c->signal);

	if (!si || si->unit == FL_UNIT_ANY || si->unit == FL_UNIT_NS)
		return NULL;
	/* Every other unit is >= 0, and a ratio is also <= 1. */
	if (c->threshold <= 0) {
		if (c->cmp == FL_CMP_BELOW)
			return "can never trip: the value is never below 0";
		if (c->cmp == FL_CMP_AT_LEAST)
			return "always trips: the value is always at least 0";
	}
	if (si->unit == FL_UNIT_RATIO && c->threshold >= 1) {
		if (c->cmp == FL_CMP_ABOVE)
			return "can never trip: a ratio is never above 1";
		if (c->cmp == FL_CMP_AT_MOST)
			return "always trips: a ratio is always at most 1";
	}
	return NULL;
}

int fl_condition_eval(const struct fl_condition *c, const struct fl_window *w,
		      __u64 now_ns, double *value)
{
	const struct fl_signal_info *si;
	double v;
	int err;

	if (!c || !w || !value)
		return -EINVAL;
	si = fl_signal_info(c->signal);
	if (!si || !fl_cmp_name(c->cmp))
		return -EINVAL;
	if (c->window_ns && c->window_ns != w->len_ns)
		return -EINVAL;

	switch (si->stat) {
	case FL_STAT_SUM:
		err = fl_window_sum(w, now_ns, &v);
		break;
	case FL_STAT_RATE:
		err = fl_window_rate(w, now_ns, &v);
		break;
	case FL_STAT_P50:
		err = fl_window_percentile(w, now_ns, 50, &v);
		break;
	case FL_STAT_P99:
		err = fl_window_percentile(w, now_ns, 99, &v);
		break;
	case FL_STAT_RATIO:
		err = fl_window_mean(w, now_ns, &v);
		break;
	case FL_STAT_LAST:
		err = fl_window_last(w, now_ns, &v);
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	*value = v;
	return fl_cmp_eval(c->cmp, v, c->threshold);
}

int fl_condition_eval_ratio(const struct fl_condition *c,
			    const struct fl_window *num,
			    const struct fl_window *den, __u64 now_ns,
			    double *value)
{
	const struct fl_signal_info *si;
	double n, d;
	int err;

	if (!c || !num || !den || !value)
		return -EINVAL;
	si = fl_signal_info(c->signal);
	if (!si || si->stat != FL_STAT_RATIO || !fl_cmp_name(c->cmp))
		return -EINVAL;
	if (num->len_ns != den->len_ns ||
	    (c->window_ns && c->window_ns != num->len_ns))
		return -EINVAL;
	err = fl_window_sum(den, now_ns, &d);
	if (err)
		return err;
	if (d <= 0)
		return -ENODATA;
	err = fl_window_sum(num, now_ns, &n);
	if (err)
		return err;
	*value = n / d;
	return fl_cmp_eval(c->cmp, *value, c->threshold);
}

/* The short form. */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copies [p, end) into buf as a string; 0 or -ENAMETOOLONG. */
static int copy_token(char *buf, size_t size, const char *p, const char *end)
{
	size_t len = (size_t)(end - p);

	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

static int is_signal_char(char ch)
{
	return is_alnum(ch) || ch == '.' || ch == '_';
}

static int is_name_char(char ch)
{
	return is_alnum(ch) || ch == '.' || ch == '_' || ch == '-';
}

#define TOKEN_MAX	64

int fl_condition_parse_short(const char *s, struct fl_condition *c, char *err,
			     size_t errlen)
{
	char sig[TOKEN_MAX], probe[FL_NAME_MAX] = "", thr[TOKEN_MAX];
	char win[TOKEN_MAX] = "1m";
	const struct fl_signal_info *si;
	struct fl_condition r;
	const char *p, *tok;
	int ret;

	if (!s || !c) {
		fl_set_err(err, errlen, "no condition given");
		return -EINVAL;
	}
	memset(&r, 0, sizeof(r));
	r.probe_idx = -1;
	r.window_ns = FL_CONDITION_DEFAULT_WINDOW_NS;

	p = skip_blanks(s);
	tok = p;
	while (is_signal_char(*p))
		p++;
	if (p == tok) {
		fl_set_err(err, errlen,
		       "expected a signal at the start of '%s', like 'probe.failures > 10/1m'",
		       s);
		return -EINVAL;
	}
	if (copy_token(sig, sizeof(sig), tok, p) ||
	    fl_signal_parse(sig, &r.signal)) {
		fl_set_err(err, errlen, "unknown signal '%.*s'", (int)(p - tok),
		       tok);
		return -EINVAL;
	}
	si = fl_signal_info(r.signal);
	if (r.signal == FL_SIG_PROMETHEUS) {
		fl_set_err(err, errlen,
		       "prometheus needs a url and a query: use an experiment file");
		return -EINVAL;
	}
	if (*p == '@') {
		if (!si->needs_probe) {
			fl_set_err(err, errlen,
			       "'@' names a probe, and %s is not a probe.* signal",
			       si->name);
			return -EINVAL;
		}
		tok = ++p;
		while (is_name_char(*p))
			p++;
		if (!fl_name_valid(tok, (size_t)(p - tok))) {
			fl_set_err(err, errlen, "bad probe name '%.*s' after '@'",
			       (int)(p - tok), tok);
			return -EINVAL;
		}
		copy_token(probe, sizeof(probe), tok, p);
	}

	p = skip_blanks(p);
	if (p[0] == '>' && p[1] == '=') {
		r.cmp = FL_CMP_AT_LEAST;
		p += 2;
	} else if (p[0] == '<' && p[1] == '=') {
		r.cmp = FL_CMP_AT_MOST;
		p += 2;
	} else if (p[0] == '>') {
		r.cmp = FL_CMP_ABOVE;
		p++;
	} else if (p[0] == '<') {
		r.cmp = FL_CMP_BELOW;
		p++;
	} else if (*p == '=' || *p == '!') {
		fl_set_err(err, errlen,
		       "'%c%s' is not an operator here; use >, <, >= or <=",
		       *p, p[1] == '=' ? "=" : "");
		return -EINVAL;
	} else {
		fl_set_err(err, errlen, "expected >, <, >= or <= after '%s'", sig);
		return -EINVAL;
	}
	if (*p == '=' || *p == '>' || *p == '<') {
		fl_set_err(err, errlen, "unknown operator '%s%c'; use >, <, >= or <=",
		       fl_cmp_symbol(r.cmp), *p);
		return -EINVAL;
	}

	p = skip_blanks(p);
	tok = p;
	while (*p && *p != '/' && *p != ' ' && *p != '\t')
		p++;
	if (p == tok) {
		fl_set_err(err, errlen, "missing threshold after '%s'",
		       fl_cmp_symbol(r.cmp));
		return -EINVAL;
	}
	if (copy_token(thr, sizeof(thr), tok, p)) {
		fl_set_err(err, errlen, "threshold '%.*s...' is too long", 16, tok);
		return -EINVAL;
	}
	ret = fl_threshold_parse(r.signal, thr, &r.threshold);
	if (ret) {
		fl_set_err(err, errlen, "bad threshold '%s' for %s: expected %s",
		       thr, si->name, fl_threshold_expect(r.signal));
		return -EINVAL;
	}

	p = skip_blanks(p);
	if (*p == '/') {
		p = skip_blanks(p + 1);
		tok = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (p == tok) {
			fl_set_err(err, errlen, "missing window after '/'");
			return -EINVAL;
		}
		if (copy_token(win, sizeof(win), tok, p) ||
		    fl_parse_duration(win, &r.window_ns)) {
			fl_set_err(err, errlen,
			       "bad window '%.*s': expected a duration like 30s or 1m",
			       (int)(p - tok), tok);
			return -EINVAL;
		}
		if (r.window_ns < FL_CONDITION_MIN_WINDOW_NS) {
			fl_set_err(err, errlen,
			       "window '%s' is too short: at least 100ms", win);
			return -EINVAL;
		}
		if (r.window_ns > FL_CONDITION_MAX_WINDOW_NS) {
			fl_set_err(err, errlen,
			       "window '%s' is too long: at most 24h", win);
			return -EINVAL;
		}
		p = skip_blanks(p);
	}
	if (*p) {
		fl_set_err(err, errlen, "unexpected '%s' at the end of '%s'", p, s);
		return -EINVAL;
	}

	memcpy(r.probe, probe, sizeof(r.probe));
	if (fl_condition_pointless(&r)) {
		fl_set_err(err, errlen, "'%s' %s", s, fl_condition_pointless(&r));
		return -EINVAL;
	}
	ret = snprintf(r.name, sizeof(r.name), "%s%s%s %s %s/%s", sig,
		       probe[0] ? "@" : "", probe, fl_cmp_symbol(r.cmp), thr,
		       win);
	if (ret >= (int)sizeof(r.name))	/* a display name: shorten it */
		memcpy(&r.name[sizeof(r.name) - 4], "...", 4);
	*c = r;
	return 0;
}
