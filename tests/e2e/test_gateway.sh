#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/e2e/test_gateway.sh - end-to-end test of gateway mode (--gateway) and
# of --enforce, with real servers and clients on both sides of a router.
#
# Topology (three namespaces, all made here; nothing else is touched):
#
#   ta-gc-$$ (client)           ta-gw-$$ (gateway, forwarding)     ta-gs-$$ (server)
#   c0  10.206.1.1/24  <-veth-> g1 10.206.1.254                    s0 10.206.2.2  TLS nginx
#       fd00:206:1::1/64           fd00:206:1::fe                     fd00:206:2::2
#       10.206.42.1/24  VLAN 42    10.206.42.254                      10.206.2.3  plain nginx ("blocked")
#       fd00:206:42::1/64 tagged   fd00:206:42::fe                    fd00:206:2::3
#                                  g2 10.206.2.254    <-veth->        10.206.2.4  plain nginx ("allowed")
#                                     fd00:206:2::fe                  fd00:206:2::4
#                                                                     :8080 on .3/.4: unwatched port
#
# The client's default routes go via g1; traffic sourced from its VLAN
# addresses (10.206.42.1, fd00:206:42::1) is policy-routed via 10.206.42.254,
# and crosses the c0<->g1 veth as 802.1Q VLAN 42 frames.
#
# This kernel has no 802.1Q devices (CONFIG_VLAN_8021Q off) and no tc vlan
# action, so the VLAN trunk is emulated with a small test-only tc BPF program
# (compiled here from the source below): bpf_skb_vlan_push on c0 and g1
# egress for IPv4/IPv6 frames from or to the VLAN subnets, bpf_skb_vlan_pop on
# c0 and g1 ingress (a legacy clsact filter, which runs after tlsaudit's tcx
# program, so tlsaudit still sees the tag). tlsaudit watches only g1 and g2.
# A tcpdump on g1 proves the frames really are tagged there. The VLAN path
# runs twice: with c0's tx VLAN offload on (the tag travels as skb metadata
# over the veth) and off (the tag is written into the frame bytes, so the
# XDP parser's 802.1Q path runs).
#
# `tlsaudit --gateway -i g1 -i g2 --hook xdp|tc -j` runs in the gateway netns.
# Phases, for each hook:
#   audit     curl TLS 1.2/1.3, python ssl, curl http://...:443 (plaintext),
#             curl :8080 (unwatched), over IPv4, IPv6, VLAN IPv4, VLAN IPv6:
#             exactly one flow event per connection (matched by the client's
#             address and port, which the clients print), with verdict, role
#             "forwarded", no pid/comm, iface g1, server/port; the server
#             logs agree; no event for :8080 and no other flow events; stats
#             line: blocked 0, midstream 0.
#   enforce   --enforce --allow 10.206.2.4/32 --allow fd00:206:2::4/128:
#             TLS (curl, python) works; plaintext to .3 fails, both from
#             `curl -m 5 http://.3:443/` and from a python client that sends
#             its request and half-closes at once (shutdown(SHUT_WR)), and
#             (direct path) from one that first forges an out-of-window RST
#             of its own connection, which the server ignores; how
#             each failed, and how fast, is printed as a "note:" line. Their
#             events say "action":"blocked", one per connection; the
#             plaintext server neither logs a request nor receives one
#             payload byte (tcpdump on s0), checked once the client's kernel
#             has given every connection up (orphan retries lowered to 3, a
#             bounded wait); plaintext to the allowed .4 works and is logged;
#             stats "blocked" equals the number of blocked attempts.
#   both      tlsaudit attached as asked (XDP programs on g1 and g2, or tcx
#             links), the exact ready line; SIGINT -> exit 0 and nothing
#             left: no object tlsaudit held, no link nobody holds running one
#             of its programs, g1/g2 attachments as before (the VLAN
#             emulation's filters only). Under --enforce the links are
#             held at exit (pinned, in a bpffs private to this test) and
#             the check follows `tlsaudit --release`, which must end them.
#   teardown  --enforce killed (SIGKILL): held, then released, then the same check.
#
# Usage (root):  tests/e2e/test_gateway.sh
#   TA_GW_HOOKS="xdp tc"         hooks to test (default both)
#   TA_GW_PHASES="audit enforce teardown"
#   TA_GW_PATHS="direct vlan vlantag"   client paths (see the header)
#   TLSAUDIT=path, TA_E2E_KEEP=1, TA_E2E_VERBOSE=1, TA_WAIT: see lib.sh
#
# Output: "PASS: <name>" / "FAIL: <name>: ..." / "note: ..." lines; exit 1 on
# any FAIL.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=test_gateway
ta_e2e_init "$T" ip tc nsenter ss jq curl openssl bpftool tcpdump ethtool clang "$TA_NGINX" "$TA_PY"

