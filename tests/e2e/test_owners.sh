#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_owners.sh - end-to-end test of flow ownership: which local
# process each flow is reported for, from either side, in a container, on an
# interface that appears later, for connections older than tlsaudit, for
# processes that are gone (and whose pid is reused), and with a hostile name.
#
# Topology (lib.sh, plus):
#
#   ta-cli-$$  c0 10.203.0.1 <-veth-> s0 10.203.0.2 nginx TLS :443      ta-srv-$$
#   ("host")                             10.203.0.3 nginx plain :443
#                                        10.203.0.4 openssl s_server -www :443
#              hveth 10.204.0.1          10.203.0.5 python "lateaccept" :443
#                 ^ veth                 nv1 10.205.0.1 (part 3, comes and goes)
#   ta-ct-$$   ct0 10.204.0.2  (container: default via 10.204.0.1; the client
#                               netns forwards to the servers)
#   ta-new-$$  nv0 10.205.0.2  (part 3: created after tlsaudit is ready)
#
# The container's host is the client netns, which forwards to the servers: a
# flow towards an address of the netns tlsaudit runs in is reported from the
# server's side (pick_server() in user/pipeline.c), and the container case is
# about the client in the container.
#
# Groups (PASS/FAIL lines):
#   srv:*      tlsaudit on s0 in the server netns: role "server", pid/comm of
#              the process that accepted (nginx worker, openssl, python), peer =
#              the client process
#   cli:*      tlsaudit on c0 in the client netns: role "client", peer = the
#              server process. "late" is a plaintext server that accept()s only
#              once the client's request is queued in its socket: the usual
#              order for plaintext clients (they talk first) made deterministic
#   ct:*       client in netns ta-ct-$$ and cgroup /ta-test-$$/docker-<id>.scope,
#              watched on hveth: cgroup, container, netns, pid, also for a
#              client that is gone before tlsaudit reads its event (tlsaudit
#              is SIGSTOPped meanwhile); --container (12-hex prefix), --cgroup
#              (absolute, relative, full path), --pid filters; bad filter
#              values exit 2 with one stderr line and leave nothing behind
#   newif:*    no -i: a veth created later is watched within 1 s, its flows
#              carry its name; deleting it is harmless, the same name created
#              again is watched again; only expected stderr lines; SIGINT -> 0
#   pre:*      a TLS connection established before tlsaudit: one "midstream"
#              event with its owner, nothing more when it talks again
#   reuse:*    a process that exits at once keeps its pid/comm; a later process
#              with the same pid gets its own flows and its own summary row;
#              also with the same name, both gone before tlsaudit reads their
#              events (tlsaudit SIGSTOPped meanwhile)
#   hostile:*  a comm with quote, backslash, newline and ESC: JSON stays valid
#              and round-trips the bytes; the text output escapes them
#
# Usage (root):  tests/e2e/test_owners.sh
#   TLSAUDIT=path, TA_E2E_KEEP=1, TA_E2E_VERBOSE=1, TA_WAIT: see lib.sh
#   TA_OWNERS_PARTS="srv cli ct newif pre reuse hostile"  the parts to run
#
# Output: one line per assertion group, "PASS: <name>" or "FAIL: <name>: ...";
# exit status 1 if any FAIL.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_owners
ta_e2e_init "$T" ip nsenter ss jq curl openssl bpftool od stat "$TA_NGINX" "$TA_PY"

PARTS=${TA_OWNERS_PARTS:-srv cli ct newif pre reuse hostile}

TA_OSSL4=10.203.0.4
TA_LATE4=10.203.0.5
CT_NS=ta-ct-$$
CT_IF=ct0
HOST_IF=hveth
CT4=10.204.0.2
HOST4=10.204.0.1
NEW_NS=ta-new-$$
NEW_IF=nv0
NEW_PEER=nv1
NEW4=10.205.0.2
NEWGW4=10.205.0.1

MY_UID=$(id -u)
MY_CGROUP=$(sed -n 's/^0:://p' /proc/self/cgroup)

now_ms() { echo $(($(date +%s%N) / 1000000)); }
TIMINGS=()
timing() { TIMINGS+=("$1 $(($(now_ms) - $2)) ms"); }

# ---------------------------------------------------------------- clients

# plaintext, then exit at once: ADDR COMM_HEX [WANT_PID]. The comm is set
# from hex bytes and read back from /proc/self/comm before connecting.
PY_SHORT='
import ctypes, os, socket, sys
if len(sys.argv) > 3 and os.getpid() != int(sys.argv[3]):
    sys.exit(99)
name = bytes.fromhex(sys.argv[2])
if ctypes.CDLL(None).prctl(15, name, 0, 0, 0) != 0:
    sys.exit(98)
with open("/proc/self/comm", "rb") as f:
    if f.read()[:-1] != name:
        sys.exit(97)
s = socket.create_connection((sys.argv[1], 443), timeout=10)
s.sendall(b"hello plaintext\r\n")
sys.stdout.write("pid=%d port=%d\n" % (os.getpid(), s.getsockname()[1]))
'

# a plaintext HTTP server that accept()s one connection per line on stdin
# (so the test decides when), comm "lateaccept"
PY_LATE='
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, b"lateaccept", 0, 0, 0)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], 443))
ls.listen(16)
for line in sys.stdin:
    c, a = ls.accept()
    c.settimeout(10)
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    c.close()
    print("served %s %d" % a, flush=True)
'

# a long-lived client driven by lines on stdin: "tls ADDR" or "plain ADDR"
# makes one connection; prints "done N PORT" after each.
PY_DRIVER='
import os, socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
print("ready %d" % os.getpid(), flush=True)
n = 0
for line in sys.stdin:
    kind, addr = line.split()
    s = socket.create_connection((addr, 443), timeout=10)
    port = s.getsockname()[1]
    if kind == "tls":
        t = ctx.wrap_socket(s, server_hostname="srv.test")
        t.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while t.recv(4096):
            pass
        t.close()
    else:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
        s.close()
    n += 1
    print("done %d %d" % (n, port), flush=True)
'

hex_of() { od -An -tx1 | tr -d ' \n'; }

# curl_result NAME RC: what is wrong with the curl run NAME that exited RC
# (body 'ok', its local port on stdout); sets CL_PORT and CL_WHY (empty on
# success)
curl_result() {
	local name=$1 rc=$2
	CL_PORT=$(cat "$TA_TMP/client.$name.out" 2>/dev/null)
	CL_WHY=""
	if [ "$rc" -ne 0 ]; then
		CL_WHY="curl exit $rc: $(head -c 300 "$TA_TMP/client.$name.err")"
	elif [ "$(cat "$TA_TMP/client.$name.body")" != ok ]; then
		CL_WHY="body is not 'ok': $(head -c 300 "$TA_TMP/client.$name.body")"
	elif ! [[ $CL_PORT =~ ^[0-9]+$ ]] || [ "$CL_PORT" -eq 0 ]; then
		CL_WHY="no local port from curl: '$CL_PORT'"
	fi
}

