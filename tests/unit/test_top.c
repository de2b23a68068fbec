// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_top.c - unit tests for the `--top` view (user/top.c): row order,
 * escaping of hostile names, fitting small terminals, per-container sums,
 * colour on and off, key reading, and terminal set-up and restore (on a pipe,
 * and on a pseudo-terminal when one can be opened).
 *
 * Rendered frames are checked by a small terminal model: every escape sequence
 * must be one the renderer itself emits, every newline must come as "\r\n",
 * and what remains must be printable ASCII, at most cols wide per line.
 */
#define _GNU_SOURCE /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "output/strbuf.h"
#include "output/summary.h"
#include "output/top.h"
#include "ta_test.h"

#define HOSTILE "x\"}\n\x1b[31mevil"
#define OUT_CAP 65536
#define MAX_LINES 128
#define LINE_CAP 1024

static char out_buf[OUT_CAP];

/* A frame as a terminal would show it. */
struct screen {
	int n;				/* lines, counting the one after a final "\r\n" */
	char line[MAX_LINES][LINE_CAP]; /* visible text only */
	int width[MAX_LINES];
	int sgr; /* colour/attribute sequences seen */
	int bad; /* a byte or sequence we never emit */
	char why[160];
};

static void bad(struct screen *sc, const char *why, size_t at)
{
	if (!sc->bad)
		snprintf(sc->why, sizeof(sc->why), "%s at byte %zu", why, at);
	sc->bad = 1;
}

/* Only the renderer's own sequences may appear: CSI, parameters from
 * "0123456789;?", final byte H, K, J or m. */
static void parse(const char *o, size_t len, struct screen *sc)
{
	size_t i = 0, j;
	int cur = 0;

	memset(sc, 0, sizeof(*sc));
	sc->n = 1;
	while (i < len) {
		unsigned char c = o[i];

		if (c == 0x1b) {
			if (i + 1 >= len || o[i + 1] != '[') {
				bad(sc, "ESC not followed by [", i);
				i++;
				continue;
			}
			for (j = i + 2; j < len && strchr("0123456789;?", o[j]) && o[j]; j++)
				;
			if (j >= len || !strchr("HKJm", o[j]) || !o[j]) {
				bad(sc, "unexpected escape sequence", i);
				i = j;
				continue;
			}
			sc->sgr += o[j] == 'm';
			i = j + 1;
		} else if (c == '\r') {
			if (i + 1 >= len || o[i + 1] != '\n')
				bad(sc, "CR without LF", i);
			i++;
		} else if (c == '\n') {
			if (!i || o[i - 1] != '\r')
				bad(sc, "raw LF", i);
			if (++cur >= MAX_LINES) {
				bad(sc, "too many lines", i);
				return;
			}
			sc->n++;
			i++;
		} else if (c < 0x20 || c > 0x7e) {
			bad(sc, "control or non-ASCII byte", i);
			i++;
		} else {
			if (sc->width[cur] < LINE_CAP - 1)
				sc->line[cur][sc->width[cur]] = c;
			sc->width[cur]++;
			i++;
		}
	}
}

static struct ta_proc *add(struct ta_proc *p, __u32 pid, const char *comm, size_t comm_len,
			   const char *container, const char *peer, __u16 port, __u64 ns)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = 1000;
	memcpy(p->comm, comm, comm_len);
	snprintf(p->container, sizeof(p->container), "%s", container);
	snprintf(p->last_peer, sizeof(p->last_peer), "%s", peer);
	p->last_port = port;
	p->last_ns = ns;
	return p;
}

#define CID_A "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define CID_B "beef000000000000000000000000000000000000000000000000000000000000"

/*
 * pid 100 curl: tls only (encrypted)        container A
 * pid 200 wget: plaintext_http (plaintext)  host
 * pid 300 app:  tls + plaintext (mixed)     container A
 * pid 400 hostile comm: tls only            container B
 */
