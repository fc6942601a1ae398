/*
 * utf16: detection by byte order mark or NUL pattern, and decoding to UTF-8.
 */
#include "gate/utf16.h"

#include <string.h>

enum gate_utf16 gate_utf16_detect(const char *buf, size_t len, int guess, size_t *bom_len)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t i, pairs, le = 0, be = 0;

	*bom_len = 0;
	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		*bom_len = 2;
		return GATE_UTF16_LE;
	}
	if (len >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		*bom_len = 2;
		return GATE_UTF16_BE;
	}
	if (!guess)
		return GATE_UTF16_NONE;
	if (len > GATE_UTF16_PROBE)
		len = GATE_UTF16_PROBE;
	pairs = len / 2;
	for (i = 0; i + 1 < len; i += 2) {
		if (u[i] && u[i] < 0x80 && !u[i + 1])
			le++;
		else if (!u[i] && u[i + 1] && u[i + 1] < 0x80)
			be++;
	}
	if (pairs < 4)
		return GATE_UTF16_NONE;
	if (le * 2 >= pairs && le >= 9 * be)
		return GATE_UTF16_LE;
	if (be * 2 >= pairs && be >= 9 * le)
		return GATE_UTF16_BE;
	return GATE_UTF16_NONE;
}

static void put_utf8(struct gate_buf *out, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	gate_buf_add(out, b, n);
}

size_t gate_utf16_decode(struct gate_buf *out, const char *buf, size_t len, enum gate_utf16 enc,
	int final)
{
	const unsigned char *u = (const unsigned char *)buf;
	int le = enc != GATE_UTF16_BE;
	size_t i = 0;

	gate_buf_grow(out, len + len / 2 + 4);
	while (i + 1 < len) {
		unsigned long w = le ? (unsigned long)u[i] | ((unsigned long)u[i + 1] << 8) :
			((unsigned long)u[i] << 8) | u[i + 1];

		if (w >= 0xd800 && w <= 0xdbff) {
			unsigned long w2;

			if (i + 3 >= len) {
				if (!final)
					return i;
				put_utf8(out, 0xfffd);
				i += 2;
				continue;
			}
			w2 = le ? (unsigned long)u[i + 2] | ((unsigned long)u[i + 3] << 8) :
				((unsigned long)u[i + 2] << 8) | u[i + 3];
			if (w2 >= 0xdc00 && w2 <= 0xdfff) {
				put_utf8(out, 0x10000 + ((w - 0xd800) << 10) + (w2 - 0xdc00));
				i += 4;
				continue;
			}
		}
		put_utf8(out, w);
		i += 2;
	}
	if (i < len && final) {
		put_utf8(out, 0xfffd);
		i = len;
	}
	return i;
}
