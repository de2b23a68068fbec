// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prom.c - the node_exporter textfile exporter: a bounded model of flow and
 * loss counters, its rendering in the Prometheus text format 0.0.4, and the
 * atomic replacement of the .prom file.
 *
 * Label values that come from processes (comm, container id) are cleaned once,
 * when they enter the model: invalid UTF-8 and control characters other than
 * newline become U+FFFD. Owners are then keyed by the cleaned text, so two raw
 * names that print the same are one series; otherwise a process could make
 * node_exporter refuse the whole file with a duplicate series. Rendering only
 * has to escape backslash, double quote and newline, which is injective.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "output/prom.h"
#include "output/lines.h"
#include "output/strbuf.h"

/* The comm="other",container="" owner: index 0, created with the model. */
#define OTHER_OWNER 0
/* Row port meaning "every port outside the top TA_PROM_MAX_PORTS". */
#define PORT_OTHER 65536u
#define OWNER_SLOTS (2 * TA_PROM_TRACKED_OWNERS)
/* Ordinary owners stop at 3/4 full; up to 7/8 is kept for the "other"
 * owner. Linear probing gets slow near full (a miss scans the whole cluster),
 * and a full table is exactly when every flow misses, so never go further. */
#define SERIES_SOFT_LIMIT (TA_PROM_SERIES_SLOTS / 4 * 3)
#define SERIES_HARD_LIMIT (TA_PROM_SERIES_SLOTS / 8 * 7)
/* A cleaned name: every input byte may become the 3-byte U+FFFD. */
#define IFNAME_CLEAN (16 * 3 + 1)
#define COMM_CLEAN (TA_COMM_LEN * 3 + 1)
#define TLS_NAME_MAX 32

struct prom_owner {
	char *comm;	 /* cleaned, NUL-terminated */
	char *container; /* cleaned, "" outside containers */
	__u64 total;	 /* flows counted in this owner's own rows */
	__u64 hash;
};

/* One count per (owner, port, verdict); owner1 == 0 marks an empty slot. */
struct prom_series {
	__u32 owner1; /* owner index + 1 */
	__u16 port;
	__u8 verdict;
	__u8 pad;
	__u64 count;
};

struct prom_iface {
	char name[IFNAME_CLEAN];
	__u64 attach_failures;
	int has_failures;
	int monitored;
};

struct prom_tls {
	char version[TLS_NAME_MAX * 3 + 1];
	char outcome[TLS_NAME_MAX * 3 + 1];
	__u64 n;
};

struct ta_prom {
	size_t max_owners;

	struct prom_owner *owners;
	size_t n_owners;
	__u32 *owner_slots; /* owner index + 1, 0 = empty */

	struct prom_series *series;
	size_t n_series;
	__u64 other_any_port[TA_V_MAX]; /* last resort: other owner, port="other" */
	__u64 overflow_flows;

	__u64 pkts[TA_V_MAX];
	__u64 bytes[TA_V_MAX];
	__u64 stats[TA_STAT_MAX];

	struct prom_iface ifaces[TA_PROM_MAX_IFACES];
	size_t n_ifaces;

	struct prom_tls tls[TA_PROM_MAX_TLS];
	size_t n_tls;
	__u64 other_tls;
	int has_tls, has_other_tls;

	__u64 preexisting, evictions, write_errors;
	int has_preexisting, has_evictions;
	char version[64 * 3 + 1];
	__s64 last_write;
};

/* ---- cleaning and escaping ---- */

/* Copy the first n bytes of in to out (room for 3 * n + 1), replacing invalid
 * UTF-8, C0 controls except newline, DEL and C1 controls with U+FFFD. The C1
 * range is valid UTF-8 but U+009B is a terminal CSI, and people read these
 * files with cat. */
static void prom_clean(const void *in, size_t n, char *out)
{
	const unsigned char *s = in;
	size_t i = 0, o = 0;
	int l;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			if ((c < 0x20 && c != '\n') || c == 0x7f) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			} else {
				out[o++] = c;
			}
			i++;
			continue;
		}
		l = utf8_seq_len(s + i, n - i);
		if (l == 0 || (l == 2 && c == 0xc2 && s[i + 1] < 0xa0)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += l ? l : 1; /* one U+FFFD per C1 character */
			continue;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
}

