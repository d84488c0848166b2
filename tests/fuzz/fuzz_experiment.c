// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fuzz target: experiment files (fl_experiment_parse), what `faultline
 * run`, `validate` and the agent read. Any input either parses into an
 * experiment that holds the file format's bounds, or is refused with a
 * message; nothing else (a crash, a leak, undefined behaviour).
 */
#include "fuzz.h"
#include "experiment.h"
#include "fault.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_experiment exp;	/* large: not on the stack */
	char err[1024], msg[256], desc[512];
	const char *field;
	char *text;
	int i, ret;

	if (size > FL_EXP_MAX_FILE_BYTES)
		return -1;
	/* exactly size bytes, no NUL: the parser must honour the length */
	text = malloc(size ? size : 1);
	FZ_CHECK(text);
	memcpy(text, data, size);
	err[0] = 0;
	ret = fl_experiment_parse("fuzz.yaml", text, size, &exp, err, sizeof(err));
	free(text);
	if (ret) {
		FZ_CHECK(ret < 0);
		fz_check_err_printable(err, sizeof(err));
		return 0;
	}
	FZ_CHECK(fl_name_valid(exp.name, strlen(exp.name)));
	FZ_CHECK(exp.duration_ns > 0 && exp.duration_ns <= FL_EXP_MAX_DURATION_NS);
	FZ_CHECK(exp.n_targets >= 1 && exp.n_targets <= FL_EXP_MAX_TARGETS);
	FZ_CHECK(exp.n_faults >= 0 && exp.n_faults <= FL_EXP_MAX_FAULTS);
	FZ_CHECK(exp.n_conditions >= 0 && exp.n_conditions <= FL_EXP_MAX_CONDITIONS);
	FZ_CHECK(exp.n_probes >= 0 && exp.n_probes <= FL_EXP_MAX_PROBES);
	/* one validator: what the file accepted, the fault model accepts */
	for (i = 0; i < exp.n_faults; i++) {
		FZ_CHECK(!fl_fault_check(&exp.faults[i], &field, msg, sizeof(msg)));
		fl_fault_describe(&exp.faults[i], desc, sizeof(desc));
		FZ_CHECK(memchr(desc, 0, sizeof(desc)));
	}
	for (i = 0; i < exp.n_conditions; i++) {
		FZ_CHECK(fl_signal_name(exp.conditions[i].signal));
		FZ_CHECK(fl_cmp_name(exp.conditions[i].cmp));
	}
	err[0] = 0;
	if (fl_experiment_check_local(&exp, err, sizeof(err)))
		fz_check_err_printable(err, sizeof(err));
	fl_experiment_free(&exp);
	fl_experiment_free(&exp);	/* documented as safe to repeat */
	return 0;
}