# curl_client NAME NS CGROUP URL [CURL ARGS]: curl with the body to a file and
# its local port on stdout; sets CL_PID, CL_PORT, CL_WHY (empty on success)
curl_client() {
	local name=$1 ns=$2 cg=$3 url=$4
	shift 4
	ta_run_client_in "$name" "$ns" "$cg" curl --noproxy '*' -sS --max-time 10 "$@" \
		-o "$TA_TMP/client.$name.body" -w '%{local_port}' "$url"
	curl_result "$name" $?
	CL_PID=$RUN_CLIENT_PID
}

# py_tls_client NAME NS CGROUP ADDR [tls_get.py OPTIONS]: the python ssl
# client (tls_get.py, any HTTP 200 reply); sets CL_PID, CL_PORT, CL_RC,
# CL_WHY (the pid python saw must be the recorded one)
py_tls_client() {
	local name=$1 ns=$2 cg=$3 addr=$4 real
	shift 4
	ta_run_client_in "$name" "$ns" "$cg" "$TA_PY" "$TA_E2E_DIR/tls_get.py" "$addr" --any-200 "$@"
	CL_RC=$?
	CL_PID=$RUN_CLIENT_PID
	CL_PORT=$(sed -n 's/^lport=//p' "$TA_TMP/client.$name.err")
	real=$(sed -n 's/^pid=//p' "$TA_TMP/client.$name.err")
	CL_WHY=""
	if [ "$CL_RC" -ne 0 ]; then
		CL_WHY="python exit $CL_RC: $(head -c 300 "$TA_TMP/client.$name.err")"
	elif [ "$real" != "$CL_PID" ]; then
		CL_WHY="recorded pid $CL_PID but python ran as $real"
	elif [ -z "$CL_PORT" ]; then
		CL_WHY="no local port"
	fi
}

# ---------------------------------------------------------------- checks

# field_mismatches JSON PATH=VALUE...: " PATH=GOT want VALUE;" for each
# assertion that does not hold. PATH is dotted (.peer.pid); a missing field
# reads as "<absent>", objects as compact JSON. One jq for all of them.
field_mismatches() {
	local ev=$1
	shift
	printf '%s\n' "$ev" | jq -r --args '. as $e
		| [$ARGS.positional[] | index("=") as $i | .[:$i] as $path | .[$i + 1:] as $want
		   | ($e | getpath($path | ltrimstr(".") | split("."))) as $v
		   | (if $v == null then "<absent>" else ($v | tostring) end) as $got
		   | select($got != $want) | " \($path)=\($got) want \($want);"] | join("")' "$@" 2>&1
}

# check_one NAME FILE SELECTOR PATH=VALUE...: exactly one valid JSON line of
# FILE matches the jq SELECTOR, and each PATH=VALUE holds for it.
# On a count mismatch, every event of the selector's kind is listed.
# Sets EV to the event.
check_one() {
	local name=$1 file=$2 sel=$3 n why kind
	shift 3
	EV=$(ta_valid_json "$file" | jq -c "select($sel)" 2>&1)
	n=$(printf '%s' "$EV" | grep -c .)
	if [ "$n" -ne 1 ]; then
		kind=$(printf '%s' "$sel" | sed -n 's/^\.event == "\([a-z]*\)".*/\1/p')
		fail "$name" "$n events match ($sel), want 1" "$EV" "all ${kind:-flow} events:" \
			"$(ta_valid_json "$file" | jq -c --arg k "${kind:-flow}" 'select(.event == $k)')"
		return 1
	fi
	why=$(field_mismatches "$EV" "$@")
	if [ -z "$why" ]; then pass "$name"; return 0; fi
	fail "$name" "$why" "$EV"
	return 1
}

# check_none NAME FILE SELECTOR: no valid JSON line matches
check_none() {
	local evs
	evs=$(ta_valid_json "$2" | jq -c "select($3)")
	if [ -z "$evs" ]; then pass "$1"; else fail "$1" "unexpected events ($3)" "$evs"; fi
}

# count_of FILE SELECTOR
count_of() { ta_valid_json "$1" | jq -c "select($2)" | grep -c .; }

# check_stop NAME: SIGINT the running tlsaudit; PASS if it exits 0
check_stop() {
	local rc err=$TA_ERR
	stop_tlsaudit
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "$1"; else fail "$1" "exit status $rc, want 0" "$(tail -n 20 "$err")"; fi
}

# start_or_fail NAME NS ARGS...: start tlsaudit, PASS/FAIL NAME
start_or_fail() {
	local name=$1
	shift
	if ta_start_tlsaudit_ns "$@"; then
		pass "$name"
		return 0
	fi
	fail "$name" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
	[ -n "$TA_PID" ] && ta_stop_pid "$TA_PID" INT 5
	TA_PID=""
	return 1
}

# traffic_ok NAME WHY: a client's own result (harness)
traffic_ok() {
	if [ -z "$2" ]; then pass "$1"; return 0; fi
	fail "$1" "$2"
	return 1
}

uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ================================================================ setup

setup_netns
ta_addr "$TA_SRV_NS" "$TA_SRV_IF" "$TA_OSSL4/24" "$TA_LATE4/24"
start_tls_server
start_plain_server
start_openssl_server "$TA_OSSL4" 443

# the late-accepting server; the test holds its stdin (LATE_W), opened before
# the wait: the server's open of the fifo returns only once a writer is there
mkfifo "$TA_TMP/late.fifo"
TA_BG_STDIN=$TA_TMP/late.fifo ta_bg "$TA_SRV_NS" "$TA_TMP/late.out" "$TA_TMP/late.err" \
	"$TA_PY" -c "$PY_LATE" "$TA_LATE4"
LATE_PID=$TA_BG_PID
exec {LATE_W}>"$TA_TMP/late.fifo"
ta_wait_listens "$TA_SRV_NS" "$LATE_PID" "$TA_LATE4:443" ||
	ta_die "late-accept server did not start: $(cat "$TA_TMP/late.err")"
[ "$(cat "/proc/$LATE_PID/comm")" = lateaccept ] || ta_die "late-accept server comm $(cat "/proc/$LATE_PID/comm")"
LATE_UID=$(uid_of "$LATE_PID")

SRV_INO=$(ta_netns_ino "$TA_SRV_NS")

