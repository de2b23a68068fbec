#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_enforce_attacks.sh - attacks on --enforce (issue 11), each
# against a real server that logs every byte it receives
# (attack_server.py): the assertion is made at the server, no plaintext byte
# of the attack may reach it. tlsaudit's verdicts and its stats line are
# checked too where they mean something.
#
# Topology (ta_setup_routed; three namespaces made here, nothing else touched):
#
#   ta-ac-$$ (client)            ta-ag-$$ (gateway)              ta-as-$$ (server)
#   c0 10.207.1.1 real clients   g1 10.207.1.254  g2 10.207.2.254   s0 10.207.2.2 plain :443 :8080 tcp+udp
#      10.207.1.2 scapy only        fd00:207:1::fe   fd00:207:2::fe     10.207.2.3 TLS :443 (fastopen)
#      10.207.1.3 retrying client (restart)
#      fd00:207:1::1/::2                                                10.207.2.4 banner :443 :8080
#                                                                       fd00:207:2::2 plain :443 :8080
#
# scapy's connections use their own source address (.2, ::2): the client
# kernel, which knows no socket for them, would reset them, so its RSTs from
# those addresses are dropped (iptables/ip6tables OUTPUT in the client netns;
# removed at teardown). Fast Open is on at both ends (0x607: data in the SYN
# without a cookie, and servers take it without TCP_FASTOPEN).
#
# Modes (one tlsaudit run each; TA_ATK_MODES, default "xdp tc host"):
#   xdp, tc   `tlsaudit --gateway -i g1 -i g2 --hook HOOK --enforce -j` in the gateway
#   host      `tlsaudit -i s0 --enforce -j` in the server netns (the server host)
# Attacks (PASS/FAIL MODE:NAME), gateway and host unless said:
#   tfo_plain        HTTP GET in a Fast Open SYN, twice: the server takes no
#                    byte (and no SYN data), the GET did ride in the SYN
#                    (capture on c0), verdict plaintext_http, blocked
#   tfo_tls          a TLS client whose ClientHello rides in the SYN: works,
#                    verdict tls, the server took SYN data (TcpExtTCPFastOpenPassive)
#   badsum           TLS-looking first segment with a bad checksum, then plaintext at its seq
#   noack            the same without the ACK flag
#   ttl              the same with TTL 1 (gateway modes only)
#   syn_blocked      a blocked plaintext flow, a SYN with a new ISN, TLS-looking
#                    bytes in the new space, plaintext in the old
#   syn_tls          the same on a flow decided "tls" by a bad-checksum segment
#   rst_tls          a forged out-of-window RST in a live TLS connection:
#                    the client's second request is still answered
#   rst_syn_tls      the forged RST and then a forged SYN with a new ISN in a
#                    live TLS connection: its second request is still answered
#   rst_blocked      a forged RST on a blocked flow, then the plaintext again
#   rst_syn_blocked  the forged RST, then a new SYN, TLS-looking bytes in its
#                    space, and the plaintext again in the old one
#   udp_fakequic     a 6-byte QUIC long header, then plaintext datagrams
#   udp_hello        "hello\n", then plaintext datagrams
#   server_first     a server that sends a banner on accept: the client
#                    (which sends nothing) gets none of it (asserted at the client)
#   frag_tiny        IPv4 fragments, the first with 8 bytes of TCP header
#   frag_data        IPv4 fragments, the plaintext payload all in the second
#   v6_exthdr        IPv6, plaintext behind 7 destination-options headers
#                    (v6_exthdr5, v6_exthdr6: the same behind 5 and 6, TA_MAX_EXTHDR)
#   reset_curl       curl http://SERVER:443/ --max-time 10 fails with a reset (exit 56), not a timeout
#   reset_python     a plaintext python client sees ECONNRESET
#   restart_*        enforcement outlives the run (a stop, a restart, a crash):
#                    a plaintext client retries in a loop from its own address
#                    while the run is stopped (SIGINT), a second takes the held
#                    links over and is stopped, a third is killed (SIGKILL);
#                    the server gets none of its bytes, every attempt up to
#                    the takeover has a blocked flow event from one run or
#                    the other, a TLS connection judged before the restart
#                    still works after it, and `tlsaudit --release` ends
#                    the hold (the loop's plaintext then arrives: the proof
#                    that the hold was what blocked it)
# Per mode: stats (no ring-buffer drops), exit on SIGINT, no residue after
# --release.
#
# Control phase first (PASS/FAIL control:NAME), with no tlsaudit at all:
# each attack must deliver its plaintext to the server (the banner to the
# client): an attack the server's own stack refuses would pass without
# proving anything; and the connections that must keep working (rst_tls,
# rst_syn_tls) must work without tlsaudit, so a failure is tlsaudit's.
#
# Usage (root):  tests/e2e/test_enforce_attacks.sh
#   TA_ATK_MODES="xdp tc host"   modes to run
#   TA_ATK_CONTROL=0             skip the control phase (below)
#   TA_ATK_NO_ENFORCE=1          run tlsaudit without --enforce: the sanity
#                                check that the attacks do reach the server then
#   TA_ATK_NO_HOLD=1             --enforce --no-hold: the restart_* checks fail
#   TLSAUDIT=path, TA_E2E_KEEP=1, TA_E2E_VERBOSE=1, TA_WAIT: see lib.sh

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_enforce_attacks
ta_e2e_init "$T" ip nsenter ss jq curl openssl bpftool tcpdump socat iptables ip6tables "$TA_PY"
"$TA_PY" -c 'import scapy.all' 2>/dev/null || { echo "FAIL: $T: $TA_PY has no scapy (python3-scapy)"; exit 1; }

