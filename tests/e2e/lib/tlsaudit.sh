# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/tlsaudit.sh - the binary under test: start, wait for ready,
# stop, kill; an optional private bpffs for its pins; its JSON output
# (sourced by lib.sh).

TA_PID=""                       # running tlsaudit
TA_OUT=""                       # its stdout file
TA_ERR=""                       # its stderr file
TA_RUN_SEQ=0
TA_READY_WHY=""                 # why the last ta_wait_ready failed
TA_MNT_HOLDER=""                # PID whose mount namespace tlsaudit runs in (ta_private_bpffs)

# ---------------------------------------------------------------- mount namespace

# ta_mnt_opts: nsenter options that enter the holder's mount namespace with
# the holder's root and cwd (none without a holder). setns(CLONE_NEWNS)
# alone resets root and cwd to that namespace's root: inside a chroot (a
# fresh-machine run, a build container) that would leave the chroot, and
# every path (the binary in $TA_TMP, /sys/fs/bpf) would name another file.
ta_mnt_opts() {
	[ -n "$TA_MNT_HOLDER" ] || return 0
	printf '%s\n' "--mount=/proc/$TA_MNT_HOLDER/ns/mnt" "--root=/proc/$TA_MNT_HOLDER/root" \
		"--wd=/proc/$TA_MNT_HOLDER/cwd"
}

# ta_in_mnt CMD [ARGS...]: CMD in the holder's mount namespace (foreground)
ta_in_mnt() {
	local o
	mapfile -t o < <(ta_mnt_opts)
	if [ ${#o[@]} -gt 0 ]; then nsenter "${o[@]}" "$@"; else "$@"; fi
}

# ta_private_bpffs: a holder process in a mount namespace of its own, with a
# fresh, empty bpffs on /sys/fs/bpf; every tlsaudit started from then on (and
# ta_in_mnt) runs there, so what it pins stays out of the machine's
# /sys/fs/bpf, which may belong to a real tlsaudit or to another test. The
# namespace and its bpffs vanish with the holder at teardown.
ta_private_bpffs() {
	local h root
	ta_setup_tmp
	# shellcheck disable=SC2016 # $1 is the inner shell's
	ta_bg "" "$TA_TMP/holder.log" "$TA_TMP/holder.log" unshare -m --propagation private \
		sh -c 'cd / && mount -t bpf bpf /sys/fs/bpf && : >"$1" && exec tail -f /dev/null' \
		holder "$TA_TMP/holder.ready"
	h=$TA_BG_PID
	ta_wait_until "$TA_WAIT" "$h" test -e "$TA_TMP/holder.ready" ||
		ta_die "the holder's mount namespace did not come up: $(cat "$TA_TMP/holder.log")"
	# Its own: another mount namespace, and at /sys/fs/bpf as the holder
	# resolves it (through /proc/PID/root: its root, its namespace) a bpffs
	# that is not the superblock we see at our /sys/fs/bpf.
	root=/proc/$h/root
	[ "$(readlink "/proc/$h/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		ta_die "the holder shares our mount namespace"
	if [ "$(stat -f -c %T "$root/sys/fs/bpf")" != bpf_fs ] ||
		[ "$(stat -c %d "$root/sys/fs/bpf")" = "$(stat -c %d /sys/fs/bpf 2>/dev/null)" ]; then
		ta_die "the holder's /sys/fs/bpf is not a bpffs of its own:" \
			"$(grep -E ' /sys/fs/bpf ' "/proc/$h/mountinfo")"
	fi
	TA_MNT_HOLDER=$h
	ta_log "private bpffs held by pid $h"
}

# ---------------------------------------------------------------- start, stop

# ta_spawn_tlsaudit NS ARGS...: start `$TLSAUDIT ARGS` in netns NS (and the
# holder's mount namespace, if any) in the background, stdout to $TA_OUT,
# stderr to $TA_ERR; does not wait. SIGINT is reset to default with env(1),
# because a non-interactive bash starts background jobs with SIGINT ignored.
# Sets TA_PID, TA_OUT, TA_ERR. Returns 1 if the binary is missing.
ta_spawn_tlsaudit() {
	local ns=$1 mnt
	shift
	ta_setup_tmp
	TA_RUN_SEQ=$((TA_RUN_SEQ + 1))
	TA_OUT=$TA_TMP/tlsaudit.$TA_RUN_SEQ.out
	TA_ERR=$TA_TMP/tlsaudit.$TA_RUN_SEQ.err
	TA_PID=""
	if [ ! -x "$TLSAUDIT" ]; then
		echo "e2e: $TLSAUDIT not found or not executable" >"$TA_ERR"
		TA_READY_WHY="$TLSAUDIT not found or not executable"
		return 1
	fi
	mapfile -t mnt < <(ta_mnt_opts)
	ta_bg "" "$TA_OUT" "$TA_ERR" env --default-signal=INT nsenter "${mnt[@]}" \
		--net="/run/netns/$ns" "$TLSAUDIT" "$@"
	TA_PID=$TA_BG_PID
}

# ta_tlsaudit_fg NS ARGS...: `$TLSAUDIT ARGS` in netns NS (and the holder's
# mount namespace, if any), in the foreground: for the commands that do a
# thing and exit (--release, --reset). One nsenter opens both namespaces
# before entering either: the holder's mount namespace may not see
# /run/netns/NS.
ta_tlsaudit_fg() {
	local ns=$1 mnt
	shift
	mapfile -t mnt < <(ta_mnt_opts)
	nsenter "${mnt[@]}" --net="/run/netns/$ns" "$TLSAUDIT" "$@"
}

# ta_held: the names of the links --enforce holds (pinned in the hold
# directory, as the holder's mount namespace sees it), one per line
ta_held() { ta_in_mnt sh -c 'ls /sys/fs/bpf/tlsaudit/hold 2>/dev/null' | grep -- '-if'; }

# ta_wait_ready: until the tlsaudit just spawned says "tlsaudit: ready" at the
# start of a stderr line: bounded by $TA_WAIT, and over as soon as it exits.
# Loading and verifying the BPF programs is CPU work that a busy machine
# stretches many times over. On failure TA_READY_WHY says which it was.
ta_wait_ready() {
	local pid=$TA_PID err=$TA_ERR t0=$SECONDS rc st
	[ -n "$pid" ] || return 1
	wait_for_line "$err" '^tlsaudit: ready' "$TA_WAIT" "$pid" 2>/dev/null
	rc=$?
	case $rc in
	0)
		TA_READY_WHY=""
		ta_log "tlsaudit pid $pid ready after $((SECONDS - t0)) s"
		return 0 ;;
	2)
		wait "$pid" 2>/dev/null
		st=$?
		TA_READY_WHY="tlsaudit (pid $pid) exited with status $st before 'tlsaudit: ready'" ;;
	*)
		TA_READY_WHY="no 'tlsaudit: ready' within $TA_WAIT s (pid $pid still running)" ;;
	esac
	return 1
}