# the processes that accept: nginx's workers (worker_processes 1) and openssl
TLS_WORKER=$(ta_nginx_workers "$TA_TLS_PID")
PLAIN_WORKER=$(ta_nginx_workers "$TA_PLAIN_PID")
if [ "$(printf '%s\n' "$TLS_WORKER" | grep -c .)" -ne 1 ] ||
	[ "$(printf '%s\n' "$PLAIN_WORKER" | grep -c .)" -ne 1 ]; then
	echo "FAIL: harness:nginx_workers: want one worker each, got TLS '$TLS_WORKER' plain '$PLAIN_WORKER'"
	exit 1
fi
for w in "$TLS_WORKER" "$PLAIN_WORKER"; do
	[ "$(cat "/proc/$w/comm")" = nginx ] || ta_die "nginx worker $w has comm $(cat "/proc/$w/comm")"
done
TLS_WORKER_UID=$(uid_of "$TLS_WORKER")
PLAIN_WORKER_UID=$(uid_of "$PLAIN_WORKER")
OSSL_UID=$(uid_of "$TA_OSSL_PID")
[ "$(cat "/proc/$TA_OSSL_PID/comm")" = openssl ] || ta_die "openssl s_server comm is $(cat "/proc/$TA_OSSL_PID/comm")"
ta_log "nginx TLS master $TA_TLS_PID worker $TLS_WORKER; plain master $TA_PLAIN_PID worker $PLAIN_WORKER; openssl $TA_OSSL_PID"

ORPH_BASE=$TA_TMP/orphans.base
ta_bpf_orphans | sort >"$ORPH_BASE"

# ================================================================ 1. both sides

# side_clients TAG: the same real clients for either side's run; one line per
# client in $TA_TMP/side.TAG: name pid port verdict server srvpid srvcomm
# srvuid clientcomm
N_PLAIN=4   # the plaintext client races the server's accept(): several of them

# late_queued: a request sits in the late server's not yet accepted socket
late_queued() {
	[ -n "$(nsenter --net="/run/netns/$TA_SRV_NS" ss -Htn state established "( sport = :443 )" |
		awk -v l="$TA_LATE4:443" '$3 == l && $1 > 0 { print $1 }')" ]
}

# late_client NAME: curl http://TA_LATE4:443/ from the client netns; once its
# request sits in the server's not yet accepted socket, let the server
# accept. Sets CL_PID, CL_PORT, CL_WHY.
late_client() {
	local name=$1 rc why=""
	ta_bg "$TA_CLI_NS" "$TA_TMP/client.$name.out" "$TA_TMP/client.$name.err" \
		curl --noproxy '*' -sS --max-time 15 -o "$TA_TMP/client.$name.body" -w '%{local_port}' \
		"http://$TA_LATE4:443/"
	CL_PID=$TA_BG_PID
	echo "$name $CL_PID" >>"$TA_CLIENTS"
	ta_wait_until "$TA_WAIT" "$CL_PID" late_queued || why="the request never queued at the server"
	echo accept >&"$LATE_W"
	ta_reap "$CL_PID"
	rc=$?
	[ "$rc" -eq 124 ] && why="$why curl timed out"
	curl_result "$name" "$rc"
	[ -n "$why" ] && CL_WHY=$why
}

side_clients() {
	local tag=$1 rec=$TA_TMP/side.$1 i
	: >"$rec"
	curl_client "${tag}_curl_tls" "$TA_CLI_NS" "" "https://$TA_TLS4/" -k
	traffic_ok "$tag:traffic:curl_tls" "$CL_WHY" &&
		echo "${tag}_curl_tls $CL_PID $CL_PORT tls $TA_TLS4 $TLS_WORKER nginx $TLS_WORKER_UID curl" >>"$rec"
	py_tls_client "${tag}_python_tls" "$TA_CLI_NS" "" "$TA_OSSL4"
	traffic_ok "$tag:traffic:python_tls" "$CL_WHY" &&
		echo "${tag}_python_tls $CL_PID $CL_PORT tls $TA_OSSL4 $TA_OSSL_PID openssl $OSSL_UID python3" >>"$rec"
	for i in $(seq "$N_PLAIN"); do
		curl_client "${tag}_curl_http_$i" "$TA_CLI_NS" "" "http://$TA_PLAIN4:443/"
		traffic_ok "$tag:traffic:curl_http_$i" "$CL_WHY" &&
			echo "${tag}_curl_http_$i $CL_PID $CL_PORT plaintext_http $TA_PLAIN4 $PLAIN_WORKER nginx $PLAIN_WORKER_UID curl" >>"$rec"
	done
	late_client "${tag}_curl_late"
	traffic_ok "$tag:traffic:curl_late" "$CL_WHY" &&
		echo "${tag}_curl_late $CL_PID $CL_PORT plaintext_http $TA_LATE4 $LATE_PID lateaccept $LATE_UID curl" >>"$rec"
}

# the server processes' summary rows: one each, with the side's role
check_server_rows() {
	local tag=$1 out=$2 label pid comm want_flows
	while read -r label pid comm want_flows; do
		check_one "$tag:summary:$label" "$out" ".event == \"process\" and .pid == $pid" \
			".comm=$comm" ".role=server" ".flows=$want_flows"
	done <<EOF
nginx_tls_worker $TLS_WORKER nginx {"tls":1}
nginx_plain_worker $PLAIN_WORKER nginx {"plaintext_http":$N_PLAIN}
openssl $TA_OSSL_PID openssl {"tls":1}
lateaccept $LATE_PID lateaccept {"plaintext_http":1}
EOF
}

# side_flow_srv/side_flow_cli NAME OUT: one client's flow as each side's
# tlsaudit must report it (the fields read from side_clients' record)
side_flow_srv() {
	check_one "srv:flow:${1#srv_}" "$2" ".event == \"flow\" and .client_port == $port and .server == \"$server\"" \
		".verdict=$verdict" ".role=server" ".pid=$spid" ".comm=$scomm" ".uid=$suid" \
		".iface=$TA_SRV_IF" ".client=$TA_CLI4" ".server_port=443" ".l4=tcp" ".netns=$SRV_INO" \
		".peer.pid=$pid" ".peer.comm=$ccomm" ".peer.role=client" ".peer.uid=$MY_UID"
}
side_flow_cli() {
	check_one "cli:flow:${1#cli_}" "$2" ".event == \"flow\" and .client_port == $port and .server == \"$server\"" \
		".verdict=$verdict" ".role=client" ".pid=$pid" ".comm=$ccomm" ".uid=$MY_UID" \
		".iface=$TA_CLI_IF" ".client=$TA_CLI4" ".server_port=443" ".l4=tcp" \
		".peer.pid=$spid" ".peer.comm=$scomm" ".peer.role=server" ".peer.uid=$suid"
	check_one "cli:summary:${1#cli_}" "$2" ".event == \"process\" and .pid == $pid" \
		".comm=$ccomm" ".role=client" ".flows={\"$verdict\":1}"
}