/* strnlen that takes NULL for "" */
static size_t name_len(const char *s, size_t max)
{
	return s ? strnlen(s, max) : 0;
}

/* A cleaned string as a label value, quotes included. */
static void put_label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- the model ---- */

static __u64 fnv1a(__u64 h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static __u64 owner_hash(const char *comm, const char *container)
{
	__u64 h = fnv1a(0xcbf29ce484222325ull, comm);

	h ^= 0xff; /* a byte no cleaned string contains: "ab"+"c" != "a"+"bc" */
	h *= 0x100000001b3ull;
	return fnv1a(h, container);
}

/* Index of the owner, added if there is room; OTHER_OWNER otherwise. */
static size_t owner_get(struct ta_prom *p, const char *comm, const char *container)
{
	__u64 h = owner_hash(comm, container);
	size_t slot = h & (OWNER_SLOTS - 1);
	struct prom_owner *o;

	for (;; slot = (slot + 1) & (OWNER_SLOTS - 1)) {
		__u32 idx1 = p->owner_slots[slot];

		if (!idx1)
			break;
		o = &p->owners[idx1 - 1];
		if (o->hash == h && !strcmp(o->comm, comm) && !strcmp(o->container, container))
			return idx1 - 1;
	}
	if (p->n_owners >= TA_PROM_TRACKED_OWNERS)
		return OTHER_OWNER;
	o = &p->owners[p->n_owners];
	o->comm = strdup(comm);
	o->container = strdup(container);
	if (!o->comm || !o->container) {
		free(o->comm);
		free(o->container);
		o->comm = o->container = NULL;
		return OTHER_OWNER;
	}
	o->total = 0;
	o->hash = h;
	p->owner_slots[slot] = ++p->n_owners;
	return p->n_owners - 1;
}

static size_t series_hash(size_t owner, __u16 port, unsigned int verdict)
{
	__u64 k = ((__u64)owner << 24) | ((__u64)port << 8) | verdict;

	/* Fibonacci hashing: the multiply spreads the packed fields into the
	 * high half, which linear probing then needs well mixed. */
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & (TA_PROM_SERIES_SLOTS - 1);
}

/* The row's count, created if the table allows; NULL when it is full. */
static __u64 *series_get(struct ta_prom *p, size_t owner, __u16 port, unsigned int verdict)
{
	size_t slot = series_hash(owner, port, verdict);
	size_t limit = owner == OTHER_OWNER ? SERIES_HARD_LIMIT : SERIES_SOFT_LIMIT;
	struct prom_series *s;

	for (;; slot = (slot + 1) & (TA_PROM_SERIES_SLOTS - 1)) {
		s = &p->series[slot];
		if (!s->owner1)
			break;
		if (s->owner1 == owner + 1 && s->port == port && s->verdict == verdict)
			return &s->count;
	}
	if (p->n_series >= limit)
		return NULL;
	s->owner1 = owner + 1;
	s->port = port;
	s->verdict = verdict;
	s->count = 0;
	p->n_series++;
	return &s->count;
}

struct ta_prom *ta_prom_new(size_t max_owners)
{
	struct ta_prom *p;

	if (max_owners > TA_PROM_MAX_SERIES_OWNERS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->max_owners = max_owners;
	p->owners = calloc(TA_PROM_TRACKED_OWNERS, sizeof(*p->owners));
	p->owner_slots = calloc(OWNER_SLOTS, sizeof(*p->owner_slots));
	p->series = calloc(TA_PROM_SERIES_SLOTS, sizeof(*p->series));
	if (!p->owners || !p->owner_slots || !p->series)
		goto fail;
	/* Owner 0 is comm="other",container="": a process really called
	 * "other" outside containers shares it, so the label set stays unique. */
	if (owner_get(p, "other", "") != OTHER_OWNER || p->n_owners != 1)
		goto fail;
	snprintf(p->version, sizeof(p->version), "unknown");
	return p;
fail:
	ta_prom_free(p);
	errno = ENOMEM;
	return NULL;
}

void ta_prom_free(struct ta_prom *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->owners && i < p->n_owners; i++) {
		free(p->owners[i].comm);
		free(p->owners[i].container);
	}
	free(p->owners);
	free(p->owner_slots);
	free(p->series);
	free(p);
}

void ta_prom_add_flow(struct ta_prom *p, const char comm[TA_COMM_LEN], const char *container,
		      __u16 port, unsigned int verdict, __u64 n)
{
	char c_comm[COMM_CLEAN], c_cont[TA_PROM_CONTAINER_MAX * 3 + 1];
	size_t owner;
	int redirected;
	__u64 *cnt;

	if (!n)
		return;
	if (verdict >= TA_V_MAX)
		verdict = TA_V_UNKNOWN; /* what ta_verdict_name() would print */
	prom_clean(comm ? comm : "", comm ? ta_field_len(comm, TA_COMM_LEN) : 0, c_comm);
	if (!container)
		container = "";
	prom_clean(container, strnlen(container, TA_PROM_CONTAINER_MAX), c_cont);

	owner = owner_get(p, c_comm, c_cont);
	/* a real process called "other" outside containers is owner 0 too */
	redirected = owner == OTHER_OWNER && (strcmp(c_comm, "other") || c_cont[0]);
	cnt = series_get(p, owner, port, verdict);
	if (!cnt && owner != OTHER_OWNER) {
		owner = OTHER_OWNER;
		redirected = 1;
		cnt = series_get(p, owner, port, verdict);
	}
	if (!cnt) {
		p->other_any_port[verdict] += n;
		p->overflow_flows += n;
		return;
	}
	if (redirected)
		p->overflow_flows += n;
	*cnt += n;
	p->owners[owner].total += n;
}

void ta_prom_set_packets(struct ta_prom *p, const __u64 pkts[TA_V_MAX])
{
	memcpy(p->pkts, pkts, sizeof(p->pkts));
}

void ta_prom_set_bytes(struct ta_prom *p, const __u64 bytes[TA_V_MAX])
{
	memcpy(p->bytes, bytes, sizeof(p->bytes));
}

void ta_prom_set_stats(struct ta_prom *p, const __u64 stats[TA_STAT_MAX])
{
	memcpy(p->stats, stats, sizeof(p->stats));
}

/* The interface's entry; created unless create is 0 or the table is full. */
static struct prom_iface *iface_get(struct ta_prom *p, const char *ifname, int create)
{
	char name[IFNAME_CLEAN];
	size_t i;

	prom_clean(ifname ? ifname : "", name_len(ifname, 16), name);
	for (i = 0; i < p->n_ifaces; i++)
		if (!strcmp(p->ifaces[i].name, name))
			return &p->ifaces[i];
	if (!create || p->n_ifaces >= TA_PROM_MAX_IFACES)
		return NULL;
	memset(&p->ifaces[p->n_ifaces], 0, sizeof(p->ifaces[0]));
	memcpy(p->ifaces[p->n_ifaces].name, name, sizeof(name));
	return &p->ifaces[p->n_ifaces++];
}

/* An interface no longer watched and with nothing to report frees its slot,
 * so interfaces that come and go (container veths) do not fill the table. */
static void iface_put(struct ta_prom *p, struct prom_iface *ifc)
{
	if (ifc->monitored || ifc->attach_failures)
		return;
	*ifc = p->ifaces[--p->n_ifaces];
}

int ta_prom_set_attach_failures(struct ta_prom *p, const char *ifname, __u64 n)
{
	struct prom_iface *ifc = iface_get(p, ifname, 1);

	if (!ifc)
		return -ENOSPC;
	ifc->attach_failures = n;
	ifc->has_failures = 1;
	return 0;
}

int ta_prom_set_monitored(struct ta_prom *p, const char *ifname, int monitored)
{
	struct prom_iface *ifc = iface_get(p, ifname, monitored);

	if (!ifc)
		return monitored ? -ENOSPC : 0;
	ifc->monitored = !!monitored;
	if (!monitored)
		iface_put(p, ifc);
	return 0;
}

void ta_prom_set_preexisting(struct ta_prom *p, __u64 n)
{
	p->preexisting = n;
	p->has_preexisting = 1;
}

void ta_prom_set_flow_evictions(struct ta_prom *p, __u64 n)
{
	p->evictions = n;
	p->has_evictions = 1;
}

int ta_prom_add_tls(struct ta_prom *p, const char *version, const char *outcome, __u64 n)
{
	char v[TLS_NAME_MAX * 3 + 1], o[TLS_NAME_MAX * 3 + 1];
	size_t i;

	p->has_tls = 1;
	prom_clean(version ? version : "", name_len(version, TLS_NAME_MAX), v);
	prom_clean(outcome ? outcome : "", name_len(outcome, TLS_NAME_MAX), o);
	/* the overflow row's own labels: one series, whichever way it came */
	if (!strcmp(v, "other") && !strcmp(o, "other")) {
		p->other_tls += n;
		p->has_other_tls = 1;
		return 0;
	}
	for (i = 0; i < p->n_tls; i++) {
		if (!strcmp(p->tls[i].version, v) && !strcmp(p->tls[i].outcome, o)) {
			p->tls[i].n += n;
			return 0;
		}
	}
	if (p->n_tls >= TA_PROM_MAX_TLS) {
		p->other_tls += n;
		p->has_other_tls = 1;
		return -ENOSPC;
	}
	memcpy(p->tls[p->n_tls].version, v, sizeof(v));
	memcpy(p->tls[p->n_tls].outcome, o, sizeof(o));
	p->tls[p->n_tls++].n = n;
	return 0;
}

void ta_prom_set_write_errors(struct ta_prom *p, __u64 n)
{
	p->write_errors = n;
}

void ta_prom_set_version(struct ta_prom *p, const char *version)
{
	if (!version)
		version = "unknown";
	prom_clean(version, strnlen(version, 64), p->version);
}

void ta_prom_set_last_write(struct ta_prom *p, __s64 unix_seconds)
{
	p->last_write = unix_seconds;
}

__u64 ta_prom_overflow_flows(const struct ta_prom *p)
{
	return p->overflow_flows;
}

/* ---- rendering ---- */

/* One output row of tlsaudit_flows_total before merging. */
struct flow_row {
	const struct prom_owner *owner; /* NULL: the comm="other" bucket */
	__u32 port;			/* PORT_OTHER: port="other" */
	__u32 verdict;
	__u64 count;
};

/* Owners by flows, most first; ties by name so the choice never depends on
 * hash order. */
static int cmp_owner_rank(const void *a, const void *b)
{
	const struct prom_owner *x = *(const struct prom_owner *const *)a;
	const struct prom_owner *y = *(const struct prom_owner *const *)b;
	int c;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	c = strcmp(x->comm, y->comm);
	return c ? c : strcmp(x->container, y->container);
}

struct port_total {
	__u32 port;
	__u64 total;
};

static int cmp_port_rank(const void *a, const void *b)
{
	const struct port_total *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* Output order: comm, container (the "other" bucket last), port (numeric,
 * "other" last), verdict (enum order). */
static int cmp_row(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;
	int c;

	if (x->owner != y->owner) {
		if (!x->owner || !y->owner)
			return x->owner ? -1 : 1;
		c = strcmp(x->owner->comm, y->owner->comm);
		if (!c)
			c = strcmp(x->owner->container, y->owner->container);
		if (c)
			return c;
	}
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->verdict < y->verdict ? -1 : x->verdict > y->verdict;
}

static void put_flow_row(FILE *f, const struct flow_row *r)
{
	fprintf(f, "tlsaudit_flows_total{verdict=\"%s\",comm=", ta_verdict_name(r->verdict));
	put_label_value(f, r->owner ? r->owner->comm : "other");
	fputs(",container=", f);
	put_label_value(f, r->owner ? r->owner->container : "");
	if (r->port == PORT_OTHER)
		fprintf(f, ",port=\"other\"} %llu\n", (unsigned long long)r->count);
	else
		fprintf(f, ",port=\"%u\"} %llu\n", r->port, (unsigned long long)r->count);
}

/*
 * Rank owners and ports, fold everything outside the top ones into "other",
 * sort, merge equal rows and print. Costs O(rows log rows) with rows at most
 * TA_PROM_SERIES_SLOTS, once per --interval.
 */
static int render_flows(const struct ta_prom *p, FILE *f)
{
	struct flow_row *rows = NULL;
	const struct prom_owner **rank = NULL;
	struct port_total *ports = NULL;
	__u64 *port_sum = NULL;
	__u8 *keep_owner = NULL, *keep_port = NULL;
	size_t n_rows = 0, n_rank = 0, n_ports = 0, i, j;
	int err = -ENOMEM;

	rows = malloc((p->n_series + TA_V_MAX) * sizeof(*rows));
	rank = malloc(p->n_owners * sizeof(*rank));
	keep_owner = calloc(p->n_owners, 1);
	port_sum = calloc(65536, sizeof(*port_sum));
	ports = malloc(65536 * sizeof(*ports));
	keep_port = calloc(65536, 1);
	if (!rows || !rank || !keep_owner || !port_sum || !ports || !keep_port)
		goto out;

	for (i = 1; i < p->n_owners; i++)
		if (p->owners[i].total)
			rank[n_rank++] = &p->owners[i];
	qsort(rank, n_rank, sizeof(*rank), cmp_owner_rank);
	for (i = 0; i < n_rank && i < p->max_owners; i++)
		keep_owner[rank[i] - p->owners] = 1;

	for (i = 0; i < TA_PROM_SERIES_SLOTS; i++) {
		const struct prom_series *s = &p->series[i];

		if (!s->owner1 || !s->count)
			continue;
		port_sum[s->port] += s->count;
		rows[n_rows].owner = keep_owner[s->owner1 - 1] ? &p->owners[s->owner1 - 1] : NULL;
		rows[n_rows].port = s->port;
		rows[n_rows].verdict = s->verdict;
		rows[n_rows++].count = s->count;
	}
	for (i = 0; i < 65536; i++) {
		if (port_sum[i]) {
			ports[n_ports].port = i;
			ports[n_ports++].total = port_sum[i];
		}
	}
	qsort(ports, n_ports, sizeof(*ports), cmp_port_rank);
	for (i = 0; i < n_ports && i < TA_PROM_MAX_PORTS; i++)
		keep_port[ports[i].port] = 1;
	for (i = 0; i < n_rows; i++)
		if (!keep_port[rows[i].port])
			rows[i].port = PORT_OTHER;
	for (i = 0; i < TA_V_MAX; i++) {
		if (!p->other_any_port[i])
			continue;
		rows[n_rows].owner = NULL;
		rows[n_rows].port = PORT_OTHER;
		rows[n_rows].verdict = i;
		rows[n_rows++].count = p->other_any_port[i];
	}

	qsort(rows, n_rows, sizeof(*rows), cmp_row);
	if (n_rows)
		put_family(f, "tlsaudit_flows_total", "counter",
			   "Flows classified, by verdict, owning process name, container and "
			   "server port. Owners outside the top --max-series-owners and ports "
			   "outside the busiest 32 are summed into \"other\".");
	for (i = 0; i < n_rows; i = j) {
		struct flow_row r = rows[i];

		for (j = i + 1; j < n_rows && !cmp_row(&rows[j], &r); j++)
			r.count += rows[j].count;
		put_flow_row(f, &r);
	}
	err = 0;
out:
	free(rows);
	free(rank);
	free(keep_owner);
	free(port_sum);
	free(ports);
	free(keep_port);
	return err;
}

static int cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct prom_iface *)a)->name, ((const struct prom_iface *)b)->name);
}

