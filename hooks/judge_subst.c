/*
 * judge_subst.c: Flux's post-build variable substitution (kustomize-controller
 * runs fluxcd/pkg/envsubst on each rendered object's YAML), for the
 * deployment roots of judge_render.c.  The grammar and the functions follow
 * that envsubst (a fork of drone/envsubst), errors included: a malformed
 * ${...} fails the build in the cluster, and so here.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/render.h"
#include "gate/util.h"
#include "judge_int.h"

#define MAX_NEST 64

struct subst {
	const char *vars;
	int undefined;    /* SUBST_* */
	const char *p, *end;
	int depth;
	char *err;
	size_t errsize;
	char *var;
	size_t varsize;
};

/* The value of name in vars ("name=value\n" lines), or NULL. */
static const char *subst_get(const char *vars, const char *name, size_t nlen, size_t *vlen)
{
	const char *p = vars;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			*vlen = (size_t)(nl - p) - nlen - 1;
			return p + nlen + 1;
		}
		p = nl + 1;
	}
	return NULL;
}

/* envsubst's identifier: letters, digits, '_' (bytes of UTF-8 sequences count as letters) */
static int is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		c >= 0x80;
}

static int fail(struct subst *s, const char *what)
{
	if (!*s->err)
		snprintf(s->err, s->errsize, "variable substitution failed: %s", what);
	return -1;
}

static int parse_func(struct subst *s, struct gate_buf *out);

/*
 * One parameter of a function: a nested ${...}, or text up to a byte of
 * stop (or "${").  Empty text is an error, as in envsubst.  esc: "$$" and
 * "\/", "\\" are escapes (the replace function's parameters).
 */
static int parse_param(struct subst *s, const char *stop, int esc, struct gate_buf *out)
{
	size_t n = 0;

	if (s->p + 1 < s->end && s->p[0] == '$' && s->p[1] == '{') {
		s->p += 2;
		return parse_func(s, out);
	}
	while (s->p < s->end && !strchr(stop, *s->p)) {
		if (s->p + 1 < s->end && s->p[0] == '$' && s->p[1] == '{')
			break;
		if (esc && s->p + 1 < s->end && ((s->p[0] == '$' && s->p[1] == '$') ||
		    (s->p[0] == '\\' && (s->p[1] == '/' || s->p[1] == '\\'))))
			s->p++;
		gate_buf_addc(out, *s->p++);
		n++;
	}
	if (!n)
		return fail(s, "unable to parse substitution within function");
	return 0;
}

static int expect_close(struct subst *s)
{
	if (s->p >= s->end || *s->p != '}')
		return fail(s, "bad substitution");
	s->p++;
	return 0;
}

static void ascii_case(struct gate_buf *b, size_t from, size_t to, int upper)
{
	size_t i;

	for (i = from; i < to && i < b->len; i++) {
		char c = b->ptr[i];
		if (upper && c >= 'a' && c <= 'z')
			b->ptr[i] = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			b->ptr[i] = (char)(c - 'A' + 'a');
	}
}

/* shell-pattern prefix trimming (path.Match semantics, approximately fnmatch with FNM_PATHNAME) */
static size_t match_prefix(const char *v, size_t vlen, const char *pat, int longest)
{
	size_t i, best = 0;
	char *cut;

	for (i = vlen; i > 0; i--) {
		int m;
		cut = gate_xstrndup(v, i);
		m = fnmatch(pat, cut, FNM_PATHNAME) == 0;
		free(cut);
		if (m) {
			if (longest)
				return i;
			best = i;
		}
	}
	return best;
}

static char *reversed(const char *s, size_t len)
{
	char *r = gate_xmalloc(len + 1);
	size_t i;

	for (i = 0; i < len; i++)
		r[i] = s[len - 1 - i];
	r[len] = '\0';
	return r;
}

static long to_long(const char *s, int *ok)
{
	char *e;
	long v = strtol(s, &e, 10);

	*ok = *s && !*e;
	return v;
}

