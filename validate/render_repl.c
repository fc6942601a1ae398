/*
 * render_repl.c: replacements (inline or by path): copy a field of one
 * selected source object (or a part of it, split by a delimiter) into fields
 * of target objects chosen by select/reject, creating them when asked.
 *
 * Field paths are kyaml's: dot-separated, `[key=value]` picks list elements,
 * `[=value]` a scalar element, `*` every element or member, a number an
 * index; dots inside brackets do not split.
 */
#include "render_int.h"
#include "gate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rn_resolve(const char *s);

struct segs {
	char **v;
	size_t n;
};

static void split_path(struct rctx *c, const char *path, struct segs *out)
{
	size_t n = strlen(path), i, start = 0, cnt = 0;
	int depth = 0;

	out->v = ra_alloc(c, (n + 2) * sizeof(*out->v));
	for (i = 0; i <= n; i++) {
		if (path[i] == '[')
			depth++;
		else if (path[i] == ']')
			depth--;
		if ((path[i] == '.' && depth <= 0) || !path[i]) {
			char *seg = ra_strndup(c, path + start, i - start);
			size_t l = strlen(seg);

			/* a bracketed plain key: [a.b] */
			if (l > 2 && seg[0] == '[' && seg[l - 1] == ']' && !strchr(seg, '='))
				seg = ra_strndup(c, seg + 1, l - 2);
			if (seg[0])
				out->v[cnt++] = seg;
			start = i + 1;
		}
	}
	out->n = cnt;
}

struct hits {
	struct gate_rnode **parent;  /* container */
	char **key;                  /* map key, or NULL for a seq index */
	long *index;
	size_t n, alloc;
};

static void hit_add(struct rctx *c, struct hits *h, struct gate_rnode *parent, char *key, long idx)
{
	if (h->n == h->alloc) {
		size_t na = h->alloc ? h->alloc * 2 : 8;
		struct gate_rnode **p = ra_alloc(c, na * sizeof(*p));
		char **k = ra_alloc(c, na * sizeof(*k));
		long *ix = ra_alloc(c, na * sizeof(*ix));

		if (h->n) {
			memcpy(p, h->parent, h->n * sizeof(*p));
			memcpy(k, h->key, h->n * sizeof(*k));
			memcpy(ix, h->index, h->n * sizeof(*ix));
		}
		h->parent = p;
		h->key = k;
		h->index = ix;
		h->alloc = na;
	}
	h->parent[h->n] = parent;
	h->key[h->n] = key;
	h->index[h->n] = idx;
	h->n++;
}

static int is_index(const char *s, long *out)
{
	char *end;
	long v;

	if (!s[0] || s[0] == '-')
		return 0;
	v = strtol(s, &end, 10);
	if (*end)
		return 0;
	*out = v;
	return 1;
}

/* find the slots named by segs[i..] below n (n is the value in slot parent/key) */
static void walk(struct rctx *c, struct gate_rnode *n, const struct segs *s, size_t i,
	int create, const struct gate_rnode *origin, struct hits *out)
{
	const char *seg = s->v[i];
	int last = i + 1 == s->n;
	uint32_t j;

	if (!n)
		return;
	if (seg[0] == '[' && seg[strlen(seg) - 1] == ']') {
		char *inner = ra_strndup(c, seg + 1, strlen(seg) - 2), *eq = strchr(inner, '=');
		int found = 0;

		if (n->type != GATE_RNODE_SEQ || !eq)
			return;
		*eq = 0;
		for (j = 0; j < n->len; j++) {
			struct gate_rnode *e = n->u.items[j];
			const char *v = inner[0] ? rn_scalar(rn_get(e, inner)) : rn_scalar(e);

			if (!v || strcmp(v, eq + 1))
				continue;
			found = 1;
			if (last)
				hit_add(c, out, n, NULL, j);
			else
				walk(c, e, s, i + 1, create, origin, out);
		}
		if (!found && create && inner[0]) {
			struct gate_rnode *e = rn_new(c, GATE_RNODE_MAP, origin);

			rn_set(c, e, inner, rn_str(c, eq + 1, origin));
			rn_append(c, n, e);
			if (last)
				hit_add(c, out, n, NULL, n->len - 1);
			else
				walk(c, e, s, i + 1, create, origin, out);
		}
		return;
	}
	if (!strcmp(seg, "*")) {
		if (n->type == GATE_RNODE_SEQ) {
			for (j = 0; j < n->len; j++)
				if (last)
					hit_add(c, out, n, NULL, j);
				else
					walk(c, n->u.items[j], s, i + 1, create, origin, out);
		} else if (n->type == GATE_RNODE_MAP) {
			for (j = 0; j < n->len; j++)
				if (last)
					hit_add(c, out, n, (char *)n->u.members[j].key, -1);
				else
					walk(c, n->u.members[j].value, s, i + 1, create, origin, out);
		}
		return;
	}
	if (n->type == GATE_RNODE_SEQ) {
		long idx;

		if (is_index(seg, &idx) && idx < (long)n->len) {
			if (last)
				hit_add(c, out, n, NULL, idx);
			else
				walk(c, n->u.items[idx], s, i + 1, create, origin, out);
		}
		return;
	}
	if (n->type != GATE_RNODE_MAP)
		return;
	if (last) {
		if (rn_get(n, seg) || create)
			hit_add(c, out, n, (char *)seg, -1);
		return;
	}
	{
		struct gate_rnode *next = rn_get(n, seg);

		if (rn_is_null(next)) {
			const char *nseg = s->v[i + 1];

			if (!create)
				return;
			next = rn_new(c, nseg[0] == '[' || is_index(nseg, &(long){0}) ? GATE_RNODE_SEQ :
				GATE_RNODE_MAP, origin);
			rn_set(c, n, seg, next);
		}
		walk(c, next, s, i + 1, create, origin, out);
	}
}

