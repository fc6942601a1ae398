/*
 * store_json.c: the schema store's fast reader of JSON schema files (see
 * gate_store_json_fast() in store_int.h).  Private to the store.
 */
#include <errno.h>
#include <jansson.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "store_int.h"

/*
 * Schema files are big (a standalone Kubernetes schema is 0.2-0.7 MB, most of
 * it descriptions) and jansson's json_loadb() reads them byte by byte through
 * its stream layer: loading took about four times as long as compiling.
 * fast_load() parses the same JSON straight from the buffer into the same
 * jansson values (json_loadb with flags 0: an object or array at the top,
 * duplicate keys replace earlier ones, integers as json_int_t, other numbers
 * as doubles read in the C locale).  It accepts a subset of what json_loadb()
 * accepts and gives up (NULL) on anything else: invalid or unusual input
 * (bad UTF-8, "\u0000", deep nesting, huge numbers) is then parsed by
 * json_loadb(), which gives its own answer and error message.
 */
#define FAST_MAX_DEPTH 512
#define FAST_MAX_NUMBER 64

struct fastp {
	const unsigned char *p, *end;
	struct gate_buf tmp; /* unescaped strings */
};

static json_t *fast_value(struct fastp *f, int depth);

static void fast_ws(struct fastp *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
		f->p++;
}

/* Length of the valid UTF-8 sequence of 2-4 bytes at p (lead >= 0x80), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, i;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct gate_buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		gate_buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		gate_buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		gate_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		gate_buf_add(b, u, 4);
	}
}

/*
 * The string at f->p (just after its opening quote).  Sets *s and *len to
 * the text: into the input when it has no escapes, else into f->tmp.
 * Returns 0, or -1 to give up.
 */
