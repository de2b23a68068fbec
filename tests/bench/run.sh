#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/bench/run.sh - `make bench`: what tlsaudit costs, every figure a ratio
# or a difference measured side by side in the same run on this machine.
#
# Stages (BENCH_STAGES, default all seven, in this order):
#   packet  per-packet cost of the TC and XDP programs over a no-op program
#           of the same type (build/bench_packet, BPF_PROG_TEST_RUN); then
#           (bench_packet --enforce) the same paths and a blocked flow's
#           packet in two fresh instances, audit and --enforce (rodata),
#           interleaved: enforce / audit of the cost over the no-op
#   bulk    iperf3 over veth, server on port 443, interleaved repetitions:
#           host mode (tlsaudit -i c0 vs nothing) and gateway mode through a
#           forwarding namespace (--hook xdp vs a no-op XDP program on the
#           same interfaces; --hook tc vs nothing)
#   churn   N short connections to port 443 (build/churn), half ClientHello,
#           half plaintext HTTP, interleaved runs with tlsaudit -j and
#           without: connections/s, tlsaudit's flow events against the
#           connections made, its loss counters, its CPU per 1k flows and RSS
#   peers   the same churn workload watched by tlsaudit (with BPF run-time
#           stats on, so the in-kernel cost is counted too), tshark and
#           ndpiReader, each alone: CPU seconds and flows seen
#   replay  the churn workload recorded by tcpdump on c0 (port 443), then
#           that one file read by tlsaudit -r, ndpiReader -i FILE and
#           tshark -r, each alone, interleaved repetitions: CPU seconds
#           (user + sys, children included), wall seconds, packets/s, flows
#   rst     time to RST: build/enfbench rst-client sends "GET /" to port 443
#           under tlsaudit --enforce (host mode on the server's s0; gateway
#           --hook xdp and --hook tc), BENCH_RST_N tries per mode each
#           bounded at BENCH_RST_BOUND_MS: from the send() to ECONNRESET,
#           median and p90, and how many tries got no reset in time; a
#           reference mode (no tlsaudit, iptables tcp-reset) first
#   synflood  gateway --enforce --hook xdp: K decided TLS connections and K
#           blocked plaintext ones (build/enfbench conns), then
#           BENCH_SYNFLOOD_N spoofed SYNs on the wire (build/enfbench
#           synflood, AF_PACKET): how many TLS connections still carry a
#           request and its echo, how many blocked ones still get no byte to
#           the server (build/enfbench server logs every byte), the flood's
#           packets/s, tlsaudit's evictions and insert failures
#
# It is a benchmark, not a test: it asserts nothing and exits 0 when it could
# measure; each figure is printed next to its target, missed ones marked
# MISSED. Output: bench/results/<UTC timestamp>.txt and .json, and the
# summary table in docs/performance.md (between its bench:summary markers).
#
# Knobs (environment):
#   BENCH_STAGES="packet bulk churn peers replay rst synflood"
#   BENCH_PACKET_TRIALS=11 BENCH_PACKET_REPEAT=1000000 BENCH_PACKET_FLOWS=2000
#   BENCH_BULK_REPS=5 BENCH_BULK_SECS=5
#   BENCH_CHURN_N=100000 BENCH_CHURN_REPS=3 BENCH_CHURN_WORKERS=2 BENCH_CHURN_CONC=32
#   BENCH_REPLAY_N=50000 BENCH_REPLAY_REPS=3
#   BENCH_RST_N=20 BENCH_RST_BOUND_MS=2000 BENCH_RST_MODES="ref host gw_xdp gw_tc"
#   BENCH_SYNFLOOD_N=1000000 BENCH_SYNFLOOD_K=20 BENCH_SYNFLOOD_MAX_FLOWS=262144
#   BENCH_RESULTS_DIR=bench/results BENCH_DOC=docs/performance.md
#   BENCH_UPDATE_DOC=1 (0: leave the doc alone)   BENCH_KEEP=1 (keep the temp dir)
#
# Everything runs in throw-away network namespaces (tab-*-PID); processes are
# stopped by PID; namespaces are deleted on exit, whatever the exit.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
cd "$REPO" || exit 1
OUT=${OUT:-build}
TLSAUDIT=${TLSAUDIT:-$REPO/$OUT/tlsaudit}
BENCH_PACKET=$REPO/$OUT/bench_packet
HELPER=$REPO/$OUT/bench_helper
CHURN=$REPO/$OUT/churn
ENFBENCH=$REPO/$OUT/enfbench
HELLO=$REPO/tests/fixtures/tls/python.clienthello.bin

STAGES=${BENCH_STAGES:-packet bulk churn peers replay rst synflood}
PACKET_TRIALS=${BENCH_PACKET_TRIALS:-11}
PACKET_REPEAT=${BENCH_PACKET_REPEAT:-1000000}
PACKET_FLOWS=${BENCH_PACKET_FLOWS:-2000}
BULK_REPS=${BENCH_BULK_REPS:-5}
BULK_SECS=${BENCH_BULK_SECS:-5}
CHURN_N=${BENCH_CHURN_N:-100000}
CHURN_REPS=${BENCH_CHURN_REPS:-3}
CHURN_WORKERS=${BENCH_CHURN_WORKERS:-2}
CHURN_CONC=${BENCH_CHURN_CONC:-32}
CHURN_TIMEOUT=${BENCH_CHURN_TIMEOUT:-120}
REPLAY_N=${BENCH_REPLAY_N:-50000}
REPLAY_REPS=${BENCH_REPLAY_REPS:-3}
RST_N=${BENCH_RST_N:-20}
RST_BOUND_MS=${BENCH_RST_BOUND_MS:-2000}
RST_MODES=${BENCH_RST_MODES:-ref host gw_xdp gw_tc}
FLOOD_N=${BENCH_SYNFLOOD_N:-1000000}
FLOOD_K=${BENCH_SYNFLOOD_K:-20}
FLOOD_MAX_FLOWS=${BENCH_SYNFLOOD_MAX_FLOWS:-262144}
RESULTS_DIR=${BENCH_RESULTS_DIR:-$REPO/bench/results}
DOC=${BENCH_DOC:-$REPO/docs/performance.md}
UPDATE_DOC=${BENCH_UPDATE_DOC:-1}

# targets
T_BULK_RATIO=0.97
T_CHURN_RATIO=0.95
T_CPU_PER_1K=0.02 # CPU seconds per 1000 flows = cores per 1000 flows/s
T_RSS_MB=20       # plus the BPF maps mapped into the process
T_PEER_FACTOR=10

TS=$(date -u +%Y%m%dT%H%M%SZ)
CLK_TCK=$(getconf CLK_TCK)
TMP=""
NS_MADE=()
BG_PIDS=()
BG_PID=""
TA_PID=""

# namespaces: host mode (client, server) and gateway mode (client, gateway, server)
NS_C=tab-cli-$$
NS_S=tab-srv-$$
NS_GC=tab-gcli-$$
NS_GW=tab-gw-$$
NS_GS=tab-gsrv-$$
H_CLI=10.204.0.1
H_SRV=10.204.0.2
G_CLI=10.205.1.1
G_GW1=10.205.1.254
G_GW2=10.205.2.254
G_SRV=10.205.2.1

# ---------------------------------------------------------------- helpers

log() { printf 'bench: %s\n' "$*" >&2; }
# say: a line of the report (stdout and the .txt)
say() { printf '%s\n' "$*" | tee -a "$TXT"; }

pid_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

wait_exit() { # PID TIMEOUT_S
	local deadline=$((SECONDS + $2))
	while pid_alive "$1"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# stop_pid PID [SIG=TERM] [TIMEOUT=10]: signal, bounded wait, SIGKILL, reap.
# Returns the exit status.
stop_pid() {
	local pid=$1 sig=${2:-TERM} to=${3:-10} i
	[ -n "$pid" ] || return 0
	if pid_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null
		if ! wait_exit "$pid" "$to"; then
			log "pid $pid did not exit ${to}s after SIG$sig; killing it"
			kill -KILL "$pid" 2>/dev/null
			wait_exit "$pid" 5
		fi
	fi
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[$i]}" = "$pid" ] && unset 'BG_PIDS[i]'
	done
	wait "$pid" 2>/dev/null
}