/* Apply function op to value v (vlen bytes) with args (NUL-separated in a, na of them). */
static void apply(const char *op, const char *v, size_t vlen, char **args, size_t na, struct gate_buf *out)
{
	size_t start = out->len;

	if (!strcmp(op, ",") || !strcmp(op, ",,") || !strcmp(op, "^") || !strcmp(op, "^^")) {
		gate_buf_add(out, v, vlen);
		ascii_case(out, start, op[1] ? out->len : start + (vlen ? 1 : 0), op[0] == '^');
	} else if (!strcmp(op, "#len")) {
		gate_buf_addf(out, "%zu", vlen);
	} else if (!strcmp(op, "#") || !strcmp(op, "##")) {
		size_t cut = na ? match_prefix(v, vlen, args[0], op[1] != '\0') : 0;
		gate_buf_add(out, v + cut, vlen - cut);
	} else if (!strcmp(op, "%") || !strcmp(op, "%%")) {
		char *rv = reversed(v, vlen), *rp = na ? reversed(args[0], strlen(args[0])) : NULL;
		size_t cut = na ? match_prefix(rv, vlen, rp, op[1] != '\0') : 0;
		gate_buf_add(out, v, vlen - cut);
		free(rv);
		free(rp);
	} else if (!strcmp(op, ":")) {
		int ok;
		long pos = to_long(args[0], &ok), len;
		if (!ok) {
			gate_buf_add(out, v, vlen);
			return;
		}
		if (pos < 0 && (pos += (long)vlen) < 0)
			pos = 0;
		if (na < 2) {
			if ((size_t)pos < vlen)
				gate_buf_add(out, v + pos, vlen - (size_t)pos);
			return;
		}
		len = to_long(args[1], &ok);
		if (!ok)
			gate_buf_add(out, v, vlen);
		else if (pos + len >= (long)vlen)
			gate_buf_add(out, v + ((size_t)pos < vlen ? (size_t)pos : vlen),
				(size_t)pos < vlen ? vlen - (size_t)pos : 0);
		else if (len > 0)
			gate_buf_add(out, v + pos, (size_t)len);
	} else if (op[0] == '/') {
		const char *pat = args[0], *rep = na > 1 ? args[1] : "";
		size_t pl = strlen(pat);
		const char *q = v, *vend = v + vlen;
		int all = !strcmp(op, "//");
		if (!strcmp(op, "/#") || !strcmp(op, "/%")) {
			int pre = op[1] == '#';
			if (na != 2 || vlen < pl || memcmp(pre ? v : vend - pl, pat, pl)) {
				gate_buf_add(out, v, vlen);
			} else if (pre) {
				gate_buf_adds(out, rep);
				gate_buf_add(out, v + pl, vlen - pl);
			} else {
				gate_buf_add(out, v, vlen - pl);
				gate_buf_adds(out, rep);
			}
			return;
		}
		while (q <= vend) {
			const char *hit = NULL, *x;
			for (x = q; pl && x + pl <= vend; x++)
				if (!memcmp(x, pat, pl)) {
					hit = x;
					break;
				}
			if (!pl && q < vend)
				hit = q; /* Go's Replace with an empty old string: before each rune */
			if (!hit) {
				gate_buf_add(out, q, (size_t)(vend - q));
				break;
			}
			gate_buf_add(out, q, (size_t)(hit - q));
			gate_buf_adds(out, rep);
			if (!pl)
				gate_buf_addc(out, *hit++);
			q = hit + pl;
			if (!all) {
				gate_buf_add(out, q, (size_t)(vend - q));
				break;
			}
		}
	} else {
		/* the default operators: the value, or the arguments when it is empty */
		size_t i;
		if (vlen || !na)
			gate_buf_add(out, v, vlen);
		else
			for (i = 0; i < na; i++)
				gate_buf_adds(out, args[i]);
	}
}

static int is_default_op(const char *op)
{
	return !strcmp(op, "=") || (op[0] == ':' && op[1] && strchr("=-?+", op[1]));
}

/* Read op: 1 or 2 bytes of set (the second from set2, NULL: the same as set). */
static void read_op(struct subst *s, char op[8], const char *set2)
{
	size_t k = 0;

	op[k++] = *s->p++;
	if (s->p < s->end && *s->p && strchr(set2 ? set2 : op, *s->p))
		op[k++] = *s->p++;
	op[k] = '\0';
}

