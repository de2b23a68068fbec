# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/bench/bench.mk - `make bench` and the benchmark binaries; included by
# the top-level Makefile (which provides OUT, CC, CLANG, BPF_CFLAGS,
# USER_CFLAGS, USER_LDLIBS, CFLAGS, WARN, SKELS and msg).
#
#   make bench               every stage: packet bulk churn peers replay rst
#                            synflood (about 13 minutes on 2 cores)
#   BENCH_STAGES="packet replay" make bench    some stages only
#   make bench-compare REF=<commit>    REF's per-packet cost against this tree's
#
# Results: bench/results/<UTC timestamp>.txt and .json; the summary table in
# docs/performance.md is rewritten (BENCH_UPDATE_DOC=0 leaves it alone).
# See tests/bench/run.sh for every knob. The replay stage records the churn
# workload with tcpdump (BENCH_REPLAY_N connections, default 50000) and reads
# that file with tlsaudit -r, ndpiReader -i FILE and tshark -r, each alone,
# BENCH_REPLAY_REPS (3) interleaved repetitions: CPU and wall seconds,
# packets/s, flows seen; the target is less CPU than ndpiReader.
#
# bench-compare (tests/bench/compare.sh) checks REF out in a git worktree
# under /tmp, builds REF's own build/bench_packet there, removes the worktree
# (also on failure or interrupt), then runs REF's bench_packet and this
# tree's alternately, --trials 1 each, BENCH_COMPARE_TRIALS (11) times each,
# and prints per hook and path the median ns over no-op of both, HEAD/REF
# and both no-op figures; bench/results/compare-<UTC timestamp>.txt and .json.
# REF's bench_packet must take --trials/--repeat/--flows/--hello/--json and
# write .results[] with hook/path/ns/noop_ns/over_ns (5d90aba's does).

BENCH_BINS := $(OUT)/bench_packet $(OUT)/bench_helper $(OUT)/churn $(OUT)/bench_parse \
	$(OUT)/enfbench

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

# the enforcement stages' server, clients and SYN flood (no libraries)
$(OUT)/enfbench: tests/bench/enfbench.c Makefile tests/bench/bench.mk | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP $< -o $@

# userspace handshake parsing, ns per ClientHello on the fixtures
$(OUT)/bench_parse: tests/bench/bench_parse.c Makefile tests/bench/bench.mk $(OUT)/libta.a | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(OUT)/libta.a $(USER_LDLIBS) -o $@

bench: deps $(OUT)/tlsaudit $(BENCH_BINS)
	@OUT=$(OUT) tests/bench/run.sh
	@./$(OUT)/bench_parse | tee $(OUT)/bench-parse.txt

# REF's per-packet cost against this tree's, side by side (tests/bench/compare.sh)
.PHONY: bench-compare
bench-compare: $(OUT)/bench_packet
	@test -n "$(REF)" || { echo "usage: make bench-compare REF=<commit> [BENCH_COMPARE_TRIALS=11]" >&2; exit 2; }
	@OUT=$(OUT) tests/bench/compare.sh "$(REF)"
