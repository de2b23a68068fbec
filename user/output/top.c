// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * top.c - the `--top` live view: taking over and giving back the terminal,
 * reading command keys, and drawing a ta_summary as one screen of text.
 *
 * A frame is built in memory and written at once: cursor home, then each line
 * erased just before it is drawn, so a redraw does not flicker. All text is
 * our own ASCII or data passed through sb_term_str(), which is printable
 * ASCII too, so a line's visible width is its byte count minus the escape
 * sequences we add ourselves; every line is clipped at the terminal width.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "output/lines.h"
#include "output/sink.h"
#include "output/top.h"

/* ---- the terminal ---- */

/* Alternate screen (the shell's screen comes back untouched), cursor hidden,
 * auto-wrap off (a line that is somehow too long is cut, not wrapped). */
#define SEQ_ENTER "\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H\x1b[2J"
/* Attributes reset first so no colour leaks onto the shell's screen. */
#define SEQ_LEAVE "\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l"

/* where ta_top_key() is within an escape sequence; see there */
enum {
	K_TEXT,
	K_ESC,
	K_SEQ
};

int ta_top_init(struct ta_tty *t, int fd)
{
	struct termios tio;
	int err;

	if (t->active)
		return -EBUSY;
	if (tcgetattr(fd, &t->saved))
		return errno == EINVAL ? -ENOTTY : -errno;
	tio = t->saved;
	/* One key at a time and unechoed; VMIN/VTIME 0 so a read never waits.
	 * ISIG stays on: Ctrl-C must still reach the loader's SIGINT handler. */
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio))
		return -errno;
	t->fd = fd;
	t->key_state = K_TEXT;
	t->active = 1;
	err = ta_write_all(fd, SEQ_ENTER, sizeof(SEQ_ENTER) - 1);
	if (err) {
		ta_top_restore(t);
		return err;
	}
	return 0;
}

void ta_top_restore(struct ta_tty *t)
{
	int saved_errno = errno;

	if (t->active) {
		t->active = 0;
		ta_write_all(t->fd, SEQ_LEAVE, sizeof(SEQ_LEAVE) - 1);
		tcsetattr(t->fd, TCSANOW, &t->saved);
	}
	errno = saved_errno;
}

void ta_top_size(int fd, int *rows, int *cols)
{
	struct winsize ws;

	/* a pty nobody has sized yet reports 0x0 */
	if (!ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = 24;
		*cols = 80;
	}
}

/*
 * Arrow and function keys arrive as ESC [ ... or ESC O x; F1 is ESC O P, so
 * without skipping them they would read as command keys. The state lives
 * across calls because a sequence may be split between reads.
 */
int ta_top_key(struct ta_tty *t, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char c;
	int budget = 256; /* a huge paste must not stall the refresh loop */
	ssize_t n;

	while (budget--) {
		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		if (!(pfd.revents & POLLIN))
			return pfd.revents & (POLLHUP | POLLERR | POLLNVAL) ? 'q' : 0;
		n = read(fd, &c, 1);
		if (n == 0)
			return 'q'; /* readable yet empty: end of input */
		if (n < 0)
			return 0;
		switch (t->key_state) {
		case K_ESC:
			if (c == '[' || c == 'O') {
				t->key_state = K_SEQ;
				continue;
			}
			t->key_state = K_TEXT; /* Alt+key: take the key itself */
			break;
		case K_SEQ:
			/* parameters and intermediates are 0x20-0x3f; the final byte ends it */
			if (c < 0x20 || c > 0x3f)
				t->key_state = K_TEXT;
			continue;
		}
		switch (c) {
		case 0x1b:
			t->key_state = K_ESC;
			break;
		case 'q':
		case 'Q':
			return 'q';
		case 'c':
		case 'C':
			return 'c';
		case 'p':
		case 'P':
			return 'p';
		}
	}
	return 0;
}

