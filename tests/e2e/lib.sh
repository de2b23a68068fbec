# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib.sh - shared harness for the end-to-end tests (source it).
#
# Topology (one pair of namespaces per run, names suffixed with $$):
#
#   ta-cli-$$                         ta-srv-$$
#   c0  10.203.0.1/24   <-- veth -->  s0  10.203.0.2/24  (TLS nginx, :443)
#       fd00:203::1/64                    10.203.0.3/24  (plain nginx, :443 + :8080)
#                                         fd00:203::2/64 (TLS)
#                                         fd00:203::3/64 (plain)
#
# Everything is created inside the two namespaces (the veth is created in the
# client namespace with its peer directly in the server namespace), so nothing
# ever touches the machine's own interfaces. All traffic goes to addresses of
# these namespaces.
#
# Rules this library follows:
#   - processes are started with `nsenter --net=/run/netns/NS CMD` (never
#     `ip netns exec`, which remounts /sys and hides cgroup2/bpffs); nsenter
#     execs, so $! is the real PID of the program and its comm is the program's.
#   - processes are stopped by PID only; teardown also kills every PID still
#     listed by `ip netns pids` for our own namespaces, then deletes them.
#   - no sleeps as synchronisation: every wait is a bounded poll on a condition.
#
# Knobs (environment):
#   TLSAUDIT=path          binary under test (default $REPO/build/tlsaudit)
#   TA_E2E_KEEP=1          keep the temp dir (logs, configs) after the run
#   TA_E2E_OFFLOAD=off     disable TSO/GSO on both veth ends (ethtool -K)
#   TA_E2E_VERBOSE=1       print progress lines (to stderr)
#   TA_WAIT=N              bound in seconds of every readiness wait (60)
#   TA_CLIENT_TIMEOUT=N    seconds a client may run before it is killed (60)

TA_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "$TA_E2E_DIR/../.." && pwd)}
TLSAUDIT=${TLSAUDIT:-$REPO/build/tlsaudit}

TA_CLI_NS=ta-cli-$$
TA_SRV_NS=ta-srv-$$
TA_CLI_IF=c0
TA_SRV_IF=s0

TA_CLI4=10.203.0.1
TA_TLS4=10.203.0.2
TA_PLAIN4=10.203.0.3
TA_CLI6=fd00:203::1
TA_TLS6=fd00:203::2
TA_PLAIN6=fd00:203::3
TA_UNWATCHED_PORT=8080

TA_NGINX=${TA_NGINX:-/usr/sbin/nginx}
TA_PY=/usr/bin/python3          # the system python, not a pyenv shim on PATH
TA_CLIENT_TIMEOUT=${TA_CLIENT_TIMEOUT:-60}
# Readiness waits are driven by their event and give up as soon as the
# process they wait for has exited; this bound only stops a hung run.
# Loading and verifying tlsaudit's BPF programs is ~0.6 s of CPU (1.2 s with
# --enforce) on an idle 2-core machine and scales with the machine's load.
TA_WAIT=${TA_WAIT:-60}
TA_READY_WHY=""

TA_TMP=""                       # per-run temp dir, made by ta_setup
TA_NETNS_MADE=()                # namespaces this run created
TA_CGROUPS_MADE=()              # cgroup2 directories this run created (absolute)
TA_BG_PIDS=()                   # background PIDs this run started (servers...)
TA_TLS_PID=""                   # nginx TLS master
TA_PLAIN_PID=""                 # nginx plain master
TA_PID=""                       # running tlsaudit
TA_OUT=""                       # its stdout file
TA_ERR=""                       # its stderr file
TA_CLIENTS=""                   # file of "name pid" lines, one per client run
TA_FAILS=0
TA_TEARDOWN_DONE=0

# ---------------------------------------------------------------- reporting

ta_log() { [ "${TA_E2E_VERBOSE:-0}" = 1 ] && echo "e2e: $*" >&2; return 0; }
ta_die() { echo "e2e: error: $*" >&2; exit 1; }

