/*
 * hash: the one SHA-256 of the tree, for content addressing (verdict cache
 * keys, fingerprints of configuration, policy and schema store, schema cache
 * file names, hand-over file names, record checksums).  Part of util/: it
 * depends on nothing but libcrypto.
 */
#ifndef GATE_HASH_H
#define GATE_HASH_H

#include <stddef.h>

#define GATE_SHA256_HEX 65 /* 64 hex digits and NUL */

struct gate_sha256 {
	void *ctx; /* private (EVP_MD_CTX) */
};

/* Start a digest; out of memory is fatal like gate_xmalloc. */
void gate_sha256_init(struct gate_sha256 *h);
void gate_sha256_update(struct gate_sha256 *h, const void *data, size_t len);
/* Add s and its terminating NUL, so that ("ab","c") and ("a","bc") differ. */
void gate_sha256_update_str(struct gate_sha256 *h, const char *s);
/* Write the lowercase hex digest into hex and release the context. */
void gate_sha256_final(struct gate_sha256 *h, char hex[GATE_SHA256_HEX]);
/* One call: hex digest of data[0..len). */
void gate_sha256_hex(const void *data, size_t len, char hex[GATE_SHA256_HEX]);
/*
 * Copy a hex digest into buf[bufsize], cut to whole bytes (an even number of
 * digits) when buf is shorter; always NUL-terminated when bufsize > 0.
 */
void gate_sha256_copy_hex(char *buf, size_t bufsize, const char hex[GATE_SHA256_HEX]);

#endif
