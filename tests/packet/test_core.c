// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_core.c - the loader's stages against the real kernel: loading and
 * pinning (core/loader.c, core/pins.c), counters and the eviction count
 * (core/counters.c), the pre-existing scan (owners/preexisting.c), and
 * attaching to an interface with the owner hooks (core/ifaces.c,
 * core/hooks.c).
 *
 * Everything happens in a network namespace and a mount namespace of the
 * test's own (unshare), with a bpffs of its own on /sys/fs/bpf: the
 * machine's pins and interfaces are never touched, and both namespaces go
 * away with the process. Needs root; without it every case SKIPs, which the
 * runner turns into a failure under CI=true.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ta_test.h"
#include "ta_frames.h"
#include "core/counters.h"
#include "core/hooks.h"
#include "core/ifaces.h"
#include "core/loader.h"
#include "core/pins.h"
#include "owners/cgroup.h"
#include "owners/preexisting.h"
#include "ta_count.skel.h"
#include "tlsaudit.skel.h"

#define TEST_COMM "ta-core-test"

static __u8 ports[TA_PORT_BITMAP_LEN];

static int isolate(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return -errno;
	close(fd);
	return 0;
}

static int load(struct ta_loader *l, __u32 max_flows, int pin)
{
	struct ta_loader_config c = { .ports = ports, .max_flows = max_flows, .pin = pin };
	int err = ta_loader_load(l, &c);

	TA_CHECK(!err, "load: %s", strerror(-err));
	return err;
}

/* Linux 6.6 counts a map's elements for BPF (bpf_map_sum_elem_count); an
 * older kernel has the loader walk the flow table instead. */
static int kernel_counts_elements(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	return !uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major > 6 || (major == 6 && minor >= 6));
}

/* A local client's packet, with len bytes of data, through ta_tc_egress. */
static void egress_bytes(struct ta_loader *l, const struct flow_spec *s, unsigned seq,
			 unsigned char flags, const void *data, size_t len)
{
	struct frame f;
	LIBBPF_OPTS(bpf_test_run_opts, o);

	build(&f, s, 1, seq, flags, data, len);
	o.data_in = f.b;
	o.data_size_in = f.len;
	o.repeat = 1;
	if (bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.ta_tc_egress), &o))
		TA_CHECK(0, "test_run: %s", strerror(errno));
}

static void egress(struct ta_loader *l, const struct flow_spec *s, unsigned seq,
		   unsigned char flags)
{
	egress_bytes(l, s, seq, flags, NULL, 0);
}

static struct flow_spec spec(unsigned id)
{
	static char cli[32];
	struct flow_spec s = { .srv = "10.77.0.2", .sport = 443 };

	snprintf(cli, sizeof(cli), "10.76.%u.%u", (id >> 8) & 255, id & 255);
	s.cli = cli;
	s.cport = 1024 + id % 60000;
	return s;
}

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static void pins(void)
{
	struct ta_loader a, b;
	__u64 *vals, sum = 0;
	int ncpu = libbpf_num_possible_cpus(), c, fd;
	__u32 key = TA_STAT_FLOWS_NEW;
	struct flow_spec s = spec(1);

	ta_case_begin("core: pinned counters are shared by the next run, and --reset clears them");
	if (load(&a, 1024, 1)) {
		ta_case_end();
		return;
	}
	TA_CHECK(file_exists(TA_PIN_DIR "/stats") && file_exists(TA_PIN_DIR "/verdict_counters") &&
			 file_exists(TA_PIN_DIR "/series"),
		 "pins missing under %s", TA_PIN_DIR);
	egress(&a, &s, 100, SYN);
	load(&b, 1024, 1);
	vals = calloc(ncpu, sizeof(*vals));
	if (vals && b.skel && !bpf_map_lookup_elem(bpf_map__fd(b.skel->maps.stats), &key, vals))
		for (c = 0; c < ncpu; c++)
			sum += vals[c];
	free(vals);
	TA_CHECK_EQ(sum, 1);
	ta_loader_close(&b);
	ta_loader_close(&a);
	TA_CHECK_EQ(ta_pins_reset(), 0);
	TA_CHECK(!file_exists(TA_PIN_DIR), "%s still there after reset", TA_PIN_DIR);
	ta_case_end();

	ta_case_begin("core: a map pinned by another version is started afresh");
	mkdir(TA_PIN_DIR, 0700);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "stats", 4, 4, 3, NULL);
	TA_CHECK(fd >= 0 && !bpf_obj_pin(fd, TA_PIN_DIR "/stats"), "cannot pin a foreign map");
	close(fd);
	if (load(&a, 1024, 1)) {
		ta_pins_reset();
		ta_case_end();
		return;
	}
	fd = bpf_obj_get(TA_PIN_DIR "/stats");
	if (fd >= 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		TA_CHECK(!bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size == 8 &&
				 info.max_entries == TA_STAT_MAX,
			 "the foreign pin was kept (value size %u, %u entries)", info.value_size,
			 info.max_entries);
		close(fd);
	} else {
		TA_CHECK(0, "no pin after load");
	}
	ta_loader_close(&a);
	ta_pins_reset();
	ta_case_end();
}