pass() { echo "PASS: $1"; }
# fail NAME DETAILS [FILE-OR-TEXT...]  - details on the FAIL line, extra lines after
fail() {
	local name=$1 details=$2
	shift 2
	echo "FAIL: $name: $details"
	local x
	for x in "$@"; do
		[ -n "$x" ] && printf '%s\n' "$x" | sed 's/^/    /'
	done
	TA_FAILS=$((TA_FAILS + 1))
	return 0
}

# require_root TESTNAME: a non-root run is a SKIP (tests/run.sh turns a SKIP
# under CI=true into a failure).
require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: ${1:-e2e}: needs root"
		exit 0
	fi
}

# require_cmds TESTNAME CMD... : a missing tool is a FAIL, not a silent pass
require_cmds() {
	local t=$1 c missing=""
	shift
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || missing="$missing $c"
	done
	if [ -n "$missing" ]; then
		echo "FAIL: $t: missing tools:$missing (run 'make deps')"
		exit 1
	fi
}

# ---------------------------------------------------------------- processes

# Foreground use only. For a background job call nsenter directly: `func &`
# forks a subshell, so $! would be that subshell and not the program.
ta_in_cli() { nsenter --net="/run/netns/$TA_CLI_NS" "$@"; }
ta_in_srv() { nsenter --net="/run/netns/$TA_SRV_NS" "$@"; }

# ta_pid_alive PID: running and not a zombie (a zombie child passes kill -0)
ta_pid_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ta_wait_exit PID TIMEOUT_S: bounded wait until PID has exited (or is a zombie)
ta_wait_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while ta_pid_alive "$pid"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# ta_stop_pid PID [SIG] [TIMEOUT]: signal one of our children, wait, reap.
# Escalates to SIGKILL after the timeout. Returns the child's exit status.
ta_stop_pid() {
	local pid=$1 sig=${2:-TERM} to=${3:-5} rc=0
	[ -n "$pid" ] || return 0
	if ta_pid_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null
		if ! ta_wait_exit "$pid" "$to"; then
			kill -KILL "$pid" 2>/dev/null
			ta_wait_exit "$pid" 5
		fi
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

# ---------------------------------------------------------------- waits

# wait_for_listen NS ADDR PORT [TIMEOUT_S=$TA_WAIT] [PID]: until `ss -ltn` in NS
# shows the listener. With PID, gives up early if that process has exited.
wait_for_listen() {
	local ns=$1 addr=$2 port=$3 to=${4:-$TA_WAIT} pid=${5:-} want deadline
	case $addr in
	*:*) want="[$addr]:$port" ;;
	*) want="$addr:$port" ;;
	esac
	deadline=$((SECONDS + to))
	while :; do
		if nsenter --net="/run/netns/$ns" ss -Hltn 2>/dev/null |
			awk -v w="$want" '$4 == w { f = 1 } END { exit !f }'; then
			return 0
		fi
		if [ -n "$pid" ] && ! ta_pid_alive "$pid"; then
			echo "e2e: process $pid exited before listening on $want in $ns" >&2
			return 2
		fi
		[ "$SECONDS" -ge "$deadline" ] && {
			echo "e2e: timeout waiting for listener $want in $ns" >&2
			return 1
		}
		sleep 0.05
	done
}

# wait_for_line FILE REGEX [TIMEOUT_S=$TA_WAIT] [PID]: until a line of FILE matches
# the (grep -E) REGEX. With PID, gives up early if that process has exited.
wait_for_line() {
	local file=$1 re=$2 to=${3:-$TA_WAIT} pid=${4:-} deadline
	deadline=$((SECONDS + to))
	while :; do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! ta_pid_alive "$pid"; then
			grep -qE -- "$re" "$file" 2>/dev/null && return 0
			echo "e2e: process $pid exited before '$re' appeared in $file" >&2
			return 2
		fi
		[ "$SECONDS" -ge "$deadline" ] && {
			echo "e2e: timeout (${to}s) waiting for '$re' in $file" >&2
			return 1
		}
		sleep 0.05
	done
}

# ---------------------------------------------------------------- topology

