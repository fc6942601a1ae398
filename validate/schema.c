/*
 * schema.c: compile a JSON Schema (draft-04 plus the Kubernetes OpenAPI
 * extensions) into a graph of struct snode.  Every schema object is compiled
 * once (memoised by its jansson value), so $ref cycles become cycles of
 * pointers.  Relative files are loaded once per compilation.
 */
#include "schema_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/util.h"

/*
 * PCRE2's JIT scans subjects in aligned blocks that may cover bytes past the
 * string's end (harmless, never across a page), which valgrind reports as
 * reads of uninitialised memory.  Under valgrind the interpreter is used.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#define MAX_DOCS 512            /* schema documents loaded by one compilation */
#define MAX_COMPILE_DEPTH 2000  /* nesting of the compiler's recursion */
#define MAX_SCHEMA_FILE (256u << 20)

/* The draft-04 meta-schema, as santhosh-tekuri/jsonschema embeds it. */
static const char draft04_uri[] = "http://json-schema.org/draft-04/schema";
static const char draft04_text[] =
"{\"id\":\"http://json-schema.org/draft-04/schema#\","
"\"$schema\":\"http://json-schema.org/draft-04/schema#\","
"\"definitions\":{"
"\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},"
"\"positiveInteger\":{\"type\":\"integer\",\"minimum\":0},"
"\"positiveIntegerDefault0\":{\"allOf\":[{\"$ref\":\"#/definitions/positiveInteger\"},{\"default\":0}]},"
"\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\"null\",\"number\",\"object\",\"string\"]},"
"\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"uniqueItems\":true}},"
"\"type\":\"object\","
"\"properties\":{"
"\"id\":{\"type\":\"string\"},"
"\"$schema\":{\"type\":\"string\"},"
"\"title\":{\"type\":\"string\"},"
"\"description\":{\"type\":\"string\"},"
"\"default\":{},"
"\"multipleOf\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true},"
"\"maximum\":{\"type\":\"number\"},"
"\"exclusiveMaximum\":{\"type\":\"boolean\",\"default\":false},"
"\"minimum\":{\"type\":\"number\"},"
"\"exclusiveMinimum\":{\"type\":\"boolean\",\"default\":false},"
"\"maxLength\":{\"$ref\":\"#/definitions/positiveInteger\"},"
"\"minLength\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},"
"\"pattern\":{\"type\":\"string\",\"format\":\"regex\"},"
"\"additionalItems\":{\"anyOf\":[{\"type\":\"boolean\"},{\"$ref\":\"#\"}],\"default\":{}},"
"\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/schemaArray\"}],\"default\":{}},"
"\"maxItems\":{\"$ref\":\"#/definitions/positiveInteger\"},"
"\"minItems\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},"
"\"uniqueItems\":{\"type\":\"boolean\",\"default\":false},"
"\"maxProperties\":{\"$ref\":\"#/definitions/positiveInteger\"},"
"\"minProperties\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},"
"\"required\":{\"$ref\":\"#/definitions/stringArray\"},"
"\"additionalProperties\":{\"anyOf\":[{\"type\":\"boolean\"},{\"$ref\":\"#\"}],\"default\":{}},"
"\"definitions\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},"
"\"properties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},"
"\"patternProperties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},"
"\"dependencies\":{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/stringArray\"}]}},"
"\"enum\":{\"type\":\"array\",\"minItems\":1,\"uniqueItems\":true},"
"\"type\":{\"anyOf\":[{\"$ref\":\"#/definitions/simpleTypes\"},{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/simpleTypes\"},\"minItems\":1,\"uniqueItems\":true}]},"
"\"format\":{\"type\":\"string\"},"
"\"allOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
"\"anyOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
"\"oneOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
"\"not\":{\"$ref\":\"#\"}},"
"\"dependencies\":{\"exclusiveMaximum\":[\"maximum\"],\"exclusiveMinimum\":[\"minimum\"]},"
"\"default\":{}}";

/* ---- small helpers ---------------------------------------------------- */

uint32_t gate_schema_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* ---- URI references (RFC 3986 section 5.2) ----------------------------- */

struct uri {
	char *scheme, *auth, *path, *query, *frag; /* NULL when absent */
};

static void uri_release(struct uri *u)
{
	free(u->scheme);
	free(u->auth);
	free(u->path);
	free(u->query);
	free(u->frag);
	memset(u, 0, sizeof(*u));
}

static void uri_parse(struct uri *u, const char *s)
{
	const char *p = s, *e;

	memset(u, 0, sizeof(*u));
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	for (e = s; *e && (((*e | 0x20) >= 'a' && (*e | 0x20) <= 'z') ||
			(e > s && ((*e >= '0' && *e <= '9') || *e == '+' || *e == '-' || *e == '.'))); e++)
		;
	if (e > s && *e == ':') {
		u->scheme = gate_xstrndup(s, (size_t)(e - s));
		p = e + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		e = p + strcspn(p, "/?#");
		u->auth = gate_xstrndup(p, (size_t)(e - p));
		p = e;
	}
	e = p + strcspn(p, "?#");
	u->path = gate_xstrndup(p, (size_t)(e - p));
	p = e;
	if (*p == '?') {
		p++;
		e = p + strcspn(p, "#");
		u->query = gate_xstrndup(p, (size_t)(e - p));
		p = e;
	}
	if (*p == '#')
		u->frag = gate_xstrdup(p + 1);
}

/* remove "." and ".." segments; a relative path keeps leading ".." */
static char *remove_dots(const char *path)
{
	struct gate_buf out = GATE_BUF_INIT;
	const char **seg = NULL;
	size_t *seglen = NULL, nseg = 0, aseg = 0, aseglen = 0, i;
	int absolute = path[0] == '/', trailing = 0;
	const char *p = path + absolute;

	while (1) {
		size_t l = strcspn(p, "/");
		trailing = 0;
		if (l == 1 && p[0] == '.') {
			trailing = 1;
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			trailing = 1;
			if (nseg && !(seglen[nseg - 1] == 2 && !memcmp(seg[nseg - 1], "..", 2)))
				nseg--;
			else if (!absolute)
				goto push;
		} else {
push:
			GATE_ALLOC_GROW(seg, nseg + 1, aseg);
			GATE_ALLOC_GROW(seglen, nseg + 1, aseglen);
			seg[nseg] = p;
			seglen[nseg++] = l;
		}
		if (!p[l])
			break;
		p += l + 1;
	}
	if (absolute)
		gate_buf_addc(&out, '/');
	for (i = 0; i < nseg; i++) {
		if (i)
			gate_buf_addc(&out, '/');
		gate_buf_add(&out, seg[i], seglen[i]);
	}
	if (trailing && nseg)
		gate_buf_addc(&out, '/');
	free(seg);
	free(seglen);
	if (!out.ptr)
		return gate_xstrdup("");
	return gate_buf_detach(&out);
}

