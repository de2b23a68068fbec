# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/residue.sh - what tlsaudit may leave behind: BPF programs and
# links, XDP programs and tc filters on interfaces (sourced by lib.sh).

# ta_bpf_ids PID: "prog ID" / "link ID" lines for the BPF programs and links
# PID holds open (read from /proc/PID/fdinfo; Debian's bpftool cannot show pids)
ta_bpf_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '
			/^link_id:/ { print "link " $2 }
			/^prog_id:/ { print "prog " $2 }
		' "$f" 2>/dev/null
	done | sort -u
}

# ta_bpf_all KIND: ids of every BPF prog|link on the machine
ta_bpf_all() { bpftool -j "$1" show 2>/dev/null | jq -r '.[].id' 2>/dev/null | sort -u; }

# ta_bpf_named: ids of the programs named ta_* (tlsaudit's)
ta_bpf_named() {
	bpftool -j prog show 2>/dev/null | jq -r '.[] | select((.name // "") | startswith("ta_")) | .id' | sort -u
}

# ta_bpf_snapshot PID BASELINE OUTFILE: "prog N"/"link N" lines for
# tlsaudit's objects: what its fds hold, plus ta_* programs that appeared
# since BASELINE (ta_bpf_named output; catches programs attached and then
# closed), plus the links to any of those.
ta_bpf_snapshot() {
	local pid=$1 base=$2 outf=$3 progs
	ta_bpf_named >"$outf.now"
	{
		ta_bpf_ids "$pid"
		comm -13 "$base" "$outf.now" | sed 's/^/prog /'
	} | sort -u >"$outf.tmp"
	progs=$(awk '$1 == "prog" { print $2 }' "$outf.tmp" | paste -sd, -)
	{
		cat "$outf.tmp"
		[ -n "$progs" ] && bpftool -j link show 2>/dev/null |
			jq -r --arg p "$progs" '($p | split(",") | map(tonumber)) as $ps
				| .[] | select(.prog_id as $x | $ps | index($x)) | "link \(.id)"'
	} | sort -u >"$outf"
	rm -f "$outf.tmp" "$outf.now"
}

# ta_bpf_held: "prog N"/"link N" for every BPF prog/link some live process
# holds an fd to (a link's fdinfo names its prog too)
ta_bpf_held() {
	grep -hsE '^(prog|link)_id:' /proc/[0-9]*/fdinfo/* | awk '{ sub(/_id:$/, "", $1); print $1 " " $2 }' | sort -u
}

# ta_bpf_orphans: tlsaudit's programs (named ta_*) and the links to them that
# no process holds: what would stay behind after tlsaudit exited (tc/cgroup
# legacy attachments, pins). One "prog N name"/"link N prog M" per line.
ta_bpf_orphans() {
	local held progs
	held=$(ta_bpf_held)
	progs=$(bpftool -j prog show 2>/dev/null |
		jq -r '.[] | select((.name // "") | startswith("ta_")) | "\(.id) \(.name)"')
	[ -n "$progs" ] || return 0
	printf '%s\n' "$progs" | while read -r id name; do
		printf '%s\n' "$held" | grep -qx "prog $id" || echo "prog $id $name"
	done
	bpftool -j link show 2>/dev/null | jq -r '.[] | "\(.id) \(.prog_id)"' |
		while read -r id pid; do
			printf '%s\n' "$progs" | grep -q "^$pid " || continue
			printf '%s\n' "$held" | grep -qx "link $id" || echo "link $id prog $pid"
		done
}

# ta_dev_state NS:DEV...: what is attached to each device that exists: its
# XDP program, its tc filters (ingress, egress), what bpftool net lists for it.
# A device with nothing attached prints its "== NS:DEV" line only.
ta_dev_state() {
	local nd ns dev
	for nd in "$@"; do
		ns=${nd%%:*} dev=${nd#*:}
		ip -n "$ns" link show "$dev" >/dev/null 2>&1 || continue
		echo "== $nd"
		ip -n "$ns" -d link show "$dev" | grep -E 'xdp' | sed 's/load_time [0-9]*//'
		nsenter --net="/run/netns/$ns" tc filter show dev "$dev" ingress 2>/dev/null
		nsenter --net="/run/netns/$ns" tc filter show dev "$dev" egress 2>/dev/null
		nsenter --net="/run/netns/$ns" bpftool net show dev "$dev" 2>/dev/null | grep -F "$dev("
	done
}

