/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Delay distribution tables, computed from their formulas. */
#ifndef FL_DIST_H
#define FL_DIST_H

#include "faultline.h"

/* Fill @table (FL_DIST_SIZE entries) with the quantiles of @dist at
 * (i + 0.5) / FL_DIST_SIZE, standardised to mean 0 and standard deviation
 * 1, times FL_DIST_SCALE. Uniform has no table (the datapath computes it).
 */
int fl_dist_table(enum fl_dist dist, __s32 *table);

#endif /* FL_DIST_H */
