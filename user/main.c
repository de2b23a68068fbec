// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsaudit - which processes really encrypt their traffic, from the wire.
 *
 * Lifecycle: parse options -> open the BPF object -> set rodata (ports) ->
 * load -> attach (cgroup connect hooks, then TC on each interface) -> read one
 * ring-buffer event per flow -> on exit drain, print the per-process summary
 * and the loss counters, and detach everything through one cleanup path.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "cgroup.h"
#include "options.h"
#include "report.h"
#include "strbuf.h"
#include "summary.h"
#include "tlsaudit.h"
#include "tlsaudit.skel.h"

#define EXIT_RUNTIME 1

static volatile sig_atomic_t exiting;

static struct ta_app {
	struct ta_options opt;
	struct tlsaudit *skel;
	struct ring_buffer *rb;
	struct bpf_link *cg_links[2];
	int cg_fd;
	struct ta_iface ifaces[TA_MAX_IFACES];
	int n_ifaces;
	__u64 boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME at start */
	struct ta_summary summary;
} app = { .cg_fd = -1 };

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("tlsaudit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && app.opt.verbose < 2)
		return 0;
	if (!app.opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static const char *iface_name(__u32 ifindex)
{
	int i;

	for (i = 0; i < app.n_ifaces; i++)
		if (app.ifaces[i].ifindex == (int)ifindex)
			return app.ifaces[i].name;
	return NULL;
}

static int handle_event(void *ctx, void *data, size_t len)
{
	const struct ta_flow_event *ev = data;
	struct ta_flow_view v = { .ev = ev };
	char line[2048], cg[256];
	struct strbuf sb;

	(void)ctx;
	if (len < sizeof(*ev) || ev->type != TA_EV_FLOW)
		return 0;
	v.realtime_ns = ev->ts_ns + app.boot_to_real_ns;
	v.iface = iface_name(ev->ifindex);
	if (ev->has_owner && ta_cgroup_path(ev->owner.cgroup_id, cg, sizeof(cg)) == 0)
		v.cgroup_path = cg;
	ta_summary_add(&app.summary, ev);
	sb_init(&sb, line, sizeof(line));
	if (app.opt.json)
		ta_flow_json(&sb, &v);
	else
		ta_flow_text(&sb, &v);
	puts(line);
	fflush(stdout);
	return 0;
}

static int open_and_load(void)
{
	struct tlsaudit *skel;
	int err, p;

	skel = tlsaudit__open();
	if (!skel) {
		warn("cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	app.skel = skel;
	for (p = 0; p < 65536; p++)
		if (ta_port_isset(&app.opt, p))
			skel->rodata->ta_ports[p >> 3] |= 1u << (p & 7);
	err = bpf_map__set_max_entries(skel->maps.flows, app.opt.max_flows);
	if (err) {
		warn("cannot size the flow table: %s", strerror(-err));
		return err;
	}
	err = tlsaudit__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			warn("permission denied loading BPF programs: run as root "
			     "(CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN)");
		else
			warn("cannot load the BPF programs: %s (run with -v for the verifier log)",
			     strerror(-err));
		return err;
	}
	return 0;
}

static int attach_cgroup_hooks(void)
{
	const char *mnt = ta_cgroup2_mount();
	struct bpf_link *l;

	if (!mnt) {
		warn("no cgroup2 mount found: process attribution needs one");
		return -ENOENT;
	}
	app.cg_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (app.cg_fd < 0) {
		warn("cannot open cgroup2 mount %s: %s", mnt, strerror(errno));
		return -errno;
	}
	l = bpf_program__attach_cgroup(app.skel->progs.ta_connect4, app.cg_fd);
	if (!l)
		goto fail;
	app.cg_links[0] = l;
	l = bpf_program__attach_cgroup(app.skel->progs.ta_connect6, app.cg_fd);
	if (!l)
		goto fail;
	app.cg_links[1] = l;
	return 0;
fail:
	warn("cannot attach the connect hooks to %s: %s", mnt, strerror(errno));
	return -errno;
}

static int attach_interfaces(void)
{
	int in_fd = bpf_program__fd(app.skel->progs.ta_tc_ingress);
	int eg_fd = bpf_program__fd(app.skel->progs.ta_tc_egress);
	int i, err, ok = 0;

	for (i = 0; i < app.opt.n_ifaces; i++) {
		struct ta_iface *ifc = &app.ifaces[app.n_ifaces];

		memset(ifc, 0, sizeof(*ifc));
		snprintf(ifc->name, sizeof(ifc->name), "%s", app.opt.ifaces[i]);
		ifc->ifindex = ta_iface_index(ifc->name);
		ifc->ingress_fd = ifc->egress_fd = -1;
		app.n_ifaces++;
		err = ifc->ifindex ? ta_iface_attach(ifc, in_fd, eg_fd) : -ENODEV;
		if (err) {
			warn("cannot attach to %s: %s", ifc->name, strerror(-err));
			/* interfaces named by the user must all work */
			if (app.opt.ifaces_explicit)
				return err;
			continue;
		}
		ok++;
	}
	if (!ok) {
		warn("no interface could be attached");
		return -ENODEV;
	}
	return 0;
}

static __u64 sum_percpu(int map_fd, __u32 key, size_t value_size, size_t field_off)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 total = 0, v;
	char *vals;
	int c;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, value_size);
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &key, vals))
		for (c = 0; c < ncpu; c++) {
			memcpy(&v, vals + c * value_size + field_off, sizeof(v));
			total += v;
		}
	free(vals);
	return total;
}