HOOKS=${TA_GW_HOOKS:-xdp tc}
PHASES=${TA_GW_PHASES:-audit enforce teardown}

GW_C=ta-gc-$$
GW_G=ta-gw-$$
GW_S=ta-gs-$$
# shellcheck disable=SC2034 # read by lib.sh (start_tls_server, start_plain_server)
TA_CLI_NS=$GW_C
# shellcheck disable=SC2034
TA_SRV_NS=$GW_S

VID=42
C4=10.206.1.1 C6=fd00:206:1::1
G1_4=10.206.1.254 G1_6=fd00:206:1::fe
CV4=10.206.42.1 CV6=fd00:206:42::1
GV4=10.206.42.254 GV6=fd00:206:42::fe
G2_4=10.206.2.254 G2_6=fd00:206:2::fe
TA_TLS4=10.206.2.2 TA_TLS6=fd00:206:2::2   # start_tls_server listens here
# shellcheck disable=SC2034 # read by lib.sh
BLK4=10.206.2.3 BLK6=fd00:206:2::3         # plaintext; blocked under --enforce
ALW4=10.206.2.4 ALW6=fd00:206:2::4         # plaintext; --allow'ed
UNW_PORT=8080
ALLOW_ARGS=(--allow "$ALW4/32" --allow "$ALW6/128")
# the client kernel gives an abandoned connection up after this many
# retransmissions, so "no byte ever reached the server" is a bounded wait
ORPHAN_RETRIES=3
# paths: "direct" over c0, "vlan" over c0.42 with tx VLAN offload on (tag as
# metadata), "vlantag" over c0.42 with it off (tag in the frame bytes)
PATHS=${TA_GW_PATHS:-direct vlan vlantag}


# ---------------------------------------------------------------- topology

# the VLAN trunk emulation (see the header): tag on egress, untag on ingress
VLAN_EMU_SRC='
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
char LICENSE[] SEC("license") = "GPL";

static __always_inline int in_vlan6(const struct in6_addr *a)
{
	return a->s6_addr32[0] == bpf_htonl(0xfd000206) && a->s6_addr32[1] == bpf_htonl(0x00420000);
}

/* IPv4/IPv6 frames from or to 10.206.42.0/24 or fd00:206:42::/64 get tag VID */
SEC("tc/vlan_push")
int gw_vlan_push(struct __sk_buff *skb)
{
	void *d = (void *)(long)skb->data, *e = (void *)(long)skb->data_end;
	struct ethhdr *eth = d;
	int hit = 0;

	if ((void *)(eth + 1) > e || skb->vlan_present)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > e)
			return TC_ACT_OK;
		hit = (bpf_ntohl(ip->saddr) >> 8) == 0x0ace2a || (bpf_ntohl(ip->daddr) >> 8) == 0x0ace2a;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > e)
			return TC_ACT_OK;
		hit = in_vlan6(&ip6->saddr) || in_vlan6(&ip6->daddr);
	}
	if (hit && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), VID))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

