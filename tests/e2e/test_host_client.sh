#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_host_client.sh - end-to-end test of the foundation.
#
# Two namespaces joined by a veth (see lib.sh). nginx serves TLS on
# 10.203.0.2/[fd00:203::2]:443 and plaintext HTTP on 10.203.0.3/[fd00:203::3]
# ports 443 and 8080. `tlsaudit -j -i c0 -p 443` runs in the client netns
# while real clients (curl, openssl, python3, gnutls-cli, socat) connect over
# IPv4 and IPv6. Then, from tlsaudit's JSON output:
#   - each client PID has exactly one flow event with the expected verdict,
#     comm, role, addresses, ports and iface; its client_port matches the
#     server's access log where the server logs the connection;
#   - the unwatched port (8080) produced no event, and no other flows appear;
#   - one process summary per client PID with the right status; one stats line;
#   - SIGINT -> exit 0; afterwards no BPF program or link of tlsaudit remains
#     and nothing is attached to c0; the same after SIGKILL.
#
# Usage (root):  tests/e2e/test_host_client.sh
#   TA_E2E_NO_TLSAUDIT=1   only the traffic part (proves the harness)
#   TA_E2E_FAMILIES="4 6"  address families to exercise (default both)
#   TLSAUDIT=path, TA_E2E_KEEP=1, TA_E2E_VERBOSE=1, TA_E2E_OFFLOAD=off, TA_WAIT: see lib.sh
#
# Output: one line per assertion group, "PASS: <name>" or "FAIL: <name>: ...";
# exit status 1 if any FAIL.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_host_client
require_root "$T"
require_cmds "$T" ip nsenter ss jq curl openssl socat gnutls-cli bpftool "$TA_NGINX" "$TA_PY"
ta_install_traps

NO_TA=${TA_E2E_NO_TLSAUDIT:-0}
FAMILIES=${TA_E2E_FAMILIES:-4 6}

if [ "$NO_TA" != 1 ] && [ ! -x "$TLSAUDIT" ]; then
	echo "FAIL: $T: $TLSAUDIT not built (run 'make', or TA_E2E_NO_TLSAUDIT=1 for the traffic part only)"
	exit 1
fi

setup_netns
start_tls_server
start_plain_server
EXPECT=$TA_TMP/expect            # name pid verdict server client comm status logged
: >"$EXPECT"

PLAIN_PAYLOAD=$TA_TMP/plain_payload
printf 'HELLO plain text\r\n' >"$PLAIN_PAYLOAD"

# ---------------------------------------------------------------- traffic

# client NAME VERDICT SERVER CLIENTADDR COMM STATUS LOGGED CHECK -- CMD...
#   VERDICT "-" = unwatched: no event expected.
#   LOGGED  yes if the server's access log records the connection (a request
#           was sent), so the event's client_port can be cross-checked.
#   CHECK   out=TEXT (stdout equals TEXT), outre=ERE, errre=ERE, or "-"
client() {
	local name=$1 verdict=$2 server=$3 caddr=$4 comm=$5 status=$6 logged=$7 check=$8 rc pid
	shift 9
	run_client "$name" "$@"
	rc=$?
	pid=$RUN_CLIENT_PID
	echo "$name $pid $verdict $server $caddr $comm $status $logged" >>"$EXPECT"
	local out=$TA_TMP/client.$name.out err=$TA_TMP/client.$name.err why=""
	if [ "$rc" -ne 0 ]; then
		why="exit status $rc"
	else
		why=$(ta_output_why "$check" "$out" "$err")
	fi
	if [ -z "$why" ]; then
		pass "traffic:$name"
	else
		fail "traffic:$name" "pid $pid: $why" "cmd: $*" \
			"stdout: $(head -c 600 "$out")" "stderr: $(head -c 600 "$err")"
	fi
}

run_traffic() {
	local f tls plain cli tlsh plainh sock
	for f in $FAMILIES; do
		if [ "$f" = 4 ]; then
			tls=$TA_TLS4 plain=$TA_PLAIN4 cli=$TA_CLI4
			tlsh=$tls plainh=$plain sock=TCP4:$plain:443
		else
			tls=$TA_TLS6 plain=$TA_PLAIN6 cli=$TA_CLI6
			tlsh="[$tls]" plainh="[$plain]" sock="TCP6:[$plain]:443"
		fi
		client "curl_tls12_v$f" tls "$tls" "$cli" curl encrypted yes out=ok -- \
			curl --noproxy '*' -sSk --max-time 10 --tlsv1.2 --tls-max 1.2 "https://$tlsh/"
		client "curl_tls13_v$f" tls "$tls" "$cli" curl encrypted yes out=ok -- \
			curl --noproxy '*' -sSk --max-time 10 --tlsv1.3 "https://$tlsh/"
		client "openssl_v$f" tls "$tls" "$cli" openssl encrypted no 'errre=CONNECTION ESTABLISHED' -- \
			openssl s_client -connect "$tlsh:443" -servername srv.test -brief
		client "python_tls_v$f" tls "$tls" "$cli" python3 encrypted yes 'outre=^HTTP/1.1 200' -- \
			"$TA_PY" "$TA_E2E_DIR/tls_get.py" "$tls"
		client "gnutls_v$f" tls "$tls" "$cli" gnutls-cli encrypted no 'outre=Handshake was completed' -- \
			gnutls-cli --insecure --sni-hostname=srv.test -p 443 "$tls"
		client "curl_http_v$f" plaintext_http "$plain" "$cli" curl plaintext yes out=ok -- \
			curl --noproxy '*' -sS --max-time 10 "http://$plainh:443/"
		RUN_CLIENT_STDIN=$PLAIN_PAYLOAD \
			client "socat_plain_v$f" plaintext "$plain" "$cli" socat plaintext yes 'outre=400 Bad Request' -- \
			socat -t 5 -T 10 - "$sock"
		client "unwatched_v$f" - "$plain" "$cli" curl - no out=ok -- \
			curl --noproxy '*' -sS --max-time 10 "http://$plainh:$TA_UNWATCHED_PORT/"
	done
}

