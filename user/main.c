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
#include <linux/if_link.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "core/attach.h"
#include "owners/cgroup.h"
#include "owners/netlink.h"
#include "core/options.h"
#include "flow/pipeline.h"
#include "core/privs.h"
#include "owners/procinfo.h"
#include "output/prom.h"
#include "output/top.h"
#include "output/report.h"
#include "output/strbuf.h"
#include "output/summary.h"
#include "tlsaudit.h"
#include "tlsaudit.skel.h"

#define EXIT_RUNTIME 1

static volatile sig_atomic_t exiting;

static struct ta_app {
	struct ta_options opt;
	struct tlsaudit *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[10]; /* cgroup hooks and tracepoints */
	int n_links;
	int cg_fd;
	int linkwatch_fd;          /* rtnetlink, when following every interface */
	struct ta_iface ifaces[TA_MAX_IFACES];
	int n_ifaces;
	struct ta_pipeline pipe;
	struct ta_prom *prom;      /* --textfile */
	int top_active;            /* --top owns the terminal */
	__u64 seeded;              /* pre-existing flows put in the table by us */
	__u64 inserts_at_start;    /* pinned counters at start, for evictions */
	__u64 deletes_at_start;
	int top_by_container;
} app = { .cg_fd = -1, .linkwatch_fd = -1 };

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
	(void)ctx;
	return ta_pipeline_record(&app.pipe, data, len);
}

/* bpffs may not be mounted on a minimal system */
static int ensure_pin_dir(void)
{
	struct statfs sfs;
	struct stat st;

	/* Mount bpffs only where there is none: mounting again stacks a new,
	 * empty instance over the old one, hiding the pinned counters (and
	 * everybody else's pins) from then on. */
	if (stat("/sys/fs/bpf", &st) == 0 &&
	    (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC))
		mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL); /* checked by mkdir below */
	if (mkdir(TA_PIN_DIR, 0700) && errno != EEXIST) {
		warn("cannot create %s: %s", TA_PIN_DIR, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Reuse a pinned map of the same shape; one left by a version with another
 * shape (more counters, say) cannot be reused: say so and start it afresh
 * rather than refuse to run. */
static void pin_map(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map)) {
			warn("%s was pinned by another version of tlsaudit; its counts start "
			     "again from zero", path);
			unlink(path);
		}
		close(fd);
	}
	bpf_map__set_pin_path(map, path);
}

