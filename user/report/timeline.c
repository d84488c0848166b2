// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* timeline.svg: each condition's signal over the experiment; see
 * timeline.h for what is drawn and how odd input is treated.
 *
 * Layout, top to bottom: a header (title, state badge, summary, legend),
 * one panel per series, and a footer with the time axis label. Every panel
 * is a group translated to its top, so all panels share one set of local
 * coordinates and one clip rectangle for the plot area.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timeline.h"

#define TL_W		900
#define TL_HEADER_H	76	/* grows by a line when the legend needs one */
#define TL_LEGEND_W	390
#define TL_PANEL_H	220
#define TL_EMPTY_H	60	/* the body when there is no series at all */
#define TL_FOOTER_H	12
#define TL_PLOT_X0	84	/* plot area, in panel coordinates */
#define TL_PLOT_X1	(TL_W - 28)
#define TL_PLOT_Y0	30
#define TL_PLOT_Y1	(TL_PLOT_Y0 + 152)
#define TL_X_TICKS	12
#define TL_Y_TICKS	6
#define TL_MAX_ABS	1e300	/* larger values cannot be scaled safely */
#define TL_DOTS_MAX	60	/* mark every sample up to this many */
#define TL_TITLE_CP	60	/* longest title, in characters */
#define TL_NAME_CP	48	/* longest condition name */
#define TL_SIGNAL_CP	40	/* longest signal name */

/* Mean advance of a glyph per pixel of font size, to place labels: a
 * little over DejaVu Sans's (the widest common sans), bold 10% more.
 */
#define TL_GLYPH_W	0.55
#define TL_BOLD		1.1

#define C_TEXT		"#212121"
#define C_MUTED		"#616161"
#define C_GRID		"#eceff1"
#define C_FRAME		"#b0bec5"
#define C_SIGNAL	"#1565c0"
#define C_THRESH	"#455a64"
#define C_FAULT		"#ffa726"
#define C_FAULT_TEXT	"#e65100"
#define C_TRIP		"#d32f2f"
#define C_OK		"#2e7d32"
#define C_NEUTRAL	"#757575"

#define FONT		"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
#define HALO		"paint-order=\"stroke\" stroke=\"#ffffff\" " \
			"stroke-width=\"3\" stroke-linejoin=\"round\""

struct axis {
	double lo, hi;		/* data range */
	double px_lo, px_hi;	/* where lo and hi land */
	double first, step;	/* ticks */
	int n_ticks;
};

static double map(const struct axis *a, double v)
{
	return a->px_lo + (v - a->lo) / (a->hi - a->lo) * (a->px_hi - a->px_lo);
}

static int sample_ok(const struct fl_tl_series *s, int i)
{
	return isfinite(s->t_s[i]) && isfinite(s->v[i]) &&
	       fabs(s->t_s[i]) <= TL_MAX_ABS && fabs(s->v[i]) <= TL_MAX_ABS;
}

static int value_ok(double v)
{
	return isfinite(v) && fabs(v) <= TL_MAX_ABS;
}

int fl_timeline_nice_ticks(double lo, double hi, int max_ticks,
			   double *first, double *step)
{
	static const double mult[] = { 1, 2, 5 };
	double mag, s, k0, k1;
	int i, tries;

	if (!first || !step || max_ticks < 2 || !isfinite(lo) ||
	    !isfinite(hi) || !(lo < hi) || !isfinite(hi - lo))
		return -EINVAL;
	mag = pow(10, floor(log10((hi - lo) / max_ticks)));
	if (!(mag > 0) || !isfinite(mag))
		return -EINVAL;
	/* Each try is ten times coarser; a few always suffice. */
	for (tries = 0; tries < 8; tries++, mag *= 10) {
		for (i = 0; i < 3; i++) {
			s = mult[i] * mag;
			k0 = ceil(lo / s - 1e-9);
			k1 = floor(hi / s + 1e-9);
			if (k1 - k0 + 1 > max_ticks)
				continue;
			*first = k0 * s;
			*step = s;
			return k1 >= k0 ? (int)(k1 - k0 + 1) : 0;
		}
	}
	return -EINVAL;
}

/* ---- text ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p that XML 1.0 accepts as a
 * character, or 0.
 */
static int utf8_char_len(const unsigned char *p)
{
	unsigned char c = p[0];
	int len, i;

	if (c < 0x80)
		return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) ||		/* overlong */
	    (c == 0xed && p[1] > 0x9f) ||		/* surrogates */
	    (c == 0xf0 && p[1] < 0x90) ||		/* overlong */
	    (c == 0xf4 && p[1] > 0x8f) ||		/* past U+10FFFF */
	    (c == 0xef && p[1] == 0xbf && p[2] >= 0xbe))	/* U+FFFE/F */
		return 0;
	return len;
}

