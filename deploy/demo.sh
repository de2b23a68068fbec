#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# deploy/demo.sh - the first five minutes with tlsaudit (`make demo`, as root).
#
# Builds a tiny throw-away world, lets real clients talk in it while tlsaudit
# watches, shows what tlsaudit reported, and removes everything again:
#
#   ta-cli-PID  c0 10.203.0.1  <-- veth -->  s0 10.203.0.2:443  nginx, TLS
#                                               10.203.0.3:443  nginx, plain HTTP
#
# Nothing outside those two network namespaces is attached to or talked to.
# tlsaudit runs in a private mount namespace with its own empty bpffs, so the
# counters it pins for --textfile stay out of the machine's /sys/fs/bpf (where
# a real tlsaudit may be keeping its own) and vanish when it exits.
#
# Environment: TLSAUDIT=path (default build/tlsaudit), TA_E2E_KEEP=1 keeps the
# temp dir. Exit status: 0 when every step worked and the report names one
# encrypted and one plaintext process; 1 otherwise.

set -u
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../tests/e2e/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces and BPF): sudo make demo" >&2
	exit 1
fi
require_cmds demo ip nsenter unshare mount ss curl openssl "$TA_NGINX" "$TA_PY"
if [ ! -x "$TLSAUDIT" ]; then
	echo "demo: $TLSAUDIT is not built: run 'make' first" >&2
	exit 1
fi
ta_install_traps

START=$SECONDS
FAILED=0
step() { printf '\n== %s\n' "$*"; }
bad() { echo "demo: FAILED: $*" >&2; FAILED=1; }
indent() { sed 's/^/    /'; }

# ---------------------------------------------------------------- the world

step "Setting up"
setup_netns
start_tls_server
start_plain_server
echo "namespaces $TA_CLI_NS (client) and $TA_SRV_NS (servers), joined by a veth pair"
echo "temp dir $TA_TMP"
echo "  $TA_TLS4:443   nginx speaking TLS"
echo "  $TA_PLAIN4:443   nginx speaking plain HTTP, on the TLS port"

PROM=$TA_TMP/textfile/tlsaudit.prom
mkdir -p "$TA_TMP/textfile"

# tlsaudit in the client namespace, watching c0 and port 443: human-readable
# flow lines on stdout, the Prometheus textfile rewritten every second.
# `unshare -m` and `exec` keep one PID from here to tlsaudit itself.
TA_OUT=$TA_TMP/tlsaudit.out
TA_ERR=$TA_TMP/tlsaudit.err
# shellcheck disable=SC2016 # $1.. are the inner shell's
env --default-signal=INT unshare -m --propagation private sh -c '
	mount -t bpf bpf /sys/fs/bpf || exit 1
	exec nsenter --net="/run/netns/$1" "$2" -i "$3" -p 443 --textfile "$4" --interval 1' \
	demo "$TA_CLI_NS" "$TLSAUDIT" "$TA_CLI_IF" "$PROM" </dev/null >"$TA_OUT" 2>"$TA_ERR" &
TA_PID=$!
TA_BG_PIDS+=("$TA_PID")
if ! wait_for_line "$TA_ERR" '^tlsaudit: ready' 30 "$TA_PID"; then
	echo "demo: tlsaudit did not start:" >&2
	indent <"$TA_ERR" >&2
	exit 1
fi
echo "tlsaudit (pid $TA_PID) is ready: $(sed -n 's/^tlsaudit: ready: //p' "$TA_ERR")"

# ---------------------------------------------------------------- clients


# demo_client NAME WHAT -- CMD...: run CMD in the client namespace
demo_client() {
	local name=$1 what=$2 rc
	shift 3
	run_client "$name" "$@"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		printf '  %-44s pid %-7s ok\n' "$what" "$RUN_CLIENT_PID"
	else
		printf '  %-44s pid %-7s FAILED (exit %s)\n' "$what" "$RUN_CLIENT_PID" "$rc"
		bad "client $name: exit $rc: $(head -c 300 "$TA_TMP/client.$name.err")"
	fi
}

