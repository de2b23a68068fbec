// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * live.c - a live run: load, attach, read the ring buffer into the pipeline
 * until told to stop, then drain, report, and detach through one path.
 *
 * Order: the terminal (--top) -> BPF load (pins) -> sinks (the pinned series
 * loaded) -> owner hooks -> interfaces -> the ring buffer -> pre-existing
 * connections -> privileges dropped -> "ready" -> the loop.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "core/counters.h"
#include "core/hooks.h"
#include "core/ifaces.h"
#include "core/live.h"
#include "core/loader.h"
#include "core/outputs.h"
#include "core/privs.h"
#include "flow/pipeline.h"
#include "owners/cgroup.h"
#include "owners/preexisting.h"
#include "tlsaudit.skel.h"

#define EXIT_RUNTIME 1
#define COUNT_EVERY_NS 1000000000ull
#define POLL_MS 100

struct live {
	const struct ta_options *opt;
	struct ta_loader loader;
	struct ta_hooks hooks;
	struct ta_ifaces ifaces;
	struct ta_sinks sinks;
	struct ta_pipeline *pipe;
	struct ring_buffer *rb;	      /* verdicts and owners: the events ring */
	struct ring_buffer *captures; /* handshake captures: a ring of their own */
	struct ta_counters_base base;
	__u64 seeded; /* flow entries userspace put in the table (pre-existing) */
	struct ta_iface_status status[TA_MAX_IFACES];
	struct ta_counters counters;
	char cg_mount[PATH_MAX];
};

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* the ring buffer -> the pipeline, stamped with when it arrived */
static int on_record(void *ctx, void *data, size_t len)
{
	struct live *l = ctx;

	ta_pipeline_record(l->pipe, data, len, clock_ns(CLOCK_BOOTTIME));
	return 0;
}

/* A capture record follows its flow's verdict, which the kernel sent first
 * but to the other ring: whatever verdicts are there go first (reading a
 * ring is a look at its positions, no system call). */
static int on_capture(void *ctx, void *data, size_t len)
{
	struct live *l = ctx;

	ring_buffer__consume(l->rb);
	ta_pipeline_record(l->pipe, data, len, clock_ns(CLOCK_BOOTTIME));
	return 0;
}

/* Everything both rings hold now, verdicts first. */
static void drain(struct live *l)
{
	ring_buffer__consume(l->rb);
	ring_buffer__consume(l->captures);
}

static void read_counters(struct live *l)
{
	struct ta_counters *c = &l->counters;

	ta_counters_read(&l->loader, &l->base, l->seeded, c);
	ta_pipeline_counters(l->pipe, c);
	c->preexisting = l->seeded;
	c->n_ifaces = ta_ifaces_status(&l->ifaces, l->status, TA_MAX_IFACES, &c->attach_failures);
	c->ifaces = l->status;
	ta_pipeline_count(l->pipe, c->evictions, clock_ns(CLOCK_BOOTTIME));
}

/* Hooks are live: what was established before them is reported midstream. */
static void report_preexisting(struct live *l)
{
	struct ta_preexisting pre;
	size_t i;
	int err;

	err = ta_preexisting_scan(l->opt->ports, bpf_map__fd(l->loader.skel->maps.flows),
				  l->cg_mount[0] ? l->cg_mount : NULL, clock_ns(CLOCK_BOOTTIME),
				  &pre);
	if (err)
		fprintf(stderr, "tlsaudit: cannot list established connections: %s\n",
			strerror(-err));
	for (i = 0; i < pre.n; i++)
		ta_pipeline_record(l->pipe, &pre.ev[i], sizeof(pre.ev[i]),
				   clock_ns(CLOCK_BOOTTIME));
	l->seeded = pre.n;
	ta_preexisting_free(&pre);
}

static void say_ready(struct live *l)
{
	const struct ta_options *o = l->opt;
	char names[TA_MAX_IFACES * (IF_NAMESIZE + 1)];

	ta_ifaces_names(&l->ifaces, names, sizeof(names));
	fprintf(stderr, "tlsaudit: ready: watching %s; ports %s%s%s\n", names, o->ports_text,
		o->gateway ? (o->hook_xdp ? "; gateway (xdp)" : "; gateway (tc)") : "",
		o->enforce ? "; enforcing" : "");
	fflush(stderr);
}