static struct ta_proc procs[8];
static struct ta_summary sum;

static void fixture(void)
{
	struct ta_proc *p;

	memset(&sum, 0, sizeof(sum));
	p = add(&procs[0], 100, "curl", 4, CID_A, "93.184.216.34", 443, 10);
	p->flows[TA_V_TLS] = 3;
	p = add(&procs[1], 200, "wget", 4, "", "10.0.0.7", 8443, 20);
	p->flows[TA_V_PLAINTEXT_HTTP] = 1;
	p = add(&procs[2], 300, "app", 3, CID_A, "2001:db8::1", 993, 30);
	p->flows[TA_V_TLS] = 2;
	p->flows[TA_V_PLAINTEXT] = 1;
	p = add(&procs[3], 400, HOSTILE, sizeof(HOSTILE) - 1, CID_B, "1.2.3.4", 443, 40);
	p->flows[TA_V_TLS] = 1;
	sum.procs = procs;
	sum.n = sum.cap = 4;
}

static void render(int by_container, int rows, int cols, int color, struct screen *sc)
{
	struct strbuf sb;

	sb_init(&sb, out_buf, sizeof(out_buf));
	ta_top_render(&sum, by_container, rows, cols, color, &sb);
	TA_CHECK(!sb.overflow, "frame overflowed a %d-byte buffer", OUT_CAP);
	parse(sb.buf, sb.len, sc);
	TA_CHECK(!sc->bad, "rows=%d cols=%d color=%d: %s", rows, cols, color, sc->why);
}

static int find_line(const struct screen *sc, const char *needle)
{
	int i;

	for (i = 0; i < sc->n; i++)
		if (strstr(sc->line[i], needle))
			return i;
	return -1;
}

/* The n-th space-separated word of a line, into w. */
static int word(const char *line, int n, char *w, size_t cap)
{
	const char *p = line;
	size_t len;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		len = strcspn(p, " ");
		if (!n--) {
			snprintf(w, cap, "%.*s", (int)len, p);
			return 0;
		}
		p += len;
	}
}

/* Index of a column in the header line, or -1. */
static int col_index(const char *header, const char *name)
{
	char w[64];
	int i;

	for (i = 0; !word(header, i, w, sizeof(w)); i++)
		if (!strcmp(w, name))
			return i;
	return -1;
}

static int header_has(const struct screen *sc, const char *name)
{
	return sc->n > 1 && col_index(sc->line[1], name) >= 0;
}

static void test_order(void)
{
	struct screen sc;
	int plain, mixed, enc, hostile;

	ta_case_begin("top_order_plaintext_first");
	fixture();
	render(0, 40, 200, 0, &sc);
	plain = find_line(&sc, "wget");
	mixed = find_line(&sc, " app ");
	enc = find_line(&sc, "curl");
	hostile = find_line(&sc, "\\x1b[31m");
	TA_CHECK(plain > 1 && mixed > 1 && enc > 1 && hostile > 1,
		 "rows missing: wget %d app %d curl %d hostile %d", plain, mixed, enc, hostile);
	TA_CHECK(plain < mixed, "plaintext row %d not before mixed row %d", plain, mixed);
	TA_CHECK(mixed < enc, "mixed row %d not before encrypted row %d", mixed, enc);
	/* curl (3 flows) before the hostile one (1 flow): more flows first */
	TA_CHECK(enc < hostile, "curl row %d not before 1-flow row %d", enc, hostile);
	TA_CHECK(strstr(sc.line[0], "4 processes") && strstr(sc.line[0], "1 plaintext") &&
			 strstr(sc.line[0], "1 mixed") && strstr(sc.line[0], "2 encrypted"),
		 "title: %s", sc.line[0]);
	TA_CHECK(strstr(sc.line[mixed], "[2001:db8::1]:993") != NULL, "IPv6 peer not bracketed: %s",
		 mixed > 0 ? sc.line[mixed] : "");
	TA_CHECK(strstr(sc.line[plain], "10.0.0.7:8443") != NULL, "peer: %s",
		 plain > 0 ? sc.line[plain] : "");
	/* container ids are shortened to 12 characters */
	TA_CHECK(strstr(sc.line[enc], "c0ffee012345 ") && !strstr(sc.line[enc], "c0ffee0123456"),
		 "container not cut to 12: %s", enc > 0 ? sc.line[enc] : "");
	TA_CHECK(strstr(sc.line[plain], " - ") != NULL, "host process container not '-': %s",
		 plain > 0 ? sc.line[plain] : "");
	ta_case_end();
}

