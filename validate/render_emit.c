/*
 * render_emit.c: print rendered objects as kustomize prints them.
 *
 * kustomize marshals each object to JSON and that JSON to YAML with
 * sigs.k8s.io/yaml (go-yaml v2): keys sorted by go-yaml v2's order (runs of
 * digits compare as numbers, letters before other characters), strings that
 * YAML 1.1 would read as something else double-quoted, multi-line strings
 * as literal blocks, integral numbers as integers.  libyaml's emitter (of
 * which go-yaml's is a port) does the layout.
 */
#include "render_int.h"
#include "gate/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* go-yaml v2 keyList.Less on two strings (ASCII letters; others by byte) */
static int is_letter(unsigned char ch)
{
	return isalpha(ch) || ch >= 0x80;
}

static int v2_less(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;

	for (i = 0; i < la && i < lb; i++) {
		unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		int al, bl;
		long long an = 0, bn = 0;
		size_t ai, bi;

		if (ca == cb)
			continue;
		al = is_letter(ca);
		bl = is_letter(cb);
		if (al && bl)
			return ca < cb;
		if (al || bl)
			return bl;
		if (ca == '0' || cb == '0') {
			size_t j;

			for (j = i; j-- > 0 && isdigit((unsigned char)a[j]);)
				if (a[j] != '0') {
					an = 1;
					bn = 1;
					break;
				}
		}
		/* Go's int64 arithmetic wraps: so does ours, through unsigned */
		for (ai = i; ai < la && isdigit((unsigned char)a[ai]); ai++)
			an = (long long)((unsigned long long)an * 10u + (unsigned)(a[ai] - '0'));
		for (bi = i; bi < lb && isdigit((unsigned char)b[bi]); bi++)
			bn = (long long)((unsigned long long)bn * 10u + (unsigned)(b[bi] - '0'));
		if (an != bn)
			return an < bn;
		if (ai != bi)
			return ai < bi;
		return ca < cb;
	}
	return la < lb;
}

static int member_less_cmp(const void *x, const void *y)
{
	const char *a = ((const struct gate_rmember *)x)->key;
	const char *b = ((const struct gate_rmember *)y)->key;

	if (v2_less(a, b))
		return -1;
	if (v2_less(b, a))
		return 1;
	return 0;
}

/* ------------------------------------------------ YAML 1.1 (go-yaml v2) resolve */

static int is_timestamp(const char *s)
{
	int n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	if (n != 4 || s[n] != '-')
		return 0;
	s += 5;
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	if (n < 1 || n > 2 || s[n] != '-')
		return 0;
	s += n + 1;
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	if (n < 1 || n > 2)
		return 0;
	s += n;
	if (!*s)
		return 1;
	return *s == 'T' || *s == 't' || *s == ' ';
}

static int v2_float_syntax(const char *s)
{
	/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
	const char *p = s;
	int d = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			d++;
		if (!d)
			return 0;
	} else {
		for (; isdigit((unsigned char)*p); p++)
			d++;
		if (!d)
			return 0;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		for (d = 0; isdigit((unsigned char)*p); p++)
			d++;
		if (!d)
			return 0;
	}
	return !*p;
}

static int v2_int_syntax(const char *in)
{
	char buf[80];
	size_t j = 0;
	const char *s;

	for (s = in; *s && j < sizeof(buf) - 1; s++)
		if (*s != '_')
			buf[j++] = *s;
	if (*s || !j)
		return 0;
	buf[j] = 0;
	s = buf;
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (s += 2; *s && isxdigit((unsigned char)*s); s++)
			;
		return !*s && s > buf + 2;
	}
	if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		for (s += 2; *s == '0' || *s == '1'; s++)
			;
		return !*s;
	}
	for (; isdigit((unsigned char)*s); s++)
		;
	return !*s;
}

static int is_base60_float(const char *s)
{
	/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
	const char *p = s;
	int groups = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p) || *p == '_')
		p++;
	while (*p == ':') {
		int d = 0;

		p++;
		while (isdigit((unsigned char)*p) && d < 3)
			p++, d++;
		if (!d || d > 2)
			return 0;
		groups++;
	}
	if (!groups)
		return 0;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p) || *p == '_'; p++)
			;
	return !*p;
}

/* would go-yaml v2 read the plain scalar s as anything but a string? */
static int v2_needs_quotes(const char *s)
{
	static const char *const words[] = { "", "~", "null", "Null", "NULL",
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
		".nan", ".NaN", ".NAN", "<<", NULL };
	/* every word begins with one of these bytes (or is "") and has at most 5: most
	 * scalars need no look */
	int i, look = strchr("~nNyYtTfFoO.+-<", s[0]) && strnlen(s, 6) <= 5;

	for (i = 0; look && words[i]; i++)
		if (!strcmp(s, words[i]))
			return 1;
	if (!strchr("+-.0123456789", s[0]))
		return 0;
	return v2_int_syntax(s) || v2_float_syntax(s) || is_timestamp(s) || is_base60_float(s);
}

