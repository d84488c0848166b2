// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fuzz target: kubeconfig files (fl_k8s_cfg_parse), the agent's way to
 * the API outside a pod. A config that parses names a server without a
 * trailing slash; inline certificates and keys are base64-decoded.
 */
#include <errno.h>

#include "fuzz.h"
#include "kubeconfig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_k8s_cfg c;
	char err[1024];
	size_t n;
	char *text;
	int ret;

	if (size > 256 * 1024)
		return -1;
	text = malloc(size ? size : 1);
	FZ_CHECK(text);
	memcpy(text, data, size);
	err[0] = 0;
	ret = fl_k8s_cfg_parse("fuzz.kubeconfig", text, size, &c, err, sizeof(err));
	free(text);
	if (ret) {
		if (ret != -ENOMEM)
			fz_check_err_printable(err, sizeof(err));
		return 0;
	}
	n = strlen(c.server);
	FZ_CHECK(n > 0 && n < sizeof(c.server));
	FZ_CHECK(c.server[n - 1] != '/');
	FZ_CHECK(!c.ca == !c.ca_len || (c.ca && !c.ca_len));
	fl_k8s_cfg_free(&c);
	return 0;
}
