#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/bench/compare.sh - `make bench-compare REF=<commit>`: the per-packet
# cost of REF's BPF programs against this tree's, measured side by side in
# one run on this machine.
#
# REF is checked out in a throw-away git worktree under /tmp, its own
# `make build/bench_packet` is built there, the binary copied out and the
# worktree removed (also on failure or interrupt). Then REF's bench_packet
# and this tree's ($OUT/bench_packet, which make has just brought up to
# date) are run alternately, --trials 1 each, K times each, the order
# swapped every round (ref head, head ref, ...), on the same ClientHello
# fixture (this tree's). Each invocation measures every path next to the
# no-op program of the same type in the same trial, so "over no-op" is what
# is compared; the no-op itself is printed for both, as a check that the
# machine was the same for both.
#
# Printed: for each hook (tc, xdp) and path (unwatched, classified, new_flow,
# continuation), the median over the K invocations of ns over no-op for REF
# and for HEAD, HEAD / REF, and the median no-op ns of each. Written:
# bench/results/compare-<UTC timestamp>.txt and .json (with every run).
#
# The table also replaces the one between the bench:compare markers of
# docs/performance.md.
#
# Knobs: BENCH_COMPARE_TRIALS=11 (K), BENCH_PACKET_REPEAT=1000000,
# BENCH_PACKET_FLOWS=2000, BENCH_RESULTS_DIR=bench/results,
# BENCH_DOC=docs/performance.md, BENCH_UPDATE_DOC=1 (0: leave it alone),
# BENCH_KEEP=1 (keep the temporary directory, every run's output).
# It is a benchmark, not a test: it asserts nothing.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
cd "$REPO" || exit 1
OUT=${OUT:-build}
HEAD_BIN=$REPO/$OUT/bench_packet
HELLO=$REPO/tests/fixtures/tls/python.clienthello.bin
K=${BENCH_COMPARE_TRIALS:-11}
REPEAT=${BENCH_PACKET_REPEAT:-1000000}
FLOWS=${BENCH_PACKET_FLOWS:-2000}
RESULTS_DIR=${BENCH_RESULTS_DIR:-$REPO/bench/results}
DOC=${BENCH_DOC:-$REPO/docs/performance.md}
UPDATE_DOC=${BENCH_UPDATE_DOC:-1}
TS=$(date -u +%Y%m%dT%H%M%SZ)
TMP=""
WT=""

log() { printf 'bench-compare: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
	if [ -n "$WT" ] && [ -e "$WT" ]; then
		git -C "$REPO" worktree remove --force "$WT" 2>/dev/null || rm -rf "$WT"
	fi
	git -C "$REPO" worktree prune 2>/dev/null
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	fi
}

