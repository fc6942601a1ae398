/*
 * schema_keywords.c: compile the keywords of one schema object into its
 * struct snode (types, bounds, patterns, properties, items, combinators and
 * the Kubernetes extensions).  Private to the schema module.
 */
#include "schema_int.h"

#include <errno.h>
#include <math.h>
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
	const char *id = gate_schema__id(j);
	char *sc = id ? gate_schema__uri_resolve(scope, id) : NULL;

	path_push(c, kw, &s1);
	if (kw2)
		path_push(c, kw2, &s2);
	error = gate_schema__compile_schema(c, j, sc ? sc : scope, doc, out);
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
		return gate_schema__fail(c, "\"%s\" must be an array of schemas", kw);
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
			return gate_schema__fail(c, "\"%s\" must be a non-negative integer", kw);
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
	return gate_schema__fail(c, "\"%s\" must be a non-negative integer", kw);
}

static int get_bool(struct compiler *c, json_t *v, const char *kw, int *out)
{
	if (!json_is_boolean(v))
		return gate_schema__fail(c, "\"%s\" must be a boolean", kw);
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
		gate_schema__fail(c, "invalid %s \"%.200s\": %s at offset %zu", kw, src, (char *)ebuf, (size_t)erroff);
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
		return gate_schema__fail(c, "unknown type \"%.100s\"", name);
	}
	if (!json_is_array(v))
		return gate_schema__fail(c, "\"type\" must be a string or an array of strings");
	json_array_foreach(v, i, e) {
		name = json_string_value(e);
		if (!name)
			return gate_schema__fail(c, "\"type\" must be a string or an array of strings");
		for (k = 0; k < sizeof(names) / sizeof(*names); k++)
			if (!strcmp(name, names[k].name))
				break;
		if (k == sizeof(names) / sizeof(*names))
			return gate_schema__fail(c, "unknown type \"%.100s\"", name);
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
int gate_schema__compile_keywords(struct compiler *c, struct snode *n, json_t *j, const char *scope,
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
			return gate_schema__fail(c, "\"enum\" must be an array");
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
			return gate_schema__fail(c, "\"minimum\" must be a number");
		n->minimum = json_number_value(v);
		n->flags |= SN_MIN;
	}
	if ((v = json_object_get(j, "maximum"))) {
		if (!json_is_number(v))
			return gate_schema__fail(c, "\"maximum\" must be a number");
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
			return gate_schema__fail(c, "\"multipleOf\" must be a number greater than 0");
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
			return gate_schema__fail(c, "\"pattern\" must be a string");
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
			return gate_schema__fail(c, "\"properties\" must be an object");
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
			return gate_schema__fail(c, "\"required\" must be an array of strings");
		n->nrequired = json_array_size(v);
		n->required = gate_xcalloc(n->nrequired ? n->nrequired : 1, sizeof(*n->required));
		n->required_len = gate_xcalloc(n->nrequired ? n->nrequired : 1, sizeof(*n->required_len));
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return gate_schema__fail(c, "\"required\" must be an array of strings");
			n->required[i] = json_string_value(e);
			n->required_len[i] = (uint32_t)json_string_length(e);
		}
		if (n->nrequired)
			n->flags |= SN_OBJECT_KW;
	}
	if ((v = json_object_get(j, "patternProperties"))) {
		size_t k = 0;
		if (!json_is_object(v))
			return gate_schema__fail(c, "\"patternProperties\" must be an object");
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
			return gate_schema__fail(c, "\"dependencies\" must be an object");
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
						return gate_schema__fail(c, "\"dependencies\" arrays must hold strings");
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
			return gate_schema__fail(c, "%s", kmsg);
		if (!doc->openapi)
			n->def = NULL; /* JSON Schema proper: "default" is an annotation only */
	}
	return 0;
}