# ta_start_tlsaudit_ns NS ARGS...: ta_spawn_tlsaudit, then ta_wait_ready.
# Returns non-zero (TA_READY_WHY) if it did not get ready.
ta_start_tlsaudit_ns() {
	ta_spawn_tlsaudit "$@" || return 1
	ta_wait_ready || return 1
	ta_log "tlsaudit pid $TA_PID ready in $1: ${*:2}"
}

# start_tlsaudit ARGS...: `tlsaudit -j ARGS` in the client netns
start_tlsaudit() { ta_start_tlsaudit_ns "$TA_CLI_NS" -j "$@"; }

# stop_tlsaudit [TIMEOUT_S=$TA_WAIT]: SIGINT, wait for exit, return its exit
# code (SIGKILL after the timeout; then 124 is returned).
stop_tlsaudit() {
	local to=${1:-$TA_WAIT} pid=$TA_PID
	[ -n "$pid" ] || return 1
	TA_PID=""
	kill -INT "$pid" 2>/dev/null
	if ! ta_wait_exit "$pid" "$to"; then
		echo "e2e: tlsaudit $pid did not exit ${to}s after SIGINT; killing" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

# ta_kill_tlsaudit: SIGKILL the running tlsaudit and reap it; 0 when it is
# gone. Sets TA_KILLED_PID.
ta_kill_tlsaudit() {
	TA_KILLED_PID=$TA_PID
	TA_PID=""
	kill -KILL "$TA_KILLED_PID"
	wait "$TA_KILLED_PID" 2>/dev/null
	! ta_pid_alive "$TA_KILLED_PID"
}

# ---------------------------------------------------------------- output

# ta_valid_json FILE: the lines of FILE that are JSON objects (the checks read
# only these, so one bad line cannot hide, or abort, the rest of the stream)
ta_valid_json() { jq -cR 'fromjson? // empty | select(type == "object")' "$1"; }

# ta_bad_json_lines FILE: the non-empty lines that are not a JSON object with
# an "event" key
ta_bad_json_lines() {
	jq -rR 'select(length > 0) | . as $l
		| try (fromjson | if type == "object" and has("event") then empty else $l end) catch $l' "$1" 2>&1
}

# ta_check_json_lines NAME FILE: PASS if every non-empty line of FILE is one
ta_check_json_lines() {
	local bad
	bad=$(ta_bad_json_lines "$2")
	if [ -z "$bad" ]; then pass "$1"; else fail "$1" "malformed lines" "$bad"; fi
}
