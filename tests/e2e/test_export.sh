#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_export.sh - the Prometheus textfile export end to end: real
# TLS and plaintext flows in throw-away namespaces (lib.sh), tlsaudit with
# --textfile, promtool, a real node_exporter scrape, hostile process names,
# the owner cap, counters across a restart, atomic replacement, unwritable
# targets, `make demo` and `make install`.
#
# Pinned counters: every tlsaudit here runs in one private mount namespace
# (lib.sh's ta_private_bpffs) with its own, empty bpffs on /sys/fs/bpf. The
# runs share their pins with each other, as restarts on a real machine do,
# but never with the machine's /sys/fs/bpf/tlsaudit, which may belong to a
# real tlsaudit and which other tests may use at the same time. `tlsaudit
# --reset` runs in that namespace before and after; the namespace and its
# bpffs vanish with the holder. Every tlsaudit started is checked to run in
# that namespace, and a change of the machine's bpffs during the run (by
# something else) is noted on stderr.
#
# Knobs: TLSAUDIT, TA_E2E_KEEP, TA_E2E_VERBOSE, TA_WAIT (see lib.sh);
#   TA_EXPORT_WRITERS=N   parallel tlsaudit writers in the atomicity test (12)
#   TA_EXPORT_WRITES=N    replacements the atomicity reader must see (200)
#   TA_EXPORT_SKIP_MAKE=1 leave out `make demo` and `make install` (reported
#                         as SKIP lines)
#
# Output: PASS:/FAIL:/SKIP: lines; exit status 1 if any FAIL.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_export
ta_e2e_init "$T" ip nsenter unshare mount umount findmnt ss jq curl openssl make stat cmp \
	promtool prometheus-node-exporter "$TA_NGINX" "$TA_PY"

EX_T0=$SECONDS
EX_WRITERS=()           # tlsaudit PIDs of the atomicity test
EX_NE_PID=""            # node_exporter
EX_HOST_BPFFS=""        # the machine's bpffs state at start

ex_log() { ta_log "[$((SECONDS - EX_T0))s] $*"; }

# first at teardown: the writers and tlsaudit stopped with SIGINT, then the
# "after" reset (the namespace goes away with the holder anyway)
ex_teardown() {
	local p
	for p in "${EX_WRITERS[@]}"; do
		ta_stop_pid "$p" INT 10
	done
	[ -n "$TA_PID" ] && ta_stop_pid "$TA_PID" INT 10 && TA_PID=""
	if [ -n "$TA_MNT_HOLDER" ] && ta_pid_alive "$TA_MNT_HOLDER"; then
		ta_in_mnt "$TLSAUDIT" --reset >/dev/null 2>&1
	fi
}
TA_TEARDOWN_HOOKS+=(ex_teardown)

# ---------------------------------------------------------------- helpers

# the machine's bpffs: its mounts on /sys/fs/bpf and our pin directory
ex_host_bpffs() {
	awk '$5 == "/sys/fs/bpf" { print $1, $3, $9 }' /proc/self/mountinfo
	ls -la --time-style=full-iso /sys/fs/bpf/tlsaudit 2>&1
}

# ex_start ARGS...: tlsaudit ARGS in the client netns and the holder's mount
# namespace; waits for "ready". Sets TA_PID, TA_OUT, TA_ERR.
ex_start() {
	ta_start_tlsaudit_ns "$TA_CLI_NS" "$@" || return 1
	ex_check_ns "$TA_PID"
	ex_log "tlsaudit pid $TA_PID ready: $*"
}

# ex_check_ns PID: record whether PID runs in the holder's mount namespace
# (so that whatever it mounts or pins stays there)
EX_NS_RUNS=0
EX_NS_BAD=""
ex_check_ns() {
	local want got
	want=$(readlink "/proc/$TA_MNT_HOLDER/ns/mnt")
	got=$(readlink "/proc/$1/ns/mnt")
	EX_NS_RUNS=$((EX_NS_RUNS + 1))
	[ -n "$want" ] && [ "$got" = "$want" ] || EX_NS_BAD="$EX_NS_BAD pid $1 in ${got:-?} (holder ${want:-?});"
}

