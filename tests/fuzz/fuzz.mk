# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# libFuzzer harnesses for the TLS handshake parsers (user/tls/hello.c),
# included by the top-level Makefile.
#
#   make fuzz                  build, then run each harness FUZZ_SECONDS (60) s
#   make fuzz-smoke            the same, 10 s each (CI)
#   make fuzz FUZZ_SECONDS=600 longer runs; FUZZ_MAX_LEN (20000) bounds the input,
#                              big enough to cross the 16 KiB reassembly cap
#
# The harnesses are built from the parser sources directly, not libta.a, so
# the sanitizers and coverage instrumentation cover exactly the code under
# test. Each run starts from the captured fixtures (plus whatever earlier runs
# added to build/fuzz/corpus-*) and prints one PASS:/FAIL: line per harness;
# a crashing input is kept as build/fuzz/crash-<name>-*.

FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 20000
FUZZ_CC      ?= clang
FUZZ_DIR     := $(OUT)/fuzz
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 $(WARN) -Iinclude -Iuser
FUZZ_SRCS    := user/tls/hello.c user/tls/ja4.c user/tls/json.c user/tls/names.c user/tls/sha256.c \
	user/output/strbuf.c
FUZZ_HDRS    := $(wildcard user/tls/*.h) user/output/strbuf.h
FUZZ_NAMES   := client_hello server_hello
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

.PHONY: fuzz fuzz-smoke fuzz-build

$(FUZZ_DIR):
	$(Q)mkdir -p $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(FUZZ_HDRS) tests/fuzz/fuzz.mk | $(FUZZ_DIR)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_SRCS) -o $@

fuzz-build: $(FUZZ_BINS)

# corpus-client_hello starts from *.clienthello.bin, corpus-server_hello from
# *.serverhello.bin; the exec count comes from libFuzzer's final stats.
fuzz: $(FUZZ_BINS)
	@fail=0; for n in $(FUZZ_NAMES); do \
		corpus=$(FUZZ_DIR)/corpus-$$n; log=$(FUZZ_DIR)/$$n.log; \
		mkdir -p $$corpus; \
		cp tests/fixtures/tls/*.$$(echo $$n | tr -d _).bin $$corpus/; \
		if $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
			-print_final_stats=1 -dict=tests/fuzz/tls.dict \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$n- $$corpus >$$log 2>&1; then \
			execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
			echo "PASS: fuzz $$n: $${execs:-?} execs clean"; \
		else \
			echo "FAIL: fuzz $$n: see $$log"; \
			grep -m3 -E 'ERROR|SUMMARY|Test unit written' $$log | sed 's/^/      /'; \
			fail=1; \
		fi; \
	done; exit $$fail

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