static char *uri_format(const struct uri *u)
{
	struct gate_buf b = GATE_BUF_INIT;

	if (u->scheme)
		gate_buf_addf(&b, "%s:", u->scheme);
	if (u->auth)
		gate_buf_addf(&b, "//%s", u->auth);
	gate_buf_adds(&b, u->path ? u->path : "");
	if (u->query)
		gate_buf_addf(&b, "?%s", u->query);
	if (u->frag)
		gate_buf_addf(&b, "#%s", u->frag);
	if (!b.ptr)
		return gate_xstrdup("");
	return gate_buf_detach(&b);
}

/* resolve ref against base; a new string */
static char *uri_resolve(const char *base, const char *ref)
{
	struct uri b, r, t;
	char *out;

	uri_parse(&b, base ? base : "");
	uri_parse(&r, ref);
	memset(&t, 0, sizeof(t));
	if (r.scheme) {
		t.scheme = gate_xstrdup(r.scheme);
		t.auth = gate_xstrdup(r.auth);
		t.path = remove_dots(r.path);
		t.query = gate_xstrdup(r.query);
	} else {
		if (r.auth) {
			t.auth = gate_xstrdup(r.auth);
			t.path = remove_dots(r.path);
			t.query = gate_xstrdup(r.query);
		} else {
			if (!r.path[0]) {
				t.path = gate_xstrdup(b.path);
				t.query = gate_xstrdup(r.query ? r.query : b.query);
			} else {
				if (r.path[0] == '/') {
					t.path = remove_dots(r.path);
				} else {
					struct gate_buf m = GATE_BUF_INIT;
					const char *slash = strrchr(b.path, '/');
					if (b.auth && !b.path[0])
						gate_buf_addc(&m, '/');
					else if (slash)
						gate_buf_add(&m, b.path, (size_t)(slash - b.path + 1));
					gate_buf_adds(&m, r.path);
					t.path = remove_dots(m.ptr);
					gate_buf_release(&m);
				}
				t.query = gate_xstrdup(r.query);
			}
			t.auth = gate_xstrdup(b.auth);
		}
		t.scheme = gate_xstrdup(b.scheme);
	}
	t.frag = gate_xstrdup(r.frag);
	out = uri_format(&t);
	uri_release(&b);
	uri_release(&r);
	uri_release(&t);
	return out;
}

/* split "uri#frag": returns the part before '#' (new) and points *frag into s */
static char *uri_split(const char *s, const char **frag)
{
	const char *h = strchr(s, '#');

	if (!h) {
		*frag = "";
		return gate_xstrdup(s);
	}
	*frag = h + 1;
	return gate_xstrndup(s, (size_t)(h - s));
}

/* ---- the compiler ------------------------------------------------------ */

struct sdoc {
	char *uri;     /* without fragment */
	json_t *root;  /* reference held by the schema */
	int assert_format;
	int modern;    /* 2019-09 and later: $ref siblings apply */
	int openapi;   /* no "$schema" (CRD and OpenAPI schemas): "default" is applied as the API server applies it */
};

struct sid {
	char *uri;     /* absolute id, fragment kept only when not empty */
	json_t *node;
	struct sdoc *doc;
};

struct memo {
	const json_t *key;
	struct snode *node;
};

struct spat {
	char *src;
	pcre2_code *re;
};

struct compiler {
	struct gate_schema *s;
	int flags;
	struct sdoc **docs;
	size_t ndocs, adocs;
	struct sid *ids;
	size_t nids, aids;
	struct memo *memo; /* open addressing on the pointer */
	size_t nmemo, memo_cap;
	struct spat *pats;
	size_t npats, apats;
	pcre2_code **codes;
	size_t ncodes, acodes;
	int files;            /* may load files: the schema was given a base */
	struct gate_buf path; /* where we are, for messages */
	int depth;
	char *msg;
	size_t msgsize;
};

static int fail(struct compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct compiler *c, const char *fmt, ...)
{
	va_list ap;
	struct gate_buf b = GATE_BUF_INIT;

	va_start(ap, fmt);
	gate_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (c->path.len)
		gate_buf_addf(&b, " (at %s)", c->path.ptr);
	if (c->msg && c->msgsize)
		snprintf(c->msg, c->msgsize, "%s", b.ptr ? b.ptr : "");
	gate_buf_release(&b);
	return -1;
}

static size_t memo_slot(const struct compiler *c, const json_t *key)
{
	uintptr_t h = (uintptr_t)key;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 7) & (c->memo_cap - 1);
}

static struct snode *memo_get(const struct compiler *c, const json_t *key)
{
	size_t i;

	if (!c->memo_cap)
		return NULL;
	for (i = memo_slot(c, key); c->memo[i].key; i = (i + 1) & (c->memo_cap - 1))
		if (c->memo[i].key == key)
			return c->memo[i].node;
	return NULL;
}

static void memo_put(struct compiler *c, const json_t *key, struct snode *node)
{
	size_t i;

	if ((c->nmemo + 1) * 2 > c->memo_cap) {
		struct memo *old = c->memo;
		size_t oldcap = c->memo_cap, j;
		c->memo_cap = oldcap ? oldcap * 2 : 1024;
		c->memo = gate_xcalloc(c->memo_cap, sizeof(*c->memo));
		for (j = 0; j < oldcap; j++) {
			if (!old[j].key)
				continue;
			for (i = memo_slot(c, old[j].key); c->memo[i].key; i = (i + 1) & (c->memo_cap - 1))
				;
			c->memo[i] = old[j];
		}
		free(old);
	}
	for (i = memo_slot(c, key); c->memo[i].key; i = (i + 1) & (c->memo_cap - 1))
		;
	c->memo[i].key = key;
	c->memo[i].node = node;
	c->nmemo++;
}

