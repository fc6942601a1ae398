/*
 * policy_rules: custom rules from policy files.  A rule selects objects
 * (kinds, groups, namespaces, names, path globs, labels), walks a field path
 * with wildcards (spec.template.spec.containers[*].image) and tests what it
 * finds: exists, absent, equals, in, regex, range.
 *
 * Wildcards expand over the arrays and objects present.  Each expansion ends
 * either on a value (present) or at the first missing step (absent): `exists`
 * fails on every absent end, `absent` on every present one, and the value
 * conditions test every present end (absent ones pass).
 */
#include "policy_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 64
#define MAX_VISITS 100000   /* nodes visited per rule and resource */
#define MAX_RULE_PROBLEMS 50 /* problems per rule and resource */

int policy_match_path(const struct strlist *globs, const char *filename)
{
	size_t i;

	if (!filename)
		return 0;
	while (filename[0] == '.' && filename[1] == '/')
		filename += 2;
	for (i = 0; i < globs->n; i++)
		if (gate_glob_match(globs->v[i], filename))
			return 1;
	return 0;
}

static int glob_any(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (gate_glob_match(l->v[i], s))
			return 1;
	return 0;
}

int policy_match(const struct match *m, const struct pctx *c)
{
	size_t i;

	if (m->paths.n && !policy_match_path(&m->paths, c->filename))
		return 0;
	if (!c->id)
		return m->only_paths;
	if (m->kinds.n) {
		for (i = 0; i < m->kinds.n; i++)
			if (c->id->kind && !strcmp(m->kinds.v[i], c->id->kind))
				break;
		if (i == m->kinds.n)
			return 0;
	}
	if (m->groups.n) {
		for (i = 0; i < m->groups.n; i++) {
			const char *g = m->groups.v[i];
			if (!strcmp(g, "core"))
				g = "";
			if (!strcmp(g, c->id->group))
				break;
		}
		if (i == m->groups.n)
			return 0;
	}
	if (m->namespaces.n && !glob_any(&m->namespaces, c->id->namespace_ ? c->id->namespace_ : ""))
		return 0;
	if (m->names.n && !glob_any(&m->names, c->id->name ? c->id->name : ""))
		return 0;
	if (m->labels) {
		for (i = 0; i < m->labels->len; i++) {
			const struct gate_member *want = &m->labels->u.members[i];
			const char *have = c->labels && c->labels->type == GATE_NODE_OBJECT ?
				gate_node_get_str(c->labels, want->key) : NULL;

			if (!have)
				return 0;
			if (want->value.type == GATE_NODE_STRING && strcmp(have, want->value.u.str))
				return 0;
		}
	}
	return 1;
}

int policy_path_parse(struct gate_policy *p, const char *text, struct step **steps,
	size_t *nsteps, char *err, size_t errsize)
{
	struct step *v = policy_pool_add(p, gate_xcalloc(MAX_STEPS, sizeof(*v)));
	const char *s = text;
	size_t n = 0;

	if (*s == '.')
		s++;
	if (!*s) {
		snprintf(err, errsize, "empty field path");
		return -1;
	}
	while (*s) {
		if (n == MAX_STEPS) {
			snprintf(err, errsize, "more than %d steps", MAX_STEPS);
			return -1;
		}
		if (*s == '[') {
			s++;
			if (s[0] == '*' && s[1] == ']') {
				v[n++].kind = STEP_ANY;
				s += 2;
			} else if (*s >= '0' && *s <= '9') {
				char *end;
				unsigned long idx = strtoul(s, &end, 10);
				if (*end != ']' || idx > 1000000) {
					snprintf(err, errsize, "bad index at offset %zu", (size_t)(s - text));
					return -1;
				}
				v[n].kind = STEP_INDEX;
				v[n++].index = idx;
				s = end + 1;
			} else if (*s == '"' || *s == '\'') {
				char q = *s++;
				const char *e = strchr(s, q);
				if (!e || e[1] != ']' || e == s) {
					snprintf(err, errsize, "unterminated quoted key at offset %zu",
						(size_t)(s - text));
					return -1;
				}
				v[n].kind = STEP_KEY;
				v[n++].key = policy_pool_add(p, gate_xstrndup(s, (size_t)(e - s)));
				s = e + 2;
			} else {
				snprintf(err, errsize, "expected [*], [N] or [\"key\"] at offset %zu",
					(size_t)(s - text - 1));
				return -1;
			}
		} else {
			size_t len = strcspn(s, ".[");
			if (!len) {
				snprintf(err, errsize, "empty step at offset %zu", (size_t)(s - text));
				return -1;
			}
			if (len == 1 && *s == '*') {
				v[n++].kind = STEP_ANY;
			} else {
				v[n].kind = STEP_KEY;
				v[n++].key = policy_pool_add(p, gate_xstrndup(s, len));
			}
			s += len;
		}
		if (*s == '.') {
			s++;
			if (!*s || *s == '.' || *s == '[') {
				snprintf(err, errsize, "empty step at offset %zu", (size_t)(s - text));
				return -1;
			}
		} else if (*s && *s != '[') {
			snprintf(err, errsize, "unexpected '%c' at offset %zu", *s, (size_t)(s - text));
			return -1;
		}
	}
	*steps = v;
	*nsteps = n;
	return 0;
}