# ex_reset NAME: `tlsaudit --reset` in the holder's namespace; PASS/FAIL NAME
ex_reset() {
	local name=$1 out rc
	out=$(ta_in_mnt "$TLSAUDIT" --reset 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name" "tlsaudit --reset exited $rc, want 0" "$out"
	elif ta_in_mnt test -e /sys/fs/bpf/tlsaudit; then
		fail "$name" "/sys/fs/bpf/tlsaudit still exists after --reset" "$out"
	else
		pass "$name"
	fi
}

ex_ino() { stat -c %i "$1" 2>/dev/null; }

# ex_wait_write FILE OLD_INODE [PID]: until FILE exists with an inode other
# than OLD_INODE (every write renames a new file over it)
ex_wait_write() { ta_wait_replaced "$1" "$2" "$TA_WAIT" "${3:-}"; }

# ex_json FILE: the strict parse as JSON ({samples, types, help}); non-zero
# with the reason on stderr when FILE is not valid exposition text
ex_json() { "$TA_PY" "$EX_PY" json "$1"; }

# ex_flows FILE: "verdict=sum ..." over tlsaudit_flows_total, sorted
ex_flows() {
	ex_json "$1" 2>/dev/null | jq -r '[.samples[] | select(.name == "tlsaudit_flows_total")]
		| group_by(.labels.verdict) | map("\(.[0].labels.verdict)=\(map(.value) | add)") | join(" ")'
}

# ex_wait_flows FILE WANT [PID]: until ex_flows FILE is WANT (the last seen
# in EX_FLOWS_SEEN)
EX_FLOWS_SEEN=""
_ex_flows_are() { EX_FLOWS_SEEN=$(ex_flows "$1"); [ "$EX_FLOWS_SEEN" = "$2" ]; }
ex_wait_flows() { TA_POLL=0.1 ta_wait_until "$TA_WAIT" "${3:-}" _ex_flows_are "$1" "$2"; }

# ex_series JSON NAME: one line per sample of NAME: its labels (sorted, as
# JSON) and value, sorted
ex_series() {
	jq -r --arg n "$2" '.samples[] | select(.name == $n)
		| "\(.labels | to_entries | sort_by(.key) | from_entries | tojson) \(.value)"' "$1" | sort
}

# ex_value JSON NAME: the value of the one unlabelled sample NAME (empty if
# absent, "dup" if more than one)
ex_value() {
	jq -r --arg n "$2" '[.samples[] | select(.name == $n) | .value]
		| if length == 1 then .[0] elif length == 0 then "" else "dup" end' "$1"
}

# ex_flow_rows JSON: "verdict comm(json) container(json) port value", sorted
ex_flow_rows() {
	jq -r '.samples[] | select(.name == "tlsaudit_flows_total")
		| "\(.labels.verdict) \(.labels.comm | tojson) \(.labels.container | tojson) \(.labels.port) \(.value)"' "$1" | sort
}

# Counters the README ("Limitations") documents as starting from zero at each
# start. They are still compared, and reported on the PASS line; emptying this
# makes their reset a failure like any other.
EX_RESTART_FROM_ZERO=""   # every family must survive a restart (TLS ones are pinned too)

# ex_not_monotonic BEFORE_JSON AFTER_JSON: one line per tlsaudit counter
# sample of BEFORE that is missing from AFTER or smaller there; lines of the
# families in EX_RESTART_FROM_ZERO start with "documented: "
ex_not_monotonic() {
	jq -nr --slurpfile b "$1" --slurpfile a "$2" --arg doc "$EX_RESTART_FROM_ZERO" '
		def k: "\(.name)\(.labels | to_entries | sort_by(.key) | from_entries | tojson)";
		($doc | split(" ")) as $docs
		| ($a[0].samples | map({key: k, value: .value}) | from_entries) as $am
		| $b[0] as $B
		| $B.samples[] | select((.name | startswith("tlsaudit_")) and $B.types[.family] == "counter")
		| k as $k
		| (if (.family | IN($docs[])) then "documented: " else "" end) as $p
		| if $am[$k] == null then "\($p)\($k): \(.value) -> gone"
		  elif $am[$k] < .value then "\($p)\($k): \(.value) -> \($am[$k])"
		  else empty end'
}

# ex_check_monotonic NAME BEFORE_JSON AFTER_JSON WHAT
ex_check_monotonic() {
	local name=$1 v bad doc
	v=$(ex_not_monotonic "$2" "$3")
	bad=$(printf '%s\n' "$v" | grep -v '^documented: ' | grep .)
	doc=$(printf '%s\n' "$v" | sed -n 's/^documented: //p' | paste -sd';' -)
	if [ -n "$bad" ]; then
		fail "$name" "$4" "$bad" ${doc:+"(documented as restarting from zero: $doc)"}
	elif [ -n "$doc" ]; then
		pass "$name (note: restarted from zero, as the README documents: $doc)"
	else
		pass "$name"
	fi
}

# ex_clients TAG N tls|plain: N curls; PASS/FAIL traffic:TAG
ex_clients() {
	local tag=$1 n=$2 kind=$3 i why="" url
	if [ "$kind" = tls ]; then url=https://$TA_TLS4/; else url=http://$TA_PLAIN4:443/; fi
	for ((i = 1; i <= n; i++)); do
		if [ "$kind" = tls ]; then
			run_client "$tag$i" curl --noproxy '*' -sSk --max-time 10 "$url"
		else
			run_client "$tag$i" curl --noproxy '*' -sS --max-time 10 "$url"
		fi || why="$why $tag$i: exit $?;"
		[ "$(cat "$TA_TMP/client.$tag$i.out")" = ok ] || why="$why $tag$i: reply not ok;"
	done
	if [ -z "$why" ]; then pass "traffic:$tag"; else fail "traffic:$tag" "$why"; fi
}

# ex_scrape N: GET /metrics from node_exporter into $TA_TMP/scrape.N and its
# parse into $TA_TMP/scrape.N.json; non-zero on failure
ex_scrape() {
	local f=$TA_TMP/scrape.$1
	ta_in_cli curl --noproxy '*' -sS --max-time 10 -o "$f" "http://127.0.0.1:$EX_NE_PORT/metrics" || return 1
	ex_json "$f" >"$f.json"
}

# ---------------------------------------------------------------- helpers, the binary

ta_setup_tmp
EX_PY=$TA_E2E_DIR/prom_expo.py   # the strict exposition parser
# one snapshot of the binary for the whole run: a rebuild of build/ while the
# test runs must not swap binaries between a run and its restart
cp "$TLSAUDIT" "$TA_TMP/tlsaudit" || ta_die "cannot copy $TLSAUDIT"
TLSAUDIT=$TA_TMP/tlsaudit

# clients that name themselves (plain_get.py named NAME ADDR, many ADDR N PAR)
PLAIN_GET=("$TA_PY" "$TA_E2E_DIR/plain_get.py")

# ================================================================ setup

EX_HOST_BPFFS=$(ex_host_bpffs)
setup_netns
start_tls_server
start_plain_server
RESIDUE_BASE=$TA_TMP/residue.base
ta_bpf_orphans | sort >"$RESIDUE_BASE"

# the holder: a private mount namespace with a fresh bpffs on /sys/fs/bpf
ta_private_bpffs
ex_reset "reset_before"

D=$TA_TMP/textfile      # node_exporter's textfile directory
mkdir -p "$D"
chmod 755 "$D"
PROM=$D/tlsaudit.prom
VERSION=$("$TLSAUDIT" --version | awk '{ print $2; exit }')

# ================================================================ a, b, c: promtool, scrape, hostile names

EX_NE_PORT=$(ta_in_cli "$TA_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ta_serve node_exporter "$TA_CLI_NS" "127.0.0.1:$EX_NE_PORT" -- prometheus-node-exporter \
	--collector.disable-defaults --collector.textfile --collector.textfile.directory="$D" \
	--web.listen-address="127.0.0.1:$EX_NE_PORT"
EX_NE_PID=$TA_BG_PID

if ! ex_start -i "$TA_CLI_IF" -p 443 --textfile "$PROM" --interval 1; then
	fail "export:ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
	exit 1
fi
if ! ex_wait_write "$PROM" "" "$TA_PID"; then
	fail "export:first_write" "no $PROM within $TA_WAIT s of ready" "$(tail -n 20 "$TA_ERR")"
	exit 1
fi
pass "export:first_write"

# capabilities once running: the drop comes after "ready" and before the
# first write, so the file's existence is the point to look at
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$TA_PID/status")
capp=$(awk '/^CapPrm:/ { print $2 }' "/proc/$TA_PID/status")
if [ -n "$caps" ] && (( ((0x$caps >> 21) & 1) == 0 && ((0x$capp >> 21) & 1) == 0 )); then
	pass "caps:no_sys_admin"
else
	fail "caps:no_sys_admin" "CapEff=$caps CapPrm=$capp: CAP_SYS_ADMIN (bit 21) still held" \
		"$(grep ^Cap "/proc/$TA_PID/status")"
fi

ex_clients tls 3 tls
ex_clients plain 2 plain
if ex_wait_flows "$PROM" "plaintext_http=2 tls=3" "$TA_PID"; then
	pass "textfile:flows"
else
	fail "textfile:flows" "flows in $PROM: '$EX_FLOWS_SEEN', want 'plaintext_http=2 tls=3'" \
		"$(cat "$PROM")" "$(tail -n 20 "$TA_ERR")"
fi

# ---- a. promtool
cp "$PROM" "$TA_TMP/a.prom"
if out=$(promtool check metrics <"$TA_TMP/a.prom" 2>&1) && out2=$(ex_json "$TA_TMP/a.prom" 2>&1 >/dev/null); then
	pass "a:promtool_check_metrics"
else
	fail "a:promtool_check_metrics" "promtool or the strict parser rejected the textfile" \
		"$out" "${out2:-}" "$(cat "$TA_TMP/a.prom")"
fi

# ---- b. a real scrape
check_scrape() { # NAME N EXPECTED_FLOW_ROWS
	local name=$1 n=$2 want=$3 j=$TA_TMP/scrape.$2.json why="" got v
	if ! ex_scrape "$n" 2>"$TA_TMP/scrape.$n.err"; then
		fail "$name" "scrape failed" "$(cat "$TA_TMP/scrape.$n.err")" "$(head -c 2000 "$TA_TMP/scrape.$n")"
		return 1
	fi
	got=$(ex_flow_rows "$j")
	[ "$got" = "$want" ] || why="$why tlsaudit_flows_total rows differ;"
	[ "$(jq -r '.types.tlsaudit_flows_total' "$j")" = counter ] || why="$why tlsaudit_flows_total is not TYPE counter;"
	v=$(ex_series "$j" tlsaudit_build_info)
	[ "$v" = "{\"version\":\"$VERSION\"} 1" ] || why="$why build_info is '$v', want version $VERSION 1;"
	v=$(ex_series "$j" tlsaudit_monitored_interface)
	[ "$v" = '{"interface":"c0"} 1' ] || why="$why monitored_interface is '$v';"
	v=$(ex_value "$j" node_textfile_scrape_error)
	[ "$v" = 0 ] || why="$why node_textfile_scrape_error is '$v', want 0;"
	v=$(jq -r --arg f "$PROM" '[.samples[] | select(.name == "node_textfile_mtime_seconds" and .labels.file == $f)] | length' "$j")
	[ "$v" = 1 ] || why="$why no node_textfile_mtime_seconds for $PROM;"
	for v in tlsaudit_ringbuf_events_lost_total tlsaudit_flow_insert_failures_total \
		tlsaudit_owner_insert_failures_total tlsaudit_textfile_write_errors_total \
		tlsaudit_series_overflow_flows_total; do
		[ "$(ex_value "$j" "$v")" = 0 ] || why="$why $v is '$(ex_value "$j" "$v")', want 0;"
	done
	# cardinality promise: no pid, address or SNI label, anywhere
	v=$(jq -r '[.samples[] | select(.name | startswith("tlsaudit_")) | .labels | keys[]] | unique
		| map(select(IN("verdict", "comm", "container", "port", "interface", "version", "outcome") | not)) | join(",")' "$j")
	[ -z "$v" ] || why="$why unexpected label names: $v;"
	v=$(grep -c '^tlsaudit_' "$TA_TMP/scrape.$n")
	[ "$v" = "$(jq '[.samples[] | select(.name | startswith("tlsaudit_"))] | length' "$j")" ] ||
		why="$why tlsaudit_ line count differs from the parsed samples;"
	if [ -z "$why" ]; then pass "$name"; else
		fail "$name" "$why" "flow rows:" "$got" "want:" "$want" "$(grep -E '^(tlsaudit_|node_textfile)' "$TA_TMP/scrape.$n")"
	fi
}
WANT_B='plaintext_http "curl" "" 443 2
tls "curl" "" 443 3'
check_scrape "b:node_exporter_scrape" 1 "$WANT_B"
j=$TA_TMP/scrape.1.json
v=$(ex_value "$j" tlsaudit_flows_opened_total)
if [ "$v" = 5 ]; then pass "b:flows_opened"; else fail "b:flows_opened" "tlsaudit_flows_opened_total is '$v', want 5"; fi

# ---- c. a hostile process name: x"} 1<newline>evil_metric 1, cut by the
# kernel to its first 15 bytes: x"} 1<newline>evil_metr
if run_client hostile "${PLAIN_GET[@]}" named 'b"x\"} 1\nevil_metric 1"' "$TA_PLAIN4"; then
	pass "c:hostile_client"
else
	fail "c:hostile_client" "exit status $?" "$(cat "$TA_TMP/client.hostile.err")"
fi
if ! ex_wait_flows "$PROM" "plaintext_http=3 tls=3" "$TA_PID"; then
	fail "c:hostile_flow" "flows in $PROM: '$EX_FLOWS_SEEN', want 'plaintext_http=3 tls=3'" "$(cat "$PROM")"
fi
WANT_C='plaintext_http "curl" "" 443 2
plaintext_http "x\"} 1\nevil_metr" "" 443 1
tls "curl" "" 443 3'
check_scrape "c:hostile_scrape" 2 "$WANT_C"
cp "$PROM" "$TA_TMP/c.prom"
why=""
ex_json "$TA_TMP/c.prom" >"$TA_TMP/c.prom.json" 2>"$TA_TMP/c.err" || why="$why strict parse: $(cat "$TA_TMP/c.err");"
for f in "$TA_TMP/scrape.2" "$TA_TMP/c.prom"; do
	grep -qE '^[[:space:]]*evil' "$f" && why="$why a line of $(basename "$f") starts with evil;"
	[ "$(jq '[.samples[] | select(.name | test("evil"))] | length' "$f.json" 2>&1)" = 0 ] ||
		why="$why series named evil* in $(basename "$f") (or no parse);"
done
grep -qE '^tlsaudit_flows_total\{.*comm="x\\"\} 1\\nevil_metr"' "$TA_TMP/c.prom" || why="$why the escaped comm is not in the textfile;"
out=$(promtool check metrics <"$TA_TMP/c.prom" 2>&1) || why="$why promtool: $out;"
if [ -z "$why" ]; then pass "c:hostile_textfile"; else fail "c:hostile_textfile" "$why" "$(cat "$TA_TMP/c.prom")"; fi

stop_tlsaudit
rc=$?
if [ "$rc" -eq 0 ]; then pass "export:exit_on_sigint"; else fail "export:exit_on_sigint" "exit $rc" "$(tail -n 20 "$TA_ERR")"; fi
if [ "$(ex_flows "$PROM")" = "plaintext_http=3 tls=3" ]; then pass "export:final_write"; else
	fail "export:final_write" "after exit: '$(ex_flows "$PROM")'" "$(cat "$PROM")"
fi
ta_stop_pid "$EX_NE_PID" TERM 5
EX_NE_PID=""
rm -f "$PROM"

# ================================================================ d. cardinality

ex_reset "d:reset"
if ! ex_start -i "$TA_CLI_IF" --textfile "$PROM" --interval 1 --max-series-owners 50; then
	fail "d:ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
else
	ex_wait_write "$PROM" "" "$TA_PID"
	before=$(grep -c '"GET / HTTP/1.0" 200' "$TA_PLAIN_ACCESS_LOG")
	t=$SECONDS
	if TA_CLIENT_TIMEOUT=$((2 * TA_CLIENT_TIMEOUT)) run_client many "${PLAIN_GET[@]}" many "$TA_PLAIN4" 300 16; then
		pass "d:300_clients"
	else
		fail "d:300_clients" "exit $?" "$(cat "$TA_TMP/client.many.out" "$TA_TMP/client.many.err")"
	fi
	ex_log "300 clients in $((SECONDS - t)) s"
	after=$(grep -c '"GET / HTTP/1.0" 200' "$TA_PLAIN_ACCESS_LOG")
	[ $((after - before)) -eq 300 ] || fail "d:server_saw_300" "nginx logged $((after - before)) requests"
	if ex_wait_flows "$PROM" "plaintext_http=300" "$TA_PID"; then
		pass "d:total_300"
	else
		fail "d:total_300" "flows: '$EX_FLOWS_SEEN', want plaintext_http=300" "$(grep -v '^#' "$PROM" | head -80)"
	fi
	check_cap() { # NAME FILE
		local j=$TA_TMP/d.json why="" v
		ex_json "$2" >"$j" 2>"$TA_TMP/d.err" || { fail "$1" "strict parse: $(cat "$TA_TMP/d.err")"; return; }
		v=$(jq -r '[.samples[] | select(.name == "tlsaudit_flows_total")] | group_by([.labels.verdict, .labels.port])
			| map(select(length > 51) | "\(.[0].labels.verdict)/\(.[0].labels.port): \(length) series") | join(", ")' "$j")
		[ -z "$v" ] || why="$why more than 51 owner series: $v;"
		v=$(jq -r '[.samples[] | select(.name == "tlsaudit_flows_total")] as $s
			| [$s[] | select(.labels.comm != "other")] as $named
			| [$s[] | select(.labels.comm == "other")] as $other
			| [($named | length), ([$named[] | .labels.comm | select(test("^c[0-9]{3}$"))] | unique | length),
			   ([$named[] | select(.value != 1)] | length), ($other | length), ($other[0].value // -1),
			   ([$s[] | select(.labels.verdict != "plaintext_http" or .labels.port != "443" or .labels.container != "")] | length),
			   ([$s[].value] | add)] | map(tostring) | join(" ")' "$j")
		# 50 named owners (c000..c299, one flow each), one comm="other" with the
		# other 250, nothing else, 300 in all
		[ "$v" = "50 50 0 1 250 0 300" ] ||
			why="$why named/distinct/named!=1/other rows/other value/foreign rows/sum = '$v', want '50 50 0 1 250 0 300';"
		v=$(ex_value "$j" tlsaudit_flows_opened_total)
		[ "$v" = 300 ] || why="$why tlsaudit_flows_opened_total is '$v', want 300;"
		for v in tlsaudit_series_overflow_flows_total tlsaudit_ringbuf_events_lost_total tlsaudit_flow_insert_failures_total; do
			[ "$(ex_value "$j" "$v")" = 0 ] || why="$why $v is '$(ex_value "$j" "$v")', want 0;"
		done
		out=$(promtool check metrics <"$2" 2>&1) || why="$why promtool: $out;"
		if [ -z "$why" ]; then pass "$1"; else fail "$1" "$why" "$(grep '^tlsaudit_flows_total' "$2" | head -60)"; fi
	}
	check_cap "d:owner_cap" "$PROM"
	stop_tlsaudit
	rc=$?
	[ "$rc" -eq 0 ] || fail "d:exit" "exit $rc" "$(tail -n 20 "$TA_ERR")"
	check_cap "d:owner_cap_final_write" "$PROM"
fi

# ================================================================ f. atomic replacement
# WRITERS tlsaudit instances write the same path every second while a reader
# opens and checks it as fast as it can until it has seen WRITES
# replacements. Every read must be a whole file: newline-terminated, valid,
# with the families, number of samples and flow total of the first whole
# read (and the reader proves on that first file that it would reject any
# torn copy of it). The pinned series hold the 300 owners of d, so with
# --max-series-owners 400 a whole file has 300 flow rows (~30 KB); the flow
# total is not required to be 300 here (e checks persistence).

WRITERS=${TA_EXPORT_WRITERS:-12}
WRITES=${TA_EXPORT_WRITES:-200}
APROM=$D/atomic.prom
t=$SECONDS
"$TA_PY" "$EX_PY" reader "$APROM" -1 "$WRITES" 180 "$TA_TMP/reader.json" </dev/null >"$TA_TMP/reader.log" 2>&1 &
READER=$!
TA_BG_PIDS+=("$READER")
WRITER_ERRS=()
for ((i = 1; i <= WRITERS; i++)); do
	ta_spawn_tlsaudit "$TA_CLI_NS" -i "$TA_CLI_IF" --max-flows 1024 --textfile "$APROM" --interval 1 \
		--max-series-owners 400
	EX_WRITERS+=("$TA_PID")
	WRITER_ERRS+=("$TA_ERR")
done
TA_PID=""
why=""
# they all load and verify their programs at once: twice the usual bound
for ((i = 1; i <= WRITERS; i++)); do
	if wait_for_line "${WRITER_ERRS[$((i - 1))]}" '^tlsaudit: ready' $((2 * TA_WAIT)) "${EX_WRITERS[$((i - 1))]}"; then
		ex_check_ns "${EX_WRITERS[$((i - 1))]}"
	else
		why="$why writer $i not ready;"
	fi
done
ex_log "atomicity: $WRITERS writers ready after $((SECONDS - t)) s"
ta_wait_exit "$READER" 200 || why="$why reader still running;"
wait "$READER" 2>/dev/null
for ((i = 1; i <= WRITERS; i++)); do
	ta_stop_pid "${EX_WRITERS[$((i - 1))]}" INT "$TA_WAIT" || why="$why writer $i exit $?;"
done
EX_WRITERS=()
ex_log "atomicity: done after $((SECONDS - t)) s"
r=$(cat "$TA_TMP/reader.json" 2>/dev/null)
v=$(printf '%s' "$r" | jq -r --argjson w "$WRITES" '[
	(if .bad == 0 then empty else "\(.bad) of \(.reads) reads were not a whole file, first: \(.first_bad)" end),
	(if .versions >= $w then empty else "only \(.versions) replacements seen, want \($w)" end),
	(if .selftest == null then "no whole file was ever read"
	 elif (.selftest.accepted | length) > 0 then "the check accepted torn copies (cuts \(.selftest.accepted))"
	 else empty end)] | join("; ")' 2>&1)
left=$(find "$D" -name '.*' -type f)
[ -z "$left" ] || why="$why temp files left: $left;"
if [ -z "$why$v" ] && [ -n "$r" ]; then
	pass "f:atomic_replace ($(printf '%s' "$r" | jq -r '"\(.reads) reads, \(.versions) replacements; whole file \(.selftest.bytes) bytes, \(.selftest.samples) samples, \(.selftest.flows) flows"'))"
else
	fail "f:atomic_replace" "$why $v" "reader: $r" "$(cat "$TA_TMP/reader.log")" "$(tail -n 3 "${WRITER_ERRS[@]}")"
fi
rm -f "$APROM"

# ================================================================ e. restart

ex_reset "e:reset"
RPROM=$D/restart.prom
# a connection open before the first start: counted as pre-existing, then
# closed, so the second start does not see it
ta_bg "$TA_CLI_NS" "$TA_TMP/longconn.out" "$TA_TMP/longconn.out" "$TA_PY" -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 443), timeout=10)
s.settimeout(None)
print("connected", flush=True)
s.recv(1)' "$TA_PLAIN4"
LC=$TA_BG_PID
wait_for_line "$TA_TMP/longconn.out" '^connected' "$TA_WAIT" "$LC" || fail "e:long_connection" "did not connect" "$(cat "$TA_TMP/longconn.out")"

E_ARGS=(-i "$TA_CLI_IF" --textfile "$RPROM" --interval 1)
# e_start NAME: a (re)start with E_ARGS, until its first write replaced the
# file; FAIL NAME if it does not get ready
e_start() {
	local ino
	ino=$(ex_ino "$RPROM")
	ex_start "${E_ARGS[@]}" || { fail "$1" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"; return 1; }
	ex_wait_write "$RPROM" "$ino" "$TA_PID"
}
# e_snap TAG: the textfile now, as $TA_TMP/TAG.prom and its parse TAG.json
e_snap() { cp "$RPROM" "$TA_TMP/$1.prom" && ex_json "$TA_TMP/$1.prom" >"$TA_TMP/$1.json"; }
# e_stop NAME: SIGINT; FAIL NAME unless it exits 0
e_stop() {
	stop_tlsaudit
	set -- "$1" $?
	[ "$2" -eq 0 ] || fail "$1" "exit $2" "$(tail -n 20 "$TA_ERR")"
}
if e_start "e:ready_1"; then
	ex_clients e1_tls 2 tls
	ex_clients e1_plain 1 plain
	ex_wait_flows "$RPROM" "midstream=1 plaintext_http=1 tls=2" "$TA_PID" ||
		fail "e:flows_1" "flows '$EX_FLOWS_SEEN', want 'midstream=1 plaintext_http=1 tls=2'" "$(cat "$RPROM")"
	ta_stop_pid "$LC" TERM 5
	e_stop "e:exit_1"
	e_snap e1
	if e_start "e:ready_2"; then
		e_snap e2a
		ex_check_monotonic "e:monotonic_at_restart" "$TA_TMP/e1.json" "$TA_TMP/e2a.json" \
			"counters went back in the first write after the restart"
		ex_clients e2_tls 1 tls
		ex_clients e2_plain 2 plain
		ex_wait_flows "$RPROM" "midstream=1 plaintext_http=3 tls=3" "$TA_PID" ||
			fail "e:flows_2" "flows '$EX_FLOWS_SEEN', want 'midstream=1 plaintext_http=3 tls=3'" "$(cat "$RPROM")"
		e_snap e2b
		ex_check_monotonic "e:monotonic_after_new_flows" "$TA_TMP/e1.json" "$TA_TMP/e2b.json" \
			"counters below their value before the restart"
		# flows: exactly before + new, row by row
		want=$(ex_flow_rows "$TA_TMP/e1.json" | awk '
			$1 == "tls" && $2 == "\"curl\"" { $5 += 1 }
			$1 == "plaintext_http" && $2 == "\"curl\"" { $5 += 2 }
			{ print }' | sort)
		got=$(ex_flow_rows "$TA_TMP/e2b.json")
		if [ "$got" = "$want" ] && [ -n "$got" ]; then pass "e:flows_before_plus_new"; else
			fail "e:flows_before_plus_new" "rows differ" "before:" "$(ex_flow_rows "$TA_TMP/e1.json")" \
				"want:" "$want" "got:" "$got"
		fi
		e_stop "e:exit_2"
	fi
	ex_reset "e:reset_exit_0"
	if e_start "e:ready_3"; then
		if e_snap e3; then
			v=$(jq -r '. as $d | [.samples[] | select((.name | startswith("tlsaudit_")) and $d.types[.family] == "counter" and .value != 0)
				| "\(.name)\(.labels | tojson) \(.value)"] | join("; ")' "$TA_TMP/e3.json")
			n=$(jq '[.samples[] | select(.name == "tlsaudit_flows_total" or .name == "tlsaudit_tls_flows_total")] | length' "$TA_TMP/e3.json")
			if [ -z "$v" ] && [ "$n" = 0 ]; then pass "e:fresh_start_at_zero"; else
				fail "e:fresh_start_at_zero" "non-zero counters after --reset: $v ($n flow rows)" "$(cat "$TA_TMP/e3.prom")"
			fi
		else
			fail "e:fresh_start_at_zero" "textfile does not parse"
		fi
		e_stop "e:exit_3"
	fi
fi

# ================================================================ g. unwritable targets

ex_reset "g:reset"
# g1: a directory that does not exist: a usage error before any BPF is loaded
for bad in /nonexistent-dir/x.prom "$TA_TMP/no-such-dir/x.prom"; do
	[ -e "$(dirname "$bad")" ] && { fail "g:missing_dir" "$(dirname "$bad") exists on this machine"; continue; }
	strace_out=$TA_TMP/g.strace
	if command -v strace >/dev/null; then
		ta_in_mnt nsenter --net="/run/netns/$TA_CLI_NS" strace -f -qq -e trace=bpf,mount -o "$strace_out" \
			"$TLSAUDIT" -i "$TA_CLI_IF" --textfile "$bad" >"$TA_TMP/g.out" 2>"$TA_TMP/g.err"
	else
		ta_in_mnt nsenter --net="/run/netns/$TA_CLI_NS" \
			"$TLSAUDIT" -i "$TA_CLI_IF" --textfile "$bad" >"$TA_TMP/g.out" 2>"$TA_TMP/g.err"
	fi
	rc=$?
	why=""
	[ "$rc" -eq 2 ] || why="$why exit $rc, want 2;"
	[ "$(wc -l <"$TA_TMP/g.err")" -eq 1 ] || why="$why stderr has $(wc -l <"$TA_TMP/g.err") lines, want 1;"
	grep -qF "$(dirname "$bad")" "$TA_TMP/g.err" || why="$why stderr does not name the directory;"
	[ -s "$TA_TMP/g.out" ] && why="$why stdout not empty;"
	[ -s "$strace_out" ] && grep -qE '^[0-9]+ +(bpf|mount)\(' "$strace_out" && why="$why it called bpf()/mount(): $(head -3 "$strace_out");"
	ta_in_mnt test -e /sys/fs/bpf/tlsaudit && why="$why it created /sys/fs/bpf/tlsaudit;"
	if [ -z "$why" ]; then pass "g:missing_dir $bad"; else fail "g:missing_dir $bad" "$why" "$(cat "$TA_TMP/g.err")"; fi
	rm -f "$strace_out"
done

# g2: the directory turns read-only while tlsaudit runs (a read-only bind
# mount in the holder's namespace; root ignores mode bits)
G=$TA_TMP/rodir
mkdir -p "$G"
GPROM=$G/ro.prom
if ! ex_start -i "$TA_CLI_IF" --textfile "$GPROM" --interval 1; then
	fail "g:readonly_ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
else
	why=""
	ex_wait_write "$GPROM" "" "$TA_PID" || why="$why no first write;"
	ino=$(ex_ino "$GPROM")
	ta_in_mnt mount --bind -o ro "$G" "$G" || why="$why ro bind mount failed;"
	ta_in_mnt findmnt -n -o OPTIONS --target "$G" | grep -qE '(^|,)ro(,|$)' || why="$why $G is not read-only;"
	ta_wait_count "$TA_ERR" '^tlsaudit: cannot write' 3 "$TA_WAIT" "$TA_PID" 2>/dev/null
	nerr=$(grep -c '^tlsaudit: cannot write' "$TA_ERR")
	[ "$nerr" -ge 3 ] || why="$why $nerr error lines within $TA_WAIT s, want >= 3;"
	ta_pid_alive "$TA_PID" || why="$why tlsaudit died;"
	grep '^tlsaudit: cannot write' "$TA_ERR" | grep -vqF "$GPROM" && why="$why an error line does not name $GPROM;"
	grep '^tlsaudit: cannot write' "$TA_ERR" | grep -vq 'Read-only file system' &&
		why="$why an error line does not say 'Read-only file system';"
	[ "$(ex_ino "$GPROM")" = "$ino" ] || why="$why the previous file was not kept;"
	ta_in_mnt umount "$G" || why="$why umount failed;"
	ex_wait_write "$GPROM" "$ino" "$TA_PID" || why="$why no write after the directory became writable;"
	nerr=$(grep -c '^tlsaudit: cannot write' "$TA_ERR")
	v=$(ex_json "$GPROM" | jq -r '[.samples[] | select(.name == "tlsaudit_textfile_write_errors_total") | .value] | .[0] // "absent"')
	[ "$v" = "$nerr" ] || why="$why tlsaudit_textfile_write_errors_total is $v, stderr has $nerr error lines;"
	[ -z "$(find "$G" -name '.*' -type f)" ] || why="$why temp files left: $(find "$G" -name '.*' -type f);"
	stop_tlsaudit
	rc=$?
	[ "$rc" -eq 0 ] || why="$why exit $rc on SIGINT, want 0;"
	v=$(ex_json "$GPROM" | jq -r '[.samples[] | select(.name == "tlsaudit_textfile_write_errors_total") | .value] | .[0] // "absent"')
	[ "$v" = "$nerr" ] || why="$why final write: write_errors_total $v, want $nerr;"
	if [ -z "$why" ]; then pass "g:readonly_dir ($nerr failed writes counted)"; else
		fail "g:readonly_dir" "$why" "$(cat "$TA_ERR")"
	fi
fi

# ================================================================ h, i. make demo, make install

if [ "${TA_EXPORT_SKIP_MAKE:-0}" = 1 ]; then
	echo "SKIP: h:make_demo: TA_EXPORT_SKIP_MAKE=1"
	echo "SKIP: i:make_install: TA_EXPORT_SKIP_MAKE=1"
else
	t=$SECONDS
	env -u TLSAUDIT -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 600 make -C "$REPO" --no-print-directory demo </dev/null >"$TA_TMP/demo.out" 2>&1
	rc=$?
	why=""
	[ "$rc" -eq 0 ] || why="$why exit $rc;"
	grep -qE '^ +process pid=[0-9]+ comm=curl status=encrypted ' "$TA_TMP/demo.out" || why="$why no encrypted curl;"
	grep -qE '^ +process pid=[0-9]+ comm=curl status=plaintext ' "$TA_TMP/demo.out" || why="$why no plaintext curl;"
	nss=$(sed -n 's/^namespaces \(ta-cli-[0-9]*\) (client) and \(ta-srv-[0-9]*\) .*/\1 \2/p' "$TA_TMP/demo.out")
	dtmp=$(sed -n 's/^temp dir //p' "$TA_TMP/demo.out")
	[ -n "$nss" ] && [ -n "$dtmp" ] || why="$why the demo did not name its namespaces and temp dir;"
	for ns in $nss; do [ -e "/run/netns/$ns" ] && why="$why namespace $ns left;"; done
	[ -n "$dtmp" ] && [ -e "$dtmp" ] && why="$why $dtmp left;"
	if [ -z "$why" ]; then pass "h:make_demo ($((SECONDS - t)) s, $(sed -n 's/.*(\([0-9]*\) s)\.$/\1/p' "$TA_TMP/demo.out") s in the demo)"; else
		fail "h:make_demo" "$why" "$(tail -n 60 "$TA_TMP/demo.out")"
	fi

	why=""
	pre_host=$(ls -la /usr/local/sbin/tlsaudit /usr/sbin/tlsaudit 2>&1)
	for prefix in /usr/local /usr; do
		DEST=$TA_TMP/destdir${prefix//\//_}
		if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$REPO" --no-print-directory install DESTDIR="$DEST" PREFIX="$prefix" >"$TA_TMP/install.log" 2>&1; then
			why="$why make install PREFIX=$prefix failed: $(tail -n 5 "$TA_TMP/install.log");"
			continue
		fi
		bin=$DEST$prefix/sbin/tlsaudit man=$DEST$prefix/share/man/man8/tlsaudit.8
		unit=$DEST$prefix/lib/systemd/system/tlsaudit.service
		[ "$(stat -c %a "$bin" 2>/dev/null)" = 755 ] && cmp -s "$bin" "$REPO/build/tlsaudit" ||
			why="$why $bin missing, not 0755 or not build/tlsaudit;"
		[ "$(stat -c %a "$man" 2>/dev/null)" = 644 ] && cmp -s "$man" "$REPO/docs/tlsaudit.8" ||
			why="$why $man missing, not 0644 or not docs/tlsaudit.8;"
		[ "$(stat -c %a "$unit" 2>/dev/null)" = 644 ] || why="$why $unit missing or not 0644;"
		grep -qE "^ExecStart=$prefix/sbin/tlsaudit( |$)" "$unit" 2>/dev/null || why="$why $unit does not start $prefix/sbin/tlsaudit;"
		n=$(find "$DEST" -type f | wc -l)
		[ "$n" -eq 3 ] || why="$why $n files installed, want 3: $(find "$DEST" -type f | paste -sd' ');"
		if command -v groff >/dev/null; then
			out=$(groff -man -ww -z "$man" 2>&1)
			[ -z "$out" ] || why="$why groff warns about the man page: $out;"
		fi
	done
	[ "$(ls -la /usr/local/sbin/tlsaudit /usr/sbin/tlsaudit 2>&1)" = "$pre_host" ] || why="$why something was installed outside DESTDIR;"
	if [ -z "$why" ]; then pass "i:make_install"; else fail "i:make_install" "$why"; fi

	# the unit: systemd-analyze verify, with ExecStart pointed at the
	# installed copy (verify wants the binary to exist) and no man lookup.
	# It exits 0 even on unknown keys, so any output is a failure too.
	unit=$TA_TMP/destdir_usr_local/usr/local/lib/systemd/system/tlsaudit.service
	if ! command -v systemd-analyze >/dev/null; then
		pass "i:unit_verify (note: no systemd-analyze on this machine; not verified)"
	elif [ -f "$unit" ]; then
		mkdir -p "$TA_TMP/unitcheck"
		sed "s|^ExecStart=/usr/local/sbin/tlsaudit|ExecStart=$TA_TMP/destdir_usr_local/usr/local/sbin/tlsaudit|" "$unit" \
			>"$TA_TMP/unitcheck/tlsaudit.service"
		out=$(systemd-analyze verify --man=no "$TA_TMP/unitcheck/tlsaudit.service" 2>&1)
		rc=$?
		if [ "$rc" -eq 0 ] && [ -z "$out" ]; then pass "i:unit_verify"; else
			fail "i:unit_verify" "systemd-analyze verify: exit $rc" "$out"
		fi
	else
		fail "i:unit_verify" "no installed unit to verify"
	fi
fi

# ================================================================ leaving nothing behind

ex_reset "reset_after"
ta_check_no_residue "no_bpf_residue" --orphans "$RESIDUE_BASE" "$TA_CLI_NS:$TA_CLI_IF"
if [ -z "$EX_NS_BAD" ] && [ "$EX_NS_RUNS" -gt 0 ]; then
	pass "isolation:private_bpffs ($EX_NS_RUNS tlsaudit runs, all in the holder's mount namespace)"
else
	fail "isolation:private_bpffs" "a tlsaudit ran outside the holder's mount namespace:$EX_NS_BAD"
fi
# the machine's bpffs: our runs cannot have touched it (above), but say so if
# it changed while we ran (another tlsaudit on the machine, for instance)
now=$(ex_host_bpffs)
if [ "$now" != "$EX_HOST_BPFFS" ]; then
	echo "note: the machine's /sys/fs/bpf changed during the run (not by this test):" >&2
	printf '%s\n' "before:" "$EX_HOST_BPFFS" "after:" "$now" | sed 's/^/    /' >&2
fi
ex_log "done in $((SECONDS - EX_T0)) s"

ta_finish "$T"
