/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every fuzz target shares: the libFuzzer entry point's signature,
 * inputs copied to buffers of their exact size (so that ASan sees a read
 * past the end), and invariant checks that abort, which libFuzzer and the
 * corpus replay report as a crash with the input that caused it.
 */
#ifndef FL_FUZZ_H
#define FL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* The input as a C string: a copy of exactly size + 1 bytes. */
static inline char *fz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* An error message a failing call left: set, terminated, not empty. */
static inline void fz_check_err(const char *err, size_t len)
{
	FZ_CHECK(memchr(err, 0, len) != NULL);
	FZ_CHECK(err[0] != 0);
}

/* The same, for a message that quotes what a file, a client or a server
 * sent: printable, so it stays one line on a terminal.
 */
static inline void fz_check_err_printable(const char *err, size_t len)
{
	const char *p;

	fz_check_err(err, len);
	for (p = err; *p; p++)
		FZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* warnings only: the targets run millions of inputs */
static inline void fz_quiet(void)
{
	fl_log_set_level(FL_LOG_WARN);
}

#endif /* FL_FUZZ_H */
