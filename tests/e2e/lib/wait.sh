# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/wait.sh - processes and waits (sourced by lib.sh).
#
# Every wait here polls for the event it waits for, up to a bound, and gives
# up as soon as the process that should cause the event has exited (after a
# last look: it may have caused it on its way out). Readiness waits use the
# generous $TA_WAIT; nothing here is a race against a short timeout, and no
# sleep stands in for an event.

# ---------------------------------------------------------------- processes

# ta_pid_alive PID: running and not a zombie (a zombie child passes kill -0)
ta_pid_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ta_wait_exit PID TIMEOUT_S: bounded wait until PID has exited (or is a zombie)
ta_wait_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while ta_pid_alive "$pid"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# ta_stop_pid PID [SIG] [TIMEOUT]: signal one of our children, wait, reap.
# Escalates to SIGKILL after the timeout. Returns the child's exit status.
ta_stop_pid() {
	local pid=$1 sig=${2:-TERM} to=${3:-5}
	[ -n "$pid" ] || return 0
	if ta_pid_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null
		if ! ta_wait_exit "$pid" "$to"; then
			kill -KILL "$pid" 2>/dev/null
			ta_wait_exit "$pid" 5
		fi
	fi
	wait "$pid" 2>/dev/null
}

# ta_reap PID [TIMEOUT=$TA_CLIENT_TIMEOUT]: wait for one of our children to
# end; killed by PID if it outlives the bound (status 124). Returns its status.
ta_reap() {
	local pid=$1 to=${2:-$TA_CLIENT_TIMEOUT}
	if ! ta_wait_exit "$pid" "$to"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

# ta_bg NS OUT ERR CMD [ARGS...]: start CMD in the background, in netns NS
# (empty: this one), stdin $TA_BG_STDIN (default /dev/null), stdout to OUT,
# stderr to ERR (ERR = OUT: both to one file). nsenter execs, so the PID is
# CMD's own; it is recorded for teardown. Sets TA_BG_PID.
ta_bg() {
	local ns=$1 out=$2 err=$3 pre=()
	shift 3
	[ -n "$ns" ] && pre=(nsenter --net="/run/netns/$ns")
	if [ "$err" = "$out" ]; then
		"${pre[@]}" "$@" <"${TA_BG_STDIN:-/dev/null}" >"$out" 2>&1 &
	else
		"${pre[@]}" "$@" <"${TA_BG_STDIN:-/dev/null}" >"$out" 2>"$err" &
	fi
	TA_BG_PID=$!
	TA_BG_PIDS+=("$TA_BG_PID")
}

# ---------------------------------------------------------------- waits

# ta_wait_until TIMEOUT_S PID CMD [ARGS...]: poll CMD until it succeeds (0);
# 2 as soon as PID (when not empty) has exited and a last try of CMD failed;
# 1 after TIMEOUT_S. Polls every $TA_POLL seconds (0.05).
ta_wait_until() {
	local to=$1 pid=$2 deadline
	shift 2
	deadline=$((SECONDS + to))
	while :; do
		"$@" && return 0
		if [ -n "$pid" ] && ! ta_pid_alive "$pid"; then
			"$@" && return 0
			return 2
		fi
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep "${TA_POLL:-0.05}"
	done
}

# ta_wait_msg RC WHAT PID TIMEOUT: the reason a wait gave up, on stderr
ta_wait_msg() {
	case $1 in
	0) ;;
	2) echo "e2e: process $3 exited before $2" >&2 ;;
	*) echo "e2e: timeout (${4}s) waiting for $2" >&2 ;;
	esac
	return "$1"
}

_ta_has_line() { grep -qE -- "$2" "$1" 2>/dev/null; }

# wait_for_line FILE REGEX [TIMEOUT_S=$TA_WAIT] [PID]: until a line of FILE
# matches the (grep -E) REGEX. With PID, gives up early once it has exited.
wait_for_line() {
	local to=${3:-$TA_WAIT} pid=${4:-}
	ta_wait_until "$to" "$pid" _ta_has_line "$1" "$2"
	ta_wait_msg $? "'$2' in $1" "$pid" "$to"
}

# ta_wait_count FILE REGEX N [TIMEOUT_S=$TA_WAIT] [PID]: until N lines match
_ta_has_count() { [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
ta_wait_count() {
	local to=${4:-$TA_WAIT} pid=${5:-}
	ta_wait_until "$to" "$pid" _ta_has_count "$1" "$2" "$3"
	ta_wait_msg $? "$3 lines '$2' in $1" "$pid" "$to"
}

_ta_listening() {
	nsenter --net="/run/netns/$1" ss -Hltn 2>/dev/null |
		awk -v w="$2" '$4 == w { f = 1 } END { exit !f }'
}

# wait_for_listen NS ADDR PORT [TIMEOUT_S=$TA_WAIT] [PID]: until `ss -ltn` in
# NS shows the listener. With PID, gives up early once it has exited.
wait_for_listen() {
	local ns=$1 want to=${4:-$TA_WAIT} pid=${5:-}
	case $2 in
	*:*) want="[$2]:$3" ;;
	*) want="$2:$3" ;;
	esac
	ta_wait_until "$to" "$pid" _ta_listening "$ns" "$want"
	ta_wait_msg $? "a listener on $want in $ns" "$pid" "$to"
}

# ta_wait_listens NS PID ADDR:PORT...: every listener ([v6]:port or v4:port)
ta_wait_listens() {
	local ns=$1 pid=$2 l a
	shift 2
	for l in "$@"; do
		a=${l%:*} a=${a#\[} a=${a%\]}
		wait_for_listen "$ns" "$a" "${l##*:}" "$TA_WAIT" "$pid" || return
	done
}

_ta_jq_any() {
	[ -n "$(jq -cR "fromjson? // empty | select(type == \"object\") | $2" "$1" 2>/dev/null)" ]
}

# ta_wait_jq FILE FILTER [TIMEOUT_S=$TA_WAIT] [PID]: until some JSON line of
# FILE makes the jq FILTER output something (bad lines are skipped). With PID,
# gives up early once it has exited.
ta_wait_jq() {
	local to=${3:-$TA_WAIT} pid=${4:-}
	TA_POLL=0.1 ta_wait_until "$to" "$pid" _ta_jq_any "$1" "$2"
	ta_wait_msg $? "a JSON line of $1 matching $2" "$pid" "$to" 2>/dev/null
}

_ta_file_new() {
	local ino
	ino=$(stat -c %i "$1" 2>/dev/null)
	[ -n "$ino" ] && [ "$ino" != "$2" ]
}

# ta_wait_replaced FILE OLD_INODE [TIMEOUT_S=$TA_WAIT] [PID]: until FILE
# exists with an inode other than OLD_INODE (a writer that renames a new file
# over it has written again)
ta_wait_replaced() {
	local to=${3:-$TA_WAIT} pid=${4:-}
	ta_wait_until "$to" "$pid" _ta_file_new "$1" "$2"
}