int ta_top_write(int fd, const struct strbuf *out)
{
	return ta_write_all(fd, out->buf, out->len);
}

/* ---- the table ---- */

/* Columns in screen order. Which are shown depends on the mode and width. */
enum col {
	C_PID,
	C_COMM,
	C_CONT,
	C_PROCS,
	C_TLS,
	C_HTTP,
	C_PLAIN,
	C_SSH,
	C_QUIC,
	C_SSL2,
	C_UNK,
	C_FLOWS,
	C_STATUS,
	C_PEER,
	C_N,
};

static const struct {
	const char *name;
	int right;  /* numbers align right */
	int cap;    /* widest it is ever drawn; 0 no cap */
	int marker; /* a cut value ends in '~' so it is not taken for the whole */
} col_def[C_N] = {
	[C_PID] = { "PID", 1, 0, 0 },
	[C_COMM] = { "COMM", 0, 16, 1 },
	/* container ids cut to 12 like `docker ps`, which users already know */
	[C_CONT] = { "CONTAINER", 0, 12, 0 },
	[C_PROCS] = { "PROCS", 1, 0, 0 },
	[C_TLS] = { "TLS", 1, 0, 0 },
	[C_HTTP] = { "HTTP", 1, 0, 0 },
	[C_PLAIN] = { "PLAIN", 1, 0, 0 },
	[C_SSH] = { "SSH", 1, 0, 0 },
	[C_QUIC] = { "QUIC", 1, 0, 0 },
	[C_SSL2] = { "SSL2", 1, 0, 0 },
	[C_UNK] = { "UNK", 1, 0, 0 },
	[C_FLOWS] = { "FLOWS", 1, 0, 0 },
	[C_STATUS] = { "STATUS", 0, 0, 0 },
	/* "[" + longest IPv6 text + "]:65535" */
	[C_PEER] = { "LAST PEER:PORT", 0, 53, 1 },
};

/* the per-verdict columns, in order, for the narrow layout that merges them */
#define C_FIRST_VERDICT C_TLS
#define C_LAST_VERDICT C_UNK

enum row_kind {
	R_PROC,	   /* one process */
	R_GROUP,   /* every process of one container */
	R_NOOWNER, /* flows no local socket was found for */
};

struct row {
	enum row_kind kind;
	__u32 pid;
	unsigned int nprocs;
	const char *comm, *cont, *peer; /* raw bytes from the summary */
	size_t comm_len, cont_len, peer_len;
	__u16 port;
	__u64 last_ns;
	__u64 flows[TA_V_MAX];
	__u64 total;
	const char *status;
	int rank;
};

struct view {
	int by_container;
	int on[C_N];
	int w[C_N];
};

/* Findings first: plaintext, then mixed, then what we could not tell, then
 * the processes that are fine. */
static int status_rank(const char *st)
{
	if (!strcmp(st, "plaintext"))
		return 0;
	if (!strcmp(st, "mixed"))
		return 1;
	if (!strcmp(st, "unknown"))
		return 2;
	return 3;
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int d = memcmp(a, b, alen < blen ? alen : blen);

	if (d)
		return d;
	return alen < blen ? -1 : alen > blen;
}

static int cmp_container(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	return cmp_bytes(a->cont, a->cont_len, b->cont, b->cont_len);
}

static int cmp_display(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (cmp_container(a, b))
		return cmp_container(a, b);
	return cmp_bytes(a->comm, a->comm_len, b->comm, b->comm_len);
}

/* Processes of one container become one row; rows must be sorted by
 * container. The latest flow of any member is the group's last peer. */
