/*
 * judge_vars.c: the variables of a Flux Kustomization's post-build
 * substitution, as kustomize-controller loads them (fluxcd/pkg kustomize
 * LoadVariables): each postBuild.substituteFrom ConfigMap's data and
 * Secret's data (base64) in order, a later one overriding an earlier, then
 * postBuild.substitute over them; newlines of values removed; every name
 * must be a variable name.  The gate sees the ConfigMaps and Secrets of the
 * pushed tree only (manifests, and the renders of kustomizations whose
 * generators make one of that name): one not there may exist in the cluster
 * (a warning by default), and a SOPS-encrypted Secret cannot be read (an
 * error by default): their variables are unknown, and an undefined variable
 * is then kept as written, no error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/config.h"
#include "gate/doc.h"
#include "gate/render.h"
#include "gate/util.h"
#include "judge_int.h"

/* A ConfigMap or Secret of the tree that some substituteFrom names. */
struct varsrc {
	char *kind, *name, *ns; /* ns NULL: the object names none */
	char *path;
	uint32_t line;          /* of the object's document */
	char *vars;             /* "name=value\n" lines */
	int sops;               /* SOPS-encrypted: its values are unreadable */
	char *bad;              /* why Flux cannot load it (a bad name, bad base64), NULL: it can */
	uint32_t bad_line, bad_col;
};

struct varcat {
	struct varsrc *v;
	size_t n, alloc;
};

struct catscan {
	struct varcat *c;
	const char *path;
	const struct flux_post *const *posts;
	size_t nposts;
};

static int wanted(const struct catscan *s, const char *kind, const char *name)
{
	size_t i, k;

	for (i = 0; i < s->nposts; i++)
		for (k = 0; k < s->posts[i]->nrefs; k++)
			if (!strcmp(s->posts[i]->refs[k].kind, kind) && !strcmp(s->posts[i]->refs[k].name, name))
				return 1;
	return 0;
}