# ta_dev_clean NS:DEV...: ta_dev_state of the same devices with nothing attached
ta_dev_clean() {
	local nd
	for nd in "$@"; do
		ip -n "${nd%%:*}" link show "${nd#*:}" >/dev/null 2>&1 && echo "== $nd"
	done
	return 0
}

# ta_check_no_residue NAME [--orphans BASE] [--ours FILE] [--devs STATE] NS:DEV...
# A bounded wait (the kernel frees BPF objects asynchronously) until:
#   --orphans BASE  no ta_* program or link nobody holds, beyond BASE (a file
#                   of ta_bpf_orphans output taken before);
#   --ours FILE     none of the objects in FILE ("prog N"/"link N", what
#                   tlsaudit held) exists any more, and no link nobody holds
#                   runs one of its programs;
#   the devices     look as STATE (ta_dev_state output taken before), or,
#                   without --devs, have nothing attached.
# PASS/FAIL NAME. (Machine-wide orphans are only checked with --orphans:
# other tests running at the same time have their own, coming and going.)
_ta_residue() {
	_RES_WHY="" _RES_STATE=$(ta_dev_state "$@")
	if [ -n "$_RES_BASE" ]; then
		_RES_LEFT=$(ta_bpf_orphans | sort | comm -13 <(sort "$_RES_BASE") -)
		[ -n "$_RES_LEFT" ] && _RES_WHY="$_RES_WHY BPF objects left with no owner: $(echo "$_RES_LEFT" | paste -sd, -);"
	fi
	if [ -n "$_RES_OURS" ]; then
		_RES_LEFT=$( { ta_bpf_all prog | sed 's/^/prog /'; ta_bpf_all link | sed 's/^/link /'; } |
			sort | comm -12 - <(sort "$_RES_OURS"))
		[ -n "$_RES_LEFT" ] && _RES_WHY="$_RES_WHY objects tlsaudit held still exist: $(echo "$_RES_LEFT" | paste -sd, -);"
		_RES_LEFT=$(ta_bpf_orphans | awk -v p=" $(awk '$1 == "prog" { print $2 }' "$_RES_OURS" | paste -sd' ' -) " \
			'$1 == "link" && index(p, " " $4 " ")')
		[ -n "$_RES_LEFT" ] && _RES_WHY="$_RES_WHY links nobody holds run its programs: $(echo "$_RES_LEFT" | paste -sd, -);"
	fi
	[ "$_RES_STATE" = "$_RES_DEVS" ] || _RES_WHY="$_RES_WHY attachments on $* differ;"
	[ -z "$_RES_WHY" ]
}
ta_check_no_residue() {
	local name=$1 named
	_RES_BASE="" _RES_OURS="" _RES_DEVS=""
	local devs_given=0
	shift
	while :; do
		case ${1:-} in
		--orphans) _RES_BASE=$2; shift 2 ;;
		--ours) _RES_OURS=$2; shift 2 ;;
		--devs) _RES_DEVS=$2; devs_given=1; shift 2 ;;
		*) break ;;
		esac
	done
	[ "$devs_given" = 1 ] || _RES_DEVS=$(ta_dev_clean "$@")
	TA_POLL=0.1 ta_wait_until "$TA_WAIT" "" _ta_residue "$@"
	if [ -z "$_RES_WHY" ]; then
		pass "$name"
		named=$(bpftool prog show 2>/dev/null | grep -E 'name ta_' | sed -n '1,10p')
		if [ -n "$_RES_OURS" ] && [ -n "$named" ]; then
			echo "    note: other ta_* programs exist (another tlsaudit running?):"
			printf '%s\n' "$named" | sed 's/^/    /'
		fi
	else
		fail "$name" "$_RES_WHY" "attachments before:" "$_RES_DEVS" "after:" "$_RES_STATE" \
			${_RES_OURS:+"ours: $(paste -sd' ' "$_RES_OURS")"} "$(bpftool link show 2>&1 | head -40)"
	fi
}
