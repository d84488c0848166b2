# faultline: one pass builds BPF objects, skeletons, the loader and the tests.
OUTPUT    ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
# where 'make install' puts the demo's script and service (faultline demo)
DEMODATADIR    ?= $(PREFIX)/share/faultline
DEMOLIBEXECDIR ?= $(PREFIX)/libexec/faultline
# the man page, bash completion and systemd unit (README "Packaging");
# systemd reads units from /usr/local/lib/systemd/system as well as
# /usr/lib/systemd/system and /lib/systemd/system
MANDIR         ?= $(PREFIX)/share/man
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CC        ?= cc
PKGS      := libbpf libelf zlib json-c libmnl yaml-0.1 libcurl libmicrohttpd libcap
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifeq ($(wildcard vmlinux/$(ARCH)/vmlinux.h),)
$(error no vmlinux/$(ARCH)/vmlinux.h: architecture '$(ARCH)' is not supported yet; run 'make vmlinux' on a kernel with BTF to add it)
endif

CFLAGS    ?= -O2 -g
# user/ has a folder per layer (see README "Module map"); a header is
# named by its file alone, so every layer folder is on the quote path.
USER_DIRS := cmd agent k8s engine spec kernel signals report lib
CFLAGS    += -Wall -Wextra -Werror -std=gnu11 -Iinclude -I$(OUTPUT) \
	     $(addprefix -iquote user/,$(USER_DIRS)) -MMD -MP \
	     $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -DFL_VERSION='"$(VERSION)"'
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
# SANITIZE=1: the same tree built by clang with ASan and UBSan (any
# finding aborts) and libFuzzer's coverage hooks, for 'make test-asan' and
# 'make fuzz' (README "Tests": bad input). 'make asan-bins' builds it in
# $(OUTPUT)/asan. gcc's warnings judge the code (the normal build);
# clang's extra ones do not stop this one.
ifneq ($(SANITIZE),)
CC        := clang
CFLAGS    += -Wno-error -Wno-missing-field-initializers -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=all -fsanitize=fuzzer-no-link \
	     -fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt
endif
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -Ivmlinux/$(ARCH) -Iinclude -Ibpf -Wall -Werror -MMD -MP

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard $(addsuffix /*.c,$(addprefix user/,$(USER_DIRS))))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUTPUT)/user/cmd/main.o,$(USER_OBJS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(wildcard tests/unit/test_*.c))
BPFT_BINS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))
TLIB_BINS := $(patsubst tests/lib/%.c,$(OUTPUT)/tests/lib/%,$(wildcard tests/lib/*.c))
TOOL_BINS := $(patsubst tools/%.c,$(OUTPUT)/tools/%,$(wildcard tools/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(wildcard bench/*.c))
# someone else's tc program (tests/selftests/neighbours.sh): one for a
# legacy clsact filter, one for a tcx link, each dropping its own port
NB_OBJS   := $(OUTPUT)/tests/bpf/nb_legacy.bpf.o $(OUTPUT)/tests/bpf/nb_tcx.bpf.o
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

# the targets that build everything first (test, demo, bench) use every
# core: a new machine builds the tree and the sanitizer tree from nothing
JOBS ?= $(shell nproc)

.PHONY: all clean test demo bench install vmlinux deps k8s-bins asan-bins fuzz-bins \
	fuzz test-asan stress
# keep the intermediate objects, so one edit does not rebuild everything
.SECONDARY:
# a recipe that fails leaves no half-written target behind
.DELETE_ON_ERROR:
all: $(OUTPUT)/faultline $(UNIT_BINS) $(BPFT_BINS) $(TLIB_BINS) $(TOOL_BINS) $(BENCH_BINS) $(NB_OBJS)

# Installing packages is a target of its own, never a side effect of
# reading this file: 'make' alone builds with what is there.
deps:
	scripts/deps.sh

$(OUTPUT)/bpf/%.tmp.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bpf/%.bpf.o: $(OUTPUT)/bpf/%.tmp.bpf.o
	$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# where `faultline demo` looks after its own directory
$(OUTPUT)/user/cmd/demo.o: CFLAGS += -DFL_SRCDIR='"$(CURDIR)"' \
	-DFL_DEMO_DATADIR='"$(DEMODATADIR)"' -DFL_DEMO_LIBEXECDIR='"$(DEMOLIBEXECDIR)"'

$(OUTPUT)/faultline: $(USER_OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) | $(OUTPUT)/tests/unit
	$(CC) $(CFLAGS) $< $(LIB_OBJS) $(LDLIBS) -lcmocka $(BIN_DEPS) -o $@

$(OUTPUT)/tests/bpf/%: tests/bpf/%.c $(LIB_OBJS) | $(OUTPUT)/tests/bpf
	$(CC) $(CFLAGS) -Itests/lib $< $(LIB_OBJS) $(LDLIBS) $(BIN_DEPS) -o $@

$(OUTPUT)/tests/bpf/nb_legacy.bpf.o: NB_PORT := 7091
$(OUTPUT)/tests/bpf/nb_tcx.bpf.o: NB_PORT := 7092
$(NB_OBJS): tests/bpf/neighbour.bpf.c | $(OUTPUT)/tests/bpf
	$(CLANG) $(BPF_CFLAGS) -DFL_NB_PORT=$(NB_PORT) -c $< -o $@

$(OUTPUT)/tests/lib/%: tests/lib/%.c $(LIB_OBJS) | $(OUTPUT)/tests/lib
	$(CC) $(CFLAGS) $< $(LIB_OBJS) $(LDLIBS) $(BIN_DEPS) -o $@

$(OUTPUT)/tools/%: tools/%.c | $(OUTPUT)/tools
	$(CC) $(CFLAGS) $< $(LDLIBS) $(BIN_DEPS) -o $@

$(OUTPUT)/bench/%: bench/%.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(CC) $(CFLAGS) -Itests/lib $< $(LIB_OBJS) $(LDLIBS) $(BIN_DEPS) -o $@

# libFuzzer supplies main(); only a SANITIZE=1 build can link these
$(OUTPUT)/tests/fuzz/%: tests/fuzz/%.c $(LIB_OBJS) | $(OUTPUT)/tests/fuzz
	$(CC) $(CFLAGS) -fsanitize=fuzzer $< $(LIB_OBJS) $(LDLIBS) $(BIN_DEPS) -o $@

$(OUTPUT)/bpf $(OUTPUT)/tests/unit $(OUTPUT)/tests/bpf $(OUTPUT)/tests/lib $(OUTPUT)/tools $(OUTPUT)/bench $(OUTPUT)/tests/fuzz:
	mkdir -p $@

# executables built straight from one source keep their dependency file
# hidden, so globs over test programs do not pick it up
BIN_DEPS = -MF $(@D)/.$(@F).d

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)

# test, demo and bench install what they need first, then build: the
# package flags are read when make starts, so the build is a second make.
test: deps
	$(MAKE) -j$(JOBS) all
	-$(MAKE) k8s-bins
	-$(MAKE) asan-bins
	tests/run.sh

# The sanitizer build (see SANITIZE above): everything 'all' builds, and
# the fuzz targets. 'make test' builds it too: tests/selftests/sanitizers.sh
# replays the fuzz corpus and runs the unit tests and a few selftests on it;
# a build that fails fails that test.
asan-bins:
	$(MAKE) -j$(JOBS) SANITIZE=1 OUTPUT=$(OUTPUT)/asan all fuzz-bins

fuzz-bins: $(FUZZ_BINS)

# Each fuzz target for FUZZ_SECONDS (default 5 min), from its committed
# corpus (tests/fuzz/corpus/TARGET); new inputs go to $(OUTPUT)/asan/fuzz-new,
# crashes to $(OUTPUT)/asan/fuzz-crashes. FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 300
fuzz: deps
	$(MAKE) asan-bins
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The unit tests, every BPF test and every selftest on the sanitizer
# build: ASan and UBSan findings abort the program, which fails its test.
# 'make test' runs the quick part of it (tests/selftests/sanitizers.sh).
test-asan: deps
	$(MAKE) -j$(JOBS) all
	$(MAKE) asan-bins
	FL_ASAN_FULL=1 FL_TEST_TIMEOUT=7200 tests/run.sh selftests/sanitizers

# The long versions of what 'make test' runs quickly (tests/RELIABILITY.md):
# ten times the packets through every entry point, and every fuzz target
# for FUZZ_SECONDS.
stress: deps
	$(MAKE) -j$(JOBS) all
	$(MAKE) asan-bins
	FL_CRASH_ITERS=100 FL_CRASH_AGENT_ITERS=20 FL_LONG_S=1800 FL_TEST_TIMEOUT=2400 \
		FL_RUN_PROGS="$(STRESS_PROGS)" tests/run.sh
	FL_PKT_FUZZ_N=10500000 FL_TEST_TIMEOUT=1800 tests/run.sh test_pkt_fuzz
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# kube-apiserver, kubectl and etcd for tests/selftests/k8s_env.sh, built
# from tests/k8s/go.mod once and cached outside the tree (FL_K8S_CACHE).
# 'make test' builds them before the runner, whose per-test timeout is
# shorter than the first build; a build that fails fails that test.
k8s-bins:
	scripts/k8s-env.sh build

# The long versions of the reliability tests (issue 17, tests/RELIABILITY.md):
# 100 crash-loop iterations of 'run' and 20 of the agent, the counters at
# the flood rate, and a 30-minute run with 10k flows (RSS flat). About an hour.
STRESS_PROGS = tests/selftests/crash_loop.sh tests/selftests/load_counters.sh \
	tests/selftests/load_long.sh

demo: deps
	$(MAKE) -j$(JOBS) all
	$(OUTPUT)/faultline demo

bench: deps
	$(MAKE) -j$(JOBS) all
	bench/run.sh

install: $(OUTPUT)/faultline $(OUTPUT)/tools/flsvc
	install -D -m 0755 $(OUTPUT)/faultline $(DESTDIR)$(PREFIX)/sbin/faultline
	install -D -m 0755 scripts/demo.sh $(DESTDIR)$(DEMODATADIR)/demo.sh
	install -D -m 0755 $(OUTPUT)/tools/flsvc $(DESTDIR)$(DEMOLIBEXECDIR)/flsvc
	install -D -m 0644 man/faultline.8 $(DESTDIR)$(MANDIR)/man8/faultline.8
	install -D -m 0644 completion/faultline.bash $(DESTDIR)$(BASHCOMPDIR)/faultline
	@mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/sbin/faultline|$(PREFIX)/sbin/faultline|g' deploy/faultline.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/faultline.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/faultline.service

vmlinux:
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(OUTPUT)