/* More flows than the table holds: every one counted, in or out. */
static void evictions(void)
{
	struct ta_counters_base base;
	struct ta_counters c;
	struct ta_loader l;
	unsigned i;
	__u64 iter_live, walk_live;

	ta_case_begin(
		"core: evictions = inserts - deletes - live, by the kernel's count or a walk");
	TA_CHECK_EQ(load(&l, 1024, 0), 0);
	ta_counters_base(&l, &base);
	for (i = 0; i < 3000; i++) {
		struct flow_spec s = spec(i);

		egress(&l, &s, 1000, SYN);
	}
	if (kernel_counts_elements())
		TA_CHECK(l.count != NULL, "no element-count iterator on this kernel");
	memset(&c, 0, sizeof(c));
	ta_counters_read(&l, &base, 0, &c);
	iter_live = ta_loader_live_flows(&l);
	ta_count__destroy(l.count);
	bpf_link__destroy(l.count_link);
	l.count = NULL;
	l.count_link = NULL;
	walk_live = ta_loader_live_flows(&l);
	TA_CHECK_EQ(iter_live, walk_live);
	TA_CHECK(walk_live <= 1024 && walk_live > 0, "live %llu", (unsigned long long)walk_live);
	TA_CHECK_EQ(c.stats[TA_STAT_FLOW_INSERTS], 3000);
	TA_CHECK_EQ(c.evictions, 3000 - walk_live);
	ta_loader_close(&l);
	ta_case_end();
}

struct closer {
	struct ta_loader *l;
	unsigned n;
	volatile int done;
};

static void *close_flows(void *arg)
{
	struct closer *cl = arg;
	unsigned i;

	for (i = 0; i < cl->n; i++) {
		struct flow_spec s = spec(i);

		egress(cl->l, &s, 1001, RST);
	}
	cl->done = 1;
	return NULL;
}

/*
 * Regression: the count read inserts, then deletes, then walked the table;
 * flows deleted during the walk were neither in it nor in the deletes, so
 * they came out as evictions that never happened ("reason":"evicted" with
 * flow_evictions 0). Flows are closed here while the count is read, over
 * and over: with no eviction at all, every count must say 0.
 */
