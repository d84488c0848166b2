// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A run's pins and its record (see pin.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>

#include "common.h"
#include "log.h"
#include "pin.h"
#include "state.h"

#define FL_PIN_RECORD		"record"
#define FL_PIN_VERSION		1
/* namespaces looked through to find a run's again */
#define FL_PIN_MAX_ALL_NS	512

bool fl_pin_dir_ok(const char *dir)
{
	struct statfs st;

	return !statfs(dir, &st) && st.f_type == BPF_FS_MAGIC;
}

void fl_pin_remove(const char *dir)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		pr_warn("faultline: removing the pin directory %s failed: %s\n", dir,
			strerror(errno));
}

static void fl_pin_add_u64(json_object *o, const char *key, __u64 v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static __u64 fl_pin_get_u64(json_object *o, const char *key)
{
	return (__u64)json_object_get_int64(json_object_object_get(o, key));
}

static const char *fl_pin_get_str(json_object *o, const char *key)
{
	const char *s = json_object_get_string(json_object_object_get(o, key));

	return s ? s : "";
}

static json_object *fl_pin_hex(const unsigned char *b, size_t len)
{
	char *s = malloc(len * 2 + 1);
	json_object *o;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	s[2 * len] = 0;
	o = json_object_new_string(s);
	free(s);
	return o;
}

static json_object *fl_pin_run_json(const struct fl_run *run)
{
	json_object *o = json_object_new_object(), *a;
	int i;

	json_object_object_add(o, "tcx", json_object_new_boolean(run->tcx));
	json_object_object_add(o, "ingress", json_object_new_int(run->ingress));
	json_object_object_add(o, "xdp_mode", json_object_new_int(run->xdp_mode));
	a = json_object_new_array();
	for (i = 0; i < run->spec.n_targets; i++) {
		const struct fl_target_spec *t = &run->spec.targets[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "path", json_object_new_string(t->path));
		json_object_object_add(x, "rel", json_object_new_string(t->rel));
		fl_pin_add_u64(x, "cgid", t->cgid);
		fl_pin_add_u64(x, "level", t->level);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "targets", a);
	a = json_object_new_array();
	for (i = 0; i < run->n_ns; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "path", json_object_new_string(run->ns[i].path));
		fl_pin_add_u64(x, "ino", run->ns[i].ino);
		fl_pin_add_u64(x, "dev", run->ns[i].dev);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "netns", a);
	a = json_object_new_array();
	for (i = 0; i < run->n_att; i++) {
		const struct fl_attachment *t = &run->att[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "hook", json_object_new_int(t->hook));
		json_object_object_add(x, "ns", json_object_new_int(t->ns ? (int)(t->ns - run->ns) : -1));
		json_object_object_add(x, "ifindex", json_object_new_int(t->ifindex));
		json_object_object_add(x, "ifname", json_object_new_string(t->ifname));
		json_object_object_add(x, "cgroup", json_object_new_string(t->cgroup));
		json_object_object_add(x, "created_clsact", json_object_new_boolean(t->created_clsact));
		json_object_object_add(x, "link", json_object_new_boolean(t->link_fd >= 0));
		json_object_object_add(x, "attached", json_object_new_boolean(t->attached));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "attachments", a);
	a = json_object_new_array();
	for (i = 0; i < run->n_qd; i++) {
		const struct fl_qdisc_saved *q = &run->qd[i];
		const struct fl_place *p = &run->place[run->qd_place[i]];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "ns", json_object_new_int(p->ns));
		json_object_object_add(x, "ifname", json_object_new_string(p->ifname));
		json_object_object_add(x, "ifindex", json_object_new_int(q->ifindex));
		json_object_object_add(x, "kind", json_object_new_string(q->kind));
		fl_pin_add_u64(x, "handle", q->handle);
		json_object_object_add(x, "is_default", json_object_new_boolean(q->is_default));
		json_object_object_add(x, "installed", json_object_new_boolean(q->installed));
		json_object_object_add(x, "opts", fl_pin_hex(q->opts, q->opts_len));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "qdiscs", a);
	/* this process's records in the state directory, dropped by whoever
	 * takes the run over
	 */
	json_object_object_add(o, "state_pid", json_object_new_int(getpid()));
	fl_pin_add_u64(o, "state_rec", run->rec);
	return o;
}

