/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The benchmarks' baseline: a program of the given type that does nothing
 * but return @code, so what is measured is the hook's own cost.
 */
#ifndef FL_BENCH_EMPTY_PROG_H
#define FL_BENCH_EMPTY_PROG_H

#include <bpf/bpf.h>

/* r0 = @code; exit. A program fd, or a negative errno. */
static inline int fl_bench_empty_prog(enum bpf_prog_type type, enum bpf_attach_type attach,
				      int code)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = code },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach);

	return bpf_prog_load(type, "fl_bench_empty", "GPL", insns, 2, &o);
}

/* The least a tc program that tells a target's packet from a bystander's
 * by cgroup must do: read the sending socket's cgroup id (then return
 * @code). What it costs over the empty program is the floor of any such
 * decision on this hook. A program fd, or a negative errno.
 */
static inline int fl_bench_cgroup_test_prog(int code)
{
	struct bpf_insn insns[3] = {
		/* r1 is still the skb */
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_skb_cgroup_id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = code },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "fl_bench_cgtest", "GPL", insns, 3, NULL);
}

#endif /* FL_BENCH_EMPTY_PROG_H */