static void test_hostile(void)
{
	struct screen sc;
	int color, row;

	ta_case_begin("top_hostile_comm_escaped");
	fixture();
	for (color = 0; color <= 1; color++) {
		render(0, 40, 200, color, &sc);
		/* parse() already failed on any raw ESC, LF or control byte */
		row = find_line(&sc, "x\"}\\x0a\\x1b[3");
		TA_CHECK(row > 1, "color=%d: escaped comm not found", color);
		/* the row is still one line, with its status and peer on it */
		TA_CHECK(row > 1 && strstr(sc.line[row], "encrypted") &&
				 strstr(sc.line[row], "1.2.3.4:443"),
			 "color=%d: hostile row broken: %s", color, row > 1 ? sc.line[row] : "");
	}
	/* the escaped name (19 chars) is cut to the column, with a marker */
	TA_CHECK(row > 1 && strstr(sc.line[row], "x\"}\\x0a\\x1b[31m~") != NULL,
		 "no cut marker: %s", row > 1 ? sc.line[row] : "");

	/* hostile bytes in container and peer too, and invalid UTF-8 */
	snprintf(procs[3].container, sizeof(procs[3].container), "\x1b]0;pwned\x07\xff\xfe");
	snprintf(procs[3].last_peer, sizeof(procs[3].last_peer), "\r\n\x1b[2J\xc3(");
	for (color = 0; color <= 1; color++) {
		render(0, 40, 200, color, &sc);
		render(1, 40, 200, color, &sc);
	}
	row = find_line(&sc, "\\x1b]0;pwned");
	TA_CHECK(row > 1, "escaped container not found");
	ta_case_end();
}

static void test_small(void)
{
	struct screen sc;
	int i, hdr;

	ta_case_begin("top_small_terminal_40x6");
	fixture();
	render(0, 6, 40, 1, &sc);
	TA_CHECK(sc.n <= 6, "%d lines on a 6-row terminal", sc.n);
	for (i = 0; i < sc.n; i++)
		TA_CHECK(sc.width[i] <= 40, "line %d is %d wide: %s", i, sc.width[i], sc.line[i]);
	hdr = sc.n > 1;
	TA_CHECK(hdr && header_has(&sc, "PID") && header_has(&sc, "STATUS") &&
			 header_has(&sc, "FLOWS"),
		 "essential columns missing: %s", hdr ? sc.line[1] : "");
	TA_CHECK(!header_has(&sc, "CONTAINER") && !header_has(&sc, "TLS"),
		 "wide columns kept at 40: %s", hdr ? sc.line[1] : "");
	TA_CHECK(find_line(&sc, "wget") == 2, "plaintext row not first");
	/* the short title, whole */
	TA_CHECK(!strcmp(sc.line[0], "4 procs: 1 plain 1 mixed 2 enc"), "title: %s", sc.line[0]);
	TA_CHECK(find_line(&sc, "plaintext") >= 0, "status missing");
	ta_case_end();
}