static void eviction_race(int use_iterator)
{
	struct ta_counters_base base;
	struct ta_counters c;
	struct ta_loader l;
	struct closer cl = { .l = &l, .n = 6000 };
	__u64 worst = 0, reads = 0;
	pthread_t t;
	unsigned i;

	ta_case_begin(use_iterator ? "core: regression: no phantom evictions while flows close "
				     "(kernel count)"
				   : "core: regression: no phantom evictions while flows close "
				     "(table walk)");
	if (load(&l, 16384, 0)) {
		ta_case_end();
		return;
	}
	if (use_iterator && !l.count) {
		/* an older kernel: the walk case already proved the read order */
		TA_CHECK(!kernel_counts_elements(), "no element-count iterator on this kernel");
		ta_loader_close(&l);
		ta_case_end();
		return;
	}
	if (!use_iterator) {
		ta_count__destroy(l.count);
		bpf_link__destroy(l.count_link);
		l.count = NULL;
		l.count_link = NULL;
	}
	ta_counters_base(&l, &base);
	for (i = 0; i < cl.n; i++) {
		struct flow_spec s = spec(i);

		egress(&l, &s, 1000, SYN);
	}
	pthread_create(&t, NULL, close_flows, &cl);
	while (!cl.done) {
		memset(&c, 0, sizeof(c));
		ta_counters_read(&l, &base, 0, &c);
		if (c.evictions > worst)
			worst = c.evictions;
		reads++;
	}
	pthread_join(t, NULL);
	ta_counters_read(&l, &base, 0, &c);
	TA_CHECK_EQ(worst, 0);
	TA_CHECK_EQ(c.evictions, 0);
	TA_CHECK_EQ(c.stats[TA_STAT_FLOWS_DELETED], cl.n);
	TA_CHECK(reads > 1, "only %llu reads during the closes", (unsigned long long)reads);
	ta_loader_close(&l);
	ta_case_end();
}

/* A TCP connection on 127.0.0.1:443, both ends ours. */
static int connect_local(int *lfd, int *cfd, int *afd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(443) };
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (*lfd < 0 || *cfd < 0 || bind(*lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(*lfd, 8) || connect(*cfd, (struct sockaddr *)&a, sizeof(a)))
		return -errno;
	*afd = accept(*lfd, NULL, NULL);
	return *afd < 0 ? -errno : 0;
}

static void preexisting(void)
{
	struct ta_preexisting pre;
	struct ta_flow_state st;
	struct ta_loader l;
	int lfd, cfd, afd;

	ta_case_begin("core: a connection older than tlsaudit is reported once, with its owner");
	if (load(&l, 1024, 0)) {
		ta_case_end();
		return;
	}
	TA_CHECK_EQ(connect_local(&lfd, &cfd, &afd), 0);
	TA_CHECK_EQ(ta_preexisting_scan(ports, bpf_map__fd(l.skel->maps.flows), NULL, 1, &pre), 0);
	/* both ends are listed, one flow is reported */
	TA_CHECK_EQ(pre.n, 1);
	if (pre.n == 1) {
		const struct ta_owner *o =
			pre.ev[0].has_owner ? &pre.ev[0].owner : &pre.ev[0].server_owner;

		TA_CHECK_EQ(pre.ev[0].verdict, TA_V_MIDSTREAM);
		TA_CHECK(pre.ev[0].flags & TA_F_PREEXISTING, "flags 0x%x", pre.ev[0].flags);
		TA_CHECK_EQ(o->tgid, getpid());
		TA_CHECK(!strcmp((const char *)o->comm, TEST_COMM), "comm %s", o->comm);
		TA_CHECK_EQ(pre.ev[0].key.server_port, 443);
		TA_CHECK(!bpf_map_lookup_elem(bpf_map__fd(l.skel->maps.flows), &pre.ev[0].key,
					      &st) &&
				 (st.flags & TA_F_REPORTED),
			 "the flow was not seeded into the table");
	}
	ta_preexisting_free(&pre);
	TA_CHECK_EQ(ta_preexisting_scan(ports, bpf_map__fd(l.skel->maps.flows), NULL, 1, &pre), 0);
	TA_CHECK_EQ(pre.n, 0);
	ta_preexisting_free(&pre);
	close(afd);
	close(cfd);
	close(lfd);
	ta_loader_close(&l);
	ta_case_end();
}

static struct ta_flow_event got;
static int n_got;

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len >= sizeof(got) && ((struct ta_flow_event *)data)->type == TA_EV_FLOW) {
		got = *(struct ta_flow_event *)data;
		n_got++;
	}
	return 0;
}

/* A plaintext request to 127.0.0.1:443 over lo: judged at TC, owned by us. */
static int talk(void)
{
	int lfd, cfd, afd, rc;

	rc = connect_local(&lfd, &cfd, &afd);
	if (!rc && write(cfd, "GET / HTTP/1.1\r\n\r\n", 18) != 18)
		rc = -errno;
	close(afd);
	close(cfd);
	close(lfd);
	return rc;
}