/* at TC ingress the tag is already out of the frame, in the skb metadata */
SEC("tc/vlan_pop")
int gw_vlan_pop(struct __sk_buff *skb)
{
	if (skb->vlan_present && (skb->vlan_tci & 0xfff) == VID && bpf_skb_vlan_pop(skb))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
'

gw_vlan_emu() {
	local o=$TA_TMP/vlan_emu.bpf.o nd ns dev
	printf '%s\n' "$VLAN_EMU_SRC" >"$TA_TMP/vlan_emu.bpf.c"
	clang -O2 -g -Wall -Werror -target bpf -DVID=$VID -I"/usr/include/$(uname -m)-linux-gnu" \
		-c "$TA_TMP/vlan_emu.bpf.c" -o "$o" >"$TA_TMP/vlan_emu.log" 2>&1 ||
		ta_die "VLAN emulation program does not build: $(cat "$TA_TMP/vlan_emu.log")"
	for nd in "$GW_C:c0" "$GW_G:g1"; do
		ns=${nd%%:*} dev=${nd#*:}
		# tc mounts a bpffs when it loads an object: keep that mount in a
		# throw-away mount namespace so the host is left as it was
		nsenter --net="/run/netns/$ns" tc qdisc add dev "$dev" clsact &&
			unshare --mount --propagation private nsenter --net="/run/netns/$ns" \
				tc filter add dev "$dev" egress bpf da obj "$o" sec tc/vlan_push &&
			unshare --mount --propagation private nsenter --net="/run/netns/$ns" \
				tc filter add dev "$dev" ingress bpf da obj "$o" sec tc/vlan_pop ||
			ta_die "cannot attach the VLAN emulation to $dev in $ns"
	done
}

gw_setup() {
	ta_setup_routed "$GW_C" "$GW_G" "$GW_S" "$C4/24 $C6/64 $CV4/24 $CV6/64" \
		"$G1_4/24 $G1_6/64 $GV4/24 $GV6/64" "$G2_4/24 $G2_6/64" \
		"$TA_TLS4/24 $BLK4/24 $ALW4/24 $TA_TLS6/64 $BLK6/64 $ALW6/64"
	ta_sysctl "$GW_C" net.ipv4.tcp_orphan_retries=$ORPHAN_RETRIES
	# sourced from the VLAN addresses: via the gateway's VLAN address
	ip -n "$GW_C" rule add from "$CV4" lookup $VID || ta_die "v4 rule"
	ip -n "$GW_C" route add default via "$GV4" dev c0 src "$CV4" table $VID || ta_die "v4 vlan route"
	ip -n "$GW_C" -6 rule add from "$CV6" lookup $VID || ta_die "v6 rule"
	ip -n "$GW_C" -6 route add default via "$GV6" dev c0 src "$CV6" table $VID || ta_die "v6 vlan route"
	gw_vlan_emu
}

# gw_vlan_txoffload on|off: where c0 puts the 802.1Q tag of the VLAN frames:
# on = skb metadata (XDP on g1 sees an untagged frame, the tag aside), off =
# written into the frame (XDP on g1 parses the 0x8100 header). TC ingress
# always gets the tag as metadata: the stack untags before TC.
gw_vlan_txoffload() {
	nsenter --net="/run/netns/$GW_C" ethtool -K c0 txvlan "$1" >/dev/null 2>&1
	nsenter --net="/run/netns/$GW_C" ethtool -k c0 | grep -qx "tx-vlan-offload: $1" ||
		ta_die "cannot set tx-vlan-offload $1 on c0"
}

# plaintext nginx on BLK and ALW, ports 443 and 8080; its access log names
# the server address and the client's address and port of every request
gw_start_plain_server() {
	local a p l=()
	for a in "$BLK4" "$ALW4" "[$BLK6]" "[$ALW6]"; do
		for p in 443 $UNW_PORT; do l+=("$a:$p"); done
	done
	start_plain_server "${l[@]}"
}

hostport() { case $1 in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }

# every server address answers TCP from every client source (no tlsaudit
# yet): proves the routing, the VLAN and the forwarding
gw_reachable() {
	local src dst
	for src in "$C4" "$CV4" "$C6" "$CV6"; do
		case $src in *:*) dst=$ALW6 ;; *) dst=$ALW4 ;; esac
		nsenter --net="/run/netns/$GW_C" curl --noproxy '*' -s -o /dev/null -m 2 \
			--interface "$src" "http://$(hostport "$dst" $UNW_PORT)/" || return 1
	done
}

# ---------------------------------------------------------------- clients

# the plaintext clients that half-close and that forge a RST (plain_get.py)
PLAIN_GET=("$TA_PY" "$TA_E2E_DIR/plain_get.py")
CURL=(curl --noproxy '*' -sS -w '%{stderr}lport=%{local_port}\n')

# src_of PATH FAMILY: the client's source address for a path
src_of() {
	case $1/$2 in
	direct/4) echo "$C4" ;;
	direct/6) echo "$C6" ;;
	*/4) echo "$CV4" ;;
	*/6) echo "$CV6" ;;
	esac
}

