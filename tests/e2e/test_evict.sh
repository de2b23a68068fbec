#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_evict.sh - flow-table pressure: with --max-flows 1024, a
# client holds 3000 connections open (SYN seen, no payload), then every one
# sends its first request. Flows the LRU table evicted before their verdict
# must come out as "unknown" with "reason":"evicted", never silently missed;
# evictions are counted; the others keep their real verdict.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_evict
ta_e2e_init "$T" ip nsenter jq "$TA_NGINX" "$TA_PY"

setup_netns
start_plain_server

N=3000
start_tlsaudit -i "$TA_CLI_IF" --max-flows 1024 || { fail "${T}_start" "$TA_READY_WHY" "$(cat "$TA_ERR")"; exit 1; }

# open N connections, then send a request on each (in opening order), then close
RUN_CLIENT_STDIN=/dev/null run_client holder "$TA_PY" -c '
import resource, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
n, addr = int(sys.argv[1]), sys.argv[2]
socks = [socket.create_connection((addr, 443), timeout=10) for _ in range(n)]
for s in socks:
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
for s in socks:
    s.close()
print(n)
' "$N" "$TA_PLAIN4"
rc=$?
[ "$rc" -eq 0 ] && pass "${T}_client" || fail "${T}_client" "exit $rc: $(cat "$TA_TMP/client.holder.err")"

stop_tlsaudit
rc=$?
[ "$rc" -eq 0 ] && pass "${T}_exit_0" || fail "${T}_exit_0" "exit $rc"

PID=$(client_pid holder)
flows=$(jq -c --argjson p "$PID" 'select(.event=="flow" and .pid==$p)' "$TA_OUT" | wc -l)
http=$(jq -c --argjson p "$PID" 'select(.event=="flow" and .pid==$p and .verdict=="plaintext_http")' "$TA_OUT" | wc -l)
evicted=$(jq -c --argjson p "$PID" 'select(.event=="flow" and .pid==$p and .verdict=="unknown" and .reason=="evicted")' "$TA_OUT" | wc -l)
counted=$(jq -r 'select(.event=="stats") | .flow_evictions' "$TA_OUT")
# every connection is reported once: judged, or unknown because evicted
if [ "$flows" -eq "$N" ] && [ $((http + evicted)) -eq "$N" ]; then
	pass "${T}_every_flow_reported"
else
	fail "${T}_every_flow_reported" "flows=$flows plaintext_http=$http evicted=$evicted of $N"
fi
if [ "$evicted" -gt 0 ] && [ "${counted:-0}" -ge "$evicted" ]; then
	pass "${T}_evictions_counted"
else
	fail "${T}_evictions_counted" "evicted events=$evicted, stats flow_evictions=${counted:-none}"
fi
if [ "$http" -gt 0 ]; then pass "${T}_survivors_judged"; else fail "${T}_survivors_judged" "none judged"; fi
echo "e2e: $N connections, $http judged, $evicted evicted, stats flow_evictions=$counted" >&2

ta_finish "$T"