static struct snode *node_new(struct compiler *c)
{
	struct gate_schema *s = c->s;
	struct snode *n = gate_xcalloc(1, sizeof(*n));

	n->types = ST_ALL;
	n->max_len = UINT64_MAX;
	n->max_items = UINT64_MAX;
	n->max_props = UINT64_MAX;
	GATE_ALLOC_GROW(s->nodes, s->nnodes + 1, s->anodes);
	s->nodes[s->nnodes++] = n;
	return n;
}

static void node_free(struct snode *n)
{
	size_t i;

	free(n->props);
	free(n->slots);
	free(n->required);
	free(n->required_len);
	free(n->pprops);
	free(n->items_arr);
	free(n->enum_vals);
	for (i = 0; i < n->ndeps; i++) {
		free(n->deps[i].req);
		free(n->deps[i].req_len);
	}
	free(n->deps);
	free(n->all_of);
	free(n->any_of);
	free(n->one_of);
	gate_schema_k8s_release(n);
	free(n);
}

void gate_schema_free(struct gate_schema *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nnodes; i++)
		node_free(s->nodes[i]);
	free(s->nodes);
	for (i = 0; i < s->ndocs; i++)
		json_decref(s->docs[i]);
	free(s->docs);
	for (i = 0; i < s->ncodes; i++)
		pcre2_code_free(s->codes[i]);
	free(s->codes);
	pcre2_match_context_free(s->mctx);
	free(s);
}

/* which draft a document is written for, from its "$schema" */
static void doc_dialect(struct sdoc *d, int flags)
{
	json_t *sv = json_is_object(d->root) ? json_object_get(d->root, "$schema") : NULL;
	const char *v = json_string_value(sv);

	d->assert_format = 1;
	d->modern = 0;
	d->openapi = !v;
	if (v) {
		/*
		 * kubeconform compiles with santhosh-tekuri/jsonschema v5 and
		 * draft-04 as default; a "$schema" naming the unversioned
		 * meta-schema or 2019-09/2020-12 is compiled as the latest draft,
		 * where format is an annotation only.
		 */
		if (strstr(v, "json-schema.org/schema") || strstr(v, "/draft/2019-09/") ||
				strstr(v, "/draft/2020-12/")) {
			d->assert_format = 0;
			d->modern = 1;
		}
	}
	if (flags & GATE_SCHEMA_ASSERT_FORMAT)
		d->assert_format = 1;
}

static const char *schema_id(const json_t *j)
{
	const char *id;

	if (!json_is_object(j) || json_object_get(j, "$ref"))
		return NULL; /* beside $ref, "id" is ignored */
	id = json_string_value(json_object_get(j, "id"));
	if (!id)
		id = json_string_value(json_object_get(j, "$id"));
	return id;
}

static void id_add(struct compiler *c, const char *uri, json_t *node, struct sdoc *doc)
{
	size_t l = strlen(uri);

	GATE_ALLOC_GROW(c->ids, c->nids + 1, c->aids);
	c->ids[c->nids].uri = gate_xstrdup(uri);
	if (l && c->ids[c->nids].uri[l - 1] == '#')
		c->ids[c->nids].uri[l - 1] = '\0';
	c->ids[c->nids].node = node;
	c->ids[c->nids].doc = doc;
	c->nids++;
}

/* record the "id"s of a document's subschemas (schema positions only) */
static void scan_ids(struct compiler *c, json_t *j, const char *scope, struct sdoc *doc, int depth)
{
	static const char *const maps[] = { "properties", "patternProperties", "definitions",
		"$defs", "dependencies" };
	static const char *const one[] = { "items", "additionalItems", "additionalProperties", "not" };
	static const char *const arrs[] = { "items", "allOf", "anyOf", "oneOf" };
	const char *id, *key;
	char *sc = NULL;
	json_t *v, *e;
	size_t i, k;

	if (!json_is_object(j) || depth > MAX_COMPILE_DEPTH)
		return;
	if ((id = schema_id(j))) {
		sc = uri_resolve(scope, id);
		id_add(c, sc, j, doc);
		scope = sc;
	}
	for (i = 0; i < sizeof(maps) / sizeof(*maps); i++)
		if (json_is_object(v = json_object_get(j, maps[i])))
			json_object_foreach(v, key, e)
				scan_ids(c, e, scope, doc, depth + 1);
	for (i = 0; i < sizeof(one) / sizeof(*one); i++)
		scan_ids(c, json_object_get(j, one[i]), scope, doc, depth + 1);
	for (i = 0; i < sizeof(arrs) / sizeof(*arrs); i++)
		if (json_is_array(v = json_object_get(j, arrs[i])))
			json_array_foreach(v, k, e)
				scan_ids(c, e, scope, doc, depth + 1);
	free(sc);
}

static struct sdoc *doc_add(struct compiler *c, const char *uri, json_t *root)
{
	struct sdoc *d = gate_xcalloc(1, sizeof(*d));
	struct gate_schema *s = c->s;
	const char *frag;

	d->uri = uri_split(uri, &frag);
	d->root = root; /* the caller's reference moves to the schema */
	doc_dialect(d, c->flags);
	GATE_ALLOC_GROW(c->docs, c->ndocs + 1, c->adocs);
	c->docs[c->ndocs++] = d;
	GATE_ALLOC_GROW(s->docs, s->ndocs + 1, s->adocs);
	s->docs[s->ndocs++] = root;
	scan_ids(c, root, d->uri, d, 0);
	return d;
}

static int percent_decode(const char *s, size_t len, struct gate_buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = s[i + 1];
			lo = s[i + 2];
#define HEXV(ch) ((ch) >= '0' && (ch) <= '9' ? (ch) - '0' : \
	((ch) | 0x20) >= 'a' && ((ch) | 0x20) <= 'f' ? ((ch) | 0x20) - 'a' + 10 : -1)
			hi = HEXV(hi);
			lo = HEXV(lo);
