// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fuzz target: Prometheus instant query answers (fl_prom_parse), what a
 * prometheus failure condition reads from a server the user names. An
 * answer gives a number or is refused with a message.
 */
#include <errno.h>
#include <math.h>

#include "fuzz.h"
#include "prom.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *body;
	double v = 0;
	int ret;

	if (size > 256 * 1024)
		return -1;
	body = fz_str(data, size);
	err[0] = 0;
	ret = fl_prom_parse(body, &v, err, sizeof(err));
	free(body);
	if (ret) {
		FZ_CHECK(ret < 0);
		fz_check_err(err, sizeof(err));
	}
	return 0;
}
