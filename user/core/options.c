// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* options.c - argp options for tlsaudit. */
#include <arpa/inet.h>
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "owners/cgroup.h"
#include "core/options.h"
#include "output/prom.h"

const char *argp_program_version = "tlsaudit " TA_VERSION;

static const char doc[] =
	"tlsaudit -- which processes really encrypt their traffic, judged from the wire.\n"
	"\n"
	"Watches TCP and UDP flows to the given ports (443 by default) with BPF programs at TC "
	"ingress and egress, classifies each flow once by the first bytes its client sends, and "
	"names the process that owns the socket. Verdicts: tls, plaintext_http, plaintext, ssh, "
	"quic, sslv2, unknown, midstream (the flow started before tlsaudit saw it).\n"
	"\n"
	"EXAMPLES:\n"
	"  tlsaudit                      every interface that is up, port 443\n"
	"  tlsaudit -i eth0 -p 443,8443  one interface, two ports\n"
	"  tlsaudit -j -d 60 > flows.json  one minute of JSON lines\n"
	"  tlsaudit --top                live table, plaintext first\n"
	"  tlsaudit -r trace.pcapng -j   the verdicts of a capture file, no privileges\n"
	"  tlsaudit --textfile /var/lib/prometheus/node-exporter/tlsaudit.prom\n"
	"                                metrics for node_exporter's textfile collector\n"
	"  tlsaudit --gateway -i eth0 -i eth1 --enforce --allow 10.1.2.3\n"
	"                                a gateway that lets only TLS through on 443\n"
	"\n"
	"Exit status: 0 on a clean stop (signal or -d), 1 on a runtime error, 2 on a bad option."
	"\vLive runs need root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN) and kernel BTF; "
	"-r needs neither.";

enum {
	OPT_MAX_FLOWS = 0x100,
	OPT_PID,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_TOP,
	OPT_TOP_CONTAINERS,
	OPT_GATEWAY,
	OPT_HOOK,
	OPT_ENFORCE,
	OPT_ALLOW,
	OPT_TEXTFILE,
	OPT_INTERVAL,
	OPT_MAX_SERIES_OWNERS,
	OPT_RESET,
	OPT_NO_HOLD,
	OPT_RELEASE,
};

