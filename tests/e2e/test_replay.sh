#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# test_replay.sh - `tlsaudit -r` is the same logic as a live run.
#
# Real clients (curl TLS 1.2/1.3, openssl, python ssl, gnutls-cli, curl over
# plain HTTP, socat plaintext and an SSH banner, QUIC and random UDP, IPv4 and
# IPv6) talk to real servers in throw-away namespaces while tlsaudit watches
# live and tcpdump records the same interface twice: as Ethernet and as Linux
# cooked v2 (-i any). Then, as an unprivileged user, `tlsaudit -r` reads each
# capture, and every flow must match the live run's, flow by flow: the
# verdict, every TLS field and the JA4; role "captured", no pid, the packets'
# own time.
#
# Then bad input: a capture cut short reports the flows before the damage and
# one line naming the offset (exit 1); an empty file is no error; a foreign
# link type and a file that is no capture are one line each (exit 1).
#
# Knobs: TLSAUDIT=path, TA_E2E_KEEP=1, TA_E2E_VERBOSE=1 (see lib.sh).
set -u
. "$(dirname "$0")/lib.sh"

T=test_replay
require_root "$T"
require_cmds "$T" ip nsenter jq curl openssl socat gnutls-cli tcpdump setpriv "$TA_NGINX" "$TA_PY"
ta_install_traps
[ -x "$TLSAUDIT" ] || { echo "FAIL: $T: $TLSAUDIT not built"; exit 1; }

setup_netns
start_tls_server
start_plain_server

# ---------------------------------------------------------------- captures

# the same traffic as Ethernet frames and as Linux cooked v2 (-i any)
ta_capture_start "$TA_CLI_NS" "$TA_CLI_IF" "$TA_TMP/eth.pcap" ""
CAP_ETH=$TA_CAP_PID
ta_capture_start "$TA_CLI_NS" any "$TA_TMP/sll2.pcap" "" -y LINUX_SLL2
CAP_SLL2=$TA_CAP_PID

if ! start_tlsaudit -p 443; then
	fail "live:ready" "no 'tlsaudit: ready'" "$(cat "$TA_ERR")"
	exit 1
fi
pass "live:ready"

# ---------------------------------------------------------------- traffic

N_CLIENTS=0
# client NAME CMD...: a client that must succeed
client() {
	local name=$1
	shift
	N_CLIENTS=$((N_CLIENTS + 1))
	if run_client "$name" "$@"; then pass "traffic:$name"; else
		fail "traffic:$name" "exit status $?" "$(head -c 400 "$TA_TMP/client.$name.err")"
	fi
}

printf 'HELLO plain text\r\n' >"$TA_TMP/plain"
printf 'SSH-2.0-OpenSSH_9.2\r\n' >"$TA_TMP/ssh"
for f in 4 6; do
	if [ "$f" = 4 ]; then tls=$TA_TLS4 plain=$TA_PLAIN4 tlsh=$tls plainh=$plain; else
		tls=$TA_TLS6 plain=$TA_PLAIN6 tlsh="[$tls]" plainh="[$plain]"; fi
	client "curl_tls12_v$f" curl --noproxy '*' -sSk --max-time 10 --tlsv1.2 --tls-max 1.2 "https://$tlsh/"
	client "curl_tls13_v$f" curl --noproxy '*' -sSk --max-time 10 --tlsv1.3 "https://$tlsh/"
	client "openssl_v$f" openssl s_client -connect "$tlsh:443" -servername srv.test -brief
	client "python_v$f" "$TA_PY" "$TA_E2E_DIR/tls_get.py" "$tls"
	client "gnutls_v$f" gnutls-cli --insecure --sni-hostname=srv.test -p 443 "$tls"
	client "curl_http_v$f" curl --noproxy '*' -sS --max-time 10 "http://$plainh:443/"
	sock=TCP$f:$plainh:443
	RUN_CLIENT_STDIN=$TA_TMP/plain client "socat_plain_v$f" socat -t 5 -T 10 - "$sock"
	RUN_CLIENT_STDIN=$TA_TMP/ssh client "socat_ssh_v$f" socat -t 5 -T 10 - "$sock"
	client "quic_v1_v$f" "$TA_PY" "$TA_E2E_DIR/quic_initial.py" v1 "$tls" 443
	client "udp_random_v$f" "$TA_PY" "$TA_E2E_DIR/quic_initial.py" random "$tls" 443
	client "unwatched_v$f" curl --noproxy '*' -sS --max-time 10 "http://$plainh:$TA_UNWATCHED_PORT/"
done

# every watched client's verdict is out before the live run stops (a TLS
# flow's line waits for its handshake)
WANT=$((N_CLIENTS - 2))
ta_wait_count "$TA_OUT" '^\{"event":"flow"' "$WANT" "$TA_WAIT" "$TA_PID"
stop_tlsaudit
rc=$?
[ "$rc" -eq 0 ] && pass "live:exit" || fail "live:exit" "exit status $rc" "$(tail -5 "$TA_ERR")"

ta_capture_complete "$TA_CLI_NS" "$TA_PLAIN4" "$TA_TMP/eth.pcap" "$TA_TMP/sll2.pcap"
ta_capture_stop "$CAP_ETH"
ta_capture_stop "$CAP_SLL2"

LIVE_N=$(jq -c 'select(.event == "flow")' "$TA_OUT" | wc -l)
if [ "$LIVE_N" -eq "$WANT" ]; then pass "live:flows ($LIVE_N)"; else
	fail "live:flows" "$LIVE_N flow events, want $WANT" "$(jq -c 'select(.event == "flow") | [.verdict, .client_port, .server]' "$TA_OUT")"
