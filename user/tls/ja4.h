/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* ja4.h - the JA4 client fingerprint of a parsed ClientHello. */
#ifndef TA_TLS_JA4_H
#define TA_TLS_JA4_H

#include <stddef.h>

struct ta_client_hello;

/* JA4 (FoxIO, TLS client): e.g. t13d1516h2_8daaf6152771_e5627efa2ab1.
 * quic != 0 gives the "q" prefix. out is always terminated. */
#define TA_JA4_LEN 36
void ta_ja4(const struct ta_client_hello *ch, int quic, char out[64]);
/* The un-hashed form (JA4_r). Returns the full length, like snprintf; the
 * output was cut when that is >= cap. */
size_t ta_ja4_raw(const struct ta_client_hello *ch, int quic, char *out, size_t cap);

#endif /* TA_TLS_JA4_H */
