// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one result's states and lifetime (see result.h). */
#include <stdlib.h>
#include <string.h>

#include "result.h"

const char *fl_state_name(enum fl_state s)
{
	switch (s) {
	case FL_STATE_PENDING:
		return "Pending";
	case FL_STATE_STARTED:
		return "Started";
	case FL_STATE_SUCCEEDED:
		return "Succeeded";
	case FL_STATE_FAILED:
		return "Failed";
	case FL_STATE_ABORTED:
		return "Aborted";
	case FL_STATE_ERROR:
		return "Error";
	}
	return "Error";
}

int fl_state_exit_code(enum fl_state s)
{
	switch (s) {
	case FL_STATE_SUCCEEDED:
		return 0;
	case FL_STATE_FAILED:
		return 1;
	case FL_STATE_ABORTED:
		return 130;
	default:
		return 3;
	}
}

void fl_result_free(struct fl_result *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; r->conds && i < r->n_conds; i++) {
		free(r->conds[i].c.prom_url);
		free(r->conds[i].c.prom_query);
		free(r->conds[i].t_s);
		free(r->conds[i].v);
	}
	free(r->conds);
	free(r->att);
	free(r->targets);
	free(r->faults);
	free(r->probes);
	free(r->shared);
	memset(r, 0, sizeof(*r));
}
