// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The verifier's walk of each entry point stays within a budget: a
 * quarter of its 1,000,000-instruction limit. Each program is verified
 * at every arm, and under the VMs' emulation a walk of 350,000
 * instructions took 2.4 s per program on 6.1 (session 8): a rule's
 * action verified once per rule, or a helper inlined at a dozen call
 * sites, multiplies the walk long before it hits the limit. Prints each
 * program's instructions processed, states and time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "faultline.h"
#include "faultline.skel.h"
#include "tap.h"

#define BUDGET		250000	/* instructions processed, per program */
#define LOG_SIZE	(1 << 16)

/* The kernel's closing line: "processed N insns (limit ...) ..." */
static long processed(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? strtol(p + strlen("processed "), NULL, 10) : -1;
}

int main(void)
{
	struct faultline_bpf *skel;
	struct bpf_program *prog;
	char (*logs)[LOG_SIZE];
	int i = 0, n = 0, err;

	if (geteuid())
		tap_skip_all("needs root (loading BPF programs)");
	tap_header();
	skel = faultline_bpf__open();
	if (!skel) {
		printf("Bail out! opening the skeleton failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
		n++;
	logs = calloc(n, sizeof(*logs));
	if (!logs) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	/* level 4: the statistics only, whatever the program's size */
	bpf_object__for_each_program(prog, skel->obj) {
		bpf_program__set_log_level(prog, 4);
		bpf_program__set_log_buf(prog, logs[i++], LOG_SIZE);
	}
	err = faultline_bpf__load(skel);
	if (err) {
		printf("Bail out! loading every entry point failed: %s\n", strerror(-err));
		return 1;
	}
	i = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		const char *log = logs[i++];
		const char *stats = strstr(log, "processed ");
		long insns = processed(log);

		tap_begin("%s: the verifier processed %ld instructions, within %d", bpf_program__name(prog),
			  insns, BUDGET);
		if (stats)
			tap_diag("%s: %.*s", bpf_program__name(prog), (int)strcspn(stats, "\n"), stats);
		TAP_TRUE(insns >= 0, "no statistics in the verifier's log");
		TAP_TRUE(insns <= BUDGET, "%ld instructions: over the budget", insns);
		tap_end();
	}
	faultline_bpf__destroy(skel);
	free(logs);
	return tap_done();
}