static void attach(void)
{
	static const char names[1][IF_NAMESIZE] = { "lo" };
	struct ta_iface_status st[2];
	struct ta_ifaces ifs;
	struct ta_hooks hooks = { .cg_fd = -1 };
	struct ring_buffer *rb = NULL;
	struct ta_loader l;
	char mnt[4096];
	__u64 failures;

	ta_case_begin("core: attached to an interface, a flow is judged and owned; detached, "
		      "it is not");
	if (load(&l, 1024, 0)) {
		ta_case_end();
		return;
	}
	TA_CHECK_EQ(ta_cgroup2_mount(mnt, sizeof(mnt)), 0);
	TA_CHECK_EQ(ta_hooks_attach(&hooks, l.skel, mnt, 0), 0);
	TA_CHECK_EQ(ta_ifaces_attach(&ifs, l.skel, TA_HOOK_TC_HOST, 0, names, 1, 1), 0);
	TA_CHECK_EQ(ta_ifaces_status(&ifs, st, 2, &failures), 1);
	TA_CHECK(st[0].monitored && !failures, "lo not monitored");
	rb = ring_buffer__new(bpf_map__fd(l.skel->maps.events), on_event, NULL, NULL);
	TA_CHECK(rb != NULL, "ring buffer");
	n_got = 0;
	TA_CHECK_EQ(talk(), 0);
	ring_buffer__consume(rb);
	TA_CHECK_EQ(n_got, 1);
	if (n_got == 1) {
		TA_CHECK_EQ(got.verdict, TA_V_PLAINTEXT_HTTP);
		TA_CHECK(got.has_owner && got.owner.tgid == (__u32)getpid() &&
				 !strcmp((const char *)got.owner.comm, TEST_COMM),
			 "owner %u %s", got.owner.tgid, got.owner.comm);
	}
	ta_ifaces_detach(&ifs, 0);
	ta_hooks_detach(&hooks);
	n_got = 0;
	TA_CHECK_EQ(talk(), 0);
	ring_buffer__consume(rb);
	TA_CHECK_EQ(n_got, 0);
	ring_buffer__free(rb);
	ta_loader_close(&l);
	ta_case_end();
}

/* A client's packet with a text payload. */
static void egress_data(struct ta_loader *l, const struct flow_spec *s, unsigned seq,
			unsigned char flags, const char *data)
{
	egress_bytes(l, s, seq, flags, data, strlen(data));
}

static __u64 stat_now(struct ta_loader *l, const struct ta_counters_base *base, int id)
{
	struct ta_counters c;

	memset(&c, 0, sizeof(c));
	ta_counters_read(l, base, 0, &c);
	return c.stats[id];
}

/* One frame with an acknowledgement number (IPv4, no VLAN, no options: the
 * TCP header at 34), through ta_tc_egress (client) or ta_tc_ingress. */
static void frame_ack(struct ta_loader *l, const struct flow_spec *s, int c2s, unsigned seq,
		      unsigned ack, unsigned char flags, const char *data)
{
	struct frame f;
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct bpf_program *prog = c2s ? l->skel->progs.ta_tc_egress : l->skel->progs.ta_tc_ingress;

	build(&f, s, c2s, seq, flags, data, data ? strlen(data) : 0);
	put32(f.b + 34 + 8, ack);
	o.data_in = f.b;
	o.data_size_in = f.len;
	o.repeat = 1;
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		TA_CHECK(0, "test_run: %s", strerror(errno));
}

static int flow_entry(struct ta_loader *l, const struct flow_spec *s, struct ta_flow_state *st)
{
	struct ta_flow_key k;

	make_key(&k, s);
	return !bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.flows), &k, st) ||
	       !bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.new_flows), &k, st);
}

