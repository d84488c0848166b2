// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loading the datapath object and filling its maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "dist.h"
#include "faultline.skel.h"
#include "log.h"

static struct bpf_program *fl_dp_prog(const struct faultline_bpf *skel, enum fl_prog prog)
{
	switch (prog) {
	case FL_PROG_XDP_IN:
		return skel->progs.fl_xdp_in;
	case FL_PROG_TC_IN:
		return skel->progs.fl_tc_in;
	case FL_PROG_TCX_EG:
		return skel->progs.fl_tcx_eg;
	case FL_PROG_CLS_EG:
		return skel->progs.fl_cls_eg;
	case FL_PROG_CG_IN:
		return skel->progs.fl_cg_in;
	case FL_PROG_TCX_PIN:
		return skel->progs.fl_tcx_pin;
	case FL_PROG_CLS_PIN:
		return skel->progs.fl_cls_pin;
	case FL_PROG_TP_RETX:
		return skel->progs.fl_tp_retx;
	case FL_PROG_TP_RST_TX:
		return skel->progs.fl_tp_rst_tx;
	case FL_PROG_TP_RST_RX:
		return skel->progs.fl_tp_rst_rx;
	case FL_PROG_TP_STATE:
		return skel->progs.fl_tp_state;
	case FL_PROG_TP_RTT:
		return skel->progs.fl_tp_rtt;
	case FL_PROG_SOCK_WATCH:
		return skel->progs.fl_sock_watch;
	default:
		return NULL;
	}
}

/* FAULTLINE_RINGBUF_KB, for tests: the ring buffer's size in KiB instead of
 * FL_RINGBUF_BYTES, so a test can make it small enough to overflow. Rounded
 * up to a power of two, at least one page and at most 1 GiB, as the kernel
 * wants a ring buffer's size. 0 keeps the default.
 */
static __u32 fl_dp_ringbuf_bytes(void)
{
	const char *v = getenv("FAULTLINE_RINGBUF_KB");
	unsigned long long kb, bytes = 1, page = (unsigned long long)sysconf(_SC_PAGESIZE);
	char *end;

	if (!v || !*v)
		return 0;
	errno = 0;
	kb = strtoull(v, &end, 10);
	if (errno || *end || kb > (1ULL << 20)) {
		pr_warn("faultline: ignoring FAULTLINE_RINGBUF_KB='%s': expected KiB, at most 1048576\n", v);
		return 0;
	}
	if (!kb)
		return 0;
	while (bytes < kb * 1024 || bytes < page)
		bytes <<= 1;
	return (__u32)bytes;
}

/* The map @map pinned under @dir: "map_NAME", a '.' (".bss") spelled '_':
 * bpffs refuses names with a dot.
 */
static void fl_dp_map_pin_path(const struct bpf_map *map, const char *dir, char *buf, size_t len)
{
	char *p;
	int n;

	n = snprintf(buf, len, "%s/map_", dir);
	snprintf(buf + n, len - n, "%s", bpf_map__name(map));
	for (p = buf + n; *p; p++)
		if (*p == '.')
			*p = '_';
}

/* Every map takes the descriptor of its pin under @dir: the object then
 * creates nothing and its programs share the pinned run's state.
 */