/* Write s as XML character data or attribute text, at most max_cp
 * characters (the last being an ellipsis when cut); bytes that are not
 * valid characters become U+FFFD.
 */
static void xml_text(FILE *f, const char *s, int max_cp)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int cp = 0, len;

	while (*p) {
		len = utf8_char_len(p);
		if (cp == max_cp - 1 && p[len ? len : 1]) {
			fputs("\xe2\x80\xa6", f);	/* cut: an ellipsis */
			return;
		}
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			p++;
		} else if (len > 1) {
			fwrite(p, 1, len, f);
			p += len;
		} else {
			switch (*p) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&apos;", f); break;
			case '\t': case '\n': case '\r': fputc(' ', f); break;
			default: fputc(*p, f);
			}
			p++;
		}
		cp++;
	}
}

/* Characters xml_text would draw, for estimating widths. */
static int text_cp(const char *s, int max_cp)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int cp = 0, len;

	while (*p && cp < max_cp) {
		len = utf8_char_len(p);
		p += len ? len : 1;
		cp++;
	}
	return cp;
}

static double text_w(int chars, double font_px)
{
	return chars * font_px * TL_GLYPH_W;
}

/* A value in a label: exact for counts below ten million, four
 * significant digits else, with a k/M/G/T/P suffix from a million on
 * (below ten million only when that is exact: "2.5M" but "2500001") and
 * an exponent from 1e18 on.
 */