static int cmp_tls(const void *a, const void *b)
{
	const struct prom_tls *x = a, *y = b;
	int c = strcmp(x->version, y->version);

	return c ? c : strcmp(x->outcome, y->outcome);
}

static void render_ifaces(const struct ta_prom *p, FILE *f)
{
	struct prom_iface ifs[TA_PROM_MAX_IFACES];
	size_t i, n = p->n_ifaces, shown = 0;

	memcpy(ifs, p->ifaces, n * sizeof(ifs[0]));
	qsort(ifs, n, sizeof(ifs[0]), cmp_iface);

	for (i = 0; i < n; i++) {
		if (!ifs[i].monitored)
			continue;
		if (!shown++)
			put_family(f, "tlsaudit_monitored_interface", "gauge",
				   "1 for each interface tlsaudit watches.");
		fputs("tlsaudit_monitored_interface{interface=", f);
		put_label_value(f, ifs[i].name);
		fputs("} 1\n", f);
	}

	shown = 0;
	for (i = 0; i < n; i++) {
		if (!ifs[i].has_failures)
			continue;
		if (!shown++)
			put_family(f, "tlsaudit_attach_failures_total", "counter",
				   "Failed attempts to attach the TC programs to an interface.");
		fputs("tlsaudit_attach_failures_total{interface=", f);
		put_label_value(f, ifs[i].name);
		fprintf(f, "} %llu\n", (unsigned long long)ifs[i].attach_failures);
	}
}

