#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_tls_intel.sh - what tlsaudit says about each handshake
# (the flow's "tls" object, the per-process tls_versions and "weak" status,
# UDP/QUIC verdicts), checked against tshark reading a capture of the same
# traffic, with real clients and real servers in throw-away namespaces.
#
#   1. oracle:   curl (TLS 1.2, 1.3), openssl s_client (-tls1_2, -tls1_3,
#                ALPN), gnutls-cli, python ssl, over IPv4 and IPv6, against
#                nginx (TLS 1.2 + 1.3). tcpdump captures c0 in the client
#                namespace; tls_oracle.py has tshark dissect it, and per flow
#                (matched by client address and port) SNI, ALPN offered,
#                versions offered, version and cipher chosen, groups, key
#                shares, the server's group, ALPN chosen (TLS 1.2) and JA4
#                (computed from tshark's fields) must agree with tlsaudit.
#                A polite client that answers the server's FIN with its own
#                close_notify must still be one flow.
#   2. segments: python ssl ClientHellos (split_hello.py) sent as a lone
#                5-byte record header then the rest, a partial header (3
#                bytes), 4 pieces, the handshake message re-framed into 2 and
#                3 TLS records, and a 3.5 KiB ClientHello (long SNI, 16 ALPN
#                names) with TSO/GSO on (one GSO packet) and off (3 segments;
#                the capture proves it). Same field-by-field comparison, and
#                no "truncated".
#   3. answers:  plaintext nginx on 443 (HTTP/1.1 400 to a ClientHello) ->
#                handshake "server_plaintext" with its banner; servers that
#                send no byte (close_server.py): a FIN before the ClientHello
#                (the client waits for it), a FIN after it, a RST after it
#                -> "no_response"; TLS 1.2-only curl against a TLS 1.3-only
#                nginx -> "alert", "protocol_version" (tshark sees the same
#                alert). Every outcome is first checked in the capture.
#   4. UDP:      quic_initial.py from a connected socket: RFC 9001 A.2's
#                client Initial (v1, checked byte for byte against the RFC),
#                the same as QUIC v2 and draft-29, v1 over IPv6 -> "quic",
#                l4 "udp", the python pid; the v1 Initial by sendto() on an
#                unconnected socket (attribution checked separately);
#                1200 pseudo-random bytes -> "unknown"; "hello\n" ->
#                "plaintext". tshark must see the QUIC ones as Initials (and
#                decrypt the first v1 one: SNI example.com).
#   5. weak:     openssl s_client -tls1_1 / -tls1 (DEFAULT@SECLEVEL=0 on
#                both sides) against nginx allowing TLS 1.0-1.2 -> version
#                1.1 / 1.0 (tshark agrees), "obsolete":true, process status
#                "weak" with tls_versions {"1.1":1} / {"1.0":1}.
#   Then: no flow tlsaudit reported without a connection in the capture and
#   the reverse, no midstream, no ring buffer drops, exit 0 on SIGINT.
#
# Helpers (tests/e2e): tls_oracle.py, split_hello.py, close_server.py,
# quic_initial.py; each documents itself.
# Knobs: TLSAUDIT, TA_E2E_KEEP=1 (keep c0.pcap, logs, oracle.jsonl,
# checks.out), TA_E2E_VERBOSE=1, TA_WAIT (see lib.sh).
# Output: PASS:/FAIL:/SKIP: lines; timings on stderr; exit 1 if anything
# failed.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_tls_intel
ta_e2e_init "$T" ip nsenter ss jq curl openssl gnutls-cli tcpdump tshark ethtool "$TA_NGINX" "$TA_PY"

TI_T0=$(date +%s%N)
ti_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

setup_netns
start_tls_server
start_plain_server