static struct gate_rnode *slot_get(const struct hits *h, size_t i)
{
	if (h->key[i])
		return rn_get(h->parent[i], h->key[i]);
	return h->parent[i]->u.items[h->index[i]];
}

static void slot_set(struct rctx *c, const struct hits *h, size_t i, struct gate_rnode *v)
{
	if (h->key[i])
		rn_set(c, h->parent[i], h->key[i], v);
	else
		h->parent[i]->u.items[h->index[i]] = v;
}

static int id_selected(const struct gate_rnode *sel, const struct rres *r, const char *name,
	const char *ns)
{
	const char *g = rn_get_str(sel, "group"), *v = rn_get_str(sel, "version");
	const char *k = rn_get_str(sel, "kind"), *sn = rn_get_str(sel, "name");
	const char *sns = rn_get_str(sel, "namespace");
	char group[256], version[256];

	rres_group_version(r, group, sizeof(group), version, sizeof(version));
	if (g && g[0] && strcmp(g, group))
		return 0;
	if (v && v[0] && strcmp(v, version))
		return 0;
	if (k && k[0] && strcmp(k, rres_kind(r)))
		return 0;
	if (sn && sn[0] && strcmp(sn, name))
		return 0;
	if (sns && sns[0]) {
		int cs = rkind_cluster_scoped(rres_kind(r));
		const char *a = cs ? "" : ns[0] ? ns : "default";

		if (strcmp(sns, a) && !(cs && 0))
			return 0;
	}
	return 1;
}

static int any_id_selected(const struct gate_rnode *sel, const struct rres *r)
{
	size_t i;

	if (id_selected(sel, r, rres_name(r), rres_ns(r)))
		return 1;
	for (i = 0; i < r->nnames; i++)
		if (id_selected(sel, r, r->names[i], r->orig_ns))
			return 1;
	return 0;
}

static long opt_index(const struct gate_rnode *opts)
{
	const struct gate_rnode *i = rn_get(opts, "index");

	return i && i->type == GATE_RNODE_INT ? strtol(i->str, NULL, 0) : 0;
}

static struct gate_rnode *source_value(struct rctx *c, const struct gate_rnode *rep, struct rmap *m)
{
	const struct gate_rnode *src = rn_get(rep, "source"), *opts;
	const char *fp;
	struct rres *hit = NULL;
	struct segs s;
	struct hits h = { 0 };
	struct gate_rnode *v;
	size_t i;