/* After "${": the function up to its "}", evaluated into out. */
static int parse_func(struct subst *s, struct gate_buf *out)
{
	const char *start = s->p - 2; /* the "${" */
	char op[8] = "", *args[2] = { NULL, NULL };
	struct gate_buf a = GATE_BUF_INIT;
	const char *name;
	size_t nlen = 0, na = 0, vlen = 0, i;
	const char *v;
	int error = 0;

	if (++s->depth > MAX_NEST)
		return fail(s, "substitutions nested too deep");
	if (s->p < s->end && *s->p == '#') {
		s->p++;
		snprintf(op, sizeof(op), "#len");
	}
	name = s->p;
	while (s->p < s->end && is_ident((unsigned char)*s->p))
		s->p++;
	nlen = (size_t)(s->p - name);
	if (!nlen) {
		error = fail(s, op[0] ? "bad substitution" : "unable to parse variable name");
		goto done;
	}
	if (op[0]) {
		if ((error = expect_close(s)) < 0)
			goto done;
	} else if (s->p >= s->end) {
		error = fail(s, "missing closing brace");
		goto done;
	} else if (*s->p == '}') {
		s->p++;
	} else if (*s->p == ':' || *s->p == '=') {
		if (*s->p == '=' || (s->p + 1 < s->end && strchr("=-?+", s->p[1]))) {
			/* ${name=word}, ${name:=word}, ${name:-word}, ${name:?word}, ${name:+word} */
			read_op(s, op, *s->p == '=' ? "" : "=-?+");
			while (s->p < s->end && *s->p != '}') {
				if ((error = parse_param(s, "}", 0, &a)) < 0)
					goto done;
				na = 1; /* the parameters, joined */
			}
			if (na)
				gate_buf_addc(&a, '\0');
			if ((error = expect_close(s)) < 0)
				goto done;
		} else {
			/* ${name:offset} and ${name:offset:length} */
			s->p++;
			snprintf(op, sizeof(op), ":");
			if ((error = parse_param(s, ":}", 0, &a)) < 0)
				goto done;
			gate_buf_addc(&a, '\0');
			na = 1;
			if (s->p < s->end && *s->p == ':') {
				s->p++;
				if ((error = parse_param(s, "}", 0, &a)) < 0)
					goto done;
				gate_buf_addc(&a, '\0');
				na = 2;
			}
			if ((error = expect_close(s)) < 0)
				goto done;
		}
	} else if (*s->p == ',' || *s->p == '^') {
		read_op(s, op, NULL);
		if ((error = expect_close(s)) < 0)
			goto done;
	} else if (*s->p == '#' || *s->p == '%') {
		read_op(s, op, NULL);
		if ((error = parse_param(s, "}", 0, &a)) < 0 || (error = expect_close(s)) < 0)
			goto done;
		gate_buf_addc(&a, '\0');
		na = 1;
	} else if (*s->p == '/') {
		read_op(s, op, "/#%");
		if ((error = parse_param(s, "/", 1, &a)) < 0)
			goto done;
		gate_buf_addc(&a, '\0');
		na = 1;
		if (s->p >= s->end || *s->p != '/') {
			error = fail(s, "bad substitution");
			goto done;
		}
		s->p++;
		if (s->p < s->end && *s->p != '}') {
			if ((error = parse_param(s, "}", 1, &a)) < 0)
				goto done;
			gate_buf_addc(&a, '\0');
			na = 2;
		}
		if ((error = expect_close(s)) < 0)
			goto done;
	} else {
		error = fail(s, "missing closing brace");
		goto done;
	}
	for (i = 0; i < na; i++)
		args[i] = i ? args[i - 1] + strlen(args[i - 1]) + 1 : a.ptr;
	v = subst_get(s->vars, name, nlen, &vlen);
	if (!v && s->undefined == SUBST_KEEP && !is_default_op(op)) {
		/* unknown: left as written */
		gate_buf_add(out, start, (size_t)(s->p - start));
		goto done;
	}
	if (!v && s->undefined == SUBST_ERROR && !is_default_op(op)) {
		if (!*s->err)
			snprintf(s->err, s->errsize, "variable not set (strict mode): \"%.*s\"", (int)nlen, name);
		snprintf(s->var, s->varsize, "%.*s", (int)nlen, name);
		error = -1;
		goto done;
	}
	apply(op[0] ? op : "", v ? v : "", v ? vlen : 0, args, na, out);
done:
	s->depth--;
	gate_buf_release(&a);
	return error;
}