/* --reset: forget the pinned counters; the next start begins at zero. */
static int reset_pins(void)
{
	static const char *const names[] = { "stats", "verdict_counters", "series" };
	char path[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", TA_PIN_DIR, names[i]);
		if (unlink(path) && errno != ENOENT) {
			warn("cannot remove %s: %s", path, strerror(errno));
			rc = EXIT_RUNTIME;
		}
	}
	if (rmdir(TA_PIN_DIR) && errno != ENOENT && errno != ENOTEMPTY) {
		warn("cannot remove %s: %s", TA_PIN_DIR, strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (!rc)
		fprintf(stderr, "tlsaudit: pinned counters in %s cleared\n", TA_PIN_DIR);
	return rc;
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
	skel->rodata->ta_enforce = app.opt.enforce;
	if (app.opt.textfile[0]) {
		/* counters that must survive a restart live in bpffs */
		err = ensure_pin_dir();
		if (err)
			return err;
		pin_map(skel->maps.stats, TA_PIN_DIR "/stats");
		pin_map(skel->maps.verdict_counters, TA_PIN_DIR "/verdict_counters");
		pin_map(skel->maps.series, TA_PIN_DIR "/series");
	}
	err = bpf_map__set_max_entries(skel->maps.flows, app.opt.max_flows);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.tombs, ta_tombs_for(app.opt.max_flows));
	if (err) {
		warn("cannot size the flow table: %s", strerror(-err));
		return err;
	}
	err = tlsaudit__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			warn("permission denied loading BPF programs: run as root "
			     "(CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN)");
		else if (app.opt.textfile[0] && err == -EINVAL)
			warn("cannot load the BPF programs: %s (pinned counters in %s from another "
			     "version? clear them with tlsaudit --reset)", strerror(-err), TA_PIN_DIR);
		else
			warn("cannot load the BPF programs: %s (run with -v for the verifier log)",
			     strerror(-err));
		return err;
	}
	for (p = 0; p < app.opt.n_allow; p++) {
		__u8 one = 1;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.allow), &app.opt.allow[p], &one, 0)) {
			warn("cannot load --allow prefixes: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int keep_link(struct bpf_link *l, const char *what)
{
	if (!l) {
		int err = -errno;
		warn("cannot attach %s: %s", what, strerror(-err));
		return err;
	}
	app.links[app.n_links++] = l;
	return 0;
}

/* Syscall tracepoints need tracefs; a minimal system may not have mounted it. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) || !stat("/sys/kernel/debug/tracing/events", &st))
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && app.opt.verbose)
		warn("cannot mount tracefs: %s", strerror(errno));
}

/* Process-context hooks: connect4/6 and sockops on the cgroup2 root (every
 * process on the machine, containers included), and the accept tracepoints
 * for local servers. */
static int attach_owner_hooks(void)
{
	const char *mnt = ta_cgroup2_mount();
	struct tlsaudit *sk = app.skel;

	if (!mnt) {
		warn("no cgroup2 mount found: process attribution needs one");
		return -ENOENT;
	}
	app.cg_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (app.cg_fd < 0) {
		warn("cannot open cgroup2 mount %s: %s", mnt, strerror(errno));
		return -errno;
	}
	ensure_tracefs();
	if (keep_link(bpf_program__attach_cgroup(sk->progs.ta_connect4, app.cg_fd), "connect4") ||
	    keep_link(bpf_program__attach_cgroup(sk->progs.ta_connect6, app.cg_fd), "connect6") ||
	    keep_link(bpf_program__attach_cgroup(sk->progs.ta_sendmsg4, app.cg_fd), "sendmsg4") ||
	    keep_link(bpf_program__attach_cgroup(sk->progs.ta_sendmsg6, app.cg_fd), "sendmsg6") ||
	    keep_link(bpf_program__attach_cgroup(sk->progs.ta_sockops, app.cg_fd), "sockops") ||
	    keep_link(bpf_program__attach(sk->progs.ta_accept4_exit), "accept4 tracepoint") ||
	    keep_link(bpf_program__attach(sk->progs.ta_accept_exit), "accept tracepoint"))
		return -EINVAL;
	return 0;
}

/* Gateway mode, XDP: a link, so the kernel detaches it when we die. Native
 * mode where the driver has it, generic otherwise, with a notice. */
static int attach_xdp(struct ta_iface *ifc)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link *l;

	l = bpf_program__attach_xdp(app.skel->progs.ta_xdp_gateway, ifc->ifindex);
	if (!l) {
		ifc->attach_failures++;
		return -errno;
	}
	ifc->xdp_link = l;
	ifc->mode = TA_ATTACH_XDP;
	if (!bpf_xdp_query(ifc->ifindex, 0, &q) && q.attach_mode == XDP_ATTACHED_SKB)
		fprintf(stderr, "tlsaudit: %s: no native XDP in this driver, using generic mode "
				"(slower)\n", ifc->name);
	return 0;
}

static int attach_one(const char *name, int ifindex)
{
	int in_fd = bpf_program__fd(app.skel->progs.ta_tc_ingress);
	int eg_fd = bpf_program__fd(app.skel->progs.ta_tc_egress);
	struct ta_iface *ifc;
	int err, i;

	if (app.opt.gateway) {
		/* forwarded traffic: each direction is some interface's ingress */
		in_fd = bpf_program__fd(app.skel->progs.ta_tc_gateway);
		eg_fd = -1;
	}

	for (i = 0; i < app.n_ifaces; i++)
		if (app.ifaces[i].ifindex == ifindex && app.ifaces[i].mode != TA_ATTACH_NONE)
			return 0;
	if (app.n_ifaces == TA_MAX_IFACES) {
		warn("cannot watch %s: already watching %d interfaces", name, TA_MAX_IFACES);
		return -ENOSPC;
	}
	ifc = &app.ifaces[app.n_ifaces++];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = ifindex;
	ifc->ingress_fd = ifc->egress_fd = -1;
	if (!ifindex)
		err = -ENODEV;
	else if (app.opt.gateway && app.opt.hook_xdp)
		err = attach_xdp(ifc);
	else
		err = ta_iface_attach(ifc, in_fd, eg_fd);
	if (err) {
		ifc->attach_failures += !ifindex;
		warn("cannot attach to %s: %s", name, strerror(-err));
	}
	return err;
}

static int attach_interfaces(void)
{
	int i, ok = 0;

	for (i = 0; i < app.opt.n_ifaces; i++) {
		if (attach_one(app.opt.ifaces[i], ta_iface_index(app.opt.ifaces[i]))) {
			/* interfaces named by the user must all work */
			if (app.opt.ifaces_explicit)
				return -ENODEV;
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

/* rtnetlink: watch interfaces that come up later, forget those that vanish
 * (their tcx links went with them). */
static void on_link(int ifindex, const char *name, int up, int gone, void *ctx)
{
	int i;

	(void)ctx;
	for (i = 0; i < app.n_ifaces; i++) {
		struct ta_iface *ifc = &app.ifaces[i];

		if (ifc->ifindex != ifindex || ifc->mode == TA_ATTACH_NONE)
			continue;
		if (gone) {
			ta_iface_detach(ifc);
			fprintf(stderr, "tlsaudit: interface %s is gone\n", ifc->name);
			*ifc = app.ifaces[--app.n_ifaces];
		}
		return;
	}
	if (gone || !up || !name[0])
		return;
	if (!attach_one(name, ifindex))
		fprintf(stderr, "tlsaudit: watching new interface %s\n", name);
}

/* Established sockets on watched ports, found at start, and their owners. */
struct preexisting {
	struct ta_sockinfo *si;
	__u32 *pid;
	size_t n, cap;
};

static void collect_socket(const struct ta_sockinfo *si, void *ctx)
{
	struct preexisting *pre = ctx;
	struct ta_sockinfo *grown;

	if (pre->n == pre->cap) {
		size_t cap = pre->cap ? pre->cap * 2 : 64;

		grown = realloc(pre->si, cap * sizeof(*grown));
		if (!grown)
			return;
		pre->si = grown;
		pre->cap = cap;
	}
	pre->si[pre->n++] = *si;
}

struct inode_slot {
	__u32 inode;
	__u32 idx;
};

static int cmp_inode(const void *a, const void *b)
{
	__u32 x = ((const struct inode_slot *)a)->inode, y = ((const struct inode_slot *)b)->inode;

	return (x > y) - (x < y);
}

/* One pass over every process's fds names the owner of every listed socket:
 * a busy server at start has thousands of them, and a /proc walk each would
 * take minutes. */
static void resolve_socket_owners(struct preexisting *pre)
{
	struct inode_slot *slots, key, *hit;
	char path[600], target[64];
	struct dirent *pd, *fd;
	DIR *proc, *fds;
	size_t i;
	ssize_t n;

	pre->pid = calloc(pre->n, sizeof(*pre->pid));
	slots = calloc(pre->n, sizeof(*slots));
	if (!pre->pid || !slots)
		goto out;
	for (i = 0; i < pre->n; i++)
		slots[i] = (struct inode_slot){ pre->si[i].inode, i };
	qsort(slots, pre->n, sizeof(*slots), cmp_inode);
	proc = opendir("/proc");
	if (!proc)
		goto out;
	while ((pd = readdir(proc))) {
		if (pd->d_name[0] < '1' || pd->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pd->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pd->d_name, fd->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 8 || strncmp(target, "socket:[", 8))
				continue;
			target[n] = '\0';
			key.inode = strtoul(target + 8, NULL, 10);
			hit = bsearch(&key, slots, pre->n, sizeof(*slots), cmp_inode);
			if (hit && !pre->pid[hit->idx])
				pre->pid[hit->idx] = strtoul(pd->d_name, NULL, 10);
		}
		closedir(fds);
	}
	closedir(proc);
out:
	free(slots);
}

static void persist_preexisting(void);

static void report_preexisting(const struct ta_sockinfo *si, __u32 pid)
{
	struct ta_flow_state st = { .verdict = TA_V_MIDSTREAM, .flags = TA_F_REPORTED };
	struct ta_flow_event ev = { .type = TA_EV_FLOW, .verdict = TA_V_MIDSTREAM,
				    .flags = TA_F_PREEXISTING };
	char comm_path[64];
	struct timespec ts;
	FILE *f;

	/* the kernel must not report these again when their next packet passes */
	if (bpf_map_update_elem(bpf_map__fd(app.skel->maps.flows), &si->key, &st, BPF_NOEXIST))
		return; /* both ends are local and the other socket was listed first */
	app.seeded++;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ev.ts_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	ev.key = si->key;
	if (pid) {
		struct ta_owner *o = si->local_is_server ? &ev.server_owner : &ev.owner;

		o->tgid = o->tid = pid;
		o->uid = si->uid;
		o->cgroup_id = ta_cgroup_id_of_pid(pid);
		o->role = si->local_is_server ? TA_ROLE_SERVER : TA_ROLE_CLIENT;
		snprintf(comm_path, sizeof(comm_path), "/proc/%u/comm", pid);
		f = fopen(comm_path, "r");
		if (f) {
			if (fgets((char *)o->comm, TA_COMM_LEN, f))
				o->comm[strcspn((char *)o->comm, "\n")] = '\0';
			fclose(f);
		}
		if (si->local_is_server)
			ev.has_server_owner = 1;
		else
			ev.has_owner = 1;
	}
	app.pipe.preexisting++;
	persist_preexisting();
	ta_pipeline_record(&app.pipe, &ev, sizeof(ev));
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

/* LRU evictions are silent in the kernel; count them as what went in and was
 * not taken out nor is still there. */
static __u64 flow_evictions(void)
{
	int fd = bpf_map__fd(app.skel->maps.stats), mfd = bpf_map__fd(app.skel->maps.flows);
	struct ta_flow_key k, next, *prev = NULL;
	__u64 in, out, live = 0;

	in = sum_percpu(fd, TA_STAT_FLOW_INSERTS, sizeof(__u64), 0) + app.seeded;
	out = sum_percpu(fd, TA_STAT_FLOWS_DELETED, sizeof(__u64), 0);
	while (bpf_map_get_next_key(mfd, prev, &next) == 0) {
		live++;
		k = next;
		prev = &k;
	}
	/* pinned stats outlive the table: only count what this run can see */
	in -= app.inserts_at_start;
	out -= app.deletes_at_start;
	return in > out + live ? in - out - live : 0;
}

static void print_stats(void)
{
#define TA_STAT_NAME(id, name, family, help) [TA_STAT_##id] = name,
	static const char *const names[TA_STAT_MAX] = { TA_STATS(TA_STAT_NAME) };
#undef TA_STAT_NAME
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
	sb_printf(&sb, app.opt.json ? ",\"attach_failures\":%d" : " attach_failures=%d",
		  attach_failures);
	sb_printf(&sb, app.opt.json ? ",\"flow_evictions\":%llu" : " flow_evictions=%llu",
		  (unsigned long long)flow_evictions());
	sb_printf(&sb, app.opt.json ? ",\"preexisting\":%llu,\"late_owners\":%llu,\"filtered\":%llu}"
				    : " preexisting=%llu late_owners=%llu filtered=%llu",
		  (unsigned long long)app.pipe.preexisting, (unsigned long long)app.pipe.late_owners,
		  (unsigned long long)app.pipe.filtered);
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

static void read_percpu_array(int fd, __u32 n, size_t value_size, size_t field_off, __u64 *out)
{
	__u32 i;

	for (i = 0; i < n; i++)
		out[i] = sum_percpu(fd, i, value_size, field_off);
}

/* Exporter counters that only userspace knows are pinned too, in the series
 * map under verdicts no flow has, so that they survive a restart as well. */
#define TA_SERIES_TLS 0xfe         /* comm = TLS version, container = outcome */
#define TA_SERIES_PREEXISTING 0xfd
static __u64 preexisting_base;     /* pinned value at start */

static void series_inc(struct ta_series_key *k)
{
	int fd = bpf_map__fd(app.skel->maps.series);
	__u64 v, one = 1;

	if (bpf_map_lookup_elem(fd, k, &v) == 0)
		one = v + 1;
	bpf_map_update_elem(fd, k, &one, BPF_ANY);
}

static void persist_preexisting(void)
{
	struct ta_series_key k = { .verdict = TA_SERIES_PREEXISTING };

	if (app.prom)
		series_inc(&k);
}

/* Every reported flow counts in the owner series, in the model and in the
 * pinned map that carries it across restarts. */
static void on_flow_export(const struct ta_flow_event *ev, const char *container,
			   const char *tls_version, const char *tls_outcome, void *ctx)
{
	struct ta_series_key k = { 0 };
	const char *comm = ev->has_owner ? (const char *)ev->owner.comm : "";
	__u64 one = 1, *cur, v;
	int fd;

	(void)ctx;
	if (!app.prom)
		return;
	ta_prom_add_flow(app.prom, comm, container ? container : "", ev->key.server_port,
			 ev->verdict, 1);
	if (tls_outcome) {
		struct ta_series_key t = { .verdict = TA_SERIES_TLS };

		ta_prom_add_tls(app.prom, tls_version ? tls_version : "unknown", tls_outcome, 1);
		snprintf((char *)t.comm, sizeof(t.comm), "%s", tls_version ? tls_version : "unknown");
		snprintf((char *)t.container, sizeof(t.container), "%s", tls_outcome);
		series_inc(&t);
	}
	fd = bpf_map__fd(app.skel->maps.series);
	memcpy(k.comm, comm, strnlen(comm, TA_COMM_LEN));
	if (container)
		snprintf((char *)k.container, sizeof(k.container), "%s", container);
	k.port = ev->key.server_port;
	k.verdict = ev->verdict;
	cur = &v;
	if (bpf_map_lookup_elem(fd, &k, cur) == 0)
		one = v + 1;
	if (bpf_map_update_elem(fd, &k, &one, BPF_ANY)) {
		/* the pinned table is full: keep the total exact under "other" */
		memset(&k, 0, sizeof(k));
		memcpy(k.comm, "other", 5);
		k.port = ev->key.server_port;
		k.verdict = ev->verdict;
		one = 1;
		if (bpf_map_lookup_elem(fd, &k, &v) == 0)
			one = v + 1;
		bpf_map_update_elem(fd, &k, &one, BPF_ANY);
	}
}

/* The flows counted before this start, from the pinned series map. */
static void load_series(void)
{
	struct ta_series_key k, next, *prev = NULL;
	int fd = bpf_map__fd(app.skel->maps.series);
	__u64 v;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &v) != 0)
			;
		else if (next.verdict == TA_SERIES_PREEXISTING)
			preexisting_base = v;
		else if (next.verdict == TA_SERIES_TLS)
			ta_prom_add_tls(app.prom, (const char *)next.comm, (const char *)next.container, v);
		else
			ta_prom_add_flow(app.prom, (const char *)next.comm,
					 (const char *)next.container, next.port, next.verdict, v);
		k = next;
		prev = &k;
	}
}

static void write_textfile(void)
{
	__u64 stats[TA_STAT_MAX], pkts[TA_V_MAX], bytes[TA_V_MAX];
	int i, err;

	if (!app.prom)
		return;
	read_percpu_array(bpf_map__fd(app.skel->maps.stats), TA_STAT_MAX, sizeof(__u64), 0, stats);
	read_percpu_array(bpf_map__fd(app.skel->maps.verdict_counters), TA_V_MAX,
			  sizeof(struct ta_counter), 0, pkts);
	read_percpu_array(bpf_map__fd(app.skel->maps.verdict_counters), TA_V_MAX,
			  sizeof(struct ta_counter), sizeof(__u64), bytes);
	ta_prom_set_stats(app.prom, stats);
	ta_prom_set_packets(app.prom, pkts);
	ta_prom_set_bytes(app.prom, bytes);
	ta_prom_set_preexisting(app.prom, preexisting_base + app.pipe.preexisting);
	ta_prom_set_flow_evictions(app.prom, flow_evictions());
	for (i = 0; i < app.n_ifaces; i++) {
		ta_prom_set_monitored(app.prom, app.ifaces[i].name,
				      app.ifaces[i].mode != TA_ATTACH_NONE);
		ta_prom_set_attach_failures(app.prom, app.ifaces[i].name,
					    app.ifaces[i].attach_failures);
	}
	err = ta_prom_write_textfile(app.prom, app.opt.textfile, time(NULL));
	if (err)
		warn("cannot write %s: %s (will retry)", app.opt.textfile, strerror(-err));
}

static void top_frame(void)
{
	static char buf[TA_TOP_OUT_SIZE(200, TA_TOP_MAX_COLS)];
	struct strbuf sb;
	int rows, cols, key;

	while ((key = ta_top_key(STDIN_FILENO))) {
		if (key == 'q')
			exiting = 1;
		else if (key == 'c')
			app.top_by_container = 1;
		else if (key == 'p')
			app.top_by_container = 0;
	}
	ta_top_size(STDOUT_FILENO, &rows, &cols);
	if (rows > 200)
		rows = 200;
	sb_init(&sb, buf, sizeof(buf));
	ta_top_render(&app.pipe.summary, app.top_by_container, rows, cols, 1, &sb);
	ta_top_write(STDOUT_FILENO, &sb);
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < app.n_ifaces; i++)
		ta_iface_detach(&app.ifaces[i]);
	for (i = 0; i < app.n_links; i++)
		bpf_link__destroy(app.links[i]);
	if (app.cg_fd >= 0)
		close(app.cg_fd);
	if (app.linkwatch_fd >= 0)
		close(app.linkwatch_fd);
	ring_buffer__free(app.rb);
	tlsaudit__destroy(app.skel);
	ta_pipeline_free(&app.pipe);
	ta_prom_free(app.prom);
	ta_cgroup_cleanup();
	if (app.top_active)
		ta_top_restore();
}

int main(int argc, char **argv)
{
	__u64 deadline = 0, now, next_write, next_frame;
	int err, rc = EXIT_RUNTIME, i;
	struct sigaction sa = { .sa_handler = on_signal };

	err = ta_parse_options(argc, argv, &app.opt);
	if (err)
		return err;
	libbpf_set_print(libbpf_print);
	if (app.opt.reset)
		return reset_pins();

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		warn("kernel BTF not found at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF)");
		return EXIT_RUNTIME;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ta_pipeline_init(&app.pipe, &app.opt, iface_name);
	app.pipe.evictions = flow_evictions;
	if (app.opt.textfile[0]) {
		app.prom = ta_prom_new(app.opt.max_series_owners);
		if (!app.prom) {
			warn("cannot set up the metrics model: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		ta_prom_set_version(app.prom, TA_VERSION);
		app.pipe.on_flow = on_flow_export;
	}
	if (app.opt.top) {
		err = ta_top_init(STDIN_FILENO);
		if (err) {
			warn("--top needs an interactive terminal: %s", strerror(-err));
			return 2;
		}
		app.top_active = 1;
		app.top_by_container = app.opt.top_containers;
		app.pipe.quiet = 1;
	}

	if (open_and_load())
		goto out;
	/* pinned counters carry earlier runs; evictions are this run's */
	app.inserts_at_start = sum_percpu(bpf_map__fd(app.skel->maps.stats), TA_STAT_FLOW_INSERTS,
					  sizeof(__u64), 0);
	app.deletes_at_start = sum_percpu(bpf_map__fd(app.skel->maps.stats), TA_STAT_FLOWS_DELETED,
					  sizeof(__u64), 0);
	if ((!app.opt.gateway && attach_owner_hooks()) || attach_interfaces())
		goto out;
	if (!app.opt.ifaces_explicit) {
		app.linkwatch_fd = ta_linkwatch_open();
		if (app.linkwatch_fd < 0)
			warn("cannot follow new interfaces: %s", strerror(-app.linkwatch_fd));
	}
	app.rb = ring_buffer__new(bpf_map__fd(app.skel->maps.events), handle_event, NULL, NULL);
	if (!app.rb) {
		warn("cannot open the ring buffer: %s", strerror(errno));
		goto out;
	}
	if (app.opt.duration)
		deadline = clock_ns(CLOCK_MONOTONIC) + app.opt.duration * 1000000000ull;
	if (app.prom)
		load_series();

	/* hooks are live: what was established before them is midstream */
	if (!app.opt.gateway) {
		struct preexisting pre = { 0 };
		size_t k;

		err = ta_list_established(app.opt.ports, collect_socket, &pre);
		if (err < 0)
			warn("cannot list established connections: %s", strerror(-err));
		if (pre.n)
			resolve_socket_owners(&pre);
		for (k = 0; k < pre.n; k++)
			report_preexisting(&pre.si[k], pre.pid ? pre.pid[k] : 0);
		free(pre.si);
		free(pre.pid);
	}

	/* everything is attached: the loop keeps only what it still uses */
	for (i = 0, err = 0; i < app.n_ifaces; i++)
		err |= app.ifaces[i].mode == TA_ATTACH_CLSACT; /* removing filters needs it */
	err = ta_drop_privileges(!app.opt.ifaces_explicit || err);
	if (err)
		warn("cannot drop capabilities: %s", strerror(-err));

	fprintf(stderr, "tlsaudit: ready: watching");
	for (i = 0; i < app.n_ifaces; i++)
		if (app.ifaces[i].mode != TA_ATTACH_NONE)
			fprintf(stderr, " %s", app.ifaces[i].name);
	fprintf(stderr, "; ports %s%s%s\n", app.opt.ports_text,
		app.opt.gateway ? (app.opt.hook_xdp ? "; gateway (xdp)" : "; gateway (tc)") : "",
		app.opt.enforce ? "; enforcing" : "");
	fflush(stderr);

	write_textfile();
	next_write = clock_ns(CLOCK_MONOTONIC) + app.opt.interval * 1000000000ull;
	next_frame = 0;

	while (!exiting) {
		err = ring_buffer__poll(app.rb, 100);
		if (err < 0 && err != -EINTR) {
			warn("ring buffer poll failed: %s", strerror(-err));
			goto out;
		}
		/* the kernel rarely wakes us (it saves microseconds per event):
		 * whatever arrived since the last round is read here */
		ring_buffer__consume(app.rb);
		if (app.linkwatch_fd >= 0)
			ta_linkwatch_read(app.linkwatch_fd, on_link, NULL);
		ta_pipeline_tick(&app.pipe, 0);
		now = clock_ns(CLOCK_MONOTONIC);
		if (app.prom && now >= next_write) {
			write_textfile();
			next_write = now + app.opt.interval * 1000000000ull;
		}
		if (app.top_active && now >= next_frame) {
			top_frame();
			next_frame = now + 1000000000ull;
		}
		if (deadline && now >= deadline)
			break;
	}
	/* everything the kernel already decided is reported before we stop */
	ring_buffer__consume(app.rb);
	ta_pipeline_tick(&app.pipe, 1);
	write_textfile();
	if (app.top_active) {
		ta_top_restore();
		app.top_active = 0;
	}
	ta_summary_print(&app.pipe.summary, stdout, app.opt.json);
	print_stats();
	rc = 0;
out:
	cleanup();
	return rc;
}