MODES=${TA_ATK_MODES:-xdp tc host}
ENFORCE=(--enforce)
[ "${TA_ATK_NO_ENFORCE:-0}" = 1 ] && ENFORCE=()
[ "${TA_ATK_NO_HOLD:-0}" = 1 ] && ENFORCE+=(--no-hold)

C=ta-ac-$$ G=ta-ag-$$ S=ta-as-$$
C4=10.207.1.1 C6=fd00:207:1::1          # real clients
R4=10.207.1.2 R6=fd00:207:1::2          # scapy
L4=10.207.1.3                           # the retrying plaintext client (restart)
G1_4=10.207.1.254 G1_6=fd00:207:1::fe
G2_4=10.207.2.254 G2_6=fd00:207:2::fe
SRV4=10.207.2.2 SRV6=fd00:207:2::2      # plaintext logging server
TLS4=10.207.2.3                         # TLS server (Fast Open)
BAN4=10.207.2.4                         # banner server
MARK_PORT=8080                          # unwatched: the markers pass it
ORPHAN_RETRIES=3

PY_SRV=("$TA_PY" "$TA_E2E_DIR/attack_server.py")
PY_CLI=("$TA_PY" "$TA_E2E_DIR/attack_clients.py")
PY_RAW=("$TA_PY" "$TA_E2E_DIR/raw_attack.py")

# ---------------------------------------------------------------- setup

# the client kernel's RSTs from scapy's addresses, dropped (and the rules
# removed at teardown, before the namespace goes)
atk_rst_rule() { # -A|-D
	ta_in_ns "$C" iptables "$1" OUTPUT -s "$R4" -p tcp --tcp-flags RST RST -j DROP &&
		ta_in_ns "$C" ip6tables "$1" OUTPUT -s "$R6" -p tcp --tcp-flags RST RST -j DROP
}
atk_drop_rsts() {
	TA_TEARDOWN_HOOKS+=(atk_undrop_rsts)
	atk_rst_rule -A || ta_die "iptables/ip6tables in $C failed"
}
atk_undrop_rsts() { atk_rst_rule -D 2>/dev/null; return 0; }

atk_setup() {
	ta_setup_routed "$C" "$G" "$S" "$C4/24 $C6/64 $R4/24 $R6/64 $L4/24" "$G1_4/24 $G1_6/64" \
		"$G2_4/24 $G2_6/64" "$SRV4/24 $TLS4/24 $BAN4/24 $SRV6/64"
	# what the devices carry before any tlsaudit (the topology's no-op XDP
	# on the outer veth ends): what each mode must leave behind
	DEV_BASE_S0=$(ta_dev_state "$S:s0")
	DEV_BASE_G=$(ta_dev_state "$G:g1" "$G:g2")
	ta_sysctl "$C" net.ipv4.tcp_fastopen=0x607 net.ipv4.tcp_orphan_retries=$ORPHAN_RETRIES
	ta_sysctl "$S" net.ipv4.tcp_fastopen=0x607
	atk_drop_rsts
	ta_tls_cert
	SRV_LOG=$TA_TMP/server.log
	: >"$SRV_LOG"
	ta_bg "$S" "$TA_TMP/server.out" "$TA_TMP/server.err" "${PY_SRV[@]}" "$SRV_LOG" \
		"$TA_TMP/nginx-tls/srv.crt" "$TA_TMP/nginx-tls/srv.key" \
		"tcp,$SRV4,443,plain" "tcp,$SRV4,$MARK_PORT,plain" "udp,$SRV4,443,plain" \
		"udp,$SRV4,$MARK_PORT,plain" "tcp,$SRV6,443,plain" "tcp,$TLS4,443,tls" \
		"tcp,$BAN4,443,banner"
	SRV_PID=$TA_BG_PID
	wait_for_line "$TA_TMP/server.out" '^ready$' "$TA_WAIT" "$SRV_PID" ||
		ta_die "attack_server.py did not start: $(cat "$TA_TMP/server.err")"
}

# ---------------------------------------------------------------- helpers

