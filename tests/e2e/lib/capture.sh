# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/capture.sh - tcpdump captures in our namespaces (sourced by
# lib.sh).

# ta_capture_start NS DEV FILE FILTER: tcpdump on DEV in NS writing FILE
# (stderr in FILE.err), in the background; returns once it says it is
# listening. --immediate-mode and -U: nothing waits in a buffer when it is
# stopped. Sets TA_CAP_PID.
ta_capture_start() {
	local ns=$1 dev=$2 file=$3 filter=$4
	ta_bg "$ns" /dev/null "$file.err" tcpdump --immediate-mode -U -nn -s 0 -Z root -i "$dev" -w "$file" "$filter"
	TA_CAP_PID=$TA_BG_PID
	wait_for_line "$file.err" '^tcpdump: listening on' "$TA_WAIT" "$TA_CAP_PID" ||
		ta_die "tcpdump on $dev in $ns did not start: $(cat "$file.err")"
}

# ta_capture_stop PID: SIGINT, and wait until it has written its statistics
ta_capture_stop() { ta_stop_pid "$1" INT 30; }