step "Running real clients in $TA_CLI_NS"
demo_client curl_tls "curl https://$TA_TLS4/  (TLS)" -- \
	curl --noproxy '*' -sSk --max-time 10 "https://$TA_TLS4/"
demo_client curl_plain "curl http://$TA_PLAIN4:443/  (plain HTTP)" -- \
	curl --noproxy '*' -sS --max-time 10 "http://$TA_PLAIN4:443/"
demo_client python_tls "python3 ssl client to $TA_TLS4:443  (TLS)" -- \
	"$TA_PY" "$TA_E2E_DIR/tls_get.py" "$TA_TLS4"

# SIGINT: tlsaudit reports what the kernel already decided, prints the
# per-process summary, writes the textfile a last time and detaches
stop_tlsaudit 15
rc=$?
[ "$rc" -eq 0 ] || bad "tlsaudit exited with status $rc: $(tail -n 5 "$TA_ERR")"

# ---------------------------------------------------------------- the report

step "What tlsaudit reported"
cat <<'EOF'
tlsaudit judges each connection to port 443 by the first bytes the client
sends: a TLS ClientHello is "tls", an HTTP request is "plaintext_http". The
process is named in the kernel when it connects, so even a client that has
already exited is named. One line per flow:
EOF
grep -v '^process ' "$TA_OUT" | indent
echo
echo "At exit, one line per process (status: encrypted, plaintext, mixed); the"
echo "role=server lines are the nginx servers at the other end of the same flows:"
grep '^process ' "$TA_OUT" | indent
echo
echo "The Prometheus textfile $(basename "$PROM") (what node_exporter would serve):"
grep '^tlsaudit_flows_total' "$PROM" 2>/dev/null | indent

# the point of the demo: one encrypted and one plaintext process, by name
CURL_TLS=$(client_pid curl_tls) CURL_PLAIN=$(client_pid curl_plain) PY=$(client_pid python_tls)
want_proc() {
	local pid=$1 comm=$2 status=$3
	grep -qE "^process pid=$pid comm=$comm status=$status " "$TA_OUT" ||
		bad "no 'process pid=$pid comm=$comm status=$status' line in the report"
}
want_proc "$CURL_TLS" curl encrypted
want_proc "$CURL_PLAIN" curl plaintext
want_proc "$PY" python3 encrypted
grep -qE '^tlsaudit_flows_total\{verdict="tls",comm="curl",container="",port="443"\} 1$' "$PROM" 2>/dev/null ||
	bad "the textfile has no tls flow of curl"
grep -qE '^tlsaudit_flows_total\{verdict="plaintext_http",comm="curl",container="",port="443"\} 1$' "$PROM" 2>/dev/null ||
	bad "the textfile has no plaintext_http flow of curl"

step "In short"
if [ "$FAILED" = 0 ]; then
	cat <<EOF
curl (pid $CURL_TLS) and python3 (pid $PY) encrypted their traffic; curl
(pid $CURL_PLAIN) sent plain HTTP to port 443, which no TLS port should see.
On a real machine: 'tlsaudit' (every interface, port 443), '-j' for JSON,
'--textfile /var/lib/prometheus/node-exporter/tlsaudit.prom' for Prometheus,
'--top' for a live table. See 'man -l docs/tlsaudit.8'.
EOF
else
	echo "Something did not work; see the FAILED lines above."
fi

ta_teardown
for ns in "$TA_CLI_NS" "$TA_SRV_NS"; do
	[ -e "/run/netns/$ns" ] && bad "namespace $ns is still there"
done
[ -d "$TA_TMP" ] && [ "${TA_E2E_KEEP:-0}" != 1 ] && bad "$TA_TMP is still there"
echo
echo "Removed the namespaces, the servers and $TA_TMP ($((SECONDS - START)) s)."
exit "$FAILED"