static int b64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding (what the API server takes for Secret data); -1 when not. */
static int b64_decode(const char *s, struct gate_buf *out)
{
	size_t len = strlen(s), i;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i++) {
		int v;
		if (s[i] == '=') {
			if (i + 2 < len || (i + 1 < len && s[i + 1] != '='))
				return -1;
			pad++;
			continue;
		}
		if ((v = b64((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			gate_buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return pad > 2 ? -1 : 0;
}

/* Add name=value (newlines out) to vars, replacing an earlier value of name. */
static void vars_set(struct gate_buf *vars, const char *name, const char *value, size_t vlen)
{
	size_t nlen = strlen(name), i;
	char *p = vars->ptr;

	while (p && *p) {
		char *nl = strchr(p, '\n');
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			size_t off = (size_t)(p - vars->ptr), cut = (size_t)(nl - p) + 1;
			memmove(p, nl + 1, vars->len - off - cut + 1);
			vars->len -= cut;
			break;
		}
		p = nl + 1;
	}
	gate_buf_addf(vars, "%s=", name);
	for (i = 0; i < vlen; i++)
		if (value[i] != '\n' && value[i] != '\0')
			gate_buf_addc(vars, value[i]);
	gate_buf_addc(vars, '\n');
}

/* The variables of a ConfigMap's data, or a Secret's data and stringData (stringData wins, as the API server merges them). */
static void load_values(struct varsrc *v, const struct gate_node *root, int secret)
{
	static const char *const fields[] = { "data", "stringData" };
	struct gate_buf vars = GATE_BUF_INIT, dec = GATE_BUF_INIT;
	size_t f, i;

	gate_buf_adds(&vars, "");
	for (f = 0; f < (secret ? 2u : 1u); f++) {
		const struct gate_node *d = gate_node_get(root, fields[f]);
		for (i = 0; d && d->type == GATE_NODE_OBJECT && i < d->len; i++) {
			const struct gate_member *m = &d->u.members[i];
			const char *val = m->value.type == GATE_NODE_STRING ? m->value.u.str : "";
			size_t vlen = strlen(val);
			if (!gate_judge__subst_name_ok(m->key, m->key_len) && !v->bad) {
				v->bad = gate_xasprintf("'%s' var name is invalid, must match "
					"'^[_[:alpha:]][_[:alpha:][:digit:]]*$'", m->key);
				v->bad_line = m->line;
				v->bad_col = m->col;
			}
			if (secret && f == 0) {
				gate_buf_reset(&dec);
				gate_buf_adds(&dec, "");
				if (b64_decode(val, &dec) < 0 && !v->bad) {
					v->bad = gate_xasprintf("data '%s' is not base64: the API server refuses the Secret",
						m->key);
					v->bad_line = m->value.line;
					v->bad_col = m->value.col;
				}
				val = dec.ptr;
				vlen = dec.len;
			}
			if (gate_judge__subst_name_ok(m->key, m->key_len))
				vars_set(&vars, m->key, val, vlen);
		}
	}
	gate_buf_release(&dec);
	v->vars = gate_buf_detach(&vars);
}

static int cat_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct catscan *s = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_doc *doc = NULL;
	const struct gate_node *md;
	const char *api, *kind, *name, *ns;
	struct varsrc *v;

	if (gate_doc_parse(&doc, part, len, line, &lim, 0, &derr) < 0 || !doc->root ||
	    doc->root->type != GATE_NODE_OBJECT)
		goto done;
	api = gate_node_get_str(doc->root, "apiVersion");
	kind = gate_node_get_str(doc->root, "kind");
	md = gate_node_get(doc->root, "metadata");
	if (!api || strcmp(api, "v1") || !kind || !md || md->type != GATE_NODE_OBJECT ||
	    !(name = gate_node_get_str(md, "name")) || !wanted(s, kind, name))
		goto done;
	ns = gate_node_get_str(md, "namespace");
	GATE_ALLOC_GROW(s->c->v, s->c->n + 1, s->c->alloc);
	v = &s->c->v[s->c->n++];
	memset(v, 0, sizeof(*v));
	v->kind = gate_xstrdup(kind);
	v->name = gate_xstrdup(name);
	v->ns = ns ? gate_xstrdup(ns) : NULL;
	v->path = gate_xstrdup(s->path);
	v->line = doc->root->line;
	v->sops = gate_node_get(doc->root, "sops") != NULL;
	if (!v->sops)
		load_values(v, doc->root, !strcmp(kind, "Secret"));
done:
	gate_doc_free(doc);
	return 0;
}

int gate_judge__varcat_build(struct gate_judge *j, const struct rfile *files, size_t nfiles,
	const struct flux_post *const *posts, size_t nposts, const struct varcat_skip *skip,
	struct varcat **out, char *msg, size_t msgsize)
{
	struct varcat *c = gate_xcalloc(1, sizeof(*c));
	size_t i, k, r;
	int any = 0;

	*out = c;
	for (i = 0; i < nposts; i++)
		any |= posts[i]->nrefs > 0;
	for (i = 0; any && i < nfiles; i++) {
		struct catscan s;
		char *buf = NULL;
		size_t len;
		int named = 0;
		if (!gate_config_path_is_manifest(j->cfg, files[i].path) ||
		    (skip && skip->known(skip->payload, &files[i].id)))
			continue;
		if (gate_judge__read_tree_blob(j, &files[i].id, &buf, &len, msg, msgsize) < 0)
			return -1;
		if (!buf)
			continue;
		if (!strstr(buf, "ConfigMap") && !strstr(buf, "Secret")) {
			/* consecutive commits share nearly every blob: read each once per push */
			if (skip)
				skip->add(skip->payload, &files[i].id);
			free(buf);
			continue;
		}
		for (k = 0; k < nposts && !named; k++)
			for (r = 0; r < posts[k]->nrefs && !named; r++)
				named = strstr(buf, posts[k]->refs[r].name) != NULL;
		if (named) {
			s.c = c;
			s.path = files[i].path;
			s.posts = posts;
			s.nposts = nposts;
			gate_doc_split(buf, len, cat_part, &s);
		}
		free(buf);
	}
	return 0;
}

int gate_judge__varcat_has(const struct varcat *c, const char *kind, const char *name)
{
	size_t i;

	for (i = 0; c && i < c->n; i++)
		if (!strcmp(c->v[i].kind, kind) && !strcmp(c->v[i].name, name))
			return 1;
	return 0;
}

static const struct gate_rnode *rget(const struct gate_rnode *m, const char *key)
{
	size_t i;

	for (i = 0; m && m->type == GATE_RNODE_MAP && i < m->len; i++)
		if (!strcmp(m->u.members[i].key, key))
			return m->u.members[i].value;
	return NULL;
}

void gate_judge__varcat_add_rendered(struct varcat *c, const struct gate_rnode *obj, const char *path)
{
	static const char *const fields[] = { "data", "stringData" };
	const struct gate_rnode *kind = rget(obj, "kind"), *md = rget(obj, "metadata"), *name = rget(md, "name");
	const struct gate_rnode *ns = rget(md, "namespace");
	struct gate_buf vars = GATE_BUF_INIT, dec = GATE_BUF_INIT;
	struct varsrc *v;
	int secret;
	size_t f, i;

	if (!kind || !kind->str || !name || !name->str || (strcmp(kind->str, "ConfigMap") && strcmp(kind->str, "Secret")))
		return;
	secret = !strcmp(kind->str, "Secret");
	GATE_ALLOC_GROW(c->v, c->n + 1, c->alloc);
	v = &c->v[c->n++];
	memset(v, 0, sizeof(*v));
	v->kind = gate_xstrdup(kind->str);
	v->name = gate_xstrdup(name->str);
	v->ns = ns && ns->str ? gate_xstrdup(ns->str) : NULL;
	v->path = gate_xstrdup(obj->file ? obj->file : path);
	v->line = obj->line;
	gate_buf_adds(&vars, "");
	for (f = 0; f < (secret ? 2u : 1u); f++) {
		const struct gate_rnode *d = rget(obj, fields[f]);
		for (i = 0; d && d->type == GATE_RNODE_MAP && i < d->len; i++) {
			const struct gate_rmember *m = &d->u.members[i];
			const char *val = m->value->str ? m->value->str : "";
			size_t vlen = strlen(val);
			if (!gate_judge__subst_name_ok(m->key, strlen(m->key))) {
				if (!v->bad) {
					v->bad = gate_xasprintf("'%s' var name is invalid, must match "
						"'^[_[:alpha:]][_[:alpha:][:digit:]]*$'", m->key);
					v->bad_line = m->line;
					v->bad_col = m->col;
				}
				continue;
			}
			if (secret && f == 0) {
				gate_buf_reset(&dec);
				gate_buf_adds(&dec, "");
				if (b64_decode(val, &dec) < 0)
					continue; /* kustomize's own generators write valid base64 */
				val = dec.ptr;
				vlen = dec.len;
			}
			vars_set(&vars, m->key, val, vlen);
		}
	}
	gate_buf_release(&dec);
	v->vars = gate_buf_detach(&vars);
}

void gate_judge__varcat_free(struct varcat *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].kind);
		free(c->v[i].name);
		free(c->v[i].ns);
		free(c->v[i].path);
		free(c->v[i].vars);
		free(c->v[i].bad);
	}
	free(c->v);
	free(c);
}