# part_side TAG NS DEV WHAT: tlsaudit on DEV in NS, the side clients, each
# flow as side_flow_TAG says, nothing more, the server rows
part_side() {
	local tag=$1 ns=$2 dev=$3 what=$4 t0 out name pid port verdict server spid scomm suid ccomm n
	t0=$(now_ms)
	start_or_fail "$tag:tlsaudit_ready" "$ns" -j -i "$dev" || return
	out=$TA_OUT
	side_clients "$tag"
	check_stop "$tag:exit_on_sigint"
	ta_check_json_lines "$tag:json_lines" "$out"
	while read -r name pid port verdict server spid scomm suid ccomm; do
		"side_flow_$tag" "$name" "$out"
	done <"$TA_TMP/side.$tag"
	n=$(count_of "$out" '.event == "flow"')
	if [ "$n" -eq "$(grep -c . "$TA_TMP/side.$tag")" ]; then pass "$tag:no_extra_flows"; else
		fail "$tag:no_extra_flows" "$n flow events for $(grep -c . "$TA_TMP/side.$tag") clients" \
			"$(ta_valid_json "$out" | jq -c 'select(.event == "flow")')"
	fi
	check_server_rows "$tag" "$out"
	timing "$what" "$t0"
}

# ================================================================ 2. container

setup_container() {
	ta_add_netns "$CT_NS"
	ta_veth "$CT_NS" "$CT_IF" "$TA_CLI_NS" "$HOST_IF"
	ta_addr "$CT_NS" "$CT_IF" "$CT4/24"
	ta_addr "$TA_CLI_NS" "$HOST_IF" "$HOST4/24"
	ta_up "$CT_NS:$CT_IF" "$TA_CLI_NS:$HOST_IF"
	ta_default_route "$CT_NS" "$CT_IF" "$HOST4"
	ta_sysctl "$TA_CLI_NS" net.ipv4.ip_forward=1
	ip -n "$TA_SRV_NS" route add "${CT4%.*}.0/24" via "$TA_CLI4" || ta_die "server route to the container failed"
	CT_ID=$(head -c 32 /dev/urandom | hex_of)
	[ "${#CT_ID}" -eq 64 ] || ta_die "container id '$CT_ID'"
	ta_make_cgroup "ta-test-$$/docker-$CT_ID.scope"
	CT_CG=$TA_CGROUP_PATH
	CT_CG_REL=/ta-test-$$/docker-$CT_ID.scope
	CT_INO=$(ta_netns_ino "$CT_NS")
}

# the harness itself: a process started the way the container clients are
# runs with the recorded pid, in the container's cgroup and netns
check_container_exec() {
	local real cg ino why=""
	ta_run_client_in ct_probe "$CT_NS" "$CT_CG" "$TA_PY" -c '
import os
print(os.getpid())
print([l[3:] for l in open("/proc/self/cgroup").read().splitlines() if l.startswith("0::")][0])
print(os.stat("/proc/self/ns/net").st_ino)'
	real=$(sed -n 1p "$TA_TMP/client.ct_probe.out")
	cg=$(sed -n 2p "$TA_TMP/client.ct_probe.out")
	ino=$(sed -n 3p "$TA_TMP/client.ct_probe.out")
	[ "$real" = "$RUN_CLIENT_PID" ] || why="$why pid $real, recorded $RUN_CLIENT_PID;"
	[ "$cg" = "$CT_CG_REL" ] || why="$why cgroup $cg, want $CT_CG_REL;"
	[ "$ino" = "$CT_INO" ] || why="$why netns $ino, want $CT_INO;"
	if [ -z "$why" ]; then pass "ct:harness:exec_in_container"; else
		fail "ct:harness:exec_in_container" "$why" "$(cat "$TA_TMP/client.ct_probe.err")"
	fi
}

# ct_pair TAG: one TLS curl in the container (netns + cgroup) and one
# plaintext curl from the container netns outside that cgroup. Sets CT_PID,
# CT_PORT, OTHER_PID, OTHER_PORT.
ct_pair() {
	local tag=$1
	curl_client "ct_${tag}_in" "$CT_NS" "$CT_CG" "https://$TA_TLS4/" -k
	traffic_ok "ct:$tag:traffic:container_curl" "$CL_WHY"
	CT_PID=$CL_PID CT_PORT=$CL_PORT
	curl_client "ct_${tag}_out" "$CT_NS" "" "http://$TA_PLAIN4:443/"
	traffic_ok "ct:$tag:traffic:other_curl" "$CL_WHY"
	OTHER_PID=$CL_PID OTHER_PORT=$CL_PORT
}

# the container client's flow event, with everything it must say
check_ct_flow() {
	local name=$1 out=$2
	check_one "$name" "$out" ".event == \"flow\" and .client_port == $CT_PORT and .server == \"$TA_TLS4\"" \
		".verdict=tls" ".pid=$CT_PID" ".comm=curl" ".role=client" ".uid=$MY_UID" \
		".cgroup=$CT_CG_REL" ".container=$CT_ID" ".netns=$CT_INO" ".iface=$HOST_IF" \
		".client=$CT4" ".server_port=443"
}

# filter_run NAME ARGS...: tlsaudit with a filter; the container pair; only
# the container client's flow is reported, the other is counted as filtered
filter_run() {
	local name=$1 out n
	shift
	start_or_fail "ct:$name:tlsaudit_ready" "$TA_CLI_NS" -j -i "$HOST_IF" "$@" || return
	out=$TA_OUT
	ct_pair "$name"
	check_stop "ct:$name:exit_on_sigint"
	ta_check_json_lines "ct:$name:json_lines" "$out"
	check_ct_flow "ct:$name:container_flow_shown" "$out"
	check_none "ct:$name:other_flow_hidden" "$out" \
		".event == \"flow\" and (.client_port == $OTHER_PORT or .pid == $OTHER_PID)"
	n=$(count_of "$out" '.event == "flow"')
	if [ "$n" -eq 1 ]; then pass "ct:$name:only_one_flow"; else
		fail "ct:$name:only_one_flow" "$n flow events, want 1" \
			"$(ta_valid_json "$out" | jq -c 'select(.event == "flow")')"
	fi
	check_one "ct:$name:stats_filtered" "$out" '.event == "stats"' ".filtered=1"
	check_none "ct:$name:no_row_for_other" "$out" ".event == \"process\" and .pid == $OTHER_PID"
}