/*
 * A SYN flood must not evict what was judged: 20 flows complete their
 * handshake (SYN, the server's SYN-ACK of ISN+1, the client's ACK of the
 * server's ISN+1, with data) and are judged; 20 more send the same data
 * without a handshake seen; then 5000 SYNs that never complete, each sent
 * twice, flood a table of 1024. The 20 proven flows keep their entries and verdicts; the
 * flood takes the unproven ones (so it was a flood), and every eviction is
 * counted.
 */
static void syn_flood(void)
{
	struct ta_counters_base base;
	struct ta_counters c;
	struct ta_loader l;
	struct ta_flow_state st;
	unsigned i, kept = 0, unproven_kept = 0;
	__u64 live;

	ta_case_begin("core: a SYN flood evicts no flow whose handshake was seen, and is counted");
	TA_CHECK_EQ(load(&l, 1024, 0), 0);
	ta_counters_base(&l, &base);
	for (i = 0; i < 40; i++) {
		struct flow_spec s = spec(100000 + i);

		frame_ack(&l, &s, 1, 1000, 0, SYN, NULL);
		if (i < 20)
			frame_ack(&l, &s, 0, 7000, 1001, SYN | ACK, NULL);
		frame_ack(&l, &s, 1, 1001, 7001, ACK | PSH, "GET / HTTP/1.1\r\n\r\n");
	}
	TA_CHECK_EQ(stat_now(&l, &base, TA_STAT_FLOWS_PROVEN), 20);
	/* each SYN twice, as a retransmission: a looked-up entry is one the LRU
	 * keeps longer, so a flood of single SYNs would evict only itself */
	for (i = 0; i < 5000; i++) {
		struct flow_spec s = spec(i);

		frame_ack(&l, &s, 1, 1000, 0, SYN, NULL);
		frame_ack(&l, &s, 1, 1000, 0, SYN, NULL);
	}
	for (i = 0; i < 40; i++) {
		struct flow_spec s = spec(100000 + i);
		int there = flow_entry(&l, &s, &st);

		if (i < 20 && there && st.verdict == TA_V_PLAINTEXT_HTTP &&
		    (st.flags & TA_F_PROVEN))
			kept++;
		if (i >= 20 && there)
			unproven_kept++;
	}
	TA_CHECK(kept == 20, "%u of 20 proven flows kept through the flood", kept);
	TA_CHECK(unproven_kept < 20, "the flood evicted none of the unproven flows: no flood");
	memset(&c, 0, sizeof(c));
	ta_counters_read(&l, &base, 0, &c);
	live = ta_loader_live_flows(&l);
	TA_CHECK_EQ(c.stats[TA_STAT_FLOW_INSERTS], 5040);
	TA_CHECK_EQ(c.evictions, 5040 - live);
	ta_loader_close(&l);
	ta_case_end();
}

/* New plaintext flows, not read, until the ring refuses one's verdict: the
 * index of that flow. */
static unsigned fill_ring(struct ta_loader *l, const struct ta_counters_base *base, unsigned from)
{
	__u64 drops = stat_now(l, base, TA_STAT_RINGBUF_DROPS);
	unsigned i;

	for (i = from; i < from + 1000; i++) {
		struct flow_spec s = spec(i);

		egress(l, &s, 1000, SYN);
		egress_data(l, &s, 1001, ACK | PSH, "GET / HTTP/1.1\r\n\r\n");
		if (stat_now(l, base, TA_STAT_RINGBUF_DROPS) > drops)
			return i;
	}
	TA_CHECK(0, "a 4 KiB ring took 1000 events");
	return i;
}

static int n_key_events;
static struct ta_flow_key want_key;

static int on_key_event(void *ctx, void *data, size_t len)
{
	const struct ta_flow_event *ev = data;

	(void)ctx;
	if (len >= sizeof(*ev) && ev->type == TA_EV_FLOW &&
	    !memcmp(&ev->key, &want_key, sizeof(want_key)) && ev->verdict == TA_V_PLAINTEXT_HTTP)
		n_key_events++;
	return 0;
}

