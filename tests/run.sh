#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run every test layer: unit (host, no privileges), packet (BPF_PROG_TEST_RUN,
# root) and end-to-end (namespaces and real clients, root).
#
# Every test prints "PASS: name", "FAIL: name: why" or "SKIP: name: why". This
# runner counts them and ends with "N passed, N failed, N skipped". A test
# program that exits non-zero without a FAIL line counts as one failure. Under
# CI=true a skip is a failure: privileged tests must really run there.
#
#   tests/run.sh            all layers
#   TA_TESTS=unit tests/run.sh    one layer (style, unit, fuzz, packet, compat, e2e), or a
#                                 space list; compat boots Debian 12's 6.1 kernel under
#                                 qemu and runs the packet, core and live checks there
# The fuzz layer is a short libFuzzer smoke run of the userspace parsers
# (FUZZ_SECONDS, default 10 s each) and the flow machine (FUZZ_FLOW_RUNS,
# default 150000 executions), from a fixed seed (FUZZ_SEED, default 1;
# FUZZ_SEED= draws one), so the same tree passes or fails the same way on
# every machine; `make fuzz` is the campaign that explores (random seed, the
# flow machine 10M executions).
set -u
cd "$(dirname "$0")/.." || exit 1
layers=${TA_TESTS:-style unit fuzz packet compat e2e}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() { # layer, command...
	local layer=$1 out rc
	shift
	printf '== %s: %s\n' "$layer" "$*"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	cat "$out" >>"$log"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL:' "$out"; then
		echo "FAIL: $*: exited with status $rc" | tee -a "$log"
	fi
	rm -f "$out"
}

for layer in $layers; do
	case $layer in
	style)  run_one style make -s --no-print-directory format-check
		run_one style bash tests/style/stack_budget.sh build/tlsaudit.bpf.o ;;
	unit)   for t in build/tests/unit/test_*; do [ -x "$t" ] && run_one unit "$t"; done ;;
	fuzz)   run_one fuzz make -s --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" \
			FUZZ_FLOW_RUNS="${FUZZ_FLOW_RUNS:-150000}" FUZZ_SEED="${FUZZ_SEED-1}" ;;
	packet) for t in build/tests/packet/test_*; do [ -x "$t" ] && run_one packet "$t"; done ;;
	compat) if [ "$(id -u)" -eq 0 ]; then run_one compat env TA_COMPAT_NO_BUILD=1 tests/compat/run.sh
		else echo "SKIP: compat: needs root (qemu, the guest's BPF)" | tee -a "$log"; fi ;;
	e2e)    for t in tests/e2e/test_*.sh; do [ -f "$t" ] && run_one e2e bash "$t"; done ;;
	*)      echo "unknown test layer: $layer" >&2; exit 2 ;;
	esac
done

passed=$(grep -c '^PASS:' "$log")
failed=$(grep -c '^FAIL:' "$log")
skipped=$(grep -c '^SKIP:' "$log")
if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
	echo "CI=true: $skipped skipped test(s) count as failures:"
	grep '^SKIP:' "$log"
	failed=$((failed + skipped))
fi
echo
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "no test ran"
	failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