# more server addresses, all in our server namespace
TI_FIN4=10.203.0.4      # close_server.py fin
TI_RST4=10.203.0.5      # close_server.py rst
TI_TLS13ONLY4=10.203.0.6 # nginx ssl_protocols TLSv1.3
TI_WEAK4=10.203.0.7     # nginx TLSv1 TLSv1.1 TLSv1.2, SECLEVEL=0
TI_FINAFTER4=10.203.0.8 # close_server.py fin-after
for a in $TI_FIN4 $TI_RST4 $TI_TLS13ONLY4 $TI_WEAK4 $TI_FINAFTER4; do
	ta_addr "$TA_SRV_NS" "$TA_SRV_IF" "$a/24"
done

# the servers that send no byte (close_server.py), and two more TLS nginx
for m in fin:$TI_FIN4 fin-after:$TI_FINAFTER4 rst:$TI_RST4; do
	ta_serve "close_${m%%:*}" "$TA_SRV_NS" "${m#*:}:443" -- \
		"$TA_PY" "$TA_E2E_DIR/close_server.py" "${m%%:*}" "${m#*:}" 443
done
ta_start_nginx tls13only "$TA_SRV_NS" ssl "$(ta_tls_conf)
        ssl_protocols TLSv1.3;" "$TI_TLS13ONLY4:443"
ta_start_nginx weak "$TA_SRV_NS" ssl "$(ta_tls_conf)
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
        ssl_ciphers DEFAULT@SECLEVEL=0;" "$TI_WEAK4:443"
TI_SETUP_MS=$(ti_ms "$TI_T0")

# ---------------------------------------------------------------- capture + tlsaudit

PCAP=$TA_TMP/c0.pcap
ta_capture_start "$TA_CLI_NS" "$TA_CLI_IF" "$PCAP" 'port 443 or udp dst port 9'
TI_TCPDUMP=$TA_CAP_PID

if ! start_tlsaudit -i "$TA_CLI_IF" -p 443; then
	fail "tlsaudit_ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
	exit 1
fi
pass "tlsaudit_ready"

# ---------------------------------------------------------------- clients

EXPECT=$TA_TMP/expect        # name pid profile sport comm
: >"$EXPECT"
LAT=$TA_TMP/latency          # name ms (client exit -> its flow line)
: >"$LAT"

# ti_client NAME PROFILE RCWANT CHECK -- CMD...: run a client in the client
# netns, check its exit status (RCWANT: 0, or "nz" = failed but not timed
# out) and CHECK (errre=ERE on stderr, outre=ERE on stdout, or -), then wait
# (bounded, $TA_WAIT) for its flow line. PROFILE says what to check later.
ti_client() {
	local name=$1 profile=$2 rcwant=$3 check=$4 rc pid why="" t0 sport filter comm
	shift 5
	comm=$(basename "$1")
	run_client "$name" "$@"
	rc=$?
	pid=$RUN_CLIENT_PID
	t0=$(date +%s%N)
	local out=$TA_TMP/client.$name.out err=$TA_TMP/client.$name.err
	sport=$(sed -n 's/^[sl]port=//p' "$err" | head -n 1)
	echo "$name $pid $profile ${sport:--} $comm" >>"$EXPECT"
	case $rcwant in
	0) [ "$rc" -eq 0 ] || why="exit status $rc, want 0" ;;
	nz) { [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; } || why="exit status $rc, want a failure (not 0, not 124)" ;;
	esac
	[ -n "$why" ] || why=$(ta_output_why "$check" "$out" "$err")
	if [ -z "$why" ]; then pass "client:$name"; else
		fail "client:$name" "pid $pid: $why" "cmd: $*" \
			"stdout: $(head -c 600 "$out")" "stderr: $(head -c 600 "$err")"
	fi
	# its flow line: by pid, or (udp_noattr) by the client port it printed
	if [ "$profile" = udp_noattr ]; then
		filter="select(.event == \"flow\" and .l4 == \"udp\" and .client_port == ${sport:-0})"
	else
		filter="select(.event == \"flow\" and .pid == $pid)"
	fi
	if ta_wait_jq "$TA_OUT" "$filter" "$TA_WAIT" "$TA_PID"; then
		echo "$name $(ti_ms "$t0")" >>"$LAT"
	else
		echo "$name timeout" >>"$LAT"
	fi
}

