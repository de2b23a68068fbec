#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_signals.sh - the signals a daemon and a pipeline send:
#   - SIGHUP (systemctl reload) leaves the run going, says so on stderr;
#   - a reader that goes away (tlsaudit -j | head -n 1) ends the run like
#     SIGINT: exit 0, and every program and link it attached is gone.
# Real plaintext curl flows to nginx on 443 make the lines.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_signals
ta_e2e_init "$T" ip nsenter jq curl bpftool "$TA_NGINX"

setup_netns
start_plain_server

# SIGHUP, in a run of its own: it must not end the run
if start_tlsaudit -i "$TA_CLI_IF"; then
	kill -HUP "$TA_PID"
	if wait_for_line "$TA_ERR" '^tlsaudit: SIGHUP: nothing to reload' "$TA_WAIT" "$TA_PID" &&
		ta_pid_alive "$TA_PID"; then
		pass "${T}_sighup_keeps_running"
	else
		fail "${T}_sighup_keeps_running" "alive=$(ta_pid_alive "$TA_PID" && echo yes || echo no)" \
			"$(tail -n 5 "$TA_ERR")"
	fi
	rc=0
	stop_tlsaudit || rc=$?
	[ "$rc" -eq 0 ] && pass "${T}_sigint_after_sighup_exit_0" ||
		fail "${T}_sigint_after_sighup_exit_0" "exit status $rc"
else
	fail "${T}_sighup_keeps_running" "$TA_READY_WHY" "$(tail -n 5 "$TA_ERR")"
fi

BASE=$TA_TMP/bpf.base
OURS=$TA_TMP/bpf.ours
ta_bpf_named >"$BASE"

# stdout is a pipe whose reader keeps one line, then exits
FIFO=$TA_TMP/out.fifo
FIRST=$TA_TMP/first.line
mkfifo "$FIFO"
ta_bg "" "$FIRST" /dev/null head -n 1 "$FIFO"
HEAD_PID=$TA_BG_PID
TA_ERR=$TA_TMP/tlsaudit.signals.err
mapfile -t mnt < <(ta_mnt_opts)
ta_bg "" "$FIFO" "$TA_ERR" env --default-signal=INT nsenter "${mnt[@]}" \
	--net="/run/netns/$TA_CLI_NS" "$TLSAUDIT" -j -i "$TA_CLI_IF"
TA_PID=$TA_BG_PID
if ! ta_wait_ready; then
	fail "${T}_ready" "$TA_READY_WHY" "$(tail -n 5 "$TA_ERR")"
	ta_finish "$T"
	exit 1
fi
PID=$TA_PID
ta_bpf_snapshot "$PID" "$BASE" "$OURS"

# the first flow's line goes to head, which exits; a later line meets a
# closed pipe. Clients run until the run has ended, a bounded number.
n=0
while ta_pid_alive "$PID" && [ "$n" -lt 30 ]; do
	n=$((n + 1))
	RUN_CLIENT_STDIN=/dev/null run_client "plain$n" curl --noproxy '*' -s -o /dev/null \
		--max-time 10 "http://$TA_PLAIN4:443/" || true
	[ "$n" -eq 1 ] && ta_wait_exit "$HEAD_PID" "$TA_WAIT"
done
TA_PID=""
if ta_wait_exit "$PID" "$TA_WAIT"; then
	wait "$PID"
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "${T}_closed_pipe_exit_0"; else
		fail "${T}_closed_pipe_exit_0" "exit status $rc after $n clients, want 0" \
			"$(tail -n 5 "$TA_ERR")"
	fi
else
	fail "${T}_closed_pipe_exit_0" "still running after $n clients wrote into a closed pipe"
	ta_stop_pid "$PID" INT
fi
if jq -se 'length == 1 and (.[0] | .event == "flow" and .verdict == "plaintext_http" and
	.comm == "curl")' "$FIRST" >/dev/null 2>&1; then
	pass "${T}_first_line_whole"
else
	fail "${T}_first_line_whole" "head kept: $(head -c 300 "$FIRST")"
fi
ta_check_no_residue "${T}_nothing_attached_after_sigpipe" --ours "$OURS" "$TA_CLI_NS:$TA_CLI_IF"

ta_finish "$T"