fi

# ---------------------------------------------------------------- replay

chmod 644 "$TA_TMP"/*.pcap
# replay NAME FILE [ARGS]: tlsaudit -r as nobody; stdout, stderr and status
replay() {
	local name=$1 file=$2
	shift 2
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$TLSAUDIT" -r "$file" "$@" >"$TA_TMP/replay.$name.out" 2>"$TA_TMP/replay.$name.err"
}

# compare NAME: flow by flow, the replay says what the live run said
compare() {
	local out
	out=$("$TA_PY" "$TA_E2E_DIR/replay_compare.py" "$TA_OUT" "$TA_TMP/replay.$1.out")
	case $out in
	OK*) pass "replay:$1:same_as_live (${out#OK })" ;;
	*) fail "replay:$1:same_as_live" "flows differ" "$out" ;;
	esac
}

for cap in eth sll2; do
	replay "$cap" "$TA_TMP/$cap.pcap" -j
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$TA_TMP/replay.$cap.err" ]; then pass "replay:$cap:unprivileged_exit_0"; else
		fail "replay:$cap:unprivileged_exit_0" "exit status $rc" "$(cat "$TA_TMP/replay.$cap.err")"
	fi
	compare "$cap"
	# (jq -e judges the last input's result: slurp, then judge once)
	if jq -se 'any(.[]; .event == "stats" and .frames > 0 and .events == '"$LIVE_N"') and
		any(.[]; .event == "unattributed")' "$TA_TMP/replay.$cap.out" >/dev/null; then
		pass "replay:$cap:summary_and_stats"
	else
		fail "replay:$cap:summary_and_stats" "no summary, or stats without frames or $LIVE_N events" \
			"$(tail -3 "$TA_TMP/replay.$cap.out")"
	fi
done

# text output and the textfile work from a capture too
mkdir -m 0777 "$TA_TMP/prom"
replay text "$TA_TMP/eth.pcap" --textfile "$TA_TMP/prom/replay.prom"
if grep -qE ' tls +tcp ' "$TA_TMP/replay.text.out" &&
	grep -q '^tlsaudit_flows_total{verdict="tls",comm="",container="",port="443"} ' \
		"$TA_TMP/prom/replay.prom"; then
	pass "replay:text_and_textfile"
else
	fail "replay:text_and_textfile" "no text flow lines or no flow series" \
		"$(head -3 "$TA_TMP/replay.text.out")" "$(cat "$TA_TMP/replay.text.err")" \
		"$(grep flows_total "$TA_TMP/prom/replay.prom" | head -3)"
fi

# ---------------------------------------------------------------- bad input

SIZE=$(stat -c %s "$TA_TMP/eth.pcap")
head -c $((SIZE * 2 / 3)) "$TA_TMP/eth.pcap" >"$TA_TMP/cut.pcap"
replay cut "$TA_TMP/cut.pcap" -j
rc=$?
n=$(jq -c 'select(.event == "flow")' "$TA_TMP/replay.cut.out" | wc -l)
lines=$(wc -l <"$TA_TMP/replay.cut.err")
if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qE 'damaged at offset [0-9]+' "$TA_TMP/replay.cut.err" &&
	[ "$n" -gt 0 ] && [ "$n" -le "$LIVE_N" ]; then
	pass "bad:cut_short ($n flows before the damage)"
else
	fail "bad:cut_short" "exit $rc, $lines error lines, $n flows" "$(cat "$TA_TMP/replay.cut.err")"
fi

: >"$TA_TMP/empty.pcap"
replay empty "$TA_TMP/empty.pcap" -j
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$TA_TMP/replay.empty.err" ] &&
	jq -se 'any(.[]; .event == "stats" and .frames == 0)' "$TA_TMP/replay.empty.out" >/dev/null; then
	pass "bad:empty_file_is_no_error"
else
	fail "bad:empty_file_is_no_error" "exit $rc" "$(cat "$TA_TMP/replay.empty.err")"
fi

# a pcap header with link type 105 (IEEE 802.11)
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x69\x00\x00\x00' \
	>"$TA_TMP/wifi.pcap"
replay wifi "$TA_TMP/wifi.pcap" -j
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$TA_TMP/replay.wifi.err")" -eq 1 ] &&
	grep -q 'link type IEEE802_11 (105) is not one tlsaudit reads' "$TA_TMP/replay.wifi.err" &&
	[ ! -s "$TA_TMP/replay.wifi.out" ]; then
	pass "bad:foreign_link_type"
else
	fail "bad:foreign_link_type" "exit $rc" "$(cat "$TA_TMP/replay.wifi.err")"
fi

echo "not a capture" >"$TA_TMP/text.pcap"
replay notpcap "$TA_TMP/text.pcap" -j
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$TA_TMP/replay.notpcap.err")" -eq 1 ]; then
	pass "bad:not_a_capture"
else
	fail "bad:not_a_capture" "exit $rc" "$(cat "$TA_TMP/replay.notpcap.err")"
fi

"$TLSAUDIT" -r "$TA_TMP/eth.pcap" --enforce >/dev/null 2>"$TA_TMP/mix.err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$TA_TMP/mix.err")" -le 2 ]; then pass "bad:live_option_with_r"; else
	fail "bad:live_option_with_r" "exit $rc, want 2" "$(cat "$TA_TMP/mix.err")"
fi

[ "$TA_FAILS" -eq 0 ]