part_container() {
	local t0 out fifo drv drvpid dport1 dport2 n a rc lines base gone_pid gone_port=""
	t0=$(now_ms)
	setup_container
	check_container_exec

	# unfiltered
	start_or_fail "ct:tlsaudit_ready" "$TA_CLI_NS" -j -i "$HOST_IF" || return
	out=$TA_OUT
	ct_pair all
	# a container process that is gone before tlsaudit reads its event:
	# tlsaudit is stopped while the client connects, sends and exits (its
	# identity must come from the kernel, not from /proc afterwards)
	kill -STOP "$TA_PID"
	ta_run_client_in ct_gone "$CT_NS" "$CT_CG" "$TA_PY" -c "$PY_SHORT" "$TA_PLAIN4" "$(printf ctgone | hex_of)"
	rc=$?
	gone_pid=$RUN_CLIENT_PID
	gone_port=$(sed -n 's/^pid=[0-9]* port=//p' "$TA_TMP/client.ct_gone.out")
	kill -CONT "$TA_PID"
	if [ "$rc" -eq 0 ] && [ -n "$gone_port" ] &&
		[ "$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$TA_TMP/client.ct_gone.out")" = "$gone_pid" ]; then
		pass "ct:traffic:gone_client"
		ta_wait_jq "$out" ".event == \"flow\" and .client_port == $gone_port" "$TA_WAIT" "$TA_PID"
	else
		fail "ct:traffic:gone_client" "exit $rc" "$(cat "$TA_TMP/client.ct_gone.out" "$TA_TMP/client.ct_gone.err")"
	fi
	check_stop "ct:exit_on_sigint"
	ta_check_json_lines "ct:json_lines" "$out"
	check_ct_flow "ct:container_flow" "$out"
	check_one "ct:other_flow" "$out" ".event == \"flow\" and .client_port == $OTHER_PORT and .server == \"$TA_PLAIN4\"" \
		".verdict=plaintext_http" ".pid=$OTHER_PID" ".comm=curl" ".role=client" \
		".cgroup=$MY_CGROUP" ".container=<absent>" ".iface=$HOST_IF" ".client=$CT4"
	check_one "ct:summary_container_row" "$out" ".event == \"process\" and .pid == $CT_PID" \
		".comm=curl" ".role=client" ".container=$CT_ID" '.flows={"tls":1}'
	[ -n "$gone_port" ] && check_one "ct:gone_process_flow" "$out" ".event == \"flow\" and .client_port == $gone_port" \
		".verdict=plaintext" ".pid=$gone_pid" ".comm=ctgone" ".role=client" ".uid=$MY_UID" \
		".cgroup=$CT_CG_REL" ".container=$CT_ID" ".netns=$CT_INO" ".iface=$HOST_IF" ".client=$CT4"

	filter_run container --container "${CT_ID:0:12}"
	filter_run cgroup --cgroup "/ta-test-$$"
	# the same cgroup written relative to the mount, and as a full path
	filter_run cgroup_relative --cgroup "ta-test-$$"
	filter_run cgroup_full_path --cgroup "$(ta_cgroup2_mount)/ta-test-$$"

	# --pid: a long-lived client in the container netns makes two
	# connections; the container pair's flows are hidden
	fifo=$TA_TMP/driver.fifo
	mkfifo "$fifo"
	TA_BG_STDIN=$fifo ta_bg "$CT_NS" "$TA_TMP/driver.out" "$TA_TMP/driver.err" "$TA_PY" -c "$PY_DRIVER"
	drvpid=$TA_BG_PID
	exec {drv}>"$fifo"
	if ! wait_for_line "$TA_TMP/driver.out" "^ready $drvpid\$" "$TA_WAIT" "$drvpid"; then
		fail "ct:pid:driver" "driver $drvpid did not start" "$(cat "$TA_TMP/driver.out" "$TA_TMP/driver.err")"
		exec {drv}>&-
		return
	fi
	if start_or_fail "ct:pid:tlsaudit_ready" "$TA_CLI_NS" -j -i "$HOST_IF" --pid "$drvpid"; then
		out=$TA_OUT
		echo "tls $TA_TLS4" >&"$drv"
		wait_for_line "$TA_TMP/driver.out" '^done 1 ' "$TA_WAIT" "$drvpid"
		echo "plain $TA_PLAIN4" >&"$drv"
		wait_for_line "$TA_TMP/driver.out" '^done 2 ' "$TA_WAIT" "$drvpid"
		dport1=$(awk '$1 == "done" && $2 == 1 { print $3 }' "$TA_TMP/driver.out")
		dport2=$(awk '$1 == "done" && $2 == 2 { print $3 }' "$TA_TMP/driver.out")
		ct_pair pid
		check_stop "ct:pid:exit_on_sigint"
		ta_check_json_lines "ct:pid:json_lines" "$out"
		if [ -z "$dport1" ] || [ -z "$dport2" ]; then
			fail "ct:pid:traffic:driver" "driver did not make its connections" \
				"$(cat "$TA_TMP/driver.out" "$TA_TMP/driver.err")"
		else
			check_one "ct:pid:driver_tls_shown" "$out" ".event == \"flow\" and .client_port == $dport1" \
				".verdict=tls" ".pid=$drvpid" ".comm=python3" ".role=client"
			check_one "ct:pid:driver_plain_shown" "$out" ".event == \"flow\" and .client_port == $dport2" \
				".verdict=plaintext_http" ".pid=$drvpid" ".comm=python3" ".role=client"
		fi
		check_none "ct:pid:others_hidden" "$out" ".event == \"flow\" and .pid != $drvpid"
		n=$(count_of "$out" '.event == "flow"')
		if [ "$n" -eq 2 ]; then pass "ct:pid:flow_count"; else
			fail "ct:pid:flow_count" "$n flow events, want 2" \
				"$(ta_valid_json "$out" | jq -c 'select(.event == "flow")')"
		fi
		check_one "ct:pid:stats_filtered" "$out" '.event == "stats"' ".filtered=2"
	fi
	exec {drv}>&-
	ta_wait_exit "$drvpid" 5 || kill -TERM "$drvpid"
	wait "$drvpid" 2>/dev/null

	# bad filter values: exit 2, one line on stderr, nothing on stdout,
	# nothing left behind
	base=$TA_TMP/orphans.bad
	ta_bpf_orphans | sort >"$base"
	for a in "--pid 999999999" "--cgroup /nonexistent" "--cgroup /tmp" "--container deadbeefdead"; do
		# shellcheck disable=SC2086  # the option and its value, split on purpose
		env --default-signal=INT nsenter --net="/run/netns/$TA_CLI_NS" "$TLSAUDIT" -j -i "$HOST_IF" -d 2 $a \
			</dev/null >"$TA_TMP/bad.out" 2>"$TA_TMP/bad.err"
		rc=$?
		lines=$(wc -l <"$TA_TMP/bad.err")
		if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$TA_TMP/bad.out" ]; then
			pass "ct:bad_input:${a// /=}"
		else
			fail "ct:bad_input:${a// /=}" "exit $rc (want 2), $lines stderr lines (want 1), $(wc -c <"$TA_TMP/bad.out") stdout bytes (want 0)" \
				"$(head -n 5 "$TA_TMP/bad.err")" "$(head -n 5 "$TA_TMP/bad.out")"
		fi
	done
	ta_check_no_residue "ct:bad_input:no_residue" --orphans "$base" "$TA_CLI_NS:$HOST_IF" "$TA_CLI_NS:$TA_CLI_IF"
	timing "container" "$t0"
}

