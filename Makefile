# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tlsaudit build: bpf/*.bpf.c -> .bpf.o -> bpftool skeleton -> user/ loader.
#
#   make            build build/tlsaudit
#   make run        install deps, build, run the monitor on every interface that is up
#   make test       install deps, build, run unit, packet and end-to-end tests
#   make bench      what tlsaudit costs against baselines measured in the same run (tests/bench/)
#   make compat     the programs on Debian 12's stock kernel (Linux 6.1), booted under qemu (tests/compat/)
#   make deps       install the Debian packages the build and tests need
#   make vmlinux    regenerate vmlinux/<arch>/vmlinux.h from the running kernel
#   make format     apply .clang-format to the tree; make format-check says
#                   whether the tree obeys it (a layer of make test)
#   V=1             show full commands

ARCH      ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(shell uname -m)
OUT       := build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
PKG_LIBS  := libbpf libelf zlib libpcap
VERSION   := 0.1.0

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror
# Deferred (=), not immediate: on a fresh machine `make test` installs the
# libraries (deps) after this file was read, and pkg-config must ask then.
USER_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP -Iinclude -Iuser -Ibpf -I$(OUT) \
	-DTA_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
USER_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null || echo -lbpf -lelf -lz -lpcap)

# Clang's own system include directories, after ours, so <linux/types.h>
# resolves in BPF builds without pulling host-arch headers first.
CLANG_SYS_INCLUDES = $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) -MMD -MP \
	-I$(VMLINUX_DIR) -Iinclude -Ibpf $(CLANG_SYS_INCLUDES)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# every user/<stage>/*.c goes into a library the tests link too; main.c is the entry point
LIB_SRCS   := $(wildcard user/*/*.c)
LIB_OBJS   := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
# test_packet is the case table's runner (test_packet.c) linked with its
# backends (backend_*.c); any other tests/packet/test_*.c is a program of its own
PACKET_OBJS := $(patsubst tests/packet/%.c,$(OUT)/tests/packet/%.o,\
	tests/packet/test_packet.c $(wildcard tests/packet/backend_*.c))
PACKET_SRCS := $(filter-out tests/packet/test_packet.c,$(wildcard tests/packet/test_*.c))
PACKET_BINS := $(patsubst tests/packet/%.c,$(OUT)/tests/packet/%,$(PACKET_SRCS)) \
	$(OUT)/tests/packet/test_packet

PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   := $(PREFIX)/sbin
MANDIR    := $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system

.PHONY: all run test bench compat deps vmlinux clean install demo fuzz fuzz-smoke format \
	format-check
.DELETE_ON_ERROR:
.SECONDARY:

# (noop.bpf.o: the e2e topologies give the outer veth ends a no-op XDP program)
all: $(OUT)/tlsaudit $(UNIT_BINS) $(PACKET_BINS) $(OUT)/noop.bpf.o

$(OUT) $(OUT)/tests/unit $(OUT)/tests/packet:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c Makefile | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(OUT)/$*.bpf.d -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o | $(OUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# the loader's objects need the skeletons to exist before they compile
$(OUT)/user/%.o: user/%.c Makefile $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUT)/libta.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/tlsaudit: $(OUT)/user/main.o $(OUT)/libta.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(USER_LDLIBS) -o $@

$(OUT)/tests/unit/%: tests/unit/%.c Makefile $(OUT)/libta.a | $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib $< $(OUT)/libta.a $(USER_LDLIBS) -o $@

$(OUT)/tests/packet/%: tests/packet/%.c Makefile $(OUT)/libta.a $(SKELS) | $(OUT)/tests/packet
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib $< $(OUT)/libta.a $(USER_LDLIBS) -o $@

$(OUT)/tests/packet/%.o: tests/packet/%.c Makefile $(SKELS) | $(OUT)/tests/packet
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib -c $< -o $@

$(OUT)/tests/packet/test_packet: $(PACKET_OBJS) $(OUT)/libta.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(USER_LDLIBS) -o $@

# benchmarks (make bench) live with their rules in tests/bench/
include tests/bench/bench.mk

# libFuzzer harnesses (make fuzz) live with their rules in tests/fuzz/
include $(wildcard tests/fuzz/*.mk)

-include $(wildcard $(OUT)/*.d $(OUT)/user/*.d $(OUT)/user/*/*.d $(OUT)/tests/*/*.d)

# ---- developer and CI entry points ----

DEPS_BUILD := clang llvm gcc make pkg-config libbpf-dev libelf-dev zlib1g-dev libpcap-dev bpftool
DEPS_TEST  := clang-format iproute2 ethtool procps psmisc curl openssl nginx-light gnutls-bin socat jq \
	python3 python3-scapy iptables tcpdump tshark iperf3 libndpi-bin tmux prometheus prometheus-node-exporter libclang-rt-14-dev
deps:
	@missing=""; for p in $(DEPS_BUILD) $(DEPS_TEST); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { echo "deps: apt-get install failed" >&2; exit 1; }; \
	fi

run: deps all
	./$(OUT)/tlsaudit

test: deps all
	@tests/run.sh

# the oldest kernel we promise: run.sh fetches it and qemu, and builds nothing more
compat: deps all
	@TA_COMPAT_NO_BUILD=1 tests/compat/run.sh


# the unit names the installed binary, wherever PREFIX put it
install: $(OUT)/tlsaudit
	install -D -m 0755 $(OUT)/tlsaudit $(DESTDIR)$(SBINDIR)/tlsaudit
	install -D -m 0644 docs/tlsaudit.8 $(DESTDIR)$(MANDIR)/man8/tlsaudit.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/tlsaudit|$(SBINDIR)/tlsaudit|' deploy/systemd/tlsaudit.service \
		> $(DESTDIR)$(UNITDIR)/tlsaudit.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tlsaudit.service

# five minutes with tlsaudit: throw-away namespaces, a TLS and a plaintext
# server on 443, real clients, the report and the textfile; then cleans up
demo: deps all
	@deploy/demo.sh

# every C file we wrote (vmlinux.h is generated)
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^vmlinux/' || \
	find bpf include user tests -name '*.[ch]')

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@bad=""; for f in $(FORMAT_SRCS); do \
		clang-format "$$f" | cmp -s - "$$f" || bad="$$bad $$f"; \
	done; \
	if [ -z "$$bad" ]; then echo "PASS: format: the tree obeys .clang-format"; \
	else echo "FAIL: format: not as .clang-format says (make format):$$bad"; exit 1; fi

vmlinux:
	@mkdir -p $(VMLINUX_DIR) $(OUT)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(OUT)/vmlinux.h.new
	@if cmp -s $(OUT)/vmlinux.h.new $(VMLINUX_DIR)/vmlinux.h; then \
		echo "vmlinux.h unchanged"; rm -f $(OUT)/vmlinux.h.new; \
	else mv $(OUT)/vmlinux.h.new $(VMLINUX_DIR)/vmlinux.h; echo "vmlinux.h updated"; fi

clean:
	rm -rf $(OUT)
