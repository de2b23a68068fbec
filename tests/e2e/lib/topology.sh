# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib/topology.sh - namespaces, veths, addresses, routes and
# cgroups, all of our own (sourced by lib.sh).
#
# The pair (setup_netns; one per run, names suffixed with $$):
#
#   ta-cli-$$                         ta-srv-$$
#   c0  10.203.0.1/24   <-- veth -->  s0  10.203.0.2/24  (TLS nginx, :443)
#       fd00:203::1/64                    10.203.0.3/24  (plain nginx, :443 + :8080)
#                                         fd00:203::2/64 (TLS)
#                                         fd00:203::3/64 (plain)
#
# The routed row (ta_setup_routed, TESTBED.md's gateway topology):
#
#   CLIENT c0 <-- veth --> g1 GATEWAY g2 <-- veth --> s0 SERVER
#
# Every veth is created inside one of our namespaces with its peer moved
# straight into another, so the machine's own interfaces are never touched,
# and all traffic goes to addresses of these namespaces.

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

# Foreground use only. For a background job use ta_bg: `func &` forks a
# subshell, so $! would be that subshell and not the program.
ta_in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
ta_in_cli() { nsenter --net="/run/netns/$TA_CLI_NS" "$@"; }
ta_in_srv() { nsenter --net="/run/netns/$TA_SRV_NS" "$@"; }

# ---------------------------------------------------------------- building blocks

ta_ns_sysctls() {
	nsenter --net="/run/netns/$1" sh -c '
		echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
		echo 0 > /proc/sys/net/ipv6/conf/all/dad_transmits 2>/dev/null
		echo 0 > /proc/sys/net/ipv6/conf/default/dad_transmits 2>/dev/null
		echo 0 > /proc/sys/net/ipv6/conf/default/router_solicitations 2>/dev/null
		exit 0'
}

# ta_add_netns NAME: a namespace of ours (lo up, no DAD), deleted at teardown
# with every process still in it
ta_add_netns() {
	local ns=$1
	ta_setup_tmp
	[ -e "/run/netns/$ns" ] && ta_die "namespace $ns already exists"
	ip netns add "$ns" || ta_die "ip netns add $ns failed"
	TA_NETNS_MADE+=("$ns")
	ta_ns_sysctls "$ns"
	ip -n "$ns" link set lo up || ta_die "lo up in $ns failed"
}

# ta_netns_ino NS: the inode of a named namespace (what tlsaudit reports as netns)
ta_netns_ino() { stat -L -c %i "/run/netns/$1"; }

# ta_sysctl NS KEY=VALUE...: set sysctls inside NS (or die)
ta_sysctl() {
	local ns=$1 kv
	shift
	for kv in "$@"; do
		nsenter --net="/run/netns/$ns" sh -c 'echo "$2" > "/proc/sys/$1"' ta-sysctl \
			"$(printf '%s' "${kv%%=*}" | tr . /)" "${kv#*=}" || ta_die "sysctl $kv in $ns failed"
	done
}

# ta_veth NS_A DEV_A NS_B DEV_B: a veth made in NS_A, its peer straight in NS_B
ta_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" ||
		ta_die "veth $2 ($1) <-> $4 ($3) failed"
}

# _ta_family ADDR: -6 for an IPv6 address, -4 otherwise
_ta_family() { case $1 in *:*) echo -6 ;; *) echo -4 ;; esac; }

# ta_addr NS DEV ADDR/LEN...: addresses on DEV (IPv6 ones without DAD)
ta_addr() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		# shellcheck disable=SC2046 # no flag, or the one flag
		ip -n "$ns" addr add "$a" dev "$dev" $([ "$(_ta_family "$a")" = -6 ] && echo nodad) ||
			ta_die "address $a on $dev in $ns failed"
	done
}

# ta_link_up NS DEV: carrier (state UP)
ta_link_up() { ip -n "$1" link show "$2" 2>/dev/null | grep -q 'state UP'; }

# ta_wait_link_up NS DEV [TIMEOUT_S=$TA_WAIT]: bounded wait for carrier
ta_wait_link_up() { ta_wait_until "${3:-$TA_WAIT}" "" ta_link_up "$1" "$2"; }

# ta_up NS:DEV...: set each link up, then wait for carrier on all (or die)
ta_up() {
	local nd
	for nd in "$@"; do
		ip -n "${nd%%:*}" link set "${nd#*:}" up || ta_die "${nd#*:} up in ${nd%%:*} failed"
	done
	for nd in "$@"; do
		ta_wait_link_up "${nd%%:*}" "${nd#*:}" || ta_die "${nd#*:} in ${nd%%:*} never came up"
	done
}

_ta_no_tentative() {
	local ns
	for ns in "$@"; do
		ip -n "$ns" -6 addr show tentative | grep -q inet6 && return 1
	done
	return 0
}