#undef HEXV
			if (hi < 0 || lo < 0)
				return -1;
			gate_buf_addc(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			gate_buf_addc(out, s[i]);
		}
	}
	return 0;
}

/*
 * Find the document (and node) an absolute URI without fragment names: an
 * "id" seen so far, a loaded document, the draft-04 meta-schema, or a file.
 */
static int find_doc(struct compiler *c, const char *uri, json_t **node, struct sdoc **doc,
	int *by_id)
{
	size_t i;
	struct uri u;
	const char *path;
	char *buf = NULL;
	size_t len = 0;
	json_t *root;
	json_error_t jerr;

	*by_id = 0;
	for (i = 0; i < c->nids; i++)
		if (!strcmp(c->ids[i].uri, uri)) {
			*node = c->ids[i].node;
			*doc = c->ids[i].doc;
			*by_id = 1;
			return 0;
		}
	for (i = 0; i < c->ndocs; i++)
		if (!strcmp(c->docs[i]->uri, uri)) {
			*node = c->docs[i]->root;
			*doc = c->docs[i];
			return 0;
		}
	if (!strcmp(uri, draft04_uri) || !strcmp(uri, "https://json-schema.org/draft-04/schema")) {
		root = json_loads(draft04_text, 0, &jerr);
		if (!root)
			return fail(c, "internal error: draft-04 meta-schema: %s", jerr.text);
		*doc = doc_add(c, draft04_uri, root);
		*node = root;
		return 0;
	}
	if (c->ndocs >= MAX_DOCS)
		return fail(c, "too many schema files referenced (more than %d)", MAX_DOCS);
	uri_parse(&u, uri);
	if (u.scheme && strcmp(u.scheme, "file")) {
		uri_release(&u);
		return fail(c, "cannot resolve $ref to \"%s\": remote references are not supported", uri);
	}
	path = u.path;
	if (!c->files) {
		uri_release(&u);
		return fail(c, "cannot resolve $ref to \"%s\": the schema has no base path for files", uri);
	}
	if (!path[0]) {
		uri_release(&u);
		return fail(c, "cannot resolve $ref to \"%s\"", uri);
	}
	{
		struct gate_buf dec = GATE_BUF_INIT;
		if (percent_decode(path, strlen(path), &dec) < 0 || !dec.ptr || memchr(dec.ptr, 0, dec.len)) {
			gate_buf_release(&dec);
			uri_release(&u);
			return fail(c, "cannot resolve $ref to \"%s\": bad file name", uri);
		}
		if (gate_read_file(dec.ptr, MAX_SCHEMA_FILE, &buf, &len) < 0) {
			int e = errno;
			fail(c, "cannot read referenced schema \"%s\": %s", dec.ptr, strerror(e));
			gate_buf_release(&dec);
			uri_release(&u);
			return -1;
		}
		root = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
		free(buf);
		if (!root) {
			fail(c, "cannot parse referenced schema \"%s\": line %d: %s", dec.ptr, jerr.line, jerr.text);
			gate_buf_release(&dec);
			uri_release(&u);
			return -1;
		}
		gate_buf_release(&dec);
	}
	uri_release(&u);
	*doc = doc_add(c, uri, root);
	*node = root;
	return 0;
}

/* scope of a node reached by stepping into it from scope */
static char *step_scope(const char *scope, const json_t *j)
{
	const char *id = schema_id(j);
	return id ? uri_resolve(scope, id) : gate_xstrdup(scope);
}

static int compile_schema(struct compiler *c, json_t *j, const char *scope, struct sdoc *doc,
	struct snode **out);

/* resolve a $ref found in scope and compile its target */
static int compile_ref(struct compiler *c, const char *ref, const char *scope, struct snode **out)
{
	char *abs = uri_resolve(scope, ref), *docuri, *sc = NULL;
	const char *frag;
	json_t *node = NULL;
	struct sdoc *doc = NULL;
	struct gate_buf dec = GATE_BUF_INIT, saved = GATE_BUF_INIT;
	int error = -1;
	size_t i;

	docuri = uri_split(abs, &frag);
	if (frag[0] && frag[0] != '/') {
		/* a plain-name fragment: an "id": "#name" */
		for (i = 0; i < c->nids; i++)
			if (!strcmp(c->ids[i].uri, abs)) {
				node = c->ids[i].node;
				doc = c->ids[i].doc;
				break;
			}
		if (!node) {
			fail(c, "$ref \"%s\" not found", ref);
			goto done;
		}
		sc = gate_xstrdup(docuri);
	} else {
		const char *p, *end;
		int by_id;
		if (find_doc(c, docuri, &node, &doc, &by_id) < 0)
			goto done;
		sc = by_id ? gate_xstrdup(docuri) : step_scope(docuri, node);
		if (percent_decode(frag, strlen(frag), &dec) < 0) {
			fail(c, "$ref \"%s\": bad percent-encoding", ref);
			goto done;
		}
		p = dec.ptr ? dec.ptr : "";
		end = p + dec.len;
		while (p < end) {
			struct gate_buf tok = GATE_BUF_INIT;
			const char *q;
			json_t *next = NULL;
			char *nsc;
			p++; /* the '/' */
			for (q = p; q < end && *q != '/'; q++) {
				if (*q == '~' && q + 1 < end && (q[1] == '0' || q[1] == '1')) {
					gate_buf_addc(&tok, q[1] == '0' ? '~' : '/');
					q++;
				} else {
					gate_buf_addc(&tok, *q);
				}
			}
			if (json_is_object(node)) {
				next = json_object_getn(node, tok.ptr ? tok.ptr : "", tok.len);
			} else if (json_is_array(node) && tok.len && tok.len < 10) {
				char *ep;
				unsigned long idx = strtoul(tok.ptr, &ep, 10);
				if (*ep == '\0' && (tok.ptr[0] != '0' || tok.len == 1))
					next = json_array_get(node, idx);
			}
			gate_buf_release(&tok);
			if (!next) {
				fail(c, "$ref \"%s\" not found", ref);
				goto done;
			}
			node = next;
			nsc = step_scope(sc, node);
			free(sc);
			sc = nsc;
			p = q;
		}
	}
	/* compile the target with the location of the reference as its path */
	saved = c->path;
	memset(&c->path, 0, sizeof(c->path));
	gate_buf_adds(&c->path, abs);
	error = compile_schema(c, node, sc, doc, out);
	gate_buf_release(&c->path);
	c->path = saved;
done:
	gate_buf_release(&dec);
	free(sc);
	free(docuri);
	free(abs);
	return error;
}

