# faultline: one pass builds BPF objects, skeletons, the loader and the tests.
OUTPUT    ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
# where 'make install' puts the demo's script and service (faultline demo)
DEMODATADIR    ?= $(PREFIX)/share/faultline
DEMOLIBEXECDIR ?= $(PREFIX)/libexec/faultline
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CC        ?= cc
PKGS      := libbpf libelf zlib json-c libmnl yaml-0.1 libcurl
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifeq ($(wildcard vmlinux/$(ARCH)/vmlinux.h),)
$(error no vmlinux/$(ARCH)/vmlinux.h: architecture '$(ARCH)' is not supported yet; run 'make vmlinux' on a kernel with BTF to add it)
endif

# Packages are checked before anything else, so a fresh machine gets them.
DEPS_OK := $(shell scripts/deps.sh --check >/dev/null 2>&1 && echo yes)
ifneq ($(DEPS_OK),yes)
ifeq ($(filter clean vmlinux,$(MAKECMDGOALS)),)
$(info deps: installing missing build dependencies (scripts/deps.sh))
$(if $(shell scripts/deps.sh >&2 && echo ok),,$(error scripts/deps.sh failed: install the packages it names and run make again))
endif
endif

CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -Werror -std=gnu11 -Iinclude -I$(OUTPUT) -iquote user \
	     $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -DFL_VERSION='"$(VERSION)"'
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -Ivmlinux/$(ARCH) -Iinclude -Ibpf -Wall -Werror

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_HDRS  := $(wildcard bpf/*.h) include/faultline.h
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
USER_HDRS := $(wildcard user/*.h) include/faultline.h
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(wildcard tests/unit/test_*.c))
BPFT_BINS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/tools/%,$(wildcard tests/tools/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(wildcard bench/*.c))
DEMO_BINS := $(patsubst demo/%.c,$(OUTPUT)/demo/%,$(wildcard demo/*.c))

.PHONY: all clean test demo bench install vmlinux deps
# keep the intermediate objects, so one edit does not rebuild everything
.SECONDARY:
all: $(OUTPUT)/faultline $(UNIT_BINS) $(BPFT_BINS) $(TOOL_BINS) $(BENCH_BINS) $(DEMO_BINS)

deps:
	scripts/deps.sh

$(OUTPUT)/bpf/%.tmp.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bpf/%.bpf.o: $(OUTPUT)/bpf/%.tmp.bpf.o
	$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(SKELS) | $(OUTPUT)/user
	$(CC) $(CFLAGS) -c $< -o $@

# where `faultline demo` looks after its own directory
$(OUTPUT)/user/demo_cmd.o: CFLAGS += -DFL_SRCDIR='"$(CURDIR)"' \
	-DFL_DEMO_DATADIR='"$(DEMODATADIR)"' -DFL_DEMO_LIBEXECDIR='"$(DEMOLIBEXECDIR)"'

$(OUTPUT)/faultline: $(USER_OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) | $(OUTPUT)/tests/unit
	$(CC) $(CFLAGS) $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/bpf/%: tests/bpf/%.c $(LIB_OBJS) $(wildcard tests/bpf/*.h) | $(OUTPUT)/tests/bpf
	$(CC) $(CFLAGS) -Itests/bpf $< $(LIB_OBJS) $(LDLIBS) -o $@

$(OUTPUT)/tests/tools/%: tests/tools/%.c | $(OUTPUT)/tests/tools
	$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

$(OUTPUT)/demo/%: demo/%.c | $(OUTPUT)/demo
	$(CC) $(CFLAGS) $< $(LDLIBS) -lpthread -o $@

$(OUTPUT)/bench/%: bench/%.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(CC) $(CFLAGS) -Itests/bpf $< $(LIB_OBJS) $(LDLIBS) -o $@

$(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tests/unit $(OUTPUT)/tests/bpf $(OUTPUT)/tests/tools $(OUTPUT)/bench $(OUTPUT)/demo:
	mkdir -p $@

test: all
	tests/run.sh

demo: all
	$(OUTPUT)/faultline demo

bench: all
	bench/run.sh

install: $(OUTPUT)/faultline $(OUTPUT)/demo/flsvc
	install -D -m 0755 $(OUTPUT)/faultline $(DESTDIR)$(PREFIX)/sbin/faultline
	install -D -m 0755 scripts/demo.sh $(DESTDIR)$(DEMODATADIR)/demo.sh
	install -D -m 0755 $(OUTPUT)/demo/flsvc $(DESTDIR)$(DEMOLIBEXECDIR)/flsvc

vmlinux:
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(OUTPUT)