static void fmt_value(char *buf, size_t len, double v)
{
	static const char sfx[] = "kMGTP";
	double a = fabs(v), scale;
	int k;

	if (v == 0)
		v = 0;	/* no "-0" */
	if (a >= 1e6 && a < 1e18) {
		k = (int)floor(log10(a) / 3);
		if (k > 5)
			k = 5;
		scale = pow(1000, k);
		snprintf(buf, len, "%.4g", v / scale);
		if (a >= 1e7 || strtod(buf, NULL) * scale == v) {
			snprintf(buf, len, "%.4g%c", v / scale, sfx[k - 1]);
			return;
		}
	}
	if (a >= 1e18)
		snprintf(buf, len, "%.4g", v);
	else if (a >= 1e4 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.4g", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* A tick label: as many decimals as the step needs; axes reaching a
 * million are shown in k/M/G/T/P with the step's decimals on that scale.
 */
static void fmt_tick(char *buf, size_t len, double v, const struct axis *a)
{
	static const char *const sfx[] = { "", "k", "M", "G", "T", "P" };
	double top = fmax(fabs(a->lo), fabs(a->hi)), scale = 1, st;
	int k = 0, dec;

	if (top >= 1e18) {
		snprintf(buf, len, "%.3g", v);
		return;
	}
	if (top >= 1e6) {
		k = (int)floor(log10(top) / 3);
		if (k > 5)
			k = 5;
		scale = pow(1000, k);
	}
	st = a->step / scale;
	dec = (int)ceil(-log10(st) - 1e-9);
	if (dec < 0)
		dec = 0;
	if (dec > 9)
		dec = 9;
	if (fabs(v) < a->step * 1e-6) {
		snprintf(buf, len, "0");
		return;
	}
	snprintf(buf, len, "%.*f%s", dec, v / scale, sfx[k]);
}

/* ---- axes ---------------------------------------------------------- */

static double tl_t_end(const struct fl_tl *tl, double t_lo)
{
	double hi = t_lo;
	int i, j;

	if (value_ok(tl->duration_s))
		hi = fmax(hi, tl->duration_s);
	if (value_ok(tl->fault_start_s))
		hi = fmax(hi, tl->fault_start_s);
	if (value_ok(tl->fault_end_s))
		hi = fmax(hi, tl->fault_end_s);
	for (i = 0; i < tl->n_series; i++) {
		const struct fl_tl_series *s = &tl->series[i];

		for (j = 0; j < s->n; j++)
			if (sample_ok(s, j))
				hi = fmax(hi, s->t_s[j]);
		if (s->tripped && value_ok(s->trip_t_s))
			hi = fmax(hi, s->trip_t_s);
	}
	return hi;
}

static void time_axis(const struct fl_tl *tl, struct axis *a)
{
	double lo = 0;
	int i, j;

	for (i = 0; i < tl->n_series; i++) {
		const struct fl_tl_series *s = &tl->series[i];

		for (j = 0; j < s->n; j++)
			if (sample_ok(s, j))
				lo = fmin(lo, s->t_s[j]);
		if (s->tripped && value_ok(s->trip_t_s))
			lo = fmin(lo, s->trip_t_s);
	}
	a->lo = lo;
	a->hi = tl_t_end(tl, lo);
	if (!(a->hi > a->lo))
		a->hi = a->lo + fmax(1, fabs(a->lo));
	a->px_lo = TL_PLOT_X0;
	a->px_hi = TL_PLOT_X1;
	a->n_ticks = fl_timeline_nice_ticks(a->lo, a->hi, TL_X_TICKS,
					    &a->first, &a->step);
	if (a->n_ticks < 0)
		a->n_ticks = 0;
}

/* The data, threshold and trip value with a margin, widened to whole
 * ticks. A range that starts at zero or above stays there: most signals
 * are counts, and a count axis reads best from zero.
 */
static void value_axis(const struct fl_tl_series *s, struct axis *a)
{
	double lo = INFINITY, hi = -INFINITY, m, first, step;
	int i, n, n_ok = 0;

	for (i = 0; i < s->n; i++) {
		if (!sample_ok(s, i))
			continue;
		n_ok++;
		lo = fmin(lo, s->v[i]);
		hi = fmax(hi, s->v[i]);
	}
	if (value_ok(s->threshold)) {
		lo = fmin(lo, s->threshold);
		hi = fmax(hi, s->threshold);
	}
	if (s->tripped && value_ok(s->trip_v)) {
		lo = fmin(lo, s->trip_v);
		hi = fmax(hi, s->trip_v);
	}
	if (lo > hi) {
		lo = 0;
		hi = 1;
	} else if (!n_ok) {
		lo = fmin(lo, 0);	/* just a threshold: show it from zero */
		hi = fmax(hi, 0);
	}
	if (lo == hi) {
		m = lo ? fabs(lo) * 0.1 : 1;
		lo = (lo >= 0 && lo - m < 0) ? 0 : lo - m;
		hi += m;
	} else {
		m = (hi - lo) * 0.08;
		lo = (lo >= 0 && lo - m < 0) ? 0 : lo - m;
		hi += m;
	}
	a->px_lo = TL_PLOT_Y1;
	a->px_hi = TL_PLOT_Y0;
	if (fl_timeline_nice_ticks(lo, hi, TL_Y_TICKS, &first, &step) < 0) {
		a->lo = lo;
		a->hi = hi > lo ? hi : lo + 1;
		a->n_ticks = 0;
		return;
	}
	a->lo = floor(lo / step + 1e-9) * step;
	a->hi = ceil(hi / step - 1e-9) * step;
	n = (int)lround((a->hi - a->lo) / step) + 1;
	a->first = a->lo;
	a->step = step;
	a->n_ticks = n;
}

/* ---- drawing ------------------------------------------------------- */

static const char *state_colour(const char *state)
{
	if (state && !strcasecmp(state, "Failed"))
		return C_TRIP;
	if (state && !strcasecmp(state, "Succeeded"))
		return C_OK;
	return C_NEUTRAL;
}

static int have_faults(const struct fl_tl *tl)
{
	return value_ok(tl->fault_start_s) && tl->fault_start_s >= 0;
}

/* The fault band's end: the axis end when faults never stopped. */
static double fault_end(const struct fl_tl *tl, const struct axis *t)
{
	if (!value_ok(tl->fault_end_s) || tl->fault_end_s < tl->fault_start_s)
		return t->hi;
	return tl->fault_end_s;
}

/* The summary line: duration, when faults were active, trip count. */
static void summary(char *sum, size_t len, const struct fl_tl *tl,
		    const struct axis *t)
{
	char a[32], b[32];
	int i, n, tripped = 0;

	for (i = 0; i < tl->n_series; i++)
		tripped += !!tl->series[i].tripped;
	fmt_value(a, sizeof(a), value_ok(tl->duration_s) &&
		  tl->duration_s >= 0 ? tl->duration_s : t->hi);
	n = 0;
	/* the report's own format, so the plot lines up with report.json;
	 * it is ASCII, no escaping needed
	 */
	if (tl->started_at && strspn(tl->started_at, "0123456789-:.TZ") == strlen(tl->started_at))
		n = snprintf(sum, len, "t = 0 at %s \xc2\xb7 ", tl->started_at);
	n += snprintf(sum + n, len - n, "duration %s s", a);
	if (!have_faults(tl)) {
		n += snprintf(sum + n, len - n, " \xc2\xb7 no faults injected");
	} else if (value_ok(tl->fault_end_s) &&
		   tl->fault_end_s >= tl->fault_start_s) {
		fmt_value(a, sizeof(a), tl->fault_start_s);
		fmt_value(b, sizeof(b), tl->fault_end_s);
		n += snprintf(sum + n, len - n,
			      " \xc2\xb7 faults active %s\xe2\x80\x93%s s", a, b);
	} else {
		fmt_value(a, sizeof(a), tl->fault_start_s);
		n += snprintf(sum + n, len - n,
			      " \xc2\xb7 faults active from %s s to the end", a);
	}
	snprintf(sum + n, len - n, " \xc2\xb7 %d of %d condition%s tripped",
		 tripped, tl->n_series, tl->n_series == 1 ? "" : "s");
}

/* The legend goes right of the summary when both fit, else below it. */
static int legend_below(const char *sum)
{
	return 20 + text_w(text_cp(sum, 200), 12) + 24 >
	       TL_W - 20 - TL_LEGEND_W;
}

static int header_height(const char *sum)
{
	return TL_HEADER_H + (legend_below(sum) ? 20 : 0);
}

/* Title and state badge, the summary, the legend. */
static void draw_header(FILE *f, const struct fl_tl *tl, const char *sum)
{
	const char *state = tl->state && *tl->state ? tl->state : "Unknown";
	int h = header_height(sum);
	double bw, x, y;

	fprintf(f, "<text x=\"20\" y=\"32\" font-size=\"19\" "
		"font-weight=\"bold\" fill=\"%s\">", C_TEXT);
	xml_text(f, tl->title, TL_TITLE_CP);
	fputs("</text>\n", f);

	bw = text_w(text_cp(state, 20), 13) * TL_BOLD + 24;
	fprintf(f, "<rect x=\"%.1f\" y=\"13\" width=\"%.1f\" height=\"26\" "
		"rx=\"13\" fill=\"%s\"/>\n", TL_W - 20 - bw, bw,
		state_colour(state));
	fprintf(f, "<text x=\"%.1f\" y=\"31\" font-size=\"13\" "
		"font-weight=\"bold\" fill=\"#ffffff\" text-anchor=\"middle\">",
		TL_W - 20 - bw / 2);
	xml_text(f, state, 20);
	fputs("</text>\n", f);

	fprintf(f, "<text x=\"20\" y=\"56\" font-size=\"12\" fill=\"%s\">%s"
		"</text>\n", C_MUTED, sum);

	x = legend_below(sum) ? 20 : TL_W - 20 - TL_LEGEND_W;
	y = legend_below(sum) ? 76 : 56;
	fprintf(f, "<g font-size=\"11\" fill=\"%s\">\n", C_MUTED);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"2\"/>"
		"<text x=\"%.1f\" y=\"%.1f\">signal</text>\n",
		x, y - 4, x + 18, y - 4, C_SIGNAL, x + 22, y);
	x += 66;
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>"
		"<text x=\"%.1f\" y=\"%.1f\">threshold</text>\n",
		x, y - 4, x + 18, y - 4, C_THRESH, x + 22, y);
	x += 86;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"12\" "
		"fill=\"%s\" fill-opacity=\"0.12\" stroke=\"%s\" "
		"stroke-opacity=\"0.3\"/>"
		"<text x=\"%.1f\" y=\"%.1f\">trips here</text>\n",
		x, y - 10, C_TRIP, C_TRIP, x + 22, y);
	x += 90;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"12\" "
		"fill=\"%s\" fill-opacity=\"0.3\"/>"
		"<text x=\"%.1f\" y=\"%.1f\">faults active</text>\n",
		x, y - 10, C_FAULT, x + 22, y);
	x += 104;
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.5\"/>"
		"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>"
		"<text x=\"%.1f\" y=\"%.1f\">trip</text>\n",
		x + 6, y - 11, x + 6, y + 3, C_TRIP, x + 6, y - 4, C_TRIP,
		x + 16, y);
	fputs("</g>\n", f);
	fprintf(f, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"%s\"/>\n", h - 4, TL_W, h - 4, C_FRAME);
}