static void ring_full(void)
{
	struct ta_loader_config c = { .ports = ports, .max_flows = 1024, .ringbuf_bytes = 4096 };
	struct ta_counters_base base;
	struct ring_buffer *rb;
	struct ta_loader l;
	struct flow_spec a, b;
	unsigned ia, ib;

	ta_case_begin("core: a verdict that finds the ring full is sent with a later packet, or "
		      "counted lost");
	if (ta_loader_load(&l, &c)) {
		TA_CHECK(0, "load with a 4 KiB ring");
		ta_case_end();
		return;
	}
	ta_counters_base(&l, &base);
	rb = ring_buffer__new(bpf_map__fd(l.skel->maps.events), on_key_event, NULL, NULL);
	TA_CHECK(rb != NULL, "ring buffer");
	ia = fill_ring(&l, &base, 0);
	a = spec(ia);
	make_key(&want_key, &a);
	n_key_events = 0;
	ring_buffer__consume(rb);
	TA_CHECK_EQ(n_key_events, 0);
	/* room again: the flow's next packet, a bare ACK, carries its verdict */
	egress(&l, &a, 1019, ACK);
	TA_CHECK_EQ(stat_now(&l, &base, TA_STAT_EVENTS_RETRIED), 1);
	ring_buffer__consume(rb);
	TA_CHECK_EQ(n_key_events, 1);
	egress(&l, &a, 1019, ACK);
	ring_buffer__consume(rb);
	TA_CHECK_EQ(n_key_events, 1);
	/* full again: a flow that ends while its verdict waits is counted lost */
	ib = fill_ring(&l, &base, ia + 1);
	b = spec(ib);
	egress(&l, &b, 1019, RST | ACK);
	TA_CHECK_EQ(stat_now(&l, &base, TA_STAT_VERDICTS_LOST), 1);
	TA_CHECK_EQ(stat_now(&l, &base, TA_STAT_EVENTS_RETRIED), 1);
	ring_buffer__free(rb);
	ta_loader_close(&l);
	ta_case_end();
}

static int n_flow_events;

static int count_flow_events(void *ctx, void *data, size_t len)
{
	const struct ta_flow_event *ev = data;

	(void)ctx;
	if (len >= sizeof(*ev) && ev->type == TA_EV_FLOW)
		n_flow_events++;
	return on_key_event(ctx, data, len);
}

/*
 * Verdicts cannot be drowned by handshakes: 40 TLS flows send a real
 * ClientHello into a 4 KiB capture ring that nobody reads, so most of their
 * captures are lost (and counted); every verdict, and a plaintext flow's
 * after them, still arrives on the events ring, with no event lost.
 */
static void capture_flood(void)
{
	struct ta_loader_config c = { .ports = ports, .max_flows = 1024, .captures_bytes = 4096 };
	static __u8 hello[2048];
	struct ta_counters_base base;
	struct ring_buffer *rb;
	struct ta_loader l;
	struct flow_spec s;
	size_t n = 0;
	FILE *f;
	unsigned i;

	ta_case_begin("core: a burst of handshakes that fills the capture ring loses no verdict");
	f = fopen("tests/fixtures/tls/curl-tls13.clienthello.bin", "rb");
	if (f) {
		n = fread(hello, 1, sizeof(hello), f);
		fclose(f);
	}
	TA_CHECK(n > 100, "tests/fixtures/tls/curl-tls13.clienthello.bin: %s",
		 f ? "short" : strerror(errno));
	if (ta_loader_load(&l, &c)) {
		TA_CHECK(0, "load with a 4 KiB capture ring");
		ta_case_end();
		return;
	}
	ta_counters_base(&l, &base);
	rb = ring_buffer__new(bpf_map__fd(l.skel->maps.events), count_flow_events, NULL, NULL);
	TA_CHECK(rb != NULL, "ring buffer");
	for (i = 0; i < 40; i++) {
		s = spec(200000 + i);
		egress(&l, &s, 1000, SYN);
		egress_bytes(&l, &s, 1001, ACK | PSH, hello, n);
	}
	s = spec(200100);
	make_key(&want_key, &s);
	egress(&l, &s, 1000, SYN);
	egress_data(&l, &s, 1001, ACK | PSH, "GET / HTTP/1.1\r\n\r\n");
	n_flow_events = n_key_events = 0;
	if (rb)
		ring_buffer__consume(rb);
	TA_CHECK(stat_now(&l, &base, TA_STAT_CAPTURES_LOST) > 0,
		 "no capture lost: the 4 KiB ring did not fill");
	TA_CHECK_EQ(n_flow_events, 41);
	TA_CHECK_EQ(n_key_events, 1);
	TA_CHECK_EQ(stat_now(&l, &base, TA_STAT_RINGBUF_DROPS), 0);
	TA_CHECK_EQ(stat_now(&l, &base, TA_STAT_VERDICTS_LOST), 0);
	ring_buffer__free(rb);
	ta_loader_close(&l);
	ta_case_end();
}