static int start(struct live *l)
{
	const struct ta_options *o = l->opt;
	struct ta_loader_config lc = { .ports = o->ports,
				       .enforce = o->enforce,
				       .max_flows = o->max_flows,
				       .pin = !!o->textfile[0],
				       .hold = o->enforce && !o->no_hold,
				       .allow = o->allow,
				       .n_allow = o->n_allow };
	struct ta_sink *summary;
	enum ta_hook_kind kind;
	int rc;

	rc = ta_outputs_first(&l->sinks, o, &summary);
	if (rc)
		return rc;
	if (ta_loader_load(&l->loader, &lc)) {
		summary->ops->free(summary);
		return EXIT_RUNTIME;
	}
	ta_counters_base(&l->loader, &l->base);
	rc = ta_outputs_rest(&l->sinks, o,
			     o->textfile[0] ? bpf_map__fd(l->loader.skel->maps.series) : -1,
			     summary);
	if (rc)
		return rc;
	l->pipe = ta_pipeline_new(&o->filters, 0,
				  clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME), &l->sinks);
	if (!l->pipe)
		return EXIT_RUNTIME;
	if (ta_cgroup2_mount(l->cg_mount, sizeof(l->cg_mount)))
		l->cg_mount[0] = '\0';
	if (!o->gateway && ta_hooks_attach(&l->hooks, l->loader.skel,
					   l->cg_mount[0] ? l->cg_mount : NULL, o->verbose))
		return EXIT_RUNTIME;
	kind = !o->gateway   ? TA_HOOK_TC_HOST
	       : o->hook_xdp ? TA_HOOK_XDP_GATEWAY
			     : TA_HOOK_TC_GATEWAY;
	if (ta_ifaces_attach(&l->ifaces, l->loader.skel, kind, o->enforce && !o->no_hold, o->ifaces,
			     o->n_ifaces, o->ifaces_explicit))
		return EXIT_RUNTIME;
	if (!o->ifaces_explicit && (rc = ta_ifaces_follow(&l->ifaces)))
		fprintf(stderr, "tlsaudit: cannot follow new interfaces: %s\n", strerror(-rc));
	l->rb = ring_buffer__new(bpf_map__fd(l->loader.skel->maps.events), on_record, l, NULL);
	if (l->rb)
		l->captures = ring_buffer__new(bpf_map__fd(l->loader.skel->maps.captures),
					       on_capture, l, NULL);
	if (!l->rb || !l->captures) {
		fprintf(stderr, "tlsaudit: cannot open the ring buffer: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (!o->gateway)
		report_preexisting(l);
	/* everything is attached: the loop keeps only what it still uses */
	rc = ta_drop_privileges(ta_ifaces_need_net_admin(&l->ifaces));
	if (rc)
		fprintf(stderr, "tlsaudit: cannot drop capabilities: %s\n", strerror(-rc));
	return 0;
}

static int loop(struct live *l, volatile sig_atomic_t *stop)
{
	__u64 now, next_count = 0, deadline = 0;
	int err;

	if (l->opt->duration)
		deadline = clock_ns(CLOCK_MONOTONIC) + l->opt->duration * 1000000000ull;
	while (!*stop) {
		err = ring_buffer__poll(l->rb, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "tlsaudit: ring buffer poll failed: %s\n", strerror(-err));
			return EXIT_RUNTIME;
		}
		/* the kernel rarely wakes us (it saves microseconds per event):
		 * whatever arrived since the last round is read here */
		drain(l);
		ta_ifaces_poll(&l->ifaces);
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= next_count) {
			read_counters(l);
			next_count = now + COUNT_EVERY_NS;
		}
		ta_pipeline_tick(l->pipe, clock_ns(CLOCK_BOOTTIME), 0);
		if (ta_sinks_tick(&l->sinks, &l->counters, now))
			break;
		if (deadline && now >= deadline)
			break;
	}
	return 0;
}

int ta_live_run(const struct ta_options *opt, volatile sig_atomic_t *stop)
{
	struct live l = { .opt = opt, .ifaces = { .follow_fd = -1 }, .hooks = { .cg_fd = -1 } };
	int rc, started;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "tlsaudit: kernel BTF not found at /sys/kernel/btf/vmlinux (needs "
				"CONFIG_DEBUG_INFO_BTF)\n");
		return EXIT_RUNTIME;
	}
	rc = start(&l);
	started = !rc;
	if (!rc) {
		say_ready(&l);
		rc = loop(&l, stop);
	}
	if (!rc) {
		/* everything the kernel already decided is reported before we stop */
		drain(&l);
		read_counters(&l);
		ta_pipeline_tick(l.pipe, clock_ns(CLOCK_BOOTTIME), 1);
		ta_pipeline_counters(l.pipe, &l.counters);
		ta_sinks_finish(&l.sinks, &l.counters);
	}
	ta_ifaces_detach(&l.ifaces, !started);
	ta_hooks_detach(&l.hooks);
	ring_buffer__free(l.captures);
	ring_buffer__free(l.rb);
	ta_pipeline_free(l.pipe);
	ta_sinks_free(&l.sinks);
	ta_loader_close(&l.loader);
	return rc;
}
