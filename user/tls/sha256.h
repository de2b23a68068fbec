/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sha256.h - SHA-256 (FIPS 180-4), small and dependency-free.
 *
 * Only the JA4 fingerprint needs a hash, and a truncated one at that; pulling
 * in libcrypto for 12 hex characters is not worth the dependency.
 */
#ifndef TA_SHA256_H
#define TA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TA_SHA256_LEN 32

struct ta_sha256 {
	uint32_t h[8];
	uint64_t total; /* bytes hashed so far */
	uint8_t block[64];
	size_t fill; /* bytes waiting in block[] */
};

void ta_sha256_init(struct ta_sha256 *c);
void ta_sha256_update(struct ta_sha256 *c, const void *data, size_t len);
void ta_sha256_final(struct ta_sha256 *c, uint8_t out[TA_SHA256_LEN]);
/* One-shot convenience. */
void ta_sha256(const void *data, size_t len, uint8_t out[TA_SHA256_LEN]);

#endif /* TA_SHA256_H */
