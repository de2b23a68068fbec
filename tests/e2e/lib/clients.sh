# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/clients.sh - real clients, run to their end, with the PID of
# the client program itself recorded (sourced by lib.sh).

# ta_run_client_in NAME NS CGROUP CMD [ARGS...]: run CMD in netns NS and,
# when CGROUP (an absolute cgroup2 directory) is not empty, inside that
# cgroup: a bash writes its own PID to CGROUP/cgroup.procs and execs nsenter,
# which execs CMD, so the recorded PID is CMD's own. Records "NAME PID" in
# $TA_CLIENTS, waits for it (bounded by TA_CLIENT_TIMEOUT; killed by PID on
# timeout -> status 124) and returns CMD's status. Output:
# $TA_TMP/client.NAME.{out,err}; stdin is $RUN_CLIENT_STDIN (default
# /dev/null). Sets RUN_CLIENT_PID.
ta_run_client_in() {
	local name=$1 ns=$2 cg=$3 where=$2 rc
	shift 3
	ta_setup_tmp
	if [ -n "$cg" ]; then
		set -- bash -c 'cg=$1 ns=$2; shift 2
			echo $$ >"$cg/cgroup.procs" || exit 125
			exec nsenter --net="/run/netns/$ns" "$@"' ta-run "$cg" "$ns" "$@"
		ns=""
	fi
	TA_BG_STDIN=${RUN_CLIENT_STDIN:-/dev/null} \
		ta_bg "$ns" "$TA_TMP/client.$name.out" "$TA_TMP/client.$name.err" "$@"
	RUN_CLIENT_PID=$TA_BG_PID
	echo "$name $RUN_CLIENT_PID" >>"$TA_CLIENTS"
	ta_reap "$RUN_CLIENT_PID"
	rc=$?
	[ "$rc" -eq 124 ] && echo "e2e: client $name (pid $RUN_CLIENT_PID) timed out after ${TA_CLIENT_TIMEOUT}s" >&2
	ta_log "client $name pid $RUN_CLIENT_PID in $where${cg:+ cgroup $cg} exit $rc"
	return $rc
}

# run_client NAME CMD [ARGS...]: ta_run_client_in in the client netns
run_client() {
	local name=$1
	shift
	ta_run_client_in "$name" "$TA_CLI_NS" "" "$@"
}

# client_pid NAME: the PID recorded for a client
client_pid() { awk -v n="$1" '$1 == n { print $2; exit }' "$TA_CLIENTS"; }

# ta_output_why CHECK OUT ERR: what is wrong with a client's output, or
# nothing. CHECK: out=TEXT (stdout is TEXT), outre=ERE, errre=ERE, or -.
ta_output_why() {
	case $1 in
	out=*) [ "$(cat "$2")" = "${1#out=}" ] || echo "stdout is not '${1#out=}'" ;;
	outre=*) grep -qE -- "${1#outre=}" "$2" || echo "stdout lacks /${1#outre=}/" ;;
	errre=*) grep -qE -- "${1#errre=}" "$3" || echo "stderr lacks /${1#errre=}/" ;;
	esac
}
