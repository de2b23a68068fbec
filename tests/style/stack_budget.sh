#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The packet programs' stack against the verifier's budget: a program and the
# subprograms it calls share 512 bytes, each frame rounded up to 32 (the 6.1
# verifier, Debian 12's stock kernel, counts so; newer ones are no stricter).
# make compat finds an overrun too, but only after booting 6.1 under qemu;
# this says it in a second, with the headroom left.
# Usage: stack_budget.sh build/tlsaudit.bpf.o
set -euo pipefail
obj=${1:?usage: stack_budget.sh OBJECT}
budget=512

# The deepest r10 offset each function touches: its frame.
frames=$(llvm-objdump -d --no-show-raw-insn "$obj" | awk '
	/^[0-9a-f]+ <[a-z_0-9]+>:$/ { f = substr($2, 2, length($2) - 3); m[f] += 0 }
	/r10 - [0-9]+/ { match($0, /r10 - [0-9]+/); v = substr($0, RSTART + 6, RLENGTH - 6) + 0
			 if (v > m[f]) m[f] = v }
	END { for (k in m) print k, m[k] }')
frame() { awk -v f="$1" '$1 == f { print int(($2 + 31) / 32) * 32; found = 1 }
	END { if (!found) print -1 }' <<<"$frames"; }

rc=0
# every call chain from a packet program (the flow machine's chain is the
# deep one; the RST builder and the parser are its siblings)
for chain in "ta_tc_ingress ta_l4_skb" "ta_tc_egress ta_l4_skb" "ta_tc_gateway ta_l4_skb" \
	"ta_xdp_gateway ta_l4_xdp" "ta_tc_ingress ta_parse_frame" "ta_xdp_gateway ta_parse_frame" \
	"ta_tc_ingress ta_reset_skb ta_parse_frame" "ta_xdp_gateway ta_reset_xdp ta_parse_frame"; do
	total=0 parts=""
	for fn in $chain; do
		f=$(frame "$fn")
		if [ "$f" -lt 0 ]; then
			echo "FAIL: stack: $fn is not in $obj"
			rc=1
			continue 2
		fi
		total=$((total + f))
		parts="$parts${parts:+ + }$fn ($f)"
	done
	if [ "$total" -gt "$budget" ]; then
		echo "FAIL: stack: $parts = $total bytes, over $budget"
		rc=1
	else
		echo "PASS: stack: $parts = $total of $budget bytes"
	fi
done
exit $rc