REF=${1:-}
[ -n "$REF" ] || { echo "usage: make bench-compare REF=<commit>" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (BPF_PROG_TEST_RUN)"
[ -x "$HEAD_BIN" ] || die "$HEAD_BIN missing: run make bench-compare"
command -v jq >/dev/null || die "jq missing: run make deps"
[[ $K =~ ^[1-9][0-9]*$ ]] || die "BENCH_COMPARE_TRIALS must be a positive integer"
REF_COMMIT=$(git -C "$REPO" rev-parse --verify --quiet "$REF^{commit}") || die "$REF is not a commit"
REF_SHORT=$(git -C "$REPO" rev-parse --short "$REF_COMMIT")
REF_SUBJECT=$(git -C "$REPO" log -1 --format=%s "$REF_COMMIT")
HEAD_COMMIT=$(git -C "$REPO" rev-parse HEAD)
HEAD_SHORT=$(git -C "$REPO" rev-parse --short HEAD)
git -C "$REPO" status --porcelain --untracked-files=no | grep -q . && HEAD_SHORT="$HEAD_SHORT (with uncommitted changes)"

TMP=$(mktemp -d /tmp/tlsaudit-compare.XXXXXX) || exit 1
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- REF's build

WT=$TMP/ref-src
log "building $REF_SHORT ($REF_SUBJECT) in $WT"
git -C "$REPO" worktree add --detach "$WT" "$REF_COMMIT" >"$TMP/worktree.log" 2>&1 ||
	die "git worktree add failed: $(tail -n 2 "$TMP/worktree.log")"
if ! make -C "$WT" -j"$(nproc)" OUT=build build/bench_packet >"$TMP/ref-build.log" 2>&1; then
	tail -n 20 "$TMP/ref-build.log" >&2
	die "$REF_SHORT: make build/bench_packet failed"
fi
cp "$WT/build/bench_packet" "$TMP/bench_packet.ref" || die "cannot copy REF's bench_packet"
git -C "$REPO" worktree remove --force "$WT" || log "could not remove $WT (removed at exit)"
[ -e "$WT" ] || WT=""

# ---------------------------------------------------------------- runs

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# run WHO ROUND: one invocation, --trials 1
run() {
	local who=$1 i=$2 bin
	[ "$who" = ref ] && bin=$TMP/bench_packet.ref || bin=$HEAD_BIN
	if ! "$bin" --trials 1 --repeat "$REPEAT" --flows "$FLOWS" --hello "$HELLO" \
		--json "$TMP/$who-$i.json" >"$TMP/$who-$i.txt" 2>"$TMP/$who-$i.err"; then
		die "$who bench_packet failed (round $i): $(tail -n 3 "$TMP/$who-$i.err")"
	fi
	jq -e '.results | length > 0 and all(.[]; has("hook") and has("path") and has("over_ns") and has("noop_ns"))' \
		"$TMP/$who-$i.json" >/dev/null 2>&1 ||
		die "$who bench_packet (round $i) wrote no .results[] with hook/path/ns/noop_ns/over_ns"
}
for ((i = 1; i <= K; i++)); do
	if ((i % 2)); then order="ref head"; else order="head ref"; fi
	for who in $order; do
		run "$who" "$i"
	done
	log "round $i of $K done ($order)"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report

# every run, tagged: {who, round, hook, path, ns, noop_ns, over_ns}
for f in "$TMP"/ref-*.json "$TMP"/head-*.json; do
	b=$(basename "$f" .json)
	jq -c --arg who "${b%-*}" --argjson round "${b##*-}" \
		'.results[] | {who: $who, round: $round, hook, path, ns, noop_ns, over_ns}' "$f"
done >"$TMP/runs.jsonl"

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MACHINE="$(uname -n): kernel $(uname -r) $(uname -m), CPU ${cpu:-unknown} x $(grep -c '^processor' /proc/cpuinfo)"
mkdir -p "$RESULTS_DIR" || exit 1
JSON=$RESULTS_DIR/compare-$TS.json
TXT=$RESULTS_DIR/compare-$TS.txt

jq -s --arg ts "$TS" --arg machine "$MACHINE" --arg load0 "$LOAD0" --arg load1 "$LOAD1" \
	--arg ref "$REF_COMMIT" --arg ref_short "$REF_SHORT" --arg ref_subject "$REF_SUBJECT" \
	--arg head "$HEAD_COMMIT" --arg head_short "$HEAD_SHORT" \
	--argjson k "$K" --argjson repeat "$REPEAT" --argjson flows "$FLOWS" '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r1: if . == null then null else . * 10 | round / 10 end;
	. as $runs
	| {timestamp: $ts, machine: $machine, loadavg_start: $load0, loadavg_end: $load1,
	   ref: {commit: $ref, short: $ref_short, subject: $ref_subject},
	   head: {commit: $head, short: $head_short},
	   invocations_each: $k, trials_per_invocation: 1, repeat: $repeat, flows_per_trial: $flows,
	   order: "alternating, swapped every round: ref head, head ref, ...",
	   results: [
		# hooks in bench_packet order (tc, xdp), paths in its order too
		($runs | map(.hook) | unique | sort_by(if . == "tc" then 0 else 1 end))[] as $h
		| ($runs | map(select(.hook == $h and .who == "head" and .round == 1) | .path))[] as $p
		| [$runs[] | select(.hook == $h and .path == $p)] as $rs
		| ([$rs[] | select(.who == "ref")]) as $r | ([$rs[] | select(.who == "head")]) as $d
		| {hook: $h, path: $p,
		   ref_over_ns: ($r | map(.over_ns) | median | r1),
		   head_over_ns: ($d | map(.over_ns) | median | r1),
		   ref_noop_ns: ($r | map(.noop_ns) | median | r1),
		   head_noop_ns: ($d | map(.noop_ns) | median | r1),
		   ref_ns: ($r | map(.ns) | median | r1),
		   head_ns: ($d | map(.ns) | median | r1),
		   ref_over_runs: ($r | sort_by(.round) | map(.over_ns)),
		   head_over_runs: ($d | sort_by(.round) | map(.over_ns))}
		| . + {ratio: (if (.ref_over_ns // 0) > 0 and .head_over_ns != null
			then (.head_over_ns / .ref_over_ns * 1000 | round / 1000) else null end)}],
	   runs: $runs}' "$TMP/runs.jsonl" >"$JSON" || die "could not write $JSON"

{
	echo "# tlsaudit bench-compare, $TS (UTC): per-packet cost over a no-op program, BPF_PROG_TEST_RUN"
	echo "# machine: $MACHINE"
	echo "# REF  $REF_SHORT $REF_SUBJECT"
	echo "# HEAD $HEAD_SHORT $(git -C "$REPO" log -1 --format=%s HEAD)"
	echo "# $K invocations of each (--trials 1 --repeat $REPEAT --flows $FLOWS), alternating, order swapped every round; medians"
	echo "# load average at start / end: $LOAD0 / $LOAD1"
	printf '%-4s %-13s %13s %13s %11s %12s %12s\n' hook path 'REF over ns' 'HEAD over ns' 'HEAD/REF' 'REF noop ns' 'HEAD noop ns'
	jq -r '.results[] | [.hook, .path, .ref_over_ns, .head_over_ns, (.ratio // "n/a"), .ref_noop_ns, .head_noop_ns] | @tsv' "$JSON" |
		while IFS=$'\t' read -r h p ro ho ra rn hn; do
			[ "$ra" = n/a ] || ra=$(printf '%.3f' "$ra")
			printf '%-4s %-13s %+13.1f %+13.1f %11s %12.1f %12.1f\n' "$h" "$p" "$ro" "$ho" "$ra" "$rn" "$hn"
		done
	echo "# HEAD/REF: the ratio of the two medians of ns over no-op (< 1: HEAD is cheaper; n/a when REF's is <= 0)"
	echo "# every run: $(basename "$JSON") .runs[]"
} | tee "$TXT"

# the doc's copy, between its markers
update_doc() {
	local start='<!-- bench:compare:start -->' end='<!-- bench:compare:end -->' new=$TMP/compare.md
	[ "$UPDATE_DOC" = 1 ] && [ -f "$DOC" ] || return 0
	if ! grep -qF "$start" "$DOC" || ! grep -qF "$end" "$DOC"; then
		log "$DOC has no bench:compare markers; not updated"
		return 0
	fi
	{
		echo "$start"
		echo "Latest \`make bench-compare REF=$REF\`: $TS, REF $REF_SHORT, HEAD $HEAD_SHORT; results in"
		echo "\`bench/results/compare-$TS.txt\` (and \`.json\`). $K invocations of each, alternating,"
		echo "\`--trials 1 --repeat $REPEAT --flows $FLOWS\`; medians of ns over the no-op program (HEAD / REF below 1: HEAD is cheaper)."
		echo
		echo "Machine: $MACHINE. Load average at start / end: $LOAD0 / $LOAD1${BENCH_NOTE:+. $BENCH_NOTE}"
		echo
		echo "| hook | path | REF over no-op | HEAD over no-op | HEAD / REF | REF no-op | HEAD no-op |"
		echo "|---|---|---|---|---|---|---|"
		jq -r '.results[] | [.hook, .path, .ref_over_ns, .head_over_ns, (.ratio // "n/a"), .ref_noop_ns, .head_noop_ns] | @tsv' "$JSON" |
			while IFS=$'\t' read -r h p ro ho ra rn hn; do
				[ "$ra" = n/a ] || ra=$(printf '%.3f' "$ra")
				printf '| %s | %s | %+.1f ns | %+.1f ns | %s | %.1f ns | %.1f ns |\n' "$h" "$p" "$ro" "$ho" "$ra" "$rn" "$hn"
			done
		echo "$end"
	} >"$new"
	awk -v s="$start" -v e="$end" -v f="$new" '
		$0 == s { while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0; next }
		!skip { print }' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
	log "updated the comparison in $DOC"
}
update_doc
log "results: $TXT and $JSON"