static size_t group_rows(struct row *r, size_t n)
{
	size_t i, m = 0;
	int v;

	for (i = 0; i < n; i++) {
		struct row *g = m ? &r[m - 1] : NULL;

		if (!g || cmp_container(g, &r[i])) {
			r[m] = r[i];
			r[m].pid = 0;
			m++;
			continue;
		}
		for (v = 0; v < TA_V_MAX; v++)
			g->flows[v] += r[i].flows[v];
		g->nprocs++;
		if (r[i].last_ns > g->last_ns) {
			g->last_ns = r[i].last_ns;
			g->peer = r[i].peer;
			g->peer_len = r[i].peer_len;
			g->port = r[i].port;
		}
	}
	return m;
}

/* r has room for s->n + 1 rows. Returns how many were filled, sorted. */
static size_t build_rows(const struct ta_summary *s, int by_container, struct row *r)
{
	size_t i, n = 0;
	__u64 unattr = 0;
	int v;

	for (i = 0; i < s->n; i++) {
		const struct ta_proc *p = &s->procs[i];
		struct row *x = &r[n++];

		memset(x, 0, sizeof(*x));
		x->kind = by_container ? R_GROUP : R_PROC;
		x->pid = p->pid;
		x->nprocs = 1;
		x->comm = p->comm;
		x->comm_len = ta_field_len(p->comm, sizeof(p->comm));
		x->cont = p->container;
		x->cont_len = ta_field_len(p->container, sizeof(p->container));
		x->peer = p->last_peer;
		x->peer_len = ta_field_len(p->last_peer, sizeof(p->last_peer));
		x->port = p->last_port;
		x->last_ns = p->last_ns;
		memcpy(x->flows, p->flows, sizeof(x->flows));
	}
	if (by_container) {
		qsort(r, n, sizeof(*r), cmp_container);
		n = group_rows(r, n);
	}
	for (v = 0; v < TA_V_MAX; v++)
		unattr += s->unattributed[v];
	/* flows without an owner are still findings: a row of their own */
	if (unattr) {
		struct row *x = &r[n++];

		memset(x, 0, sizeof(*x));
		x->kind = R_NOOWNER;
		x->comm = x->cont = x->peer = "";
		memcpy(x->flows, s->unattributed, sizeof(x->flows));
	}
	for (i = 0; i < n; i++) {
		r[i].total = 0;
		for (v = 0; v < TA_V_MAX; v++)
			r[i].total += r[i].flows[v];
		r[i].status = ta_status(r[i].flows);
		r[i].rank = status_rank(r[i].status);
	}
	qsort(r, n, sizeof(*r), cmp_display);
	return n;
}

static const int col_verdict[C_N] = {
	[C_TLS] = TA_V_TLS, [C_HTTP] = TA_V_PLAINTEXT_HTTP, [C_PLAIN] = TA_V_PLAINTEXT,
	[C_SSH] = TA_V_SSH, [C_QUIC] = TA_V_QUIC,	    [C_SSL2] = TA_V_SSLV2,
};