MARK_N=0
# atk_mark [PROTO=tcp]: a marker over the client->server path, after an
# attack; returns once the server logged it, so whatever the attack got
# through has been logged too
atk_mark() {
	local proto=${1:-tcp} text
	MARK_N=$((MARK_N + 1))
	text=$PFX-$MARK_N
	ta_in_ns "$C" "${PY_CLI[@]}" mark "$SRV4" "$MARK_PORT" "$proto" "$text" 2>>"$TA_TMP/mark.err"
	wait_for_line "$SRV_LOG" "^mark $text\$" 20 "$SRV_PID" 2>/dev/null
}

# srv_bytes PROTO LADDR:LPORT PEER PEERPORT: what the server read from that
# peer ("LEN text" lines, non-printable bytes escaped); empty: nothing
srv_bytes() {
	awk -v p="$1 $2 $3 $4 " '($1 == "data" || $1 == "tlsdata") && index(substr($0, length($1) + 2), p) == 1 { print $(NF - 1), $NF }' \
		"$SRV_LOG" | while read -r n hex; do
		printf '%s %s\n' "$n" "$(printf '%s' "$hex" | sed 's/../\\x&/g' | xargs -0 printf '%b' | cat -v | tr '\n' ' ')"
	done
}

# the client's port as a client printed it ("lport=N" or "sport=N")
port_of() { sed -n 's/^[ls]port=\([0-9][0-9]*\)$/\1/p' "$1" | tail -n 1; }

# expectations for the flow events: NAME CLIENT PORT VERDICT ACTION
# (VERDICT "!quic" = anything but quic; ACTION blocked or -)
atk_expect() { echo "$*" >>"$EXPECT"; }

# atk_no_bytes NAME PROTO LADDR:LPORT PEER PEERPORT [WHY...]: PASS when the
# server read nothing from the peer; in the control phase (no tlsaudit),
# PASS when it did read the attack's plaintext: the attack is real
atk_no_bytes() {
	local name=$1 got n
	shift
	got=$(srv_bytes "$1" "$2" "$3" "$4")
	shift 4
	n=$(printf '%s\n' "$got" | awk '{ s += $1 } END { print s + 0 }')
	if [ "$CONTROL" = 1 ]; then
		if printf '%s\n' "$got" | grep -q 'GET /'; then pass "$PFX:$name"; else
			fail "$PFX:$name" "without tlsaudit the server got no plaintext ($n bytes): the attack proves nothing" \
				"$got" "$@"
		fi
	elif [ -z "$got" ]; then pass "$PFX:$name"; else
		fail "$PFX:$name" "the server received $n bytes" "$got" "$@"
	fi
}

# ---------------------------------------------------------------- attacks

# atk_raw ATTACK NAME [FAMILY=4 [VERDICT ACTION]]: one raw_attack.py attack
# from scapy's address, then the marker, then the assertion at the server;
# VERDICT and ACTION, when given, are what its flow event must say
atk_raw() {
	local attack=$1 name=$2 fam=${3:-4} verdict=${4:-} action=${5:-} src dst err rc sport
	if [ "$fam" = 6 ]; then src=$R6 dst=$SRV6; else src=$R4 dst=$SRV4; fi
	err=$TA_TMP/raw.$PFX.$name.err
	ta_bg "$C" "$TA_TMP/raw.$PFX.$name.out" "$err" "${PY_RAW[@]}" "$attack" "$src" "$dst"
	ta_reap "$TA_BG_PID" 60
	rc=$?
	sport=$(port_of "$err")
	if [ "$rc" -ne 0 ] || [ -z "$sport" ]; then
		fail "$PFX:$name" "raw_attack.py $attack exited $rc" "$(cat "$err")"
		return
	fi
	# the handshake reached the server: the attack was against a live socket
	wait_for_line "$SRV_LOG" "^accept tcp [^ ]+:443 $src $sport\$" 10 2>/dev/null ||
		{ fail "$PFX:$name" "the server never accepted scapy's connection" "$(cat "$err")"; return; }
	atk_mark || { fail "$PFX:$name" "the marker after the attack never reached the server"; return; }
	atk_no_bytes "$name" tcp "$dst:443" "$src" "$sport" "steps: $(grep '^step' "$err" | paste -sd, -)"
	[ -n "$verdict" ] && atk_expect "$name $src $sport $verdict $action"
	return 0
}

# /proc/net/netstat's TcpExtTCPFastOpenPassive in the server netns: SYNs
# whose data the server took
tfo_passive() {
	ta_in_ns "$S" cat /proc/net/netstat | awk '
		$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) if ($i == "TCPFastOpenPassive") c = i; h = 1; next }
		$1 == "TcpExt:" && h { print $c; exit }'
}

# the SYNs with data from PORT in the client's capture
syn_data_count() {
	tcpdump -nn -r "$1" "tcp src port $2 and tcp[tcpflags] & tcp-syn != 0" 2>/dev/null |
		grep -cE 'length [1-9][0-9]*$'
}