static int fl_dp_reuse_pinned(struct fl_datapath *dp, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err, fd;

	bpf_object__for_each_map(map, dp->skel->obj) {
		fl_dp_map_pin_path(map, dir, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			pr_warn("faultline: opening the pinned map %s failed: %s\n", path,
				strerror(-err));
			return err;
		}
		err = bpf_map__reuse_fd(map, fd);
		close(fd);	/* reuse_fd holds its own duplicate */
		if (err) {
			pr_warn("faultline: taking over the pinned map %s failed: %s\n", path,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

int fl_dp_pin_maps(const struct fl_datapath *dp, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;

	bpf_object__for_each_map(map, dp->skel->obj) {
		fl_dp_map_pin_path(map, dir, path, sizeof(path));
		if (bpf_obj_pin(bpf_map__fd(map), path)) {
			int err = -errno;

			pr_warn("faultline: pinning map %s failed: %s\n", path, strerror(-err));
			return err;
		}
		/* bpffs makes pins 0600 less the umask: be exact */
		chmod(path, 0600);
	}
	return 0;
}

int fl_dp_open(struct fl_datapath *dp, unsigned int want_mask)
{
	return fl_dp_open_pinned(dp, NULL, want_mask);
}

int fl_dp_open_pinned(struct fl_datapath *dp, const char *dir, unsigned int want_mask)
{
	int err, i;

	memset(dp, 0, sizeof(*dp));
	dp->skel = faultline_bpf__open();
	if (!dp->skel) {
		err = -errno;
		pr_warn("faultline: opening the BPF object failed: %s\n", strerror(-err));
		return err;
	}
	{
		struct bpf_program *prog;

		/* a program the loader does not know stays unloaded */
		bpf_object__for_each_program(prog, dp->skel->obj)
			bpf_program__set_autoload(prog, false);
	}
	for (i = 0; i < FL_PROG_MAX; i++)
		bpf_program__set_autoload(fl_dp_prog(dp->skel, i), !!(want_mask & (1u << i)));
	{
		__u32 rb = fl_dp_ringbuf_bytes();

		if (rb) {
			err = bpf_map__set_max_entries(dp->skel->maps.fl_events, rb);
			if (err) {
				pr_warn("faultline: sizing the ring buffer to %u bytes failed: %s\n",
					rb, strerror(-err));
				faultline_bpf__destroy(dp->skel);
				dp->skel = NULL;
				return err;
			}
			pr_debug("ring buffer: %u bytes (FAULTLINE_RINGBUF_KB)\n", rb);
		}
	}
	if (dir) {
		err = fl_dp_reuse_pinned(dp, dir);
		if (err) {
			faultline_bpf__destroy(dp->skel);
			dp->skel = NULL;
			return err;
		}
	}
	err = faultline_bpf__load(dp->skel);
	if (err) {
		pr_warn("faultline: loading the BPF programs failed: %s; run with -v for the verifier log\n",
			strerror(-err));
		faultline_bpf__destroy(dp->skel);
		dp->skel = NULL;
		return err;
	}
	dp->ctl = (volatile struct fl_control *)&dp->skel->bss->fl_ctl;
	dp->n_levels = dp->ctl->n_levels;	/* nonzero only for a pinned run */
	return 0;
}

int fl_dp_attach_observe(struct fl_datapath *dp)
{
	int i, err;

	for (i = 0; i < FL_PROG_MAX; i++) {
		struct bpf_program *prog;
		struct bpf_link *link;

		if (!(FL_PROGS_OBSERVE & (1u << i)))
			continue;
		prog = fl_dp_prog(dp->skel, i);
		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			pr_warn("faultline: attaching tracepoint program %s failed: %s\n",
				bpf_program__name(prog), strerror(-err));
			return err;
		}
		dp->tp_links[dp->n_tp_links++] = link;
	}
	return 0;
}

void fl_dp_detach_observe(struct fl_datapath *dp)
{
	while (dp->n_tp_links > 0)
		bpf_link__destroy(dp->tp_links[--dp->n_tp_links]);
}

void fl_dp_close(struct fl_datapath *dp)
{
	/* a signal handler may disarm through ctl at any moment: it goes
	 * before the memory it points into
	 */
	__atomic_store_n(&dp->ctl, NULL, __ATOMIC_SEQ_CST);
	fl_dp_detach_observe(dp);
	if (dp->skel)
		faultline_bpf__destroy(dp->skel);
	dp->skel = NULL;
	dp->ctl = NULL;
}

int fl_dp_prog_fd(const struct fl_datapath *dp, enum fl_prog prog)
{
	return bpf_program__fd(fl_dp_prog(dp->skel, prog));
}

int fl_dp_load_xdp_ext(const struct fl_datapath *dp, int target_fd, const char *func,
		       struct bpf_object **obj, int *prog_fd)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "faultline_bpf");
	struct bpf_program *prog, *p;
	struct bpf_map *map;
	const void *elf;
	size_t sz;
	int err;

	*obj = NULL;
	elf = faultline_bpf__elf_bytes(&sz);
	*obj = bpf_object__open_mem(elf, sz, &opts);
	if (!*obj) {
		err = -errno;
		pr_warn("faultline: opening the BPF object for libxdp's dispatcher failed: %s\n",
			strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(*obj, "fl_xdp_in");
	bpf_object__for_each_program(p, *obj)
		bpf_program__set_autoload(p, p == prog);
	/* the kernel checks an extension against the function it replaces:
	 * the dispatcher's slots take a struct xdp_md * as fl_xdp_in does
	 */
	bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
	bpf_program__set_expected_attach_type(prog, 0);
	err = bpf_program__set_attach_target(prog, target_fd, func);
	if (err)
		goto fail;
	/* one state: the run's armed flag, rules and counters */
	bpf_object__for_each_map(map, *obj) {
		const struct bpf_map *src = bpf_object__find_map_by_name(dp->skel->obj,
									 bpf_map__name(map));

		err = src ? bpf_map__reuse_fd(map, bpf_map__fd(src)) : -ENOENT;
		if (err)
			goto fail;
	}
	err = bpf_object__load(*obj);
	if (err)
		goto fail;
	*prog_fd = bpf_program__fd(prog);
	return 0;
fail:
	pr_warn("faultline: loading fl_xdp_in as a component of libxdp's dispatcher failed: %s; run with -v for the verifier log\n",
		strerror(-err));
	bpf_object__close(*obj);
	*obj = NULL;
	return err;
}

int fl_dp_events_fd(const struct fl_datapath *dp)
{
	return bpf_map__fd(dp->skel->maps.fl_events);
}

int fl_dp_flows_fd(const struct fl_datapath *dp)
{
	return bpf_map__fd(dp->skel->maps.fl_flows);
}

static void fl_dp_add_level(struct fl_datapath *dp, __u32 level)
{
	volatile struct fl_control *c = dp->ctl;
	int i, j;

	for (i = 0; i < dp->n_levels; i++)
		if (c->levels[i] == level)
			return;
	if (dp->n_levels >= FL_MAX_LEVELS)
		return;
	/* keep deepest first: a nested target must win over its parent */
	for (i = dp->n_levels; i > 0 && c->levels[i - 1] < level; i--)
		;
	for (j = dp->n_levels; j > i; j--)
		c->levels[j] = c->levels[j - 1];
	c->levels[i] = level;
	dp->n_levels++;
	c->n_levels = dp->n_levels;
}

static int fl_dp_load_dist(struct fl_datapath *dp, __u8 dist)
{
	__s32 table[FL_DIST_SIZE];
	__u32 i, key;
	int err;

	if (dp->dist_loaded & (1u << dist))
		return 0;
	err = fl_dist_table(dist, table);
	if (err)
		return err;
	for (i = 0; i < FL_DIST_SIZE; i++) {
		key = dist * FL_DIST_SIZE + i;
		err = bpf_map__update_elem(dp->skel->maps.fl_dist, &key, sizeof(key), &table[i],
					   sizeof(table[i]), BPF_ANY);
		if (err)
			return err;
	}
	dp->dist_loaded |= 1u << dist;
	return 0;
}

/* The bit is set after the map entry exists: a packet that sees the bit
 * finds the entry.
 */
static void fl_dp_filter_set(struct fl_datapath *dp, __u32 bit)
{
	__atomic_or_fetch(&dp->ctl->filter[(bit >> 6) & (FL_FILTER_WORDS - 1)], 1ULL << (bit & 63),
			  __ATOMIC_SEQ_CST);
}

int fl_dp_rule_from_fault(const struct fl_fault *r, struct fl_rule *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->dir_mask = r->dir_mask;
	rule->proto = r->proto;
	rule->n_ports = r->n_ports;
	memcpy(rule->ports, r->ports, sizeof(rule->ports));
	rule->drop_prob = r->drop_prob;
	rule->delay_ns = r->delay_ns;
	rule->jitter_ns = r->jitter_ns;
	rule->dist = r->dist;
	rule->correlation = r->correlation;
	rule->reorder = r->reorder;
	rule->rate_unit = r->rate_unit;
	rule->rate_per = r->rate_per;
	rule->rate = r->rate;
	if (r->has_partition) {
		/* every packet both ways with the peers; the peers are the
		 * partition's (fl_fault_peers)
		 */
		rule->dir_mask = FL_DIRM_BOTH;
		rule->drop_prob = FL_PROB_ONE;
	}
	rule->scope = r->scope;
	rule->dup_prob = r->has_duplicate ? r->dup_prob : 0;
	rule->edt_skip = FL_PROB_ONE - fl_fault_edt_prob(r);
	if (r->has_reject) {
		rule->reject_prob = r->reject_prob;
		rule->reject_with = r->reject_with;
	}
	if (r->has_dns) {
		/* the target's queries: UDP it sends (to port 53: bpf/dns.h) */
		rule->dir_mask = FL_DIRM_EGRESS;
		rule->proto = FL_PROTO_UDP;
		if (r->dns_action == FL_DNS_ACT_DROP)
			rule->drop_prob = FL_PROB_ONE;
		else if (r->dns_action == FL_DNS_ACT_DELAY)
			rule->delay_ns = fl_fault_delay(r);
		else
			rule->dns_rcode = r->dns_action == FL_DNS_ACT_NXDOMAIN ?
						  FL_DNS_RCODE_NXDOMAIN : FL_DNS_RCODE_SERVFAIL;
	}
	rule->corrupt_prob = r->has_corrupt ? r->corrupt_prob : 0;
	rule->corrupt_fix = r->has_corrupt && r->corrupt_fix;
	/* each run chooses other connections */
	if (r->scope == FL_SCOPE_CONNECTIONS &&
	    getrandom(&rule->conn_seed, sizeof(rule->conn_seed), 0) != sizeof(rule->conn_seed))
		return -errno;
	if (r->has_loss) {
		double p, rr, lg, lb;

		fl_fault_loss_model(r, &p, &rr, &lg, &lb);
		rule->loss = 1;
		rule->loss_per = r->loss_per;
		rule->ge_p = fl_percent_to_prob(p * 100);
		rule->ge_r = fl_percent_to_prob(rr * 100);
		rule->ge_loss_good = fl_percent_to_prob(lg * 100);
		rule->ge_loss_bad = fl_percent_to_prob(lb * 100);
	}
	return 0;
}

/* @part of the .bss fl_dns_filter (FL_DNS_FILTER_*), as bpf/maps.h reads it */
static void dns_filter_set(volatile __u64 *filter, __u32 part, __u32 bit)
{
	__atomic_or_fetch(&filter[part * FL_DNS_FILTER_WORDS + ((bit >> 6) & (FL_DNS_FILTER_WORDS - 1))],
			  1ULL << (bit & 63), __ATOMIC_SEQ_CST);
}

int fl_dp_add_dns_names(int map_fd, volatile __u64 *filter, __u32 target_id, int i,
			const struct fl_fault *f)
{
	struct fl_dns_name dn;
	char msg[256];
	int n, err;
	__u32 bit;

	for (n = 0; f->has_dns && n < f->n_dns_names; n++) {
		struct fl_dns_key k = { .target_id = target_id };
		struct fl_dns_val v = {};

		if (fl_dns_name_parse(f->dns_names[n], &dn, msg, sizeof(msg)))
			return -EINVAL;
		k.hash = fl_dns_name_hash(dn.wire, dn.len);
		/* other rules of the target, or another name, may share it */
		bpf_map_lookup_elem(map_fd, &k, &v);
		if (dn.wild)
			v.wild_mask |= 1u << i;
		else
			v.exact_mask |= 1u << i;
		err = bpf_map_update_elem(map_fd, &k, &v, BPF_ANY);
		if (err)
			return -errno;
		/* after the entry: a packet that sees the bit finds it */
		bit = fl_dns_filter_bit(k.hash, target_id);
		dns_filter_set(filter, FL_DNS_FILTER_KEYS, bit);
		bit = fl_dns_last_label_bit(fl_dns_last_label_word(dn.wire, dn.len, 0), target_id);
		dns_filter_set(filter, FL_DNS_FILTER_LAST, bit);
		/* a name of one label sets bit 1 of the target's dns_labels,
		 * which turns this bitmap off
		 */
		if (dn.labels < 2)
			continue;
		bit = fl_dns_last2_bit(fl_dns_last_label_word(dn.wire, dn.len, 1),
				       fl_dns_last_label_word(dn.wire, dn.len, 0), target_id);
		dns_filter_set(filter, FL_DNS_FILTER_LAST2, bit);
	}
	return 0;
}

static int fl_dp_add_rule(struct fl_datapath *dp, __u32 target_id, int i,
			  const struct fl_fault *r)
{
	__u32 rid = fl_rule_id(target_id, i);
	const struct fl_cidr *peers;
	struct fl_rule rule;
	int err, p, n_peers;

	err = fl_dp_rule_from_fault(r, &rule);
	if (err)
		return err;
	if (r->jitter_ns && r->dist != FL_DIST_UNIFORM) {
		err = fl_dp_load_dist(dp, r->dist);
		if (err)
			return err;
	}
	err = bpf_map__update_elem(dp->skel->maps.fl_rules, &rid, sizeof(rid), &rule, sizeof(rule),
				   BPF_ANY);
	if (err)
		return err;
	err = fl_dp_add_dns_names(bpf_map__fd(dp->skel->maps.fl_dns), dp->skel->bss->fl_dns_filter,
				  target_id, i, r);
	if (err)
		return err;
	peers = fl_fault_peers(r, &n_peers);
	for (p = 0; p < n_peers; p++) {
		struct fl_peer_key k = { .target_id = htonl(target_id) };
		struct fl_peer_val pv = {};
		__u32 bits;

		fl_cidr_to_peer_key_addr(&peers[p], k.addr, &bits);
		k.prefixlen = 32 + bits;
		/* rules of one target may list the same prefix */
		bpf_map__lookup_elem(dp->skel->maps.fl_peers, &k, sizeof(k), &pv, sizeof(pv), 0);
		pv.rule_mask |= 1u << i;
		err = bpf_map__update_elem(dp->skel->maps.fl_peers, &k, sizeof(k), &pv, sizeof(pv),
					   BPF_ANY);
		if (err)
			return err;
	}
	return 0;
}

/* An LPM lookup returns the longest match only: make each prefix's mask
 * include the rules of every shorter prefix of the same target covering it.
 */
static int fl_dp_fold_peers(struct fl_datapath *dp, __u32 target_id, const struct fl_fault *rules,
			    int n)
{
	int i, j, p, q, err;

	for (i = 0; i < n; i++) {
		int np;
		const struct fl_cidr *pi = fl_fault_peers(&rules[i], &np);

		for (p = 0; p < np; p++) {
			struct fl_peer_key k = { .target_id = htonl(target_id) };
			struct fl_peer_val pv = {};
			__u32 bits;

			fl_cidr_to_peer_key_addr(&pi[p], k.addr, &bits);
			k.prefixlen = 32 + bits;
			if (bpf_map__lookup_elem(dp->skel->maps.fl_peers, &k, sizeof(k), &pv, sizeof(pv), 0))
				continue;
			for (j = 0; j < n; j++) {
				int nq;
				const struct fl_cidr *pj = fl_fault_peers(&rules[j], &nq);

				for (q = 0; q < nq; q++) {
					__u8 other[16];
					__u32 obits, b;
					bool covers = true;

					fl_cidr_to_peer_key_addr(&pj[q], other, &obits);
					if (obits > bits)
						continue;
					for (b = 0; b < obits && covers; b++)
						covers = ((k.addr[b / 8] ^ other[b / 8]) & (0x80 >> (b % 8))) == 0;
					if (covers)
						pv.rule_mask |= 1u << j;
				}
			}
			err = bpf_map__update_elem(dp->skel->maps.fl_peers, &k, sizeof(k), &pv, sizeof(pv),
						   BPF_ANY);
			if (err)
				return err;
		}
	}
	return 0;
}

static void fl_dp_make_target(struct fl_target *v, __u32 target_id, const struct fl_fault *rules,
			      int n)
{
	int i;

	memset(v, 0, sizeof(*v));
	v->target_id = target_id;
	v->n_rules = n;
	for (i = 0; i < n; i++) {
		v->rule_ids[i] = fl_rule_id(target_id, i);
		if (rules && (rules[i].n_peers || rules[i].has_partition))
			v->peer_rules |= 1u << i;
		if (rules && rules[i].has_dns) {
			v->dns_rules |= 1u << i;
			v->dns_labels |= fl_fault_dns_labels(&rules[i]);
		}
	}
}

int fl_dp_add_target(struct fl_datapath *dp, const struct fl_target_spec *t, __u32 target_id,
		     const struct fl_fault *rules, int n)
{
	struct fl_target v;
	int err, i;

	if (n > FL_RULES_PER_TARGET || fl_rule_id(target_id, 0) + FL_RULES_PER_TARGET > FL_MAX_RULES)
		return -E2BIG;
	if (dp->n_levels >= FL_MAX_LEVELS) {
		for (i = 0; i < dp->n_levels; i++)
			if (dp->ctl->levels[i] == t->level)
				break;
		if (i == dp->n_levels)
			return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		err = fl_dp_add_rule(dp, target_id, i, &rules[i]);
		if (err)
			return err;
	}
	err = fl_dp_fold_peers(dp, target_id, rules, n);
	if (err)
		return err;
	fl_dp_make_target(&v, target_id, rules, n);
	err = bpf_map__update_elem(dp->skel->maps.fl_targets, &t->cgid, sizeof(t->cgid), &v,
				   sizeof(v), BPF_ANY);
	if (err)
		return err;
	fl_dp_filter_set(dp, fl_filter_bit(t->cgid));
	fl_dp_add_level(dp, t->level);
	return 0;
}

int fl_dp_add_owned(struct fl_datapath *dp, const struct fl_addr *addr, __u32 target_id,
		    __u32 ns_slot, const struct fl_fault *rules, int n)
{
	struct fl_target v;
	int err;

	/* the same rules as the target's cgroup entry */
	fl_dp_make_target(&v, target_id, rules, n);
	v.ns_slot = ns_slot;
	err = bpf_map__update_elem(dp->skel->maps.fl_owned, addr, sizeof(*addr), &v, sizeof(v),
				   BPF_ANY);
	if (!err)
		fl_dp_filter_set(dp, fl_filter_bit_addr(addr));
	return err;
}

int fl_dp_add_owned_ns(struct fl_datapath *dp, __u32 ns_slot, __u64 netns_cookie)
{
	if (!ns_slot || ns_slot >= FL_MAX_OWNED_NS)
		return -E2BIG;
	return bpf_map__update_elem(dp->skel->maps.fl_ns_slots, &netns_cookie,
				    sizeof(netns_cookie), &ns_slot, sizeof(ns_slot), BPF_ANY);
}

int fl_dp_mark_shared(struct fl_datapath *dp, __u32 ns_slot, pid_t pid, __u64 now_ns)
{
	struct fl_ns_state st = { .shared_ns = now_ns, .pid = pid, .by_scan = 1 };
	int err;

	err = bpf_map__update_elem(dp->skel->maps.fl_nsstate, &ns_slot, sizeof(ns_slot), &st,
				   sizeof(st), BPF_ANY);
	if (!err)
		__atomic_add_fetch(&dp->ctl->n_shared, 1, __ATOMIC_SEQ_CST);
	return err;
}

int fl_dp_read_ns(const struct fl_datapath *dp, __u32 ns_slot, struct fl_ns_state *out)
{
	return bpf_map__lookup_elem(dp->skel->maps.fl_nsstate, &ns_slot, sizeof(ns_slot), out,
				    sizeof(*out), 0);
}

int fl_dp_read_breaker(const struct fl_datapath *dp, __u32 b, __u32 target,
		       struct fl_brk_state *out)
{
	__u32 key = b * FL_BRK_MAX_TARGETS + target;

	if (b >= FL_MAX_BREAKERS || target >= FL_BRK_MAX_TARGETS)
		return -E2BIG;
	return bpf_map__lookup_elem(dp->skel->maps.fl_brk, &key, sizeof(key), out, sizeof(*out),
				    0);
}

/* The filter bit and the cgroup depth stay: another target may share
 * them, and a stale bit only costs a lookup that finds nothing.
 */
int fl_dp_remove_target(struct fl_datapath *dp, const struct fl_target_spec *t)
{
	if (!dp->skel)
		return 0;
	return bpf_map__delete_elem(dp->skel->maps.fl_targets, &t->cgid, sizeof(t->cgid), 0);
}

int fl_dp_remove_owned(struct fl_datapath *dp, __u32 target_id)
{
	struct fl_addr key, next, *prev = NULL;
	struct fl_target v;
	int err;

	if (!dp->skel)
		return 0;
	/* deleting while walking would restart the walk: find one, delete
	 * it, walk again from the start
	 */
	for (;;) {
		bool found = false;

		prev = NULL;
		while (!bpf_map__get_next_key(dp->skel->maps.fl_owned, prev, &next, sizeof(next))) {
			key = next;
			prev = &key;
			if (bpf_map__lookup_elem(dp->skel->maps.fl_owned, &key, sizeof(key), &v,
						 sizeof(v), 0) || v.target_id != target_id)
				continue;
			found = true;
			break;
		}
		if (!found)
			return 0;
		err = bpf_map__delete_elem(dp->skel->maps.fl_owned, &key, sizeof(key), 0);
		if (err && err != -ENOENT)
			return err;
	}
}

void fl_dp_arm(struct fl_datapath *dp, __u64 deadline_ns)
{
	dp->ctl->deadline_ns = deadline_ns;
	__atomic_store_n(&dp->ctl->armed, 1, __ATOMIC_SEQ_CST);
}

void fl_dp_disarm(struct fl_datapath *dp)
{
	volatile struct fl_control *ctl = __atomic_load_n(&dp->ctl, __ATOMIC_SEQ_CST);

	if (ctl)
		__atomic_store_n(&ctl->armed, 0, __ATOMIC_SEQ_CST);
}

static int fl_dp_ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int fl_dp_read_rule(const struct fl_datapath *dp, __u32 rule_id, struct fl_dir_totals out[FL_DIR_MAX])
{
	int ncpu = fl_dp_ncpus(), d, c, err = 0;
	struct fl_rule_stats *vals;

	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (d = 0; d < FL_DIR_MAX; d++) {
		__u32 key = rule_id * FL_DIR_MAX + d;

		memset(&out[d], 0, sizeof(out[d]));
		err = bpf_map__lookup_elem(dp->skel->maps.fl_rule_stats, &key, sizeof(key), vals,
					   sizeof(*vals) * ncpu, 0);
		if (err)
			break;
		for (c = 0; c < ncpu; c++) {
			out[d].seen += vals[c].seen;
			out[d].matched += vals[c].matched;
			out[d].dropped += vals[c].dropped;
			out[d].bytes += vals[c].bytes;
			out[d].delayed += vals[c].delayed;
			out[d].duplicated += vals[c].duplicated;
			out[d].rejected += vals[c].rejected;
			out[d].dns += vals[c].dns;
			out[d].corrupted += vals[c].corrupted;
		}
	}
	free(vals);
	return err;
}

int fl_dp_read_target(const struct fl_datapath *dp, __u32 target_id, int n_rules,
		      struct fl_dir_totals out[FL_DIR_MAX])
{
	int r, d, err;

	memset(out, 0, sizeof(*out) * FL_DIR_MAX);
	for (r = 0; r < n_rules; r++) {
		struct fl_dir_totals t[FL_DIR_MAX];

		err = fl_dp_read_rule(dp, fl_rule_id(target_id, r), t);
		if (err)
			return err;
		for (d = 0; d < FL_DIR_MAX; d++) {
			out[d].seen += t[d].seen;
			out[d].matched += t[d].matched;
			out[d].dropped += t[d].dropped;
			out[d].bytes += t[d].bytes;
			out[d].delayed += t[d].delayed;
			out[d].duplicated += t[d].duplicated;
			out[d].rejected += t[d].rejected;
			out[d].dns += t[d].dns;
			out[d].corrupted += t[d].corrupted;
		}
	}
	return 0;
}

int fl_dp_read_counters(const struct fl_datapath *dp, int n_targets, int n_rules,
			struct fl_dp_counters *c)
{
	int ncpu = fl_dp_ncpus(), d, cpu, i, tg, err = 0;
	struct fl_stats *vals;

	memset(c, 0, sizeof(*c));
	for (tg = 0; tg < n_targets; tg++) {
		struct fl_dir_totals t[FL_DIR_MAX];

		err = fl_dp_read_target(dp, tg, n_rules, t);
		if (err)
			return err;
		for (d = 0; d < FL_DIR_MAX; d++) {
			c->dir[d].seen += t[d].seen;
			c->dir[d].matched += t[d].matched;
			c->dir[d].dropped += t[d].dropped;
			c->dir[d].bytes += t[d].bytes;
			c->dir[d].delayed += t[d].delayed;
			c->dir[d].duplicated += t[d].duplicated;
			c->dir[d].rejected += t[d].rejected;
			c->dir[d].dns += t[d].dns;
			c->dir[d].corrupted += t[d].corrupted;
		}
	}
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (d = 0; d < FL_DIR_MAX; d++) {
		__u32 key = d;

		err = bpf_map__lookup_elem(dp->skel->maps.fl_stats, &key, sizeof(key), vals,
					   sizeof(*vals) * ncpu, 0);
		if (err)
			break;
		for (cpu = 0; cpu < ncpu; cpu++) {
			struct fl_stats *s = &c->stats[d], *v = &vals[cpu];

			s->target_packets += v->target_packets;
			s->target_bytes += v->target_bytes;
			s->passed_disarmed += v->passed_disarmed;
			s->ringbuf_fail += v->ringbuf_fail;
			s->parse_skipped += v->parse_skipped;
			s->delayed += v->delayed;
			s->edt_clones += v->edt_clones;
			for (i = 0; i < FL_DROP_REASON_MAX; i++)
				s->drop_reason[i] += v->drop_reason[i];
		}
	}
	free(vals);
	return err;
}