static void path_push(struct compiler *c, const char *seg, size_t *saved)
{
	const char *p;

	*saved = c->path.len;
	gate_buf_addc(&c->path, '/');
	for (p = seg; *p; p++) {
		if (*p == '~')
			gate_buf_adds(&c->path, "~0");
		else if (*p == '/')
			gate_buf_adds(&c->path, "~1");
		else
			gate_buf_addc(&c->path, *p);
	}
}

static void path_pop(struct compiler *c, size_t saved)
{
	c->path.len = saved;
	if (c->path.ptr)
		c->path.ptr[saved] = '\0';
}

static int sub(struct compiler *c, json_t *j, const char *kw, const char *kw2,
	const char *scope, struct sdoc *doc, struct snode **out)
{
	size_t s1, s2 = 0;
	int error;
	const char *id = schema_id(j);
	char *sc = id ? uri_resolve(scope, id) : NULL;

	path_push(c, kw, &s1);
	if (kw2)
		path_push(c, kw2, &s2);
	error = compile_schema(c, j, sc ? sc : scope, doc, out);
	path_pop(c, s1);
	free(sc);
	return error;
}

static int sub_array(struct compiler *c, json_t *a, const char *kw, const char *scope,
	struct sdoc *doc, struct snode ***out, size_t *n)
{
	size_t i;
	json_t *e;
	char idx[24];
	int error;

	if (!json_is_array(a))
		return fail(c, "\"%s\" must be an array of schemas", kw);
	*out = gate_xcalloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(**out));
	*n = json_array_size(a);
	json_array_foreach(a, i, e) {
		snprintf(idx, sizeof(idx), "%zu", i);
		if ((error = sub(c, e, kw, idx, scope, doc, &(*out)[i])) < 0)
			return error;
	}
	return 0;
}

static int get_count(struct compiler *c, json_t *v, const char *kw, uint64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return fail(c, "\"%s\" must be a non-negative integer", kw);
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d >= 0 && d == floor(d)) {
			*out = d >= 1.8e19 ? UINT64_MAX : (uint64_t)d;
			return 0;
		}
	}
	return fail(c, "\"%s\" must be a non-negative integer", kw);
}

static int get_bool(struct compiler *c, json_t *v, const char *kw, int *out)
{
	if (!json_is_boolean(v))
		return fail(c, "\"%s\" must be a boolean", kw);
	*out = json_is_true(v);
	return 0;
}

static pcre2_code *get_regex(struct compiler *c, const char *src, const char *kw)
{
	size_t i;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re;

	for (i = 0; i < c->npats; i++)
		if (!strcmp(c->pats[i].src, src))
			return c->pats[i].re;
	/*
	 * ECMA 262 / RE2 semantics as far as PCRE2 allows: "$" matches only
	 * at the very end, UTF-8 subjects.
	 */
	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
		PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &errcode, &erroff, NULL);
	if (!re) {
		PCRE2_UCHAR ebuf[160];
		pcre2_get_error_message(errcode, ebuf, sizeof(ebuf));
		fail(c, "invalid %s \"%.200s\": %s at offset %zu", kw, src, (char *)ebuf, (size_t)erroff);
		return NULL;
	}
	if (!UNDER_VALGRIND())
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
	GATE_ALLOC_GROW(c->s->codes, c->s->ncodes + 1, c->s->acodes);
	c->s->codes[c->s->ncodes++] = re;
	GATE_ALLOC_GROW(c->pats, c->npats + 1, c->apats);
	c->pats[c->npats].src = gate_xstrdup(src);
	c->pats[c->npats].re = re;
	c->npats++;
	return re;
}

static int type_mask(struct compiler *c, json_t *v, uint8_t *mask)
{
	static const struct { const char *name; uint8_t bits; } names[] = {
		{ "null", ST_NULL }, { "boolean", ST_BOOL }, { "integer", ST_INT },
		{ "number", ST_NUM | ST_INT }, { "string", ST_STRING }, { "array", ST_ARRAY },
		{ "object", ST_OBJECT }, { "any", ST_ALL },
	};
	size_t i, k;
	json_t *e;
	const char *name;

	*mask = 0;
	if (json_is_string(v)) {
		name = json_string_value(v);
		for (k = 0; k < sizeof(names) / sizeof(*names); k++)
			if (!strcmp(name, names[k].name)) {
				*mask = names[k].bits;
				return 0;
			}
		return fail(c, "unknown type \"%.100s\"", name);
	}
	if (!json_is_array(v))
		return fail(c, "\"type\" must be a string or an array of strings");
	json_array_foreach(v, i, e) {
		name = json_string_value(e);
		if (!name)
			return fail(c, "\"type\" must be a string or an array of strings");
		for (k = 0; k < sizeof(names) / sizeof(*names); k++)
			if (!strcmp(name, names[k].name))
				break;
		if (k == sizeof(names) / sizeof(*names))
			return fail(c, "unknown type \"%.100s\"", name);
		*mask |= names[k].bits;
	}
	return 0;
}

static int cmp_prop(const void *a, const void *b)
{
	const struct sprop *x = a, *y = b;
	size_t l = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->key, y->key, l);
	return r ? r : (x->len > y->len) - (x->len < y->len);
}

static void build_slots(struct snode *n)
{
	size_t cap = 4, i;

	while (cap < n->nprops * 2)
		cap *= 2;
	n->slots = gate_xcalloc(cap, sizeof(*n->slots));
	n->slot_mask = (uint32_t)(cap - 1);
	for (i = 0; i < n->nprops; i++) {
		uint32_t h = n->props[i].hash & n->slot_mask;
		while (n->slots[h])
			h = (h + 1) & n->slot_mask;
		n->slots[h] = (uint32_t)i + 1;
	}
}