# atk_tfo plain|tls NAME: two Fast Open connections, and a capture on c0
# proving that the data rode in each SYN. (With tcp_fastopen 0x607 the client
# sends SYN data without a cookie, bit 0x4, and the server takes it without
# one, 0x200: the second connect is the same attack again, not a cookie one.)
atk_tfo() {
	local kind=$1 name=$2 cap i rc why="" p0 p1 port ports=() got n
	cap=$TA_TMP/tfo.$PFX.$name.pcap
	ta_capture_start "$C" c0 "$cap" "(tcp dst port 443 and tcp[tcpflags] & tcp-syn != 0) or udp dst port 9"
	local cpid=$TA_CAP_PID
	p0=$(tfo_passive)
	for i in 1 2; do
		if [ "$kind" = plain ]; then
			ta_run_client_in "$name.$PFX.$i" "$C" "" "${PY_CLI[@]}" tfo-plain "$SRV4"
		else
			ta_run_client_in "$name.$PFX.$i" "$C" "" "${PY_CLI[@]}" tfo-tls "$TLS4"
		fi
		rc=$?
		port=$(port_of "$TA_TMP/client.$name.$PFX.$i.err")
		ports+=("$port")
		if [ "$kind" = plain ] && [ "$CONTROL" = 0 ]; then
			[ "$rc" -ne 0 ] || why="$why connection $i got an answer;"
		else
			[ "$rc" -eq 0 ] || why="$why connection $i failed (exit $rc: $(tr '\n' ' ' <"$TA_TMP/client.$name.$PFX.$i.err"));"
		fi
	done
	ta_capture_complete "$C" "$SRV4" "$cap"
	ta_capture_stop "$cpid"
	atk_mark || why="$why the marker never reached the server;"
	p1=$(tfo_passive)
	for port in "${ports[@]}"; do
		[ -n "$port" ] || { why="$why a client printed no port;"; continue; }
		n=$(syn_data_count "$cap" "$port")
		[ "$n" -ge 1 ] || why="$why no SYN with data from port $port on c0 (not a Fast Open test);"
		if [ "$kind" = plain ] && [ "$CONTROL" = 1 ]; then
			[ -n "$(srv_bytes tcp "$SRV4:443" "$C4" "$port")" ] ||
				why="$why without tlsaudit the server got nothing from port $port;"
		elif [ "$kind" = plain ]; then
			got=$(srv_bytes tcp "$SRV4:443" "$C4" "$port")
			[ -z "$got" ] || why="$why the server received from port $port: $got;"
			atk_expect "$name $C4 $port plaintext_http blocked"
		else
			atk_expect "$name $C4 $port tls -"
		fi
	done
	if [ "$kind" = plain ] && [ "$CONTROL" = 0 ]; then
		[ "$p1" = "$p0" ] || why="$why the server took $((p1 - p0)) SYN data (TcpExtTCPFastOpenPassive);"
	else
		[ "$p1" -ge $((p0 + 2)) ] || why="$why the server took SYN data $((p1 - p0)) times, want 2 (TcpExtTCPFastOpenPassive);"
	fi
	check "$PFX:$name" "$why" "$(tcpdump -nn -r "$cap" 2>/dev/null | head -n 8)"
}

# rst_tls NAME RAWMODE: a live TLS connection survives a forged
# out-of-window RST (rst-only), or that RST and a forged SYN (rst-syn-only)
atk_rst_tls() {
	local name=$1 raw=$2 fifo=$TA_TMP/go.$PFX.$1 err port rc why="" pid
	mkfifo "$fifo"
	err=$TA_TMP/client.$name.$PFX.err
	ta_bg "$C" "$TA_TMP/client.$name.$PFX.out" "$err" "${PY_CLI[@]}" tls-hold "$TLS4" "$fifo"
	pid=$TA_BG_PID
	if ! wait_for_line "$err" '^first_ok=' 20 "$pid" 2>/dev/null; then
		fail "$PFX:$name" "the first request was not answered" "$(cat "$err")"
		ta_stop_pid "$pid" KILL
		return
	fi
	port=$(port_of "$err")
	ta_in_ns "$C" "${PY_RAW[@]}" "$raw" "$C4" "$TLS4" "$port" 2>"$err.raw" ||
		why="$why the forged packets were not sent: $(cat "$err.raw");"
	atk_mark || why="$why the marker never reached the server;"
	# shellcheck disable=SC2016 # $1 is the inner shell's
	timeout 10 sh -c 'echo go >"$1"' sh "$fifo"
	ta_reap "$pid" 20
	rc=$?
	[ "$rc" -eq 0 ] || why="$why the second request after the forged packets failed (exit $rc);"
	atk_expect "$name $C4 $port tls -"
	check "$PFX:$name" "$why" "$(cat "$err")" "$(grep '^step' "$err.raw" | paste -sd, -)"
}

