/*
 * utf16: recognise and decode UTF-16 text.  Pure: no I/O, no allocation
 * beyond the caller's buffer.
 *
 * YAML allows UTF-16 with a byte order mark, and kubectl, kubeconform and
 * Argo CD read such a manifest (go-yaml decodes it); editors on Windows
 * write `.env` and log files in UTF-16 with or without one.  The loader
 * decodes manifests with a mark; the secret scanner also recognises
 * UTF-16 without a mark by its pattern of NUL bytes.
 */
#ifndef GATE_UTF16_H
#define GATE_UTF16_H

#include <stddef.h>
#include "gate/util.h"

enum gate_utf16 {
	GATE_UTF16_NONE = 0,
	GATE_UTF16_LE,
	GATE_UTF16_BE
};

/* How many leading bytes gate_utf16_detect() looks at without a mark. */
#define GATE_UTF16_PROBE 4096

/*
 * The encoding of buf: by its byte order mark (FF FE little endian, FE FF
 * big endian; *bom_len set to 2), or, when guess is non-zero and there is
 * no mark, by its first GATE_UTF16_PROBE bytes: at least 4 code units of
 * which at least half are one ASCII byte beside a NUL, with the NUL on
 * the same side in at least 9 of 10 of them (*bom_len 0).  A UTF-8 mark
 * (EF BB BF) or text without such a pattern is GATE_UTF16_NONE.
 */
enum gate_utf16 gate_utf16_detect(const char *buf, size_t len, int guess, size_t *bom_len);

/*
 * Decode UTF-16 code units from buf[0..len) as UTF-8 onto out (no mark is
 * skipped here: pass the bytes after it).  An unpaired surrogate becomes
 * U+FFFD, and a U+0000 becomes U+FFFD too (NUL never reaches C strings).
 * When final is 0, a trailing odd byte or a high surrogate that may pair
 * with the next call's first unit is left undecoded.  Returns the number
 * of bytes consumed (all of len when final).
 */
size_t gate_utf16_decode(struct gate_buf *out, const char *buf, size_t len, enum gate_utf16 enc,
	int final);

#endif