	if (rn_get(rep, "sourceValue")) {
		if (src)
			rfail(c, rep, "value and resource selectors are mutually exclusive");
		return rn_copy(c, rn_get(rep, "sourceValue"));
	}
	if (rn_is_null(src))
		rfail(c, rep, "a replacement needs a source");
	for (i = 0; i < m->n; i++)
		if (any_id_selected(src, m->v[i])) {
			if (hit)
				rfail(c, src, "multiple matches for selector %s", rn_get_str(src, "kind") ?
					rn_get_str(src, "kind") : "");
			hit = m->v[i];
		}
	if (!hit)
		rfail(c, src, "nothing selected by %s:%s", rn_get_str(src, "kind") ?
			rn_get_str(src, "kind") : "", rn_get_str(src, "name") ? rn_get_str(src, "name") : "");
	fp = rn_get_str(src, "fieldPath");
	if (!fp || !fp[0])
		fp = "metadata.name";
	split_path(c, fp, &s);
	if (!s.n)
		rfail(c, src, "empty fieldPath");
	walk(c, hit->root, &s, 0, 0, NULL, &h);
	v = h.n ? slot_get(&h, 0) : NULL;
	if (rn_is_null(v) || ((v->type == GATE_RNODE_STR) && !v->len))
		rfail(c, src, "fieldPath `%s` is missing for replacement source %s", fp, rres_name(hit));
	opts = rn_get(src, "options");
	if (rn_get_str(opts, "delimiter") && rn_get_str(opts, "delimiter")[0]) {
		const char *d = rn_get_str(opts, "delimiter"), *text = rn_scalar(v);
		long want = opt_index(opts), k = 0;
		const char *p = text, *q;

		if (!text)
			rfail(c, src, "delimiter option can only be used with scalar nodes");
		for (;;) {
			q = strstr(p, d);
			if (k == want) {
				struct gate_rnode *nv = rn_copy(c, v);

				nv->str = ra_strndup(c, p, q ? (size_t)(q - p) : strlen(p));
				nv->len = (uint32_t)strlen(nv->str);
				return nv;
			}
			if (!q)
				rfail(c, src, "options.index %ld is out of bounds for value %s", want, text);
			p = q + strlen(d);
			k++;
		}
	}
	return v;
}