# ================================================================ 3. new interface

# make the veth NEW_IF (NEW_NS) <-> NEW_PEER (server netns); NEW_PEER up,
# NEW_IF left down
make_new_veth() {
	ip -n "$NEW_NS" link add "$NEW_IF" type veth peer name "$NEW_PEER" netns "$TA_SRV_NS" || return 1
	ip -n "$NEW_NS" addr add "$NEW4/24" dev "$NEW_IF" || return 1
	ip -n "$TA_SRV_NS" addr add "$NEWGW4/24" dev "$NEW_PEER" || return 1
	ip -n "$TA_SRV_NS" link set "$NEW_PEER" up
}

# bring NEW_IF up and time the "watching new interface" line (the COUNT-th)
up_and_time() {
	local name=$1 count=$2 t0 dt
	t0=$(now_ms)
	ip -n "$NEW_NS" link set "$NEW_IF" up
	if ! TA_POLL=0.01 ta_wait_count "$TA_ERR" "^tlsaudit: watching new interface $NEW_IF\$" "$count" \
		"$TA_WAIT" "$TA_PID" 2>/dev/null; then
		fail "$name" "no 'watching new interface $NEW_IF' ($( ta_pid_alive "$TA_PID" &&
			echo "within $TA_WAIT s" || echo "tlsaudit exited"))" "$(cat "$TA_ERR")"
		return 1
	fi
	dt=$(($(now_ms) - t0))
	TIMINGS+=("new interface seen after $dt ms")
	if [ "$dt" -le 1000 ]; then pass "$name"; else fail "$name" "took $dt ms, want <= 1000"; fi
	ta_wait_link_up "$NEW_NS" "$NEW_IF" || fail "$name" "$NEW_IF has no carrier"
	ip -n "$NEW_NS" route replace default via "$NEWGW4" || fail "$name" "default route via $NEWGW4 failed"
}

part_new_iface() {
	local t0 out err tls_pid tls_port plain_pid plain_port bad
	t0=$(now_ms)
	ta_add_netns "$NEW_NS"
	# no -i: every interface that is up (lo), and the ones that come later
	start_or_fail "newif:tlsaudit_ready" "$NEW_NS" -j || return
	out=$TA_OUT err=$TA_ERR
	if grep -q "^tlsaudit: ready: watching lo; " "$err"; then pass "newif:ready_watches_lo"; else
		fail "newif:ready_watches_lo" "ready line is not 'watching lo'" "$(cat "$err")"
	fi
	if ! make_new_veth; then
		fail "newif:veth" "cannot create $NEW_IF"
		return
	fi
	up_and_time "newif:watched_within_1s" 1 || return

	curl_client newif_tls "$NEW_NS" "" "https://$TA_TLS4/" -k
	traffic_ok "newif:traffic:curl_tls" "$CL_WHY"
	tls_pid=$CL_PID tls_port=$CL_PORT
	curl_client newif_http "$NEW_NS" "" "http://$TA_PLAIN4:443/"
	traffic_ok "newif:traffic:curl_http" "$CL_WHY"
	plain_pid=$CL_PID plain_port=$CL_PORT
	ta_wait_jq "$out" ".event == \"flow\" and .client_port == $plain_port" "$TA_WAIT" "$TA_PID"
	check_one "newif:flow:tls" "$out" ".event == \"flow\" and .client_port == $tls_port" \
		".verdict=tls" ".iface=$NEW_IF" ".pid=$tls_pid" ".comm=curl" ".role=client" ".client=$NEW4" ".server=$TA_TLS4"
	check_one "newif:flow:plaintext_http" "$out" ".event == \"flow\" and .client_port == $plain_port" \
		".verdict=plaintext_http" ".iface=$NEW_IF" ".pid=$plain_pid" ".comm=curl" ".role=client" \
		".client=$NEW4" ".server=$TA_PLAIN4"

	# the interface goes away: tlsaudit goes on; the same name comes back
	# (a new ifindex) and is watched again
	ip -n "$NEW_NS" link del "$NEW_IF" || fail "newif:delete" "ip link del $NEW_IF failed"
	if ta_pid_alive "$TA_PID"; then pass "newif:alive_after_delete"; else
		fail "newif:alive_after_delete" "tlsaudit exited" "$(cat "$err")"
	fi
	if ! make_new_veth; then
		fail "newif:readd" "cannot create $NEW_IF again"
	elif up_and_time "newif:readded_watched_within_1s" 2; then
		curl_client newif_tls2 "$NEW_NS" "" "https://$TA_TLS4/" -k
		traffic_ok "newif:traffic:curl_tls_again" "$CL_WHY"
		ta_wait_jq "$out" ".event == \"flow\" and .client_port == $CL_PORT" "$TA_WAIT" "$TA_PID"
		check_one "newif:flow:tls_after_readd" "$out" ".event == \"flow\" and .client_port == $CL_PORT" \
			".verdict=tls" ".iface=$NEW_IF" ".pid=$CL_PID" ".comm=curl" ".role=client"
	fi
	if ta_pid_alive "$TA_PID"; then pass "newif:alive_at_end"; else
		fail "newif:alive_at_end" "tlsaudit exited" "$(cat "$err")"
	fi
	check_stop "newif:exit_on_sigint"
	ta_check_json_lines "newif:json_lines" "$out"
	# stderr: only the ready line, the interfaces it picked up and the ones
	# that went away
	bad=$(grep -vE "^tlsaudit: (ready: watching .*|watching new interface $NEW_IF|interface $NEW_IF is gone)\$" "$err")
	if [ -z "$bad" ]; then pass "newif:no_error_lines"; else
		fail "newif:no_error_lines" "unexpected stderr lines" "$bad"
	fi
	check_none "newif:no_unknown_iface" "$out" '.event == "flow" and .iface == null'
	timing "new interface" "$t0"
}

# ================================================================ 4. pre-existing