# udp KIND NAME: a first datagram, then plaintext ones, on one 4-tuple
atk_udp() {
	local kind=$1 name=$2 err port
	err=$TA_TMP/client.$name.$PFX.err
	ta_run_client_in "$name.$PFX" "$C" "" "${PY_CLI[@]}" udp "$SRV4" 443 "$kind"
	port=$(port_of "$err")
	atk_mark udp || { fail "$PFX:$name" "the UDP marker never reached the server"; return; }
	atk_no_bytes "$name" udp "$SRV4:443" "$C4" "$port"
	atk_expect "$name $C4 $port !quic blocked"
}

# server_first: the banner went out (server log), the client got none of it
atk_server_first() {
	local name=server_first err port rc why=""
	err=$TA_TMP/client.$name.$PFX.err
	ta_run_client_in "$name.$PFX" "$C" "" "${PY_CLI[@]}" silent "$BAN4" 443
	rc=$?
	port=$(port_of "$err")
	grep -qE "^sent tcp $BAN4:443 $C4 $port " "$SRV_LOG" || why="$why the server logged no banner sent;"
	if [ "$CONTROL" = 1 ]; then
		[ "$rc" -ne 0 ] || why="$why without tlsaudit the client got no banner;"
	else
		[ "$rc" -eq 0 ] || why="$why the client received the banner: $(grep '^got=' "$err");"
	fi
	check "$PFX:$name" "$why" "$(cat "$err")"
}

# the reset clients run in the background during the other attacks
atk_reset_start() {
	ta_bg "$C" "$TA_TMP/reset_curl.$PFX.out" "$TA_TMP/reset_curl.$PFX.err" \
		curl --noproxy '*' -sS --max-time 10 -w '%{stderr}lport=%{local_port}\n' "http://$SRV4:443/"
	RESET_CURL_PID=$TA_BG_PID
	ta_bg "$C" "$TA_TMP/reset_py.$PFX.out" "$TA_TMP/reset_py.$PFX.err" "${PY_CLI[@]}" plain-reset "$SRV4"
	RESET_PY_PID=$TA_BG_PID
}
_atk_client_quiet() {
	[ -z "$(ta_in_ns "$C" ss -Htn state established state fin-wait-1 state syn-sent \
		"( dst $SRV4 and dport = :443 )" 2>/dev/null)" ]
}
atk_reset_finish() {
	local rc port why
	ta_reap "$RESET_CURL_PID" 30
	rc=$?
	port=$(port_of "$TA_TMP/reset_curl.$PFX.err")
	why=""
	case $rc in
	56) ;;
	28) why="curl timed out (exit 28): the blocked flow stalled, no RST" ;;
	*) why="curl exit $rc, want 56 (connection reset)" ;;
	esac
	check "$PFX:reset_curl" "$why" "$(cat "$TA_TMP/reset_curl.$PFX.err")"
	[ -n "$port" ] && [ "$port" != 0 ] && atk_expect "reset_curl $C4 $port plaintext_http blocked"
	ta_reap "$RESET_PY_PID" 30
	rc=$?
	why=""
	[ "$rc" -eq 0 ] || why="no ECONNRESET: $(grep '^error=' "$TA_TMP/reset_py.$PFX.err" || echo "exit $rc")"
	check "$PFX:reset_python" "$why" "$(cat "$TA_TMP/reset_py.$PFX.err")"
	port=$(port_of "$TA_TMP/reset_py.$PFX.err")
	[ -n "$port" ] && atk_expect "reset_python $C4 $port plaintext_http blocked"
	# every retransmission the clients' kernels will make is behind us
	TA_POLL=0.2 ta_wait_until 40 "" _atk_client_quiet ||
		echo "note: $PFX: client sockets to $SRV4:443 still open" >&2
	atk_mark
	why=""
	for port in $(port_of "$TA_TMP/reset_curl.$PFX.err") $(port_of "$TA_TMP/reset_py.$PFX.err"); do
		[ -z "$(srv_bytes tcp "$SRV4:443" "$C4" "$port")" ] ||
			why="$why the server received from port $port: $(srv_bytes tcp "$SRV4:443" "$C4" "$port");"
	done
	check "$PFX:reset_no_bytes" "$why"
}

# ---------------------------------------------------------------- tlsaudit

atk_start() {
	local mode=$1 run=${2:-}
	if [ "$mode" = host ]; then
		DEVS=("$S:s0")
		ta_start_tlsaudit_ns "$S" -i s0 "${ENFORCE[@]}" -j
	else
		DEVS=("$G:g1" "$G:g2")
		ta_start_tlsaudit_ns "$G" --gateway -i g1 -i g2 --hook "$mode" "${ENFORCE[@]}" -j
	fi || { fail "$PFX:ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"; return 1; }
	pass "$PFX:ready"
	OURS=$TA_TMP/ours.$PFX$run
	ta_bpf_snapshot "$TA_PID" "$BASE" "$OURS"
}

