// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline cleanup`: remove whatever faultline left in the kernel, in
 * any namespace: links, legacy clsact filters and the clsact qdiscs it
 * created, pins. It recognises its own by program name prefix and by the
 * filter handle and priority, so it never touches anything else.
 * `--netns PATH` narrows it to one namespace, so that a test or a pod's
 * owner can clean up there while runs elsewhere go on. Root cleans every
 * uid's runs; another uid (with the four capabilities) only its own: the
 * programs it loaded and its own run state, since it cannot see another
 * uid's lock and would take an active run's filters away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "attach.h"
#include "caps.h"
#include "commands.h"
#include "log.h"
#include "netns.h"
#include "qdisc.h"
#include "state.h"

#define FL_PIN_DIR	"/sys/fs/bpf/faultline"

#define FL_CLEANUP_MAX_LOCKS	64

struct fl_cleanup_counts {
	int links;
	int filters;
	int qdiscs;
	int pins;
	int errors;
};

/* faultline's program, and one this uid may remove: root any, another
 * uid those it loaded
 */
static bool fl_cleanup_mine(__u32 prog_id)
{
	uid_t by = 0;

	if (!fl_prog_id_is_ours_by(prog_id, &by))
		return false;
	return geteuid() == 0 || by == getuid();
}

static void fl_cleanup_links(struct fl_cleanup_counts *c)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && fl_cleanup_mine(info.prog_id)) {
			if (bpf_link_detach(fd)) {
				fprintf(stderr, "faultline cleanup: detaching link %u failed: %s\n", id,
					strerror(errno));
				c->errors++;
			} else {
				c->links++;
			}
		}
		close(fd);
	}
}

static void fl_cleanup_filters_here(struct fl_cleanup_counts *c)
{
	struct if_nameindex *ifs, *it;
	int p;

	ifs = if_nameindex();
	if (!ifs)
		return;
	for (it = ifs; it->if_index; it++) {
		for (p = 0; p < 2; p++) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = it->if_index,
				    .attach_point = p ? BPF_TC_EGRESS : BPF_TC_INGRESS);
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FL_TC_HANDLE, .priority = FL_TC_PRIO);

			if (bpf_tc_query(&hook, &opts) || !fl_cleanup_mine(opts.prog_id))
				continue;
			opts.prog_id = 0;
			opts.prog_fd = 0;
			opts.flags = 0;
			if (bpf_tc_detach(&hook, &opts)) {
				fprintf(stderr, "faultline cleanup: removing the filter on %s failed\n",
					it->if_name);
				c->errors++;
			} else {
				c->filters++;
			}
		}
	}
	if_freenameindex(ifs);
}

struct fl_stale_ctx {
	struct fl_netns *all;
	int n;
	struct fl_cleanup_counts *c;
};

static int fl_cleanup_stale_clsact(ino_t ino, dev_t dev, int ifindex, const char *ifname, void *vctx)
{
	struct fl_stale_ctx *ctx = vctx;
	int i, saved = -1;

	for (i = 0; i < ctx->n; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		char name[IF_NAMESIZE];

		if (ctx->all[i].ino != ino || ctx->all[i].dev != dev)
			continue;
		if (fl_netns_enter(&ctx->all[i], &saved))
			return 0;
		/* the same device still: an ifindex may have been reused */
		if (if_indextoname(ifindex, name) && !strcmp(name, ifname) &&
		    !bpf_tc_hook_destroy(&hook))
			ctx->c->qdiscs++;
		fl_netns_restore(saved);
		return 0;
	}
	return 0;
}

/* Put back a root qdisc that a run that is gone had replaced with fq. */
static int fl_cleanup_stale_qdisc(ino_t ino, dev_t dev, const char *ifname,
				  struct fl_qdisc_saved *saved, void *vctx)
{
	struct fl_stale_ctx *ctx = vctx;
	struct fl_qdisc_saved now;
	char name[IF_NAMESIZE];
	int i, saved_ns = -1;