# bg NAME NS CMD...: start CMD in netns NS ("" = this one), stdout and stderr
# to $TMP/NAME.out/.err; sets BG_PID (nsenter execs: it is CMD's own PID).
# SIGINT is reset to default: a non-interactive bash starts jobs ignoring it.
bg() {
	local name=$1 ns=$2
	shift 2
	if [ -n "$ns" ]; then
		env --default-signal=INT nsenter --net="/run/netns/$ns" "$@" \
			</dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
	else
		env --default-signal=INT "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
	fi
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

wait_line() { # FILE REGEX TIMEOUT_S PID
	local deadline=$((SECONDS + $3))
	while :; do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		pid_alive "$4" || { grep -qE -- "$2" "$1" 2>/dev/null; return; }
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

wait_listen() { # NS ADDR PORT TIMEOUT_S PID
	local deadline=$((SECONDS + $4))
	while :; do
		nsenter --net="/run/netns/$1" ss -Hltn 2>/dev/null |
			awk -v w="$2:$3" '$4 == w { f = 1 } END { exit !f }' && return 0
		pid_alive "$5" || return 1
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# descendants PID: PID and every process below it
descendants() {
	local p c kids
	echo "$1"
	for p in /proc/"$1"/task/*/children; do
		kids=()
		read -ra kids <"$p" 2>/dev/null # no newline at its end: read says 1
		for c in "${kids[@]}"; do
			descendants "$c"
		done
	done
}

# cpu_ticks PID: utime+stime of PID and its live descendants, in clock ticks
cpu_ticks() {
	local p t=0 v
	for p in $(descendants "$1"); do
		v=$(sed 's/^[0-9]* (.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# wait_idle PID MAX_S: until PID's tree used < 3 ticks in each of two
# consecutive half-second windows (it has caught up), or MAX_S passed.
# Prints the seconds it waited.
wait_idle() {
	local pid=$1 start=$SECONDS quiet=0 prev cur
	prev=$(cpu_ticks "$pid")
	while [ $((SECONDS - start)) -lt "$2" ] && pid_alive "$pid"; do
		sleep 0.5
		cur=$(cpu_ticks "$pid")
		if [ $((cur - prev)) -lt 3 ]; then
			quiet=$((quiet + 1))
			[ "$quiet" -ge 2 ] && break
		else
			quiet=0
		fi
		prev=$cur
	done
	echo $((SECONDS - start))
}

ticks_to_s() { awk -v t="$1" -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }'; }
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "null"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# row STAGE FIGURE MEASURED TARGET STATUS: one line of the summary table
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TMP/rows.tsv"; }
# ge / le VALUE TARGET -> ok | MISSED (n/a when VALUE is not a number)
ge() { awk -v v="$1" -v t="$2" 'BEGIN { if (v !~ /^[-+0-9.eE]+$/) print "n/a"; else print (v + 0 >= t + 0) ? "ok" : "MISSED" }'; }
le() { awk -v v="$1" -v t="$2" 'BEGIN { if (v !~ /^[-+0-9.eE]+$/) print "n/a"; else print (v + 0 <= t + 0) ? "ok" : "MISSED" }'; }

# json FILE KEY=VALUE...: a flat JSON object (numbers and true/false/null
# stay bare, everything else is a string)
json_obj() {
	local f=$1 kv k v sep=""
	shift
	{
		printf '{'
		for kv in "$@"; do
			k=${kv%%=*} v=${kv#*=}
			if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ || $v == true || $v == false || $v == null ]]; then
				printf '%s"%s":%s' "$sep" "$k" "$v"
			else
				printf '%s"%s":%s' "$sep" "$k" "$(printf '%s' "$v" | jq -Rs .)"
			fi
			sep=,
		done
		printf '}\n'
	} >>"$f"
}

have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- namespaces

ns_add() {
	local ns=$1
	[ -e "/run/netns/$ns" ] && { log "namespace $ns already exists"; return 1; }
	ip netns add "$ns" || return 1
	NS_MADE+=("$ns")
	nsenter --net="/run/netns/$ns" sh -c '
		echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
		exit 0' 2>/dev/null
	ip -n "$ns" link set lo up
}

ns_del() {
	local ns=$1 pid i
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		wait_exit "$pid" 3 || kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	for i in "${!NS_MADE[@]}"; do
		[ "${NS_MADE[$i]}" = "$ns" ] && unset 'NS_MADE[i]'
	done
}

wait_up() { # NS DEV
	local deadline=$((SECONDS + 10))
	until ip -n "$1" link show "$2" 2>/dev/null | grep -q 'state UP'; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

setup_host_topology() {
	ns_add "$NS_C" && ns_add "$NS_S" || return 1
	ip -n "$NS_C" link add c0 type veth peer name s0 netns "$NS_S" || return 1
	ip -n "$NS_C" addr add "$H_CLI/24" dev c0
	ip -n "$NS_S" addr add "$H_SRV/24" dev s0
	ip -n "$NS_C" link set c0 up
	ip -n "$NS_S" link set s0 up
	wait_up "$NS_C" c0 && wait_up "$NS_S" s0
}

setup_gateway_topology() {
	ns_add "$NS_GC" && ns_add "$NS_GW" && ns_add "$NS_GS" || return 1
	ip -n "$NS_GC" link add c0 type veth peer name g1 netns "$NS_GW" || return 1
	ip -n "$NS_GW" link add g2 type veth peer name s0 netns "$NS_GS" || return 1
	ip -n "$NS_GC" addr add "$G_CLI/24" dev c0
	ip -n "$NS_GW" addr add "$G_GW1/24" dev g1
	ip -n "$NS_GW" addr add "$G_GW2/24" dev g2
	ip -n "$NS_GS" addr add "$G_SRV/24" dev s0
	nsenter --net="/run/netns/$NS_GW" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_GC" link set c0 up
	ip -n "$NS_GW" link set g1 up
	ip -n "$NS_GW" link set g2 up
	ip -n "$NS_GS" link set s0 up
	ip -n "$NS_GC" route add default via "$G_GW1"
	ip -n "$NS_GS" route add default via "$G_GW2"
	wait_up "$NS_GC" c0 && wait_up "$NS_GW" g1 && wait_up "$NS_GW" g2 && wait_up "$NS_GS" s0
}

cleanup() {
	local pid ns
	# newest first: tlsaudit and the helpers before the servers
	for pid in $(printf '%s\n' "${BG_PIDS[@]}" | tac); do
		[ -n "$pid" ] && stop_pid "$pid" INT 10
	done
	for ns in "${NS_MADE[@]}"; do
		ns_del "$ns"
	done
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	fi
}

# ---------------------------------------------------------------- tlsaudit

# ta_start NAME NS ARGS...: tlsaudit -j ARGS in NS; sets TA_PID; waits for
# its ready line (20 s)
ta_start() {
	local name=$1 ns=$2
	shift 2
	bg "$name" "$ns" "$TLSAUDIT" -j "$@"
	TA_PID=$BG_PID
	if ! wait_line "$TMP/$name.err" '^tlsaudit: ready' 20 "$TA_PID"; then
		log "tlsaudit ($name) did not start: $(tail -n 3 "$TMP/$name.err")"
		stop_pid "$TA_PID" KILL 5
		TA_PID=""
		return 1
	fi
}

ta_stop() { # returns tlsaudit's exit status
	local pid=$TA_PID
	TA_PID=""
	stop_pid "$pid" INT 20
}

# ta_stats FILE KEY: a counter from tlsaudit's final stats line
ta_stats() {
	jq -R -r --arg k "$2" 'fromjson? | select(type == "object" and .event == "stats") | .[$k] // empty' "$1" 2>/dev/null | tail -n 1
}

# ta_flows FILE [VERDICT]: flow events (of one verdict)
ta_flows() {
	jq -R -r --arg v "${2:-}" 'fromjson? | select(type == "object" and .event == "flow")
		| select($v == "" or .verdict == $v) | 1' "$1" 2>/dev/null | wc -l
}

# kB of the process's memory that is BPF maps mapped into it (ring buffer...)
bpf_map_rss_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = ($0 ~ /bpf-map|anon_inode:\[?bpf/) }
		m && /^Rss:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ids of the BPF programs PID holds (directly or through links)
bpf_prog_ids() {
	grep -hs '^prog_id:' /proc/"$1"/fdinfo/* | awk '{ print $2 }' | sort -un
}

# sum of run_time_ns (and run_cnt) over program ids: "NS CNT"
bpf_prog_runtime() {
	local id ns=0 cnt=0 line
	for id in "$@"; do
		line=$(bpftool -j prog show id "$id" 2>/dev/null | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"' 2>/dev/null)
		[ -n "$line" ] || continue
		ns=$((ns + ${line% *}))
		cnt=$((cnt + ${line#* }))
	done
	echo "$ns $cnt"
}

# ---------------------------------------------------------------- machine

machine_info() {
	local cpu ncpu mem virt os hyp commit dirty
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	ncpu=$(grep -c '^processor' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	virt=$(systemd-detect-virt 2>/dev/null || echo none)
	grep -qw hypervisor /proc/cpuinfo && hyp=yes || hyp=no
	os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
	commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
	dirty=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)")
	M_HOST=$(uname -n)
	M_KERNEL="$(uname -r) $(uname -m)"
	M_CPU="${cpu:-unknown} x $ncpu"
	M_LINE="$M_HOST: $os, kernel $M_KERNEL, CPU $M_CPU, $mem RAM, virtualization: $virt (hypervisor flag: $hyp)"
	M_COMMIT="$commit${dirty:-}"
	json_obj "$TMP/machine.json" host="$M_HOST" os="$os" kernel="$(uname -r)" arch="$(uname -m)" \
		cpu_model="${cpu:-unknown}" cpus="$ncpu" memory="$mem" virtualization="$virt" \
		hypervisor="$hyp" commit="$M_COMMIT" loadavg_start="$(cut -d' ' -f1-3 /proc/loadavg)"
}

# ================================================================ stages

stage_packet() {
	say ""
	say "== 1. per-packet cost (BPF_PROG_TEST_RUN; no-op program of the same type measured in the same trial)"
	if ! "$BENCH_PACKET" --trials "$PACKET_TRIALS" --repeat "$PACKET_REPEAT" --flows "$PACKET_FLOWS" \
		--hello "$HELLO" --json "$TMP/packet.json" --enforce >"$TMP/packet.txt" 2>"$TMP/packet.err"; then
		say "bench_packet failed: $(tail -n 3 "$TMP/packet.err")"
		row packet "bench_packet" "failed" "-" "n/a"
		return 0
	fi
	tee -a "$TXT" <"$TMP/packet.txt"
	jq -r '.results[] | [.hook, .path, .over_ns, .ns, .noop_ns, .target_over_ns, (if .missed then "MISSED" else "ok" end)] | @tsv' \
		"$TMP/packet.json" | while IFS=$'\t' read -r hook path over ns noop tgt st; do
		local what
		case $path in
		unwatched) what="unwatched port" ;;
		classified) what="classified flow packet" ;;
		new_flow) what="new flow: first payload + event" ;;
		continuation) what="ClientHello continuation" ;;
		*) what=$path ;;
		esac
		row "per-packet" "${hook^^} $what, over no-op" \
			"$(printf '%+.1f ns (%.1f vs %.1f)' "$over" "$ns" "$noop")" "<= +$tgt ns" "$st"
	done
	# --enforce against audit, same run (bench_packet --enforce): the ratio of
	# the costs over the no-op, and both costs
	jq -r '.enforce[]? | select(.path != "unwatched") | [.hook, .path, (.ratio_over // "n/a"), .enforce_over_ns, .audit_over_ns,
		.enforce_minus_audit_ns, .enforce_drop, (.enforce_pass + .enforce_drop)] | @tsv' \
		"$TMP/packet.json" | while IFS=$'\t' read -r hook path ratio e a d drop runs; do
		local what
		ratio=$(awk -v r="$ratio" 'BEGIN { if (r ~ /^[-+0-9.eE]+$/) printf "%.3f", r; else print r }')
		case $path in
		classified) what="classified flow packet" ;;
		new_flow) what="new flow: first payload + event" ;;
		continuation) what="ClientHello continuation" ;;
		blocked) what="blocked flow: next segment (dropped $drop/$runs)" ;;
		*) what=$path ;;
		esac
		row "enforce" "${hook^^} $what, enforce / audit" \
			"$(printf '%s (%+.1f vs %+.1f ns over no-op, %+.1f)' "$ratio" "$e" "$a" "$d")" "-" "info"
	done
}

# iperf3 client run: prints Gbit/s (or "null")
iperf_run() { # NS SERVER_ADDR NAME
	local f=$TMP/$3.json
	timeout $((BULK_SECS + 25)) nsenter --net="/run/netns/$1" iperf3 -c "$2" -p 443 -t "$BULK_SECS" -J \
		</dev/null >"$f" 2>"$TMP/$3.err"
	jq -r '(.end.sum_received.bits_per_second // empty) / 1e9 | . * 1000 | round / 1000' "$f" 2>/dev/null |
		grep -E '^[0-9.]+$' || echo null
}

# start (or restart) an iperf3 server on port 443 in NS; sets IPERF_PID
iperf_server() { # NS ADDR NAME
	[ -n "${IPERF_PID:-}" ] && stop_pid "$IPERF_PID" TERM 5
	bg "$3" "$1" iperf3 -s -p 443 -B "$2"
	IPERF_PID=$BG_PID
	wait_listen "$1" "$2" 443 10 "$IPERF_PID"
}

# bulk_mode_on MODE / bulk_mode_off: the gateway's observer for one run
bulk_mode_on() {
	case $1 in
	none) return 0 ;;
	noop_xdp)
		bg "gw-noop-$2" "$NS_GW" "$HELPER" xdp-noop g1 g2
		MODE_PID=$BG_PID
		wait_line "$TMP/gw-noop-$2.err" '^bench_helper: ready' 10 "$MODE_PID" || {
			log "no-op XDP attach failed: $(tail -n 2 "$TMP/gw-noop-$2.err")"
			stop_pid "$MODE_PID" KILL 5
			return 1
		}
		;;
	ta_xdp | ta_tc)
		ta_start "gw-$1-$2" "$NS_GW" --gateway --hook "${1#ta_}" -i g1 -i g2 || return 1
		MODE_PID=$TA_PID
		TA_PID=""
		;;
	esac
}

bulk_mode_off() {
	local dev deadline=$((SECONDS + 10))
	[ -n "${MODE_PID:-}" ] && stop_pid "$MODE_PID" INT 20
	MODE_PID=""
	# nothing may stay attached for the next run
	for dev in g1 g2; do
		while ip -n "$NS_GW" -d link show "$dev" 2>/dev/null | grep -q 'prog/xdp'; do
			[ "$SECONDS" -ge "$deadline" ] && { log "XDP still attached on $dev"; break; }
			sleep 0.05
		done
	done
}

stage_bulk() {
	local r m v order a b
	say ""
	say "== 2. bulk throughput (iperf3 -p 443, one TCP stream, ${BULK_SECS} s runs, $BULK_REPS interleaved repetitions, medians)"
	if ! have iperf3; then
		say "iperf3 missing (make deps)"
		row bulk "iperf3" "missing" "-" "n/a"
		return 0
	fi
	: >"$TMP/bulk.tsv"

	# host mode: tlsaudit -i c0 in the client namespace, vs nothing
	if setup_host_topology && iperf_server "$NS_S" "$H_SRV" iperf-host; then
		for ((r = 1; r <= BULK_REPS; r++)); do
			if ((r % 2)); then order="none ta"; else order="ta none"; fi
			for m in $order; do
				if [ "$m" = ta ]; then
					ta_start "bulk-ta-$r" "$NS_C" -i c0 || { echo "host ta null" >>"$TMP/bulk.tsv"; continue; }
					v=$(iperf_run "$NS_C" "$H_SRV" "iperf-host-ta-$r")
					ta_stop
				else
					v=$(iperf_run "$NS_C" "$H_SRV" "iperf-host-none-$r")
				fi
				[ "$v" = null ] && iperf_server "$NS_S" "$H_SRV" iperf-host
				printf 'host\t%s\t%s\n' "$m" "$v" >>"$TMP/bulk.tsv"
				log "bulk host rep $r $m: $v Gbit/s"
			done
		done
	else
		say "host topology or iperf3 server failed"
	fi
	[ -n "${IPERF_PID:-}" ] && stop_pid "$IPERF_PID" TERM 5
	IPERF_PID=""
	ns_del "$NS_C"
	ns_del "$NS_S"

	# gateway mode: three namespaces, the observer on the gateway's g1 and g2
	local modes=(none noop_xdp ta_xdp ta_tc) i k
	if setup_gateway_topology && iperf_server "$NS_GS" "$G_SRV" iperf-gw; then
		for ((r = 1; r <= BULK_REPS; r++)); do
			for ((k = 0; k < ${#modes[@]}; k++)); do
				i=$(((k + r - 1) % ${#modes[@]})) # rotate the order each repetition
				m=${modes[$i]}
				if bulk_mode_on "$m" "$r"; then
					v=$(iperf_run "$NS_GC" "$G_SRV" "iperf-gw-$m-$r")
				else
					v=null
				fi
				bulk_mode_off
				[ "$v" = null ] && iperf_server "$NS_GS" "$G_SRV" iperf-gw
				printf 'gateway\t%s\t%s\n' "$m" "$v" >>"$TMP/bulk.tsv"
				log "bulk gateway rep $r $m: $v Gbit/s"
			done
		done
	else
		say "gateway topology or iperf3 server failed"
	fi
	[ -n "${IPERF_PID:-}" ] && stop_pid "$IPERF_PID" TERM 5
	IPERF_PID=""
	ns_del "$NS_GC"
	ns_del "$NS_GW"
	ns_del "$NS_GS"

	bulk_med() { awk -v t="$1" -v m="$2" '$1 == t && $2 == m && $3 != "null" { print $3 }' "$TMP/bulk.tsv" | median; }
	bulk_all() { awk -v t="$1" -v m="$2" '$1 == t && $2 == m { printf "%s%s", s, $3; s = " " }' "$TMP/bulk.tsv"; }
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "null"; else printf "%.3f", a / b }'; }
	local hn ht gn gx gt gc
	hn=$(bulk_med host none) ht=$(bulk_med host ta)
	gn=$(bulk_med gateway none) gx=$(bulk_med gateway noop_xdp)
	gt=$(bulk_med gateway ta_xdp) gc=$(bulk_med gateway ta_tc)
	say "$(printf '%-44s %10s   %s' 'setup' 'Gbit/s' 'runs (Gbit/s)')"
	say "$(printf '%-44s %10s   %s' 'host: nothing' "$hn" "$(bulk_all host none)")"
	say "$(printf '%-44s %10s   %s' 'host: tlsaudit -i c0' "$ht" "$(bulk_all host ta)")"
	say "$(printf '%-44s %10s   %s' 'gateway: nothing' "$gn" "$(bulk_all gateway none)")"
	say "$(printf '%-44s %10s   %s' 'gateway: no-op XDP on g1, g2' "$gx" "$(bulk_all gateway noop_xdp)")"
	say "$(printf '%-44s %10s   %s' 'gateway: tlsaudit --gateway --hook xdp' "$gt" "$(bulk_all gateway ta_xdp)")"
	say "$(printf '%-44s %10s   %s' 'gateway: tlsaudit --gateway --hook tc' "$gc" "$(bulk_all gateway ta_tc)")"
	a=$(ratio "$ht" "$hn")
	say "ratio host tlsaudit / nothing:               $a (target >= $T_BULK_RATIO) $(ge "$a" $T_BULK_RATIO)"
	row bulk "host: tlsaudit / nothing (iperf3)" "$a ($ht vs $hn Gbit/s)" ">= $T_BULK_RATIO" "$(ge "$a" $T_BULK_RATIO)"
	a=$(ratio "$gt" "$gx")
	say "ratio gateway --hook xdp / no-op XDP:        $a (target >= $T_BULK_RATIO) $(ge "$a" $T_BULK_RATIO)"
	row bulk "gateway: --hook xdp / no-op XDP" "$a ($gt vs $gx Gbit/s)" ">= $T_BULK_RATIO" "$(ge "$a" $T_BULK_RATIO)"
	a=$(ratio "$gc" "$gn")
	say "ratio gateway --hook tc / nothing:           $a (target >= $T_BULK_RATIO) $(ge "$a" $T_BULK_RATIO)"
	row bulk "gateway: --hook tc / nothing" "$a ($gc vs $gn Gbit/s)" ">= $T_BULK_RATIO" "$(ge "$a" $T_BULK_RATIO)"
	say "tlsaudit flow events per run (iperf3's control and data connections: 2): host $(cat "$TMP"/bulk-ta-*.out 2>/dev/null | grep -c '"event":"flow"') in $BULK_REPS runs, --hook xdp $(cat "$TMP"/gw-ta_xdp-*.out 2>/dev/null | grep -c '"event":"flow"'), --hook tc $(cat "$TMP"/gw-ta_tc-*.out 2>/dev/null | grep -c '"event":"flow"')"
	b=$(ratio "$gx" "$gn")
	say "(for reference) no-op XDP / nothing:          $b  (veth XDP turns GRO off)"
	row bulk "(reference) no-op XDP / nothing" "$b" "-" "info"
	jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | {mode: .[0], observer: .[1], gbit_s: (.[2] | tonumber? // null)})' \
		"$TMP/bulk.tsv" >"$TMP/bulk.json"
	json_obj "$TMP/bulk-summary.json" host_none="$hn" host_tlsaudit="$ht" gateway_none="$gn" \
		gateway_noop_xdp="$gx" gateway_ta_xdp="$gt" gateway_ta_tc="$gc" secs="$BULK_SECS" reps="$BULK_REPS"
}

# churn_run NAME: one churn client run from the host client namespace;
# prints its JSON line (or {} on failure)
churn_run() {
	local f=$TMP/$1.json
	timeout $((CHURN_TIMEOUT + 30)) nsenter --net="/run/netns/$NS_C" "$CHURN" client "$H_SRV" 443 \
		-n "$CHURN_N" -w "$CHURN_WORKERS" -k "$CHURN_CONC" -H "$HELLO" -t "$CHURN_TIMEOUT" \
		</dev/null >"$f" 2>"$TMP/$1.err"
	jq -c . "$f" 2>/dev/null | tail -n 1 | grep . || echo '{}'
}

start_churn_server() {
	bg churn-server "$NS_S" "$CHURN" server "$H_SRV" 443 -w 2
	CHURN_SRV_PID=$BG_PID
	wait_listen "$NS_S" "$H_SRV" 443 10 "$CHURN_SRV_PID"
}

# churn_with_tlsaudit NAME [stats]: one churn run watched by tlsaudit -j -i c0;
# appends a JSON object to $TMP/churn-ta.jsonl. With "stats", BPF run-time
# stats are on and the BPF programs' own run time is counted too.
churn_with_tlsaudit() {
	local name=$1 stats=${2:-} st_pid="" ids="" rt0="0 0" rt1="0 0" c0 c1 waited res hwm rss maps
	local conns tls http ev ev_tls ev_http drops fif nopl mid rc cpu per1k bpf_s="null" bpf_cnt="null"
	if [ "$stats" = stats ]; then
		bg "$name-stats" "" "$HELPER" bpf-stats
		st_pid=$BG_PID
		wait_line "$TMP/$name-stats.err" '^bench_helper: ready' 10 "$st_pid" || {
			log "BPF stats unavailable: $(tail -n 1 "$TMP/$name-stats.err")"
			stop_pid "$st_pid" KILL 5
			st_pid=""
		}
	fi
	if ! ta_start "$name-ta" "$NS_C" -i c0; then
		[ -n "$st_pid" ] && stop_pid "$st_pid" INT 5
		echo '{"error":"tlsaudit did not start"}' >>"$TMP/churn-ta.jsonl"
		return 1
	fi
	sleep 0.5
	if [ -n "$st_pid" ]; then
		ids=$(bpf_prog_ids "$TA_PID")
		# shellcheck disable=SC2086
		rt0=$(bpf_prog_runtime $ids)
	fi
	c0=$(cpu_ticks "$TA_PID")
	res=$(churn_run "$name")
	waited=$(wait_idle "$TA_PID" 60)
	c1=$(cpu_ticks "$TA_PID")
	if [ -n "$st_pid" ]; then
		# shellcheck disable=SC2086
		rt1=$(bpf_prog_runtime $ids)
		bpf_s=$(calc "(${rt1% *} - ${rt0% *}) / 1e9")
		bpf_cnt=$((${rt1#* } - ${rt0#* }))
	fi
	hwm=$(status_kb "$TA_PID" VmHWM)
	rss=$(status_kb "$TA_PID" VmRSS)
	maps=$(bpf_map_rss_kb "$TA_PID")
	ta_stop
	rc=$?
	[ -n "$st_pid" ] && stop_pid "$st_pid" INT 5
	conns=$(jq -r '.connections // 0' <<<"$res")
	tls=$(jq -r '.tls // 0' <<<"$res")
	http=$(jq -r '.http // 0' <<<"$res")
	ev=$(ta_flows "$TMP/$name-ta.out")
	ev_tls=$(ta_flows "$TMP/$name-ta.out" tls)
	ev_http=$(ta_flows "$TMP/$name-ta.out" plaintext_http)
	drops=$(ta_stats "$TMP/$name-ta.out" ringbuf_drops)
	fif=$(ta_stats "$TMP/$name-ta.out" flow_insert_failures)
	nopl=$(ta_stats "$TMP/$name-ta.out" flows_no_payload)
	mid=$(ta_stats "$TMP/$name-ta.out" midstream)
	cpu=$(ticks_to_s $((c1 - c0)))
	per1k=$(awk -v c="$cpu" -v n="$conns" 'BEGIN { if (n > 0) printf "%.4f", c / (n / 1000); else print "null" }')
	json_obj "$TMP/churn-ta.jsonl" run="$name" per_second="$(jq -r '.per_second // "null"' <<<"$res")" \
		connections="$conns" tls="$tls" http="$http" failed="$(jq -r '.failed // "null"' <<<"$res")" \
		flow_events="$ev" events_tls="$ev_tls" events_plaintext_http="$ev_http" \
		ringbuf_drops="${drops:-null}" flow_insert_failures="${fif:-null}" \
		flows_no_payload="${nopl:-null}" midstream="${mid:-null}" exit_status="$rc" \
		cpu_s="$cpu" cpu_s_per_1k_flows="$per1k" vm_hwm_kb="${hwm:-null}" vm_rss_kb="${rss:-null}" \
		bpf_map_rss_kb="${maps:-null}" catch_up_s="$waited" bpf_run_time_s="$bpf_s" bpf_run_cnt="$bpf_cnt" \
		lost_msg="$(grep -m1 'lost' "$TMP/$name-ta.err" || true)"
	log "churn $name: $(tail -n 1 "$TMP/churn-ta.jsonl")"
}

stage_churn() {
	local r m order res
	say ""
	say "== 3+4. connection churn: $CHURN_N connections per run ($CHURN_WORKERS workers x $CHURN_CONC in flight, RST close), $CHURN_REPS interleaved runs each"
	: >"$TMP/churn-none.jsonl"
	: >"$TMP/churn-ta.jsonl"
	if ! setup_host_topology || ! start_churn_server; then
		say "host topology or churn server failed"
		row churn "setup" "failed" "-" "n/a"
		ns_del "$NS_C"
		ns_del "$NS_S"
		return 0
	fi
	for ((r = 1; r <= CHURN_REPS; r++)); do
		if ((r % 2)); then order="none ta"; else order="ta none"; fi
		for m in $order; do
			if [ "$m" = ta ]; then
				churn_with_tlsaudit "churn-ta-$r"
			else
				res=$(churn_run "churn-none-$r")
				echo "$res" >>"$TMP/churn-none.jsonl"
				log "churn none $r: $res"
			fi
		done
	done
	stop_pid "$CHURN_SRV_PID" TERM 5
	ns_del "$NS_C"
	ns_del "$NS_S"

	local none ta ratio conns ev worst drops fif per1k hwm maps hwm_mb maps_mb net_mb ok_ev
	none=$(jq -r '.per_second // empty' "$TMP/churn-none.jsonl" | median)
	ta=$(jq -r '.per_second // empty' "$TMP/churn-ta.jsonl" | median)
	ratio=$(awk -v a="$ta" -v b="$none" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "null"; else printf "%.3f", a / b }')
	say "$(printf '%-30s %12s   %s' 'run' 'conn/s' 'runs')"
	say "$(printf '%-30s %12s   %s' 'without tlsaudit' "$none" "$(jq -r '.per_second // "null"' "$TMP/churn-none.jsonl" | paste -sd' ')")"
	say "$(printf '%-30s %12s   %s' 'with tlsaudit -j -i c0' "$ta" "$(jq -r '.per_second // "null"' "$TMP/churn-ta.jsonl" | paste -sd' ')")"
	say "ratio with / without: $ratio (target >= $T_CHURN_RATIO) $(ge "$ratio" $T_CHURN_RATIO)"
	row churn "connections/s with tlsaudit / without" "$ratio ($ta vs $none conn/s)" ">= $T_CHURN_RATIO" "$(ge "$ratio" $T_CHURN_RATIO)"
	say "per tlsaudit run: connections made, flow events (tls + plaintext_http), ringbuf_drops, flow_insert_failures, midstream, flows_no_payload, CPU s, VmHWM kB:"
	jq -r '"  \(.run): \(.connections) made; \(.flow_events) events (\(.events_tls) + \(.events_plaintext_http)); drops \(.ringbuf_drops); insert failures \(.flow_insert_failures); midstream \(.midstream); no payload \(.flows_no_payload); CPU \(.cpu_s) s (caught up \(.catch_up_s) s after); VmHWM \(.vm_hwm_kb) kB, of which BPF maps \(.bpf_map_rss_kb) kB"' \
		"$TMP/churn-ta.jsonl" | tee -a "$TXT"
	# every run must have seen every connection, with no loss
	ok_ev=$(jq -s 'if length == 0 then "n/a" elif all(.[]; .flow_events == .connections and .events_tls == .tls and .events_plaintext_http == .http) then "ok" else "MISSED" end' -r "$TMP/churn-ta.jsonl")
	worst=$(jq -s -r 'map(.connections - .flow_events) | max // "null"' "$TMP/churn-ta.jsonl")
	conns=$(jq -s -r 'map(.connections) | add // 0' "$TMP/churn-ta.jsonl")
	ev=$(jq -s -r 'map(.flow_events) | add // 0' "$TMP/churn-ta.jsonl")
	row churn "tlsaudit flow events == connections (all runs)" "$ev of $conns (worst run: $worst missing)" "all, right verdicts" "$ok_ev"
	drops=$(jq -s -r 'map(.ringbuf_drops // 0) | add // 0' "$TMP/churn-ta.jsonl")
	row churn "ringbuf_drops (all runs)" "$drops" "0" "$(le "$drops" 0)"
	fif=$(jq -s -r 'map(.flow_insert_failures // 0) | add // 0' "$TMP/churn-ta.jsonl")
	row churn "flow_insert_failures (all runs)" "$fif" "0" "$(le "$fif" 0)"
	per1k=$(jq -r '.cpu_s_per_1k_flows // empty' "$TMP/churn-ta.jsonl" | median)
	say "loader CPU per 1k flows (median of runs): $per1k s = cores per 1k flows/s (target <= $T_CPU_PER_1K) $(le "$per1k" $T_CPU_PER_1K)"
	row loader "tlsaudit CPU per 1k flows (= cores per 1k flows/s)" "$per1k s" "<= $T_CPU_PER_1K" "$(le "$per1k" $T_CPU_PER_1K)"
	hwm=$(jq -s -r 'map(.vm_hwm_kb // 0) | max // 0' "$TMP/churn-ta.jsonl")
	maps=$(jq -s -r 'map(.bpf_map_rss_kb // 0) | max // 0' "$TMP/churn-ta.jsonl")
	hwm_mb=$(calc "$hwm / 1024")
	maps_mb=$(calc "$maps / 1024")
	net_mb=$(calc "($hwm - $maps) / 1024")
	say "loader max RSS (VmHWM): $(printf '%.1f' "$hwm_mb") MB, of which BPF maps mapped in: $(printf '%.1f' "$maps_mb") MB -> $(printf '%.1f' "$net_mb") MB (target <= $T_RSS_MB MB plus maps) $(le "$net_mb" $T_RSS_MB)"
	row loader "tlsaudit max RSS (VmHWM) less BPF maps" "$(printf '%.1f MB (%.1f - %.1f)' "$net_mb" "$hwm_mb" "$maps_mb")" "<= $T_RSS_MB MB" "$(le "$net_mb" $T_RSS_MB)"
}

# peer_run NAME TOOL...: one churn run watched by a peer tool in the client
# namespace; READY is the regex of its ready line; appends a JSON object to
# $TMP/peers.jsonl via peer_count_NAME
peer_run() {
	local name=$1 ready=$2 readyf=$3
	shift 3
	local pid c0 c1 res waited rc cpu
	bg "$name" "$NS_C" "$@"
	pid=$BG_PID
	if ! wait_line "$TMP/$name.$readyf" "$ready" 20 "$pid"; then
		log "$name did not start: $(tail -n 3 "$TMP/$name.err")"
		stop_pid "$pid" KILL 5
		json_obj "$TMP/peers.jsonl" tool="$name" error="did not start"
		return 1
	fi
	sleep 1
	c0=$(cpu_ticks "$pid")
	res=$(churn_run "churn-$name")
	waited=$(wait_idle "$pid" 120)
	c1=$(cpu_ticks "$pid")
	stop_pid "$pid" INT 60
	rc=$?
	cpu=$(ticks_to_s $((c1 - c0)))
	PEER_RES=$res PEER_CPU=$cpu PEER_WAIT=$waited PEER_RC=$rc
}

stage_peers() {
	local res conns cpu ta_total n_tls n_http
	say ""
	say "== 5. peers on the same churn workload ($CHURN_N connections), each alone, CPU seconds from its first to its last packet"
	: >"$TMP/peers.jsonl"
	if ! setup_host_topology || ! start_churn_server; then
		say "host topology or churn server failed"
		row peers "setup" "failed" "-" "n/a"
		ns_del "$NS_C"
		ns_del "$NS_S"
		return 0
	fi
	# tlsaudit, with its in-kernel cost counted (BPF_ENABLE_STATS)
	mv "$TMP/churn-ta.jsonl" "$TMP/churn-ta.jsonl.stage3" 2>/dev/null
	: >"$TMP/churn-ta.jsonl"
	churn_with_tlsaudit peers-tlsaudit stats
	mv "$TMP/churn-ta.jsonl" "$TMP/peers-tlsaudit.jsonl"
	mv "$TMP/churn-ta.jsonl.stage3" "$TMP/churn-ta.jsonl" 2>/dev/null
	jq -c '{tool: "tlsaudit", per_second, connections, tls, http, seen_tls: .events_tls,
		seen_http: .events_plaintext_http, cpu_user_s: .cpu_s, cpu_bpf_s: .bpf_run_time_s,
		cpu_s: (((.cpu_s // 0) + (.bpf_run_time_s // 0)) * 100 | round / 100), bpf_run_cnt, ringbuf_drops}' \
		"$TMP/peers-tlsaudit.jsonl" >>"$TMP/peers.jsonl"

	if have tshark; then
		if peer_run tshark 'Capturing on' err tshark -i c0 -f 'tcp port 443' -l -n \
			-o tcp.try_heuristic_first:TRUE --enable-heuristic http_tcp \
			-Y 'tls.handshake.type == 1 || http.request' \
			-T fields -e tcp.stream -e tls.handshake.type -e http.request.method; then
			n_tls=$(awk -F'\t' '$2 ~ /(^|,)1(,|$)/' "$TMP/tshark.out" | wc -l)
			n_http=$(awk -F'\t' '$2 !~ /(^|,)1(,|$)/ && $3 != ""' "$TMP/tshark.out" | wc -l)
			json_obj "$TMP/peers.jsonl" tool=tshark per_second="$(jq -r '.per_second // "null"' <<<"$PEER_RES")" \
				connections="$(jq -r '.connections // 0' <<<"$PEER_RES")" tls="$(jq -r '.tls // 0' <<<"$PEER_RES")" \
				http="$(jq -r '.http // 0' <<<"$PEER_RES")" seen_tls="$n_tls" seen_http="$n_http" \
				cpu_s="$PEER_CPU" catch_up_s="$PEER_WAIT" exit_status="$PEER_RC" \
				note="$(grep -E 'captured|dropped' "$TMP/tshark.err" | tr '\n' ' ')"
		fi
	else
		json_obj "$TMP/peers.jsonl" tool=tshark error="tshark missing (make deps)"
	fi

	if have ndpiReader; then
		if peer_run ndpiReader 'Running thread|Capturing live' out stdbuf -oL ndpiReader -i c0 -f 'tcp port 443' -s 600; then
			n_tls=$(awk '$1 == "TLS" && $2 == "packets:" { for (i = 1; i < NF; i++) if ($i == "flows:") print $(i + 1) }' "$TMP/ndpiReader.out" | head -n 1)
			n_http=$(awk '$1 == "HTTP" && $2 == "packets:" { for (i = 1; i < NF; i++) if ($i == "flows:") print $(i + 1) }' "$TMP/ndpiReader.out" | head -n 1)
			json_obj "$TMP/peers.jsonl" tool=ndpiReader per_second="$(jq -r '.per_second // "null"' <<<"$PEER_RES")" \
				connections="$(jq -r '.connections // 0' <<<"$PEER_RES")" tls="$(jq -r '.tls // 0' <<<"$PEER_RES")" \
				http="$(jq -r '.http // 0' <<<"$PEER_RES")" seen_tls="${n_tls:-0}" seen_http="${n_http:-0}" \
				cpu_s="$PEER_CPU" catch_up_s="$PEER_WAIT" exit_status="$PEER_RC" \
				note="unique 5-tuple flows: $(awk '/Unique flows:/ { print $3 }' "$TMP/ndpiReader.out"); ndpiReader merges connections that reuse a client port while the old flow is still in its table"
		fi
	else
		json_obj "$TMP/peers.jsonl" tool=ndpiReader error="ndpiReader missing (apt-get install libndpi-bin; make deps)"
	fi
	stop_pid "$CHURN_SRV_PID" TERM 5
	ns_del "$NS_C"
	ns_del "$NS_S"

	say "$(printf '%-11s %10s %10s %12s %9s %17s %s' tool 'CPU s' 's/1k flows' 'seen' 'vs conns' 'conn/s in run' 'cost vs tlsaudit')"
	ta_total=$(jq -r 'select(.tool == "tlsaudit") | .cpu_s' "$TMP/peers.jsonl" | head -n 1)
	jq -r --arg ta "${ta_total:-0}" 'select(.error == null) | [.tool, .cpu_s, ((.cpu_s / ((.connections // 1) / 1000)) * 10000 | round / 10000),
		((.seen_tls // 0) + (.seen_http // 0)), .connections, .per_second,
		(if ($ta | tonumber) > 0 then (.cpu_s / ($ta | tonumber) * 10 | round / 10) else null end),
		(.note // "-")] | @tsv' \
		"$TMP/peers.jsonl" | while IFS=$'\t' read -r tool cpu per seen conns rate factor note; do
		[ "$tool" = tlsaudit ] && note="user $(jq -r 'select(.tool == "tlsaudit") | "\(.cpu_user_s) s + BPF \((.cpu_bpf_s // 0) * 1000 | round / 1000) s in the kernel (\(.bpf_run_cnt) program runs), ringbuf_drops \(.ringbuf_drops)"' "$TMP/peers.jsonl" | head -n 1)"
		say "$(printf '%-11s %10s %10s %12s %9s %17s %sx   %s' "$tool" "$cpu" "$per" "$seen" "/ $conns" "$rate" "$factor" "$note")"
		if [ "$tool" = tlsaudit ]; then
			row peers "tlsaudit (user + in-kernel BPF) on the churn run" "$cpu CPU s, saw $seen of $conns" "sees all" "$( [ "$seen" = "$conns" ] && echo ok || echo MISSED)"
		else
			row peers "$tool on the same churn run: CPU vs tlsaudit" "${factor}x ($cpu CPU s), saw $seen of $conns" ">= ${T_PEER_FACTOR}x" "$(ge "$factor" $T_PEER_FACTOR)"
		fi
	done
	jq -r 'select(.error != null) | "\(.tool): \(.error)"' "$TMP/peers.jsonl" | while read -r l; do
		say "$l"
		row peers "${l%%:*}" "${l#*: }" "-" "n/a"
	done
}

# ---------------------------------------------------------------- replay

# replay_capture: the churn workload recorded by tcpdump on c0 into
# $REPLAY_PCAP; writes $TMP/replay-capture.json. Returns 1 if there is no
# usable file.
replay_capture() {
	local pid res deadline marker=0 dev ns st captured received dropped frames bytes rc
	have tcpdump || { say "tcpdump missing (make deps)"; return 1; }
	if ! setup_host_topology || ! start_churn_server; then
		say "host topology or churn server failed"
		return 1
	fi
	# Every segment of this workload is smaller than the MSS (a 517-byte
	# ClientHello, a short GET, no server data), so TSO/GSO would not change
	# one frame; they are off anyway, so the file holds wire-sized frames by
	# construction, whatever the workload becomes.
	for dev in c0 s0; do
		[ "$dev" = c0 ] && ns=$NS_C || ns=$NS_S
		nsenter --net="/run/netns/$ns" ethtool -K "$dev" tso off gso off >/dev/null 2>&1 ||
			log "ethtool -K $dev tso off gso off failed"
	done
	bg replay-tcpdump "$NS_C" tcpdump -U -n -s 0 -B 131072 -Z root -i c0 -w "$REPLAY_PCAP" port 443
	pid=$BG_PID
	if ! wait_line "$TMP/replay-tcpdump.err" 'listening on' 20 "$pid"; then
		say "tcpdump did not start: $(tail -n 2 "$TMP/replay-tcpdump.err")"
		stop_pid "$pid" KILL 5
		return 1
	fi
	res=$(CHURN_N=$REPLAY_N churn_run replay-churn)
	# tcpdump stops reading at SIGINT whatever its socket still holds: a
	# marker datagram (UDP to the server's port 443, so the filter keeps it)
	# is sent last, and tcpdump is stopped only once the file shows it
	nsenter --net="/run/netns/$NS_C" bash -c "printf 'tlsaudit-bench-marker' >/dev/udp/$H_SRV/443" ||
		log "could not send the capture marker"
	deadline=$((SECONDS + 120))
	while [ "$SECONDS" -lt "$deadline" ] && pid_alive "$pid"; do
		if tcpdump -n -r "$REPLAY_PCAP" 'udp dst port 443' 2>/dev/null | grep -q .; then
			marker=1
			break
		fi
		sleep 0.2
	done
	[ "$marker" = 1 ] || log "the capture marker did not reach the file in 120 s"
	stop_pid "$pid" INT 30
	rc=$?
	stop_pid "$CHURN_SRV_PID" TERM 5
	ns_del "$NS_C"
	ns_del "$NS_S"
	st=$TMP/replay-tcpdump.err
	captured=$(awk '/packets captured/ { print $1 }' "$st")
	received=$(awk '/packets received by filter/ { print $1 }' "$st")
	dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$st")
	[ -s "$REPLAY_PCAP" ] || { say "tcpdump wrote no file (exit $rc): $(tail -n 2 "$st")"; return 1; }
	if have capinfos; then
		frames=$(capinfos -M -c "$REPLAY_PCAP" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 + 0 }')
	fi
	[ -n "${frames:-}" ] || frames=$(tcpdump -n -r "$REPLAY_PCAP" 2>/dev/null | wc -l)
	bytes=$(stat -c %s "$REPLAY_PCAP")
	json_obj "$TMP/replay-capture.json" connections="$(jq -r '.connections // 0' <<<"$res")" \
		tls="$(jq -r '.tls // 0' <<<"$res")" http="$(jq -r '.http // 0' <<<"$res")" \
		failed="$(jq -r '.failed // "null"' <<<"$res")" churn_per_second="$(jq -r '.per_second // "null"' <<<"$res")" \
		frames="$frames" file_bytes="$bytes" marker_seen="$([ "$marker" = 1 ] && echo true || echo false)" \
		tcpdump_captured="${captured:-null}" tcpdump_received="${received:-null}" \
		tcpdump_dropped="${dropped:-null}" tcpdump_exit_status="$rc" tso_gso=off filter="port 443" \
		note="one of the frames is the marker: a UDP datagram to port 443 (tlsaudit: one plaintext flow; not counted as seen)"
}

# replay_cmd TOOL: the command line of TOOL reading $REPLAY_PCAP, into RCMD
replay_cmd() {
	case $1 in
	tlsaudit) RCMD=("$TLSAUDIT" -r "$REPLAY_PCAP" -j) ;;
	# the same dissection the peers stage asks of tshark live (stage 5),
	# without -l: line buffering is for a reader on a pipe
	tshark) RCMD=(tshark -r "$REPLAY_PCAP" -n -o tcp.try_heuristic_first:TRUE --enable-heuristic http_tcp
		-Y 'tls.handshake.type == 1 || http.request'
		-T fields -e tcp.stream -e tls.handshake.type -e http.request.method) ;;
	# classification and its summary only: no per-flow listing (-v), no
	# JSON/CSV, no payload analysis; the file holds port 443 only, so no -f
	ndpiReader) RCMD=(ndpiReader -i "$REPLAY_PCAP") ;;
	esac
}

# replay_seen TOOL OUTFILE: "TLS HTTP" flows seen in TOOL's output
replay_seen() {
	case $1 in
	tlsaudit) echo "$(ta_flows "$2" tls) $(ta_flows "$2" plaintext_http)" ;;
	tshark)
		echo "$(awk -F'\t' '$2 ~ /(^|,)1(,|$)/' "$2" | wc -l) $(awk -F'\t' '$2 !~ /(^|,)1(,|$)/ && $3 != ""' "$2" | wc -l)" ;;
	ndpiReader)
		echo "$(awk '$1 == "TLS" && $2 == "packets:" { for (i = 1; i < NF; i++) if ($i == "flows:") print $(i + 1) }' "$2" | head -n 1 | grep . || echo 0)" \
			"$(awk '$1 == "HTTP" && $2 == "packets:" { for (i = 1; i < NF; i++) if ($i == "flows:") print $(i + 1) }' "$2" | head -n 1 | grep . || echo 0)" ;;
	esac
}

stage_replay() {
	local tools=() t r k i n order res conns frames ta_cpu tl
	say ""
	say "== 6. replay: the churn workload ($REPLAY_N connections) recorded by tcpdump -U on c0 (port 443, TSO/GSO off), then the same file read by each tool alone: tlsaudit -r, ndpiReader -i FILE, tshark -r; $REPLAY_REPS interleaved repetitions, medians"
	: >"$TMP/replay-runs.jsonl"
	: >"$TMP/replay-tools.jsonl"
	REPLAY_PCAP=$TMP/replay.pcap
	if ! replay_capture; then
		row replay "capture" "failed" "-" "n/a"
		return 0
	fi
	conns=$(jq -r '.connections' "$TMP/replay-capture.json")
	frames=$(jq -r '.frames' "$TMP/replay-capture.json")
	say "$(jq -r '"capture: \(.connections) connections (\(.tls) TLS + \(.http) HTTP, \(.failed) failed, \(.churn_per_second) conn/s), \(.frames) frames, \(.file_bytes) bytes; tcpdump: \(.tcpdump_captured) captured, \(.tcpdump_received) received by filter, \(.tcpdump_dropped) dropped by kernel; marker in the file: \(.marker_seen)"' "$TMP/replay-capture.json")"

	tools=(tlsaudit)
	have ndpiReader && tools+=(ndpiReader) || json_obj "$TMP/replay-tools.jsonl" tool=ndpiReader error="ndpiReader missing (apt-get install libndpi-bin; make deps)"
	have tshark && tools+=(tshark) || json_obj "$TMP/replay-tools.jsonl" tool=tshark error="tshark missing (make deps)"
	# an untimed pass first: each tool's output kept for the flows it saw,
	# and the file in the page cache for every timed run
	for t in "${tools[@]}"; do
		replay_cmd "$t"
		"${RCMD[@]}" </dev/null >"$TMP/replay-$t.out" 2>"$TMP/replay-$t.err"
		echo "$t $? $(replay_seen "$t" "$TMP/replay-$t.out")" >>"$TMP/replay-seen.txt"
	done
	# timed runs, stdout discarded; the order rotates each repetition
	n=${#tools[@]}
	for ((r = 1; r <= REPLAY_REPS; r++)); do
		order=()
		for ((k = 0; k < n; k++)); do
			i=$(((k + r - 1) % n))
			order+=("${tools[$i]}")
		done
		for t in "${order[@]}"; do
			replay_cmd "$t"
			"$HELPER" rusage "$TMP/replay-$t-$r.ru" "${RCMD[@]}" </dev/null >/dev/null 2>"$TMP/replay-$t-$r.err"
			res=$(jq -c --arg t "$t" --argjson r "$r" --argjson f "$frames" \
				'{tool: $t, rep: $r} + . + {packets_per_s: (if .wall_s > 0 then ($f / .wall_s | round) else null end)}' \
				"$TMP/replay-$t-$r.ru" 2>/dev/null) || res="{\"tool\":\"$t\",\"rep\":$r,\"error\":\"no rusage\"}"
			echo "$res" >>"$TMP/replay-runs.jsonl"
			log "replay $t rep $r: $res"
		done
	done

	local cpu wall pps cpus walls rc seen_tls seen_http factor
	for t in "${tools[@]}"; do
		cpu=$(jq -r --arg t "$t" 'select(.tool == $t and .error == null) | .cpu_s' "$TMP/replay-runs.jsonl" | median)
		wall=$(jq -r --arg t "$t" 'select(.tool == $t and .error == null) | .wall_s' "$TMP/replay-runs.jsonl" | median)
		cpus=$(jq -r --arg t "$t" 'select(.tool == $t and .error == null) | .cpu_s * 1000 | round / 1000' "$TMP/replay-runs.jsonl" | paste -sd' ')
		walls=$(jq -r --arg t "$t" 'select(.tool == $t and .error == null) | .wall_s * 1000 | round / 1000' "$TMP/replay-runs.jsonl" | paste -sd' ')
		rc=$(jq -s -r --arg t "$t" 'map(select(.tool == $t) | .exit_status // "none") | unique | join(",")' "$TMP/replay-runs.jsonl")
		read -r _ _ seen_tls seen_http < <(grep "^$t " "$TMP/replay-seen.txt")
		pps=$(awk -v f="$frames" -v w="$wall" 'BEGIN { if (w + 0 > 0) printf "%.0f", f / w; else print "null" }')
		json_obj "$TMP/replay-tools.jsonl" tool="$t" cpu_s="$cpu" wall_s="$wall" packets_per_s="$pps" \
			frames="$frames" connections="$conns" seen_tls="${seen_tls:-0}" seen_http="${seen_http:-0}" \
			cpu_s_runs="$cpus" wall_s_runs="$walls" exit_status="$rc" \
			frames_read="$([ "$t" = tlsaudit ] && ta_stats "$TMP/replay-tlsaudit.out" frames | grep . || echo null)" \
			untimed_exit_status="$(awk -v t="$t" '$1 == t { print $2 }' "$TMP/replay-seen.txt")"
	done
	ta_cpu=$(jq -r 'select(.tool == "tlsaudit") | .cpu_s' "$TMP/replay-tools.jsonl")
	say "$(printf '%-11s %9s %9s %11s %10s %7s %15s   %s' tool 'CPU s' 'wall s' 'packets/s' 'CPU vs -r' 'seen' 'TLS + HTTP' 'runs: CPU s / wall s')"
	jq -r --arg ta "${ta_cpu:-0}" 'select(.error == null) | [.tool, (.cpu_s * 1000 | round / 1000), (.wall_s * 1000 | round / 1000), .packets_per_s,
		(if ($ta | tonumber) > 0 then (.cpu_s / ($ta | tonumber) * 100 | round / 100) else null end),
		(.seen_tls + .seen_http), "\(.seen_tls) + \(.seen_http)", .cpu_s_runs, .wall_s_runs, .exit_status] | @tsv' \
		"$TMP/replay-tools.jsonl" | while IFS=$'\t' read -r t cpu wall pps factor seen split cpus walls rc; do
		say "$(printf '%-11s %9s %9s %11s %9sx %7s %15s   %s / %s%s' "$t" "$cpu" "$wall" "$pps" "$factor" "$seen" "$split" "$cpus" "$walls" \
			"$([ "$rc" = 0 ] || echo "  (exit status $rc)")")"
		case $t in
		tlsaudit)
			row replay "tlsaudit -r FILE -j: packets/s (frames / wall s)" "$pps pkt/s ($frames frames, $wall s wall, $cpu CPU s)" "-" "info"
			row replay "tlsaudit -r: flow events == connections in the file" "$seen of $conns ($split)" "all" "$( [ "$seen" = "$conns" ] && echo ok || echo MISSED)"
			;;
		ndpiReader)
			row replay "ndpiReader -i FILE: CPU vs tlsaudit -r" "${factor}x ($cpu CPU s, $pps pkt/s), saw $seen of $conns" "> 1x (-r uses less)" \
				"$(awk -v v="$factor" 'BEGIN { if (v !~ /^[0-9.]+$/) print "n/a"; else print (v + 0 > 1) ? "ok" : "MISSED" }')"
			;;
		tshark)
			row replay "tshark -r FILE: CPU vs tlsaudit -r" "${factor}x ($cpu CPU s, $pps pkt/s), saw $seen of $conns" "-" "info"
			;;
		esac
	done
	say "tlsaudit -r's own count (untimed pass): $(ta_stats "$TMP/replay-tlsaudit.out" frames) frames read, $(ta_stats "$TMP/replay-tlsaudit.out" frames_unparsed) unparsed, ringbuf_drops $(ta_stats "$TMP/replay-tlsaudit.out" ringbuf_drops) (the file: $frames frames)"
	say "seen: tlsaudit: flow events with verdict tls + plaintext_http; ndpiReader: its TLS and HTTP flows (it merges connections that reuse a client port while the old flow is in its table); tshark: ClientHello packets + HTTP requests (as in stage 5)"
	jq -r 'select(.error != null) | "\(.tool): \(.error)"' "$TMP/replay-tools.jsonl" | while read -r l; do
		say "$l"
		row replay "${l%%:*}" "${l#*: }" "-" "n/a"
	done
}

# ---------------------------------------------------------------- rst

# rst_mode MODE: one mode of the rst stage (host | gw_xdp | gw_tc); appends
# a JSON object to $TMP/rst.jsonl
rst_mode() {
	local mode=$1 ns_c ns_s srv res srv_pid ta_rc plain acc blocked bpk sum
	case $mode in
	host | ref)
		setup_host_topology || { json_obj "$TMP/rst.jsonl" mode="$mode" error="topology failed"; return 1; }
		ns_c=$NS_C ns_s=$NS_S srv=$H_SRV
		;;
	gw_xdp | gw_tc)
		setup_gateway_topology || { json_obj "$TMP/rst.jsonl" mode="$mode" error="topology failed"; return 1; }
		ns_c=$NS_GC ns_s=$NS_GS srv=$G_SRV
		;;
	*)
		log "rst: unknown mode $mode"
		return 1
		;;
	esac
	bg "rst-srv-$mode" "$ns_s" "$ENFBENCH" server "$srv" 443
	srv_pid=$BG_PID
	if ! wait_listen "$ns_s" "$srv" 443 10 "$srv_pid"; then
		json_obj "$TMP/rst.jsonl" mode="$mode" error="server did not start: $(tail -n 1 "$TMP/rst-srv-$mode.err")"
		rst_teardown
		return 1
	fi
	case $mode in
	# the reference: no tlsaudit; the server namespace's own netfilter
	# answers the request with a RST, so the figure shows what the client
	# sees when a RST does come, and that the stage measures it
	ref) have iptables && ip netns exec "$ns_s" iptables -A INPUT -p tcp --dport 443 \
		-m string --string "GET /" --algo bm -j REJECT --reject-with tcp-reset ;;
	host) ta_start "rst-ta-$mode" "$ns_s" --enforce --no-hold -i s0 ;;
	# a veth delivers the RST its peer's XDP program sends back (XDP_TX)
	# only to an end that runs an XDP program itself: a no-op one on c0
	gw_xdp) ip -n "$NS_GC" link set dev c0 xdp obj "$REPO/$OUT/noop.bpf.o" sec xdp &&
		ta_start "rst-ta-$mode" "$NS_GW" --gateway --hook xdp --enforce --no-hold -i g1 -i g2 ;;
	gw_tc) ta_start "rst-ta-$mode" "$NS_GW" --gateway --hook tc --enforce --no-hold -i g1 -i g2 ;;
	esac || {
		json_obj "$TMP/rst.jsonl" mode="$mode" error="$([ "$mode" = ref ] && echo "iptables REJECT rule failed" ||
			echo "tlsaudit did not start: $(tail -n 1 "$TMP/rst-ta-$mode.err")")"
		rst_teardown
		return 1
	}
	timeout $((RST_N * (RST_BOUND_MS / 1000 + 3) + 30)) nsenter --net="/run/netns/$ns_c" \
		"$ENFBENCH" rst-client "$srv" 443 -n "$RST_N" -t "$RST_BOUND_MS" \
		</dev/null >"$TMP/rst-client-$mode.out" 2>"$TMP/rst-client-$mode.err"
	res=$(jq -c 'select(.event == "rst")' "$TMP/rst-client-$mode.out" 2>/dev/null | tail -n 1)
	ta_stop
	ta_rc=$?
	stop_pid "$srv_pid" TERM 5 # it prints what it received as it exits
	sum=$(jq -c 'select(.event == "server")' "$TMP/rst-srv-$mode.out" 2>/dev/null | tail -n 1)
	plain=$(jq -r '.bytes_plain // "null"' <<<"${sum:-{\}}")
	acc=$(jq -r '.accepted // "null"' <<<"${sum:-{\}}")
	blocked=$(ta_stats "$TMP/rst-ta-$mode.out" blocked)
	bpk=$(ta_stats "$TMP/rst-ta-$mode.out" blocked_packets)
	if [ -z "$res" ]; then
		json_obj "$TMP/rst.jsonl" mode="$mode" error="rst-client gave no summary: $(tail -n 1 "$TMP/rst-client-$mode.err")"
	else
		jq -c --arg mode "$mode" --argjson plain "$plain" --argjson acc "$acc" \
			--argjson blocked "${blocked:-null}" --argjson bpk "${bpk:-null}" --argjson rc "$ta_rc" \
			'{mode: $mode} + del(.event) + {server_plain_bytes: $plain, server_accepted: $acc,
			  tlsaudit_blocked: $blocked, tlsaudit_blocked_packets: $bpk, tlsaudit_exit_status: $rc}' \
			<<<"$res" >>"$TMP/rst.jsonl"
	fi
	log "rst $mode: $(tail -n 1 "$TMP/rst.jsonl")"
	rst_teardown
}

rst_teardown() {
	local ns
	for ns in "$NS_C" "$NS_S" "$NS_GC" "$NS_GW" "$NS_GS"; do
		[ -e "/run/netns/$ns" ] && ns_del "$ns"
	done
	return 0
}

stage_rst() {
	local m
	say ""
	say "== 7. time to RST: a plaintext client (build/enfbench rst-client) connects to port 443 and sends \"GET / HTTP/1.1\" under tlsaudit --enforce; from the send() of that first payload to the socket's ECONNRESET, $RST_N tries per mode, each bounded at $RST_BOUND_MS ms"
	say "modes: ref = no tlsaudit, iptables REJECT --reject-with tcp-reset of the request in the server namespace (what a RST looks like here); host = tlsaudit --enforce -i s0 in the server namespace (TC); gw_xdp / gw_tc = tlsaudit --gateway --enforce --hook xdp|tc -i g1 -i g2 in the forwarding namespace"
	: >"$TMP/rst.jsonl"
	for m in $RST_MODES; do
		rst_mode "$m"
	done
	say "$(printf '%-8s %6s %6s %8s %5s %5s %6s %10s %10s %10s %10s  %s' mode tries reset timeout fin data other median_ms p90_ms min_ms max_ms 'server plain bytes / tlsaudit blocked, blocked_packets')"
	jq -r 'if .error then "\(.mode)\terror: \(.error)" else
		[.mode, .tries, .reset, .timeout, .fin, .data, .other, (.median_ms // "-"), (.p90_ms // "-"), (.min_ms // "-"), (.max_ms // "-"),
		 "\(.server_plain_bytes) / \(.tlsaudit_blocked), \(.tlsaudit_blocked_packets)"] | @tsv end' "$TMP/rst.jsonl" |
		while IFS=$'\t' read -r mode tries reset to fin data other med p90 min max rest; do
			if [ -z "${reset:-}" ]; then
				say "$mode $tries"
				row rst "$mode: time to RST" "${tries#error: }" "-" "n/a"
				continue
			fi
			say "$(printf '%-8s %6s %6s %8s %5s %5s %6s %10s %10s %10s %10s  %s' "$mode" "$tries" "$reset" "$to" "$fin" "$data" "$other" "$med" "$p90" "$min" "$max" "$rest")"
			local meas st
			if [ "$reset" -gt 0 ]; then
				meas="median $med ms, p90 $p90 ms; $reset of $tries reset, $to timed out (${RST_BOUND_MS} ms)"
			else
				meas="no RST within ${RST_BOUND_MS} ms: 0 of $tries reset, $to timed out"
				[ "$data" -gt 0 ] && meas="$meas, $data answered by the server"
			fi
			st=$(awk -v r="$reset" -v n="$tries" -v p="$p90" 'BEGIN { print (r == n && p != "-" && p + 0 <= 100) ? "ok" : "MISSED" }')
			if [ "$mode" = ref ]; then
				row rst "(reference) iptables tcp-reset, no tlsaudit: time to RST" "$meas" "-" "info"
				continue
			fi
			row rst "$mode: blocked first payload -> client ECONNRESET" "$meas" "all reset, p90 <= 100 ms" "$st"
			row rst "$mode: plaintext bytes that reached the server" "${rest%% /*}" "0" "$(le "${rest%% /*}" 0)"
		done
	say "reset: recv() said ECONNRESET; timeout: nothing within the bound (the client would go on retransmitting); fin / data: the connection was closed or answered (data = the server echoed the request: not blocked)"
}

# ---------------------------------------------------------------- synflood

# link_stat NS DEV rx|tx packets|dropped
link_stat() {
	ip -n "$1" -s -j link show dev "$2" 2>/dev/null | jq -r --arg d "$3" --arg k "$4" '.[0].stats64[$d][$k] // "null"'
}

stage_synflood() {
	local conns_pid srv_pid mac before after srvlog g1_rx0 g1_rx1 c0_drop0 c0_drop1 flood rc ta_rc
	local tls_before tls_after held held_before retr k=$FLOOD_K evict fif fnew mid blocked
	say ""
	say "== 8. SYN flood through the gateway: tlsaudit --gateway --enforce --hook xdp -i g1 -i g2 --max-flows $FLOOD_MAX_FLOWS; $k decided TLS connections and $k blocked plaintext ones, then $FLOOD_N spoofed SYNs (build/enfbench synflood: AF_PACKET sendmmsg on c0, random sources in 198.18.0.0/15 and random ports, to the server's 443), then each TLS connection sends a request and each plaintext one a continuation"
	: >"$TMP/synflood.json"
	if ! setup_gateway_topology; then
		say "gateway topology failed"
		row synflood "setup" "failed" "-" "n/a"
		rst_teardown
		return 0
	fi
	# the spoofed sources get forwarded (no reverse-path check) and the
	# server's SYN-ACKs to them die at the gateway (blackhole route)
	nsenter --net="/run/netns/$NS_GW" sh -c '
		for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$f"; done' 2>/dev/null
	ip -n "$NS_GW" route add blackhole 198.18.0.0/15
	# the blocked clients retransmit at least once a second (Linux >= 6.15),
	# so "still blocked" is tested by retransmissions right after the flood
	nsenter --net="/run/netns/$NS_GC" sysctl -qw net.ipv4.tcp_rto_max_ms=1000 2>/dev/null ||
		log "net.ipv4.tcp_rto_max_ms not available: retransmissions back off up to 120 s"
	# and do not give up after 15 of them (about 13 s at 1 s each)
	nsenter --net="/run/netns/$NS_GC" sysctl -qw net.ipv4.tcp_retries2=100
	bg flood-srv "$NS_GS" "$ENFBENCH" server "$G_SRV" 443
	srv_pid=$BG_PID
	if ! wait_listen "$NS_GS" "$G_SRV" 443 10 "$srv_pid" ||
		! ta_start flood-ta "$NS_GW" --gateway --hook xdp --enforce --no-hold --max-flows "$FLOOD_MAX_FLOWS" -i g1 -i g2; then
		say "server or tlsaudit did not start: $(tail -n 1 "$TMP/flood-srv.err") $(tail -n 1 "$TMP/flood-ta.err" 2>/dev/null)"
		row synflood "setup" "failed" "-" "n/a"
		rst_teardown
		return 0
	fi
	bg flood-conns "$NS_GC" "$ENFBENCH" conns "$G_SRV" 443 -k "$k" -H "$HELLO" -t 3000 -w 5000
	conns_pid=$BG_PID
	if ! wait_line "$TMP/flood-conns.out" '"event":"ready"' 60 "$conns_pid"; then
		say "the client connections did not come up: $(tail -n 1 "$TMP/flood-conns.err")"
		row synflood "setup" "failed" "-" "n/a"
		rst_teardown
		return 0
	fi
	sleep 1 # a few retransmissions of the blocked requests
	kill -USR1 "$conns_pid"
	wait_line "$TMP/flood-conns.out" '"event":"probe"' 20 "$conns_pid"
	kill -USR1 "$srv_pid"
	wait_line "$TMP/flood-srv.out" '"event":"server"' 10 "$srv_pid"
	before=$(jq -c 'select(.event == "probe")' "$TMP/flood-conns.out" | tail -n 1)
	srvlog=$(jq -c 'select(.event == "server")' "$TMP/flood-srv.out" | tail -n 1)
	tls_before=$(jq -r '.tls_ok' <<<"$before")
	held_before=$(jq -r --argjson s "$srvlog" '[.plain[].port as $p | ($s.conns | map(select(.port == $p) | .bytes) | add // 0) | select(. == 0)] | length' <<<"$before")

	mac=$(ip -n "$NS_GW" -j link show dev g1 | jq -r '.[0].address')
	g1_rx0=$(link_stat "$NS_GW" g1 rx packets)
	c0_drop0=$(link_stat "$NS_GC" c0 tx dropped)
	log "synflood: $FLOOD_N SYNs to $mac"
	flood=$(timeout 600 nsenter --net="/run/netns/$NS_GC" "$ENFBENCH" synflood -i c0 -m "$mac" -d "$G_SRV" -p 443 \
		-n "$FLOOD_N" </dev/null 2>"$TMP/flood-send.err" | tail -n 1)
	rc=$?
	g1_rx1=$(link_stat "$NS_GW" g1 rx packets)
	c0_drop1=$(link_stat "$NS_GC" c0 tx dropped)
	sleep 1 # the gateway and the server catch up
	kill -USR2 "$conns_pid"
	wait_line "$TMP/flood-conns.out" '"event":"after"' 30 "$conns_pid"
	sleep 0.3 # the last retransmissions reach the server, if they pass
	kill -USR1 "$srv_pid"
	wait_line "$TMP/flood-srv.out" '"event":"server".*' 10 "$srv_pid"
	sleep 0.2
	after=$(jq -c 'select(.event == "after")' "$TMP/flood-conns.out" | tail -n 1)
	srvlog=$(jq -c 'select(.event == "server")' "$TMP/flood-srv.out" | tail -n 1)
	stop_pid "$conns_pid" TERM 5
	ta_stop
	ta_rc=$?
	stop_pid "$srv_pid" TERM 5
	rst_teardown

	tls_after=$(jq -r '.tls_ok // "null"' <<<"${after:-{\}}")
	retr=$(jq -r '.plain_retransmitted // "null"' <<<"${after:-{\}}")
	# held: still established, retransmitted after the flood, and the server
	# got no byte of it
	held=$(jq -r --argjson s "${srvlog:-{\}}" '[.plain[]? | select(.state == 1 and .retrans_since_push > 0) | .port as $p
		| ($s.conns // [] | map(select(.port == $p) | .bytes) | add // 0) | select(. == 0)] | length' <<<"${after:-{\}}")
	local st_keys=(flow_evictions flow_insert_failures flows_new flow_inserts flows_proven flows_closed midstream blocked blocked_packets ringbuf_drops)
	local kv=() key
	for key in "${st_keys[@]}"; do
		kv+=("tlsaudit_$key=$(ta_stats "$TMP/flood-ta.out" "$key" | grep . || echo null)")
	done
	evict=$(ta_stats "$TMP/flood-ta.out" flow_evictions)
	fif=$(ta_stats "$TMP/flood-ta.out" flow_insert_failures)
	fnew=$(ta_stats "$TMP/flood-ta.out" flows_new)
	mid=$(ta_stats "$TMP/flood-ta.out" midstream)
	blocked=$(ta_stats "$TMP/flood-ta.out" blocked)
	json_obj "$TMP/synflood.json" k="$k" syns="$FLOOD_N" max_flows="$FLOOD_MAX_FLOWS" hook=xdp \
		sent="$(jq -r '.sent // "null"' <<<"${flood:-{\}}")" seconds="$(jq -r '.seconds // "null"' <<<"${flood:-{\}}")" \
		per_second="$(jq -r '.per_second // "null"' <<<"${flood:-{\}}")" enobufs_waits="$(jq -r '.enobufs_waits // "null"' <<<"${flood:-{\}}")" \
		sender_exit_status="$rc" g1_rx_packets="$(awk -v a="$g1_rx0" -v b="$g1_rx1" 'BEGIN { if (a == "null" || b == "null") print "null"; else print b - a }')" \
		c0_tx_dropped="$(awk -v a="$c0_drop0" -v b="$c0_drop1" 'BEGIN { if (a == "null" || b == "null") print "null"; else print b - a }')" \
		tls_ok_before="$tls_before" blocked_held_before="$held_before" tls_ok_after="$tls_after" \
		blocked_held_after="$held" blocked_retransmitted_after="$retr" \
		server_plain_bytes="$(jq -r '.bytes_plain // "null"' <<<"${srvlog:-{\}}")" \
		tlsaudit_exit_status="$ta_rc" "${kv[@]}"
	jq -r '"flood: \(.sent) SYNs sent in \(.seconds) s = \(.per_second) pkt/s (sender waited \(.enobufs_waits) times for room); g1 received \(.g1_rx_packets) packets meanwhile, c0 dropped \(.c0_tx_dropped)"' "$TMP/synflood.json" | while read -r l; do say "$l"; done
	say "before the flood: $tls_before of $k TLS connections answered; $held_before of $k plaintext connections had got no byte to the server"
	say "after the flood:  $tls_after of $k TLS connections answered (request and echo end to end, 3 s bound); $held of $k plaintext connections still got no byte to the server, after a continuation and a retransmission ($retr of $k retransmitted within 5 s; only those count)"
	say "(midstream: flows tlsaudit saw again after their entry was evicted; enforce blocks them, whatever they were before)"
	say "tlsaudit stats: $(jq -r '[to_entries[] | select(.key | startswith("tlsaudit_")) | "\(.key | ltrimstr("tlsaudit_")) \(.value)"] | join(", ")' "$TMP/synflood.json")"
	say "flow table: --max-flows $FLOOD_MAX_FLOWS (the default), proven TCP flows (handshake seen) in flows, $((FLOOD_MAX_FLOWS / 2)) unproven ones in new_flows: the flood evicts only those"
	row synflood "$FLOOD_N spoofed SYNs via the gateway (--hook xdp): rate" "$(jq -r '"\(.per_second) pkt/s (\(.seconds) s; g1 got \(.g1_rx_packets))"' "$TMP/synflood.json")" "-" "info"
	row synflood "decided TLS flows still flowing after the flood" "$tls_after of $k (before: $tls_before)" "all $k" \
		"$([ "$tls_after" = "$k" ] && echo ok || echo MISSED)"
	row synflood "blocked flows still blocked after the flood" "$held of $k (before: $held_before; $retr retransmitted after)" "all $k" \
		"$([ "$held" = "$k" ] && echo ok || echo MISSED)"
	row synflood "tlsaudit flow_evictions, flow_insert_failures" "${evict:-null}, ${fif:-null} (flows_new $fnew, midstream $mid, blocked $blocked; --max-flows $FLOOD_MAX_FLOWS)" "-" "info"
}

# ================================================================ report

render_table() { # text | markdown
	if [ "$1" = markdown ]; then
		echo "| stage | figure | measured | target | |"
		echo "|---|---|---|---|---|"
		awk -F'\t' '{ s = ($5 == "MISSED") ? "**MISSED**" : $5; printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, s }' "$TMP/rows.tsv"
	else
		awk -F'\t' '{ printf "%-10s %-55s %-44s %-20s %s\n", $1, $2, $3, $4, $5 }' "$TMP/rows.tsv"
	fi
}

update_doc() {
	local start='<!-- bench:summary:start -->' end='<!-- bench:summary:end -->' new
	[ "$UPDATE_DOC" = 1 ] && [ -f "$DOC" ] || return 0
	if ! grep -qF "$start" "$DOC" || ! grep -qF "$end" "$DOC"; then
		log "$DOC has no bench:summary markers; not updated"
		return 0
	fi
	new=$TMP/summary.md
	{
		echo "$start"
		echo "Latest \`make bench\`: $TS, commit $M_COMMIT, results in"
		echo "\`bench/results/$TS.txt\` (and \`.json\`)."
		echo
		echo "Machine: $M_LINE."
		echo "Load average at start / end: $LOAD0 / $LOAD1${BENCH_NOTE:+. $BENCH_NOTE}"
		echo
		render_table markdown
		echo "$end"
	} >"$new"
	awk -v s="$start" -v e="$end" -v f="$new" '
		$0 == s { while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0; next }
		!skip { print }' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
	log "updated the summary in $DOC"
}

main() {
	local s
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: needs root (BPF, network namespaces)" >&2
		exit 1
	fi
	for s in "$TLSAUDIT" "$BENCH_PACKET" "$HELPER" "$CHURN" "$ENFBENCH"; do
		[ -x "$s" ] || { echo "bench: $s missing: run make bench" >&2; exit 1; }
	done
	for s in jq nsenter ip ss bpftool; do
		have "$s" || { echo "bench: $s missing: run make deps" >&2; exit 1; }
	done
	TMP=$(mktemp -d /tmp/tlsaudit-bench.XXXXXX) || exit 1
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	mkdir -p "$RESULTS_DIR" || exit 1
	TXT=$RESULTS_DIR/$TS.txt
	: >"$TXT"
	: >"$TMP/rows.tsv"
	machine_info
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	say "# tlsaudit benchmark, $TS (UTC)"
	say "# machine: $M_LINE"
	say "# commit $M_COMMIT; load average at start: $LOAD0"
	say "# every figure is compared with its baseline measured in the same run on this machine"
	local t0=$SECONDS
	local st
	for s in $STAGES; do
		st=$SECONDS
		case $s in
		packet) stage_packet ;;
		bulk) stage_bulk ;;
		churn) stage_churn ;;
		peers) stage_peers ;;
		replay) stage_replay ;;
		rst) stage_rst ;;
		synflood) stage_synflood ;;
		*) log "unknown stage $s"; continue ;;
		esac
		say "(stage $s: $((SECONDS - st)) s; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
	done
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
	say ""
	say "== summary ($((SECONDS - t0)) s; load average at end: $LOAD1)"
	render_table text | tee -a "$TXT"
	say "# $(grep -c $'\tMISSED$' "$TMP/rows.tsv") of $(wc -l <"$TMP/rows.tsv") figures missed their target"

	# the machine-readable twin
	{
		jq -n --arg ts "$TS" --arg load1 "$LOAD1" \
			--slurpfile machine "$TMP/machine.json" \
			--slurpfile packet <(cat "$TMP/packet.json" 2>/dev/null) \
			--slurpfile bulk <(cat "$TMP/bulk.json" 2>/dev/null) \
			--slurpfile bulk_summary <(cat "$TMP/bulk-summary.json" 2>/dev/null) \
			--slurpfile churn_none <(cat "$TMP/churn-none.jsonl" 2>/dev/null) \
			--slurpfile churn_ta <(cat "$TMP/churn-ta.jsonl" 2>/dev/null) \
			--slurpfile peers <(cat "$TMP/peers.jsonl" 2>/dev/null) \
			--slurpfile replay_capture <(cat "$TMP/replay-capture.json" 2>/dev/null) \
			--slurpfile replay_runs <(cat "$TMP/replay-runs.jsonl" 2>/dev/null) \
			--slurpfile replay_tools <(cat "$TMP/replay-tools.jsonl" 2>/dev/null) \
			--slurpfile rst <(cat "$TMP/rst.jsonl" 2>/dev/null) \
			--slurpfile synflood <(cat "$TMP/synflood.json" 2>/dev/null) \
			--rawfile rows "$TMP/rows.tsv" \
			'{timestamp: $ts, machine: ($machine[0] + {loadavg_end: $load1}),
			  packet: ($packet[0] // null),
			  bulk: {runs: ($bulk[0] // []), medians_gbit_s: ($bulk_summary[0] // null)},
			  churn: {without: $churn_none, with_tlsaudit: $churn_ta},
			  peers: $peers,
			  replay: {capture: ($replay_capture[0] // null), runs: $replay_runs, medians: $replay_tools},
			  rst: $rst, synflood: ($synflood[0] // null),
			  summary: ($rows | split("\n") | map(select(length > 0) | split("\t")
				| {stage: .[0], figure: .[1], measured: .[2], target: .[3], status: .[4]}))}'
	} >"$RESULTS_DIR/$TS.json" || log "could not write $RESULTS_DIR/$TS.json"
	update_doc
	log "results: $TXT and ${TXT%.txt}.json"
}

main "$@"
