# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/capture.sh - tcpdump captures in our namespaces (sourced by
# lib.sh).

# ta_capture_start NS DEV FILE FILTER [TCPDUMP_OPTION...]: tcpdump on DEV in
# NS writing FILE (stderr in FILE.err), in the background; returns once it
# says it is listening. --immediate-mode and -U: nothing waits in a buffer
# when it is stopped. Sets TA_CAP_PID.
ta_capture_start() {
	local ns=$1 dev=$2 file=$3 filter=$4
	shift 4
	# shellcheck disable=SC2086  # the filter is words; none when empty
	ta_bg "$ns" /dev/null "$file.err" tcpdump --immediate-mode -U -nn -s 0 -Z root -i "$dev" "$@" \
		-w "$file" $filter
	TA_CAP_PID=$TA_BG_PID
	wait_for_line "$file.err" '^tcpdump: listening on' "$TA_WAIT" "$TA_CAP_PID" ||
		ta_die "tcpdump on $dev in $ns did not start: $(cat "$file.err")"
}

# ta_capture_stop PID: SIGINT, and wait until it has written its statistics
ta_capture_stop() { ta_stop_pid "$1" INT 30; }

# ta_capture_complete NS ADDR FILE...: tcpdump stops reading at SIGINT,
# whatever its socket still holds; so a marker datagram (UDP to ADDR port 9,
# sent from NS last) must be in every FILE before the captures are stopped.
# Capture filters must let "udp dst port 9" through. 0, or 1 with a FAIL
# line per file the marker never reached.
_ta_has_marker() { tcpdump -nn -r "$1" 'udp dst port 9' 2>/dev/null | grep -q .; }
ta_capture_complete() {
	local ns=$1 addr=$2 f rc=0 fam=UDP4
	shift 2
	case $addr in *:*) fam=UDP6 addr="[$addr]" ;; esac
	echo marker | nsenter --net="/run/netns/$ns" socat - "$fam-SENDTO:$addr:9"
	for f in "$@"; do
		if ! ta_wait_until "$TA_WAIT" "" _ta_has_marker "$f"; then
			fail "capture:complete:$(basename "$f")" "the marker never reached the file"
			rc=1
		fi
	done
	return $rc
}
