/*
 * judge_argo.c: an Argo CD Application's spec.source.kustomize (and each
 * spec.sources[].kustomize) as an overlay kustomization over its folder.
 * Argo CD's repo-server runs `kustomize edit set/add ...` on a copy of the
 * folder before `kustomize build` (util/kustomize/kustomize.go); here the
 * same options become a kustomization layered on the folder's, in a virtual
 * folder below it, each option at the Application's line that sets it.
 * Values of images and commonLabels (and commonAnnotations with
 * commonAnnotationsEnvsubst) get Argo CD's build environment
 * ($ARGOCD_APP_NAME, $ARGOCD_APP_REVISION, ...), as the repo-server does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/util.h"
#include "judge_int.h"

/* Argo CD's Env.Envsubst (os.Expand): $NAME and ${NAME}; unknown names are empty; $$ is $. */
static char *envsubst(const struct argo_overlay_in *in, const char *s)
{
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_adds(&b, "");
	while (*s) {
		const char *name, *end;
		size_t nlen, k;
		if (*s != '$' || !s[1]) {
			gate_buf_addc(&b, *s++);
			continue;
		}
		if (s[1] == '$') {
			gate_buf_addc(&b, '$');
			s += 2;
			continue;
		}
		if (s[1] == '{') {
			name = s + 2;
			if (!(end = strchr(name, '}'))) {
				s += 2; /* os.Expand drops a bad ${ */
				continue;
			}
			nlen = (size_t)(end - name);
			s = end + 1;
		} else {
			name = s + 1;
			for (nlen = 0; name[nlen] == '_' || (name[nlen] >= 'a' && name[nlen] <= 'z') ||
			     (name[nlen] >= 'A' && name[nlen] <= 'Z') || (name[nlen] >= '0' && name[nlen] <= '9'); nlen++)
				;
			if (!nlen) {
				gate_buf_addc(&b, *s++);
				continue;
			}
			s = name + nlen;
		}
		for (k = 0; k < in->nenv; k++)
			if (strlen(in->env[k][0]) == nlen && !strncmp(in->env[k][0], name, nlen))
				gate_buf_adds(&b, in->env[k][1]);
	}
	return gate_buf_detach(&b);
}

/* A string map as a flow mapping, values through envsubst when subst. */
static void flow_map(const struct argo_overlay_in *in, const struct gate_node *m, int subst, struct gate_buf *b)
{
	size_t i;

	gate_buf_addc(b, '{');
	for (i = 0; m && m->type == GATE_NODE_OBJECT && i < m->len; i++) {
		const struct gate_node *v = &m->u.members[i].value;
		char *val;
		if (v->type != GATE_NODE_STRING)
			continue;
		val = subst ? envsubst(in, v->u.str) : gate_xstrdup(v->u.str);
		gate_judge__add_quoted(b, m->u.members[i].key);
		gate_buf_adds(b, ": ");
		gate_judge__add_quoted(b, val);
		gate_buf_adds(b, ", ");
		free(val);
	}
	gate_buf_addc(b, '}');
}

/*
 * One `kustomize edit set image` argument as an images entry:
 * [<name>=]<newName>[:<tag>][@<digest>] (kustomize's setimage.go).
 */
