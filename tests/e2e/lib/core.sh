# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/core.sh - reporting, requirements, the per-run temp dir and
# the teardown that runs on exit (sourced by lib.sh).

TA_NGINX=${TA_NGINX:-/usr/sbin/nginx}
TA_PY=/usr/bin/python3          # the system python, not a pyenv shim on PATH
TA_WAIT=${TA_WAIT:-60}
TA_CLIENT_TIMEOUT=${TA_CLIENT_TIMEOUT:-60}

TA_TMP=""                       # per-run temp dir, made by ta_setup_tmp
TA_NETNS_MADE=()                # namespaces this run created
TA_CGROUPS_MADE=()              # cgroup2 directories this run created (absolute)
TA_BG_PIDS=()                   # background PIDs this run started (servers...)
TA_TEARDOWN_HOOKS=()            # functions ta_teardown runs first, last added first
TA_CLIENTS=""                   # file of "name pid" lines, one per client run
TA_FAILS=0
TA_TEARDOWN_DONE=0

# ---------------------------------------------------------------- reporting

ta_log() { [ "${TA_E2E_VERBOSE:-0}" = 1 ] && echo "e2e: $*" >&2; return 0; }
ta_die() { echo "e2e: error: $*" >&2; exit 1; }

pass() { echo "PASS: $1"; }
# fail NAME DETAILS [FILE-OR-TEXT...]  - details on the FAIL line, extra lines after
fail() {
	local name=$1 details=$2 x
	shift 2
	echo "FAIL: $name: $details"
	for x in "$@"; do
		[ -n "$x" ] && printf '%s\n' "$x" | sed 's/^/    /'
	done
	TA_FAILS=$((TA_FAILS + 1))
	return 0
}
# check NAME WHY [CONTEXT...]: PASS when WHY is empty, else FAIL with WHY
check() {
	local name=$1 why=$2
	shift 2
	if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why" "$@"; fi
}

# ta_finish TESTNAME: the script's exit status from its FAIL count
ta_finish() {
	if [ "$TA_FAILS" -gt 0 ]; then
		echo "$1: $TA_FAILS failed" >&2
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------- requirements

# require_root TESTNAME: a non-root run is a SKIP (tests/run.sh turns a SKIP
# under CI=true into a failure).
require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: ${1:-e2e}: needs root"
		exit 0
	fi
}

# require_cmds TESTNAME CMD... : a missing tool is a FAIL, not a silent pass
require_cmds() {
	local t=$1 c missing=""
	shift
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || missing="$missing $c"
	done
	if [ -n "$missing" ]; then
		echo "FAIL: $t: missing tools:$missing (run 'make deps')"
		exit 1
	fi
}

# require_tlsaudit TESTNAME: the binary under test is built
require_tlsaudit() {
	if [ ! -x "$TLSAUDIT" ]; then
		echo "FAIL: $1: $TLSAUDIT not built (run 'make')"
		exit 1
	fi
}

# ta_e2e_init TESTNAME CMD...: root, the tools, the binary, the traps: the
# common start of every test script
ta_e2e_init() {
	require_root "$1"
	require_cmds "$@"
	require_tlsaudit "$1"
	ta_install_traps
}

# ---------------------------------------------------------------- temp dir

ta_setup_tmp() {
	[ -n "$TA_TMP" ] && return 0
	TA_TMP=$(mktemp -d /tmp/ta-e2e.XXXXXX) || ta_die "mktemp failed"
	export TA_TMP
	chmod 755 "$TA_TMP"       # nginx workers (nobody) traverse it
	TA_CLIENTS=$TA_TMP/clients
	: >"$TA_CLIENTS"
}

# ---------------------------------------------------------------- teardown

# ta_teardown: the hooks, tlsaudit (SIGINT, so it detaches cleanly), every
# background PID we started, every process left in our namespaces, the
# namespaces, our cgroups, the temp dir. Runs once.
ta_teardown() {
	[ "$TA_TEARDOWN_DONE" = 1 ] && return 0
	TA_TEARDOWN_DONE=1
	local pid ns i
	for ((i = ${#TA_TEARDOWN_HOOKS[@]} - 1; i >= 0; i--)); do
		"${TA_TEARDOWN_HOOKS[$i]}"
	done
	[ -n "${TA_PID:-}" ] && ta_stop_pid "$TA_PID" INT 10
	for ((i = ${#TA_BG_PIDS[@]} - 1; i >= 0; i--)); do
		ta_stop_pid "${TA_BG_PIDS[$i]}" TERM 5
	done
	# anything left inside our namespaces (nginx workers, stray clients)
	for ns in "${TA_NETNS_MADE[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			ta_wait_exit "$pid" 3 || kill -KILL "$pid" 2>/dev/null
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			ta_wait_exit "$pid" 3
		done
		ip netns del "$ns" 2>/dev/null
	done
	TA_NETNS_MADE=()
	ta_teardown_cgroups
	if [ -n "$TA_TMP" ] && [ -d "$TA_TMP" ]; then
		if [ "${TA_E2E_KEEP:-0}" = 1 ]; then
			echo "e2e: kept $TA_TMP" >&2
		else
			rm -rf "$TA_TMP"
		fi
	fi
	return 0
}

# ta_install_traps: teardown on EXIT, and turn INT/TERM/HUP into an exit
ta_install_traps() {
	trap 'ta_teardown' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}