ta_setup_tmp() {
	[ -n "$TA_TMP" ] && return 0
	TA_TMP=$(mktemp -d /tmp/ta-e2e.XXXXXX) || ta_die "mktemp failed"
	export TA_TMP
	chmod 755 "$TA_TMP"       # nginx workers (nobody) traverse it
	TA_CLIENTS=$TA_TMP/clients
	: >"$TA_CLIENTS"
}

ta_ns_sysctls() {
	local ns=$1
	nsenter --net="/run/netns/$ns" sh -c '
		echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
		echo 0 > /proc/sys/net/ipv6/conf/all/dad_transmits 2>/dev/null
		echo 0 > /proc/sys/net/ipv6/conf/default/dad_transmits 2>/dev/null
		echo 0 > /proc/sys/net/ipv6/conf/default/router_solicitations 2>/dev/null
		exit 0'
}

# setup_netns: both namespaces, the veth, addresses, lo up
setup_netns() {
	ta_setup_tmp
	local ns
	for ns in "$TA_CLI_NS" "$TA_SRV_NS"; do
		[ -e "/run/netns/$ns" ] && ta_die "namespace $ns already exists"
		ip netns add "$ns" || ta_die "ip netns add $ns failed"
		TA_NETNS_MADE+=("$ns")
		ta_ns_sysctls "$ns"
		ip -n "$ns" link set lo up || ta_die "lo up in $ns failed"
	done
	# created inside the client netns, peer straight into the server netns
	ip -n "$TA_CLI_NS" link add "$TA_CLI_IF" type veth peer name "$TA_SRV_IF" netns "$TA_SRV_NS" ||
		ta_die "veth creation failed"

	ip -n "$TA_CLI_NS" addr add "$TA_CLI4/24" dev "$TA_CLI_IF"
	ip -n "$TA_CLI_NS" addr add "$TA_CLI6/64" dev "$TA_CLI_IF" nodad
	ip -n "$TA_SRV_NS" addr add "$TA_TLS4/24" dev "$TA_SRV_IF"
	ip -n "$TA_SRV_NS" addr add "$TA_PLAIN4/24" dev "$TA_SRV_IF"
	ip -n "$TA_SRV_NS" addr add "$TA_TLS6/64" dev "$TA_SRV_IF" nodad
	ip -n "$TA_SRV_NS" addr add "$TA_PLAIN6/64" dev "$TA_SRV_IF" nodad

	if [ "${TA_E2E_OFFLOAD:-on}" = off ] && command -v ethtool >/dev/null; then
		ta_in_cli ethtool -K "$TA_CLI_IF" tso off gso off >/dev/null 2>&1 || true
		ta_in_srv ethtool -K "$TA_SRV_IF" tso off gso off >/dev/null 2>&1 || true
	fi

	ip -n "$TA_CLI_NS" link set "$TA_CLI_IF" up || ta_die "c0 up failed"
	ip -n "$TA_SRV_NS" link set "$TA_SRV_IF" up || ta_die "s0 up failed"

	ta_wait_addrs_ready || ta_die "addresses never became usable"
	ta_log "namespaces $TA_CLI_NS / $TA_SRV_NS ready"
}