# expectations of one phase: name verdict client cport server action logged
EXPECT=""
# gw_client NAME VERDICT SRC SERVER ACTION WANT CHECK -- CMD...
#   VERDICT  expected verdict, or "-" for the unwatched port (no event)
#   ACTION   "blocked" or "-" (no action field)
#   WANT     ok: exit 0 and stdout as CHECK says; fail: non-zero exit
#   CHECK    out=TEXT | outre=ERE | -
# The client prints its local port (lport=N on stderr); the flow event and
# the server log are matched to the connection by it. gw_client runs one
# client to its end; gw_client_start starts one in the background (a shell
# in the client netns runs and times it) and gw_clients_finish waits for all
# still pending and judges each.
GW_PENDING=()
gw_client_start() {
	local name=$1 rec cmd
	rec="$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"$'\t'"$6"$'\t'"$7"
	shift 8
	cmd="$*"
	[ "${#cmd}" -gt 160 ] && cmd="${cmd:0:160}..."
	cmd=${cmd//$'\n'/ }
	# shellcheck disable=SC2016 # the inner shell's
	ta_bg "$GW_C" "$TA_TMP/client.$name.out" "$TA_TMP/client.$name.err" bash -c 'f=$1; shift
		s=$(date +%s%3N); "$@"; rc=$?; echo $(( $(date +%s%3N) - s )) >"$f"; exit $rc' \
		gw-client "$TA_TMP/client.$name.ms" "$@"
	echo "$name $TA_BG_PID" >>"$TA_CLIENTS"
	GW_PENDING+=("$TA_BG_PID"$'\t'"$rec"$'\t'"$cmd")
}

gw_clients_finish() {
	local e pid name verdict src server action want check cmd rc ms lport why out err todo bad
	local deadline=$((SECONDS + TA_CLIENT_TIMEOUT))
	if [ "${1:-}" = last ]; then
		todo=("${GW_PENDING[@]: -1}")
		GW_PENDING=("${GW_PENDING[@]:0:${#GW_PENDING[@]}-1}")
	else
		todo=("${GW_PENDING[@]}")
		GW_PENDING=()
	fi
	for e in "${todo[@]}"; do
		IFS=$'\t' read -r pid name verdict src server action want check cmd <<<"$e"
		why=""
		if ! ta_wait_exit "$pid" $((deadline > SECONDS ? deadline - SECONDS : 0)); then
			kill -KILL "$pid" 2>/dev/null
			why="killed after ${TA_CLIENT_TIMEOUT}s;"
		fi
		wait "$pid" 2>/dev/null
		rc=$?
		out=$TA_TMP/client.$name.out err=$TA_TMP/client.$name.err
		ms=$(cat "$TA_TMP/client.$name.ms" 2>/dev/null)
		lport=$(sed -n 's/^lport=\([0-9][0-9]*\)$/\1/p' "$err" | tail -n 1)
		[ -n "$lport" ] && [ "$lport" != 0 ] || why="$why no local port printed;"
		if [ "$want" = ok ]; then
			if [ "$rc" -ne 0 ]; then
				why="$why exit status $rc;"
			else
				bad=$(ta_output_why "$check" "$out" "$err")
				[ -z "$bad" ] || why="$why $bad;"
			fi
		else
			[ "$rc" -ne 0 ] || why="$why succeeded (exit 0), want a failure;"
			echo "$name rc=$rc ms=${ms:-?}" >>"$TA_TMP/failures"
		fi
		echo "$name $verdict $src ${lport:-0} $server $action" >>"$EXPECT"
		if [ -z "$why" ]; then
			pass "$PFX:traffic:$name"
		else
			fail "$PFX:traffic:$name" "$why" "cmd: $cmd" "stdout: $(head -c 300 "$out")" \
				"stderr: $(head -c 300 "$err")"
		fi
	done
}

gw_client() {
	gw_client_start "$@"
	gw_clients_finish last
}

# run_clients MODE: the client set of a phase (MODE audit|enforce)
run_clients() {
	local mode=$1 path f src tls blk alw n
	for path in $PATHS; do
		case $path in
		vlan) gw_vlan_txoffload on ;;
		vlantag) gw_vlan_txoffload off ;;
		esac
		for f in 4 6; do
			src=$(src_of "$path" $f)
			if [ $f = 4 ]; then tls=$TA_TLS4 blk=$BLK4 alw=$ALW4; else tls=$TA_TLS6 blk=$BLK6 alw=$ALW6; fi
			n=${path}_v$f
			gw_client "curl_tls12_$n" tls "$src" "$tls" - ok out=ok -- \
				"${CURL[@]}" -k -m 10 --tlsv1.2 --tls-max 1.2 --interface "$src" "https://$(hostport "$tls" 443)/"
			gw_client "curl_tls13_$n" tls "$src" "$tls" - ok out=ok -- \
				"${CURL[@]}" -k -m 10 --tlsv1.3 --interface "$src" "https://$(hostport "$tls" 443)/"
			gw_client "python_tls_$n" tls "$src" "$tls" - ok 'outre=^HTTP/1.1 200' -- \
				"$TA_PY" "$TA_E2E_DIR/tls_get.py" "$tls" "$src"
			gw_client "curl_http_allowed_$n" plaintext_http "$src" "$alw" - ok out=ok -- \
				"${CURL[@]}" -m 10 --interface "$src" "http://$(hostport "$alw" 443)/"
			gw_client "curl_unwatched_$n" - "$src" "$blk" - ok out=ok -- \
				"${CURL[@]}" -m 10 --interface "$src" "http://$(hostport "$blk" $UNW_PORT)/"
			if [ "$mode" = audit ]; then
				gw_client "curl_http_$n" plaintext_http "$src" "$blk" - ok out=ok -- \
					"${CURL[@]}" -m 10 --interface "$src" "http://$(hostport "$blk" 443)/"
			else
				# the blocked ones all wait for their timeouts: together
				gw_client_start "curl_http_blocked_$n" plaintext_http "$src" "$blk" blocked fail - -- \
					"${CURL[@]}" -m 5 --interface "$src" "http://$(hostport "$blk" 443)/"
				gw_client_start "py_halfclose_blocked_$n" plaintext_http "$src" "$blk" blocked fail - -- \
					"${PLAIN_GET[@]}" halfclose "$blk" "$src"
				[ "$path" = direct ] &&
					gw_client_start "py_forged_rst_blocked_$n" plaintext_http "$src" "$blk" blocked fail - -- \
						"${PLAIN_GET[@]}" forged-rst "$blk" "$src"
			fi
		done
		gw_clients_finish # before the next path changes c0's offloads
	done
	gw_vlan_txoffload on
}

