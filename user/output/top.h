/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * top.h - the live terminal view of `tlsaudit --top`, drawn with plain ANSI
 * escape sequences (no curses): one row per process or per container, the
 * ones sending plaintext first.
 *
 * The loader's loop is, once a second or so:
 *
 *	ta_top_size(fd, &rows, &cols);
 *	sb_init(&sb, buf, TA_TOP_OUT_SIZE(rows, cols));
 *	ta_top_render(summary, by_container, rows, cols, color, &sb);
 *	ta_top_write(fd, &sb);
 *	while ((key = ta_top_key(&tty, fd)))
 *		...;
 *
 * and ta_top_restore() on every way out. ta_top_sink() does all of it.
 */
#ifndef TA_TOP_H
#define TA_TOP_H

#include <termios.h>
#include "output/strbuf.h"
#include "output/summary.h"

/* Wider terminals are drawn as if they were this wide: no table needs more. */
#define TA_TOP_MAX_COLS 512

/* A buffer this large always holds a whole frame: every line's text, its
 * colour and clearing sequences, and the frame's own cursor moves. */
#define TA_TOP_OUT_SIZE(rows, cols) ((size_t)(rows) * ((size_t)(cols) + 48) + 64)

/* A terminal taken over, and how to give it back. Zero-initialise it. */
struct ta_tty {
	struct termios saved;
	int fd;
	int active;
	int key_state; /* where ta_top_key() is within an escape sequence */
};

/*
 * Takes over the terminal on fd, which must be open for reading and writing
 * (an interactive shell's stdin/stdout are): keys are read one at a time
 * without echo, the cursor is hidden, line wrapping is off, and the view uses
 * the alternate screen so the shell's scrollback is left as it was. Ctrl-C
 * still raises SIGINT. Returns 0, -ENOTTY when fd is not a terminal, -EBUSY
 * when t is already active, or another -errno.
 */
int ta_top_init(struct ta_tty *t, int fd);

/* Gives the terminal back as ta_top_init() found it. Safe to call any number
 * of times, and before ta_top_init(): it uses only write() and tcsetattr(). */
void ta_top_restore(struct ta_tty *t);

/* The terminal's size; 24 rows and 80 columns when it cannot be asked. */
void ta_top_size(int fd, int *rows, int *cols);

/*
 * The next command key waiting on fd, without blocking: 'q' quit, 'c' toggle
 * per-container rows, 'p' per-process rows; 0 when none is waiting. Other keys
 * (and the escape sequences of arrow and function keys) are skipped. Call it
 * until it returns 0 to see every key pressed since the last frame. Returns
 * 'q' as well when the terminal has hung up.
 */
int ta_top_key(struct ta_tty *t, int fd);

/*
 * Appends one whole screen to out: cursor home, a title line, a header, one
 * row per process (per container when by_container), and a "... N more" line
 * when they do not all fit. No line is wider than cols and there are never
 * more than rows lines, so the terminal never wraps or scrolls: on narrow
 * terminals the least important columns go first. Names, containers and peers
 * are escaped (sb_term_str), so nothing from the data reaches the terminal as
 * a control byte. color adds SGR colours (status: plaintext red, mixed
 * yellow, encrypted green, unknown dim); without it the frame carries only
 * cursor and erase sequences. Size out with TA_TOP_OUT_SIZE(rows, cols).
 */
void ta_top_render(const struct ta_summary *s, int by_container, int rows, int cols, int color,
		   struct strbuf *out);

/* Writes a rendered frame to fd in full (retrying short writes and EINTR).
 * Returns 0 or -errno. */
int ta_top_write(int fd, const struct strbuf *out);

/* The --top sink: takes over the terminal on fd (the loader's stdin and
 * stdout are one terminal) and draws tally once a second; 'q' ends the run.
 * NULL with errno set (ENOTTY: not a terminal). */
struct ta_sink;
struct ta_sink *ta_top_sink(const struct ta_summary *tally, int by_container, int in_fd,
			    int out_fd);

#endif
