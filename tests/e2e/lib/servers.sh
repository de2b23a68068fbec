# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/servers.sh - real servers in our namespaces, each waited for
# by its listeners (sourced by lib.sh). Configs, logs and pid files live in
# the temp dir; nothing under /etc or /var is touched.

TA_TLS_PID=""                   # nginx TLS master (start_tls_server)
TA_PLAIN_PID=""                 # nginx plain master (start_plain_server)
TA_PLAIN_ACCESS_LOG=""          # its access log

# ta_serve NAME NS ADDR:PORT... -- CMD [ARGS...]: a server CMD in netns NS
# (output in $TA_TMP/NAME.{out,err}), waited for until it listens on every
# ADDR:PORT ([v6]:port for IPv6); dies if it does not. Sets TA_BG_PID.
ta_serve() {
	local name=$1 ns=$2 listens=()
	shift 2
	while [ "$1" != -- ]; do listens+=("$1"); shift; done
	shift
	ta_setup_tmp
	ta_bg "$ns" "$TA_TMP/$name.out" "$TA_TMP/$name.err" "$@"
	ta_wait_listens "$ns" "$TA_BG_PID" "${listens[@]}" ||
		ta_die "$name did not start: $(tail -n 5 "$TA_TMP/$name.out" "$TA_TMP/$name.err" 2>&1)"
	ta_log "$name pid $TA_BG_PID listening on ${listens[*]}"
}

# ---------------------------------------------------------------- nginx

# ta_nginx_conf DIR LISTEN_LINES SERVER_EXTRA: a self-contained nginx.conf
# (pid, logs, temp paths all inside DIR; nothing under /etc/nginx or /var).
ta_nginx_conf() {
	local d=$1 lines=$2 extra=$3
	mkdir -p "$d/logs" "$d/tmp"
	cat >"$d/nginx.conf" <<NGINX
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
$lines
        server_name _;
$extra
        location / { return 200 "ok\n"; }
    }
}
NGINX
}

# ta_start_nginx NAME NS SSL EXTRA ADDR:PORT...: nginx in NS from
# $TA_TMP/nginx-NAME (SSL "ssl" or "": every listener speaks TLS or none),
# EXTRA in its server block, waited for on every listener. The PID held must
# be nginx's master itself (it writes its pid file before it listens), or
# stopping it by PID would orphan it. Sets TA_NGINX_PID and TA_NGINX_DIR.
ta_start_nginx() {
	local name=$1 ns=$2 ssl=$3 extra=$4 d l lines=""
	shift 4
	ta_setup_tmp
	d=$TA_TMP/nginx-$name
	for l in "$@"; do
		lines="$lines        listen $l${ssl:+ $ssl};
"
	done
	ta_nginx_conf "$d" "${lines%$'\n'}" "$extra"
	ta_bg "$ns" "$d/stdout.log" "$d/stdout.log" "$TA_NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log"
	TA_NGINX_PID=$TA_BG_PID TA_NGINX_DIR=$d
	ta_wait_listens "$ns" "$TA_NGINX_PID" "$@" ||
		ta_die "nginx $name did not start: $(tail -n 5 "$d/logs/error.log" "$d/stdout.log" 2>&1)"
	[ "$(cat "$d/nginx.pid" 2>/dev/null)" = "$TA_NGINX_PID" ] ||
		ta_die "nginx in $d: master pid $(cat "$d/nginx.pid" 2>/dev/null) != recorded pid $TA_NGINX_PID"
	ta_log "nginx $name master pid $TA_NGINX_PID"
}

# ta_nginx_workers MASTER: the worker PIDs (children of the master)
ta_nginx_workers() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n
}

# ta_tls_cert: the self-signed CN=srv.test certificate in $TA_TMP/nginx-tls
# (made once); ta_tls_conf: nginx lines that use it
ta_tls_cert() {
	local d=$TA_TMP/nginx-tls
	ta_setup_tmp
	[ -r "$d/srv.crt" ] && return 0
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/srv.key" -out "$d/srv.crt" -days 2 -subj "/CN=srv.test" \
		-addext "subjectAltName=DNS:srv.test" >"$d/openssl.log" 2>&1 ||
		ta_die "openssl req failed: $(cat "$d/openssl.log")"
	chmod 600 "$d/srv.key"
}
ta_tls_conf() {
	printf '        ssl_certificate %s;\n        ssl_certificate_key %s;\n' \
		"$TA_TMP/nginx-tls/srv.crt" "$TA_TMP/nginx-tls/srv.key"
}

# start_tls_server [ADDR:PORT...]: TLS 1.2 + 1.3 nginx in the server netns
# ($TA_SRV_NS) with the srv.test certificate, on $TA_TLS4:443 and
# [$TA_TLS6]:443 unless told otherwise. Sets TA_TLS_PID.
start_tls_server() {
	ta_tls_cert
	[ $# -gt 0 ] || set -- "$TA_TLS4:443" "[$TA_TLS6]:443"
	ta_start_nginx tls "$TA_SRV_NS" ssl "$(ta_tls_conf)
        ssl_protocols TLSv1.2 TLSv1.3;" "$@"
	TA_TLS_PID=$TA_NGINX_PID
}

# start_plain_server [ADDR:PORT...]: plaintext nginx in the server netns, on
# $TA_PLAIN4 and [$TA_PLAIN6], ports 443 and the unwatched 8080, unless told
# otherwise. Non-HTTP bytes get a 400 and are logged (request line) in
# $TA_PLAIN_ACCESS_LOG. Sets TA_PLAIN_PID.
start_plain_server() {
	[ $# -gt 0 ] || set -- "$TA_PLAIN4:443" "[$TA_PLAIN6]:443" \
		"$TA_PLAIN4:$TA_UNWATCHED_PORT" "[$TA_PLAIN6]:$TA_UNWATCHED_PORT"
	ta_start_nginx plain "$TA_SRV_NS" "" "" "$@"
	TA_PLAIN_PID=$TA_NGINX_PID
	TA_PLAIN_ACCESS_LOG=$TA_NGINX_DIR/logs/access.log
}

# start_openssl_server ADDR [PORT=443]: `openssl s_server -www` in the server
# netns with the srv.test certificate. Sets TA_OSSL_PID.
start_openssl_server() {
	local addr=$1 port=${2:-443} hp=$1:${2:-443}
	ta_tls_cert
	case $addr in *:*) hp="[$addr]:$port" ;; esac
	ta_serve openssl-server "$TA_SRV_NS" "$hp" -- openssl s_server -www -quiet \
		-accept "$addr:$port" -cert "$TA_TMP/nginx-tls/srv.crt" -key "$TA_TMP/nginx-tls/srv.key"
	TA_OSSL_PID=$TA_BG_PID
}