# ---------------------------------------------------------------- residue

# gw_dev_state: what is attached to g1 and g2 (XDP, tc filters); the VLAN
# emulation's own filters are part of the baseline
gw_dev_state() { ta_dev_state "$GW_G:g1" "$GW_G:g2"; }

# gw_check_no_residue NAME OURS: no BPF object tlsaudit held (OURS, read
# from its fds once it was ready) exists any more, no link nobody holds runs
# one of its programs, and g1/g2 look as before tlsaudit (no XDP; tc filters:
# the VLAN emulation's only). (Not "no orphaned ta_* object on the machine":
# other tests running at the same time have their own, coming and going.)
gw_check_no_residue() {
	ta_check_no_residue "$1" --ours "$2" --devs "$DEV_BASE" "$GW_G:g1" "$GW_G:g2"
}

# ---------------------------------------------------------------- tlsaudit

# gw_start HOOK [ARGS...]: tlsaudit in the gateway netns; checks the ready
# line and what got attached. Sets OURS (the BPF objects it holds).
gw_start() {
	local hook=$1 want why=""
	shift
	want="tlsaudit: ready: watching g1 g2; ports 443; gateway ($hook)"
	GW_ENFORCING=0
	case " $* " in *" --enforce "*) want="$want; enforcing" GW_ENFORCING=1 ;; esac
	if ! ta_start_tlsaudit_ns "$GW_G" --gateway -i g1 -i g2 --hook "$hook" "$@" -j; then
		fail "$PFX:ready" "$TA_READY_WHY" "$(tail -n 20 "$TA_ERR")"
		return 1
	fi
	grep -qxF "$want" "$TA_ERR" || why="$why ready line is not '$want';"
	grep -q 'generic mode' "$TA_ERR" && why="$why XDP fell back to generic mode;"
	OURS=$TA_TMP/ours.$TA_RUN_SEQ
	ta_bpf_ids "$TA_PID" >"$OURS"
	grep -q '^prog ' "$OURS" || why="$why holds no BPF program;"
	local dev
	if [ "$hook" = xdp ]; then
		for dev in g1 g2; do
			ip -n "$GW_G" -d link show "$dev" | grep -q 'prog/xdp.*name ta_xdp_gateway' ||
				why="$why no ta_xdp_gateway on $dev;"
		done
	else
		[ "$(grep -c '^link ' "$OURS")" -ge 2 ] || why="$why fewer than 2 links held (tcx on g1, g2);"
		ip -n "$GW_G" -d link show g1 | grep -q 'xdp' && why="$why XDP on g1 with --hook tc;"
	fi
	if [ -z "$why" ]; then pass "$PFX:ready"; else
		fail "$PFX:ready" "$why" "$(cat "$TA_ERR")" "$(gw_dev_state)"
	fi
	return 0
}