/*
 * Long on purpose: one flat step per JSON Schema keyword, in one place, so
 * that which keywords a node compiles (and in which order) reads top down.
 */
static int compile_keywords(struct compiler *c, struct snode *n, json_t *j, const char *scope,
	struct sdoc *doc)
{
	json_t *v, *e;
	const char *key;
	size_t i;
	int b = 0, error;
	int has_type = 0;

	if ((v = json_object_get(j, "type"))) {
		if ((error = type_mask(c, v, &n->types)) < 0)
			return error;
		has_type = 1;
	}
	if (json_is_true(json_object_get(j, "nullable")))
		n->flags |= SN_NULLABLE;
	if (json_is_true(json_object_get(j, "x-kubernetes-int-or-string")))
		n->types = (uint8_t)((has_type ? n->types : 0) | ST_INT | ST_STRING);
	if (json_is_true(json_object_get(j, "x-kubernetes-preserve-unknown-fields")))
		n->flags |= SN_PRESERVE;
	if (json_is_true(json_object_get(j, "x-kubernetes-embedded-resource")))
		n->flags |= SN_EMBEDDED | SN_OBJECT_KW;

	if ((v = json_object_get(j, "enum"))) {
		if (!json_is_array(v))
			return fail(c, "\"enum\" must be an array");
		n->nenum = json_array_size(v);
		n->enum_vals = gate_xcalloc(n->nenum ? n->nenum : 1, sizeof(*n->enum_vals));
		json_array_foreach(v, i, e)
			n->enum_vals[i] = e;
		if (!n->nenum) /* nothing can match an empty enum */
			n->flags |= SN_FALSE;
	}
	if (doc->modern && (v = json_object_get(j, "const"))) {
		n->enum_vals = gate_xrealloc(n->enum_vals, sizeof(*n->enum_vals) * (n->nenum + 1));
		/* const on top of enum: keep the stricter meaning only if simple */
		n->enum_vals[0] = v;
		n->nenum = 1;
		n->flags &= ~SN_FALSE;
	}

	/* numbers */
	if ((v = json_object_get(j, "minimum"))) {
		if (!json_is_number(v))
			return fail(c, "\"minimum\" must be a number");
		n->minimum = json_number_value(v);
		n->flags |= SN_MIN;
	}
	if ((v = json_object_get(j, "maximum"))) {
		if (!json_is_number(v))
			return fail(c, "\"maximum\" must be a number");
		n->maximum = json_number_value(v);
		n->flags |= SN_MAX;
	}
	if ((v = json_object_get(j, "exclusiveMinimum"))) {
		if (json_is_number(v)) {
			double d = json_number_value(v);
			if (!(n->flags & SN_MIN) || d >= n->minimum) {
				n->minimum = d;
				n->flags |= SN_MIN | SN_EXCL_MIN;
			}
		} else {
			if ((error = get_bool(c, v, "exclusiveMinimum", &b)) < 0)
				return error;
			if (b && (n->flags & SN_MIN))
				n->flags |= SN_EXCL_MIN;
		}
	}
	if ((v = json_object_get(j, "exclusiveMaximum"))) {
		if (json_is_number(v)) {
			double d = json_number_value(v);
			if (!(n->flags & SN_MAX) || d <= n->maximum) {
				n->maximum = d;
				n->flags |= SN_MAX | SN_EXCL_MAX;
			}
		} else {
			if ((error = get_bool(c, v, "exclusiveMaximum", &b)) < 0)
				return error;
			if (b && (n->flags & SN_MAX))
				n->flags |= SN_EXCL_MAX;
		}
	}
	if ((v = json_object_get(j, "multipleOf"))) {
		if (!json_is_number(v) || !(json_number_value(v) > 0))
			return fail(c, "\"multipleOf\" must be a number greater than 0");
		n->multiple_of = json_number_value(v);
		n->flags |= SN_MULTIPLE;
	}

	/* strings */
	if ((v = json_object_get(j, "minLength"))) {
		if ((error = get_count(c, v, "minLength", &n->min_len)) < 0)
			return error;
		n->flags |= SN_STRLIM;
	}
	if ((v = json_object_get(j, "maxLength"))) {
		if ((error = get_count(c, v, "maxLength", &n->max_len)) < 0)
			return error;
		n->flags |= SN_STRLIM;
	}
	if ((v = json_object_get(j, "pattern"))) {
		if (!json_is_string(v))
			return fail(c, "\"pattern\" must be a string");
		n->pattern_src = json_string_value(v);
		if (!(n->pattern = get_regex(c, n->pattern_src, "pattern")))
			return -1;
	}
	if ((v = json_object_get(j, "format"))) {
		/* format is an annotation where it is not asserted */
		if (json_is_string(v) && doc->assert_format)
			n->format = (uint8_t)gate_schema_format_lookup(json_string_value(v));
	}

	/* arrays */
	if ((v = json_object_get(j, "items"))) {
		n->flags |= SN_ARRAY_KW;
		if (json_is_array(v)) {
			n->flags |= SN_ITEMS_ARRAY;
			if ((error = sub_array(c, v, "items", scope, doc, &n->items_arr, &n->nitems_arr)) < 0)
				return error;
		} else if ((error = sub(c, v, "items", NULL, scope, doc, &n->items)) < 0) {
			return error;
		}
	}
	if ((v = json_object_get(j, "additionalItems")) && (n->flags & SN_ITEMS_ARRAY)) {
		if (json_is_false(v))
			n->flags |= SN_ADDITEMS_NO;
		else if (!json_is_true(v) &&
				(error = sub(c, v, "additionalItems", NULL, scope, doc, &n->additional_items)) < 0)
			return error;
	}
	if ((v = json_object_get(j, "minItems"))) {
		if ((error = get_count(c, v, "minItems", &n->min_items)) < 0)
			return error;
		n->flags |= SN_ITEMLIM | SN_ARRAY_KW;
	}
	if ((v = json_object_get(j, "maxItems"))) {
		if ((error = get_count(c, v, "maxItems", &n->max_items)) < 0)
			return error;
		n->flags |= SN_ITEMLIM | SN_ARRAY_KW;
	}
	if ((v = json_object_get(j, "uniqueItems"))) {
		if ((error = get_bool(c, v, "uniqueItems", &b)) < 0)
			return error;
		if (b)
			n->flags |= SN_UNIQUE | SN_ARRAY_KW;
	}