static int fast_string(struct fastp *f, const char **s, size_t *len)
{
	const unsigned char *p = f->p, *start = p;
	int escaped = 0;

	gate_buf_reset(&f->tmp);
	for (;;) {
		unsigned c;

		/* the plain run */
		while (p < f->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= f->end)
			return -1;
		c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c >= 0x80) {
			size_t n = utf8_len(p, f->end);
			if (!n)
				return -1;
			p += n;
			continue;
		}
		/* a backslash: keep what came before, then the unescaped character */
		gate_buf_add(&f->tmp, start, (size_t)(p - start));
		escaped = 1;
		if (f->end - p < 2)
			return -1;
		switch (p[1]) {
		case '"': case '\\': case '/':
			gate_buf_addc(&f->tmp, (char)p[1]);
			break;
		case 'b': gate_buf_addc(&f->tmp, '\b'); break;
		case 'f': gate_buf_addc(&f->tmp, '\f'); break;
		case 'n': gate_buf_addc(&f->tmp, '\n'); break;
		case 'r': gate_buf_addc(&f->tmp, '\r'); break;
		case 't': gate_buf_addc(&f->tmp, '\t'); break;
		case 'u': {
			uint32_t cp, lo;
			if (f->end - p < 6 || hex4(p + 2, &cp) < 0 || cp == 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (f->end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    hex4(p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			put_utf8(&f->tmp, cp);
			p += 4;
			break;
		}
		default:
			return -1;
		}
		p += 2;
		start = p;
	}
	if (escaped) {
		gate_buf_add(&f->tmp, start, (size_t)(p - start));
		*s = f->tmp.ptr;
		*len = f->tmp.len;
	} else {
		*s = (const char *)f->p;
		*len = (size_t)(p - f->p);
	}
	f->p = p + 1;
	return 0;
}

static json_t *fast_number(struct fastp *f)
{
	const unsigned char *p = f->p, *start = p;
	char num[FAST_MAX_NUMBER + 1], *endp;
	int real = 0;
	size_t n;

	if (p < f->end && *p == '-')
		p++;
	if (p >= f->end)
		return NULL;
	if (*p == '0') {
		p++;
		if (p < f->end && *p >= '0' && *p <= '9')
			return NULL;
	} else if (*p >= '1' && *p <= '9') {
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < f->end && *p == '.') {
		real = 1;
		p++;
		if (p >= f->end || *p < '0' || *p > '9')
			return NULL;
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < f->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < f->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= f->end || *p < '0' || *p > '9')
			return NULL;
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - start);
	if (n > FAST_MAX_NUMBER)
		return NULL;
	memcpy(num, start, n);
	num[n] = '\0';
	errno = 0;
	if (!real) {
		long long v = strtoll(num, &endp, 10);
		if (errno || *endp)
			return NULL;
		f->p = p;
		return json_integer((json_int_t)v);
	} else {
		/* the caller made the C locale current: '.' is the decimal point */
		double d = strtod(num, &endp);
		if (errno || *endp)
			return NULL;
		f->p = p;
		return json_real(d);
	}
}

static json_t *fast_object(struct fastp *f, int depth)
{
	json_t *obj = json_object();

	if (!obj)
		return NULL;
	fast_ws(f);
	if (f->p < f->end && *f->p == '}') {
		f->p++;
		return obj;
	}
	for (;;) {
		const char *key;
		size_t klen;
		char *kcopy = NULL;
		json_t *val;

		if (f->p >= f->end || *f->p != '"')
			goto fail;
		f->p++;
		if (fast_string(f, &key, &klen) < 0 || memchr(key, '\0', klen))
			goto fail;
		if (key == f->tmp.ptr)
			key = kcopy = gate_xstrndup(key, klen);  /* f->tmp is reused by the value */
		fast_ws(f);
		if (f->p >= f->end || *f->p != ':') {
			free(kcopy);
			goto fail;
		}
		f->p++;
		val = fast_value(f, depth + 1);
		if (!val || json_object_setn_new_nocheck(obj, key, klen, val) < 0) {
			free(kcopy);
			goto fail;
		}
		free(kcopy);
		fast_ws(f);
		if (f->p >= f->end)
			goto fail;
		if (*f->p == '}') {
			f->p++;
			return obj;
		}
		if (*f->p != ',')
			goto fail;
		f->p++;
		fast_ws(f);
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *fast_array(struct fastp *f, int depth)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	fast_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return arr;
	}
	for (;;) {
		json_t *val = fast_value(f, depth + 1);

		if (!val || json_array_append_new(arr, val) < 0)
			goto fail;
		fast_ws(f);
		if (f->p >= f->end)
			goto fail;
		if (*f->p == ']') {
			f->p++;
			return arr;
		}
		if (*f->p != ',')
			goto fail;
		f->p++;
	}
fail:
	json_decref(arr);
	return NULL;
}

static json_t *fast_value(struct fastp *f, int depth)
{
	const char *s;
	size_t len;

	if (depth > FAST_MAX_DEPTH)
		return NULL;
	fast_ws(f);
	if (f->p >= f->end)
		return NULL;
	switch (*f->p) {
	case '{':
		f->p++;
		return fast_object(f, depth);
	case '[':
		f->p++;
		return fast_array(f, depth);
	case '"':
		f->p++;
		if (fast_string(f, &s, &len) < 0 || memchr(s, '\0', len))
			return NULL;
		return json_stringn_nocheck(s, len);
	case 't':
		if (f->end - f->p >= 4 && !memcmp(f->p, "true", 4)) {
			f->p += 4;
			return json_true();
		}
		return NULL;
	case 'f':
		if (f->end - f->p >= 5 && !memcmp(f->p, "false", 5)) {
			f->p += 5;
			return json_false();
		}
		return NULL;
	case 'n':
		if (f->end - f->p >= 4 && !memcmp(f->p, "null", 4)) {
			f->p += 4;
			return json_null();
		}
		return NULL;
	default:
		return fast_number(f);
	}
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale = (locale_t)0;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* A new reference to the JSON value of buf, or NULL: parse with json_loadb(). */
static json_t *fast_load(const char *buf, size_t len)
{
	struct fastp f;
	locale_t old;
	json_t *root = NULL;

	pthread_once(&c_locale_once, make_c_locale);
	if (!c_locale || !(old = uselocale(c_locale)))
		return NULL;
	f.p = (const unsigned char *)buf;
	f.end = f.p + len;
	f.tmp = (struct gate_buf)GATE_BUF_INIT;
	fast_ws(&f);
	if (f.p < f.end && (*f.p == '{' || *f.p == '['))
		root = fast_value(&f, 0);
	fast_ws(&f);
	if (root && f.p != f.end) {
		json_decref(root);
		root = NULL;
	}
	gate_buf_release(&f.tmp);
	uselocale(old);
	return root;
}

json_t *gate_store_json_fast(const char *buf, size_t len)
{
	return fast_load(buf, len);
}
