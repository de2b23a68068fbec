/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pins.h - the maps pinned under TA_PIN_DIR (TA_PIN_MAPS in tlsaudit.h), so
 * the exported counters survive a restart of tlsaudit: bpffs, the directory,
 * reuse of a pinned map of the same shape, and --reset.
 */
#ifndef TA_PINS_H
#define TA_PINS_H

struct bpf_object;

/* Mount bpffs if there is none, make TA_PIN_DIR; 0 or -errno (said why). */
int ta_pins_prepare(void);
/* Before load: each of TA_PIN_MAPS reuses its pin when one of the same shape
 * is there; one left by another version is started afresh, with a warning. */
int ta_pins_set(struct bpf_object *obj);
/* Before load, under --enforce: the maps of TA_HOLD_MAPS reuse the ones an
 * earlier run's held programs still use (same shape and layout), so flows
 * judged before a restart keep their verdicts; else they start afresh. */
int ta_pins_hold(struct bpf_object *obj);
/* --reset: remove the pins; 0, or 1 when something could not be removed. */
int ta_pins_reset(void);

#endif