int policy_quantity(const char *s, double *out)
{
	static const struct { const char *sfx; double mul; } sfx[] = {
		{ "", 1 }, { "m", 1e-3 }, { "u", 1e-6 }, { "n", 1e-9 }, { "k", 1e3 },
		{ "M", 1e6 }, { "G", 1e9 }, { "T", 1e12 }, { "P", 1e15 }, { "E", 1e18 },
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 },
		{ "Ti", 1099511627776.0 }, { "Pi", 1125899906842624.0 },
		{ "Ei", 1152921504606846976.0 },
	};
	char *end;
	double d;
	size_t i;

	if (!((*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.'))
		return -1;
	if (strpbrk(s, "xXpP"))
		return -1;
	d = strtod(s, &end);
	if (end == s || !isfinite(d))
		return -1;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (!strcmp(end, sfx[i].sfx)) {
			*out = d * sfx[i].mul;
			return 0;
		}
	return -1;
}

struct walk {
	struct pctx *c;
	const struct rule *r;
	size_t visits, problems;
	size_t plen;
	char ptr[1024];
};

static void fire(struct walk *w, const struct gate_node *at)
{
	if (w->problems++ >= MAX_RULE_PROBLEMS)
		return;
	policy_report(w->c, w->r->id, w->r->sev, at, w->ptr, "%s", w->r->message);
}

/* The text a regex sees for a scalar; NULL for collections and null. */
static const char *scalar_text(const struct gate_node *n, char *buf, size_t size, size_t *len)
{
	switch (n->type) {
	case GATE_NODE_STRING:
		*len = n->len;
		return n->u.str;
	case GATE_NODE_BOOL:
		snprintf(buf, size, "%s", n->u.boolean ? "true" : "false");
		break;
	case GATE_NODE_NUMBER:
		if ((n->flags & GATE_NODE_INTEGRAL) && fabs(n->u.number) < 1e18)
			snprintf(buf, size, "%.0f", n->u.number);
		else
			snprintf(buf, size, "%.17g", n->u.number);
		break;
	default:
		return NULL;
	}
	*len = strlen(buf);
	return buf;
}

static void present(struct walk *w, const struct gate_node *n)
{
	const struct rule *r = w->r;
	size_t i, len;
	char buf[64];
	const char *s;
	double d;

	switch (r->cond) {
	case COND_EXISTS:
		return;
	case COND_ABSENT:
		fire(w, n);
		return;
	case COND_EQUALS:
		if (!gate_node_equal(n, r->value))
			fire(w, n);
		return;
	case COND_IN:
		for (i = 0; i < r->value->len; i++)
			if (gate_node_equal(n, &r->value->u.items[i]))
				return;
		fire(w, n);
		return;
	case COND_REGEX:
		s = scalar_text(n, buf, sizeof(buf), &len);
		if (!s || policy_re_match(r->re, s, len) != 1)
			fire(w, n);
		return;
	case COND_RANGE:
		if (n->type == GATE_NODE_NUMBER)
			d = n->u.number;
		else if (n->type != GATE_NODE_STRING || policy_quantity(n->u.str, &d) < 0) {
			fire(w, n);
			return;
		}
		if ((r->has_min && d < r->min) || (r->has_max && d > r->max))
			fire(w, n);
		return;
	}
}

static void walk(struct walk *w, const struct gate_node *n, size_t i)
{
	const struct step *st;
	size_t save = w->plen, k;

	if (++w->visits > MAX_VISITS)
		return;
	if (i == w->r->nsteps) {
		present(w, n);
		return;
	}
	st = &w->r->steps[i];
	switch (st->kind) {
	case STEP_KEY:
		if (n->type == GATE_NODE_OBJECT) {
			const struct gate_node *child = gate_node_get(n, st->key);
			if (child) {
				policy_ptr_add(w->ptr, &w->plen, sizeof(w->ptr), st->key);
				walk(w, child, i + 1);
				break;
			}
		}
		if (w->r->cond == COND_EXISTS)
			fire(w, n);
		break;
	case STEP_INDEX:
		if (n->type == GATE_NODE_ARRAY && st->index < n->len) {
			policy_ptr_addi(w->ptr, &w->plen, sizeof(w->ptr), st->index);
			walk(w, &n->u.items[st->index], i + 1);
			break;
		}
		if (w->r->cond == COND_EXISTS)
			fire(w, n);
		break;
	case STEP_ANY:
		if (n->type == GATE_NODE_ARRAY) {
			for (k = 0; k < n->len; k++) {
				policy_ptr_addi(w->ptr, &w->plen, sizeof(w->ptr), k);
				walk(w, &n->u.items[k], i + 1);
				w->plen = save;
				w->ptr[save] = '\0';
			}
		} else if (n->type == GATE_NODE_OBJECT) {
			for (k = 0; k < n->len; k++) {
				policy_ptr_add(w->ptr, &w->plen, sizeof(w->ptr), n->u.members[k].key);
				walk(w, &n->u.members[k].value, i + 1);
				w->plen = save;
				w->ptr[save] = '\0';
			}
		} else if (w->r->cond == COND_EXISTS) {
			fire(w, n);
		}
		break;
	}
	w->plen = save;
	w->ptr[save] = '\0';
}

void policy_rules_run(struct pctx *c)
{
	size_t i;

	for (i = 0; i < c->p->nrules; i++) {
		const struct rule *r = &c->p->rules[i];
		struct walk w;

		if (!policy_match(&r->m, c))
			continue;
		w.c = c;
		w.r = r;
		w.visits = w.problems = 0;
		w.plen = 0;
		w.ptr[0] = '\0';
		walk(&w, c->root, 0);
	}
}
