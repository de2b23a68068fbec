# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# libFuzzer harnesses for the TLS handshake parsers (user/tls/hello.c) and
# the flow machine (bpf/ta_flow.h through user/capture/hostflow.c), included
# by the top-level Makefile.
#
#   make fuzz                  build, then run each parser harness FUZZ_SECONDS (60) s
#                              and the flow harness FUZZ_FLOW_RUNS (10M) executions
#   make fuzz-smoke            the same, 10 s each
#   make fuzz FUZZ_SECONDS=600 longer runs; FUZZ_MAX_LEN (20000) bounds the input,
#                              big enough to cross the 16 KiB reassembly cap
#   make fuzz FUZZ_SEED=N      libFuzzer's random seed; empty (the default) draws one.
#                              The test suite's smoke run (tests/run.sh) fixes it, so a
#                              test run is repeatable and a red CI is reproducible: a
#                              campaign explores, a test checks
#
# The harnesses are built from the parser sources directly, not libta.a, so
# the sanitizers and coverage instrumentation cover exactly the code under
# test. Each run starts from the captured fixtures (plus whatever earlier runs
# added to build/fuzz/corpus-*) and prints one PASS:/FAIL: line per harness;
# a crashing input is kept as build/fuzz/crash-<name>-*.

FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 20000
FUZZ_SEED    ?=
FUZZ_SEED_OPT = $(if $(FUZZ_SEED),-seed=$(FUZZ_SEED))
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
fuzz: $(FUZZ_BINS) $(FLOW_BINS)
	@fail=0; for n in $(FUZZ_NAMES); do \
		corpus=$(FUZZ_DIR)/corpus-$$n; log=$(FUZZ_DIR)/$$n.log; \
		mkdir -p $$corpus; \
		cp tests/fixtures/tls/*.$$(echo $$n | tr -d _).bin $$corpus/; \
		if $(FUZZ_DIR)/fuzz_$$n $(FUZZ_SEED_OPT) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
			-print_final_stats=1 -dict=tests/fuzz/tls.dict \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$n- $$corpus >$$log 2>&1; then \
			execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
			echo "PASS: fuzz $$n: $${execs:-?} execs clean"; \
		else \
			echo "FAIL: fuzz $$n: see $$log"; \
			grep -m4 -E 'INFO: Seed:|ERROR|SUMMARY|Test unit written' $$log | sed 's/^/      /'; \
			fail=1; \
		fi; \
	done; \
	$(MAKE) --no-print-directory -f Makefile fuzz-flow-run || fail=1; \
	exit $$fail

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10 FUZZ_FLOW_RUNS=0

# ---- the flow machine (tests/fuzz/fuzz_flow.c, tests/fuzz/README.flow.md) ----
#
#   make fuzz-flow-run          replay the seeds, then fuzz FUZZ_FLOW_RUNS executions (or,
#                               with FUZZ_FLOW_RUNS=0, FUZZ_SECONDS); part of make fuzz
#   make fuzz-flow-min CRASH=F  minimise a crashing input F and print its packets
#   build/fuzz/flow_decode F    print an input as a packet list, run it, say what broke
#   FUZZ_FLOW_OFF=1,5r          invariants not to check (TA_FUZZ_OFF), to fuzz past a
#                               known defect
#
# Seeds are packet lists, tests/fuzz/corpus-flow/*.flow, encoded by flow_decode -e into
# build/fuzz/seeds-flow/. defect-* and fixed-* seeds reproduce defects of the flow machine
# that were fixed; a seed that fails is a regression. Only the seeds that pass start the
# campaign, so one known defect does not stop it at once.

FLOW_SRCS     := user/capture/hostflow.c
FLOW_HDRS     := user/capture/hostflow.h bpf/ta_flow.h bpf/ta_parse.h include/ta_classify.h \
	include/tlsaudit.h include/ta_portable.h tests/lib/ta_frames.h
FLOW_FIXTURES := $(sort $(wildcard tests/fixtures/tls/*.bin))
FLOW_CFLAGS   := -Ibpf -Itests/lib -I$(FUZZ_DIR)
FLOW_TOOL_CFLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -std=gnu11 \
	$(WARN) -Iinclude -Iuser $(FLOW_CFLAGS)
FLOW_MAX_LEN  ?= 4096
FLOW_SEEDS    := $(sort $(wildcard tests/fuzz/corpus-flow/*.flow))
# make fuzz runs the flow campaign for FUZZ_FLOW_RUNS executions (about 13 min at the
# ~13k/s of this machine); FUZZ_FLOW_RUNS=0 bounds it by FUZZ_SECONDS instead (the smoke)
FUZZ_FLOW_RUNS ?= 10000000
FLOW_BUDGET   = $(if $(filter-out 0,$(FUZZ_FLOW_RUNS)),-runs=$(FUZZ_FLOW_RUNS),-max_total_time=$(FUZZ_SECONDS))
FUZZ_FLOW_OFF ?=
FLOW_BINS     := $(FUZZ_DIR)/fuzz_flow $(FUZZ_DIR)/flow_decode

.PHONY: fuzz-flow-run fuzz-flow-seeds fuzz-flow-min fuzz-flow-findings

# the fixtures as C initialisers: { "curl-tls13.ch", (const __u8[]){ ... }, 260 },
$(FUZZ_DIR)/flow_fixtures.h: $(FLOW_FIXTURES) tests/fuzz/fuzz.mk | $(FUZZ_DIR)
	$(call msg,GEN,$@)
	$(Q)for f in $(FLOW_FIXTURES); do \
		n=$$(basename $$f .bin | sed -e 's/\.clienthello$$/.ch/' -e 's/\.serverhello$$/.sh/'); \
		printf '{ "%s", (const __u8[]){' $$n; \
		od -An -v -tx1 $$f | tr -s ' \n' '  ' | sed -e 's/ *$$//' -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
		printf '}, %s },\n' $$(wc -c < $$f); \
	done > $@

# The harness itself is built without coverage instrumentation: it is the
# machine's coverage that should guide the fuzzer, and the harness's own
# compares would cost a third of the time.
$(FUZZ_DIR)/fuzz_flow.o: tests/fuzz/fuzz_flow.c $(FLOW_HDRS) $(FUZZ_DIR)/flow_fixtures.h \
		tests/fuzz/fuzz.mk | $(FUZZ_DIR)
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(FLOW_TOOL_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_flow: $(FUZZ_DIR)/fuzz_flow.o $(FLOW_SRCS) $(FLOW_HDRS) tests/fuzz/fuzz.mk | $(FUZZ_DIR)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FLOW_CFLAGS) $< $(FLOW_SRCS) -o $@

# the same source as a tool, without libFuzzer, sanitizers kept
$(FUZZ_DIR)/flow_decode: tests/fuzz/fuzz_flow.c $(FLOW_SRCS) $(FLOW_HDRS) $(FUZZ_DIR)/flow_fixtures.h \
		tests/fuzz/fuzz.mk | $(FUZZ_DIR)
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(FLOW_TOOL_CFLAGS) -DTA_FLOW_TOOL $< $(FLOW_SRCS) -o $@

fuzz-build: $(FLOW_BINS)

fuzz-flow-seeds: $(FLOW_BINS)
	@rm -rf $(FUZZ_DIR)/seeds-flow && mkdir -p $(FUZZ_DIR)/seeds-flow
	@for s in $(FLOW_SEEDS); do \
		$(FUZZ_DIR)/flow_decode -e < $$s > $(FUZZ_DIR)/seeds-flow/$$(basename $$s .flow) \
			|| exit 1; \
	done

# each seed once (a defect-* seed says which defect it is), then the campaign
fuzz-flow-run: fuzz-flow-seeds
	@fail=0; corpus=$(FUZZ_DIR)/corpus-flow; log=$(FUZZ_DIR)/flow.log; \
	mkdir -p $$corpus; \
	for s in $(FUZZ_DIR)/seeds-flow/*; do \
		[ -f "$$s" ] || continue; n=$$(basename $$s); \
		if TA_FUZZ_OFF=$(FUZZ_FLOW_OFF) $(FUZZ_DIR)/fuzz_flow $$s >$(FUZZ_DIR)/seed-$$n.log 2>&1; then \
			cp $$s $$corpus/seed-$$n; \
			case $$n in defect-*|fixed-*) echo "PASS: fuzz flow seed $$n";; esac; \
		else \
			echo "FAIL: fuzz flow seed $$n: $$(grep -m1 -E '^fuzz_flow: invariant|^SUMMARY: ' $(FUZZ_DIR)/seed-$$n.log)"; \
			echo "      packets: $(FUZZ_DIR)/flow_decode $$s"; \
			rm -f $$corpus/seed-$$n; fail=1; \
		fi; \
	done; \
	if TA_FUZZ_OFF=$(FUZZ_FLOW_OFF) $(FUZZ_DIR)/fuzz_flow $(FUZZ_SEED_OPT) $(FLOW_BUDGET) \
		-max_len=$(FLOW_MAX_LEN) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/flow- $$corpus >$$log 2>&1; then \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
		rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log); \
		echo "PASS: fuzz flow: $${execs:-?} execs clean ($${rate:-?}/s)"; \
	else \
		echo "FAIL: fuzz flow: see $$log"; \
		grep -m1 -E '^fuzz_flow: invariant|^SUMMARY: ' $$log | sed 's/^/      /'; \
		grep -m1 'INFO: Seed:' $$log | sed 's/^/      /'; \
		grep -m1 'Test unit written' $$log | sed 's/^/      /'; \
		echo "      minimise and print: make fuzz-flow-min CRASH=<that file>"; \
		crash=$$(sed -n 's/.*Test unit written to \(.*\)$$/\1/p' $$log | head -1); \
		if [ -f "$$crash" ]; then \
			echo "      the input, as a packet list (build/fuzz/flow_decode -e reads it back):"; \
			$(FUZZ_DIR)/flow_decode $$crash 2>&1 | head -n 200 | sed 's/^/      | /'; \
		fi; \
		fail=1; \
	fi; exit $$fail

# minimised with only the crash's own invariant checked, so that it does not
# turn into another one on the way
fuzz-flow-min: $(FLOW_BINS)
	@test -n "$(CRASH)" || { echo "usage: make fuzz-flow-min CRASH=build/fuzz/flow-crash-..."; exit 2; }
	@code=$$(TA_FUZZ_OFF=$(FUZZ_FLOW_OFF) $(FUZZ_DIR)/fuzz_flow $(CRASH) 2>&1 \
		| sed -n 's/^fuzz_flow: invariant \([^ ]*\) violated.*/\1/p' | head -1); \
	test -n "$$code" || { echo "$(CRASH): no invariant breaks"; exit 1; }; \
	TA_FUZZ_ONLY=$$code $(FUZZ_DIR)/fuzz_flow -minimize_crash=1 -max_total_time=60 \
		-exact_artifact_path=$(CRASH).min $(CRASH) >$(CRASH).min.log 2>&1; \
	TA_FUZZ_ONLY=$$code $(FUZZ_DIR)/flow_decode $(CRASH).min || true

# violations found by fuzz_flow that await a decision: each is expected to fail
# until the machine is fixed or the invariant relaxed
fuzz-flow-findings: $(FLOW_BINS)
	@for s in $(sort $(wildcard tests/fuzz/findings-flow/*.flow)); do \
		n=$$(basename $$s .flow); b=$(FUZZ_DIR)/$$n; \
		$(FUZZ_DIR)/flow_decode -e < $$s > $$b || exit 1; \
		if $(FUZZ_DIR)/flow_decode $$b > $$b.txt 2>&1; then echo "PASS: fuzz flow finding $$n"; \
		else echo "FAIL: fuzz flow finding $$n: $$(grep -m1 -E '^fuzz_flow: invariant|^SUMMARY: ' $$b.txt \
			| sed 's/^fuzz_flow: //')"; fi; \
	done