part_preexisting() {
	local t0 out fifo w pypid port line rc n sent_port
	t0=$(now_ms)
	fifo=$TA_TMP/hold.fifo
	mkfifo "$fifo"
	TA_BG_STDIN=$fifo ta_bg "$TA_CLI_NS" "$TA_TMP/hold.out" "$TA_TMP/hold.err" \
		"$TA_PY" "$TA_E2E_DIR/tls_get.py" "$TA_TLS4" --hold
	pypid=$TA_BG_PID
	exec {w}>"$fifo"
	if ! wait_for_line "$TA_TMP/hold.out" '^handshake ' "$TA_WAIT" "$pypid"; then
		fail "pre:handshake" "the python client did not complete its handshake" \
			"$(cat "$TA_TMP/hold.out" "$TA_TMP/hold.err")"
		exec {w}>&-
		return
	fi
	line=$(grep '^handshake ' "$TA_TMP/hold.out")
	port=$(echo "$line" | awk '{ print $3 }')
	if [ "$(echo "$line" | awk '{ print $4 }')" = "$pypid" ]; then pass "pre:handshake"; else
		fail "pre:handshake" "python runs as $(echo "$line" | awk '{ print $4 }'), recorded $pypid"
	fi

	if ! start_or_fail "pre:tlsaudit_ready" "$TA_CLI_NS" -j -i "$TA_CLI_IF"; then
		exec {w}>&-
		return
	fi
	out=$TA_OUT
	ta_wait_jq "$out" ".event == \"flow\" and .client_port == $port" "$TA_WAIT" "$TA_PID"
	check_one "pre:midstream_event" "$out" ".event == \"flow\" and .client_port == $port" \
		".verdict=midstream" ".pid=$pypid" ".comm=python3" ".role=client" ".uid=$MY_UID" \
		".client=$TA_CLI4" ".server=$TA_TLS4" ".server_port=443"

	# the connection talks again and closes: no second verdict for it
	echo go >&"$w"
	exec {w}>&-
	ta_reap "$pypid"
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "pre:traffic:request_after_start"; else
		fail "pre:traffic:request_after_start" "python exit $rc" "$(cat "$TA_TMP/hold.out" "$TA_TMP/hold.err")"
	fi
	# a later flow on the same interface: once its event is out, anything the
	# old connection's packets would have caused is out too
	curl_client pre_sentinel "$TA_CLI_NS" "" "https://$TA_TLS4/" -k
	traffic_ok "pre:traffic:sentinel" "$CL_WHY"
	sent_port=$CL_PORT
	if ! ta_wait_jq "$out" ".event == \"flow\" and .client_port == $sent_port" "$TA_WAIT" "$TA_PID"; then
		fail "pre:sentinel_flow" "no event for the later connection (port $sent_port)" "$(cat "$out")"
	fi
	n=$(count_of "$out" ".event == \"flow\" and .client_port == $port")
	if [ "$n" -eq 1 ]; then pass "pre:no_second_event"; else
		fail "pre:no_second_event" "$n events for the pre-existing connection, want 1" \
			"$(ta_valid_json "$out" | jq -c "select(.event == \"flow\" and .client_port == $port)")"
	fi
	check_stop "pre:exit_on_sigint"
	ta_check_json_lines "pre:json_lines" "$out"
	check_one "pre:summary" "$out" ".event == \"process\" and .pid == $pypid" \
		".comm=python3" ".role=client" '.flows={"midstream":1}'
	check_one "pre:stats" "$out" '.event == "stats"' ".preexisting=1"
	timing "pre-existing" "$t0"
}

# ================================================================ 5. pid reuse

# reuse_pair TAG COMM1 COMM2: a process named COMM1 sends plaintext and exits
# at once; then a process named COMM2 is given the same pid (ns_last_pid, a
# few tries) and makes a TLS connection. Sets R_PID, R_PORT1, R_PORT2;
# returns non-zero (after a FAIL line) if either step failed.
reuse_pair() {
	local tag=$1 c1=$2 c2=$3 p1 p2 rc try taken=""
	R_PID="" R_PORT1="" R_PORT2=""
	nsenter --net="/run/netns/$TA_CLI_NS" "$TA_PY" -c "$PY_SHORT" "$TA_PLAIN4" \
		"$(printf '%s' "$c1" | hex_of)" >"$TA_TMP/$tag.1.out" 2>"$TA_TMP/$tag.1.err" </dev/null &
	p1=$!
	wait "$p1"
	rc=$?
	R_PORT1=$(sed -n 's/^pid=[0-9]* port=//p' "$TA_TMP/$tag.1.out")
	if [ "$rc" -ne 0 ] || [ -z "$R_PORT1" ] ||
		[ "$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$TA_TMP/$tag.1.out")" != "$p1" ]; then
		fail "reuse:$tag:traffic:first" "exit $rc" "$(cat "$TA_TMP/$tag.1.out" "$TA_TMP/$tag.1.err")"
		return 1
	fi
	pass "reuse:$tag:traffic:first"
	# the next fork gets ns_last_pid + 1: nothing may fork in between
	for try in $(seq 30); do
		echo $((p1 - 1)) >/proc/sys/kernel/ns_last_pid
		nsenter --net="/run/netns/$TA_CLI_NS" "$TA_PY" "$TA_E2E_DIR/tls_get.py" "$TA_TLS4" --comm "$c2" --want-pid "$p1" \
			</dev/null >"$TA_TMP/$tag.2.out" 2>"$TA_TMP/$tag.2.err" &
		p2=$!
		wait "$p2"
		rc=$?
		[ "$rc" -eq 99 ] && continue
		break
	done
	if [ "$p2" != "$p1" ] || [ "$rc" -ne 0 ]; then
		[ -r "/proc/$p1/comm" ] && taken="pid $p1 is in use by another process ($(cat "/proc/$p1/comm" 2>/dev/null)); "
		fail "reuse:$tag:pid_reused" "could not give a new process pid $p1 in $try tries: ${taken}last try got pid $p2, exit $rc" \
			"$(cat "$TA_TMP/$tag.2.err")"
		return 1
	fi
	TIMINGS+=("pid reuse ($tag) after $try tries")
	pass "reuse:$tag:pid_reused"
	R_PID=$p1
	R_PORT2=$(sed -n 's/^lport=//p' "$TA_TMP/$tag.2.err")
	return 0
}

# check_reuse TAG OUT COMM1 COMM2: each flow has its own process's comm; two
# summary rows for the pid, each with its own flow only
check_reuse() {
	local tag=$1 out=$2 c1=$3 c2=$4 rows n
	check_one "reuse:$tag:flow:first" "$out" ".event == \"flow\" and .client_port == $R_PORT1 and .server == \"$TA_PLAIN4\"" \
		".verdict=plaintext" ".pid=$R_PID" ".comm=$c1" ".role=client" ".iface=$TA_CLI_IF"
	check_one "reuse:$tag:flow:second" "$out" ".event == \"flow\" and .client_port == $R_PORT2 and .server == \"$TA_TLS4\"" \
		".verdict=tls" ".pid=$R_PID" ".comm=$c2" ".role=client" ".iface=$TA_CLI_IF"
	rows=$(ta_valid_json "$out" | jq -c "select(.event == \"process\" and .pid == $R_PID)")
	n=$(printf '%s' "$rows" | grep -c .)
	if [ "$n" -eq 2 ] &&
		[ "$(printf '%s\n' "$rows" | jq -c --arg a "$c1" 'select(.comm == $a and .flows == {"plaintext": 1} and .status == "plaintext" and .role == "client")' | grep -c .)" -eq 1 ] &&
		[ "$(printf '%s\n' "$rows" | jq -c --arg b "$c2" 'select(.comm == $b and .flows == {"tls": 1} and .status == "encrypted" and .role == "client")' | grep -c .)" -eq 1 ]; then
		pass "reuse:$tag:summary_two_rows"
	else
		fail "reuse:$tag:summary_two_rows" "$n rows for pid $R_PID; want one $c1 {plaintext:1} and one $c2 {tls:1}" "$rows"
	fi
}