# the PID run_client recorded is the client program itself (python prints its own)
check_client_pids() {
	local f name rec got why=""
	for f in $FAMILIES; do
		name=python_tls_v$f
		rec=$(client_pid "$name")
		got=$(sed -n 's/^pid=//p' "$TA_TMP/client.$name.err")
		[ -n "$rec" ] && [ "$rec" = "$got" ] || why="$why $name recorded $rec, real $got;"
	done
	if [ -z "$why" ]; then pass "harness:client_pids"; else fail "harness:client_pids" "$why"; fi
}

# the servers saw what the clients sent (logs are flushed per request)
check_server_logs() {
	local tls_log=$TA_TMP/nginx-tls/logs/access.log f cli n12 n13 nf=0 why=""
	for f in $FAMILIES; do nf=$((nf + 1)); done
	n12=$(grep -c ' TLSv1\.2$' "$tls_log")
	n13=$(grep -c ' TLSv1\.3$' "$tls_log")
	# TLS 1.2: curl_tls12 per family; TLS 1.3: curl_tls13 + python per family
	[ "$n12" -eq "$nf" ] || why="$why TLSv1.2 requests $n12 (want $nf);"
	[ "$n13" -eq $((2 * nf)) ] || why="$why TLSv1.3 requests $n13 (want $((2 * nf)));"
	if [ -z "$why" ]; then pass "server:tls_versions"; else
		fail "server:tls_versions" "$why" "$(cat "$tls_log")"
	fi
	why=""
	for f in $FAMILIES; do
		if [ "$f" = 4 ]; then cli=$TA_CLI4; else cli=$TA_CLI6; fi
		grep -qF " $cli:" "$TA_PLAIN_ACCESS_LOG" &&
			grep -F " $cli:" "$TA_PLAIN_ACCESS_LOG" | grep -qF '"HELLO plain text" 400' ||
			why="$why no 'HELLO plain text' from $cli;"
	done
	if [ -z "$why" ]; then pass "server:plaintext_received"; else
		fail "server:plaintext_received" "$why" "$(cat "$TA_PLAIN_ACCESS_LOG")"
	fi
}

# ---------------------------------------------------------------- tlsaudit assertions