	/* objects */
	if ((v = json_object_get(j, "properties"))) {
		size_t k = 0;
		if (!json_is_object(v))
			return fail(c, "\"properties\" must be an object");
		n->nprops = json_object_size(v);
		n->props = gate_xcalloc(n->nprops ? n->nprops : 1, sizeof(*n->props));
		json_object_foreach(v, key, e) {
			struct sprop *p = &n->props[k++];
			p->key = key;
			p->len = (uint32_t)strlen(key);
			p->hash = gate_schema_hash(key, p->len);
			if ((error = sub(c, e, "properties", key, scope, doc, &p->schema)) < 0)
				return error;
		}
		qsort(n->props, n->nprops, sizeof(*n->props), cmp_prop);
		build_slots(n);
		n->flags |= SN_OBJECT_KW;
	}
	if ((v = json_object_get(j, "required"))) {
		if (!json_is_array(v))
			return fail(c, "\"required\" must be an array of strings");
		n->nrequired = json_array_size(v);
		n->required = gate_xcalloc(n->nrequired ? n->nrequired : 1, sizeof(*n->required));
		n->required_len = gate_xcalloc(n->nrequired ? n->nrequired : 1, sizeof(*n->required_len));
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return fail(c, "\"required\" must be an array of strings");
			n->required[i] = json_string_value(e);
			n->required_len[i] = (uint32_t)json_string_length(e);
		}
		if (n->nrequired)
			n->flags |= SN_OBJECT_KW;
	}
	if ((v = json_object_get(j, "patternProperties"))) {
		size_t k = 0;
		if (!json_is_object(v))
			return fail(c, "\"patternProperties\" must be an object");
		n->npprops = json_object_size(v);
		n->pprops = gate_xcalloc(n->npprops ? n->npprops : 1, sizeof(*n->pprops));
		json_object_foreach(v, key, e) {
			struct spattern *p = &n->pprops[k++];
			p->src = key;
			if (!(p->re = get_regex(c, key, "patternProperties pattern")))
				return -1;
			if ((error = sub(c, e, "patternProperties", key, scope, doc, &p->schema)) < 0)
				return error;
		}
		n->flags |= SN_OBJECT_KW;
	}
	if ((v = json_object_get(j, "additionalProperties"))) {
		if (json_is_false(v))
			n->flags |= SN_ADDPROPS_NO | SN_OBJECT_KW;
		else if (!json_is_true(v)) {
			if ((error = sub(c, v, "additionalProperties", NULL, scope, doc, &n->additional)) < 0)
				return error;
			n->flags |= SN_OBJECT_KW;
		}
	}
	if ((v = json_object_get(j, "minProperties"))) {
		if ((error = get_count(c, v, "minProperties", &n->min_props)) < 0)
			return error;
		n->flags |= SN_PROPLIM | SN_OBJECT_KW;
	}
	if ((v = json_object_get(j, "maxProperties"))) {
		if ((error = get_count(c, v, "maxProperties", &n->max_props)) < 0)
			return error;
		n->flags |= SN_PROPLIM | SN_OBJECT_KW;
	}
	if ((v = json_object_get(j, "dependencies")) && !doc->modern) {
		size_t k = 0;
		if (!json_is_object(v))
			return fail(c, "\"dependencies\" must be an object");
		n->ndeps = json_object_size(v);
		n->deps = gate_xcalloc(n->ndeps ? n->ndeps : 1, sizeof(*n->deps));
		json_object_foreach(v, key, e) {
			struct sdep *d = &n->deps[k++];
			d->key = key;
			d->len = (uint32_t)strlen(key);
			if (json_is_array(e)) {
				json_t *x;
				d->nreq = json_array_size(e);
				d->req = gate_xcalloc(d->nreq ? d->nreq : 1, sizeof(*d->req));
				d->req_len = gate_xcalloc(d->nreq ? d->nreq : 1, sizeof(*d->req_len));
				json_array_foreach(e, i, x) {
					if (!json_is_string(x))
						return fail(c, "\"dependencies\" arrays must hold strings");
					d->req[i] = json_string_value(x);
					d->req_len[i] = (uint32_t)json_string_length(x);
				}
			} else if ((error = sub(c, e, "dependencies", key, scope, doc, &d->schema)) < 0) {
				return error;
			}
		}
		n->flags |= SN_OBJECT_KW;
	}

	/* combinators */
	if ((v = json_object_get(j, "allOf")) &&
			(error = sub_array(c, v, "allOf", scope, doc, &n->all_of, &n->nall_of)) < 0)
		return error;
	if ((v = json_object_get(j, "anyOf")) &&
			(error = sub_array(c, v, "anyOf", scope, doc, &n->any_of, &n->nany_of)) < 0)
		return error;
	if ((v = json_object_get(j, "oneOf")) &&
			(error = sub_array(c, v, "oneOf", scope, doc, &n->one_of, &n->none_of)) < 0)
		return error;
	if ((v = json_object_get(j, "not")) &&
			(error = sub(c, v, "not", NULL, scope, doc, &n->not_)) < 0)
		return error;
	{
		char kmsg[300];
		if (gate_schema_k8s_compile(n, j, kmsg, sizeof(kmsg)) < 0)
			return fail(c, "%s", kmsg);
		if (!doc->openapi)
			n->def = NULL; /* JSON Schema proper: "default" is an annotation only */
	}
	return 0;
}

static int compile_schema(struct compiler *c, json_t *j, const char *scope, struct sdoc *doc,
	struct snode **out)
{
	struct snode *n;
	const char *ref;
	int error = 0;