static int fl_pin_file(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_obj_pin(fd, path))
		return -errno;
	chmod(path, 0600);
	return 0;
}

static int fl_pin_record(const char *dir, json_object *rec)
{
	const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text) + 1, size = (len + 7) & ~(size_t)7;
	__u32 key = 0;
	char *val;
	int fd, err;

	val = calloc(1, size);
	if (!val)
		return -ENOMEM;
	memcpy(val, text, len);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fl_record", sizeof(key), size, 1, NULL);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = bpf_map_update_elem(fd, &key, val, BPF_ANY) ? -errno : 0;
	if (!err)
		err = fl_pin_file(fd, dir, FL_PIN_RECORD);
	close(fd);
cleanup:
	free(val);
	return err;
}

int fl_pin_save(const struct fl_run *run, const char *dir, json_object *job)
{
	json_object *rec = json_object_new_object();
	char name[32];
	int i, err;

	/* a leftover of the same name was dealt with at start: whatever is
	 * here now is stale
	 */
	fl_pin_remove(dir);
	if (mkdir(dir, 0700)) {
		err = -errno;
		pr_warn("faultline: making the pin directory %s failed: %s\n", dir, strerror(-err));
		json_object_put(rec);
		return err;
	}
	err = fl_dp_pin_maps(&run->dp, dir);
	if (err)
		goto cleanup;
	for (i = 0; i < run->n_att; i++) {
		if (run->att[i].link_fd < 0)
			continue;
		snprintf(name, sizeof(name), "link_%d", i);
		err = fl_pin_file(run->att[i].link_fd, dir, name);
		if (err) {
			pr_warn("faultline: pinning the %s link on %s in %s failed: %s\n",
				fl_hook_name(run->att[i].hook), run->att[i].ifname[0] ?
				run->att[i].ifname : run->att[i].cgroup, dir, strerror(-err));
			goto cleanup;
		}
	}
	json_object_object_add(rec, "version", json_object_new_int(FL_PIN_VERSION));
	json_object_object_add(rec, "run", fl_pin_run_json(run));
	json_object_object_add(rec, "job", json_object_get(job));
	err = fl_pin_record(dir, rec);
	if (err)
		pr_warn("faultline: writing the record in %s failed: %s\n", dir, strerror(-err));
cleanup:
	json_object_put(rec);
	if (err)
		fl_pin_remove(dir);
	return err;
}

int fl_pin_read(const char *dir, json_object **rec, char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0;
	char path[PATH_MAX], *val = NULL;
	int fd, ret;

	*rec = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, FL_PIN_RECORD);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		fl_set_err(err, errlen, "opening %s failed: %s", path, strerror(-ret));
		return ret;
	}
	ret = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!ret && (info.type != BPF_MAP_TYPE_ARRAY || !info.value_size))
		ret = -EINVAL;
	if (!ret) {
		val = calloc(1, info.value_size + 1);
		ret = !val ? -ENOMEM : bpf_map_lookup_elem(fd, &key, val) ? -errno : 0;
	}
	if (!ret) {
		*rec = json_tokener_parse(val);
		if (!*rec || json_object_get_int(json_object_object_get(*rec, "version")) !=
			     FL_PIN_VERSION) {
			json_object_put(*rec);
			*rec = NULL;
			ret = -EINVAL;
		}
	}
	if (ret)
		fl_set_err(err, errlen, "reading the record %s failed: %s", path,
			   ret == -EINVAL ? "not a faultline record of this version" : strerror(-ret));
	free(val);
	close(fd);
	return ret;
}

/* The namespaces of the record, found again by inode; a namespace that is
 * gone keeps fd -1 (what was attached in it went with it).
 */