static void draw_grid(FILE *f, const struct axis *t, const struct axis *y)
{
	char buf[48];
	double p;
	int i;

	fprintf(f, "<g stroke=\"%s\" stroke-width=\"1\">\n", C_GRID);
	for (i = 0; i < t->n_ticks; i++) {
		p = map(t, t->first + i * t->step);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
			p, TL_PLOT_Y0, p, TL_PLOT_Y1);
	}
	for (i = 0; i < y->n_ticks; i++) {
		p = map(y, y->first + i * y->step);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
			TL_PLOT_X0, p, TL_PLOT_X1, p);
	}
	fputs("</g>\n", f);

	fprintf(f, "<g font-size=\"11\" fill=\"%s\" text-anchor=\"middle\">\n",
		C_MUTED);
	for (i = 0; i < t->n_ticks; i++) {
		fmt_tick(buf, sizeof(buf), t->first + i * t->step, t);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\">%s</text>\n",
			map(t, t->first + i * t->step), TL_PLOT_Y1 + 15, buf);
	}
	fputs("</g>\n", f);
	fprintf(f, "<g font-size=\"11\" fill=\"%s\" text-anchor=\"end\">\n",
		C_MUTED);
	for (i = 0; i < y->n_ticks; i++) {
		fmt_tick(buf, sizeof(buf), y->first + i * y->step, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\">%s</text>\n",
			TL_PLOT_X0 - 6, map(y, y->first + i * y->step) + 4, buf);
	}
	fputs("</g>\n", f);
}

