/*
 * render_gen.c: configMapGenerator and secretGenerator (literals, files,
 * env files; behaviours create, merge, replace; generatorOptions), and the
 * name hash suffix kustomize adds once the whole build is transformed
 * (sha256 of a JSON encoding of kind, type and data (the name is always empty:
 * kustomize looks it up wrongly), its first 10 hex
 * digits with 0 1 3 a e replaced by g h k m t).
 */
#include "render_int.h"
#include "gate/hash.h"
#include "gate/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv {
	const char *key, *value;
	size_t vlen;
	const struct gate_rnode *origin;
};

struct kvs {
	struct kv *v;
	size_t n, alloc;
};

static void kv_add(struct rctx *c, struct kvs *k, const char *key, const char *value, size_t vlen,
	const struct gate_rnode *origin)
{
	if (k->n == k->alloc) {
		size_t na = k->alloc ? k->alloc * 2 : 8;
		struct kv *v = ra_alloc(c, na * sizeof(*v));

		if (k->n)
			memcpy(v, k->v, k->n * sizeof(*v));
		k->v = v;
		k->alloc = na;
	}
	k->v[k->n].key = key;
	k->v[k->n].value = value;
	k->v[k->n].vlen = vlen;
	k->v[k->n].origin = origin;
	k->n++;
}

static int valid_utf8(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t extra = ch < 0x80 ? 0 : (ch >> 5) == 6 ? 1 : (ch >> 4) == 14 ? 2 :
			(ch >> 3) == 30 ? 3 : 9;
		size_t j;

		if (extra == 9 || i + extra >= n + (extra ? 0 : 1))
			return 0;
		for (j = 1; j <= extra; j++)
			if (((unsigned char)s[i + j] >> 6) != 2)
				return 0;
		i += extra + 1;
	}
	return 1;
}

static char *base64(struct rctx *c, const char *s, size_t n, int wrap)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct gate_buf enc = GATE_BUF_INIT, out = GATE_BUF_INIT;
	size_t i;
	char *res;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		gate_buf_addc(&enc, tbl[(v >> 18) & 63]);
		gate_buf_addc(&enc, tbl[(v >> 12) & 63]);
		gate_buf_addc(&enc, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		gate_buf_addc(&enc, i + 2 < n ? tbl[v & 63] : '=');
	}
	if (!wrap || enc.len / 70 + 1 <= 1) {
		res = ra_strndup(c, enc.ptr ? enc.ptr : "", enc.len);
	} else {
		for (i = 0; i < enc.len; i += 70) {
			gate_buf_add(&out, enc.ptr + i, enc.len - i < 70 ? enc.len - i : 70);
			gate_buf_addc(&out, '\n');
		}
		res = ra_strndup(c, out.ptr, out.len);
	}
	gate_buf_release(&enc);
	gate_buf_release(&out);
	return res;
}

static void load_env(struct rctx *c, const char *dir, const struct gate_rnode *e, struct kvs *out)
{
	const char *path;
	char *buf;
	size_t len, pos = 0;
	uint32_t line = 0;

	if (e->type != GATE_RNODE_STR)
		rfail(c, e, "env source files must be strings");
	path = rpath_join(c, dir, e->str);

	if (rload(c, path, &buf, &len))
		rfail(c, e, "env source files: [%s]: open %s: no such file or directory", rn_scalar(e), path);
	while (pos < len) {
		size_t end = pos, l;
		char *ln, *eq;
		struct gate_rnode *origin;

		while (end < len && buf[end] != '\n')
			end++;
		l = end - pos;
		if (l && buf[pos + l - 1] == '\r')
			l--;
		ln = ra_strndup(c, buf + pos, l);
		line++;
		pos = end + 1;
		if (line == 1 && !strncmp(ln, "\xef\xbb\xbf", 3))
			ln += 3;
		while (*ln && isspace((unsigned char)*ln))
			ln++;
		if (!*ln || *ln == '#')
			continue;
		origin = rn_new(c, GATE_RNODE_STR, NULL);
		origin->file = path;
		origin->line = line;
		origin->col = 1;
		eq = strchr(ln, '=');
		if (eq)
			*eq = 0;
		if (!ln[0] || strpbrk(ln, " \t"))
			rfail(c, origin, "invalid env var name %s in %s", ln, path);
		kv_add(c, out, ln, eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0, origin);
	}
}