TLS4=$TA_TLS4 TLS6=$TA_TLS6
CURL=(curl --noproxy '*' -sSk --max-time 10)
OSSL_OK='errre=CONNECTION ESTABLISHED'
PY_SSL=("$TA_PY" "$TA_E2E_DIR/tls_get.py")
SPLIT=("$TA_PY" "$TA_E2E_DIR/split_hello.py")
QUIC=("$TA_PY" "$TA_E2E_DIR/quic_initial.py")
L60=$(printf '%060d' 0 | tr 0 a)
BIG_SNI=$L60.${L60//a/b}.${L60//a/c}.${L60//a/d}.test     # 248 bytes
BIG=(--sni "$BIG_SNI" --big-alpn 15:200 --alpn http/1.1)   # 16 ALPN names

# 1. oracle (TSO/GSO as the kernel sets them: on)
TI_P1=$(date +%s%N)
ti_client curl_tls12 established 0 outre=ok -- \
	"${CURL[@]}" --tlsv1.2 --tls-max 1.2 --resolve "srv.test:443:$TLS4" https://srv.test/
ti_client curl_tls13 established 0 outre=ok -- \
	"${CURL[@]}" --tlsv1.3 --resolve "srv.test:443:$TLS4" https://srv.test/
ti_client openssl_tls12 established 0 "$OSSL_OK" -- \
	openssl s_client -connect "$TLS4:443" -tls1_2 -servername srv.test -alpn h2,http/1.1 -brief
ti_client openssl_tls13 established 0 "$OSSL_OK" -- \
	openssl s_client -connect "$TLS4:443" -tls1_3 -servername srv.test -alpn h2,http/1.1 -brief
ti_client gnutls established 0 'outre=Handshake was completed' -- \
	gnutls-cli --insecure --sni-hostname=srv.test --alpn=h2 --alpn=http/1.1 -p 443 "$TLS4"
ti_client python_ssl established 0 'outre=^HTTP/1.1 200' -- "${PY_SSL[@]}" "$TLS4"
ti_client curl_tls13_v6 established 0 outre=ok -- \
	"${CURL[@]}" --tlsv1.3 --resolve "srv.test:443:[$TLS6]" https://srv.test/
ti_client openssl_tls12_v6 established 0 "$OSSL_OK" -- \
	openssl s_client -connect "[$TLS6]:443" -tls1_2 -servername srv.test -alpn h2,http/1.1 -brief
ti_client python_polite_close established 0 'errre=^close_notify_sent=' -- \
	"${SPLIT[@]}" "$TLS4" --alpn http/1.1 --unwrap
ti_client big_gso seg_big_gso 0 'outre=^HTTP/1.1 200' -- "${SPLIT[@]}" "$TLS4" "${BIG[@]}"
TI_P1=$(ti_ms "$TI_P1")

# 2. segmentation: real segments on c0 (no TSO/GSO superpackets)
TI_P2=$(date +%s%N)
ta_in_cli ethtool -K "$TA_CLI_IF" tso off gso off >/dev/null 2>&1 ||
	ta_die "ethtool -K $TA_CLI_IF tso off gso off failed"
ti_client split_hdr5 seg_hdr5 0 'outre=^HTTP/1.1 200' -- "${SPLIT[@]}" "$TLS4" --alpn h2,http/1.1 --split 5
ti_client split_hdr3 seg_hdr3 0 'outre=^HTTP/1.1 200' -- "${SPLIT[@]}" "$TLS4" --alpn h2,http/1.1 --split 3
ti_client split_pieces seg_pieces 0 'outre=^HTTP/1.1 200' -- \
	"${SPLIT[@]}" "$TLS4" --alpn h2,http/1.1 --split 1,5,60
ti_client split_records3 seg_records3 0 'outre=^HTTP/1.1 200' -- \
	"${SPLIT[@]}" "$TLS4" --alpn h2,http/1.1 --records 3 --split 5,120
ti_client split_records2_tls12 seg_records2 0 'outre=^HTTP/1.1 200' -- \
	"${SPLIT[@]}" "$TLS4" --alpn h2,http/1.1 --tls12 --records 2
ti_client big_tls13 seg_big 0 'outre=^HTTP/1.1 200' -- "${SPLIT[@]}" "$TLS4" "${BIG[@]}"
ti_client big_tls12 seg_big 0 'outre=^HTTP/1.1 200' -- "${SPLIT[@]}" "$TLS4" "${BIG[@]}" --tls12
TI_P2=$(ti_ms "$TI_P2")

# 3. what the server answered
TI_P3=$(date +%s%N)
ti_client server_plaintext server_plaintext nz - -- "${CURL[@]}" "https://$TA_PLAIN4/"
# the server's FIN before the ClientHello (the client waits for it), and after
ti_client server_fin_first no_response_fin nz 'errre=^server_fin_seen$' -- \
	"${SPLIT[@]}" "$TI_FIN4" --alpn h2,http/1.1 --wait-server-fin
ti_client server_fin_after no_response_fin nz - -- \
	"${CURL[@]}" --resolve "srv.test:443:$TI_FINAFTER4" https://srv.test/
ti_client server_rst no_response_rst nz - -- "${CURL[@]}" --resolve "srv.test:443:$TI_RST4" https://srv.test/
ti_client server_alert alert nz - -- \
	"${CURL[@]}" --tlsv1.2 --tls-max 1.2 --resolve "srv.test:443:$TI_TLS13ONLY4" https://srv.test/
TI_P3=$(ti_ms "$TI_P3")

# 4. UDP to the watched port (no UDP server: the datagrams are not answered)
TI_P4=$(date +%s%N)
ti_client quic_v1 quic 0 'outre=^sent 1200 bytes' -- "${QUIC[@]}" v1 "$TLS4" 443
ti_client quic_v2 quic 0 'outre=^sent 1200 bytes' -- "${QUIC[@]}" v2 "$TLS4" 443
ti_client quic_draft29 quic 0 'outre=^sent 1200 bytes' -- "${QUIC[@]}" draft29 "$TLS4" 443
ti_client quic_v1_v6 quic 0 'outre=^sent 1200 bytes' -- "${QUIC[@]}" v1 "$TLS6" 443
ti_client udp_random udp_unknown 0 'outre=^sent 1200 bytes' -- "${QUIC[@]}" random "$TLS4" 443
ti_client udp_hello udp_plaintext 0 'outre=^sent 6 bytes' -- "${QUIC[@]}" hello "$TLS4" 443
ti_client quic_v1_sendto udp_noattr 0 'outre=^sent 1200 bytes' -- "${QUIC[@]}" v1 "$TLS4" 443 --sendto
TI_P4=$(ti_ms "$TI_P4")

# 5. obsolete versions
TI_P5=$(date +%s%N)
ti_client weak_tls11 weak 0 'errre=^Protocol version: TLSv1\.1$' -- \
	openssl s_client -connect "$TI_WEAK4:443" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -servername srv.test -brief
ti_client weak_tls10 weak 0 'errre=^Protocol version: TLSv1$' -- \
	openssl s_client -connect "$TI_WEAK4:443" -tls1 -cipher 'DEFAULT@SECLEVEL=0' -servername srv.test -brief
TI_P5=$(ti_ms "$TI_P5")

# ---------------------------------------------------------------- stop

ta_capture_complete "$TA_CLI_NS" "$TLS4" "$PCAP"
ta_capture_stop "$TI_TCPDUMP"
grep -q '^0 packets dropped by kernel' "$PCAP.err" ||
	fail "capture" "tcpdump dropped packets or did not report" "$(cat "$PCAP.err")"
TI_STOP=$(date +%s%N)
stop_tlsaudit
rc=$?
TI_STOP=$(ti_ms "$TI_STOP")
if [ "$rc" -eq 0 ]; then pass "exit_on_sigint"; else
	fail "exit_on_sigint" "exit status $rc, want 0" "$(tail -n 20 "$TA_ERR")"
fi

EV=$TA_TMP/events.jsonl
ta_valid_json "$TA_OUT" >"$EV"
ta_check_json_lines json_lines "$TA_OUT"

ORACLE=$TA_TMP/oracle.jsonl
TI_OR=$(date +%s%N)
if ! "$TA_PY" "$TA_E2E_DIR/tls_oracle.py" "$PCAP" >"$ORACLE" 2>"$TA_TMP/oracle.err"; then
	fail "oracle" "tls_oracle.py failed" "$(cat "$TA_TMP/oracle.err")"
fi
TI_OR=$(ti_ms "$TI_OR")

# ---------------------------------------------------------------- checks

TI_CHK=$(date +%s%N)

# The per-client checks, in one jq run (each jq start costs ~80 ms here).
# Inputs: $exp (the clients), $ev (tlsaudit's events), $oracle
# (tls_oracle.py: TCP connections and UDP datagrams as tshark saw them). Output: PASS:/FAIL: lines, with indented
# context lines after a FAIL.
# shellcheck disable=SC2016
JQ_CHECKS='
def flows: $ev | map(select(.event == "flow"));
def procs: $ev | map(select(.event == "process"));
def tcporacle: $oracle | map(select(.l4 == "tcp"));
def udporacle: $oracle | map(select(.l4 == "udp"));
def result(name; probs; ctx):
  if (probs | length) == 0 then "PASS: \(name)"
  else "FAIL: \(name): \(probs | join("; "))" + (ctx | map("\n    " + .) | join("")) end;
# tlsaudit against tshark, one field
def cmp(k; ours; theirs):
  if ours == theirs then empty else "\(k): tlsaudit \(ours | tojson), tshark \(theirs | tojson)" end;
# a member of the tls object must be v (null = absent)
def want($t; k; v):
  if $t[k] == v then empty else "\(k): \($t[k] | tojson), want \(v | tojson)" end;

def tcp_problems($x; $f; $o):
  ($f.tls // {}) as $t | $o.client_segments as $segs | $x.profile as $p |
  [ cmp("verdict"; $f.verdict; "tls"),
    cmp("l4"; $f.l4; "tcp"),
    cmp("server_port"; $f.server_port; $o.server_port),
    cmp("sni"; $t.sni; $o.sni),
    cmp("alpn"; ($t.alpn // []); $o.alpn),
    cmp("offered"; $t.offered; $o.offered),
    cmp("groups"; ($t.groups // []); $o.groups),
    cmp("key_shares"; ($t.key_shares // []); $o.key_shares),
    cmp("ja4"; $t.ja4; $o.ja4),
    cmp("version"; $t.version; $o.version),
    cmp("cipher"; $t.cipher; $o.cipher),
    cmp("group"; $t.group; $o.group),
    cmp("alpn_chosen"; $t.alpn_chosen; $o.alpn_chosen),
    (if $t.truncated then "truncated: true" else empty end),
    (if $t.malformed then "malformed: true" else empty end),
    (if $f.comm == $x.comm then empty else "comm: \($f.comm | tojson), want \($x.comm | tojson)" end),
    (if $f.role == "client" then empty else "role: \($f.role | tojson)" end),
    (if $f.iface == $iface then empty else "iface: \($f.iface | tojson)" end),
    (if $x.sport == "-" or ($x.sport | tonumber) == $f.client_port then empty
     else "client_port \($f.client_port), the client socket had \($x.sport)" end),
    if ($p == "established" or ($p | startswith("seg_")) or $p == "weak") then
      want($t; "handshake"; "established"),
      (if $o.version == null then "tshark saw no ServerHello" else empty end),
      (if ($o.version == "1.0" or $o.version == "1.1") then want($t; "obsolete"; true)
       else want($t; "obsolete"; null) end),
      (if $p == "weak" and ($o.version != "1.0" and $o.version != "1.1")
       then "tshark: version \($o.version), not an obsolete one (setup did not negotiate it)" else empty end),
      (if $p == "seg_hdr5" and ($segs[0] != 5 or ($segs | length) < 2)
       then "capture: client segments \($segs), want 5 then the rest" else empty end),
      (if $p == "seg_hdr3" and ($segs[0] != 3 or ($segs | length) < 2)
       then "capture: client segments \($segs), want 3 then the rest" else empty end),
      (if $p == "seg_pieces" and ($segs[0:3] != [1, 4, 55] or ($segs | length) < 4)
       then "capture: client segments \($segs), want 1,4,55,rest" else empty end),
      (if $p == "seg_records3" and ($o.hello_records != 3 or $segs[0] != 5)
       then "capture: \($o.hello_records) records, segments \($segs); want 3 records, 5 first" else empty end),
      (if $p == "seg_records2" and $o.hello_records != 2
       then "capture: \($o.hello_records) records, want 2" else empty end),
      (if ($p == "seg_big" or $p == "seg_big_gso") and $o.hello_len < 3000
       then "capture: ClientHello \($o.hello_len) bytes, want > 3000" else empty end),
      (if $p == "seg_big" and (($segs | length) < 3 or ($segs | max) > 1500)
       then "capture: client segments \($segs), want >= 3 of <= 1500 bytes" else empty end)
    elif $p == "server_plaintext" then
      want($t; "handshake"; "server_plaintext"),
      want($t; "server_banner"; $o.server_first_line),
      (if ($o.server_first_line // "" | startswith("HTTP/1.1 400")) then empty
       else "tshark: server first line \($o.server_first_line | tojson), want HTTP/1.1 400" end)
    elif ($p | startswith("no_response")) then
      want($t; "handshake"; "no_response"),
      (if $o.server_payload != 0 then "tshark: the server sent \($o.server_payload) bytes" else empty end),
      (if $p == "no_response_fin" and ($o.server_fin | not) then "tshark: no FIN from the server before data" else empty end),
      (if $p == "no_response_rst" and ($o.server_rst | not) then "tshark: no RST from the server before data" else empty end)
    elif $p == "alert" then
      want($t; "handshake"; "alert"),
      want($t; "alert"; $o.alert), want($t; "alert_level"; $o.alert_level),
      (if $o.alert != "protocol_version" then "tshark: alert \($o.alert | tojson), want protocol_version" else empty end)
    else "unknown profile \($p)" end ];

def process_check($x; $wflows; $status; $tv):
  (procs | map(select(.pid == $x.pid))) as $ps |
  if ($ps | length) != 1 then
    result("process:\($x.name)"; ["pid \($x.pid): \($ps | length) process events, want 1"]; $ps | map(tojson))
  else $ps[0] as $r |
    result("process:\($x.name)";
      [ (if $r.flows == $wflows then empty else "flows=\($r.flows | tojson) want \($wflows | tojson)" end),
        (if $r.status == $status then empty else "status=\($r.status | tojson) want \($status | tojson)" end),
        (if $r.tls_versions == $tv then empty
         else "tls_versions=\($r.tls_versions | tojson) want \($tv | tojson)" end),
        (if $r.role == "client" then empty else "role=\($r.role | tojson)" end) ];
      [$r | tojson])
  end;

def tcp_check($x):
  (flows | map(select(.pid == $x.pid))) as $fs |
  ($fs[0] // {}) as $f |
  (tcporacle | map(select(.client == $f.client and .client_port == $f.client_port))) as $os |
  ($os[0] // {}) as $o |
  (if ($fs | length) != 1 then
     result("flow:\($x.name)"; ["pid \($x.pid): \($fs | length) flow events, want 1"]; $fs | map(tojson))
   elif ($os | length) != 1 then
     result("flow:\($x.name)"; ["tshark has \($os | length) connections from \($f.client):\($f.client_port), want 1"];
       [$f | tojson])
   else
     result("flow:\($x.name)"; tcp_problems($x; $f; $o); ["tlsaudit: \($f | tojson)", "tshark:   \($o | tojson)"])
   end),
  process_check($x; {"tls": 1}; (if $x.profile == "weak" then "weak" else "encrypted" end);
    (if $o.version != null and ($x.profile == "established" or $x.profile == "weak" or ($x.profile | startswith("seg_")))
     then {($o.version): 1} else null end));

def udp_check($x):
  ({"quic": "quic", "udp_noattr": "quic", "udp_unknown": "unknown", "udp_plaintext": "plaintext"}[$x.profile]) as $v |
  ({"quic": "encrypted", "udp_unknown": "unknown", "udp_plaintext": "plaintext"}[$x.profile]) as $st |
  (flows | map(select(.l4 == "udp" and .client_port == ($x.sport | tonumber? // -1)))) as $fs |
  (udporacle | map(select(.client_port == ($x.sport | tonumber? // -1)))) as $u |
  ($u | map(tojson) | join(", ")) as $ut |
  if ($fs | length) != 1 then
    result("flow:\($x.name)"; ["\($fs | length) udp flow events from port \($x.sport), want 1"];
      flows | map(select(.l4 == "udp") | tojson))
  else $fs[0] as $f |
    result("flow:\($x.name)";
      [ (if $f.verdict == $v then empty else "verdict=\($f.verdict | tojson) want \($v | tojson)" end),
        (if $f.server_port == 443 then empty else "server_port=\($f.server_port)" end),
        (if $f | has("tls") then "a tls object on a UDP flow" else empty end),
        (if $x.profile == "udp_noattr" then empty else
          (if $f.pid == $x.pid then empty else "pid=\($f.pid | tojson) want \($x.pid)" end),
          (if $f.comm == $x.comm then empty else "comm=\($f.comm | tojson) want \($x.comm | tojson)" end),
          (if $f.role == "client" then empty else "role=\($f.role | tojson)" end) end),
        # what tshark made of the datagram
        (if ($u | length) != 1 then "tshark has \($u | length) datagrams from port \($x.sport), want 1"
         elif $u[0].client != $f.client then "tshark: client \($u[0].client), tlsaudit \($f.client)"
         else empty end),
        (if $x.name == "quic_v1" then
           (if any($u[]; .quic_version == "0x00000001" and (.info | test("^Initial.*CRYPTO")) and .sni == "example.com")
            then empty else "tshark does not see a v1 Initial for example.com: \($ut)" end)
         elif ($x.name | startswith("quic_v1_")) then
           # the same DCID again: tshark takes its CRYPTO frame for a retransmission
           (if any($u[]; .quic_version == "0x00000001" and (.info | test("^Initial.*CRYPTO"))) then empty
            else "tshark does not see a v1 Initial: \($ut)" end)
         elif $x.name == "quic_v2" then
           (if any($u[]; .quic_version == "0x6b3343cf" and (.info | test("^Initial"))) then empty
            else "tshark does not see a v2 Initial: \($ut)" end)
         elif $x.name == "quic_draft29" then
           (if any($u[]; .quic_version == "0xff00001d" and (.info | test("^Initial"))) then empty
            else "tshark does not see a draft-29 Initial: \($ut)" end)
         else
           (if ($u | length) > 0 and all($u[]; .protocol == "UDP") then empty
            else "tshark sees more than UDP: \($ut)" end)
         end) ];
      ["tlsaudit: \($f | tojson)"]),
    (if $x.profile == "udp_noattr" then
       # a socket that never called connect(): is its sender named?
       result("attribution:\($x.name)";
         (if $f.pid == $x.pid then [] else
          ["sendto() on an unconnected UDP socket: pid \($f.pid // "none"), want \($x.pid) (\($x.comm))"] end);
         ["tlsaudit: \($f | tojson)"] + ($ev | map(select(.event == "unattributed") | tojson)))
     else process_check($x; {($v): 1}; $st; null) end)
  end;

$exp[] as $x |
if ($x.profile == "quic" or ($x.profile | startswith("udp_"))) then udp_check($x) else tcp_check($x) end
'

EXPJ=$TA_TMP/expect.jsonl
while read -r name pid profile sport comm; do
	printf '{"name":"%s","pid":%s,"profile":"%s","sport":"%s","comm":"%s"}\n' \
		"$name" "$pid" "$profile" "$sport" "$comm"
done <"$EXPECT" >"$EXPJ"
CHECKS=$TA_TMP/checks.out
if jq -nr --slurpfile exp "$EXPJ" --slurpfile ev "$EV" --slurpfile oracle "$ORACLE" \
	--arg iface "$TA_CLI_IF" "$JQ_CHECKS" >"$CHECKS" 2>"$CHECKS.err"; then
	cat "$CHECKS"
	TA_FAILS=$((TA_FAILS + $(grep -c '^FAIL:' "$CHECKS")))
	n=$(grep -cE '^(PASS|FAIL): flow:' "$CHECKS")
	[ "$n" -eq "$(wc -l <"$EXPECT")" ] ||
		fail "checks" "$n flow results for $(wc -l <"$EXPECT") clients"
else
	fail "checks" "jq failed" "$(cat "$CHECKS.err")"
fi

# every flow tlsaudit reported is a connection (datagram) tshark saw, and back
ours=$(jq -r 'select(.event == "flow") | "\(.l4) \(.client) \(.client_port)"' "$EV" | sort)
theirs=$(jq -r '"\(.l4) \(.client) \(.client_port)"' "$ORACLE" | sort)
if [ "$ours" = "$theirs" ]; then
	pass "flows_match_capture"
else
	fail "flows_match_capture" "tlsaudit's flows and the capture's connections differ" \
		"only tlsaudit: $(comm -23 <(echo "$ours") <(echo "$theirs") | paste -sd, -)" \
		"only capture:  $(comm -13 <(echo "$ours") <(echo "$theirs") | paste -sd, -)" \
		"$(jq -c 'select(.event == "flow" and .verdict == "midstream")' "$EV")"
fi

# the same capture, read back by tlsaudit -r as nobody: flow by flow what the
# live run said (verdicts, the tls object, JA4), for every case above:
# segmented and multi-record hellos, alerts, no answers, QUIC, weak versions
chmod 644 "$PCAP"
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$TLSAUDIT" -r "$PCAP" -j -p 443 >"$TA_TMP/replay.out" 2>"$TA_TMP/replay.err"
rc=$?
out=$("$TA_PY" "$TA_E2E_DIR/replay_compare.py" "$TA_OUT" "$TA_TMP/replay.out")
if [ "$rc" -eq 0 ] && [ "${out#OK}" != "$out" ]; then pass "replay_same_as_live (${out#OK })"; else
	fail "replay_same_as_live" "tlsaudit -r exit $rc" "$out" "$(cat "$TA_TMP/replay.err")"
fi

st=$(jq -c 'select(.event == "stats")' "$EV")
mism=$(jq -r '[(if .midstream == 0 then empty else "midstream=\(.midstream)" end),
	(if .ringbuf_drops == 0 then empty else "ringbuf_drops=\(.ringbuf_drops)" end),
	(if .flow_insert_failures == 0 then empty else "flow_insert_failures=\(.flow_insert_failures)" end)] | join("; ")' <<<"$st" 2>&1)
if [ -n "$st" ] && [ -z "$mism" ]; then pass "stats"; else fail "stats" "${mism:-no stats line}" "$st"; fi

# ---------------------------------------------------------------- timings

TI_CHK=$(ti_ms "$TI_CHK")
TI_TOTAL=$(ti_ms "$TI_T0")
{
	echo "timing: setup ${TI_SETUP_MS} ms, oracle clients ${TI_P1} ms, segments ${TI_P2} ms," \
		"answers ${TI_P3} ms, udp ${TI_P4} ms, weak ${TI_P5} ms, tlsaudit stop ${TI_STOP} ms," \
		"tshark ${TI_OR} ms, checks ${TI_CHK} ms, total before teardown ${TI_TOTAL} ms"
	echo "flow line latency after client exit (ms): $(awk '{ printf "%s=%s ", $1, $2 }' "$LAT")"
} >&2

ta_finish "$T"