static void render_tls(const struct ta_prom *p, FILE *f)
{
	struct prom_tls tls[TA_PROM_MAX_TLS];
	size_t i, n = p->n_tls;

	if (!p->has_tls)
		return;
	memcpy(tls, p->tls, n * sizeof(tls[0]));
	qsort(tls, n, sizeof(tls[0]), cmp_tls);
	put_family(f, "tlsaudit_tls_flows_total", "counter",
		   "TLS flows by negotiated protocol version and handshake outcome.");
	for (i = 0; i < n; i++) {
		fputs("tlsaudit_tls_flows_total{version=", f);
		put_label_value(f, tls[i].version);
		fputs(",outcome=", f);
		put_label_value(f, tls[i].outcome);
		fprintf(f, "} %llu\n", (unsigned long long)tls[i].n);
	}
	if (p->has_other_tls)
		fprintf(f, "tlsaudit_tls_flows_total{version=\"other\",outcome=\"other\"} %llu\n",
			(unsigned long long)p->other_tls);
}

static void render_by_verdict(FILE *f, const char *name, const char *help, const __u64 *v)
{
	unsigned int i;

	put_family(f, name, "counter", help);
	for (i = 0; i < TA_V_MAX; i++)
		fprintf(f, "%s{verdict=\"%s\"} %llu\n", name, ta_verdict_name(i),
			(unsigned long long)v[i]);
}