static int fl_pin_open_ns(struct fl_run *run, json_object *list)
{
	struct fl_netns *all;
	int i, k, n = 0, ret;

	all = calloc(FL_PIN_MAX_ALL_NS, sizeof(*all));
	if (!all)
		return -ENOMEM;
	ret = fl_netns_all(all, FL_PIN_MAX_ALL_NS, &n);
	run->n_ns = 0;
	for (i = 0; i < (int)json_object_array_length(list) && i < (int)ARRAY_SIZE(run->ns); i++) {
		json_object *x = json_object_array_get_idx(list, i);
		struct fl_netns *ns = &run->ns[run->n_ns++];

		memset(ns, 0, sizeof(*ns));
		ns->fd = -1;
		ns->ino = fl_pin_get_u64(x, "ino");
		ns->dev = fl_pin_get_u64(x, "dev");
		snprintf(ns->path, sizeof(ns->path), "%s", fl_pin_get_str(x, "path"));
		for (k = 0; k < n; k++) {
			if (all[k].fd < 0 || all[k].ino != ns->ino || all[k].dev != ns->dev)
				continue;
			ns->fd = all[k].fd;
			ns->is_self = all[k].is_self;
			all[k].fd = -1;
			break;
		}
		if (ns->fd < 0)
			pr_info("faultline: network namespace %s (inode %lu) is gone; what was attached there went with it\n",
				ns->path, (unsigned long)ns->ino);
	}
	for (k = 0; k < n; k++)
		fl_netns_close(&all[k]);
	free(all);
	return ret;
}

static void fl_pin_open_att(struct fl_run *run, const char *dir, json_object *list)
{
	int i;

	run->n_att = 0;
	for (i = 0; i < (int)json_object_array_length(list) && i < FL_MAX_ATTACH; i++) {
		json_object *x = json_object_array_get_idx(list, i);
		struct fl_attachment *a = &run->att[run->n_att++];
		int ns = json_object_get_int(json_object_object_get(x, "ns"));
		char path[PATH_MAX];

		memset(a, 0, sizeof(*a));
		a->link_fd = -1;
		a->hook = json_object_get_int(json_object_object_get(x, "hook"));
		a->ns = ns >= 0 && ns < run->n_ns ? &run->ns[ns] : NULL;
		a->ifindex = json_object_get_int(json_object_object_get(x, "ifindex"));
		snprintf(a->ifname, sizeof(a->ifname), "%s", fl_pin_get_str(x, "ifname"));
		snprintf(a->cgroup, sizeof(a->cgroup), "%s", fl_pin_get_str(x, "cgroup"));
		a->created_clsact = json_object_get_boolean(json_object_object_get(x, "created_clsact"));
		if (!json_object_get_boolean(json_object_object_get(x, "attached")))
			continue;
		if (json_object_get_boolean(json_object_object_get(x, "link"))) {
			snprintf(path, sizeof(path), "%s/link_%d", dir, i);
			a->link_fd = bpf_obj_get(path);
			a->attached = a->link_fd >= 0;
			if (!a->attached)
				pr_info("faultline: the %s link on %s is gone (%s: %s)\n",
					fl_hook_name(a->hook), a->ifname[0] ? a->ifname : a->cgroup,
					path, strerror(errno));
			continue;
		}
		/* a legacy filter: removed by handle and priority in its namespace */
		a->attached = a->ns && a->ns->fd >= 0;
	}
}

static int fl_pin_hex_to(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t i, n = strlen(s) / 2;

	if (n > max)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = b;
	}
	*len = n;
	return 0;
}

static void fl_pin_open_qdiscs(struct fl_run *run, json_object *list)
{
	int i;

	run->n_qd = 0;
	run->n_place = 0;
	for (i = 0; i < (int)json_object_array_length(list) && i < FL_MAX_QDISC; i++) {
		json_object *x = json_object_array_get_idx(list, i);
		struct fl_qdisc_saved *q = &run->qd[run->n_qd];
		struct fl_place *p = &run->place[run->n_place];
		int ns = json_object_get_int(json_object_object_get(x, "ns"));

		memset(q, 0, sizeof(*q));
		memset(p, 0, sizeof(*p));
		if (ns < 0 || ns >= run->n_ns)
			continue;
		p->ns = ns;
		p->fq = true;
		snprintf(p->ifname, sizeof(p->ifname), "%s", fl_pin_get_str(x, "ifname"));
		q->ifindex = p->ifindex = json_object_get_int(json_object_object_get(x, "ifindex"));
		snprintf(q->kind, sizeof(q->kind), "%s", fl_pin_get_str(x, "kind"));
		q->handle = fl_pin_get_u64(x, "handle");
		q->is_default = json_object_get_boolean(json_object_object_get(x, "is_default"));
		if (fl_pin_hex_to(fl_pin_get_str(x, "opts"), q->opts, sizeof(q->opts), &q->opts_len))
			q->opts_len = 0;
		/* gone with its namespace: nothing to put back */
		q->installed = json_object_get_boolean(json_object_object_get(x, "installed")) &&
			       run->ns[ns].fd >= 0;
		run->qd_place[run->n_qd++] = run->n_place++;
	}
}