static void test_more(void)
{
	struct screen sc;

	ta_case_begin("top_more_line");
	fixture();
	/* title, header, 2 rows, "... 2 more" */
	render(0, 5, 80, 0, &sc);
	TA_CHECK(sc.n == 5, "%d lines, want 5", sc.n);
	TA_CHECK(find_line(&sc, "wget") == 2 && find_line(&sc, " app ") == 3,
		 "first rows not the findings");
	TA_CHECK(sc.n == 5 && !strcmp(sc.line[4], "... 2 more"), "more line: '%s'",
		 sc.n == 5 ? sc.line[4] : "");
	/* rows=4: one row and "... 3 more (1 plaintext or mixed)" */
	render(0, 4, 80, 0, &sc);
	TA_CHECK(sc.n == 4 && strstr(sc.line[3], "... 3 more (1 plaintext or mixed)"),
		 "more line with findings: '%s'", sc.n == 4 ? sc.line[3] : "");
	/* rows=2: title and a count; rows=1: title only */
	render(0, 2, 80, 0, &sc);
	TA_CHECK(sc.n == 2 && !strcmp(sc.line[1], "... 4 more (2 plaintext or mixed)"),
		 "rows=2: '%s'", sc.n == 2 ? sc.line[1] : "");
	render(0, 1, 80, 0, &sc);
	TA_CHECK(sc.n == 1 && !strncmp(sc.line[0], "tlsaudit", 8), "rows=1: %d lines", sc.n);
	/* everything fits: the rest of the screen is erased below */
	render(0, 30, 80, 0, &sc);
	TA_CHECK(sc.n == 7 && sc.width[6] == 0, "%d lines on a tall screen, want 6 + erase", sc.n);
	TA_CHECK(strstr(out_buf, "\x1b[J") != NULL, "no erase-below on a tall screen");
	ta_case_end();
}

/* Every size, both modes, colour on and off: never wider than cols, never
 * more lines than rows, never a byte we did not mean. */
static void test_sweep(void)
{
	struct screen sc;
	int rows, cols, mode, color, i, worst = 0;

	ta_case_begin("top_every_size_fits");
	fixture();
	sum.unattributed[TA_V_PLAINTEXT] = 5;
	for (mode = 0; mode <= 1; mode++)
		for (color = 0; color <= 1; color++)
			for (rows = 1; rows <= 12; rows++)
				for (cols = 1; cols <= 160; cols++) {
					render(mode, rows, cols, color, &sc);
					if (sc.n > rows && !worst++)
						TA_CHECK(0, "mode %d %dx%d: %d lines", mode, rows,
							 cols, sc.n);
					for (i = 0; i < sc.n; i++)
						if (sc.width[i] > cols && !worst++)
							TA_CHECK(
								0,
								"mode %d %dx%d: line %d is %d wide",
								mode, rows, cols, i, sc.width[i]);
					if (ta_case_failed)
						goto out;
				}
out:
	ta_case_end();
}

/* Narrowing drops columns in order: peer, container, per-verdict counts. */
static void test_drop_order(void)
{
	struct screen sc;
	int cols, had_peer = 1, had_cont = 1, had_tls = 1, had_flows = 0, flows_gone = 0, ok = 1;

	ta_case_begin("top_columns_dropped_in_order");
	fixture();
	render(0, 20, 300, 0, &sc);
	TA_CHECK(header_has(&sc, "SSL2") && header_has(&sc, "PEER:PORT") &&
			 header_has(&sc, "CONTAINER") && header_has(&sc, "QUIC"),
		 "wide header incomplete: %s", sc.line[1]);
	for (cols = 300; cols >= 20 && ok; cols--) {
		int peer, cont, tls, flows;

		render(0, 20, cols, 0, &sc);
		peer = header_has(&sc, "PEER:PORT");
		cont = header_has(&sc, "CONTAINER");
		tls = header_has(&sc, "TLS");
		flows = header_has(&sc, "FLOWS");
		flows_gone |= had_flows && !flows;
		/* once gone, a column stays gone; each goes no earlier than the last */
		if ((peer && !had_peer) || (cont && !had_cont) || (tls && !had_tls) ||
		    (cont && !tls) || (peer && !cont) || (flows && tls) || (flows && flows_gone) ||
		    (!flows && !tls && !flows_gone)) {
			ok = 0;
			TA_CHECK(0, "cols=%d: header %s", cols, sc.line[1]);
		}
		if (!header_has(&sc, "STATUS") || !header_has(&sc, "COMM")) {
			ok = 0;
			TA_CHECK(0, "cols=%d: essential column lost: %s", cols, sc.line[1]);
		}
		had_peer = peer;
		had_cont = cont;
		had_tls = tls;
		had_flows = flows;
	}
	TA_CHECK(!had_tls && flows_gone,
		 "per-verdict columns never merged, or FLOWS never dropped");
	ta_case_end();
}