static void image_entry(const char *arg, struct gate_buf *b)
{
	const char *eq = strchr(arg, '='), *val = eq ? eq + 1 : arg, *at = strchr(val, '@');
	char *name = NULL, *tag = NULL, *digest = NULL, *img;
	const char *colon, *slash;

	img = at ? gate_xstrndup(val, (size_t)(at - val)) : gate_xstrdup(val);
	if (at) {
		digest = gate_xstrdup(at + 1);
	} else {
		slash = strrchr(img, '/');
		colon = strrchr(img, ':');
		if (colon && (!slash || colon > slash) && strspn(colon + 1,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-*") == strlen(colon + 1)) {
			tag = gate_xstrdup(colon + 1);
			img[colon - img] = '\0';
		}
	}
	name = eq ? gate_xstrndup(arg, (size_t)(eq - arg)) : gate_xstrdup(img);
	gate_buf_adds(b, "{name: ");
	gate_judge__add_quoted(b, name);
	if (eq && *img && strcmp(img, "*")) {
		gate_buf_adds(b, ", newName: ");
		gate_judge__add_quoted(b, img);
	}
	if (tag && strcmp(tag, "*")) {
		gate_buf_adds(b, ", newTag: ");
		gate_judge__add_quoted(b, tag);
	}
	if (digest && strcmp(digest, "*")) {
		gate_buf_adds(b, ", digest: ");
		gate_judge__add_quoted(b, digest);
	}
	gate_buf_adds(b, "}");
	free(name);
	free(tag);
	free(digest);
	free(img);
}

static int node_true(const struct gate_node *k, const char *key)
{
	const struct gate_node *v = gate_node_get(k, key);
	return v && v->type == GATE_NODE_BOOL && v->u.boolean;
}

/* The line of key in k (0: absent). */
static uint32_t key_line(const struct gate_node *k, const char *key)
{
	size_t i;

	for (i = 0; i < k->len; i++)
		if (!strcmp(k->u.members[i].key, key))
			return k->u.members[i].line;
	return 0;
}

/* Option key of k on its own line, as one generated line; 0 when not set. */
static int option_line(const struct argo_overlay_in *in, const struct gate_node *k, const char *key,
	struct gate_buf *b, char **bad)
{
	const struct gate_node *v = gate_node_get(k, key);
	size_t i;

	if (!v)
		return 0;
	if (!strcmp(key, "images") && v->type == GATE_NODE_ARRAY) {
		gate_buf_adds(b, "images: [");
		for (i = 0; i < v->len; i++)
			if (v->u.items[i].type == GATE_NODE_STRING) {
				char *img = envsubst(in, v->u.items[i].u.str);
				image_entry(img, b);
				gate_buf_adds(b, ", ");
				free(img);
			}
		gate_buf_adds(b, "]");
	} else if (!strcmp(key, "commonLabels") && v->type == GATE_NODE_OBJECT) {
		if (node_true(k, "labelWithoutSelector")) {
			/* kustomize edit add label --without-selector [--include-templates] */
			gate_buf_adds(b, "labels: [{includeSelectors: false, includeTemplates: ");
			gate_buf_adds(b, node_true(k, "labelIncludeTemplates") ? "true" : "false");
			gate_buf_adds(b, ", pairs: ");
			flow_map(in, v, 1, b);
			gate_buf_adds(b, "}]");
		} else {
			gate_buf_adds(b, "commonLabels: ");
			flow_map(in, v, 1, b);
		}
	} else if (!strcmp(key, "commonAnnotations") && v->type == GATE_NODE_OBJECT) {
		gate_buf_adds(b, "commonAnnotations: ");
		flow_map(in, v, node_true(k, "commonAnnotationsEnvsubst"), b);
	} else if (!strcmp(key, "components") && v->type == GATE_NODE_ARRAY) {
		int ignore = node_true(k, "ignoreMissingComponents");
		gate_buf_adds(b, "components: [");
		for (i = 0; i < v->len; i++) {
			const char *c = v->u.items[i].type == GATE_NODE_STRING ? v->u.items[i].u.str : NULL;
			char *rel;
			if (!c)
				continue;
			if (ignore && in->exists && !in->exists(in->payload, c))
				continue;
			rel = gate_xasprintf("../%s", c);
			gate_judge__add_quoted(b, rel);
			gate_buf_adds(b, ", ");
			free(rel);
		}
		gate_buf_adds(b, "]");
	} else if ((!strcmp(key, "namePrefix") || !strcmp(key, "nameSuffix") || !strcmp(key, "namespace")) &&
		   v->type == GATE_NODE_STRING) {
		if (!*v->u.str)
			return 0; /* Argo CD skips an empty one */
		gate_buf_addf(b, "%s: ", key);
		gate_judge__add_quoted(b, v->u.str);
	} else if (!strcmp(key, "replicas") && v->type == GATE_NODE_ARRAY) {
		gate_buf_adds(b, "replicas: [");
		for (i = 0; i < v->len; i++) {
			const struct gate_node *r = &v->u.items[i], *cnt;
			const char *name;
			char *end;
			long n;
			if (r->type != GATE_NODE_OBJECT || !(name = gate_node_get_str(r, "name")) ||
			    !(cnt = gate_node_get(r, "count")))
				continue;
			if (cnt->type == GATE_NODE_NUMBER) {
				n = (long)cnt->u.number;
			} else if (cnt->type == GATE_NODE_STRING && (n = strtol(cnt->u.str, &end, 10), *cnt->u.str && !*end)) {
				/* an int-or-string count (GetIntCount) */
			} else {
				*bad = gate_xasprintf("replicas count of '%s' is not a number", name);
				return -1;
			}
			gate_buf_adds(b, "{name: ");
			gate_judge__add_quoted(b, name);
			gate_buf_addf(b, ", count: %ld}, ", n);
		}
		gate_buf_adds(b, "]");
	} else {
		return 0;
	}
	return 1;
}

/* A line of a copied patches entry: a path: made relative to the overlay's folder. */
static void copy_patch_line(const char *q, size_t ql, struct gate_buf *b)
{
	size_t sp = 0, off;

	while (sp < ql && q[sp] == ' ')
		sp++;
	off = sp + (ql - sp >= 2 && !strncmp(q + sp, "- ", 2) ? 2 : 0);
	if (ql - off > 5 && !strncmp(q + off, "path:", 5)) {
		char *val;
		size_t vs = off + 5;
		while (vs < ql && q[vs] == ' ')
			vs++;
		val = gate_xstrndup(q + vs, ql - vs);
		if (*val && *val != '"' && *val != '\'' && *val != '#') {
			char *rel = gate_xasprintf("../%s", val);
			gate_buf_add(b, q, vs);
			gate_judge__add_quoted(b, rel);
			free(rel);
			free(val);
			return;
		}
		free(val);
	}
	gate_buf_add(b, q, ql);
}

static const char *const gen_keys[] = {
	"images", "commonLabels", "commonAnnotations", "components", "namePrefix", "nameSuffix", "namespace",
	"replicas"
};

int gate_judge__argo_overlay(const struct argo_overlay_in *in, struct flux_overlay *out)
{
	const struct gate_node *k = in->kustomize;
	struct gate_buf b = GATE_BUF_INIT;
	uint32_t line, kline = 0, pfrom = 0, pto = UINT32_MAX, gl[8];
	const char *p = in->part, *end = in->part + in->len;
	const struct gate_node *patches = gate_node_get(k, "patches");
	uint32_t *plines = NULL;
	size_t i, g, npl = 0;
	int any = 0;

	memset(out, 0, sizeof(*out));
	if (!k || k->type != GATE_NODE_OBJECT || !k->len)
		return 0;
	kline = in->kline;
	if (k->u.members[0].line <= kline)
		return 0; /* a flow mapping: NEEDSWORK */
	out->indent = k->u.members[0].col - 1;
	for (g = 0; g < 8; g++)
		gl[g] = key_line(k, gen_keys[g]);
	for (i = 0; i < k->len; i++)
		if (!strcmp(k->u.members[i].key, "patches") && k->u.members[i].value.type == GATE_NODE_ARRAY) {
			pfrom = k->u.members[i].line;
			pto = i + 1 < k->len ? k->u.members[i + 1].line : in->end_line;
		}
	/* the lines of the patches' own path: keys (relative to the source's folder) */
	for (i = 0; patches && patches->type == GATE_NODE_ARRAY && i < patches->len; i++) {
		const struct gate_node *it = &patches->u.items[i];
		size_t m;
		for (m = 0; it->type == GATE_NODE_OBJECT && m < it->len; m++)
			if (!strcmp(it->u.members[m].key, "path")) {
				plines = gate_xrealloc(plines, (npl + 1) * sizeof(*plines));
				plines[npl++] = it->u.members[m].line;
			}
	}
	for (line = 1; line < in->first; line++)
		gate_buf_addc(&b, '\n');
	for (line = in->first; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int done = 0;
		if (line == kline) {
			gate_buf_adds(&b, "resources: [\"..\"]");
			done = 1;
		}
		for (g = 0; g < 8 && !done; g++)
			if (gl[g] == line) {
				int rc = option_line(in, k, gen_keys[g], &b, &out->bad);
				if (rc < 0) {
					out->bad_line = line;
					out->bad_col = out->indent + 1;
					gate_buf_release(&b);
					free(plines);
					return -1;
				}
				any |= rc;
				done = 1;
			}
		if (!done && pfrom && line >= pfrom && line < pto && ll > out->indent &&
		    strspn(p, " ") >= out->indent) {
			size_t q;
			for (q = 0; q < npl && plines[q] != line; q++)
				;
			if (q < npl)
				copy_patch_line(p + out->indent, ll - out->indent, &b);
			else
				gate_buf_add(&b, p + out->indent, ll - out->indent);
			any = 1;
		}
		gate_buf_addc(&b, '\n');
		p = nl ? nl + 1 : end;
	}
	free(plines);
	if (!any) {
		gate_buf_release(&b);
		return 0;
	}
	out->text = gate_buf_detach(&b);
	return 1;
}

/* The first line after line's block: the next member below it in one of outer. */
static uint32_t block_end(const struct gate_node *const *outer, size_t n, uint32_t line)
{
	uint32_t best = UINT32_MAX;
	size_t i, k;

	for (k = 0; k < n; k++)
		for (i = 0; outer[k] && outer[k]->type == GATE_NODE_OBJECT && i < outer[k]->len; i++)
			if (outer[k]->u.members[i].line > line && outer[k]->u.members[i].line < best)
				best = outer[k]->u.members[i].line;
	return best;
}

void gate_judge__argo_source_in(struct argo_overlay_in *in, const char *part, size_t len, uint32_t first,
	const struct gate_node *root, const struct gate_node *spec, const struct gate_node *src,
	const git_oid *commit)
{
	static const char *const names[ARGO_NENV] = { "ARGOCD_APP_NAME", "ARGOCD_APP_NAMESPACE",
		"ARGOCD_APP_PROJECT_NAME", "ARGOCD_APP_REVISION", "ARGOCD_APP_REVISION_SHORT",
		"ARGOCD_APP_REVISION_SHORT_8", "ARGOCD_APP_SOURCE_REPO_URL", "ARGOCD_APP_SOURCE_PATH",
		"ARGOCD_APP_SOURCE_TARGET_REVISION" };
	const struct gate_node *md = gate_node_get(root, "metadata"), *dst = gate_node_get(spec, "destination");
	const struct gate_node *outer[3];
	const char *v[ARGO_NENV];
	size_t i;

	memset(in, 0, sizeof(*in));
	git_oid_tostr(in->hex, sizeof(in->hex), commit);
	snprintf(in->short7, sizeof(in->short7), "%.7s", in->hex);
	snprintf(in->short8, sizeof(in->short8), "%.8s", in->hex);
	v[0] = md && md->type == GATE_NODE_OBJECT ? gate_node_get_str(md, "name") : NULL;
	v[1] = dst && dst->type == GATE_NODE_OBJECT ? gate_node_get_str(dst, "namespace") : NULL;
	v[2] = gate_node_get_str(spec, "project");
	v[3] = in->hex;
	v[4] = in->short7;
	v[5] = in->short8;
	v[6] = gate_node_get_str(src, "repoURL");
	v[7] = gate_node_get_str(src, "path");
	v[8] = gate_node_get_str(src, "targetRevision");
	for (i = 0; i < ARGO_NENV; i++) {
		in->env[i][0] = names[i];
		in->env[i][1] = v[i] ? v[i] : "";
	}
	in->nenv = ARGO_NENV;
	in->part = part;
	in->len = len;
	in->first = first;
	in->kustomize = gate_node_get(src, "kustomize");
	outer[0] = src;
	outer[1] = spec;
	outer[2] = root;
	for (i = 0; i < src->len; i++)
		if (!strcmp(src->u.members[i].key, "kustomize")) {
			in->kline = src->u.members[i].line;
			in->end_line = block_end(outer, 3, in->kline);
		}
}
