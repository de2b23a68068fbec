# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/bench/bench.mk - `make bench` and the benchmark binaries; included by
# the top-level Makefile (which provides OUT, CC, CLANG, BPF_CFLAGS,
# USER_CFLAGS, USER_LDLIBS, CFLAGS, WARN, SKELS and msg).
#
#   make bench               every stage (about 8 minutes on 2 cores)
#   BENCH_STAGES="packet churn" make bench    some stages only
#
# Results: bench/results/<UTC timestamp>.txt and .json; the summary table in
# docs/performance.md is rewritten (BENCH_UPDATE_DOC=0 leaves it alone).
# See tests/bench/run.sh for every knob.

BENCH_BINS := $(OUT)/bench_packet $(OUT)/bench_helper $(OUT)/churn $(OUT)/bench_parse

# the no-op baseline programs (TC and XDP) every per-packet figure is compared to
$(OUT)/noop.bpf.o: tests/bench/noop.bpf.c Makefile tests/bench/bench.mk | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(OUT)/noop.bpf.d -c $< -o $@

# per-packet cost, BPF_PROG_TEST_RUN
$(OUT)/bench_packet: tests/bench/bench_packet.c Makefile tests/bench/bench.mk $(OUT)/libta.a \
		$(SKELS) $(OUT)/noop.skel.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(OUT)/libta.a $(USER_LDLIBS) -o $@

# no-op XDP attached through links, and a BPF_ENABLE_STATS holder
$(OUT)/bench_helper: tests/bench/bench_helper.c Makefile tests/bench/bench.mk \
		$(OUT)/noop.skel.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(USER_LDLIBS) -o $@

# the connection-churn load generator and its server (no libraries)
$(OUT)/churn: tests/bench/churn.c Makefile tests/bench/bench.mk | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP $< -o $@

# userspace handshake parsing, ns per ClientHello on the fixtures
$(OUT)/bench_parse: tests/bench/bench_parse.c Makefile tests/bench/bench.mk $(OUT)/libta.a | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(OUT)/libta.a $(USER_LDLIBS) -o $@

bench: deps $(OUT)/tlsaudit $(BENCH_BINS)
	@OUT=$(OUT) tests/bench/run.sh
	@./$(OUT)/bench_parse | tee $(OUT)/bench-parse.txt