# ---------------------------------------------------------------- restart

# atk_loop_start: a plaintext client retrying in a loop (attack_clients.py
# plain-loop), one "attempt N lport=P RESULT" line per connection
atk_loop_start() {
	LOOP_OUT=$TA_TMP/loop.$PFX.out LOOP_STOP=$TA_TMP/loop.$PFX.stop
	rm -f "$LOOP_STOP"
	LOOP_LOG_FROM=$(($(wc -l <"$SRV_LOG") + 1))
	ta_bg "$C" "$LOOP_OUT" "$LOOP_OUT.err" "${PY_CLI[@]}" plain-loop "$SRV4" "$LOOP_STOP" "$L4"
	LOOP_PID=$TA_BG_PID
}
loop_attempts() { grep -c '^attempt ' "$LOOP_OUT" 2>/dev/null; }
# atk_loop_more N: until the loop made N more attempts than now
atk_loop_more() {
	local want=$(($(loop_attempts) + $1))
	ta_wait_count "$LOOP_OUT" '^attempt ' "$want" 60 "$LOOP_PID" 2>/dev/null
}
atk_loop_stop() {
	: >"$LOOP_STOP"
	ta_reap "$LOOP_PID" 20
}
# loop_leaks: the server's log lines of bytes from the loop's connections
# (logged since the loop started: an earlier phase's may share a port)
loop_leaks() {
	tail -n +"$LOOP_LOG_FROM" "$SRV_LOG" |
		awk -v c="$L4" -v s="$SRV4:443" 'NR == FNR { if (sub(/^lport=/, "", $3)) p[$3] = 1; next }
		$1 == "data" && $2 == "tcp" && $3 == s && $4 == c && ($5 in p)' "$LOOP_OUT" -
}
# loop_unreported FILE...: loop ports (up to the loop's last attempt before
# $1 was cut) with no blocked plaintext flow event in any of the files
loop_unreported() {
	local ports
	ports=$(cat "$@" | ta_valid_json /dev/stdin |
		jq -r --arg c "$L4" 'select(.event == "flow" and .client == $c and .server_port == 443
			and .action == "blocked") | .client_port' | sort -u)
	awk '{ sub(/^lport=/, "", $3); if ($3 != 0) print $3 }' "$LOOP_CUT" | sort -u |
		comm -23 - <(printf '%s\n' "$ports")
}

# atk_restart_begin: before the run is stopped, a TLS connection it judged
# (held open for a request after the restart) and the retrying plaintext client
atk_restart_begin() {
	HOLD_FIFO=$TA_TMP/go.$PFX.restart HOLD_ERR=$TA_TMP/client.restart_tls.$PFX.err
	mkfifo "$HOLD_FIFO"
	ta_bg "$C" "$TA_TMP/client.restart_tls.$PFX.out" "$HOLD_ERR" "${PY_CLI[@]}" tls-hold "$TLS4" "$HOLD_FIFO"
	HOLD_PID=$TA_BG_PID
	wait_for_line "$HOLD_ERR" '^first_ok=' 20 "$HOLD_PID" 2>/dev/null ||
		fail "$PFX:restart_tls" "the first request was not answered" "$(cat "$HOLD_ERR")"
	atk_loop_start
	atk_loop_more 3 || fail "$PFX:restart_loop" "the plaintext loop made no attempts" "$(cat "$LOOP_OUT.err")"
}