/* One pixel column's worth of samples: its first, last, lowest and
 * highest, drawn in the order they came.
 */
struct bucket {
	int used, col;
	int idx[4];	/* first, last, min, max */
};

static void bucket_flush(FILE *f, const struct fl_tl_series *s,
			 const struct axis *t, const struct axis *y,
			 struct bucket *b, int *pen_down)
{
	int order[4], n = 0, i, j, k;

	if (!b->used)
		return;
	for (i = 0; i < 4; i++) {
		for (j = 0; j < n && order[j] != b->idx[i]; j++)
			;
		if (j == n)
			order[n++] = b->idx[i];
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && order[j - 1] > order[j]; j--) {
			k = order[j];
			order[j] = order[j - 1];
			order[j - 1] = k;
		}
	for (i = 0; i < n; i++) {
		fprintf(f, "%c%.1f %.1f", *pen_down ? 'L' : 'M',
			map(t, s->t_s[order[i]]), map(y, s->v[order[i]]));
		*pen_down = 1;
	}
	b->used = 0;
}

static void draw_signal(FILE *f, const struct fl_tl_series *s,
			const struct axis *t, const struct axis *y, int n_ok)
{
	struct bucket b = { 0 };
	int i, col, pen_down = 0, prev_ok, next_ok;

	fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
		"stroke-linejoin=\"round\" stroke-linecap=\"round\" "
		"clip-path=\"url(#plot)\" d=\"", C_SIGNAL);
	for (i = 0; i < s->n; i++) {
		if (!sample_ok(s, i)) {
			bucket_flush(f, s, t, y, &b, &pen_down);
			pen_down = 0;	/* a gap, not a bridge */
			continue;
		}
		col = (int)floor(map(t, s->t_s[i]));
		if (b.used && col != b.col)
			bucket_flush(f, s, t, y, &b, &pen_down);
		if (!b.used) {
			b.used = 1;
			b.col = col;
			b.idx[0] = b.idx[1] = b.idx[2] = b.idx[3] = i;
			continue;
		}
		b.idx[1] = i;
		if (s->v[i] < s->v[b.idx[2]])
			b.idx[2] = i;
		if (s->v[i] > s->v[b.idx[3]])
			b.idx[3] = i;
	}
	bucket_flush(f, s, t, y, &b, &pen_down);
	fputs("\"/>\n", f);

	/* Dots: on every sample when there are few, else on samples that
	 * have no neighbour to draw a line to.
	 */
	fprintf(f, "<g fill=\"%s\" clip-path=\"url(#plot)\">\n", C_SIGNAL);
	for (i = 0; i < s->n; i++) {
		if (!sample_ok(s, i))
			continue;
		prev_ok = i > 0 && sample_ok(s, i - 1);
		next_ok = i + 1 < s->n && sample_ok(s, i + 1);
		if (n_ok > TL_DOTS_MAX && (prev_ok || next_ok))
			continue;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>\n",
			map(t, s->t_s[i]), map(y, s->v[i]));
	}
	fputs("</g>\n", f);
}

struct box {
	double x0, y0, x1, y1;
};