/* The text of one cell, escaped; returns its length (= its visible width). */
static size_t cell(const struct view *v, const struct row *r, enum col c, char *buf, size_t cap)
{
	struct strbuf sb;
	__u64 n;

	sb_init(&sb, buf, cap);
	switch (c) {
	case C_PID:
		if (r->kind == R_PROC)
			sb_printf(&sb, "%u", r->pid);
		else
			sb_putc(&sb, '-');
		break;
	case C_COMM:
		if (r->kind == R_NOOWNER)
			sb_puts(&sb, "(no owner)");
		else
			sb_term_str(&sb, r->comm, r->comm_len);
		break;
	case C_CONT:
		if (r->kind == R_NOOWNER)
			sb_puts(&sb, v->by_container ? "(no owner)" : "-");
		else if (!r->cont_len)
			sb_puts(&sb, v->by_container ? "(host)" : "-");
		else
			sb_term_str(&sb, r->cont, r->cont_len);
		break;
	case C_PROCS:
		if (r->kind == R_NOOWNER)
			sb_putc(&sb, '-');
		else
			sb_printf(&sb, "%u", r->nprocs);
		break;
	case C_UNK:
		/* midstream and never-decided flows are undecided too; sslv2
		 * joins them when it has no column of its own */
		n = r->flows[TA_V_UNKNOWN] + r->flows[TA_V_MIDSTREAM] + r->flows[TA_V_PENDING];
		if (!v->on[C_SSL2])
			n += r->flows[TA_V_SSLV2];
		sb_printf(&sb, "%llu", (unsigned long long)n);
		break;
	case C_FLOWS:
		sb_printf(&sb, "%llu", (unsigned long long)r->total);
		break;
	case C_STATUS:
		sb_puts(&sb, r->status);
		break;
	case C_PEER:
		if (!r->peer_len && !r->port) {
			sb_putc(&sb, '-');
			break;
		}
		/* an IPv6 address needs brackets before ":port" */
		if (memchr(r->peer, ':', r->peer_len)) {
			sb_putc(&sb, '[');
			sb_term_str(&sb, r->peer, r->peer_len);
			sb_putc(&sb, ']');
		} else if (r->peer_len) {
			sb_term_str(&sb, r->peer, r->peer_len);
		} else {
			sb_putc(&sb, '?');
		}
		sb_printf(&sb, ":%u", r->port);
		break;
	default:
		sb_printf(&sb, "%llu", (unsigned long long)r->flows[col_verdict[c]]);
		break;
	}
	return sb.len;
}

static int view_width(const struct view *v)
{
	int c, w = 0, n = 0;

	for (c = 0; c < C_N; c++) {
		if (v->on[c]) {
			w += v->w[c];
			n++;
		}
	}
	return n ? w + n - 1 : 0;
}

/* Narrows the name column (COMM, or CONTAINER per container) no further than
 * min, and only as far as needed. */
static void shrink_name(struct view *v, int cols, int min)
{
	int c = v->by_container ? C_CONT : C_COMM;
	int excess = view_width(v) - cols;

	if (excess > 0 && v->w[c] > min)
		v->w[c] = v->w[c] - excess > min ? v->w[c] - excess : min;
}

/*
 * Picks the columns for a width: everything, then, while too wide, drop what
 * matters least. What must survive is what a row is about (the process or
 * container) and its STATUS; past that, lines are clipped.
 */
static void layout(struct view *v, const struct row *r, size_t n, int cols)
{
	char buf[320];
	size_t i;
	int c, len, step;

	memset(v->on, 0, sizeof(v->on));
	if (v->by_container) {
		v->on[C_CONT] = v->on[C_PROCS] = 1;
	} else {
		v->on[C_PID] = v->on[C_COMM] = v->on[C_CONT] = 1;
	}
	for (c = C_FIRST_VERDICT; c <= C_LAST_VERDICT; c++)
		v->on[c] = 1;
	v->on[C_STATUS] = v->on[C_PEER] = 1;

	/* widths from every row, not just the visible ones, so columns do not
	 * jump as rows scroll in and out; UNK measured with sslv2 merged in */
	for (c = 0; c < C_N; c++) {
		int on_ssl2 = v->on[C_SSL2];

		v->w[c] = (int)strlen(col_def[c].name);
		if (c == C_UNK)
			v->on[C_SSL2] = 0;
		for (i = 0; i < n; i++) {
			len = (int)cell(v, &r[i], (enum col)c, buf, sizeof(buf));
			if (len > v->w[c])
				v->w[c] = len;
		}
		v->on[C_SSL2] = on_ssl2;
		if (col_def[c].cap && v->w[c] > col_def[c].cap)
			v->w[c] = col_def[c].cap;
	}

	for (step = 1; view_width(v) > cols && step <= 8; step++) {
		switch (step) {
		case 1:
			v->on[C_SSL2] = 0;
			break;
		case 2:
			v->on[C_PEER] = 0;
			break;
		case 3:
			v->on[v->by_container ? C_PROCS : C_CONT] = 0;
			break;
		case 4:
			/* STATUS still says whether any of it was plaintext */
			for (c = C_FIRST_VERDICT; c <= C_LAST_VERDICT; c++)
				v->on[c] = 0;
			v->on[C_FLOWS] = 1;
			break;
		case 5:
			shrink_name(v, cols, 8);
			break;
		case 6:
			v->on[C_FLOWS] = 0;
			break;
		case 7:
			v->on[C_PID] = 0;
			break;
		case 8:
			shrink_name(v, cols, 4);
			break;
		}
	}
}

