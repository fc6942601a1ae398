/*
 * doc_input.c: checks and rewrites of the loader's input text before libyaml
 * sees it: characters libyaml rejects, positions of byte offsets, and JSON
 * surrogate pairs.  Private to the doc module.
 */
#include "doc_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

/* ------------------------------------------------------ input checks */

/* Line and column (characters) of byte offset off. */
void gate_doc__offset_linecol(const char *s, size_t off, uint32_t *line, uint32_t *col)
{
	size_t i, l = 1, start = 0, cols = 1;

	for (i = 0; i < off; i++)
		if (s[i] == '\n') {
			l++;
			start = i + 1;
		}
	for (i = start; i < off; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cols++;
	*line = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
	*col = cols > UINT32_MAX ? UINT32_MAX : (uint32_t)cols;
}

/*
 * Check that s holds only characters libyaml accepts: valid UTF-8 without
 * NUL, C0 controls other than tab/LF/CR, DEL, C1 controls other than NEL,
 * U+FFFE and U+FFFF.  Printable ASCII is checked eight bytes at a time.
 */
int gate_doc__prescan(const unsigned char *s, size_t n, size_t *off, uint32_t *cp)
{
	const uint64_t hi = 0x8080808080808080ull, ones = 0x0101010101010101ull;
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
	size_t i = 0;

#define BYTES_EQ(w, c) (~(((((w) ^ ((c) * ones)) & low7) + low7) | ((w) ^ ((c) * ones))) & hi)
	while (i < n) {
		size_t stop;
		while (i + 8 <= n) {
			uint64_t w, bad;
			memcpy(&w, s + i, 8);
			if (w & hi)
				break;
			/* exact per byte: below 0x20 but not tab, LF or CR; or DEL */
			bad = ~(w + 0x60 * ones) & hi;
			bad &= ~(BYTES_EQ(w, 0x0a) | BYTES_EQ(w, 0x09) | BYTES_EQ(w, 0x0d));
			bad |= BYTES_EQ(w, 0x7f);
			if (bad)
				break;
			i += 8;
		}
		stop = i + 8 < n ? i + 8 : n;
		while (i < stop) {
			unsigned c = s[i], c1, c2, c3;
			uint32_t v;
			if (c >= 0x20 && c < 0x7f) {
				i++;
				continue;
			}
			if (c == '\n' || c == '\t' || c == '\r') {
				i++;
				continue;
			}
			*off = i;
			*cp = c;
			if (c < 0x80)
				return SCAN_CTRL;
			c1 = i + 1 < n ? s[i + 1] : 0;
			if (c >= 0xc2 && c <= 0xdf) {
				if ((c1 & 0xc0) != 0x80)
					return SCAN_UTF8;
				v = ((c & 0x1f) << 6) | (c1 & 0x3f);
				*cp = v;
				if (v < 0xa0 && v != 0x85)
					return SCAN_CTRL;
				i += 2;
				continue;
			}
			c2 = i + 2 < n ? s[i + 2] : 0;
			if (c >= 0xe0 && c <= 0xef) {
				if ((c1 & 0xc0) != 0x80 || (c2 & 0xc0) != 0x80 ||
				    (c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f))
					return SCAN_UTF8;
				v = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
				*cp = v;
				if (v == 0xfffe || v == 0xffff)
					return SCAN_NONCHAR;
				i += 3;
				continue;
			}
			c3 = i + 3 < n ? s[i + 3] : 0;
			if (c >= 0xf0 && c <= 0xf4) {
				if ((c1 & 0xc0) != 0x80 || (c2 & 0xc0) != 0x80 || (c3 & 0xc0) != 0x80 ||
				    (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
					return SCAN_UTF8;
				i += 4;
				continue;
			}
			return SCAN_UTF8;
		}
	}
#undef BYTES_EQ
	return SCAN_OK;
}


/*
 * JSON allows a character outside the BMP as a surrogate pair of \u escapes
 * ("\ud83d\udca9"); YAML (and libyaml) do not.  For input that looks like JSON (its
 * first non-blank byte opens an object, an array or a string), rewrite each such pair
 * inside strings as the YAML escape \UXXXXXXXX.  Returns a new buffer (caller
 * frees) or NULL when nothing needs rewriting.  Columns after a rewritten pair
 * on the same line shift left by two.
 */
static int hex4(const char *p, unsigned *v)
{
	unsigned x = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char ch = p[i];
		x <<= 4;
		if (ch >= '0' && ch <= '9')
			x |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			x |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			x |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

/* The first non-blank byte opens an object, an array or a string. */
int gate_doc__json_looking(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i < len && (buf[i] == '{' || buf[i] == '[' || buf[i] == '"');
}

char *gate_doc__json_join_surrogates(const char *buf, size_t len, size_t *outlen)
{
	struct gate_buf b = GATE_BUF_INIT;
	size_t i = 0, copied = 0;
	int in_str = 0;

	if (!gate_doc__json_looking(buf, len))
		return NULL;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	for (; i < len; i++) {
		unsigned hi, lo;
		if (!in_str) {
			if (buf[i] == '"')
				in_str = 1;
			continue;
		}
		if (buf[i] == '"') {
			in_str = 0;
			continue;
		}
		if (buf[i] != '\\' || i + 1 >= len)
			continue;
		if (buf[i + 1] == 'u' && i + 12 <= len && hex4(buf + i + 2, &hi) == 0 &&
		    hi >= 0xd800 && hi <= 0xdbff && buf[i + 6] == '\\' && buf[i + 7] == 'u' &&
		    hex4(buf + i + 8, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
			unsigned cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
			gate_buf_add(&b, buf + copied, i - copied);
			gate_buf_addf(&b, "\\U%08X", cp);
			i += 11;
			copied = i + 1;
			continue;
		}
		i++; /* skip the escaped character */
	}
	if (!b.ptr)
		return NULL;
	gate_buf_add(&b, buf + copied, len - copied);
	*outlen = b.len;
	return gate_buf_detach(&b);
}