# atk_restart_finish: the run was stopped (SIGINT). Enforcement is held:
# the loop gets nothing through in the gap, nor while the next run takes the
# links over; that run reports the gap's flows (stopped by SIGINT, so that
# what it read is all printed), and the TLS connection judged before the
# restart still works. A third run takes over and is killed (SIGKILL):
# still held. Then --release: nothing is left, and the loop's plaintext
# gets through again (what proves that the hold was what blocked it).
atk_restart_finish() {
	local why="" out1=$TA_OUT rc leaks0
	grep -q '^tlsaudit: enforcement stays on for ' "$TA_ERR" ||
		why="$why no 'enforcement stays on' line at exit;"
	[ -n "$(ta_held)" ] || why="$why no link is held;"
	atk_loop_more 10 || why="$why the loop stalled in the gap;"
	check "$PFX:restart_held_after_sigint" "$why" "$(tail -n 3 "$TA_ERR")" "$(tail -n 3 "$LOOP_OUT")"
	atk_start "$MODE" .2 || return
	cat "$OURS" >>"$OURS_ALL"
	why=""
	grep -q 'took over the enforcement an earlier run held' "$TA_ERR" ||
		why="$why no takeover said:"$'\n'"$(cat "$TA_ERR");"
	atk_loop_more 10 || why="$why the loop stalled after the restart;"
	LOOP_CUT=$TA_TMP/loop.$PFX.cut
	cp "$LOOP_OUT" "$LOOP_CUT"
	check "$PFX:restart_takeover" "$why"
	# the TLS connection judged before the restart
	# shellcheck disable=SC2016 # $1 is the inner shell's
	timeout 10 sh -c 'echo go >"$1"' sh "$HOLD_FIFO"
	ta_reap "$HOLD_PID" 20
	rc=$?
	check "$PFX:restart_tls" "$([ "$rc" -eq 0 ] || echo "the request after the restart failed (exit $rc)")" \
		"$(cat "$HOLD_ERR")"
	stop_tlsaudit
	rc=$?
	check "$PFX:restart_exit_on_sigint" "$([ "$rc" -eq 0 ] || echo "exit status $rc")" "$(tail -n 5 "$TA_ERR")"
	check "$PFX:restart_gap_reported" "$(loop_unreported "$out1" "$TA_OUT" | head -n 5 | paste -sd' ' -)" \
		"ports of the loop without a blocked flow event from either run"
	# a crash of the run that took over: still held
	atk_start "$MODE" .3 || return
	cat "$OURS" >>"$OURS_ALL"
	ta_kill_tlsaudit || fail "$PFX:restart_sigkill" "pid $TA_KILLED_PID still alive after SIGKILL"
	why=""
	[ -n "$(ta_held)" ] || why="$why no link is held after SIGKILL;"
	atk_loop_more 10 || why="$why the loop stalled after SIGKILL;"
	check "$PFX:restart_held_after_sigkill" "$why"
	atk_mark
	check "$PFX:restart_no_plaintext" "$(loop_leaks | head -n 5)" \
		"$(loop_attempts) attempts: $(awk '{ print $4 }' "$LOOP_OUT" | sort | uniq -c | paste -sd, -)"
	# --release ends it
	why=""
	ta_tlsaudit_fg "${DEVS[0]%%:*}" --release >"$TA_TMP/release.$PFX.out" 2>&1 ||
		why="$why --release failed;"
	grep -q '^tlsaudit: enforcement released: [1-9]' "$TA_TMP/release.$PFX.out" ||
		why="$why --release said: $(cat "$TA_TMP/release.$PFX.out");"
	[ -z "$(ta_held)" ] || why="$why links still held: $(ta_held | paste -sd' ' -);"
	leaks0=$(loop_leaks | grep -c .)
	atk_loop_more 5 || why="$why the loop stalled after --release;"
	atk_loop_stop
	atk_mark
	[ "$(loop_leaks | grep -c .)" -gt "$leaks0" ] ||
		why="$why after --release the loop's plaintext still did not reach the server;"
	check "$PFX:restart_release" "$why" "$(cat "$TA_TMP/release.$PFX.out")" "$(tail -n 3 "$LOOP_OUT")"
	OURS=$OURS_ALL
}

