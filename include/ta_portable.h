/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_portable.h - what the code compiled twice (into the BPF programs and into
 * the host library) needs from its surroundings: fixed-width types, byte-order
 * macros and __always_inline. The BPF side gets them from vmlinux.h and
 * libbpf's headers; the host side from the uapi headers.
 */
#ifndef TA_PORTABLE_H
#define TA_PORTABLE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stddef.h>
#endif
#include <bpf/bpf_endian.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Loops the verifier must see unrolled; gcc (host builds) has no such need. */
#if defined(__clang__)
#define TA_UNROLL _Pragma("unroll")
#else
#define TA_UNROLL
#endif

/* Own names: the host's <netinet/in.h> declares IPPROTO_* as an enum, which
 * a macro of the same name would break. */
#define TA_IPPROTO_TCP 6
#define TA_IPPROTO_UDP 17

#endif /* TA_PORTABLE_H */