static struct gate_rnode *joined(struct rctx *c, const struct gate_rnode *opts,
	const struct gate_rnode *target, const struct gate_rnode *value)
{
	const char *d = rn_get_str(opts, "delimiter"), *tv = rn_scalar(target), *v = rn_scalar(value);
	long idx = opt_index(opts), k = 0;
	struct gate_buf b = GATE_BUF_INIT;
	const char *p, *q;
	char *res;
	int done = 0;

	if (!tv)
		rfail(c, opts, "delimiter option can only be used with scalar nodes");
	if (idx < 0) {
		gate_buf_adds(&b, v ? v : "");
		gate_buf_adds(&b, d);
		gate_buf_adds(&b, tv);
		done = 1;
	} else {
		for (p = tv;; k++) {
			q = strstr(p, d);
			if (k)
				gate_buf_adds(&b, d);
			if (k == idx) {
				gate_buf_adds(&b, v ? v : "");
				done = 1;
			} else {
				gate_buf_add(&b, p, q ? (size_t)(q - p) : strlen(p));
			}
			if (!q)
				break;
			p = q + strlen(d);
		}
		if (!done) {
			gate_buf_adds(&b, d);
			gate_buf_adds(&b, v ? v : "");
		}
	}
	res = ra_strndup(c, b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
	{
		struct gate_rnode *n = rn_copy(c, value);

		n->type = GATE_RNODE_STR;
		n->str = res;
		n->len = (uint32_t)strlen(res);
		return n;
	}
}

static void set_target(struct rctx *c, const struct gate_rnode *opts, const struct hits *h,
	size_t i, const struct gate_rnode *value)
{
	struct gate_rnode *cur = slot_get(h, i), *nv;
	const char *d = rn_get_str(opts, "delimiter");

	if (d && d[0])
		value = joined(c, opts, cur ? cur : rn_str(c, "", value), value);
	if (value->type == GATE_RNODE_SEQ || value->type == GATE_RNODE_MAP ||
		(cur && (cur->type == GATE_RNODE_SEQ || cur->type == GATE_RNODE_MAP))) {
		slot_set(c, h, i, rn_copy(c, value));
		return;
	}
	/* a scalar target keeps its style: quoted stays a string, plain is read again */
	nv = rn_copy(c, value);
	if (value->type == GATE_RNODE_NULL) {
		nv->str = "";
		nv->len = 0;
	}
	if (cur && cur->block)
		nv->type = GATE_RNODE_STR, nv->block = 1;
	else if (cur && cur->type != GATE_RNODE_NULL)
		nv->type = (uint8_t)rn_resolve(nv->str), nv->block = 0;
	else if (!cur || cur->type == GATE_RNODE_NULL)
		nv->type = value->block ? GATE_RNODE_STR : (uint8_t)rn_resolve(nv->str);
	if (nv->type == GATE_RNODE_BOOL)
		nv->str = (nv->str[0] == 't' || nv->str[0] == 'T') ? "true" : "false";
	slot_set(c, h, i, nv);
}

static int ls_match(struct rctx *c, const struct gate_rnode *sel, const struct rres *r)
{
	struct gate_rnode *only = rn_new(c, GATE_RNODE_MAP, sel);

	if (rn_get(sel, "labelSelector"))
		rn_set(c, only, "labelSelector", rn_get(sel, "labelSelector"));
	if (rn_get(sel, "annotationSelector"))
		rn_set(c, only, "annotationSelector", rn_get(sel, "annotationSelector"));
	return rselect_match(c, only, r);
}

static void apply_one(struct rctx *c, const struct gate_rnode *rep, struct rmap *m)
{
	const struct gate_rnode *targets = rn_get(rep, "targets");
	struct gate_rnode *value = source_value(c, rep, m);
	uint32_t t, j;
	size_t i;

	if (rn_is_null(targets) || targets->type != GATE_RNODE_SEQ)
		return;
	for (t = 0; t < targets->len; t++) {
		const struct gate_rnode *tg = targets->u.items[t];
		const struct gate_rnode *sel = rn_get(tg, "select"), *rej = rn_get(tg, "reject");
		const struct gate_rnode *fps = rn_get(tg, "fieldPaths"), *opts = rn_get(tg, "options");
		const struct gate_rnode *cr = rn_get(opts, "create");
		int create = cr && cr->type == GATE_RNODE_BOOL && !strcmp(cr->str, "true");

		if (rn_is_null(sel))
			rfail(c, tg, "target must specify resources to select");
		for (i = 0; i < m->n; i++) {
			struct rres *r = m->v[i];
			int rejected = 0;

			if (!ls_match(c, sel, r))
				continue;
			for (j = 0; rej && rej->type == GATE_RNODE_SEQ && j < rej->len; j++) {
				const struct gate_rnode *rs = rej->u.items[j];
				struct gate_rnode *idonly = rn_copy(c, rs);

				rn_del(idonly, "labelSelector");
				rn_del(idonly, "annotationSelector");
				if ((rn_get(rs, "labelSelector") || rn_get(rs, "annotationSelector")) &&
					ls_match(c, rs, r)) {
					rejected = 1;
					break;
				}
				if (idonly->len && rselect_match(c, idonly, r)) {
					rejected = 1;
					break;
				}
			}
			if (rejected)
				continue;
			{
				struct gate_rnode *idsel = rn_copy(c, sel);

				rn_del(idsel, "labelSelector");
				rn_del(idsel, "annotationSelector");
				if (!rselect_match(c, idsel, r))
					continue;
			}
			for (j = 0; j < (fps && fps->type == GATE_RNODE_SEQ ? fps->len : 1); j++) {
				const char *fp = fps && fps->type == GATE_RNODE_SEQ ?
					rn_scalar(fps->u.items[j]) : "metadata.name";
				struct segs s;
				struct hits h = { 0 };
				size_t k;

				split_path(c, fp ? fp : "", &s);
				if (!s.n)
					continue;
				walk(c, r->root, &s, 0, create, tg, &h);
				if (!h.n)
					rfail(c, fps && fps->type == GATE_RNODE_SEQ ? fps->u.items[j] : tg,
						"unable to find %sfield \"%s\" in replacement target",
						create ? "or create " : "", fp);
				for (k = 0; k < h.n; k++)
					set_target(c, opts, &h, k, value);
			}
		}
	}
}

struct replist {
	struct rmap *m;
};

static void run_list(struct rctx *c, const struct gate_rnode *list, struct rmap *m)
{
	uint32_t i;

	if (list->type == GATE_RNODE_MAP) {
		apply_one(c, list, m);
		return;
	}
	if (list->type != GATE_RNODE_SEQ)
		rfail(c, list, "replacements must be a list");
	for (i = 0; i < list->len; i++)
		apply_one(c, list->u.items[i], m);
}

static void file_doc(struct rctx *c, struct gate_rnode *root, void *payload)
{
	run_list(c, root, ((struct replist *)payload)->m);
}

void rrepl_run(struct rctx *c, const char *dir, const struct gate_rnode *list, struct rmap *m)
{
	uint32_t i;

	if (list->type != GATE_RNODE_SEQ)
		rfail(c, list, "'replacements' must be a list");
	for (i = 0; i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];
		const char *path = rn_get_str(e, "path");

		if (path) {
			const char *p = rpath_join(c, dir, path);
			struct replist rl = { m };
			char *buf;
			size_t len;

			if (rload(c, p, &buf, &len))
				rfail(c, rn_get(e, "path"), "open %s: no such file or directory", p);
			rn_parse_stream(c, p, buf, len, file_doc, &rl);
			continue;
		}
		apply_one(c, e, m);
	}
}