static void fl_pin_open_targets(struct fl_run *run, json_object *list)
{
	int i;

	for (i = 0; i < (int)json_object_array_length(list) && i < FL_SPEC_MAX_TARGETS; i++) {
		json_object *x = json_object_array_get_idx(list, i);
		struct fl_target_spec *t = &run->spec.targets[i];

		snprintf(t->path, sizeof(t->path), "%s", fl_pin_get_str(x, "path"));
		snprintf(t->rel, sizeof(t->rel), "%s", fl_pin_get_str(x, "rel"));
		t->cgid = fl_pin_get_u64(x, "cgid");
		t->level = fl_pin_get_u64(x, "level");
	}
	run->spec.n_targets = i;
}

/* Record what this process holds now, for 'faultline cleanup' after
 * another SIGKILL, and drop the dead process's records.
 */
static void fl_pin_rerecord(struct fl_run *run, json_object *r)
{
	int i;

	run->rec = fl_state_new_record();
	for (i = 0; i < run->n_att; i++) {
		const struct fl_attachment *a = &run->att[i];

		if (a->attached && a->created_clsact && a->ns)
			fl_state_record_clsact(run->rec, a->ns->ino, a->ns->dev, a->ifindex, a->ifname);
	}
	for (i = 0; i < run->n_qd; i++) {
		const struct fl_place *p = &run->place[run->qd_place[i]];

		if (run->qd[i].installed)
			fl_state_record_qdisc(run->rec, run->ns[p->ns].ino, run->ns[p->ns].dev,
					      p->ifname, &run->qd[i]);
	}
	fl_state_forget_of(json_object_get_int(json_object_object_get(r, "state_pid")),
			   (unsigned int)fl_pin_get_u64(r, "state_rec"));
}

int fl_pin_open(struct fl_run *run, const char *dir, json_object *rec, char *err, size_t errlen)
{
	json_object *r = json_object_object_get(rec, "run");
	int ret;

	run->tcx = json_object_get_boolean(json_object_object_get(r, "tcx"));
	run->ingress = json_object_get_int(json_object_object_get(r, "ingress"));
	run->xdp_mode = json_object_get_int(json_object_object_get(r, "xdp_mode"));
	fl_pin_open_targets(run, json_object_object_get(r, "targets"));
	ret = fl_pin_open_ns(run, json_object_object_get(r, "netns"));
	if (ret)
		pr_warn("faultline: listing network namespaces failed: %s; some may be missed\n",
			strerror(-ret));
	fl_pin_open_att(run, dir, json_object_object_get(r, "attachments"));
	fl_pin_open_qdiscs(run, json_object_object_get(r, "qdiscs"));
	fl_pin_rerecord(run, r);
	ret = fl_state_lock(false, &run->lock_fd);
	if (ret) {
		fl_set_err(err, errlen, "locking %s failed: %s; is 'faultline cleanup' running?",
			   fl_state_dir() ?: FL_STATE_DIR, strerror(-ret));
		return ret;
	}
	/* only the tracepoint programs: the packet programs run on in the
	 * kernel, held by their links
	 */
	ret = fl_dp_open_pinned(&run->dp, dir, run->spec.observe ? run->spec.observe_tp : 0);
	if (ret) {
		fl_set_err(err, errlen, "taking back the maps pinned in %s failed: %s", dir,
			   strerror(-ret));
		return ret;
	}
	if (run->spec.observe) {
		ret = fl_dp_attach_observe(&run->dp);
		if (ret) {
			fl_set_err(err, errlen, "attaching the tracepoint programs failed: %s",
				   strerror(-ret));
			return ret;
		}
	}
	return 0;
}
