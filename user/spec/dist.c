// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Delay distribution tables. The datapath picks an entry with 12 random
 * bits, so each table is FL_DIST_SIZE equally likely quantiles.
 *
 * normal        the standard normal, inverted by bisection on erfc()
 * pareto        Pareto with shape 3 (finite variance, heavy right tail):
 *               X = (1 - p)^(-1/3), standardised with mean 3/2 and
 *               standard deviation sqrt(3)/2
 * paretonormal  a quarter normal plus three quarters Pareto, as a sum of
 *               independent draws; no closed form, so its quantiles come
 *               from a large deterministic sample
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"

#define FL_MIX_SAMPLES	(1 << 18)

static double fl_normal_cdf(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

static double fl_normal_quantile(double p)
{
	double lo = -40.0, hi = 40.0;
	int i;

	for (i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;

		if (fl_normal_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static double fl_pareto_quantile(double p)
{
	return (pow(1.0 - p, -1.0 / 3.0) - 1.5) / (sqrt(3.0) / 2.0);
}

/* splitmix64: a fixed seed makes the table the same on every run */
static __u64 fl_mix_next(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double fl_mix_unit(__u64 *s)
{
	return ((fl_mix_next(s) >> 11) + 0.5) / 9007199254740992.0;	/* (0, 1) */
}

static int fl_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int fl_paretonormal(double *z)
{
	__u64 seed = 0xfa17fa17ULL;
	double *v;
	int i;

	v = malloc(sizeof(*v) * FL_MIX_SAMPLES);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < FL_MIX_SAMPLES; i++) {
		/* Box-Muller for the normal draw: bisection per sample is slow */
		double u1 = fl_mix_unit(&seed), u2 = fl_mix_unit(&seed);
		double n = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		double p = fl_pareto_quantile(fl_mix_unit(&seed));

		v[i] = 0.25 * n + 0.75 * p;
	}
	qsort(v, FL_MIX_SAMPLES, sizeof(*v), fl_cmp_double);
	for (i = 0; i < FL_DIST_SIZE; i++)
		z[i] = v[(size_t)(((double)i + 0.5) / FL_DIST_SIZE * FL_MIX_SAMPLES)];
	free(v);
	return 0;
}

/* Over FL_DIST_SIZE quantiles the tails are cut, so the table's own
 * spread is below the formula's; standardise the table itself so that
 * "jitter" is the standard deviation the datapath really produces.
 */
static void fl_standardise(const double *z, __s32 *table)
{
	double mean = 0, var = 0, sd;
	int i;

	for (i = 0; i < FL_DIST_SIZE; i++)
		mean += z[i];
	mean /= FL_DIST_SIZE;
	for (i = 0; i < FL_DIST_SIZE; i++)
		var += (z[i] - mean) * (z[i] - mean);
	sd = sqrt(var / FL_DIST_SIZE);
	for (i = 0; i < FL_DIST_SIZE; i++)
		table[i] = (__s32)lround((z[i] - mean) / sd * FL_DIST_SCALE);
}

int fl_dist_table(enum fl_dist dist, __s32 *table)
{
	double z[FL_DIST_SIZE];
	int i, err;

	switch (dist) {
	case FL_DIST_NORMAL:
	case FL_DIST_PARETO:
		for (i = 0; i < FL_DIST_SIZE; i++) {
			double p = ((double)i + 0.5) / FL_DIST_SIZE;

			z[i] = dist == FL_DIST_NORMAL ? fl_normal_quantile(p) : fl_pareto_quantile(p);
		}
		break;
	case FL_DIST_PARETONORMAL:
		err = fl_paretonormal(z);
		if (err)
			return err;
		break;
	case FL_DIST_UNIFORM:
		memset(table, 0, sizeof(*table) * FL_DIST_SIZE);
		return 0;
	default:
		return -EINVAL;
	}
	fl_standardise(z, table);
	return 0;
}