static void test_containers(void)
{
	struct screen sc;
	char w[64];
	int row, host, b, tls, plain, procs_col, unk, ssl2;
	const char *hdr;

	ta_case_begin("top_by_container_sums");
	fixture();
	procs[3].flows[TA_V_SSLV2] = 4; /* sslv2 gets its own column when wide */
	render(1, 20, 200, 0, &sc);
	hdr = sc.line[1];
	tls = col_index(hdr, "TLS");
	plain = col_index(hdr, "PLAIN");
	procs_col = col_index(hdr, "PROCS");
	ssl2 = col_index(hdr, "SSL2");
	TA_CHECK(tls >= 0 && plain >= 0 && procs_col >= 0 && ssl2 >= 0 &&
			 col_index(hdr, "PID") < 0 && col_index(hdr, "COMM") < 0,
		 "container header: %s", hdr);
	TA_CHECK(strstr(sc.line[0], "3 containers") != NULL, "title: %s", sc.line[0]);
	row = find_line(&sc, "c0ffee012345");
	TA_CHECK(row > 1, "container A row missing");
	if (row > 1) {
		TA_CHECK(!word(sc.line[row], tls, w, sizeof(w)) && !strcmp(w, "5"),
			 "TLS sum %s, want 5: %s", w, sc.line[row]);
		TA_CHECK(!word(sc.line[row], plain, w, sizeof(w)) && !strcmp(w, "1"),
			 "PLAIN sum %s, want 1: %s", w, sc.line[row]);
		TA_CHECK(!word(sc.line[row], procs_col, w, sizeof(w)) && !strcmp(w, "2"),
			 "PROCS %s, want 2: %s", w, sc.line[row]);
		TA_CHECK(strstr(sc.line[row], "mixed") != NULL, "status of A: %s", sc.line[row]);
		/* the latest flow among the members (app, ns 30) is the last peer */
		TA_CHECK(strstr(sc.line[row], "[2001:db8::1]:993") != NULL, "peer of A: %s",
			 sc.line[row]);
	}
	host = find_line(&sc, "(host)");
	TA_CHECK(host > 1 && host < row, "(host) row %d (plaintext) not before A %d", host, row);
	b = find_line(&sc, "beef00000000");
	TA_CHECK(b > row, "B row %d (mixed, 5 flows) not after A %d (mixed, 6 flows)", b, row);
	if (b > 1)
		TA_CHECK(!word(sc.line[b], ssl2, w, sizeof(w)) && !strcmp(w, "4"),
			 "SSL2 %s, want 4: %s", w, sc.line[b]);

	/* narrower: sslv2 merges into UNK before anything else goes */
	render(1, 20, 75, 0, &sc);
	unk = col_index(sc.line[1], "UNK");
	b = find_line(&sc, "beef00000000");
	TA_CHECK(col_index(sc.line[1], "SSL2") < 0 && unk >= 0 && header_has(&sc, "PEER:PORT"),
		 "75 cols: %s", sc.line[1]);
	if (b > 1 && unk >= 0)
		TA_CHECK(!word(sc.line[b], unk, w, sizeof(w)) && !strcmp(w, "4"),
			 "UNK with sslv2 merged %s, want 4: %s", w, sc.line[b]);
	ta_case_end();
}