static void load_kvs(struct rctx *c, const char *dir, const struct gate_rnode *g, struct kvs *out)
{
	const struct gate_rnode *l;
	uint32_t i;

	if ((l = rn_get(g, "env")) && rn_scalar(l) && rn_scalar(l)[0])
		load_env(c, dir, l, out);
	if ((l = rn_get(g, "envs")) && l->type == GATE_RNODE_SEQ)
		for (i = 0; i < l->len; i++)
			load_env(c, dir, l->u.items[i], out);
	if ((l = rn_get(g, "literals")) && l->type == GATE_RNODE_SEQ)
		for (i = 0; i < l->len; i++) {
			const struct gate_rnode *e = l->u.items[i];
			const char *s = rn_scalar(e), *eq;
			const char *v;
			size_t vl;

			if (!s || !(eq = strchr(s, '=')) || eq == s)
				rfail(c, e, "invalid literal source %s, expected key=value", s ? s : "");
			v = eq + 1;
			vl = strlen(v);
			if (vl >= 2 && v[0] == v[vl - 1] && (v[0] == '"' || v[0] == '\''))
				v++, vl -= 2;
			kv_add(c, out, ra_strndup(c, s, (size_t)(eq - s)), ra_strndup(c, v, vl), vl, e);
		}
	if ((l = rn_get(g, "files")) && l->type == GATE_RNODE_SEQ)
		for (i = 0; i < l->len; i++) {
			const struct gate_rnode *e = l->u.items[i];
			const char *s = rn_scalar(e), *eq, *key, *file, *path;
			struct gate_rnode *origin;
			char *buf;
			size_t len;
			int rc;

			if (!s)
				rfail(c, e, "files entries must be strings");
			eq = strchr(s, '=');
			if (eq && strchr(eq + 1, '='))
				rfail(c, e, "source %s key name or file path contains '='", s);
			if (eq == s)
				rfail(c, e, "missing key name for file path %s in source %s", s + 1, s);
			if (eq && !eq[1])
				rfail(c, e, "missing file path for key name %.*s in source %s", (int)(eq - s), s, s);
			key = eq ? ra_strndup(c, s, (size_t)(eq - s)) : rpath_base(s);
			file = eq ? eq + 1 : s;
			path = rpath_join(c, dir, file);
			rc = rload(c, path, &buf, &len);
			if (rc == GATE_RENDER_EISDIR)
				rfail(c, e, "file sources: [%s]: %s is a directory (not supported)", s, file);
			if (rc)
				rfail(c, e, "file sources: [%s]: open %s: no such file or directory", s, path);
			origin = rn_new(c, GATE_RNODE_STR, NULL);
			origin->file = path;
			origin->line = 1;
			origin->col = 1;
			kv_add(c, out, key, buf, len, origin);
		}
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

static void copy_string_map(struct rctx *c, struct gate_rnode *dst, const struct gate_rnode *src)
{
	uint32_t i;

	for (i = 0; src && src->type == GATE_RNODE_MAP && i < src->len; i++) {
		const struct gate_rnode *v = src->u.members[i].value;
		struct gate_rnode *s = rn_str(c, rn_scalar(v) ? rn_scalar(v) : "", v);

		rn_set(c, dst, src->u.members[i].key, s);
	}
}

static int opt_true(const struct gate_rnode *opts, const char *key)
{
	const struct gate_rnode *v = rn_get(opts, key);

	return v && v->type == GATE_RNODE_BOOL && !strcmp(v->str, "true");
}

/* Make one ConfigMap or Secret from generator entry g. */
static struct rres *generate(struct rctx *c, const char *dir, const struct gate_rnode *g,
	const struct gate_rnode *global, int secret)
{
	const char *name = rn_get_str(g, "name"), *ns = rn_get_str(g, "namespace");
	const char *behavior = rn_get_str(g, "behavior");
	const struct gate_rnode *local = rn_get(g, "options");
	struct gate_rnode *root = rn_new(c, GATE_RNODE_MAP, g), *meta, *data = NULL;
	struct kvs kv = { NULL, 0, 0 };
	struct rres *r;
	size_t i;

	if (!name || !name[0])
		rfail(c, g, "a %s must have a name", secret ? "secret" : "configmap");
	rn_set(c, root, "apiVersion", rn_str(c, "v1", g));
	rn_set(c, root, "kind", rn_str(c, secret ? "Secret" : "ConfigMap", g));
	meta = rn_new(c, GATE_RNODE_MAP, g);
	rn_set(c, root, "metadata", meta);
	rn_set(c, meta, "name", rn_str(c, name, rn_get(g, "name")));
	if (ns && ns[0])
		rn_set(c, meta, "namespace", rn_str(c, ns, rn_get(g, "namespace")));
	if (secret) {
		const char *t = rn_get_str(g, "type");

		rn_set(c, root, "type", rn_str(c, t && t[0] ? t : "Opaque", rn_get(g, "type") ? rn_get(g, "type") : g));
	}
	load_kvs(c, dir, g, &kv);
	for (i = 0; i < kv.n; i++) {
		const char *k = kv.v[i].key;
		size_t j;

		for (j = 0; k[j]; j++)
			if (!isalnum((unsigned char)k[j]) && !strchr("-_.", k[j]))
				rfail(c, kv.v[i].origin, "\"%s\" is not a valid key name for a %s: a valid "
					"config key must consist of alphanumeric characters, '-', '_' or '.'",
					k, secret ? "Secret" : "ConfigMap");
		if (!k[0])
			rfail(c, kv.v[i].origin, "empty key name");
		for (j = 0; j < i; j++)
			if (!strcmp(kv.v[j].key, k))
				rfail(c, kv.v[i].origin, "%s %s illegally repeats the key `%s`",
					secret ? "secret" : "configmap", name, k);
	}
	if (kv.n)
		qsort(kv.v, kv.n, sizeof(*kv.v), kv_cmp);
	if (secret)
		rn_set(c, root, "data", data = rn_new(c, GATE_RNODE_MAP, g));
	for (i = 0; i < kv.n; i++) {
		struct gate_rnode *v;
		const char *field = "data";
		const char *val = kv.v[i].value;

		if (secret) {
			val = base64(c, kv.v[i].value, kv.v[i].vlen, 1);
		} else if (!valid_utf8(kv.v[i].value, kv.v[i].vlen) || memchr(val, 0, kv.v[i].vlen)) {
			field = "binaryData";
			val = base64(c, kv.v[i].value, kv.v[i].vlen, 1);
		}
		v = rn_str(c, val, kv.v[i].origin);
		rn_set(c, rn_lookup_create(c, root, field, GATE_RNODE_MAP, g), kv.v[i].key, v);
	}
	{
		const struct gate_rnode *labels = rn_get(local, "labels"), *ann = rn_get(local, "annotations");
		struct gate_rnode *lm = rn_new(c, GATE_RNODE_MAP, g), *am = rn_new(c, GATE_RNODE_MAP, g);
		uint32_t j;

		copy_string_map(c, lm, labels);
		copy_string_map(c, am, ann);
		/* global options fill what the entry's own options do not set */
		for (j = 0; global && (labels = rn_get(global, "labels")) && labels->type == GATE_RNODE_MAP && j < labels->len; j++)
			if (!rn_get(lm, labels->u.members[j].key))
				rn_set(c, lm, labels->u.members[j].key,
					rn_str(c, rn_scalar(labels->u.members[j].value) ? rn_scalar(labels->u.members[j].value) : "", labels->u.members[j].value));
		for (j = 0; global && (ann = rn_get(global, "annotations")) && ann->type == GATE_RNODE_MAP && j < ann->len; j++)
			if (!rn_get(am, ann->u.members[j].key))
				rn_set(c, am, ann->u.members[j].key,
					rn_str(c, rn_scalar(ann->u.members[j].value) ? rn_scalar(ann->u.members[j].value) : "", ann->u.members[j].value));
		if (lm->len)
			rn_set(c, meta, "labels", lm);
		if (am->len)
			rn_set(c, meta, "annotations", am);
	}
	if (opt_true(local, "immutable") || opt_true(global, "immutable")) {
		struct gate_rnode *t = rn_new(c, GATE_RNODE_BOOL, local ? local : global);

		t->str = "true";
		t->len = 4;
		rn_set(c, root, "immutable", t);
	}
	r = rres_new(c, root);
	r->generated = 1;
	r->needs_hash = !(opt_true(local, "disableNameSuffixHash") || opt_true(global, "disableNameSuffixHash"));
	r->behavior = 0;
	if (behavior && !strcmp(behavior, "merge"))
		r->behavior = 1;
	else if (behavior && !strcmp(behavior, "replace"))
		r->behavior = 2;
	else if (behavior && behavior[0] && strcmp(behavior, "create"))
		rfail(c, rn_get(g, "behavior"), "unknown generator behavior '%s'", behavior);
	return r;
}

static void merge_string_maps(struct rctx *c, struct gate_rnode *newroot, const struct gate_rnode *oldroot,
	const char *path1, const char *path2)
{
	struct gate_rnode *om = rn_get(rn_get(oldroot, path1), path2);
	struct gate_rnode *parent, *nm;
	uint32_t i;

	if (!om || om->type != GATE_RNODE_MAP || !om->len)
		return;
	parent = strcmp(path1, "metadata") ? newroot : rn_lookup_create(c, newroot, "metadata", GATE_RNODE_MAP, om);
	if (!strcmp(path1, "")) {
		/* unused */
	}
	nm = rn_lookup_create(c, parent, path2, GATE_RNODE_MAP, om);
	for (i = 0; i < om->len; i++)
		if (!rn_get(nm, om->u.members[i].key))
			rn_set(c, nm, om->u.members[i].key, rn_copy(c, om->u.members[i].value));
}

void rmap_absorb(struct rctx *c, struct rmap *m, struct rres *r, const struct gate_rnode *where)
{
	size_t i, found = m->n, count = 0;
	struct rres *old;

	for (i = 0; i < m->n; i++)
		if (rres_any_id_matches(m->v[i], r)) {
			found = i;
			count++;
		}
	if (count > 1)
		rfail(c, where, "found multiple objects that could accept merge of %s %s",
			rres_kind(r), rres_name(r));
	if (!count) {
		if (r->behavior)
			rfail(c, where, "id %s %s does not exist; cannot merge or replace",
				rres_kind(r), rres_name(r));
		rmap_append(c, m, r, where);
		return;
	}
	if (!r->behavior)
		rfail(c, where, "id %s %s exists; can not use behavior: 'create', behavior must be "
			"merge or replace", rres_kind(r), rres_name(r));
	old = m->v[found];
	{
		struct gate_rnode *meta = rn_lookup_create(c, r->root, "metadata", GATE_RNODE_MAP, where);
		const struct gate_rnode *on = rn_get(rn_get(old->root, "metadata"), "name");
		const struct gate_rnode *ons = rn_get(rn_get(old->root, "metadata"), "namespace");

		merge_string_maps(c, r->root, old->root, "metadata", "labels");
		merge_string_maps(c, r->root, old->root, "metadata", "annotations");
		if (on)
			rn_set(c, meta, "name", rn_copy(c, on));
		if (ons)
			rn_set(c, meta, "namespace", rn_copy(c, ons));
		else
			rn_del(meta, "namespace");
	}
	if (r->behavior == 1) {
		uint32_t j;
		const char *fields[] = { "data", "binaryData" };

		for (j = 0; j < 2; j++) {
			struct gate_rnode *od = rn_get(old->root, fields[j]), *nd;
			uint32_t k;

			if (!od || od->type != GATE_RNODE_MAP || !od->len)
				continue;
			nd = rn_lookup_create(c, r->root, fields[j], GATE_RNODE_MAP, od);
			for (k = 0; k < od->len; k++)
				if (!rn_get(nd, od->u.members[k].key))
					rn_set(c, nd, od->u.members[k].key, rn_copy(c, od->u.members[k].value));
		}
	}
	if (r->behavior == 1)
		rmeta_keep_origin(c, r, old); /* merge keeps the origin of the object merged into */
	r->xforms = old->xforms; /* and its transformations (annotations of old stay) */
	r->nxforms = old->nxforms;
	r->axforms = old->axforms;
	/* build annotations (the name hash among them) come from the object merged into */
	r->needs_hash = old->needs_hash;
	r->orig_name = old->orig_name;
	r->orig_ns = old->orig_ns;
	r->names = old->names;
	r->nnames = old->nnames;
	r->generated = 1;
	m->v[found] = r;
}

void rgen_run(struct rctx *c, const char *dir, const char *kfile, const struct gate_rnode *k,
	struct rmap *m)
{
	const struct gate_rnode *global = rn_get(k, "generatorOptions");
	const char *fields[] = { "configMapGenerator", "secretGenerator" };
	const char *kinds[] = { "ConfigMapGenerator", "SecretGenerator" };
	const char *in = c->origin ? rpath_join(c, c->origin, kfile) : NULL;
	int f;
	uint32_t i;

	for (f = 0; f < 2; f++) {
		const struct gate_rnode *list = rn_get(k, fields[f]);

		if (rn_is_null(list))
			continue;
		if (list->type != GATE_RNODE_SEQ)
			rfail(c, list, "'%s' must be a list", fields[f]);
		for (i = 0; i < list->len; i++) {
			const struct gate_rnode *g = list->u.items[i];
			struct rres *r;

			if (g->type != GATE_RNODE_MAP)
				rfail(c, g, "%s entries must be mappings", fields[f]);
			r = generate(c, dir, g, global, f);
			if (in)
				rmeta_origin_generated(c, r, in, "builtin", kinds[f], NULL, NULL, g);
			rmap_absorb(c, m, r, g);
		}
	}
}

/*
 * One `generators:` config.  Built-in ConfigMapGenerator and SecretGenerator
 * configs take a generator entry's fields at the top level; the name and
 * namespace, when not there, come from metadata (kustomize's
 * ConfigMapGeneratorPlugin.Config).  File sources are read from the
 * kustomization's folder; the kustomization's generatorOptions do not apply.
 */
static void config_generate(struct rctx *c, const char *dir, struct gate_rnode *cfg,
	const char *configured_in, struct rmap *m)
{
	const char *kind = rn_get_str(cfg, "kind"), *av = rn_get_str(cfg, "apiVersion");
	const struct gate_rnode *meta = rn_get(cfg, "metadata");
	struct gate_rnode *g;
	struct rres *r;
	uint32_t i;
	int secret;

	if (cfg->type != GATE_RNODE_MAP)
		rfail(c, cfg, "generators: a generator config must be a mapping");
	if (!kind || !av || strcmp(av, "builtin")) {
		runreachable(c, cfg->file, cfg->line, cfg->col, "generators: %s is a plugin: only "
			"built-in generator configs (apiVersion: builtin) are run by the gate",
			kind ? kind : "(no kind)");
		return;
	}
	if (!strcmp(kind, "HelmChartInflationGenerator")) {
		runreachable(c, cfg->file, cfg->line, cfg->col,
			"generators: helm charts are not rendered by the gate");
		return;
	}
	secret = !strcmp(kind, "SecretGenerator");
	if (!secret && strcmp(kind, "ConfigMapGenerator"))
		rfail(c, cfg, "generators: built-in %s is not a generator", kind);
	g = rn_new(c, GATE_RNODE_MAP, cfg);
	for (i = 0; i < cfg->len; i++) {
		const char *key = cfg->u.members[i].key;

		if (strcmp(key, "apiVersion") && strcmp(key, "kind") && strcmp(key, "metadata"))
			rn_set(c, g, key, cfg->u.members[i].value);
	}
	if (!rn_get_str(g, "name") && rn_get(meta, "name"))
		rn_set(c, g, "name", rn_get(meta, "name"));
	if (!rn_get_str(g, "namespace") && rn_get(meta, "namespace"))
		rn_set(c, g, "namespace", rn_get(meta, "namespace"));
	r = generate(c, dir, g, NULL, secret);
	if (configured_in)
		rmeta_origin_generated(c, r, configured_in, av, kind, rn_get_str(meta, "name"),
			rn_get_str(meta, "namespace"), cfg);
	rmap_absorb(c, m, r, cfg);
}

/* `generators:` entries: built-in ConfigMapGenerator / SecretGenerator configs */
void rgen_configs(struct rctx *c, const char *dir, const char *kfile,
	const struct gate_rnode *list, struct rmap *m)
{
	rtarget_configs(c, dir, kfile, list, 1, config_generate, m);
}

static void hash_value(const struct gate_rnode *obj, const char *key, struct gate_buf *b)
{
	const struct gate_rnode *v = rn_get(obj, key);

	if (!v)
		rn_json_str("", 0, b);
	else if (v->type == GATE_RNODE_MAP || v->type == GATE_RNODE_SEQ)
		rn_json(v, b);
	else
		rn_json_str(rn_scalar(v), strlen(rn_scalar(v)), b);
}

void gate_render_hash(const struct gate_rnode *obj, char out[11])
{
	struct gate_buf b = GATE_BUF_INIT;
	const char *kind = rn_get_str(obj, "kind");
	char hex[GATE_SHA256_HEX];
	int i;

	if (kind && !strcmp(kind, "ConfigMap")) {
		const struct gate_rnode *bd = rn_get(obj, "binaryData");

		gate_buf_adds(&b, "{");
		if (bd && bd->type == GATE_RNODE_MAP) {
			gate_buf_adds(&b, "\"binaryData\":");
			rn_json(bd, &b);
			gate_buf_adds(&b, ",");
		}
		gate_buf_adds(&b, "\"data\":");
		hash_value(obj, "data", &b);
		/* kustomize looks up the name with a one-segment lookup of "metadata/name": always "" */
		gate_buf_adds(&b, ",\"kind\":\"ConfigMap\",\"name\":\"\"}");
	} else if (kind && !strcmp(kind, "Secret")) {
		const struct gate_rnode *sd = rn_get(obj, "stringData");

		gate_buf_adds(&b, "{\"data\":");
		hash_value(obj, "data", &b);
		gate_buf_adds(&b, ",\"kind\":\"Secret\",\"name\":\"\"");
		if (sd && sd->type == GATE_RNODE_MAP) {
			gate_buf_adds(&b, ",\"stringData\":");
			rn_json(sd, &b);
		}
		gate_buf_adds(&b, ",\"type\":");
		hash_value(obj, "type", &b);
		gate_buf_adds(&b, "}");
	} else {
		rn_json(obj, &b);
	}
	gate_sha256_hex(b.ptr, b.len, hex);
	gate_buf_release(&b);
	for (i = 0; i < 10; i++) {
		char ch = hex[i];

		out[i] = ch == '0' ? 'g' : ch == '1' ? 'h' : ch == '3' ? 'k' : ch == 'a' ? 'm' :
			ch == 'e' ? 't' : ch;
	}
	out[10] = 0;
}

void rgen_hash_names(struct rctx *c, struct rmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];
		char h[11];

		if (!r->needs_hash)
			continue;
		gate_render_hash(r->root, h);
		rres_set_name(c, r, ra_printf(c, "%s-%s", rres_name(r), h),
			rn_get(rn_get(r->root, "metadata"), "name"));
	}
}