	if ((n = memo_get(c, j))) {
		*out = n;
		return 0;
	}
	if (json_is_boolean(j)) {
		n = node_new(c);
		if (json_is_false(j))
			n->flags |= SN_FALSE;
		memo_put(c, j, n);
		*out = n;
		return 0;
	}
	if (!json_is_object(j))
		return fail(c, "a schema must be an object");
	if (c->depth >= MAX_COMPILE_DEPTH)
		return fail(c, "schema nested too deeply (more than %d levels)", MAX_COMPILE_DEPTH);
	n = node_new(c);
	memo_put(c, j, n);
	*out = n;
	c->depth++;
	ref = json_string_value(json_object_get(j, "$ref"));
	if (ref) {
		/*
		 * draft-04: "$ref" replaces the whole object (an "id" beside it is
		 * ignored too); from 2019-09 on the other keywords apply as well.
		 */
		if ((error = compile_ref(c, ref, scope, &n->ref)) < 0)
			goto done;
		if (!doc->modern) {
			n->flags |= SN_PURE_REF;
			goto done;
		}
	}
	error = compile_keywords(c, n, j, scope, doc);
done:
	c->depth--;
	return error;
}

/*
 * A cycle through edges that do not consume input ($ref, allOf, anyOf,
 * oneOf, not, dependencies) would make validation loop forever.
 */
static int loop_check(struct compiler *c, struct snode *n, int depth)
{
	size_t i;

#define VISIT(x) do { if ((x) && loop_check(c, (x), depth + 1) < 0) return -1; } while (0)
	if (n->mark == 2)
		return 0;
	if (n->mark == 1 || depth > MAX_COMPILE_DEPTH * 4)
		return fail(c, "$ref loop: a schema refers to itself without validating anything in between");
	n->mark = 1;
	VISIT(n->ref);
	for (i = 0; i < n->nall_of; i++)
		VISIT(n->all_of[i]);
	for (i = 0; i < n->nany_of; i++)
		VISIT(n->any_of[i]);
	for (i = 0; i < n->none_of; i++)
		VISIT(n->one_of[i]);
	VISIT(n->not_);
	for (i = 0; i < n->ndeps; i++)
		VISIT(n->deps[i].schema);
	n->mark = 2;
#undef VISIT
	return 0;
}

static void compiler_release(struct compiler *c)
{
	size_t i;

	for (i = 0; i < c->ndocs; i++) {
		free(c->docs[i]->uri);
		free(c->docs[i]);
	}
	free(c->docs);
	for (i = 0; i < c->nids; i++)
		free(c->ids[i].uri);
	free(c->ids);
	free(c->memo);
	for (i = 0; i < c->npats; i++)
		free(c->pats[i].src);
	free(c->pats);
	gate_buf_release(&c->path);
}

int gate_schema_compile(struct gate_schema **out, json_t *root, const char *base,
	int flags, char *msg, size_t msgsize)
{
	struct compiler c;
	struct gate_schema *s;
	struct sdoc *doc;
	struct snode *rootnode = NULL;
	char *scope = NULL, *norm = NULL;
	int error = -1;
	size_t i;

	*out = NULL;
	if (msg && msgsize)
		msg[0] = '\0';
	if (!root) {
		if (msg && msgsize)
			snprintf(msg, msgsize, "no schema given");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.msg = msg;
	c.msgsize = msgsize;
	c.flags = flags;
	c.files = base != NULL;
	s = c.s = gate_xcalloc(1, sizeof(*s));
	s->mctx = pcre2_match_context_create(NULL);
	if (!s->mctx) {
		fail(&c, "out of memory");
		goto done;
	}
	/* bound backtracking of the interpreter and the JIT */
	pcre2_set_match_limit(s->mctx, 1000000);
	pcre2_set_depth_limit(s->mctx, 10000);

	/* the base as refs to it will spell it: "./a/../b.json" is "b.json" */
	norm = uri_resolve("", base ? base : "");
	doc = doc_add(&c, norm, json_incref(root));
	scope = step_scope(doc->uri, root);
	if ((error = compile_schema(&c, root, scope, doc, &rootnode)) < 0)
		goto done;
	for (i = 0; i < s->nnodes; i++)
		if ((error = loop_check(&c, s->nodes[i], 0)) < 0)
			goto done;
	/* collapse chains of pure references */
	for (i = 0; i < s->nnodes; i++) {
		struct snode *n = s->nodes[i];
		while ((n->flags & SN_PURE_REF) && (n->ref->flags & SN_PURE_REF))
			n->ref = n->ref->ref;
	}
	for (i = 0; i < s->nnodes; i++)
		gate_schema_k8s_finish(s->nodes[i]);
	s->root = rootnode;
	error = 0;
done:
	free(scope);
	free(norm);
	if (error < 0)
		gate_schema_free(s);
	else
		*out = s;
	compiler_release(&c);
	return error;
}

/* gate_node_to_jansson() (declared in gate/schema.h) is defined in doc_json.c. */

int gate_schema_load_file(struct gate_schema **out, const char *path, int flags,
	char *msg, size_t msgsize)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *root;
	json_error_t jerr;
	int error;

	*out = NULL;
	if (gate_read_file(path, MAX_SCHEMA_FILE, &buf, &len) < 0) {
		snprintf(msg, msgsize, "cannot read schema \"%s\": %s", path, strerror(errno));
		return -1;
	}
	root = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		/* not JSON: YAML through the document loader */
		struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
		struct gate_doc_error derr;
		struct gate_doc *doc = NULL;
		const char *ext = strrchr(path, '.');

		if (ext && !strcmp(ext, ".json")) {
			snprintf(msg, msgsize, "cannot parse schema \"%s\": line %d: %s", path, jerr.line, jerr.text);
			free(buf);
			return -1;
		}
		if (gate_doc_parse(&doc, buf, len, 1, &lim, GATE_DOC_DUPKEYS_ERROR, &derr) < 0) {
			snprintf(msg, msgsize, "cannot parse schema \"%s\": line %u: %s", path,
				(unsigned)derr.line, derr.message);
			free(buf);
			return -1;
		}
		root = doc->root ? gate_node_to_jansson(doc->root) : NULL;
		gate_doc_free(doc);
		if (!root) {
			snprintf(msg, msgsize, "cannot parse schema \"%s\": empty document", path);
			free(buf);
			return -1;
		}
	}
	free(buf);
	error = gate_schema_compile(out, root, path, flags, msg, msgsize);
	json_decref(root);
	return error;
}
