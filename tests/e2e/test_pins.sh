#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_pins.sh - the pin directory (/sys/fs/bpf/tlsaudit) is used
# only when it is a root-owned 0700 directory on bpffs: a symlink, a
# directory another user owns or one open to others is refused, by a run
# and by --reset, with one line, exit 1, nothing unlinked through it and
# nothing attached. All of it in a private bpffs (lib's ta_private_bpffs).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_pins
ta_e2e_init "$T" ip nsenter jq bpftool unshare

setup_netns
ta_private_bpffs
PIN=/sys/fs/bpf/tlsaudit
D=$TA_TMP/textfile
mkdir -p "$D"

# pins_refused NAME WHY: --reset and a --textfile run both refuse the pin
# directory as it is now, naming WHY (a grep -E pattern)
pins_refused() {
	local name=$1 why=$2 out rc lines
	out=$(ta_in_mnt "$TLSAUDIT" --reset 2>&1)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c .)
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && printf '%s' "$out" | grep -qE "$why"; then
		pass "${T}_reset_refuses_$name"
	else
		fail "${T}_reset_refuses_$name" "exit $rc, $lines line(s), want 1 and 1 naming '$why'" "$out"
	fi
	ta_bpf_named >"$TA_TMP/base.$name"
	if start_tlsaudit -i "$TA_CLI_IF" --textfile "$D/t.prom"; then
		fail "${T}_run_refuses_$name" "tlsaudit got ready with $PIN $why"
		stop_tlsaudit
	else
		wait "$TA_PID" 2>/dev/null
		rc=$?
		if [ "$rc" -eq 1 ] && grep -qE "$why" "$TA_ERR" && [ "$(grep -c . "$TA_ERR")" -eq 1 ]; then
			pass "${T}_run_refuses_$name"
		else
			fail "${T}_run_refuses_$name" "exit $rc, want 1 and one line naming '$why'" \
				"$(head -n 5 "$TA_ERR")"
		fi
	fi
	TA_PID=""
	ta_check_no_residue "${T}_nothing_attached_$name" --orphans "$TA_TMP/base.$name" \
		"$TA_CLI_NS:$TA_CLI_IF"
}

# a symlink to a directory of ours: nothing in it may be unlinked
DECOY=$TA_TMP/decoy
mkdir -p "$DECOY"
: >"$DECOY/stats"
: >"$DECOY/series"
ta_in_mnt ln -s "$DECOY" "$PIN"
pins_refused symlink 'is a symlink'
if [ -e "$DECOY/stats" ] && [ -e "$DECOY/series" ]; then
	pass "${T}_symlink_target_untouched"
else
	fail "${T}_symlink_target_untouched" "files under the symlink's target were removed"
fi
ta_in_mnt rm -f "$PIN"

ta_in_mnt mkdir -m 0700 "$PIN"
ta_in_mnt chown 65534 "$PIN"
pins_refused not_root 'not owned by root'
ta_in_mnt test -d "$PIN" && pass "${T}_foreign_dir_kept" ||
	fail "${T}_foreign_dir_kept" "--reset removed a directory it refused"
ta_in_mnt chown 0 "$PIN"
ta_in_mnt chmod 0777 "$PIN"
pins_refused open_mode 'open to group or others'
ta_in_mnt rmdir "$PIN"

# a fresh start makes it root-owned 0700, and --reset then clears it
if start_tlsaudit -i "$TA_CLI_IF" --textfile "$D/t.prom"; then
	st=$(ta_in_mnt stat -c '%a %u %F' "$PIN")
	[ "$st" = "700 0 directory" ] && pass "${T}_fresh_dir_0700_root" ||
		fail "${T}_fresh_dir_0700_root" "$PIN is '$st'"
	rc=0
	stop_tlsaudit || rc=$?
	[ "$rc" -eq 0 ] && pass "${T}_fresh_run_exit_0" || fail "${T}_fresh_run_exit_0" "exit $rc"
else
	fail "${T}_fresh_dir_0700_root" "$TA_READY_WHY" "$(tail -n 5 "$TA_ERR")"
fi
out=$(ta_in_mnt "$TLSAUDIT" --reset 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && ! ta_in_mnt test -e "$PIN"; then
	pass "${T}_reset_clears_own_dir"
else
	fail "${T}_reset_clears_own_dir" "exit $rc" "$out"
fi

ta_finish "$T"