check_events() {
	local raw=$1 out=$TA_TMP/events.valid.jsonl n
	ta_check_json_lines json_lines "$raw"
	ta_valid_json "$raw" >"$out"

	local name pid verdict server caddr comm status logged evs mism
	local watched_pids=() unwatched_pids=()
	while read -r name pid verdict server caddr comm status logged; do
		if [ "$verdict" = - ]; then
			unwatched_pids+=("$pid")
			continue
		fi
		watched_pids+=("$pid")
		evs=$(jq -c --argjson p "$pid" 'select(.event == "flow" and .pid == $p)' "$out" 2>/dev/null)
		n=$(printf '%s' "$evs" | grep -c .)
		if [ "$n" -ne 1 ]; then
			fail "flow:$name" "pid $pid ($comm): $n flow events, want 1" "$evs" \
				"all flow events to $server:" \
				"$(jq -c --arg s "$server" 'select(.event == "flow" and .server == $s)' "$out")"
		else
			mism=$(printf '%s\n' "$evs" | jq -r --arg v "$verdict" --arg c "$comm" --arg s "$server" \
				--arg ca "$caddr" --arg ifc "$TA_CLI_IF" '
				def chk(k; want): if .[k] == want then empty else "\(k)=\(.[k] | tojson) want \(want | tojson)" end;
				[chk("verdict"; $v), chk("comm"; $c), chk("role"; "client"), chk("l4"; "tcp"),
				 chk("server"; $s), chk("server_port"; 443), chk("client"; $ca), chk("iface"; $ifc),
				 (if (.client_port | type) == "number" and .client_port > 0 and .client_port < 65536
				  then empty else "client_port=\(.client_port | tojson)" end),
				 (if (.uid | type) == "number" then empty else "uid=\(.uid | tojson)" end),
				 (if (.time | type) == "string" and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
				  then empty else "time=\(.time | tojson)" end)] | join("; ")')
			# the server logged this connection: its 4-tuple must match
			if [ -z "$mism" ] && [ "$logged" = yes ]; then
				local cport log
				cport=$(printf '%s\n' "$evs" | jq -r .client_port)
				if [ "$verdict" = tls ]; then log=$TA_TMP/nginx-tls/logs/access.log; else log=$TA_PLAIN_ACCESS_LOG; fi
				grep -qF "$server:443 $caddr:$cport " "$log" ||
					mism="server log has no connection from $caddr:$cport to $server:443"
			fi
			if [ -z "$mism" ]; then pass "flow:$name"; else
				fail "flow:$name" "$mism" "$evs"
			fi
		fi

		evs=$(jq -c --argjson p "$pid" 'select(.event == "process" and .pid == $p)' "$out" 2>/dev/null)
		n=$(printf '%s' "$evs" | grep -c .)
		if [ "$n" -ne 1 ]; then
			fail "summary:$name" "pid $pid: $n process events, want 1" "$evs"
		else
			mism=$(printf '%s\n' "$evs" | jq -r --arg v "$verdict" --arg c "$comm" --arg st "$status" '
				[(if .comm == $c then empty else "comm=\(.comm | tojson) want \($c | tojson)" end),
				 (if .status == $st then empty else "status=\(.status | tojson) want \($st | tojson)" end),
				 (if (.flows | type) == "object" and .flows[$v] == 1 and ([.flows[]] | add) == 1
				  then empty else "flows=\(.flows | tojson) want {\"\($v)\":1}" end)] | join("; ")')
			if [ -z "$mism" ]; then pass "summary:$name"; else fail "summary:$name" "$mism" "$evs"; fi
		fi
	done <"$EXPECT"

	# nothing for the unwatched port or its clients
	local plist
	plist=$(printf '%s\n' "${unwatched_pids[@]}" | paste -sd, -)
	evs=$(jq -c --arg pl "$plist" '($pl | split(",") | map(tonumber)) as $ps
		| select(.event == "flow" and (.server_port == '"$TA_UNWATCHED_PORT"' or (.pid as $x | $ps | index($x))))' "$out")
	if [ -z "$evs" ]; then pass "unwatched_port_silent"; else
		fail "unwatched_port_silent" "events for port $TA_UNWATCHED_PORT / pids $plist" "$evs"
	fi

	# no flow events beyond our clients' (nothing else talks in this netns)
	plist=$(printf '%s\n' "${watched_pids[@]}" | paste -sd, -)
	evs=$(jq -c --arg pl "$plist" '($pl | split(",") | map(tonumber)) as $ps
		| select(.event == "flow" and ((.pid as $x | $ps | index($x)) | not))' "$out")
	if [ -z "$evs" ]; then pass "no_extra_flows"; else
		fail "no_extra_flows" "flow events not from our clients" "$evs"
	fi

	evs=$(jq -c 'select(.event == "stats")' "$out" 2>/dev/null)
	n=$(printf '%s' "$evs" | grep -c .)
	if [ "$n" -eq 1 ]; then pass "stats_line"; else fail "stats_line" "$n stats events, want 1" "$evs"; fi
}

# ---------------------------------------------------------------- main

if [ "$NO_TA" = 1 ]; then
	run_traffic
	check_client_pids
	check_server_logs
else
	BASE=$TA_TMP/base_progs
	ta_bpf_named >"$BASE"
	if ! start_tlsaudit -i "$TA_CLI_IF" -p 443; then
		fail "tlsaudit_ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
		exit 1
	fi
	pass "tlsaudit_ready"
	OURS1=$TA_TMP/ours.1
	ta_bpf_snapshot "$TA_PID" "$BASE" "$OURS1"
	if grep -q '^prog ' "$OURS1"; then pass "bpf_loaded"; else
		fail "bpf_loaded" "tlsaudit (pid $TA_PID) holds no BPF programs"
	fi

	run_traffic
	check_client_pids
	check_server_logs

	stop_tlsaudit
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "exit_on_sigint"; else
		fail "exit_on_sigint" "exit status $rc, want 0" "$(tail -n 20 "$TA_ERR")"
	fi
	check_events "$TA_OUT"
	ta_check_no_residue "no_hooks_after_sigint" --ours "$OURS1" "$TA_CLI_NS:$TA_CLI_IF"

	# again, killed hard: tcx/XDP links and fds must die with the process
	ta_bpf_named >"$BASE"
	if ! start_tlsaudit -i "$TA_CLI_IF" -p 443; then
		fail "tlsaudit_ready_2" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
	else
		OURS2=$TA_TMP/ours.2
		ta_bpf_snapshot "$TA_PID" "$BASE" "$OURS2"
		if ta_kill_tlsaudit; then
			ta_check_no_residue "no_hooks_after_sigkill" --ours "$OURS2" "$TA_CLI_NS:$TA_CLI_IF"
		else
			fail "no_hooks_after_sigkill" "pid $TA_KILLED_PID still alive after SIGKILL"
		fi
	fi
fi

ta_finish "$T"