	for (i = 0; i < ctx->n; i++) {
		if (ctx->all[i].ino != ino || ctx->all[i].dev != dev)
			continue;
		if (fl_netns_enter(&ctx->all[i], &saved_ns))
			return 0;
		/* only if the device is the same and fq is still in place */
		if (if_indextoname(saved->ifindex, name) && !strcmp(name, ifname) &&
		    !fl_qdisc_get_root(saved->ifindex, &now) &&
		    (!strcmp(now.kind, "fq") || (!strcmp(now.kind, "mq") && now.handle == FL_MQ_HANDLE))) {
			if (fl_qdisc_restore(saved)) {
				fprintf(stderr, "faultline cleanup: restoring the %s root qdisc of %s failed\n",
					saved->kind, ifname);
				ctx->c->errors++;
			} else {
				ctx->c->qdiscs++;
			}
		}
		fl_netns_restore(saved_ns);
		return 0;
	}
	return 0;
}

static bool fl_cleanup_in_scope(ino_t ino, dev_t dev, void *vctx)
{
	struct fl_stale_ctx *ctx = vctx;
	int i;

	for (i = 0; i < ctx->n; i++)
		if (ctx->all[i].ino == ino && ctx->all[i].dev == dev)
			return true;
	return false;
}

struct fl_cleanup_locks {
	int fd[FL_CLEANUP_MAX_LOCKS];
	int n;
	bool busy;
};

/* Root's cleanup also holds every other uid's lock, so that it neither
 * takes an active non-root run's links and filters nor races one that
 * starts; a directory root cannot open (no CAP_DAC_OVERRIDE) is passed.
 */
static int fl_cleanup_lock_other(const char *dir, void *vctx)
{
	struct fl_cleanup_locks *l = vctx;
	int fd, ret;

	if (!strcmp(dir, fl_state_dir() ?: "") || l->n == FL_CLEANUP_MAX_LOCKS)
		return 0;
	ret = fl_state_lock_dir(dir, true, &fd);
	if (ret == -EWOULDBLOCK)
		l->busy = true;
	else if (ret)
		fprintf(stderr, "faultline cleanup: taking the lock in %s failed: %s; its runs are not waited for\n",
			dir, strerror(-ret));
	else if (fd >= 0)
		l->fd[l->n++] = fd;
	return 0;
}