/* One screen line. col counts visible characters; escape sequences we add
 * cost none, and the text stops at max however the layout came out. */
struct line {
	char buf[TA_TOP_MAX_COLS + 128];
	size_t len;
	int col, max;
};

static void ln_init(struct line *l, int max)
{
	l->len = 0;
	l->col = 0;
	l->max = max;
	l->buf[0] = '\0';
}

static void ln_put(struct line *l, const char *s, size_t n)
{
	while (n-- && l->col < l->max && l->len + 1 < sizeof(l->buf)) {
		l->buf[l->len++] = *s++;
		l->col++;
	}
	l->buf[l->len] = '\0';
}

static void ln_pad(struct line *l, int n)
{
	while (n-- > 0)
		ln_put(l, " ", 1);
}

static void ln_esc(struct line *l, int color, const char *seq)
{
	size_t n = strlen(seq);

	if (!color || l->len + n >= sizeof(l->buf))
		return;
	memcpy(l->buf + l->len, seq, n + 1);
	l->len += n;
}

static void ln_field(struct line *l, const char *s, size_t len, int w, int c, int last)
{
	if ((int)len > w) {
		if (col_def[c].marker && w >= 2) {
			ln_put(l, s, (size_t)w - 1);
			ln_put(l, "~", 1);
		} else {
			ln_put(l, s, (size_t)w);
		}
	} else if (col_def[c].right) {
		ln_pad(l, w - (int)len);
		ln_put(l, s, len);
	} else {
		ln_put(l, s, len);
		/* no trailing blanks: the line was erased before drawing */
		if (!last)
			ln_pad(l, w - (int)len);
	}
}

static int last_col(const struct view *v)
{
	int c, last = 0;

	for (c = 0; c < C_N; c++)
		if (v->on[c])
			last = c;
	return last;
}

static const char *status_color(const char *st)
{
	switch (status_rank(st)) {
	case 0:
		return "\x1b[1;31m";
	case 1:
		return "\x1b[33m";
	case 2:
		return "\x1b[2m";
	default:
		return "\x1b[32m";
	}
}

static void ln_header(struct line *l, const struct view *v, int color)
{
	int c, first = 1, last = last_col(v);

	ln_esc(l, color, "\x1b[1m");
	for (c = 0; c < C_N; c++) {
		if (!v->on[c])
			continue;
		if (!first)
			ln_put(l, " ", 1);
		first = 0;
		ln_field(l, col_def[c].name, strlen(col_def[c].name), v->w[c], c, c == last);
	}
	ln_esc(l, color, "\x1b[0m");
}

static void ln_row(struct line *l, const struct view *v, const struct row *r, int color)
{
	char buf[320];
	int c, first = 1, last = last_col(v);
	size_t len;

	for (c = 0; c < C_N; c++) {
		if (!v->on[c])
			continue;
		if (!first)
			ln_put(l, " ", 1);
		first = 0;
		len = cell(v, r, (enum col)c, buf, sizeof(buf));
		if (c == C_STATUS)
			ln_esc(l, color, status_color(r->status));
		ln_field(l, buf, len, v->w[c], c, c == last);
		if (c == C_STATUS)
			ln_esc(l, color, "\x1b[0m");
	}
}

struct frame {
	struct strbuf *out;
	int rows, nlines;
};

/* Bytes kept free for what ends a frame: "\r\n" and erase-below. */
#define FRAME_TAIL 8

