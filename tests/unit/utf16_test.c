/*
 * utf16_test: detection by mark and by NUL pattern, decoding (surrogates,
 * unpaired halves, NUL, pieces split anywhere), the escaping of spoofing
 * code points, and the loader reading UTF-16 with a mark.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/utf16.h"
#include "gate/util.h"
#include "../tap.h"

/* UTF-8 s as UTF-16 (le or be), with a mark when bom; returns the byte count */
static size_t encode(char *out, const char *s, int be, int bom)
{
	size_t n = 0;
	const unsigned char *u = (const unsigned char *)s;

	if (bom) {
		out[n++] = be ? '\xfe' : '\xff';
		out[n++] = be ? '\xff' : '\xfe';
	}
	while (*u) {
		unsigned long cp;
		unsigned w[2];
		int k, nw = 1;

		if (*u < 0x80) {
			cp = *u++;
		} else if (*u < 0xe0) {
			cp = ((unsigned long)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
			u += 2;
		} else if (*u < 0xf0) {
			cp = ((unsigned long)(u[0] & 0x0f) << 12) | ((unsigned long)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
			u += 3;
		} else {
			cp = ((unsigned long)(u[0] & 0x07) << 18) | ((unsigned long)(u[1] & 0x3f) << 12) |
				((unsigned long)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
			u += 4;
		}
		if (cp >= 0x10000) {
			w[0] = (unsigned)(0xd800 + ((cp - 0x10000) >> 10));
			w[1] = (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			nw = 2;
		} else {
			w[0] = (unsigned)cp;
		}
		for (k = 0; k < nw; k++) {
			out[n++] = (char)(be ? w[k] >> 8 : w[k] & 0xff);
			out[n++] = (char)(be ? w[k] & 0xff : w[k] >> 8);
		}
	}
	return n;
}

static char *decode_all(const char *buf, size_t len, enum gate_utf16 enc, size_t piece)
{
	struct gate_buf out = GATE_BUF_INIT, carry = GATE_BUF_INIT;
	size_t off = 0;

	while (off < len) {
		size_t n = len - off < piece ? len - off : piece, used;
		gate_buf_add(&carry, buf + off, n);
		off += n;
		used = gate_utf16_decode(&out, carry.ptr, carry.len, enc, off == len);
		memmove(carry.ptr, carry.ptr + used, carry.len - used);
		carry.len -= used;
	}
	gate_buf_release(&carry);
	return gate_buf_detach(&out);
}

static void test_detect(void)
{
	char b[256];
	size_t n, bom;
	const char *text = "AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\n";

	n = encode(b, text, 0, 1);
	ok(gate_utf16_detect(b, n, 0, &bom) == GATE_UTF16_LE && bom == 2, "FF FE: little endian");
	n = encode(b, text, 1, 1);
	ok(gate_utf16_detect(b, n, 0, &bom) == GATE_UTF16_BE && bom == 2, "FE FF: big endian");
	n = encode(b, text, 0, 0);
	ok(gate_utf16_detect(b, n, 0, &bom) == GATE_UTF16_NONE, "no mark, no guess: not UTF-16");
	ok(gate_utf16_detect(b, n, 1, &bom) == GATE_UTF16_LE && bom == 0, "no mark: NUL pattern, little endian");
	n = encode(b, text, 1, 0);
	ok(gate_utf16_detect(b, n, 1, &bom) == GATE_UTF16_BE, "no mark: NUL pattern, big endian");
	ok(gate_utf16_detect(text, strlen(text), 1, &bom) == GATE_UTF16_NONE, "ASCII is not UTF-16");
	ok(gate_utf16_detect("\xef\xbb\xbf" "a: b\n", 8, 1, &bom) == GATE_UTF16_NONE, "a UTF-8 mark is not UTF-16");
	ok(gate_utf16_detect("a\0b\0", 4, 1, &bom) == GATE_UTF16_NONE, "too short to guess");
	memcpy(b, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0", 29);
	ok(gate_utf16_detect(b, 29, 1, &bom) == GATE_UTF16_NONE, "a PNG header is not UTF-16");
}

static void test_decode(void)
{
	char b[256], *s;
	size_t n, piece;
	const char *text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 key\n"; /* é, €, U+1F511 */

	for (piece = 1; piece <= 7; piece++) {
		n = encode(b, text, 0, 0);
		s = decode_all(b, n, GATE_UTF16_LE, piece);
		ok(!strcmp(s, text), "little endian, pieces of %zu bytes: round trip", piece);
		free(s);
		n = encode(b, text, 1, 0);
		s = decode_all(b, n, GATE_UTF16_BE, piece);
		ok(!strcmp(s, text), "big endian, pieces of %zu bytes: round trip", piece);
		free(s);
	}
	/* unpaired halves, NUL and an odd last byte become U+FFFD */
	s = decode_all("\x00\xd8" "a\0" "\x00\xdc" "\0\0" "b", 9, GATE_UTF16_LE, 9);
	ok(!strcmp(s, "\xef\xbf\xbd" "a" "\xef\xbf\xbd" "\xef\xbf\xbd" "\xef\xbf\xbd"),
		"lone surrogates, NUL and an odd byte: replacement characters (%s)", s);
	free(s);
}

static void test_escape(void)
{
	struct gate_buf b = GATE_BUF_INIT;
	const char *in = "a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xc2\x9b" "d\xd8\x9c" "e\xe2\x80\x8f"
		"f\xef\xbb\xbf" "g\x1b[31m" "\xc3\xa9\xff\xc0\xaf" "\xe2\x80\xa8";

	gate_buf_add_escaped(&b, in, strlen(in));
	ok(!strcmp(b.ptr, "a\\u202eb\\u2066c\\u009bd\\u061ce\\u200ff\\ufeffg\\x1b[31m\xc3\xa9\\xff\\xc0\\xaf\\u2028"),
		"bidi, C1, zero-width, ESC, invalid UTF-8 escaped; letters kept: %s", b.ptr);
	gate_buf_release(&b);
}

static void test_loader(void)
{
	char b[512];
	size_t n;
	struct gate_doc *doc = NULL;
	struct gate_doc_error err;
	const char *yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xc3\xa9}\n";

	n = encode(b, yaml, 0, 1);
	ok(gate_doc_parse(&doc, b, n, 1, NULL, 0, &err) == 0 && doc && doc->root &&
		!strcmp(gate_node_get_str(gate_node_get(doc->root, "metadata"), "name"), "caf\xc3\xa9"),
		"UTF-16LE with a mark parses");
	gate_doc_free(doc);
	doc = NULL;
	n = encode(b, yaml, 1, 1);
	ok(gate_doc_parse(&doc, b, n, 1, NULL, 0, &err) == 0 && doc && doc->root &&
		gate_node_get(doc->root, "kind")->line == 2, "UTF-16BE with a mark parses, lines kept");
	gate_doc_free(doc);
	doc = NULL;
	n = encode(b, yaml, 0, 0);
	ok(gate_doc_parse(&doc, b, n, 1, NULL, 0, &err) < 0,
		"UTF-16 without a mark is refused, as go-yaml refuses it: %s", err.message);
}

static int nparts;
static int count_part(const char *part, size_t len, uint32_t line, void *payload)
{
	(void)part;
	(void)len;
	(void)payload;
	nparts += line > 0;
	return 0;
}

static void test_split(void)
{
	char b[512];
	size_t n = encode(b, "a: 1\n---\nb: 2\n---\nc: 3\n", 0, 1);

	nparts = 0;
	gate_doc_split(b, n, count_part, NULL);
	ok(nparts == 3, "a UTF-16 stream splits into its documents (%d)", nparts);
}

int main(void)
{
	test_detect();
	test_decode();
	test_escape();
	test_loader();
	test_split();
	return tap_done();
}