static const struct argp_option options[] = {
	{ "interface", 'i', "IFACE", 0,
	  "Watch IFACE (repeatable). Default: every interface that is up", 0 },
	{ "ports", 'p', "LIST", 0, "Watched ports: comma-separated ports or ranges (default 443)",
	  0 },
	{ "json", 'j', NULL, 0, "Print one JSON object per line (flows, then the summary)", 0 },
	{ "read", 'r', "FILE", 0,
	  "Judge the flows of a capture file (pcap or pcapng, as tcpdump -w writes them; - for "
	  "stdin) instead of live traffic. Needs no privileges; flows say role \"captured\" and "
	  "carry the packets' own time",
	  0 },
	{ "duration", 'd', "SEC", 0, "Stop after SEC seconds (default: run until SIGINT/SIGTERM)",
	  0 },
	{ "max-flows", OPT_MAX_FLOWS, "N", 0,
	  "Size of the kernel's table of proven TCP flows (handshake seen; default 262144); "
	  "unproven flows (new, UDP, midstream) get a table of half that size, so a SYN flood "
	  "cannot evict a proven one",
	  0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf messages (twice: debug, with verifier logs)", 0 },
	{ NULL, 0, NULL, 0, "Filters (flows whose owner does not match are not reported):", 1 },
	{ "pid", OPT_PID, "PID", 0, "Only flows of process PID", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only flows of cgroup2 PATH and its descendants (a path under the cgroup2 mount, "
	  "or relative to it)",
	  1 },
	{ "container", OPT_CONTAINER, "ID", 0,
	  "Only flows of the container (docker, containerd, CRI-O, podman) or pod with this id "
	  "(a unique prefix of at least 4 characters)",
	  1 },
	{ NULL, 0, NULL, 0, "Gateway and enforcement:", 3 },
	{ "gateway", OPT_GATEWAY, NULL, 0,
	  "Audit forwarded traffic (a router or gateway): XDP on each -i interface, no process "
	  "attribution, events say role \"forwarded\"",
	  3 },
	{ "hook", OPT_HOOK, "xdp|tc", 0,
	  "Gateway hook: xdp (default; earliest and cheapest on real NICs) or tc (keeps GRO: "
	  "pick it on veth or when bulk TCP throughput matters more)",
	  3 },
	{ "enforce", OPT_ENFORCE, NULL, 0,
	  "Block flows on watched ports whose first client bytes are not TLS (QUIC for UDP): "
	  "their packets are dropped from that payload on, and a TCP sender is answered "
	  "with an RST so that it fails at once. Enforcement outlives the run: a stop, a crash "
	  "or a restart leaves it on (pinned in " TA_HOLD_DIR
	  ") until the next --enforce run takes it over without a gap, or --release ends it. "
	  "Default: audit only",
	  3 },
	{ "release", OPT_RELEASE, NULL, 0,
	  "End the enforcement that earlier --enforce runs left on, and exit", 3 },
	{ "no-hold", OPT_NO_HOLD, NULL, 0,
	  "With --enforce: end enforcement when this run exits (for trials; a restart then lets "
	  "traffic through unjudged until the new run is up)",
	  3 },
	{ "allow", OPT_ALLOW, "CIDR", 0, "Exempt servers in CIDR from --enforce (repeatable)", 3 },
	{ NULL, 0, NULL, 0, "Prometheus (node_exporter textfile collector):", 4 },
	{ "textfile", OPT_TEXTFILE, "PATH", 0,
	  "Write metrics to PATH (a .prom file in node_exporter's --collector.textfile.directory) "
	  "every --interval and at exit. Counters are kept pinned in " TA_PIN_DIR
	  " so a restart does not reset them",
	  4 },
	{ "interval", OPT_INTERVAL, "SEC", 0, "Seconds between textfile writes (default 15)", 4 },
	{ "max-series-owners", OPT_MAX_SERIES_OWNERS, "N", 0,
	  "Label at most N owners (comm, container) by name; the rest are summed as "
	  "comm=\"other\" (default 100, at most 4000)",
	  4 },
	{ "reset", OPT_RESET, NULL, 0, "Clear the pinned counters in " TA_PIN_DIR " and exit", 4 },
	{ NULL, 0, NULL, 0, "Live view:", 2 },
	{ "top", OPT_TOP, NULL, 0,
	  "A table refreshed every second, plaintext first (keys: q quit, c per container, "
	  "p per process)",
	  2 },
	{ "top-containers", OPT_TOP_CONTAINERS, NULL, 0, "Like --top, one row per container", 2 },
	{},
};

int ta_parse_ports(const char *text, __u8 bitmap[TA_PORT_BITMAP_LEN], char *bad, size_t bad_n)
{
	char *copy, *tok, *save = NULL, *end;
	unsigned long lo, hi, p;
	int n = 0;

	if (!text || !*text) {
		snprintf(bad, bad_n, "(empty)");
		return -EINVAL;
	}
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	memset(bitmap, 0, TA_PORT_BITMAP_LEN);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		lo = strtoul(tok, &end, 10);
		hi = lo;
		if (end != tok && *end == '-') {
			char *s = end + 1;
			hi = strtoul(s, &end, 10);
			if (end == s)
				goto bad;
		}
		if (end == tok || *end || errno || lo < 1 || hi > 65535 || lo > hi)
			goto bad;
		for (p = lo; p <= hi; p++)
			bitmap[p >> 3] |= 1u << (p & 7);
		n++;
	}
	free(copy);
	if (!n) {
		snprintf(bad, bad_n, "%s", text);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(bad, bad_n, "%s", tok);
	free(copy);
	return -EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct ta_options *opt = state->input;
	char bad[64], mnt[PATH_MAX];
	unsigned long v;
	char *end;
	int i;

	switch (key) {
	case 'i':
		if (opt->n_ifaces >= TA_MAX_IFACES)
			argp_failure(state, TA_EXIT_USAGE, 0, "too many interfaces (max %d)",
				     TA_MAX_IFACES);
		if (!ta_iface_index(arg))
			argp_failure(state, TA_EXIT_USAGE, 0, "no such interface: %s", arg);
		for (i = 0; i < opt->n_ifaces; i++)
			if (!strcmp(opt->ifaces[i], arg))
				return 0;
		snprintf(opt->ifaces[opt->n_ifaces++], IF_NAMESIZE, "%s", arg);
		opt->ifaces_explicit = 1;
		break;
	case 'p':
		if (ta_parse_ports(arg, opt->ports, bad, sizeof(bad)))
			argp_failure(
				state, TA_EXIT_USAGE, 0,
				"bad port list '%s' at '%s': want ports 1-65535, e.g. 443,8443 or 8000-8010",
				arg, bad);
		snprintf(opt->ports_text, sizeof(opt->ports_text), "%s", arg);
		break;
	case 'j':
		opt->json = 1;
		break;
	case 'r':
		if (!*arg)
			argp_failure(state, TA_EXIT_USAGE, 0, "-r wants a capture file");
		snprintf(opt->read_file, sizeof(opt->read_file), "%s", arg);
		break;
	case 'd':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || v == 0 || v > 31536000 || arg[0] == '-')
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "bad duration '%s': want whole seconds, 1 to 31536000", arg);
		opt->duration = v;
		break;
	case OPT_MAX_FLOWS:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || v < 1024 || v > 16777216 || arg[0] == '-')
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "bad --max-flows '%s': want 1024 to 16777216", arg);
		opt->max_flows = v;
		break;
	case 'v':
		opt->verbose++;
		break;
	case OPT_PID:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || v == 0 || v > 4194304 || arg[0] == '-')
			argp_failure(state, TA_EXIT_USAGE, 0, "bad --pid '%s': want a process id",
				     arg);
		if (kill((pid_t)v, 0) && errno == ESRCH)
			argp_failure(state, TA_EXIT_USAGE, 0, "--pid %lu: no such process", v);
		opt->filters.pid = v;
		break;
	case OPT_CGROUP:
		if (ta_cgroup2_mount(mnt, sizeof(mnt)))
			argp_failure(state, TA_EXIT_USAGE, 0, "--cgroup '%s': no cgroup2 mount",
				     arg);
		if (ta_resolve_cgroup_arg(mnt, arg, opt->filters.cgroup,
					  sizeof(opt->filters.cgroup)))
			argp_failure(
				state, TA_EXIT_USAGE, 0,
				"--cgroup '%s': not a cgroup directory under the cgroup2 mount (%s)",
				arg, mnt);
		break;
	case OPT_CONTAINER:
		if (strlen(arg) < 4 || ta_cgroup2_mount(mnt, sizeof(mnt)) ||
		    ta_find_container(mnt, arg, opt->filters.container,
				      sizeof(opt->filters.container)))
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "--container '%s': no running container or pod has this id",
				     arg);
		break;
	case OPT_TOP:
		opt->top = 1;
		break;
	case OPT_TEXTFILE: {
		char err[256];

		if (ta_prom_check_dir(arg, err, sizeof(err)))
			argp_failure(state, TA_EXIT_USAGE, 0, "--textfile %s: %s", arg, err);
		snprintf(opt->textfile, sizeof(opt->textfile), "%s", arg);
		break;
	}
	case OPT_INTERVAL:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || v < 1 || v > 86400 || arg[0] == '-')
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "bad --interval '%s': want seconds, 1 to 86400", arg);
		opt->interval = v;
		break;
	case OPT_MAX_SERIES_OWNERS:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || v > TA_PROM_MAX_SERIES_OWNERS || arg[0] == '-')
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "bad --max-series-owners '%s': want 0 to %d", arg,
				     TA_PROM_MAX_SERIES_OWNERS);
		opt->max_series_owners = v;
		break;
	case OPT_RESET:
		opt->reset = 1;
		break;
	case OPT_GATEWAY:
		opt->gateway = 1;
		break;
	case OPT_HOOK:
		if (!strcmp(arg, "xdp"))
			opt->hook_xdp = 1;
		else if (!strcmp(arg, "tc"))
			opt->hook_xdp = 0;
		else
			argp_failure(state, TA_EXIT_USAGE, 0, "bad --hook '%s': want xdp or tc",
				     arg);
		opt->hook_set = 1;
		break;
	case OPT_ENFORCE:
		opt->enforce = 1;
		break;
	case OPT_NO_HOLD:
		opt->no_hold = 1;
		break;
	case OPT_RELEASE:
		opt->release = 1;
		break;
	case OPT_ALLOW:
		if (opt->n_allow >= (int)(sizeof(opt->allow) / sizeof(opt->allow[0])))
			argp_failure(state, TA_EXIT_USAGE, 0, "too many --allow prefixes");
		if (ta_parse_cidr(arg, &opt->allow[opt->n_allow]))
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "bad --allow '%s': want an address or prefix, e.g. 10.0.0.0/8",
				     arg);
		opt->n_allow++;
		break;
	case OPT_TOP_CONTAINERS:
		opt->top = 1;
		opt->top_containers = 1;
		break;
	case ARGP_KEY_END:
		if (opt->hook_set && !opt->gateway)
			argp_failure(state, TA_EXIT_USAGE, 0, "--hook only applies with --gateway");
		if (opt->no_hold && !opt->enforce)
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "--no-hold only applies with --enforce");
		if (opt->release && (opt->enforce || opt->reset || opt->read_file[0]))
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "--release ends held enforcement and exits: it takes no "
				     "--enforce, --reset or -r");
		if (opt->n_allow && !opt->enforce)
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "--allow only applies with --enforce");
		if (opt->gateway && !opt->ifaces_explicit)
			argp_failure(state, TA_EXIT_USAGE, 0,
				     "--gateway needs the interfaces to watch: -i IF1 -i IF2");
		if (opt->top && opt->json)
			argp_failure(state, TA_EXIT_USAGE, 0, "--top and --json do not mix");
		if (opt->read_file[0] &&
		    (opt->ifaces_explicit || opt->gateway || opt->enforce || opt->top ||
		     opt->duration || opt->reset || opt->filters.pid || opt->filters.cgroup[0] ||
		     opt->filters.container[0]))
			argp_failure(
				state, TA_EXIT_USAGE, 0,
				"-r reads a capture file: it takes -p, -j, --max-flows and "
				"--textfile, not live options (-i, --gateway, --enforce, --top, "
				"-d, --reset, --pid, --cgroup, --container)");
		break;
	case ARGP_KEY_ARG:
		argp_failure(state, TA_EXIT_USAGE, 0, "unexpected argument '%s' (see --help)", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int ta_parse_cidr(const char *text, struct ta_allow_key *key)
{
	char addr[INET6_ADDRSTRLEN + 1], *slash, *end;
	unsigned long plen;
	int v4;

	memset(key, 0, sizeof(*key));
	snprintf(addr, sizeof(addr), "%s", text);
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	v4 = inet_pton(AF_INET, addr, key->addr + 12) == 1;
	if (v4) {
		key->addr[10] = key->addr[11] = 0xff;
	} else if (inet_pton(AF_INET6, addr, key->addr) != 1) {
		return -EINVAL;
	}
	plen = v4 ? 32 : 128;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > (v4 ? 32u : 128u))
			return -EINVAL;
	}
	key->prefixlen = v4 ? 96 + plen : plen;
	return 0;
}

int ta_parse_options(int argc, char **argv, struct ta_options *opt)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	char bad[64];
	int n;

	memset(opt, 0, sizeof(*opt));
	opt->max_flows = TA_DEFAULT_MAX_FLOWS;
	opt->hook_xdp = 1;
	opt->interval = 15;
	opt->max_series_owners = TA_PROM_DEFAULT_MAX_OWNERS;
	ta_parse_ports("443", opt->ports, bad, sizeof(bad));
	snprintf(opt->ports_text, sizeof(opt->ports_text), "443");
	argp_err_exit_status = TA_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, opt))
		return TA_EXIT_USAGE;
	if (opt->reset || opt->release || opt->read_file[0])
		return 0;
	if (!opt->n_ifaces) {
		n = ta_ifaces_up(opt->ifaces, TA_MAX_IFACES);
		if (n <= 0) {
			fprintf(stderr, "tlsaudit: no interface is up to watch\n");
			return TA_EXIT_USAGE;
		}
		opt->n_ifaces = n;
	}
	return 0;
}