static void render_scalar(FILE *f, const char *name, const char *type, const char *help,
			  unsigned long long v)
{
	put_family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, v);
}

/* Prometheus names and help of the kernel's enum ta_stat counters. */
#define TA_STAT_FAMILY(id, name, family, help) [TA_STAT_##id] = { family, help },
static const struct {
	const char *name, *help;
} stat_family[TA_STAT_MAX] = { TA_STATS(TA_STAT_FAMILY) };
#undef TA_STAT_FAMILY

int ta_prom_render(const struct ta_prom *p, FILE *f)
{
	unsigned int i;
	int err;

	put_family(f, "tlsaudit_build_info", "gauge",
		   "Always 1; the version label says which tlsaudit.");
	fputs("tlsaudit_build_info{version=", f);
	put_label_value(f, p->version);
	fputs("} 1\n", f);

	render_ifaces(p, f);
	err = render_flows(p, f);
	if (err)
		return err;
	render_by_verdict(f, "tlsaudit_packets_total",
			  "Packets of watched flows, by the flow's verdict "
			  "(pending: not decided yet).",
			  p->pkts);
	render_by_verdict(f, "tlsaudit_bytes_total",
			  "Layer 4 payload bytes of watched flows, by the flow's verdict.",
			  p->bytes);
	for (i = 0; i < TA_STAT_MAX; i++)
		if (stat_family[i].name)
			render_scalar(f, stat_family[i].name, "counter", stat_family[i].help,
				      p->stats[i]);
	render_tls(p, f);
	if (p->has_evictions)
		render_scalar(f, "tlsaudit_flow_evictions_total", "counter",
			      "Undecided flows pushed out of the full kernel flow table.",
			      p->evictions);
	if (p->has_preexisting)
		render_scalar(f, "tlsaudit_preexisting_flows_total", "counter",
			      "Flows already open when tlsaudit started (reported as midstream).",
			      p->preexisting);
	render_scalar(f, "tlsaudit_series_overflow_flows_total", "counter",
		      "Flows counted under comm=\"other\" because the exporter's tables were full.",
		      p->overflow_flows);
	render_scalar(f, "tlsaudit_textfile_write_errors_total", "counter",
		      "Failed writes of this textfile.", p->write_errors);
	put_family(f, "tlsaudit_last_write_timestamp_seconds", "gauge",
		   "Unix time at which tlsaudit wrote this textfile.");
	fprintf(f, "tlsaudit_last_write_timestamp_seconds %lld\n", (long long)p->last_write);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

/* ---- the file ---- */

/* Split path into a directory (".") and a final name; -EINVAL if no name. */
static int split_path(const char *path, char *dir, size_t dir_n, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t dl;

	if (!slash) {
		snprintf(dir, dir_n, ".");
		*base = path;
	} else {
		dl = slash == path ? 1 : (size_t)(slash - path);
		if (dl >= dir_n)
			return -ENAMETOOLONG;
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		*base = slash + 1;
	}
	if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
		return -EISDIR;
	return 0;
}

/* Open a fresh temp file ".BASE.XXXXXX" in dfd. Not mkstemp(): that takes a
 * path, and the whole point is to stay relative to the directory we opened. */
static int open_temp(int dfd, const char *base, char *name, size_t n)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	struct timespec ts;
	unsigned long long x;
	int tries, fd, i;
	char suf[7];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = ((unsigned long long)ts.tv_nsec << 20) ^ ts.tv_sec ^
	    ((unsigned long long)getpid() << 40);
	for (tries = 0; tries < 100; tries++) {
		for (i = 0; i < 6; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			suf[i] = abc[(x >> 33) % (sizeof(abc) - 1)];
		}
		suf[6] = '\0';
		if ((size_t)snprintf(name, n, ".%s.%s", base, suf) >= n)
			return -ENAMETOOLONG;
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int ta_prom_write_atomic(const char *path, const char *data, size_t len)
{
	char dir[4096], tmp[512];
	const char *base;
	struct stat st;
	int dfd, fd, err;

	err = split_path(path, dir, sizeof(dir), &base);
	if (err)
		return err;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Refuse, rather than replace, a symlink someone planted at path:
	 * rename() itself never follows it, but an operator who pointed the
	 * textfile at a link meant something we would silently break. */
	if (!fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW)) {
		if (S_ISLNK(st.st_mode))
			err = -ELOOP;
		else if (S_ISDIR(st.st_mode))
			err = -EISDIR;
		else if (!S_ISREG(st.st_mode))
			err = -EINVAL;
	} else if (errno != ENOENT) {
		err = -errno;
	}
	if (err)
		goto out_dir;

	fd = open_temp(dfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		err = fd;
		goto out_dir;
	}
	err = ta_write_all(fd, data, len);
	/* explicit mode: the umask must not decide whether node_exporter,
	 * often another user, can read the file */
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, base))
		err = -errno;
	if (err) {
		unlinkat(dfd, tmp, 0);
		goto out_dir;
	}
	/* Make the rename itself durable. Some filesystems cannot sync a
	 * directory and say EINVAL; the data is written, so that is not an
	 * error worth a failed interval. */
	if (fsync(dfd) && errno != EINVAL)
		err = -errno;