static int boxes_overlap(const struct box *a, const struct box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* A label's box from its baseline point and anchor, for 11px text. */
static struct box label_box(double x, double base, double w, int end)
{
	struct box b = { end ? x - w : x, base - 10, end ? x : x + w, base + 3 };

	return b;
}

/* Where a panel's labels go, worked out before anything is drawn so that
 * they can keep out of each other's way.
 */
struct panel_layout {
	struct axis y;
	int n_ok;
	int have_thr;		/* threshold line and label */
	char thr[32];
	double thr_x, thr_y, thr_base;
	int thr_end;		/* label anchored at its end, at the right */
	struct box thr_box;
	int have_trip;		/* trip marker and label */
	int have_trip_v;	/* with a dot and the value */
	char trip_t[32], trip_v[32];
	double trip_x, trip_y, trip_base;
	int trip_end;		/* label anchored at its end, left of the line */
	struct box trip_box;
};

static void layout_panel(const struct fl_tl_series *s, const struct axis *t,
			 struct panel_layout *l)
{
	const char *op = s->op ? s->op : "?";
	double w;
	int i, n;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < s->n; i++)
		l->n_ok += sample_ok(s, i);
	value_axis(s, &l->y);

	/* Threshold: labelled at the left above its line, or below it when
	 * the line runs along the top.
	 */
	l->have_thr = value_ok(s->threshold);
	fmt_value(l->thr, sizeof(l->thr), s->threshold);
	if (l->have_thr) {
		l->thr_y = map(&l->y, s->threshold);
		l->thr_base = l->thr_y - 5 < TL_PLOT_Y0 + 12 ? l->thr_y + 14 :
							      l->thr_y - 5;
		w = text_w(11 + text_cp(op, 4) + (int)strlen(l->thr), 11);
		l->thr_x = TL_PLOT_X0 + 6;
		l->thr_box = label_box(l->thr_x, l->thr_base, w, 0);
		/* Out of the trip line's way: to the right end instead. */
		if (s->tripped && value_ok(s->trip_t_s) &&
		    fabs(map(t, s->trip_t_s) - (l->thr_box.x0 + w / 2)) <
		    w / 2 + 8) {
			l->thr_end = 1;
			l->thr_x = TL_PLOT_X1 - 6;
			l->thr_box = label_box(l->thr_x, l->thr_base, w, 1);
		}
	}

	/* Trip: the label beside the dot, right of the line unless it would
	 * run out of the plot, above the dot unless too near the top, and on
	 * the other side of the dot if it would cover the threshold label.
	 */
	l->have_trip = s->tripped && value_ok(s->trip_t_s);
	if (!l->have_trip)
		return;
	l->have_trip_v = value_ok(s->trip_v);
	fmt_value(l->trip_t, sizeof(l->trip_t), s->trip_t_s);
	fmt_value(l->trip_v, sizeof(l->trip_v), s->trip_v);
	l->trip_x = map(t, s->trip_t_s);
	if (l->have_trip_v) {
		l->trip_y = map(&l->y, s->trip_v);
		n = snprintf(NULL, 0, "tripped: %s  %s at t=%ss", l->trip_v,
			     l->have_thr ? l->thr : "?", l->trip_t) +
		    text_cp(op, 4);
	} else {
		l->trip_y = TL_PLOT_Y0 + 14;
		n = snprintf(NULL, 0, "tripped at t=%ss", l->trip_t);
	}
	w = text_w(n, 11) * TL_BOLD;
	l->trip_end = l->trip_x + 8 + w > TL_PLOT_X1;
	l->trip_base = l->trip_y - 19 < TL_PLOT_Y0 ? l->trip_y + 18 :
						     l->trip_y - 9;
	l->trip_box = label_box(l->trip_end ? l->trip_x - 8 : l->trip_x + 8,
				l->trip_base, w, l->trip_end);
	if (l->have_thr && boxes_overlap(&l->trip_box, &l->thr_box)) {
		l->trip_base = l->trip_base < l->trip_y ? l->trip_y + 18 :
							  l->trip_y - 9;
		if (l->trip_base > TL_PLOT_Y1 - 3)
			l->trip_base = l->trip_y - 9;
		l->trip_box = label_box(l->trip_box.x0, l->trip_base, w, 0);
	}
}

/* The band for the time faults were active, named at its top or bottom,
 * wherever no other label is, or not at all (the legend names it too).
 */
static int samples_in(const struct fl_tl_series *s, const struct axis *t,
		      const struct axis *y, const struct box *b)
{
	double px, py;
	int i, n = 0;

	for (i = 0; i < s->n; i++) {
		if (!sample_ok(s, i))
			continue;
		px = map(t, s->t_s[i]);
		py = map(y, s->v[i]);
		n += px > b->x0 - 4 && px < b->x1 + 4 &&
		     py > b->y0 - 4 && py < b->y1 + 4;
	}
	return n;
}