# bounded wait: carrier up on both ends and no IPv6 address tentative
ta_wait_addrs_ready() {
	local deadline=$((SECONDS + TA_WAIT))
	while :; do
		if ip -n "$TA_CLI_NS" link show "$TA_CLI_IF" | grep -q 'state UP' &&
			ip -n "$TA_SRV_NS" link show "$TA_SRV_IF" | grep -q 'state UP' &&
			! ip -n "$TA_CLI_NS" -6 addr show tentative | grep -q inet6 &&
			! ip -n "$TA_SRV_NS" -6 addr show tentative | grep -q inet6; then
			return 0
		fi
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- servers

# ta_nginx_conf DIR LISTEN_LINES SERVER_EXTRA: a self-contained nginx.conf
# (pid, logs, temp paths all inside DIR; nothing under /etc/nginx or /var).
ta_nginx_conf() {
	local d=$1 listens=$2 extra=$3
	mkdir -p "$d/logs" "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log info;
events { worker_connections 256; }
http {
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    log_format ta '\$server_addr:\$server_port \$remote_addr:\$remote_port "\$request" \$status \$ssl_protocol';
    access_log $d/logs/access.log ta;
    default_type text/plain;
    keepalive_timeout 5;
    server {
$listens
        server_name _;
$extra
        location / { return 200 "ok\n"; }
    }
}
EOF
}

# the PID we hold must be nginx's master itself (it writes its pid file
# before it listens), or stopping it by PID would orphan it
ta_check_nginx_pid() {
	local d=$1 pid=$2
	[ "$(cat "$d/nginx.pid" 2>/dev/null)" = "$pid" ] ||
		ta_die "nginx in $d: master pid $(cat "$d/nginx.pid" 2>/dev/null) != recorded pid $pid"
}

# start_tls_server: nginx with a self-signed CN=srv.test cert on
# 10.203.0.2:443 and [fd00:203::2]:443, TLS 1.2 + 1.3. Sets TA_TLS_PID.
start_tls_server() {
	ta_setup_tmp
	local d=$TA_TMP/nginx-tls
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/srv.key" -out "$d/srv.crt" -days 2 -subj "/CN=srv.test" \
		-addext "subjectAltName=DNS:srv.test" >"$d/openssl.log" 2>&1 ||
		ta_die "openssl req failed: $(cat "$d/openssl.log")"
	chmod 600 "$d/srv.key"
	ta_nginx_conf "$d" \
"        listen $TA_TLS4:443 ssl;
        listen [$TA_TLS6]:443 ssl;" \
"        ssl_certificate $d/srv.crt;
        ssl_certificate_key $d/srv.key;
        ssl_protocols TLSv1.2 TLSv1.3;"
	nsenter --net="/run/netns/$TA_SRV_NS" "$TA_NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" \
		</dev/null >"$d/stdout.log" 2>&1 &
	TA_TLS_PID=$!
	TA_BG_PIDS+=("$TA_TLS_PID")
	if ! wait_for_listen "$TA_SRV_NS" "$TA_TLS4" 443 "$TA_WAIT" "$TA_TLS_PID" ||
		! wait_for_listen "$TA_SRV_NS" "$TA_TLS6" 443 "$TA_WAIT" "$TA_TLS_PID"; then
		ta_die "TLS nginx did not start: $(tail -n 5 "$d/logs/error.log" "$d/stdout.log" 2>&1)"
	fi
	ta_check_nginx_pid "$d" "$TA_TLS_PID"
	ta_log "TLS nginx master pid $TA_TLS_PID"
}

# start_plain_server: plaintext nginx on 10.203.0.3:443, [fd00:203::3]:443
# and the unwatched port 8080 on both. Non-HTTP bytes get a 400 and are
# logged (request line) in $TA_PLAIN_ACCESS_LOG. Sets TA_PLAIN_PID.
start_plain_server() {
	ta_setup_tmp
	local d=$TA_TMP/nginx-plain
	mkdir -p "$d"
	ta_nginx_conf "$d" \
"        listen $TA_PLAIN4:443;
        listen [$TA_PLAIN6]:443;
        listen $TA_PLAIN4:$TA_UNWATCHED_PORT;
        listen [$TA_PLAIN6]:$TA_UNWATCHED_PORT;" ""
	TA_PLAIN_ACCESS_LOG=$d/logs/access.log
	nsenter --net="/run/netns/$TA_SRV_NS" "$TA_NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" \
		</dev/null >"$d/stdout.log" 2>&1 &
	TA_PLAIN_PID=$!
	TA_BG_PIDS+=("$TA_PLAIN_PID")
	local a p
	for a in "$TA_PLAIN4" "$TA_PLAIN6"; do
		for p in 443 "$TA_UNWATCHED_PORT"; do
			wait_for_listen "$TA_SRV_NS" "$a" "$p" "$TA_WAIT" "$TA_PLAIN_PID" ||
				ta_die "plain nginx did not start: $(tail -n 5 "$d/logs/error.log" "$d/stdout.log" 2>&1)"
		done
	done
	ta_check_nginx_pid "$d" "$TA_PLAIN_PID"
	ta_log "plain nginx master pid $TA_PLAIN_PID"
}

# ---------------------------------------------------------------- clients

# run_client NAME CMD [ARGS...]: run CMD in the client netns (nsenter execs,
# so the PID is CMD's own), record "NAME PID" in $TA_CLIENTS, wait for it
# (bounded by TA_CLIENT_TIMEOUT; killed by PID on timeout -> status 124) and
# return its exit status. Output: $TA_TMP/client.NAME.{out,err}.
# stdin is $RUN_CLIENT_STDIN (default /dev/null). Sets RUN_CLIENT_PID.
run_client() {
	local name=$1 pid rc
	shift
	nsenter --net="/run/netns/$TA_CLI_NS" "$@" <"${RUN_CLIENT_STDIN:-/dev/null}" \
		>"$TA_TMP/client.$name.out" 2>"$TA_TMP/client.$name.err" &
	pid=$!
	RUN_CLIENT_PID=$pid
	echo "$name $pid" >>"$TA_CLIENTS"
	if ! ta_wait_exit "$pid" "$TA_CLIENT_TIMEOUT"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "e2e: client $name (pid $pid) timed out after ${TA_CLIENT_TIMEOUT}s" >&2
		return 124
	fi
	wait "$pid"
	rc=$?
	ta_log "client $name pid $pid exit $rc"
	return $rc
}

# client_pid NAME: the PID recorded for a client
client_pid() { awk -v n="$1" '$1 == n { print $2; exit }' "$TA_CLIENTS"; }

# ---------------------------------------------------------------- tlsaudit

# ta_ready_why PID: TA_READY_WHY says why PID never said it was ready
ta_ready_why() {
	local st
	if ta_pid_alive "$1"; then
		TA_READY_WHY="no 'tlsaudit: ready' within $TA_WAIT s (pid $1 still running)"
	else
		wait "$1" 2>/dev/null
		st=$?
		TA_READY_WHY="tlsaudit (pid $1) exited with status $st before 'tlsaudit: ready'"
	fi
}

# start_tlsaudit ARGS...: run `$TLSAUDIT -j ARGS` in the client netns, stdout
# to $TA_OUT and stderr to $TA_ERR, and wait ($TA_WAIT) for "tlsaudit: ready" at
# the start of a stderr line. Sets TA_PID. Returns non-zero on failure.
# SIGINT is reset to default with env(1), because a non-interactive bash
# starts background jobs with SIGINT ignored.
TA_RUN_SEQ=0
start_tlsaudit() {
	ta_setup_tmp
	TA_RUN_SEQ=$((TA_RUN_SEQ + 1))
	TA_OUT=$TA_TMP/tlsaudit.$TA_RUN_SEQ.out
	TA_ERR=$TA_TMP/tlsaudit.$TA_RUN_SEQ.err
	if [ ! -x "$TLSAUDIT" ]; then
		echo "e2e: $TLSAUDIT not found or not executable" >"$TA_ERR"
		TA_PID=""
		return 1
	fi
	env --default-signal=INT nsenter --net="/run/netns/$TA_CLI_NS" \
		"$TLSAUDIT" -j "$@" </dev/null >"$TA_OUT" 2>"$TA_ERR" &
	TA_PID=$!
	TA_BG_PIDS+=("$TA_PID")
	if ! wait_for_line "$TA_ERR" '^tlsaudit: ready' "$TA_WAIT" "$TA_PID" 2>/dev/null; then
		ta_ready_why "$TA_PID"
		return 1
	fi
	ta_log "tlsaudit pid $TA_PID ready"
	return 0
}

# stop_tlsaudit [TIMEOUT_S=15]: SIGINT, wait for exit, return its exit code
# (SIGKILL after the timeout; then 124 is returned).
stop_tlsaudit() {
	local to=${1:-$TA_WAIT} pid=$TA_PID rc
	[ -n "$pid" ] || return 1
	TA_PID=""
	kill -INT "$pid" 2>/dev/null
	if ! ta_wait_exit "$pid" "$to"; then
		echo "e2e: tlsaudit $pid did not exit ${to}s after SIGINT; killing" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
	rc=$?
	return $rc
}

# ta_bpf_ids PID: "prog ID" / "link ID" lines for the BPF programs and links
# PID holds open (read from /proc/PID/fdinfo; Debian's bpftool cannot show pids)
ta_bpf_ids() {
	local pid=$1 f
	for f in /proc/"$pid"/fdinfo/*; do
		awk '
			/^link_id:/ { print "link " $2 }
			/^prog_id:/ { print "prog " $2 }
		' "$f" 2>/dev/null
	done | sort -u
}

# ---------------------------------------------------------------- teardown

ta_teardown() {
	[ "$TA_TEARDOWN_DONE" = 1 ] && return 0
	TA_TEARDOWN_DONE=1
	local pid ns i
	# tlsaudit first (SIGINT so it detaches cleanly), then everything else
	[ -n "$TA_PID" ] && ta_stop_pid "$TA_PID" INT 10
	for ((i = ${#TA_BG_PIDS[@]} - 1; i >= 0; i--)); do
		ta_stop_pid "${TA_BG_PIDS[$i]}" TERM 5
	done
	# anything left inside our namespaces (nginx workers, stray clients)
	for ns in "${TA_NETNS_MADE[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			ta_wait_exit "$pid" 3 || kill -KILL "$pid" 2>/dev/null
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			ta_wait_exit "$pid" 3
		done
		ip netns del "$ns" 2>/dev/null
	done
	TA_NETNS_MADE=()
	ta_teardown_cgroups
	if [ -n "$TA_TMP" ] && [ -d "$TA_TMP" ]; then
		if [ "${TA_E2E_KEEP:-0}" = 1 ]; then
			echo "e2e: kept $TA_TMP" >&2
		else
			rm -rf "$TA_TMP"
		fi
	fi
	return 0
}

# ta_install_traps: teardown on EXIT, and turn INT/TERM into an exit
ta_install_traps() {
	trap 'ta_teardown' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# ================================================================ additions
# (used by test_owners.sh; the functions above keep their behaviour)

# ---------------------------------------------------------------- more namespaces

# ta_add_netns NAME: one more namespace of ours (lo up, no DAD), deleted at
# teardown with every process still in it
ta_add_netns() {
	local ns=$1
	[ -e "/run/netns/$ns" ] && ta_die "namespace $ns already exists"
	ip netns add "$ns" || ta_die "ip netns add $ns failed"
	TA_NETNS_MADE+=("$ns")
	ta_ns_sysctls "$ns"
	ip -n "$ns" link set lo up || ta_die "lo up in $ns failed"
}

# ta_netns_ino NS: the inode of a named namespace (what tlsaudit reports as netns)
ta_netns_ino() { stat -L -c %i "/run/netns/$1"; }

# ta_wait_link_up NS DEV [TIMEOUT_S=$TA_WAIT]: bounded wait for carrier (state UP)
ta_wait_link_up() {
	local ns=$1 dev=$2 deadline=$((SECONDS + ${3:-$TA_WAIT}))
	while ! ip -n "$ns" link show "$dev" 2>/dev/null | grep -q 'state UP'; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# ---------------------------------------------------------------- cgroups

# ta_cgroup2_mount: where cgroup2 is mounted (/sys/fs/cgroup/unified here)
ta_cgroup2_mount() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

# ta_make_cgroup REL: mkdir <cgroup2 mount>/REL (parents first, each one
# recorded), removed at teardown after its processes are gone. Sets
# TA_CGROUP_PATH to the absolute path. (Not in $(...): the record would be
# lost with the subshell.)
ta_make_cgroup() {
	local mnt rel=${1#/} part path
	mnt=$(ta_cgroup2_mount)
	[ -n "$mnt" ] || ta_die "no cgroup2 mount"
	path=$mnt
	local IFS=/
	for part in $rel; do
		path=$path/$part
		[ -d "$path" ] && continue
		mkdir "$path" || ta_die "mkdir $path failed"
		TA_CGROUPS_MADE+=("$path")
	done
	TA_CGROUP_PATH=$path
}

# teardown of the cgroups we made, deepest first: our processes still in
# one are killed by PID (then moved to the root if they survive), then rmdir
ta_teardown_cgroups() {
	local i d pid mnt
	mnt=$(ta_cgroup2_mount)
	for ((i = ${#TA_CGROUPS_MADE[@]} - 1; i >= 0; i--)); do
		d=${TA_CGROUPS_MADE[$i]}
		[ -d "$d" ] || continue
		for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
			ta_wait_exit "$pid" 3 || echo "$pid" >"$mnt/cgroup.procs" 2>/dev/null
		done
		local deadline=$((SECONDS + 5))
		until rmdir "$d" 2>/dev/null; do
			[ -d "$d" ] || break
			if [ "$SECONDS" -ge "$deadline" ]; then
				echo "e2e: cannot remove cgroup $d" >&2
				break
			fi
			sleep 0.05
		done
	done
	TA_CGROUPS_MADE=()
}

# ---------------------------------------------------------------- servers

# start_openssl_server ADDR [PORT=443]: `openssl s_server -www` in the server
# netns, with the TLS nginx's certificate (start_tls_server first).
# Sets TA_OSSL_PID.
start_openssl_server() {
	local addr=$1 port=${2:-443} d=$TA_TMP/nginx-tls
	[ -r "$d/srv.crt" ] || ta_die "start_openssl_server needs start_tls_server first"
	nsenter --net="/run/netns/$TA_SRV_NS" openssl s_server -www -quiet \
		-accept "$addr:$port" -cert "$d/srv.crt" -key "$d/srv.key" \
		</dev/null >"$TA_TMP/openssl-server.log" 2>&1 &
	TA_OSSL_PID=$!
	TA_BG_PIDS+=("$TA_OSSL_PID")
	wait_for_listen "$TA_SRV_NS" "$addr" "$port" "$TA_WAIT" "$TA_OSSL_PID" ||
		ta_die "openssl s_server did not start: $(tail -n 5 "$TA_TMP/openssl-server.log")"
	ta_log "openssl s_server pid $TA_OSSL_PID on $addr:$port"
}

# ta_nginx_workers MASTER: the worker PIDs (children of the master)
ta_nginx_workers() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n
}

# ---------------------------------------------------------------- clients

# ta_run_client_in NAME NS CGROUP CMD [ARGS...]: like run_client, but in netns
# NS and, when CGROUP (an absolute cgroup2 directory) is not empty, inside
# that cgroup: a bash writes its own PID to CGROUP/cgroup.procs and execs
# nsenter, which execs CMD, so the recorded PID is CMD's own. Records
# "NAME PID" in $TA_CLIENTS, waits (TA_CLIENT_TIMEOUT), returns CMD's status.
# stdin is $RUN_CLIENT_STDIN (default /dev/null). Sets RUN_CLIENT_PID.
ta_run_client_in() {
	local name=$1 ns=$2 cg=$3 pid rc
	shift 3
	if [ -n "$cg" ]; then
		bash -c 'cg=$1 ns=$2; shift 2
			echo $$ >"$cg/cgroup.procs" || exit 125
			exec nsenter --net="/run/netns/$ns" "$@"' ta-run "$cg" "$ns" "$@" \
			<"${RUN_CLIENT_STDIN:-/dev/null}" >"$TA_TMP/client.$name.out" 2>"$TA_TMP/client.$name.err" &
	else
		nsenter --net="/run/netns/$ns" "$@" <"${RUN_CLIENT_STDIN:-/dev/null}" \
			>"$TA_TMP/client.$name.out" 2>"$TA_TMP/client.$name.err" &
	fi
	pid=$!
	RUN_CLIENT_PID=$pid
	echo "$name $pid" >>"$TA_CLIENTS"
	if ! ta_wait_exit "$pid" "$TA_CLIENT_TIMEOUT"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "e2e: client $name (pid $pid) timed out after ${TA_CLIENT_TIMEOUT}s" >&2
		return 124
	fi
	wait "$pid"
	rc=$?
	ta_log "client $name pid $pid in $ns${cg:+ cgroup $cg} exit $rc"
	return $rc
}

# ---------------------------------------------------------------- tlsaudit

# ta_start_tlsaudit_ns NS ARGS...: like start_tlsaudit, but in netns NS and
# with exactly ARGS (no -j added). Sets TA_PID, TA_OUT, TA_ERR; returns
# non-zero (reason in TA_READY_WHY) if it did not get ready.
ta_start_tlsaudit_ns() {
	local ns=$1
	shift
	ta_setup_tmp
	TA_RUN_SEQ=$((TA_RUN_SEQ + 1))
	TA_OUT=$TA_TMP/tlsaudit.$TA_RUN_SEQ.out
	TA_ERR=$TA_TMP/tlsaudit.$TA_RUN_SEQ.err
	if [ ! -x "$TLSAUDIT" ]; then
		echo "e2e: $TLSAUDIT not found or not executable" >"$TA_ERR"
		TA_PID=""
		return 1
	fi
	env --default-signal=INT nsenter --net="/run/netns/$ns" \
		"$TLSAUDIT" "$@" </dev/null >"$TA_OUT" 2>"$TA_ERR" &
	TA_PID=$!
	TA_BG_PIDS+=("$TA_PID")
	if ! wait_for_line "$TA_ERR" '^tlsaudit: ready' "$TA_WAIT" "$TA_PID" 2>/dev/null; then
		ta_ready_why "$TA_PID"
		return 1
	fi
	ta_log "tlsaudit pid $TA_PID ready in $ns: $*"
	return 0
}

# ta_wait_jq FILE FILTER [TIMEOUT_S=$TA_WAIT] [PID]: until some JSON line of FILE
# makes the jq FILTER output something (bad lines are skipped). With PID,
# gives up early if that process has exited.
ta_wait_jq() {
	local file=$1 filter=$2 to=${3:-$TA_WAIT} pid=${4:-} deadline
	deadline=$((SECONDS + to))
	while :; do
		[ -n "$(jq -cR "fromjson? // empty | select(type == \"object\") | $filter" "$file" 2>/dev/null)" ] &&
			return 0
		if [ -n "$pid" ] && ! ta_pid_alive "$pid"; then
			[ -n "$(jq -cR "fromjson? // empty | select(type == \"object\") | $filter" "$file" 2>/dev/null)" ] &&
				return 0
			return 2
		fi
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- BPF residue

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

# ta_check_no_residue NAME BASELINE NS:DEV...: bounded wait (objects are
# freed asynchronously) until no ta_* program or link is orphaned beyond
# BASELINE (a file of ta_bpf_orphans output taken before), and no tc filter,
# XDP program or clsact filter is left on the given devices. PASS/FAIL NAME.
ta_check_no_residue() {
	local name=$1 base=$2 left="" deadline=$((SECONDS + TA_WAIT)) why="" nd ns dev tcf
	shift 2
	while :; do
		left=$(ta_bpf_orphans | sort | comm -13 <(sort "$base") -)
		[ -z "$left" ] && break
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	[ -n "$left" ] && why="$why BPF objects left with no owner: $(echo "$left" | paste -sd, -);"
	for nd in "$@"; do
		ns=${nd%%:*} dev=${nd#*:}
		ip -n "$ns" link show "$dev" >/dev/null 2>&1 || continue
		tcf=$( (nsenter --net="/run/netns/$ns" tc filter show dev "$dev" ingress
			nsenter --net="/run/netns/$ns" tc filter show dev "$dev" egress) 2>/dev/null)
		[ -n "$tcf" ] && why="$why tc filters on $dev in $ns;"
		ip -n "$ns" -d link show "$dev" | grep -qE 'prog/xdp|xdp' && why="$why XDP on $dev in $ns;"
	done
	if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
}