# ta_wait_addrs NS...: bounded wait until no IPv6 address is tentative (or die)
ta_wait_addrs() {
	ta_wait_until "$TA_WAIT" "" _ta_no_tentative "$@" || ta_die "tentative IPv6 addresses in $*"
}

# ta_default_route NS DEV VIA...: default routes via each VIA (v4 or v6)
ta_default_route() {
	local ns=$1 dev=$2 via
	shift 2
	for via in "$@"; do
		ip -n "$ns" "$(_ta_family "$via")" route add default via "$via" dev "$dev" ||
			ta_die "default route via $via in $ns failed"
	done
}

# ---------------------------------------------------------------- the pair

# setup_netns: both namespaces, the veth, addresses, links up and usable
setup_netns() {
	ta_add_netns "$TA_CLI_NS"
	ta_add_netns "$TA_SRV_NS"
	ta_veth "$TA_CLI_NS" "$TA_CLI_IF" "$TA_SRV_NS" "$TA_SRV_IF"
	ta_addr "$TA_CLI_NS" "$TA_CLI_IF" "$TA_CLI4/24" "$TA_CLI6/64"
	ta_addr "$TA_SRV_NS" "$TA_SRV_IF" "$TA_TLS4/24" "$TA_PLAIN4/24" "$TA_TLS6/64" "$TA_PLAIN6/64"
	if [ "${TA_E2E_OFFLOAD:-on}" = off ] && command -v ethtool >/dev/null; then
		ta_in_cli ethtool -K "$TA_CLI_IF" tso off gso off >/dev/null 2>&1 || true
		ta_in_srv ethtool -K "$TA_SRV_IF" tso off gso off >/dev/null 2>&1 || true
	fi
	ta_up "$TA_CLI_NS:$TA_CLI_IF" "$TA_SRV_NS:$TA_SRV_IF"
	ta_wait_addrs "$TA_CLI_NS" "$TA_SRV_NS"
	ta_log "namespaces $TA_CLI_NS / $TA_SRV_NS ready"
}

# ---------------------------------------------------------------- the routed row

# _ta_first_addrs ADDR/LEN...: the first IPv4 and the first IPv6 address, bare
_ta_first_addrs() {
	printf '%s\n' "$@" | grep -v : | head -n 1 | cut -d/ -f1
	printf '%s\n' "$@" | grep : | head -n 1 | cut -d/ -f1
}

# ta_setup_routed CLIENT GATEWAY SERVER C0_ADDRS G1_ADDRS G2_ADDRS S0_ADDRS:
# three namespaces of ours, CLIENT (c0) <-> (g1) GATEWAY (g2) <-> (s0)
# SERVER, forwarding (IPv4 and IPv6) in GATEWAY, the addresses (space
# separated ADDR/LEN lists) on each device, default routes of CLIENT via
# g1's first IPv4 and IPv6 address and of SERVER via g2's. Returns with
# carrier everywhere and no tentative address.
ta_setup_routed() {
	local c=$1 g=$2 s=$3
	ta_add_netns "$c"
	ta_add_netns "$g"
	ta_add_netns "$s"
	ta_veth "$c" c0 "$g" g1
	ta_veth "$g" g2 "$s" s0
	ta_sysctl "$g" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# shellcheck disable=SC2086 # address lists, split on purpose
	{ ta_addr "$c" c0 $4; ta_addr "$g" g1 $5; ta_addr "$g" g2 $6; ta_addr "$s" s0 $7; }
	# a veth delivers the frames its peer's XDP program sends back
	# (XDP_TX: the RSTs of --enforce --hook xdp) only to an end that runs
	# an XDP program itself: a no-op one on the outer ends (README,
	# "Gateway mode"; a real NIC needs nothing of the kind)
	ip -n "$c" link set dev c0 xdp obj "$REPO/build/noop.bpf.o" sec xdp ||
		ta_die "no-op XDP program on c0 (make all builds build/noop.bpf.o)"
	ip -n "$s" link set dev s0 xdp obj "$REPO/build/noop.bpf.o" sec xdp ||
		ta_die "no-op XDP program on s0"
	ta_up "$c:c0" "$g:g1" "$g:g2" "$s:s0"
	# shellcheck disable=SC2046 # one address a word
	{ ta_default_route "$c" c0 $(_ta_first_addrs $5); ta_default_route "$s" s0 $(_ta_first_addrs $6); }
	ta_wait_addrs "$c" "$g" "$s"
	ta_log "routed topology $c / $g / $s ready"
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
_ta_rmdir() { rmdir "$1" 2>/dev/null || [ ! -d "$1" ]; }
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
		ta_wait_until 5 "" _ta_rmdir "$d" || echo "e2e: cannot remove cgroup $d" >&2
	done
	TA_CGROUPS_MADE=()
}