# the flow events against $EXPECT, and the stats line
atk_check_events() {
	local ev=$TA_TMP/events.$PFX.jsonl name caddr port verdict action got why stats
	ta_valid_json "$TA_OUT" >"$ev"
	while read -r name caddr port verdict action; do
		got=$(jq -c --arg c "$caddr" --argjson p "$port" \
			'select(.event == "flow" and .client == $c and .client_port == $p)
			 | {verdict, action, first_bytes_conflict}' "$ev")
		why=""
		if [ -z "$got" ]; then
			why="no flow event for $caddr:$port"
		elif [ "$(printf '%s\n' "$got" | grep -c .)" -ne 1 ]; then
			why="$(printf '%s\n' "$got" | grep -c .) flow events for $caddr:$port, want 1 (state was reset)"
		elif [ "$verdict" = '!quic' ]; then
			printf '%s\n' "$got" | jq -e 'select(.verdict == "quic")' >/dev/null && why="verdict quic"
		else
			printf '%s\n' "$got" | jq -e --arg v "$verdict" 'select(.verdict == $v)' >/dev/null ||
				why="verdict is not $verdict"
		fi
		if [ -z "$got" ]; then
			:
		elif [ "$action" = blocked ]; then
			printf '%s\n' "$got" | jq -e 'select(.action == "blocked")' >/dev/null ||
				why="${why:+$why; }not blocked"
		else
			printf '%s\n' "$got" | jq -e 'select(.action == "blocked")' >/dev/null &&
				why="${why:+$why; }blocked"
		fi
		check "$PFX:verdict:$name:$port" "$why" "$got"
	done <"$EXPECT"
	stats=$(jq -c 'select(.event == "stats")' "$ev")
	why=$(printf '%s\n' "$stats" | jq -rs 'if length != 1 then "\(length) stats lines"
		else .[0] | [if .ringbuf_drops != 0 then "ringbuf_drops=\(.ringbuf_drops)" else empty end,
			if .verdicts_lost != 0 then "verdicts_lost=\(.verdicts_lost)" else empty end] | join("; ") end')
	check "$PFX:stats_no_drops" "$why" "$stats"
}

phase() {
	local mode=$1
	PFX=$mode MODE=$mode
	EXPECT=$TA_TMP/expect.$PFX
	: >"$EXPECT"
	atk_start "$mode" || return
	atk_reset_start
	atk_tfo plain tfo_plain
	atk_tfo tls tfo_tls
	atk_raw badsum badsum 4 tls -
	atk_raw noack noack 4 plaintext_http blocked
	[ "$mode" != host ] && atk_raw ttl ttl 4 tls -
	atk_raw syn-blocked syn_blocked 4 plaintext_http blocked
	atk_raw syn-tls syn_tls 4 tls -
	atk_rst_tls rst_tls rst-only
	atk_rst_tls rst_syn_tls rst-syn-only
	atk_raw rst-blocked rst_blocked 4 plaintext_http blocked
	atk_raw rst-syn rst_syn_blocked 4 plaintext_http blocked
	atk_udp fakequic udp_fakequic
	atk_udp hello udp_hello
	atk_server_first
	atk_raw frag-tiny frag_tiny 4
	atk_raw frag-data frag_data 4
	atk_raw v6-exthdr5 v6_exthdr5 6 plaintext_http blocked
	atk_raw v6-exthdr6 v6_exthdr6 6
	atk_raw v6-exthdr v6_exthdr 6
	atk_reset_finish
	local rc
	DEV_BASE_RUN=$DEV_BASE_G
	[ "${DEVS[0]}" = "$S:s0" ] && DEV_BASE_RUN=$DEV_BASE_S0
	OURS_ALL=$TA_TMP/ours.$PFX.all
	cp "$OURS" "$OURS_ALL"
	atk_restart_begin
	stop_tlsaudit
	rc=$?
	check "$PFX:exit_on_sigint" "$([ "$rc" -eq 0 ] || echo "exit status $rc")" "$(tail -n 5 "$TA_ERR")"
	atk_check_events
	atk_restart_finish
	ta_check_no_residue "$PFX:no_residue" --ours "$OURS" --devs "$DEV_BASE_RUN" "${DEVS[@]}"
}

# control: the same attacks with no tlsaudit at all; each must get its
# plaintext to the server (or its banner to the client), or it proves nothing
phase_control() {
	PFX=control CONTROL=1 EXPECT=/dev/null
	atk_tfo plain tfo_plain
	atk_raw badsum badsum
	atk_raw noack noack
	atk_raw ttl ttl
	atk_raw syn-blocked syn_blocked
	atk_raw syn-tls syn_tls
	atk_rst_tls rst_tls rst-only
	atk_rst_tls rst_syn_tls rst-syn-only
	atk_raw rst-blocked rst_blocked
	atk_raw rst-syn rst_syn_blocked
	atk_udp fakequic udp_fakequic
	atk_udp hello udp_hello
	atk_server_first
	atk_raw frag-tiny frag_tiny
	atk_raw frag-data frag_data
	atk_raw v6-exthdr5 v6_exthdr5 6
	atk_raw v6-exthdr6 v6_exthdr6 6
	atk_raw v6-exthdr v6_exthdr 6
	atk_loop_start
	atk_loop_more 3
	atk_loop_stop
	atk_mark
	if [ "$(loop_leaks | grep -c .)" -gt 0 ]; then pass "$PFX:restart_loop"; else
		fail "$PFX:restart_loop" "without tlsaudit the retrying client's plaintext never reached the server" \
			"$(tail -n 3 "$LOOP_OUT")"
	fi
	CONTROL=0
}

# ---------------------------------------------------------------- main

ta_private_bpffs
atk_setup
PFX=setup
if atk_mark; then pass "setup:server_reachable"; else
	fail "setup:server_reachable" "no marker reached the server before tlsaudit ran"
	exit 1
fi
CONTROL=0
[ "${TA_ATK_CONTROL:-1}" = 1 ] && phase_control
BASE=$TA_TMP/base_progs
ta_bpf_named >"$BASE"
for mode in $MODES; do
	phase "$mode"
done
# options of the hold that make no sense: exit 2, one line, nothing held
for a in "-i s0 --no-hold" "--release --enforce" "--enforce -i s0 -i ta-nosuch"; do
	# shellcheck disable=SC2086  # the options, split on purpose
	ta_tlsaudit_fg "$S" $a </dev/null >"$TA_TMP/bad.out" 2>"$TA_TMP/bad.err"
	rc=$?
	why=""
	[ "$rc" -eq 2 ] || why="exit $rc (want 2);"
	[ "$(wc -l <"$TA_TMP/bad.err")" -eq 1 ] || why="$why $(wc -l <"$TA_TMP/bad.err") stderr lines (want 1);"
	[ -z "$(ta_held)" ] || why="$why links held: $(ta_held | paste -sd' ' -);"
	check "options:${a// /=}" "$why" "$(head -n 5 "$TA_TMP/bad.err")"
done
ta_finish "$T"
