// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline features`: what this kernel and machine offer. */
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "commands.h"
#include "log.h"
#include "probe.h"
#include "targets.h"

static void fl_features_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline features [--iface NAME] [--json]\n"
		"\n"
		"What this kernel and machine offer faultline: BTF, tcx, native XDP on an\n"
		"interface, the fq and netem qdiscs, the cgroup v2 mount, the BPF ring\n"
		"buffer, and the libbpf version.\n");
}

static const char *fl_yes_no(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "unknown";
}

int fl_cmd_features(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *iface = "lo";
	char cg[512] = "", libbpf_ver[32];
	int btf, tcx, fq, netem, ringbuf, cgv2, xdp, c;
	bool json = false;
	struct utsname u;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fl_features_usage(stdout);
			return FL_EXIT_OK;
		default:
			fprintf(stderr, "faultline features: unknown option '%s'; see 'faultline features --help'\n",
				argv[optind - 1]);
			return FL_EXIT_USAGE;
		}
	}
	if (!if_nametoindex(iface)) {
		fprintf(stderr, "faultline features: unknown interface '%s'; list them with 'ip link'\n",
			iface);
		return FL_EXIT_USAGE;
	}
	uname(&u);
	btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	tcx = fl_probe_tcx();
	fq = fl_probe_qdisc("fq");
	netem = fl_probe_qdisc("netem");
	ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	cgv2 = !fl_cgroup2_mount(cg, sizeof(cg));
	xdp = fl_probe_xdp_native(iface);
	snprintf(libbpf_ver, sizeof(libbpf_ver), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());

	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "kernel", json_object_new_string(u.release));
		json_object_object_add(o, "btf", json_object_new_boolean(btf));
		json_object_object_add(o, "tcx", json_object_new_boolean(tcx > 0));
		json_object_object_add(o, "xdp_iface", json_object_new_string(iface));
		json_object_object_add(o, "xdp_native",
				       xdp < 0 ? json_object_new_null() : json_object_new_boolean(xdp));
		json_object_object_add(o, "sch_fq", json_object_new_boolean(fq > 0));
		json_object_object_add(o, "sch_netem", json_object_new_boolean(netem > 0));
		json_object_object_add(o, "cgroup2",
				       cgv2 ? json_object_new_string(cg) : json_object_new_null());
		json_object_object_add(o, "ringbuf", json_object_new_boolean(ringbuf > 0));
		json_object_object_add(o, "libbpf", json_object_new_string(libbpf_ver));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return FL_EXIT_OK;
	}
	printf("kernel      %s\n", u.release);
	printf("btf         %s\n", fl_yes_no(btf));
	printf("tcx         %s%s\n", fl_yes_no(tcx), tcx > 0 ? "" : " (legacy clsact is used)");
	printf("xdp native  %s on %s%s\n", fl_yes_no(xdp), iface,
	       xdp == 0 ? " (generic XDP is used)" : "");
	printf("sch_fq      %s%s\n", fl_yes_no(fq), fq > 0 ? "" : " (CONFIG_NET_SCH_FQ: needed for delay and rate)");
	printf("sch_netem   %s\n", fl_yes_no(netem));
	printf("cgroup2     %s\n", cgv2 ? cg : "not mounted (targets need cgroup v2)");
	printf("ringbuf     %s\n", fl_yes_no(ringbuf));
	printf("libbpf      %s\n", libbpf_ver);
	return FL_EXIT_OK;
}