# gw_release: an --enforce run's links outlive it (held): they must be
# there, and `tlsaudit --release` must end them
gw_release() {
	local why=""
	[ -n "$(ta_held)" ] || why="no link is held after the run ended;"
	ta_tlsaudit_fg "$GW_G" --release >"$TA_TMP/release.$TA_RUN_SEQ" 2>&1 || why="$why --release failed;"
	[ -z "$(ta_held)" ] || why="$why links still held after --release;"
	check "$PFX:held_then_released" "$why" "$(cat "$TA_TMP/release.$TA_RUN_SEQ")"
}

# gw_stop: SIGINT, exit 0, nothing left behind (under --enforce: once released)
gw_stop() {
	local rc
	stop_tlsaudit
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "$PFX:exit_on_sigint"; else
		fail "$PFX:exit_on_sigint" "exit status $rc, want 0" "$(tail -n 20 "$TA_ERR")"
	fi
	[ "$GW_ENFORCING" = 1 ] && gw_release
	gw_check_no_residue "$PFX:no_residue_after_sigint" "$OURS"
}

# ---------------------------------------------------------------- assertions

# log_lines LOG PREFIX: the access log lines that start with PREFIX
# ("server:port client:port "; a client port alone can be reused towards
# another server)
log_lines() { awk -v s="$2" 'index($0, s) == 1' "$1"; }