/*
 * The flow machine is inlined into each packet program, and the verifier
 * walks every path of it: the programs must stay well inside its budget of
 * 1M instructions processed, or the next change fails to load on some
 * kernel. Each packet program, audit and --enforce, must verify in under
 * 80% of it; the figures are printed, for the closing notes of changes to
 * bpf/.
 */
#define VERIFIER_BUDGET 1000000
#define VERIFIER_LOG (1u << 20)

static void verifier_headroom(void)
{
	static char logs[4][VERIFIER_LOG];
	int enforce;

	ta_case_begin("core: every packet program verifies in under 80% of the verifier's "
		      "1M-instruction budget, audit and --enforce");
	for (enforce = 0; enforce < 2; enforce++) {
		struct tlsaudit *skel = tlsaudit__open();
		struct bpf_program *prog;
		int n = 0, err;

		TA_CHECK(skel != NULL, "open: %s", strerror(errno));
		if (!skel)
			break;
		skel->rodata->ta_enforce = enforce;
		skel->rodata->ta_ports[443 >> 3] |= 1u << (443 & 7);
		bpf_object__for_each_program (prog, skel->obj) {
			const char *name = bpf_program__name(prog);

			if (strncmp(name, "ta_tc_", 6) && strncmp(name, "ta_xdp_", 7)) {
				bpf_program__set_autoload(prog, false);
				continue;
			}
			if (n < 4) {
				logs[n][0] = '\0';
				bpf_program__set_log_buf(prog, logs[n++], VERIFIER_LOG);
				bpf_program__set_log_level(prog, 4); /* statistics only */
			}
		}
		err = tlsaudit__load(skel);
		TA_CHECK(!err, "load (%s): %s", enforce ? "--enforce" : "audit", strerror(-err));
		bpf_object__for_each_program (prog, skel->obj) {
			size_t size;
			const char *log = bpf_program__log_buf(prog, &size), *at;
			unsigned long done = 0;

			if (!bpf_program__autoload(prog))
				continue;
			at = log ? strstr(log, "processed ") : NULL;
			TA_CHECK(at && sscanf(at, "processed %lu insns", &done) == 1,
				 "%s: no verifier statistics", bpf_program__name(prog));
			printf("      verifier: %s%s: %lu insns processed (%.0f%% of the budget)\n",
			       bpf_program__name(prog), enforce ? " --enforce" : "", done,
			       100.0 * done / VERIFIER_BUDGET);
			TA_CHECK(done < VERIFIER_BUDGET * 8 / 10, "%s%s: %lu insns processed",
				 bpf_program__name(prog), enforce ? " --enforce" : "", done);
		}
		tlsaudit__destroy(skel);
	}
	ta_case_end();
}

int main(void)
{
	int err;

	if (geteuid() != 0) {
		ta_skip("core tests", "needs root to load BPF programs");
		return 0;
	}
	err = isolate();
	if (err) {
		printf("FAIL: core: cannot make a network and mount namespace of its own: %s\n",
		       strerror(-err));
		return 1;
	}
	prctl(PR_SET_NAME, TEST_COMM);
	ports[443 >> 3] |= 1u << (443 & 7);
	verifier_headroom();
	pins();
	evictions();
	eviction_race(0);
	eviction_race(1);
	preexisting();
	ring_full();
	capture_flood();
	syn_flood();
	attach();
	TA_TEST_EXIT();
}