static void draw_faults(FILE *f, const struct fl_tl *tl,
			const struct fl_tl_series *s, const struct axis *t,
			const struct panel_layout *l)
{
	const double bases[] = { TL_PLOT_Y0 + 12, TL_PLOT_Y1 - 5 };
	double x0, x1, w, lw = text_w(13, 10);
	int i, n, best = -1, best_n = 0;
	struct box b;

	if (!have_faults(tl))
		return;
	x0 = fmax(map(t, tl->fault_start_s), TL_PLOT_X0);
	x1 = fmin(map(t, fault_end(tl, t)), TL_PLOT_X1);
	w = fmax(x1 - x0, 1.5);
	fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		"fill=\"%s\" fill-opacity=\"0.22\"/>\n", x0, TL_PLOT_Y0, w,
		TL_PLOT_Y1 - TL_PLOT_Y0, C_FAULT);
	fprintf(f, "<g stroke=\"%s\" stroke-opacity=\"0.6\">"
		"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>",
		C_FAULT, x0, TL_PLOT_Y0, x0, TL_PLOT_Y1);
	if (x1 < TL_PLOT_X1)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>",
			x0 + w, TL_PLOT_Y0, x0 + w, TL_PLOT_Y1);
	fputs("</g>\n", f);
	if (w < lw + 8)
		return;
	/* Top or bottom: not on a label, and on the fewer samples. */
	for (i = 0; i < 2; i++) {
		b = label_box(x0 + (w - lw) / 2, bases[i], lw, 0);
		if (l->have_thr && boxes_overlap(&b, &l->thr_box))
			continue;
		if (l->have_trip && boxes_overlap(&b, &l->trip_box))
			continue;
		n = samples_in(s, t, &l->y, &b);
		if (best < 0 || n < best_n) {
			best = i;
			best_n = n;
		}
	}
	if (best >= 0)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
			"fill=\"%s\" text-anchor=\"middle\">faults active</text>\n",
			x0 + w / 2, bases[best], C_FAULT_TEXT);
}

/* A faint tint on the side of the threshold where the condition holds,
 * so which way is bad reads without parsing the operator.
 */
static void draw_bad_side(FILE *f, const struct fl_tl_series *s,
			  const struct panel_layout *l)
{
	double y0, y1;

	if (!l->have_thr || !s->op)
		return;
	if (s->op[0] == '>') {
		y0 = TL_PLOT_Y0;
		y1 = l->thr_y;
	} else if (s->op[0] == '<') {
		y0 = l->thr_y;
		y1 = TL_PLOT_Y1;
	} else {
		return;
	}
	if (y1 - y0 < 0.5)
		return;
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" "
		"fill=\"%s\" fill-opacity=\"0.06\"/>\n", TL_PLOT_X0, y0,
		TL_PLOT_X1 - TL_PLOT_X0, y1 - y0, C_TRIP);
}

static void draw_panel(FILE *f, const struct fl_tl *tl, int idx,
		       const struct axis *t, int top)
{
	const struct fl_tl_series *s = &tl->series[idx];
	const char *op = s->op ? s->op : "?";
	struct panel_layout l;
	double y;

	layout_panel(s, t, &l);
	fprintf(f, "<g transform=\"translate(0,%d)\">\n", top);

	/* Title line: name, signal and rule; the outcome on the right. */
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"13\" fill=\"%s\">"
		"<tspan font-weight=\"bold\">", TL_PLOT_X0, C_TEXT);
	xml_text(f, s->name, TL_NAME_CP);
	fprintf(f, "</tspan><tspan dx=\"8\" fill=\"%s\">\xe2\x80\x94 ",
		C_MUTED);
	xml_text(f, s->signal, TL_SIGNAL_CP);
	fputc(' ', f);
	xml_text(f, op, 4);
	fprintf(f, " %s</tspan></text>\n",
		l.have_thr ? l.thr : "(no threshold)");
	if (l.have_trip)
		fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"13\" "
			"font-weight=\"bold\" fill=\"%s\" text-anchor=\"end\">"
			"TRIPPED at %s s</text>\n", TL_PLOT_X1, C_TRIP,
			l.trip_t);
	else
		fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"13\" "
			"fill=\"%s\" text-anchor=\"end\">%s</text>\n",
			TL_PLOT_X1, C_MUTED,
			s->tripped ? "TRIPPED" : "not tripped");

	/* Plot area: background, faults, grid, frame. */
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"#ffffff\"/>\n", TL_PLOT_X0, TL_PLOT_Y0,
		TL_PLOT_X1 - TL_PLOT_X0, TL_PLOT_Y1 - TL_PLOT_Y0);
	draw_bad_side(f, s, &l);
	draw_faults(f, tl, s, t, &l);
	draw_grid(f, t, &l.y);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"%s\"/>\n", TL_PLOT_X0, TL_PLOT_Y0,
		TL_PLOT_X1 - TL_PLOT_X0, TL_PLOT_Y1 - TL_PLOT_Y0, C_FRAME);

	/* Y axis label: the signal, along the axis. */
	fprintf(f, "<text transform=\"translate(16,%d) rotate(-90)\" "
		"font-size=\"11\" fill=\"%s\" text-anchor=\"middle\">",
		(TL_PLOT_Y0 + TL_PLOT_Y1) / 2, C_MUTED);
	xml_text(f, s->signal, 26);
	fputs("</text>\n", f);

	if (l.have_thr) {
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"%s\" stroke-width=\"1.5\" "
			"stroke-dasharray=\"6 4\"/>\n", TL_PLOT_X0, l.thr_y,
			TL_PLOT_X1, l.thr_y, C_THRESH);
	}

	if (l.n_ok) {
		draw_signal(f, s, t, &l.y, l.n_ok);
	} else {
		/* In the middle, unless the threshold runs there. */
		y = (TL_PLOT_Y0 + TL_PLOT_Y1) / 2 + 5;
		if (l.have_thr && fabs(y - 5 - l.thr_y) < 16)
			y += l.thr_y > y - 5 ? -28 : 28;
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"14\" "
			"font-style=\"italic\" fill=\"%s\" "
			"text-anchor=\"middle\" " HALO ">no samples</text>\n",
			(TL_PLOT_X0 + TL_PLOT_X1) / 2, y, C_MUTED);
	}

	/* Trip: a line at its time and a dot at its value. */
	if (l.have_trip) {
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"%s\" stroke-width=\"1.5\"/>\n", l.trip_x,
			TL_PLOT_Y0, l.trip_x, TL_PLOT_Y1, C_TRIP);
		if (l.have_trip_v)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
				"fill=\"%s\" stroke=\"#ffffff\" "
				"stroke-width=\"1.5\"/>\n", l.trip_x, l.trip_y,
				C_TRIP);
	}

	/* Labels last, over the lines. */
	if (l.have_thr) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"fill=\"%s\" text-anchor=\"%s\" " HALO ">threshold ",
			l.thr_x, l.thr_base, C_THRESH,
			l.thr_end ? "end" : "start");
		xml_text(f, op, 4);
		fprintf(f, " %s</text>\n", l.thr);
	}
	if (l.have_trip) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"font-weight=\"bold\" fill=\"%s\" text-anchor=\"%s\" "
			HALO ">", l.trip_end ? l.trip_x - 8 : l.trip_x + 8,
			l.trip_base, C_TRIP, l.trip_end ? "end" : "start");
		if (l.have_trip_v) {
			fprintf(f, "tripped: %s ", l.trip_v);
			xml_text(f, op, 4);
			fprintf(f, " %s at t=%ss", l.have_thr ? l.thr : "?",
				l.trip_t);
		} else {
			fprintf(f, "tripped at t=%ss", l.trip_t);
		}
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