int gate_judge__flux_substitute(const char *vars, int undefined, const struct gate_buf *in, struct gate_buf *out,
	char *err, size_t errsize, char *var, size_t varsize)
{
	struct subst s;

	memset(&s, 0, sizeof(s));
	s.vars = vars ? vars : "";
	s.undefined = undefined;
	s.p = in->ptr ? in->ptr : "";
	s.end = s.p + in->len;
	s.err = err;
	s.errsize = errsize;
	s.var = var;
	s.varsize = varsize;
	*err = '\0';
	*var = '\0';
	while (s.p < s.end) {
		if (s.p[0] == '$' && s.p + 1 < s.end && s.p[1] == '$') {
			gate_buf_addc(out, '$');
			s.p += 2;
		} else if (s.p[0] == '$' && s.p + 1 < s.end && s.p[1] == '{') {
			s.p += 2;
			if (parse_func(&s, out) < 0)
				return -1;
		} else {
			gate_buf_addc(out, *s.p++);
		}
	}
	return 0;
}

/* kustomize-controller's var name rule: ^[_[:alpha:]][_[:alpha:][:digit:]]*$ */
int gate_judge__subst_name_ok(const char *name, size_t len)
{
	size_t i;

	if (!len || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_ident((unsigned char)name[i]) || (unsigned char)name[i] >= 0x80)
			return 0;
	return 1;
}

/* The first node of n (keys included) whose text holds needle: where a substitution failed. */
static const struct gate_rnode *find_text(const struct gate_rnode *n, const char *needle, uint32_t *line,
	uint32_t *col, int depth)
{
	size_t i;

	if (depth > 100)
		return NULL;
	if (n->type == GATE_RNODE_MAP) {
		for (i = 0; i < n->len; i++) {
			const struct gate_rnode *f;
			if (strstr(n->u.members[i].key, needle) && n->u.members[i].line) {
				*line = n->u.members[i].line;
				*col = n->u.members[i].col;
				return n->u.members[i].value;
			}
			if ((f = find_text(n->u.members[i].value, needle, line, col, depth + 1)))
				return f;
		}
	} else if (n->type == GATE_RNODE_SEQ) {
		for (i = 0; i < n->len; i++) {
			const struct gate_rnode *f = find_text(n->u.items[i], needle, line, col, depth + 1);
			if (f)
				return f;
		}
	} else if (n->str && strstr(n->str, needle) && n->file) {
		*line = n->line;
		*col = n->col;
		return n;
	}
	return NULL;
}

void gate_judge__subst_where(const struct gate_rnode *obj, const char *var, struct gate_subst_where *w)
{
	char needle[300];
	const struct gate_rnode *at;
	size_t i, k;

	memset(w, 0, sizeof(*w));
	w->file = obj->file;
	w->line = obj->line;
	snprintf(needle, sizeof(needle), "${%s", var);
	if ((at = find_text(obj, *var ? needle : "${", &w->line, &w->col, 0)) && at->file)
		w->file = at->file;
	for (i = 0; obj->type == GATE_RNODE_MAP && i < obj->len; i++) {
		const struct gate_rnode *v = obj->u.members[i].value;
		if (!strcmp(obj->u.members[i].key, "kind"))
			w->kind = v->str;
		else if (!strcmp(obj->u.members[i].key, "metadata"))
			for (k = 0; v->type == GATE_RNODE_MAP && k < v->len; k++)
				if (!strcmp(v->u.members[k].key, "name"))
					w->name = v->u.members[k].value->str;
	}
}