part_pid_reuse() {
	local t0 out
	t0=$(now_ms)
	start_or_fail "reuse:tlsaudit_ready" "$TA_CLI_NS" -j -i "$TA_CLI_IF" || return
	out=$TA_OUT

	# different names, tlsaudit reading as the flows happen
	reuse_pair named shortlived reuser
	local named_pid=$R_PID named_p1=$R_PORT1 named_p2=$R_PORT2
	[ -n "$R_PORT2" ] && ta_wait_jq "$out" ".event == \"flow\" and .client_port == $R_PORT2" "$TA_WAIT" "$TA_PID"

	# the same name, and both processes gone before tlsaudit reads either
	# event (it is stopped meanwhile): still two processes
	kill -STOP "$TA_PID"
	reuse_pair samename samename samename
	kill -CONT "$TA_PID"
	[ -n "$R_PORT2" ] && ta_wait_jq "$out" ".event == \"flow\" and .client_port == $R_PORT2" "$TA_WAIT" "$TA_PID"

	check_stop "reuse:exit_on_sigint"
	ta_check_json_lines "reuse:json_lines" "$out"
	[ -n "$R_PORT2" ] && check_reuse samename "$out" samename samename
	R_PID=$named_pid R_PORT1=$named_p1 R_PORT2=$named_p2
	[ -n "$R_PORT2" ] && check_reuse named "$out" shortlived reuser
	timing "pid reuse" "$t0"
}

# ================================================================ 6. hostile name

part_hostile() {
	local t0 jout jpid tout p port hex got bad n
	t0=$(now_ms)
	# quote, backslash, newline, ESC (9 bytes, comm holds 15)
	hex=$(printf 'x"y\\z\nw\033v' | hex_of)
	start_or_fail "hostile:tlsaudit_json_ready" "$TA_CLI_NS" -j -i "$TA_CLI_IF" || return
	jout=$TA_OUT jpid=$TA_PID
	if ! start_or_fail "hostile:tlsaudit_text_ready" "$TA_CLI_NS" -i "$TA_CLI_IF"; then
		TA_PID=$jpid
		stop_tlsaudit
		return
	fi
	tout=$TA_OUT

	nsenter --net="/run/netns/$TA_CLI_NS" "$TA_PY" -c "$PY_SHORT" "$TA_PLAIN4" "$hex" \
		</dev/null >"$TA_TMP/hostile.out" 2>"$TA_TMP/hostile.err" &
	p=$!
	wait "$p"
	port=$(sed -n 's/^pid=[0-9]* port=//p' "$TA_TMP/hostile.out")
	if [ -z "$port" ]; then
		fail "hostile:traffic" "client failed" "$(cat "$TA_TMP/hostile.out" "$TA_TMP/hostile.err")"
	else
		pass "hostile:traffic"
		ta_wait_jq "$jout" ".event == \"flow\" and .client_port == $port" "$TA_WAIT" "$jpid"
		wait_for_line "$tout" ":$port -> " "$TA_WAIT" "$TA_PID"
	fi
	check_stop "hostile:text_exit_on_sigint"
	TA_PID=$jpid
	check_stop "hostile:json_exit_on_sigint"
	[ -n "$port" ] || return

	ta_check_json_lines "hostile:json_lines" "$jout"
	for sel in "flow .client_port == $port" "process .pid == $p"; do
		n=$(ta_valid_json "$jout" | jq -c "select(.event == \"${sel%% *}\" and ${sel#* })" | grep -c .)
		got=$(ta_valid_json "$jout" | jq -j "select(.event == \"${sel%% *}\" and ${sel#* }) | .comm" | hex_of)
		if [ "$n" -eq 1 ] && [ "$got" = "$hex" ]; then pass "hostile:json_comm_roundtrip:${sel%% *}"; else
			fail "hostile:json_comm_roundtrip:${sel%% *}" "$n events; comm bytes $got, want $hex" \
				"$(grep -a -- "$port\|\"pid\":$p" "$jout" | cat -A)"
		fi
	done
	# text: no raw control byte from the name, no line broken by it
	if LC_ALL=C grep -q $'\033' "$tout"; then
		fail "hostile:text_no_esc" "raw ESC in the text output" "$(cat -A "$tout")"
	else
		pass "hostile:text_no_esc"
	fi
	bad=$(LC_ALL=C grep -avE '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z |process |unattributed )' "$tout")
	if [ -z "$bad" ]; then pass "hostile:text_lines_whole"; else
		fail "hostile:text_lines_whole" "lines that are not a flow or summary line (a name broke a line?)" \
			"$(printf '%s\n' "$bad" | cat -A)"
	fi
	n=$(LC_ALL=C grep -acF "pid=$p comm="'x"y\\z\x0aw\x1bv ' "$tout")
	if [ "$n" -eq 2 ]; then pass "hostile:text_escaped"; else
		fail "hostile:text_escaped" "$n lines with pid=$p and the escaped name, want 2 (flow + process)" \
			"$(cat -A "$tout")"
	fi
	timing "hostile name" "$t0"
}

# ================================================================ main

T_ALL=$(now_ms)
for part in $PARTS; do
	case $part in
	srv) part_side srv "$TA_SRV_NS" "$TA_SRV_IF" "server side" ;;
	cli) part_side cli "$TA_CLI_NS" "$TA_CLI_IF" "client side" ;;
	ct) part_container ;;
	newif) part_new_iface ;;
	pre) part_preexisting ;;
	reuse) part_pid_reuse ;;
	hostile) part_hostile ;;
	*) echo "FAIL: $T: unknown part '$part'"; TA_FAILS=$((TA_FAILS + 1)) ;;
	esac
done
ta_check_no_residue "no_residue_at_end" --orphans "$ORPH_BASE" "$TA_CLI_NS:$TA_CLI_IF" "$TA_SRV_NS:$TA_SRV_IF"
timing "total" "$T_ALL"
for t in "${TIMINGS[@]}"; do echo "    note: timing: $t"; done

ta_finish "$T"
