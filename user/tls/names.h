/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* names.h - IANA names of TLS code points, and of tlsaudit's answer kinds. */
#ifndef TA_TLS_NAMES_H
#define TA_TLS_NAMES_H

#include <stdint.h>

/* NULL when unknown: the caller then prints the code in hex. */
const char *ta_tls_version_name(uint16_t version); /* "1.3", "1.2", ..., "ssl3.0" */
const char *ta_cipher_name(uint16_t suite);	   /* IANA, e.g. TLS_AES_256_GCM_SHA384 */
const char *ta_group_name(uint16_t group);	   /* x25519, X25519MLKEM768, ... */
const char *ta_alert_name(uint8_t desc);	   /* handshake_failure, ... */
const char *ta_tls_answer_name(int kind);	   /* never NULL */

#endif /* TA_TLS_NAMES_H */