int fl_timeline_write_svg(FILE *out, const struct fl_tl *tl)
{
	char sum[192];
	struct axis t;
	int i, h, top, body;

	if (!out || !tl || tl->n_series < 0 || (tl->n_series && !tl->series))
		return -EINVAL;
	for (i = 0; i < tl->n_series; i++)
		if (tl->series[i].n < 0 ||
		    (tl->series[i].n && (!tl->series[i].t_s ||
					 !tl->series[i].v)))
			return -EINVAL;

	time_axis(tl, &t);
	summary(sum, sizeof(sum), tl, &t);
	top = header_height(sum);
	body = tl->n_series ? tl->n_series * TL_PANEL_H : TL_EMPTY_H;
	h = top + body + TL_FOOTER_H;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"%s\">\n", TL_W, h, TL_W, h, FONT);
	fputs("<title>", out);
	xml_text(out, tl->title, 200);
	fputs(" \xe2\x80\x94 timeline</title>\n", out);
	fprintf(out, "<defs><clipPath id=\"plot\"><rect x=\"%d\" y=\"%d\" "
		"width=\"%d\" height=\"%d\"/></clipPath></defs>\n", TL_PLOT_X0,
		TL_PLOT_Y0, TL_PLOT_X1 - TL_PLOT_X0, TL_PLOT_Y1 - TL_PLOT_Y0);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n",
		TL_W, h);

	draw_header(out, tl, sum);
	for (i = 0; i < tl->n_series; i++)
		draw_panel(out, tl, i, &t, top + i * TL_PANEL_H);
	if (!tl->n_series)
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" "
			"font-style=\"italic\" fill=\"%s\" "
			"text-anchor=\"middle\">no conditions to plot</text>\n",
			TL_W / 2, top + TL_EMPTY_H / 2, C_MUTED);
	else
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
			"fill=\"%s\" text-anchor=\"middle\">"
			"time since experiment start (s)</text>\n",
			(TL_PLOT_X0 + TL_PLOT_X1) / 2, top + body + 4, C_MUTED);
	fputs("</svg>\n", out);

	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}

int fl_timeline_save(const char *path, const struct fl_tl *tl)
{
	size_t len;
	char *tmp;
	FILE *f;
	int fd, err;

	if (!path || !*path || !tl)
		return -EINVAL;
	len = strlen(path) + sizeof(".XXXXXX");
	tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	if (fchmod(fd, 0644)) {
		err = -errno;
		goto fail_fd;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		goto fail_fd;
	}
	err = fl_timeline_write_svg(f, tl);
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;

fail_fd:
	close(fd);
	unlink(tmp);
	free(tmp);
	return err;
}