# gw_check_events: the flow events and the stats line of the last run
# against $EXPECT (lines: name verdict client cport server action)
gw_check_events() {
	local raw=$TA_OUT ev=$TA_TMP/events.$TA_RUN_SEQ.jsonl
	local tls_log=$TA_TMP/nginx-tls/logs/access.log
	ta_check_json_lines "$PFX:json_lines" "$raw"
	ta_valid_json "$raw" >"$ev"

	# one jq pass: for each expected connection, its flow events (matched by
	# the client's address and port) and what is wrong with them
	local name verdict caddr cport server action evs mism log logged nblocked=0
	jq -r -s --rawfile x "$EXPECT" '
		def chk(k; want): if .[k] == want then empty else "\(k)=\(.[k] | tojson) want \(want | tojson)" end;
		[.[] | select(.event == "flow")] as $fl
		| $x | split("\n")[] | select(length > 0) | split(" ") as [$name, $v, $c, $p, $s, $a]
		| [$fl[] | select(.client == $c and .client_port == ($p | tonumber))] as $evs
		| ($evs | length) as $n
		| (if $v == "-" then (if $n == 0 then "" else "\($n) events for an unwatched port, want none" end)
		   elif $n != 1 then "\($n) flow events for \($c):\($p), want 1"
		   else $evs[0] | [chk("verdict"; $v), chk("role"; "forwarded"), chk("l4"; "tcp"),
			chk("server"; $s), chk("server_port"; 443), chk("iface"; "g1"),
			(if has("pid") or has("comm") or has("uid") then "has process fields (pid/comm/uid)" else empty end),
			(if $a == "blocked" then chk("action"; "blocked")
			 elif has("action") then "action=\(.action | tojson), want none" else empty end),
			(if has("truncated") then "truncated=\(.truncated)" else empty end)] | join("; ")
		   end) as $m
		| [$name, $v, $c, $p, $s, $a, ($n | tostring), $m, ($evs | map(tojson) | join(" ;; "))]
		| join("\u001f")' "$ev" >"$ev.check"
	local n
	while IFS=$'\x1f' read -r name verdict caddr cport server action n mism evs; do
		[ "$action" = blocked ] && nblocked=$((nblocked + 1))
		if [ "$verdict" != - ] && [ "$n" = 1 ]; then
			# what the server saw of this connection
			if [ "$verdict" = tls ]; then log=$tls_log; else log=$TA_PLAIN_ACCESS_LOG; fi
			if [ "$action" = blocked ]; then
				logged=$(log_lines "$log" "$server:443 $caddr:$cport ")
				[ -n "$logged" ] &&
					mism="${mism:+$mism; }the server logged a request of this blocked connection: $logged"
			else
				[ -n "$(log_lines "$log" "$server:443 $caddr:$cport ")" ] ||
					mism="${mism:+$mism; }server log has no request from $caddr:$cport to $server:443"
			fi
		fi
		if [ -z "$mism" ]; then pass "$PFX:flow:$name"; else
			fail "$PFX:flow:$name" "$mism" "${evs// ;; /$'\n'}"
		fi
	done <"$ev.check"
	n=$(grep -c . "$EXPECT")
	[ "$(grep -c . "$ev.check")" = "$n" ] || fail "$PFX:flow_check" "checked $(grep -c . "$ev.check") of $n connections (jq failed?)"

	# no flow event that is not one of our connections
	evs=$(jq -c --rawfile x "$EXPECT" '
		($x | split("\n") | map(select(length > 0) | split(" ") | select(.[1] != "-") | "\(.[2]) \(.[3])")) as $k
		| select(.event == "flow" and (("\(.client) \(.client_port)") as $me | $k | index($me) | not))' "$ev")
	if [ -z "$evs" ]; then pass "$PFX:no_extra_flows"; else
		fail "$PFX:no_extra_flows" "flow events for no connection of ours" "$evs"
	fi

	evs=$(jq -c 'select(.event == "stats")' "$ev")
	n=$(printf '%s' "$evs" | grep -c .)
	if [ "$n" -ne 1 ]; then
		fail "$PFX:stats" "$n stats events, want 1" "$evs"
		return
	fi
	mism=$(printf '%s\n' "$evs" | jq -r --argjson b "$nblocked" '
		def chk(k; want): if .[k] == want then empty else "\(k)=\(.[k] | tojson) want \(want | tojson)" end;
		[chk("blocked"; $b), chk("midstream"; 0), chk("ringbuf_drops"; 0),
		 chk("flow_insert_failures"; 0), chk("attach_failures"; 0),
		 (if $b == 0 then chk("blocked_packets"; 0)
		  elif (.blocked_packets | type) == "number" and .blocked_packets >= $b then empty
		  else "blocked_packets=\(.blocked_packets | tojson) want >= \($b) (at least each blocked flow first payload)" end)]
		| join("; ")')
	if [ -z "$mism" ]; then pass "$PFX:stats"; else fail "$PFX:stats" "$mism" "$evs"; fi
}

# gw_check_vlan_tagged PCAP: the VLAN paths' frames crossed g1 tagged, and
# none of them untagged
gw_check_vlan_tagged() {
	local pcap=$1 tagged untagged
	tcpdump -nn -e -r "$pcap" 2>/dev/null >"$pcap.txt"
	tagged=$(grep -E "vlan $VID, .* ($CV4|$CV6)\.[0-9]+ > " "$pcap.txt" | grep -c .)
	untagged=$(grep -vE "vlan $VID," "$pcap.txt" | grep -cE " ($CV4|$CV6)\.[0-9]+ > ")
	if [ "$tagged" -gt 0 ] && [ "$untagged" -eq 0 ]; then
		pass "$PFX:vlan_frames_tagged_on_g1"
	else
		fail "$PFX:vlan_frames_tagged_on_g1" "$tagged tagged and $untagged untagged frames from the VLAN addresses on g1" \
			"$(head -n 20 "$pcap.txt")"
	fi
}

# gw_check_no_plaintext_arrived PCAP: the server's capture holds no client
# payload byte to the blocked server's port 443
gw_check_no_plaintext_arrived() {
	local pcap=$1 lines
	lines=$(tcpdump -nn -r "$pcap" "tcp dst port 443 and (dst host $BLK4 or dst host $BLK6)" 2>/dev/null |
		grep -E 'length [1-9][0-9]*$')
	if [ -z "$lines" ]; then pass "$PFX:no_plaintext_reached_server"; else
		fail "$PFX:no_plaintext_reached_server" "client payload reached the blocked server (capture on s0)" "$lines"
	fi
}

# bounded: until the client netns holds no TCP socket to port 443 any more
# (TIME-WAIT aside): the client's kernel has given every blocked connection
# up, so no retransmission can still come
_gw_client_quiet() {
	[ -z "$(nsenter --net="/run/netns/$GW_C" ss -Htn exclude time-wait '( dport = :443 )')" ]
}
gw_wait_client_quiet() {
	TA_POLL=0.1 ta_wait_until "${1:-60}" "" _gw_client_quiet && return 0
	echo "note: $PFX: client sockets to :443 still open after the wait:" >&2
	nsenter --net="/run/netns/$GW_C" ss -tn exclude time-wait '( dport = :443 )' >&2
	return 1
}

# how each blocked client failed, for the record
gw_note_failures() {
	local name rc ms how
	[ -f "$TA_TMP/failures" ] || return 0
	while read -r name rc ms; do
		rc=${rc#rc=} ms=${ms#ms=}
		case $name/$rc in
		curl*/28) how="timeout (curl exit 28)" ;;
		curl*/56 | curl*/52) how="connection reset/closed (curl exit $rc)" ;;
		curl*/7) how="could not connect (curl exit 7)" ;;
		py*/1) how="no reply: $(grep -E '^error=' "$TA_TMP/client.$name.err" | head -n 1)" ;;
		*/0) how="it did not fail: exit 0, the server answered" ;;
		*) how="exit $rc" ;;
		esac
		echo "note: $PFX: $name: after $ms ms: $how"
	done <"$TA_TMP/failures"
	rm -f "$TA_TMP/failures"
}