/* A line goes in whole or not at all, so a short buffer can drop lines but
 * never leaves half an escape sequence for the terminal to misread. */
static void frame_line(struct frame *f, const struct line *l)
{
	struct strbuf *out = f->out;

	if (f->nlines >= f->rows)
		return;
	if (out->len + l->len + 5 + FRAME_TAIL >= out->cap) {
		out->overflow = 1;
		return;
	}
	if (f->nlines)
		sb_puts(out, "\r\n");
	sb_puts(out, "\x1b[K");
	sb_puts(out, l->buf);
	f->nlines++;
}

static void frame_text(struct frame *f, int cols, int color, const char *seq, const char *text)
{
	struct line l;

	ln_init(&l, cols);
	ln_esc(&l, color && seq, seq ? seq : "");
	ln_put(&l, text, strlen(text));
	ln_esc(&l, color && seq, "\x1b[0m");
	frame_line(f, &l);
}

/*
 * "tlsaudit - 4 processes: 1 plaintext, 1 mixed, 2 encrypted - q quit, ..."
 * and, when that does not fit, "4 procs: 1 plain 1 mixed 2 enc": the counts
 * are what the title is for; the key hint comes only when it fits whole.
 */
static void title(char *t, size_t cap, const struct row *r, size_t n, int by_container, int cols)
{
	static const char *const hint[2] = { " - q quit, c containers", " - q quit, p processes" };
	struct strbuf sb;
	size_t i, units = 0, cnt[4] = { 0 };

	for (i = 0; i < n; i++) {
		if (r[i].kind == R_NOOWNER)
			continue;
		units++;
		cnt[r[i].rank]++;
	}
	sb_init(&sb, t, cap);
	sb_printf(&sb, "tlsaudit - %zu %s: %zu plaintext", units,
		  by_container ? (units == 1 ? "container" : "containers")
			       : (units == 1 ? "process" : "processes"),
		  cnt[0]);
	if (cnt[1])
		sb_printf(&sb, ", %zu mixed", cnt[1]);
	sb_printf(&sb, ", %zu encrypted", cnt[3]);
	if (cnt[2])
		sb_printf(&sb, ", %zu unknown", cnt[2]);
	if (sb.len + strlen(hint[!!by_container]) <= (size_t)cols) {
		sb_puts(&sb, hint[!!by_container]);
		return;
	}
	if (sb.len <= (size_t)cols)
		return;
	sb_init(&sb, t, cap);
	sb_printf(&sb, "%zu %s: %zu plain", units, by_container ? "containers" : "procs", cnt[0]);
	if (cnt[1])
		sb_printf(&sb, " %zu mixed", cnt[1]);
	sb_printf(&sb, " %zu enc", cnt[3]);
	if (cnt[2])
		sb_printf(&sb, " %zu unk", cnt[2]);
}

void ta_top_render(const struct ta_summary *s, int by_container, int rows, int cols, int color,
		   struct strbuf *out)
{
	struct frame f = { .out = out, .nlines = 0 };
	struct view v = { .by_container = !!by_container };
	struct row *r;
	struct line l;
	char text[256];
	size_t n, i, shown, more, more_findings = 0;

	if (rows < 1)
		rows = 1;
	if (cols < 1)
		cols = 1;
	if (cols > TA_TOP_MAX_COLS)
		cols = TA_TOP_MAX_COLS;
	f.rows = rows;
	if (out->len + 3 + FRAME_TAIL >= out->cap) {
		out->overflow = 1;
		return;
	}
	sb_puts(out, "\x1b[H");

	r = malloc((s->n + 1) * sizeof(*r));
	if (!r) {
		frame_text(&f, cols, color, NULL, "tlsaudit - out of memory");
		goto end;
	}
	n = build_rows(s, by_container, r);
	title(text, sizeof(text), r, n, by_container, cols);
	frame_text(&f, cols, color, "\x1b[1m", text);