static void test_unattributed(void)
{
	struct screen sc;
	int row;

	ta_case_begin("top_unattributed_row");
	fixture();
	sum.unattributed[TA_V_PLAINTEXT_HTTP] = 7;
	render(0, 20, 200, 0, &sc);
	row = find_line(&sc, "(no owner)");
	/* 7 plaintext flows: first, ahead of wget's 1 */
	TA_CHECK(row == 2, "no-owner row at %d, want 2", row);
	TA_CHECK(strstr(sc.line[0], "4 processes") != NULL, "title counts it: %s", sc.line[0]);
	memset(&sum, 0, sizeof(sum));
	render(0, 20, 80, 0, &sc);
	TA_CHECK(find_line(&sc, "no flows") == 2, "empty summary not said");
	ta_case_end();
}

static void test_color(void)
{
	struct screen sc;

	ta_case_begin("top_color_only_when_asked");
	fixture();
	render(0, 20, 200, 0, &sc);
	TA_CHECK(sc.sgr == 0, "%d SGR sequences with color=0", sc.sgr);
	TA_CHECK(!strstr(out_buf, "\x1b[0m"), "attribute reset with color=0");
	render(0, 20, 200, 1, &sc);
	TA_CHECK(sc.sgr > 0, "no SGR sequences with color=1");
	TA_CHECK(strstr(out_buf, "\x1b[1;31mplaintext") != NULL, "plaintext not red");
	TA_CHECK(strstr(out_buf, "\x1b[33mmixed") != NULL, "mixed not yellow");
	TA_CHECK(strstr(out_buf, "\x1b[32mencrypted") != NULL, "encrypted not green");
	ta_case_end();
}

/* A short buffer drops whole lines, never half an escape sequence. */
static void test_short_buffer(void)
{
	struct screen sc;
	struct strbuf sb;
	char small[300];
	size_t cap;

	ta_case_begin("top_short_buffer");
	fixture();
	for (cap = 0; cap <= sizeof(small); cap += 7) {
		sb_init(&sb, small, cap);
		ta_top_render(&sum, 0, 20, 100, 1, &sb);
		parse(sb.buf, sb.len, &sc);
		TA_CHECK(!sc.bad, "cap %zu: %s", cap, sc.why);
	}
	sb_init(&sb, out_buf, TA_TOP_OUT_SIZE(20, 100));
	ta_top_render(&sum, 0, 20, 100, 1, &sb);
	TA_CHECK(!sb.overflow, "TA_TOP_OUT_SIZE too small");
	ta_case_end();
}

static void test_not_tty(void)
{
	struct ta_tty tty = { 0 };
	int fd[2], rows = 0, cols = 0;
	char b;

	ta_case_begin("top_init_pipe_enotty");
	if (pipe(fd)) {
		TA_CHECK(0, "pipe: %s", strerror(errno));
		ta_case_end();
		return;
	}
	TA_CHECK_EQ(ta_top_init(&tty, fd[0]), -ENOTTY);
	TA_CHECK_EQ(ta_top_init(&tty, fd[1]), -ENOTTY);
	ta_top_size(fd[1], &rows, &cols);
	TA_CHECK(rows == 24 && cols == 80, "size of a pipe %dx%d, want 24x80", rows, cols);
	/* restore without init does nothing, however often */
	ta_top_restore(&tty);
	ta_top_restore(&tty);
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	TA_CHECK(read(fd[0], &b, 1) < 0, "restore wrote to a pipe it was never given");
	close(fd[0]);
	close(fd[1]);
	ta_case_end();
}