static void print_stats(void)
{
	static const char *const names[TA_STAT_MAX] = {
		[TA_STAT_EVENTS] = "events",
		[TA_STAT_RINGBUF_DROPS] = "ringbuf_drops",
		[TA_STAT_FLOW_INSERT_FAIL] = "flow_insert_failures",
		[TA_STAT_OWNER_INSERT_FAIL] = "owner_insert_failures",
		[TA_STAT_FLOWS_NEW] = "flows_new",
		[TA_STAT_FLOWS_NO_PAYLOAD] = "flows_no_payload",
		[TA_STAT_MIDSTREAM] = "midstream",
		[TA_STAT_GAP] = "first_bytes_gaps",
	};
	int fd = bpf_map__fd(app.skel->maps.stats);
	int attach_failures = 0, i;
	char buf[1024];
	struct strbuf sb;
	__u64 v;

	for (i = 0; i < app.n_ifaces; i++)
		attach_failures += app.ifaces[i].attach_failures;
	sb_init(&sb, buf, sizeof(buf));
	sb_puts(&sb, app.opt.json ? "{\"event\":\"stats\"" : "stats:");
	for (i = 0; i < TA_STAT_MAX; i++) {
		v = sum_percpu(fd, i, sizeof(__u64), 0);
		sb_printf(&sb, app.opt.json ? ",\"%s\":%llu" : " %s=%llu", names[i],
			  (unsigned long long)v);
	}
	sb_printf(&sb, app.opt.json ? ",\"attach_failures\":%d}" : " attach_failures=%d",
		  attach_failures);
	if (app.opt.json) {
		puts(buf);
		fflush(stdout);
	} else {
		fprintf(stderr, "%s\n", buf);
	}
	v = sum_percpu(fd, TA_STAT_RINGBUF_DROPS, sizeof(__u64), 0);
	if (v)
		warn("%llu flow events were lost (ring buffer full)", (unsigned long long)v);
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < app.n_ifaces; i++)
		ta_iface_detach(&app.ifaces[i]);
	for (i = 0; i < 2; i++)
		bpf_link__destroy(app.cg_links[i]);
	if (app.cg_fd >= 0)
		close(app.cg_fd);
	ring_buffer__free(app.rb);
	tlsaudit__destroy(app.skel);
	ta_summary_free(&app.summary);
	ta_cgroup_cleanup();
}

int main(int argc, char **argv)
{
	__u64 deadline = 0;
	int err, rc = EXIT_RUNTIME, i;
	struct sigaction sa = { .sa_handler = on_signal };

	err = ta_parse_options(argc, argv, &app.opt);
	if (err)
		return err;
	libbpf_set_print(libbpf_print);

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		warn("kernel BTF not found at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF)");
		return EXIT_RUNTIME;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (open_and_load() || attach_cgroup_hooks() || attach_interfaces())
		goto out;
	app.rb = ring_buffer__new(bpf_map__fd(app.skel->maps.events), handle_event, NULL, NULL);
	if (!app.rb) {
		warn("cannot open the ring buffer: %s", strerror(errno));
		goto out;
	}
	app.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (app.opt.duration)
		deadline = clock_ns(CLOCK_MONOTONIC) + app.opt.duration * 1000000000ull;

	fprintf(stderr, "tlsaudit: ready: watching");
	for (i = 0; i < app.n_ifaces; i++)
		if (app.ifaces[i].mode != TA_ATTACH_NONE)
			fprintf(stderr, " %s", app.ifaces[i].name);
	fprintf(stderr, "; ports %s\n", app.opt.ports_text);
	fflush(stderr);

	while (!exiting) {
		err = ring_buffer__poll(app.rb, 200);
		if (err < 0 && err != -EINTR) {
			warn("ring buffer poll failed: %s", strerror(-err));
			goto out;
		}
		if (deadline && clock_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}
	/* everything the kernel already decided is reported before we stop */
	ring_buffer__consume(app.rb);
	ta_summary_print(&app.summary, stdout, app.opt.json);
	print_stats();
	rc = 0;
out:
	cleanup();
	return rc;
}
