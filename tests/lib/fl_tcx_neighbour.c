// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A tcx neighbour for tests/selftests/neighbours.sh, since Debian's
 * bpftool 7.1 can neither make nor list tcx links:
 *
 *   fl_tcx_neighbour attach OBJ NETNS IFACE ingress|egress
 *	loads OBJ's first program, links it at the tail of IFACE's tcx chain
 *	in network namespace NETNS (a path), prints "prog_id=N map_id=M" on
 *	stdout and holds the link until SIGTERM or SIGINT, from its own
 *	namespace: a process of its own in NETNS would make the namespace
 *	shared in faultline's eyes;
 *   fl_tcx_neighbour query IFACE ingress|egress
 *	prints the ids of the programs on that chain, first to run first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"

static volatile sig_atomic_t nb_stop;

static void nb_on_signal(int sig)
{
	(void)sig;
	nb_stop = 1;
}

static int nb_usage(void)
{
	fprintf(stderr, "usage: fl_tcx_neighbour attach OBJ NETNS IFACE ingress|egress\n"
			"       fl_tcx_neighbour query IFACE ingress|egress\n");
	return 2;
}

static int nb_query(int ifindex, int type)
{
	__u32 ids[64], i;
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = 64);

	if (bpf_prog_query_opts(ifindex, type, &q)) {
		fprintf(stderr, "fl_tcx_neighbour: query failed: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < q.prog_cnt; i++)
		printf("%s%u", i ? " " : "", ids[i]);
	printf("\n");
	return 0;
}

static int nb_attach(const char *path, const char *netns, const char *ifname, int type)
{
	int nsfd = -1, self = -1, ifindex = 0;
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo), map_id = 0;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct sigaction sa = {};
	int link = -1, ret = 1;
	__u32 maps[1];

	obj = bpf_object__open_file(path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "fl_tcx_neighbour: loading %s failed\n", path);
		goto cleanup;
	}
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	nsfd = open(netns, O_RDONLY | O_CLOEXEC);
	if (self < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
		fprintf(stderr, "fl_tcx_neighbour: entering %s failed: %s\n", netns, strerror(errno));
		goto cleanup;
	}
	ifindex = if_nametoindex(ifname);
	prog = bpf_object__next_program(obj, NULL);
	link = prog && ifindex ? bpf_link_create(bpf_program__fd(prog), ifindex, type, NULL) : -1;
	if (setns(self, CLONE_NEWNET)) {
		fprintf(stderr, "fl_tcx_neighbour: returning from %s failed: %s\n", netns,
			strerror(errno));
		goto cleanup;
	}
	if (link < 0) {
		fprintf(stderr, "fl_tcx_neighbour: bpf_link_create failed: %s\n", strerror(errno));
		goto cleanup;
	}
	pinfo.nr_map_ids = 1;
	pinfo.map_ids = (__u64)(unsigned long)maps;
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pinfo, &len) && pinfo.nr_map_ids)
		map_id = maps[0];
	sa.sa_handler = nb_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("prog_id=%u map_id=%u\n", pinfo.id, map_id);
	fflush(stdout);
	while (!nb_stop)
		pause();
	ret = 0;
cleanup:
	if (link >= 0)
		close(link);
	if (nsfd >= 0)
		close(nsfd);
	if (self >= 0)
		close(self);
	bpf_object__close(obj);
	return ret;
}

int main(int argc, char **argv)
{
	int type, ifindex;
	const char *dir;

	if (argc < 4)
		return nb_usage();
	dir = argv[argc - 1];
	if (!strcmp(dir, "ingress"))
		type = FL_BPF_TCX_INGRESS;
	else if (!strcmp(dir, "egress"))
		type = FL_BPF_TCX_EGRESS;
	else
		return nb_usage();
	if (!strcmp(argv[1], "attach") && argc == 6)
		return nb_attach(argv[2], argv[3], argv[4], type);
	ifindex = if_nametoindex(argv[argc - 2]);
	if (!ifindex) {
		fprintf(stderr, "fl_tcx_neighbour: no interface %s\n", argv[argc - 2]);
		return 1;
	}
	if (!strcmp(argv[1], "query") && argc == 4)
		return nb_query(ifindex, type);
	return nb_usage();
}
