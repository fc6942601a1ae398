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

/* ---- the compiler ------------------------------------------------------ */

int gate_schema__fail(struct compiler *c, const char *fmt, ...)
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

const char *gate_schema__id(const json_t *j)
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
	if ((id = gate_schema__id(j))) {
		sc = gate_schema__uri_resolve(scope, id);
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

	d->uri = gate_schema__uri_split(uri, &frag);
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
			return gate_schema__fail(c, "internal error: draft-04 meta-schema: %s", jerr.text);
		*doc = doc_add(c, draft04_uri, root);
		*node = root;
		return 0;
	}
	if (c->ndocs >= MAX_DOCS)
		return gate_schema__fail(c, "too many schema files referenced (more than %d)", MAX_DOCS);
	gate_schema__uri_parse(&u, uri);
	if (u.scheme && strcmp(u.scheme, "file")) {
		gate_schema__uri_release(&u);
		return gate_schema__fail(c, "cannot resolve $ref to \"%s\": remote references are not supported", uri);
	}
	path = u.path;
	if (!c->files) {
		gate_schema__uri_release(&u);
		return gate_schema__fail(c, "cannot resolve $ref to \"%s\": the schema has no base path for files", uri);
	}
	if (!path[0]) {
		gate_schema__uri_release(&u);
		return gate_schema__fail(c, "cannot resolve $ref to \"%s\"", uri);
	}
	{
		struct gate_buf dec = GATE_BUF_INIT;
		if (percent_decode(path, strlen(path), &dec) < 0 || !dec.ptr || memchr(dec.ptr, 0, dec.len)) {
			gate_buf_release(&dec);
			gate_schema__uri_release(&u);
			return gate_schema__fail(c, "cannot resolve $ref to \"%s\": bad file name", uri);
		}
		if (gate_read_file(dec.ptr, MAX_SCHEMA_FILE, &buf, &len) < 0) {
			int e = errno;
			gate_schema__fail(c, "cannot read referenced schema \"%s\": %s", dec.ptr, strerror(e));
			gate_buf_release(&dec);
			gate_schema__uri_release(&u);
			return -1;
		}
		root = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
		free(buf);
		if (!root) {
			gate_schema__fail(c, "cannot parse referenced schema \"%s\": line %d: %s", dec.ptr, jerr.line, jerr.text);
			gate_buf_release(&dec);
			gate_schema__uri_release(&u);
			return -1;
		}
		gate_buf_release(&dec);
	}
	gate_schema__uri_release(&u);
	*doc = doc_add(c, uri, root);
	*node = root;
	return 0;
}

/* scope of a node reached by stepping into it from scope */
static char *step_scope(const char *scope, const json_t *j)
{
	const char *id = gate_schema__id(j);
	return id ? gate_schema__uri_resolve(scope, id) : gate_xstrdup(scope);
}

/* resolve a $ref found in scope and compile its target */
static int compile_ref(struct compiler *c, const char *ref, const char *scope, struct snode **out)
{
	char *abs = gate_schema__uri_resolve(scope, ref), *docuri, *sc = NULL;
	const char *frag;
	json_t *node = NULL;
	struct sdoc *doc = NULL;
	struct gate_buf dec = GATE_BUF_INIT, saved = GATE_BUF_INIT;
	int error = -1;
	size_t i;

	docuri = gate_schema__uri_split(abs, &frag);
	if (frag[0] && frag[0] != '/') {
		/* a plain-name fragment: an "id": "#name" */
		for (i = 0; i < c->nids; i++)
			if (!strcmp(c->ids[i].uri, abs)) {
				node = c->ids[i].node;
				doc = c->ids[i].doc;
				break;
			}
		if (!node) {
			gate_schema__fail(c, "$ref \"%s\" not found", ref);
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
			gate_schema__fail(c, "$ref \"%s\": bad percent-encoding", ref);
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
				gate_schema__fail(c, "$ref \"%s\" not found", ref);
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
	error = gate_schema__compile_schema(c, node, sc, doc, out);
	gate_buf_release(&c->path);
	c->path = saved;
done:
	gate_buf_release(&dec);
	free(sc);
	free(docuri);
	free(abs);
	return error;
}


int gate_schema__compile_schema(struct compiler *c, json_t *j, const char *scope, struct sdoc *doc,
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
		return gate_schema__fail(c, "a schema must be an object");
	if (c->depth >= MAX_COMPILE_DEPTH)
		return gate_schema__fail(c, "schema nested too deeply (more than %d levels)", MAX_COMPILE_DEPTH);
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
	error = gate_schema__compile_keywords(c, n, j, scope, doc);
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
		return gate_schema__fail(c, "$ref loop: a schema refers to itself without validating anything in between");
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
		gate_schema__fail(&c, "out of memory");
		goto done;
	}
	/* bound backtracking of the interpreter and the JIT */
	pcre2_set_match_limit(s->mctx, 1000000);
	pcre2_set_depth_limit(s->mctx, 10000);

	/* the base as refs to it will spell it: "./a/../b.json" is "b.json" */
	norm = gate_schema__uri_resolve("", base ? base : "");
	doc = doc_add(&c, norm, json_incref(root));
	scope = step_scope(doc->uri, root);
	if ((error = gate_schema__compile_schema(&c, root, scope, doc, &rootnode)) < 0)
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