/* ------------------------------------------------------------------ emitter */

static int write_buf(void *data, unsigned char *buffer, size_t size)
{
	gate_buf_add(data, buffer, size);
	return 1;
}

static void emit_scalar(yaml_emitter_t *e, const char *s, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style);
	yaml_emitter_emit(e, &ev);
}

static void format_float(double d, char *out, size_t size)
{
	int prec;

	if (isnan(d)) {
		snprintf(out, size, ".nan");
		return;
	}
	if (isinf(d)) {
		snprintf(out, size, d < 0 ? "-.inf" : ".inf");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e21) {
		snprintf(out, size, "%.0f", d);
		return;
	}
	/* Go's FormatFloat(f, 'g', -1, 64): shortest digits, exponent when < -4 or >= 21 */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, size, "%.*e", prec - 1, d);
		if (strtod(out, NULL) == d)
			break;
	}
	{
		int exp = atoi(strchr(out, 'e') + 1);

		if (exp >= -4 && exp < 21) {
			int decimals = prec - 1 - exp;

			snprintf(out, size, "%.*f", decimals > 0 ? decimals : 0, d);
		}
	}
}

static void emit_node(yaml_emitter_t *e, const struct gate_rnode *n)
{
	yaml_event_t ev;
	char num[64];
	uint32_t i;

	if (!n) {
		emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
		return;
	}
	switch (n->type) {
	case GATE_RNODE_NULL:
		emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
		break;
	case GATE_RNODE_BOOL:
		emit_scalar(e, n->str, strlen(n->str), YAML_PLAIN_SCALAR_STYLE);
		break;
	case GATE_RNODE_INT: {
		long long v;

		if (rn_int_value(n, &v))
			snprintf(num, sizeof(num), "%lld", v);
		else
			snprintf(num, sizeof(num), "%s", n->str);
		emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
		break;
	}
	case GATE_RNODE_FLOAT:
		format_float(rn_float_value(n), num, sizeof(num));
		emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
		break;
	case GATE_RNODE_STR:
		if (memchr(n->str, '\n', n->len))
			emit_scalar(e, n->str, n->len, YAML_LITERAL_SCALAR_STYLE);
		else if (v2_needs_quotes(n->str))
			emit_scalar(e, n->str, n->len, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		else
			emit_scalar(e, n->str, n->len, YAML_PLAIN_SCALAR_STYLE);
		break;
	case GATE_RNODE_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		yaml_emitter_emit(e, &ev);
		for (i = 0; i < n->len; i++)
			emit_node(e, n->u.items[i]);
		yaml_sequence_end_event_initialize(&ev);
		yaml_emitter_emit(e, &ev);
		break;
	default: {
		struct gate_rmember *m = gate_xreallocarray(NULL, n->len ? n->len : 1, sizeof(*m));

		if (n->len)
			memcpy(m, n->u.members, n->len * sizeof(*m));
		qsort(m, n->len, sizeof(*m), member_less_cmp);
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		yaml_emitter_emit(e, &ev);
		for (i = 0; i < n->len; i++) {
			size_t kl = strlen(m[i].key);

			if (memchr(m[i].key, '\n', kl) || v2_needs_quotes(m[i].key))
				emit_scalar(e, m[i].key, kl, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
			else
				emit_scalar(e, m[i].key, kl, YAML_PLAIN_SCALAR_STYLE);
			emit_node(e, m[i].value);
		}
		yaml_mapping_end_event_initialize(&ev);
		yaml_emitter_emit(e, &ev);
		free(m);
	}
	}
}

void gate_render_emit_node(const struct gate_rnode *n, struct gate_buf *out)
{
	yaml_emitter_t e;
	yaml_event_t ev;

	yaml_emitter_initialize(&e);
	yaml_emitter_set_output(&e, write_buf, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 80);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	yaml_emitter_emit(&e, &ev);
	emit_node(&e, n);
	yaml_document_end_event_initialize(&ev, 1);
	yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	yaml_emitter_emit(&e, &ev);
	yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
}

const char *rn_yaml_string(struct rctx *c, const char *s)
{
	struct gate_rnode *m = rn_new(c, GATE_RNODE_MAP, NULL);
	struct gate_buf b = GATE_BUF_INIT;
	const char *out = s;

	rn_set(c, m, "k", rn_str(c, s, NULL));
	gate_render_emit_node(m, &b);
	/* "k: VALUE\n" when the value fits on one line */
	if (b.len > 4 && !memcmp(b.ptr, "k: ", 3) && b.ptr[b.len - 1] == '\n' &&
	    !memchr(b.ptr, '\n', b.len - 1))
		out = ra_strndup(c, b.ptr + 3, b.len - 4);
	gate_buf_release(&b);
	return out;
}