# ---------------------------------------------------------------- phases

phase_audit() {
	local hook=$1 cap
	PFX=$hook:audit
	EXPECT=$TA_TMP/expect.$PFX
	: >"$EXPECT"
	gw_start "$hook" || return
	cap=$TA_TMP/g1.$hook.pcap
	ta_capture_start "$GW_G" g1 "$cap" "tcp port 443"
	local cpid=$TA_CAP_PID
	run_clients audit
	ta_capture_stop "$cpid"
	gw_stop
	gw_check_events
	gw_check_vlan_tagged "$cap"
}

phase_enforce() {
	local hook=$1 cap
	PFX=$hook:enforce
	EXPECT=$TA_TMP/expect.$PFX
	: >"$EXPECT"
	gw_start "$hook" --enforce "${ALLOW_ARGS[@]}" || return
	cap=$TA_TMP/s0.$hook.pcap
	ta_capture_start "$GW_S" s0 "$cap" "tcp port 443"
	local cpid=$TA_CAP_PID
	run_clients enforce
	local t0=$SECONDS
	gw_wait_client_quiet 60
	echo "note: $PFX: the client gave its blocked connections up $((SECONDS - t0)) s after the last client ended"
	ta_capture_stop "$cpid"
	gw_stop
	gw_note_failures
	gw_check_events
	gw_check_no_plaintext_arrived "$cap"
}

phase_teardown() {
	local hook=$1
	PFX=$hook:sigkill
	gw_start "$hook" --enforce "${ALLOW_ARGS[@]}" || return
	if ta_kill_tlsaudit; then
		gw_release
		gw_check_no_residue "$PFX:no_residue" "$OURS"
	else
		fail "$PFX:no_residue" "pid $TA_KILLED_PID still alive after SIGKILL"
	fi
}

# ---------------------------------------------------------------- main

# --enforce pins what it holds: in a bpffs of this test's own
ta_private_bpffs
gw_setup
start_tls_server
gw_start_plain_server
if ta_wait_until "$TA_WAIT" "" gw_reachable; then pass "setup:routes_and_vlan"; else
	fail "setup:routes_and_vlan" "a server is unreachable from a client address before tlsaudit runs"
	exit 1
fi
DEV_BASE=$(gw_dev_state)

for hook in $HOOKS; do
	for phase in $PHASES; do
		"phase_$phase" "$hook"
	done
done

ta_finish "$T"