static void test_keys(void)
{
	struct ta_tty tty = { 0 };
	int fd[2];

	ta_case_begin("top_keys");
	if (pipe(fd)) {
		TA_CHECK(0, "pipe: %s", strerror(errno));
		ta_case_end();
		return;
	}
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 0);
	/* F1 (ESC O P) and Up (ESC [ A) are not 'p'; Alt+c is 'c' */
	TA_CHECK(write(fd[1], "x\x1bOP\x1b[1;5Az", 11) == 11, "write");
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 0);
	TA_CHECK(write(fd[1],
		       "c\x1b"
		       "cpQ",
		       5) == 5,
		 "write");
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 'c');
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 'c');
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 'p');
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 'q');
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 0);
	/* an escape sequence split across reads is still skipped */
	TA_CHECK(write(fd[1], "\x1b[", 2) == 2, "write");
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 0);
	TA_CHECK(write(fd[1], "Pq", 2) == 2, "write");
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 'q');
	/* the terminal went away: quit */
	close(fd[1]);
	TA_CHECK_EQ(ta_top_key(&tty, fd[0]), 'q');
	close(fd[0]);
	ta_case_end();
}

/* Reads what the program wrote to the terminal, for up to 200 ms. */
static size_t drain(int master, char *buf, size_t cap)
{
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap && poll(&pfd, 1, 200) > 0) {
		n = read(master, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static void test_pty(void)
{
	struct termios before, during, after;
	struct ta_tty tty = { 0 };
	char got[512];
	int master, slave, rc;
	const char *name;

	ta_case_begin("top_init_restore_pty");
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) || !(name = ptsname(master)) ||
	    (slave = open(name, O_RDWR | O_NOCTTY)) < 0) {
		ta_skip("top_init_restore_pty", "no pseudo-terminal available");
		if (master >= 0)
			close(master);
		return;
	}
	tcgetattr(slave, &before);
	rc = ta_top_init(&tty, slave);
	TA_CHECK_EQ(rc, 0);
	tcgetattr(slave, &during);
	TA_CHECK(!(during.c_lflag & (ICANON | ECHO)), "still canonical or echoing");
	TA_CHECK(during.c_lflag & ISIG, "Ctrl-C would no longer raise SIGINT");
	drain(master, got, sizeof(got));
	TA_CHECK(strstr(got, "\x1b[?1049h") && strstr(got, "\x1b[?25l"),
		 "alternate screen or hidden cursor not asked for");
	TA_CHECK_EQ(ta_top_init(&tty, slave), -EBUSY);

	TA_CHECK(write(master, "q", 1) == 1, "write");
	/* the pty hands input over asynchronously: wait for it to arrive */
	poll(&(struct pollfd){ .fd = slave, .events = POLLIN }, 1, 1000);
	TA_CHECK_EQ(ta_top_key(&tty, slave), 'q');

	ta_top_restore(&tty);
	tcgetattr(slave, &after);
	TA_CHECK(after.c_lflag == before.c_lflag && after.c_cc[VMIN] == before.c_cc[VMIN],
		 "termios not restored");
	drain(master, got, sizeof(got));
	TA_CHECK(strstr(got, "\x1b[?1049l") && strstr(got, "\x1b[?25h") && strstr(got, "\x1b[?7h"),
		 "screen, cursor or wrapping not given back");
	/* a second restore (the sink frees after it finished) writes nothing */
	ta_top_restore(&tty);
	TA_CHECK(drain(master, got, sizeof(got)) == 0, "second restore wrote %zu bytes",
		 strlen(got));
	/* and it can be taken again */
	TA_CHECK_EQ(ta_top_init(&tty, slave), 0);
	ta_top_restore(&tty);
	close(slave);
	close(master);
	ta_case_end();
}

int main(void)
{
	test_order();
	test_hostile();
	test_small();
	test_more();
	test_sweep();
	test_drop_order();
	test_containers();
	test_unattributed();
	test_color();
	test_short_buffer();
	test_not_tty();
	test_keys();
	test_pty();
	TA_TEST_EXIT();
}