/*
 * The object ref names, in the Kustomization's namespace (ns): one naming
 * that namespace first, else one naming none (its namespace is set where it
 * is applied); with ns unknown, the first of that kind and name.
 */
static const struct varsrc *find_src(const struct varcat *c, const struct flux_ref *ref, const char *ns)
{
	const struct varsrc *loose = NULL;
	size_t i;

	for (i = 0; c && i < c->n; i++) {
		const struct varsrc *v = &c->v[i];
		if (strcmp(v->kind, ref->kind) || strcmp(v->name, ref->name))
			continue;
		if (ns && v->ns && !strcmp(ns, v->ns))
			return v;
		if ((!ns || !v->ns) && !loose)
			loose = v;
	}
	return loose;
}

static void note(struct flux_vars *out, const char *file, uint32_t line, uint32_t col, int warn, char *msg)
{
	struct root_note *n;

	GATE_ALLOC_GROW(out->notes, out->nnotes + 1, out->anotes);
	n = &out->notes[out->nnotes++];
	n->file = gate_xstrdup(file);
	n->line = line;
	n->col = col;
	n->warn = warn;
	n->msg = msg;
	if (!warn)
		out->failed = 1;
}

void gate_judge__flux_vars(const struct gate_judge *j, const struct varcat *c, const struct flux_post *post,
	const char *from, int inherited, struct flux_vars *out)
{
	const struct gate_config_flux *fc = gate_config_flux(j->cfg);
	struct gate_buf vars = GATE_BUF_INIT, dig = GATE_BUF_INIT;
	int unknown = inherited;
	size_t i;

	memset(out, 0, sizeof(*out));
	gate_buf_adds(&vars, "");
	for (i = 0; i < post->nrefs; i++) {
		const struct flux_ref *ref = &post->refs[i];
		const struct varsrc *v = find_src(c, ref, post->ns);
		const char *p;
		if (!v) {
			/* Flux skips an optional one that does not exist; the cluster may hold either */
			unknown = 1;
			if (ref->optional || fc->substitute_from_missing == GATE_MISSING_IGNORE)
				continue;
			note(out, from, ref->line, ref->col, fc->substitute_from_missing == GATE_MISSING_WARNING,
				gate_xasprintf("postBuild.substituteFrom %s/%s is not in this repository: the gate "
					"cannot see objects made in the cluster, and Flux fails when it is not there "
					"either; its variables are unknown", ref->kind, ref->name));
			continue;
		}
		if (v->sops) {
			unknown = 1;
			note(out, v->path, v->line, 1, fc->sops_unknown,
				gate_xasprintf("postBuild.substituteFrom %s/%s (named at %s:%u) is SOPS-encrypted: the "
					"gate cannot read its variables%s", ref->kind, ref->name, from, ref->line,
					fc->sops_unknown ? ", they are unknown" :
					" (render.flux.sops_substitute_from: unknown judges them as unknown)"));
			continue;
		}
		if (v->bad) {
			note(out, v->path, v->bad_line, v->bad_col, 0,
				gate_xasprintf("postBuild.substituteFrom %s/%s: %s", ref->kind, ref->name, v->bad));
			continue;
		}
		for (p = v->vars; *p; ) {
			const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
			char *name = gate_xstrndup(p, (size_t)(eq - p));
			vars_set(&vars, name, eq + 1, (size_t)(nl - eq - 1));
			free(name);
			p = nl + 1;
		}
		GATE_ALLOC_GROW(out->srcs, out->nsrcs + 1, out->asrcs);
		out->srcs[out->nsrcs++] = gate_xstrdup(v->path);
	}
	if (post->bad)
		note(out, from, post->bad_line, post->bad_col, 0, gate_xstrdup(post->bad));
	/* the inline variables override those of the objects */
	for (i = 0; post->vars[i]; ) {
		const char *p = post->vars + i, *eq = strchr(p, '='), *nl = strchr(p, '\n');
		char *name = gate_xstrndup(p, (size_t)(eq - p));
		vars_set(&vars, name, eq + 1, (size_t)(nl - eq - 1));
		free(name);
		i = (size_t)(nl + 1 - post->vars);
	}
	/* substituteStrategy WithVariables (the default) substitutes only with some variable defined */
	if (vars.len || post->always || unknown)
		out->vars = gate_buf_detach(&vars);
	gate_buf_release(&vars);
	out->undefined = unknown ? SUBST_KEEP : fc->strict_substitute ? SUBST_ERROR : SUBST_EMPTY;
	gate_buf_addf(&dig, "%s\n%d %d %d\n", out->vars ? out->vars : "-", out->undefined, unknown, post->always);
	for (i = 0; i < out->nnotes; i++)
		gate_buf_addf(&dig, "%s:%u:%u %d %s\n", out->notes[i].file, out->notes[i].line,
			out->notes[i].col, out->notes[i].warn, out->notes[i].msg);
	for (i = 0; i < out->nsrcs; i++)
		gate_buf_addf(&dig, "src %s\n", out->srcs[i]);
	out->digest = gate_buf_detach(&dig);
}

void gate_judge__flux_vars_release(struct flux_vars *v)
{
	size_t i;

	for (i = 0; i < v->nnotes; i++) {
		free(v->notes[i].file);
		free(v->notes[i].msg);
	}
	free(v->notes);
	for (i = 0; i < v->nsrcs; i++)
		free(v->srcs[i]);
	free(v->srcs);
	free(v->vars);
	free(v->digest);
	memset(v, 0, sizeof(*v));
}