out_dir:
	close(dfd);
	return err;
}

int ta_prom_check_dir(const char *path, char *err, size_t n)
{
	char dir[4096];
	const char *base;
	struct stat st;
	size_t bl;
	int rc;

	rc = split_path(path, dir, sizeof(dir), &base);
	if (rc) {
		snprintf(err, n, "--textfile %s: want a file path such as DIR/tlsaudit.prom", path);
		return rc;
	}
	bl = strlen(base);
	if (bl < 5 || strcmp(base + bl - 5, ".prom")) {
		snprintf(err, n,
			 "--textfile %s: the name must end in .prom "
			 "(node_exporter reads only *.prom)",
			 path);
		return -EINVAL;
	}
	if (stat(dir, &st)) {
		rc = -errno;
		snprintf(err, n, "--textfile directory %s: %s", dir, strerror(errno));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, n, "--textfile directory %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK)) {
		rc = -errno;
		snprintf(err, n, "--textfile directory %s: not writable: %s", dir, strerror(errno));
		return rc;
	}
	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode)) {
			snprintf(err, n, "--textfile %s: is a symlink; refusing to replace it",
				 path);
			return -ELOOP;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, n, "--textfile %s: exists and is not a regular file", path);
			return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		}
	}
	if (n)
		err[0] = '\0';
	return 0;
}

int ta_prom_write_textfile(struct ta_prom *p, const char *path, __s64 now)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	p->last_write = now;
	f = open_memstream(&buf, &len);
	if (!f) {
		err = -ENOMEM;
		goto fail;
	}
	err = ta_prom_render(p, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err)
		err = ta_prom_write_atomic(path, buf, len);
	free(buf);
	if (!err)
		return 0;
fail:
	p->write_errors++;
	return err;
}