static int fl_cleanup_unpin(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int fl_cmd_cleanup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct fl_netns all[256];
	struct fl_cleanup_counts c = {};
	struct fl_state_visitor visitor;
	struct fl_stale_ctx sctx;
	const char *scope = NULL;
	struct fl_cleanup_locks locks = {};
	bool json = false, force = false;
	int lock_fd = -1, n = 0, i, ret, code = FL_EXIT_OK;
	char err[512];

	optind = 1;
	opterr = 0;
	while ((i = getopt_long(argc, argv, "jfn:h", opts, NULL)) != -1) {
		switch (i) {
		case 'j':
			json = true;
			break;
		case 'f':
			force = true;
			break;
		case 'n':
			scope = optarg;
			break;
		case 'h':
			printf("Usage: faultline cleanup [--netns PATH] [--force] [--json]\n\n"
			       "Remove everything faultline left in the kernel, in every network\n"
			       "namespace. Safe to run any number of times. Refuses while a faultline\n"
			       "run is active, unless --force.\n\n"
			       "  --netns PATH  only the namespace at PATH (/run/netns/NAME,\n"
			       "                /proc/PID/ns/net): faultline's filters there, and the\n"
			       "                qdiscs that runs which are gone left there. Runs\n"
			       "                elsewhere do not block it: stop those in PATH first.\n"
			       "                Links and pins are left alone (a link goes with the\n"
			       "                process that holds it).\n\n"
			       "Root cleans every uid's runs. Another uid (with CAP_BPF, CAP_NET_ADMIN,\n"
			       "CAP_PERFMON and CAP_SYS_ADMIN) cleans only its own: the programs it\n"
			       "loaded and its run state ($XDG_RUNTIME_DIR/faultline).\n");
			return FL_EXIT_OK;
		default:
			fprintf(stderr, "faultline cleanup: unknown option '%s'; see 'faultline cleanup --help'\n",
				argv[optind - 1]);
			return FL_EXIT_USAGE;
		}
	}
	/* finding links and programs by id, setns and detaching need the four */
	if (fl_caps_check(err, sizeof(err), NULL, 0)) {
		fprintf(stderr, "faultline cleanup: missing capabilities: %s; " FL_CAPS_HINT "\n", err);
		return FL_EXIT_RUNTIME;
	}
	if (fl_state_dir_ready(err, sizeof(err))) {
		fprintf(stderr, "faultline cleanup: %s\n", err);
		return FL_EXIT_RUNTIME;
	}
	if (scope) {
		ret = fl_netns_open(scope, &all[0]);
		if (ret) {
			fprintf(stderr, "faultline cleanup: cannot open the network namespace %s: %s; give a path such as /run/netns/NAME or /proc/PID/ns/net\n",
				scope, strerror(-ret));
			return FL_EXIT_USAGE;
		}
		n = 1;
	}
	ret = fl_state_lock(true, &lock_fd);
	/* a scoped cleanup does not wait for runs, so it needs none of theirs */
	if (geteuid() == 0 && !scope)
		fl_state_for_each_dir(fl_cleanup_lock_other, &locks);
	if ((ret == -EWOULDBLOCK || locks.busy) && !force && !scope) {
		for (i = 0; i < locks.n; i++)
			fl_state_unlock(locks.fd[i]);
		fprintf(stderr, "faultline cleanup: a faultline run is active; stop it first (it cleans up after itself), use --netns PATH for one namespace, or --force\n");
		return FL_EXIT_RUNTIME;
	}

	if (!scope) {
		fl_cleanup_links(&c);
		ret = fl_netns_all(all, 256, &n);
		if (ret)
			fprintf(stderr, "faultline cleanup: listing network namespaces failed: %s\n",
				strerror(-ret));
	}
	for (i = 0; i < n; i++) {
		int saved = -1;

		if (fl_netns_enter(&all[i], &saved))
			continue;
		fl_cleanup_filters_here(&c);
		fl_netns_restore(saved);
	}
	sctx = (struct fl_stale_ctx){ .all = all, .n = n, .c = &c };
	visitor = (struct fl_state_visitor){
		.clsact = fl_cleanup_stale_clsact,
		.qdisc = fl_cleanup_stale_qdisc,
		.in_scope = scope ? fl_cleanup_in_scope : NULL,
		.ctx = &sctx,
	};
	fl_state_for_each_stale(&visitor);
	/* the pins are the agent's, and the agent is root's */
	if (!scope && geteuid() == 0 && !access(FL_PIN_DIR, F_OK)) {
		if (nftw(FL_PIN_DIR, fl_cleanup_unpin, 16, FTW_DEPTH | FTW_PHYS))
			c.errors++;
		else
			c.pins++;
	}
	for (i = 0; i < n; i++)
		fl_netns_close(&all[i]);
	fl_state_unlock(lock_fd);
	for (i = 0; i < locks.n; i++)
		fl_state_unlock(locks.fd[i]);

	if (c.errors)
		code = FL_EXIT_RUNTIME;
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "links", json_object_new_int(c.links));
		json_object_object_add(o, "filters", json_object_new_int(c.filters));
		json_object_object_add(o, "qdiscs", json_object_new_int(c.qdiscs));
		json_object_object_add(o, "pins", json_object_new_int(c.pins));
		json_object_object_add(o, "errors", json_object_new_int(c.errors));
		printf("%s\n", json_object_to_json_string(o));
		json_object_put(o);
	} else {
		printf("faultline cleanup: removed %d link%s, %d filter%s, %d qdisc%s, %d pin dir%s%s\n",
		       c.links, c.links == 1 ? "" : "s", c.filters, c.filters == 1 ? "" : "s",
		       c.qdiscs, c.qdiscs == 1 ? "" : "s", c.pins, c.pins == 1 ? "" : "s",
		       c.errors ? "; some removals failed, see above" : "");
	}
	return code;
}