	/* below the title: header, rows, and "... N more" when short of room */
	if (rows >= 3) {
		layout(&v, r, n, cols);
		ln_init(&l, cols);
		ln_header(&l, &v, color);
		frame_line(&f, &l);
	}
	shown = 0;
	if (rows >= 3) {
		size_t room = (size_t)(rows - f.nlines); /* >= 1: at most 2 lines so far */

		shown = n <= room ? n : room - 1;
	}
	for (i = 0; i < shown; i++) {
		ln_init(&l, cols);
		ln_row(&l, &v, &r[i], color);
		frame_line(&f, &l);
	}
	more = n - shown;
	if (more) {
		for (i = shown; i < n; i++)
			more_findings += r[i].rank <= 1;
		if (more_findings)
			snprintf(text, sizeof(text), "... %zu more (%zu plaintext or mixed)", more,
				 more_findings);
		else
			snprintf(text, sizeof(text), "... %zu more", more);
		frame_text(&f, cols, color, "\x1b[2m", text);
	} else if (!n) {
		frame_text(&f, cols, color, "\x1b[2m", "(no flows to watched ports yet)");
	}
	free(r);
end:
	/* erase what a taller previous frame left below; on a full screen there
	 * is nothing below, and a newline there would scroll */
	if (f.nlines < rows)
		sb_puts(out, "\r\n\x1b[J");
}

/* ---- the sink: one frame a second, keys between frames ---- */

#define TOP_MAX_ROWS 200
#define TOP_FRAME_NS 1000000000ull

struct top_sink {
	struct ta_sink base;
	struct ta_tty tty;
	const struct ta_summary *tally;
	int by_container;
	int in_fd, out_fd;
	__u64 next_frame;
	char frame[TA_TOP_OUT_SIZE(TOP_MAX_ROWS, TA_TOP_MAX_COLS)];
};

static int top_tick(struct ta_sink *s, const struct ta_counters *c, __u64 mono_ns)
{
	struct top_sink *ts = (struct top_sink *)s;
	struct strbuf sb;
	int rows, cols, key;

	(void)c;
	while ((key = ta_top_key(&ts->tty, ts->in_fd))) {
		if (key == 'q')
			return 1;
		ts->by_container = key == 'c';
	}
	if (mono_ns < ts->next_frame)
		return 0;
	ts->next_frame = mono_ns + TOP_FRAME_NS;
	ta_top_size(ts->out_fd, &rows, &cols);
	if (rows > TOP_MAX_ROWS)
		rows = TOP_MAX_ROWS;
	sb_init(&sb, ts->frame, sizeof(ts->frame));
	ta_top_render(ts->tally, ts->by_container, rows, cols, 1, &sb);
	ta_top_write(ts->out_fd, &sb);
	return 0;
}

/* The table is gone before the summary is printed on the shell's screen. */
static void top_finish(struct ta_sink *s, const struct ta_counters *c)
{
	(void)c;
	ta_top_restore(&((struct top_sink *)s)->tty);
}

static void top_free(struct ta_sink *s)
{
	ta_top_restore(&((struct top_sink *)s)->tty);
	free(s);
}

static const struct ta_sink_ops top_ops = {
	.tick = top_tick,
	.finish = top_finish,
	.free = top_free,
};

struct ta_sink *ta_top_sink(const struct ta_summary *tally, int by_container, int in_fd, int out_fd)
{
	struct top_sink *ts = calloc(1, sizeof(*ts));
	int err;

	if (!ts)
		return NULL;
	ts->base.ops = &top_ops;
	ts->tally = tally;
	ts->by_container = by_container;
	ts->in_fd = in_fd;
	ts->out_fd = out_fd;
	err = ta_top_init(&ts->tty, in_fd);
	if (err) {
		free(ts);
		errno = -err;
		return NULL;
	}
	return &ts->base;
}
