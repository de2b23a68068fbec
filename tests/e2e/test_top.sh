#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_top.sh - the live view, driven as a person would: tlsaudit
# --top in a real terminal (tmux), real TLS and plaintext clients, the screen
# read back with capture-pane. Asserts the plaintext client's row is shown
# first with status plaintext, 'c' switches to per-container rows, and 'q'
# leaves the alternate screen and gives the terminal back.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_top
ta_e2e_init "$T" ip nsenter tmux curl "$TA_NGINX"

SESSION=ta-top-$$
kill_tmux() { tmux kill-session -t "$SESSION" 2>/dev/null; }
TA_TEARDOWN_HOOKS+=(kill_tmux)

setup_netns
start_tls_server
start_plain_server

# the pane is a real terminal: tlsaudit runs in the client netns inside it,
# in the foreground; the inner sh writes its PID and execs nsenter, which
# execs tlsaudit, so that PID is tlsaudit's own
tmux new-session -d -s "$SESSION" -x 120 -y 30 \
	"sh -c 'echo \$\$ >$TA_TMP/top.pid; exec nsenter --net=/run/netns/$TA_CLI_NS $TLSAUDIT --top -i $TA_CLI_IF' 2>$TA_TMP/top.err; echo TOP-EXIT=\$?; exec sleep 600" ||
	{ echo "FAIL: $T: cannot start tmux"; exit 1; }
TMUX_PID=$(tmux display-message -p -t "$SESSION" '#{pane_pid}')
TA_BG_PIDS+=("$TMUX_PID")
_top_pid_written() { [ -s "$TA_TMP/top.pid" ]; }
ta_wait_until "$TA_WAIT" "$TMUX_PID" _top_pid_written || ta_die "the tmux pane did not start tlsaudit"
TOP_PID=$(cat "$TA_TMP/top.pid")
TA_BG_PIDS+=("$TOP_PID")

screen() { tmux capture-pane -p -t "$SESSION"; }
_on_screen() { screen | grep -qE "$1"; }
# wait_screen REGEX PID: until the screen shows REGEX (the table refreshes
# every second), while PID lives
wait_screen() { ta_wait_until "$TA_WAIT" "$2" _on_screen "$1"; }

if wait_for_line "$TA_TMP/top.err" '^tlsaudit: ready' "$TA_WAIT" "$TOP_PID"; then
	pass "top_ready"
else
	fail "top_ready" "$(cat "$TA_TMP/top.err")"
fi

# in the alternate screen while running
if [ "$(tmux display-message -p -t "$SESSION" '#{alternate_on}')" = 1 ]; then
	pass "top_alternate_screen"
else
	fail "top_alternate_screen" "not in the alternate screen"
fi

run_client tls1 curl -sk "https://$TA_TLS4/" -o /dev/null
run_client tls2 curl -sk "https://$TA_TLS4/" -o /dev/null
run_client plain curl -s "http://$TA_PLAIN4:443/" -o /dev/null
PLAIN_PID=$(client_pid plain)

# the plaintext row shows up, first
if wait_screen "^ *$PLAIN_PID +curl" "$TOP_PID"; then
	first=$(screen | grep -E '^ *[0-9]+ +curl' | head -1)
	case $first in
	*"$PLAIN_PID"*plaintext*) pass "top_plaintext_row_first" ;;
	*) fail "top_plaintext_row_first" "first row: $first"$'\n'"$(screen)" ;;
	esac
else
	fail "top_plaintext_row_first" "no row for pid $PLAIN_PID"$'\n'"$(screen)"
fi
rows=$(screen | grep -cE '^ *[0-9]+ +curl')
[ "$rows" -ge 3 ] && pass "top_rows" || fail "top_rows" "$rows curl rows"$'\n'"$(screen)"

tmux send-keys -t "$SESSION" c
if wait_screen '\(host\)' "$TOP_PID"; then pass "top_container_view"; else fail "top_container_view" "$(screen)"; fi

tmux send-keys -t "$SESSION" q
# the pane's shell prints the exit status once tlsaudit is gone
if wait_screen 'TOP-EXIT=[0-9]+' "$TMUX_PID" && _on_screen 'TOP-EXIT=0$'; then
	pass "top_quit_exit_0"
else
	fail "top_quit_exit_0" "$(screen)"
fi
if [ "$(tmux display-message -p -t "$SESSION" '#{alternate_on}')" = 0 ] &&
	[ "$(tmux display-message -p -t "$SESSION" '#{cursor_flag}')" = 1 ]; then
	pass "top_terminal_restored"
else
	fail "top_terminal_restored" "alternate_on=$(tmux display-message -p -t "$SESSION" '#{alternate_on}') cursor=$(tmux display-message -p -t "$SESSION" '#{cursor_flag}')"
fi
ta_finish "$T"
