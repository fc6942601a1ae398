/*
 * schema_validate.c: validate a document tree against a compiled schema.
 *
 * Runs in one of two modes: recording (every violation becomes an error, up
 * to a bound) or checking (stop at the first violation, record nothing; used
 * for anyOf/oneOf/not branches).  Nothing is allocated until an error is
 * recorded: the JSON pointer is kept as a stack of segments and built only
 * for an error.
 */
#include "schema_int.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

#define MAX_DEPTH 1024      /* instance nesting followed by the validator */
#define QUOTE_MAX 64        /* bytes of an instance string shown in a message */

struct seg {
	const char *key; /* NULL: array index */
	uint32_t len;    /* key length or index */
};

struct vctx {
	struct gate_schema_errors *errs;
	size_t max;   /* 0: no bound */
	size_t added;
	int record;
	int full;     /* the bound was reached: stop */
	struct seg *path;
	size_t depth;
	const struct gate_schema *schema;
	uint64_t cel_budget; /* what is left of the document's CEL cost budget */
	uint64_t cel_evaluated; /* rules evaluated (statistics) */
};

/* ---- thread-local match data for PCRE2 ----------------------------------- */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_destroy(void *p)
{
	pcre2_match_data_free(p);
}

static void md_init(void)
{
	(void)pthread_key_create(&md_key, md_destroy);
}

pcre2_match_data *gate_schema_match_data(void)
{
	pcre2_match_data *md;

	pthread_once(&md_once, md_init);
	md = pthread_getspecific(md_key);
	if (!md) {
		md = pcre2_match_data_create(1, NULL);
		if (!md)
			return NULL;
		(void)pthread_setspecific(md_key, md);
	}
	return md;
}

/* 1 match, 0 no match, negative: could not match (limits) */
static int re_match(const struct vctx *v, pcre2_code *re, const char *s, size_t len)
{
	pcre2_match_data *md = gate_schema_match_data();
	int rc;

	if (!md)
		return -1;
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, md, v->schema->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

/* ---- errors ----------------------------------------------------------------- */

void gate_schema_errors_release(struct gate_schema_errors *errs)
{
	size_t i;

	if (!errs)
		return;
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].pointer);
		free(errs->v[i].keyword);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->alloc = 0;
}

static void add_ptr_token(struct gate_buf *b, const char *s, size_t len)
{
	size_t i;

	gate_buf_addc(b, '/');
	for (i = 0; i < len; i++) {
		if (s[i] == '~')
			gate_buf_add(b, "~0", 2);
		else if (s[i] == '/')
			gate_buf_add(b, "~1", 2);
		else
			gate_buf_addc(b, s[i]);
	}
}

static char *build_pointer(const struct vctx *v, const char *extra, size_t extra_len)
{
	struct gate_buf b = GATE_BUF_INIT;
	size_t i;

	for (i = 0; i < v->depth; i++) {
		if (v->path[i].key)
			add_ptr_token(&b, v->path[i].key, v->path[i].len);
		else
			gate_buf_addf(&b, "/%u", v->path[i].len);
	}
	if (extra)
		add_ptr_token(&b, extra, extra_len);
	if (!b.ptr)
		return gate_xstrdup("");
	return gate_buf_detach(&b);
}

static void add_error(struct vctx *v, uint32_t line, uint32_t col, const char *extra,
	size_t extra_len, const char *keyword, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void add_error(struct vctx *v, uint32_t line, uint32_t col, const char *extra,
	size_t extra_len, const char *keyword, const char *fmt, ...)
{
	struct gate_schema_errors *e = v->errs;
	struct gate_schema_error *x;
	struct gate_buf b = GATE_BUF_INIT;
	va_list ap;

	if (v->full)
		return;
	va_start(ap, fmt);
	gate_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	GATE_ALLOC_GROW(e->v, e->n + 1, e->alloc);
	x = &e->v[e->n++];
	x->pointer = build_pointer(v, extra, extra_len);
	x->line = line;
	x->col = col;
	x->keyword = gate_xstrdup(keyword);
	x->message = b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
	v->added++;
	if (v->max && v->added >= v->max)
		v->full = 1;
}

#define add_quoted gate_schema_add_quoted

/* append s quoted for a message: control bytes as \xNN, long strings cut */
void gate_schema_add_quoted(struct gate_buf *b, const char *s, size_t len, size_t max)
{
	size_t i, n = len;

	if (max && n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* do not cut a UTF-8 sequence */
	}
	gate_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			gate_buf_addf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			gate_buf_addf(b, "\\x%02x", ch);
		else
			gate_buf_addc(b, (char)ch);
	}
	gate_buf_addc(b, '"');
	if (n < len)
		gate_buf_adds(b, "...");
}

/* shortest decimal that reads back as d */
static void fmt_num(char *buf, size_t size, double d)
{
	int prec;

	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(buf, size, "%.0f", d);
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static const char *node_type(const struct gate_node *n)
{
	switch (n->type) {
	case GATE_NODE_NULL: return "null";
	case GATE_NODE_BOOL: return "boolean";
	case GATE_NODE_NUMBER: return (n->flags & GATE_NODE_INTEGRAL) ? "integer" : "number";
	case GATE_NODE_STRING: return "string";
	case GATE_NODE_ARRAY: return "array";
	default: return "object";
	}
}

static uint8_t node_bit(const struct gate_node *n)
{
	switch (n->type) {
	case GATE_NODE_NULL: return ST_NULL;
	case GATE_NODE_BOOL: return ST_BOOL;
	case GATE_NODE_NUMBER: return (n->flags & GATE_NODE_INTEGRAL) ? ST_INT : ST_NUM;
	case GATE_NODE_STRING: return ST_STRING;
	case GATE_NODE_ARRAY: return ST_ARRAY;
	default: return ST_OBJECT;
	}
}

/* "integer, string or null" */
static void add_types(struct gate_buf *b, uint8_t mask)
{
	const char *names[7];
	size_t n = 0, i;

	if (mask & ST_OBJECT) names[n++] = "object";
	if (mask & ST_ARRAY) names[n++] = "array";
	if (mask & ST_STRING) names[n++] = "string";
	if ((mask & (ST_NUM | ST_INT)) == (ST_NUM | ST_INT)) names[n++] = "number";
	else if (mask & ST_INT) names[n++] = "integer";
	else if (mask & ST_NUM) names[n++] = "number";
	if (mask & ST_BOOL) names[n++] = "boolean";
	if (mask & ST_NULL) names[n++] = "null";
	for (i = 0; i < n; i++) {
		if (i)
			gate_buf_adds(b, i + 1 == n ? " or " : ", ");
		gate_buf_adds(b, names[i]);
	}
	if (!n)
		gate_buf_adds(b, "nothing");
}

static void type_error(struct vctx *v, const struct gate_node *n, uint8_t mask, const char *kw)
{
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_adds(&b, "expected ");
	add_types(&b, mask);
	add_error(v, n->line, n->col, NULL, 0, kw, "%s, got %s", b.ptr, node_type(n));
	gate_buf_release(&b);
}

/* ---- equality ------------------------------------------------------------ */

#define node_eq_json gate_schema_node_eq_json
int gate_schema_node_eq_json(const struct gate_node *n, const json_t *j)
{
	uint32_t i;

	switch (n->type) {
	case GATE_NODE_NULL:
		return json_is_null(j);
	case GATE_NODE_BOOL:
		return json_is_boolean(j) && (!!n->u.boolean == !!json_is_true(j));
	case GATE_NODE_NUMBER:
		return json_is_number(j) && json_number_value(j) == n->u.number;
	case GATE_NODE_STRING:
		return json_is_string(j) && json_string_length(j) == n->len &&
			!memcmp(json_string_value(j), n->u.str, n->len);
	case GATE_NODE_ARRAY:
		if (!json_is_array(j) || json_array_size(j) != n->len)
			return 0;
		for (i = 0; i < n->len; i++)
			if (!node_eq_json(&n->u.items[i], json_array_get(j, i)))
				return 0;
		return 1;
	default:
		if (!json_is_object(j) || json_object_size(j) != n->len)
			return 0;
		for (i = 0; i < n->len; i++) {
			const json_t *x = json_object_getn(j, n->u.members[i].key, n->u.members[i].key_len);
			if (!x || !node_eq_json(&n->u.members[i].value, x))
				return 0;
		}
		return 1;
	}
}

/* order-independent hash consistent with gate_node_equal */
#define node_hash gate_schema_node_hash
uint64_t gate_schema_node_hash(const struct gate_node *n)
{
	uint64_t h = 1469598103934665603ull + n->type;
	uint32_t i;

	switch (n->type) {
	case GATE_NODE_BOOL:
		return h * 31 + !!n->u.boolean;
	case GATE_NODE_NUMBER: {
		double d = n->u.number == 0 ? 0 : n->u.number; /* -0 == 0 */
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		return h ^ (bits * 0x9e3779b97f4a7c15ull);
	}
	case GATE_NODE_STRING:
		return h ^ gate_schema_hash(n->u.str, n->len);
	case GATE_NODE_ARRAY:
		for (i = 0; i < n->len; i++)
			h = (h ^ node_hash(&n->u.items[i])) * 1099511628211ull;
		return h;
	case GATE_NODE_OBJECT: {
		uint64_t sum = 0;
		for (i = 0; i < n->len; i++)
			sum += (gate_schema_hash(n->u.members[i].key, n->u.members[i].key_len) * 0x100000001b3ull) ^
				node_hash(&n->u.members[i].value);
		return h ^ sum;
	}
	default:
		return h;
	}
}

struct hidx {
	uint64_t h;
	uint32_t i;
};

static int cmp_hidx(const void *a, const void *b)
{
	const struct hidx *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* find two equal items: 1 and their indexes when found */
static int find_duplicate(const struct gate_node *arr, uint32_t *first, uint32_t *second)
{
	uint32_t i, k, n = arr->len;
	struct hidx stackbuf[64], *hx;
	int found = 0;

	if (n < 2)
		return 0;
	if (n <= 16) {
		for (i = 0; i < n; i++)
			for (k = i + 1; k < n; k++)
				if (gate_node_equal(&arr->u.items[i], &arr->u.items[k])) {
					*first = i;
					*second = k;
					return 1;
				}
		return 0;
	}
	hx = n <= 64 ? stackbuf : gate_xcalloc(n, sizeof(*hx));
	for (i = 0; i < n; i++) {
		hx[i].h = node_hash(&arr->u.items[i]);
		hx[i].i = i;
	}
	qsort(hx, n, sizeof(*hx), cmp_hidx);
	for (i = 0; i < n && !found; i++)
		for (k = i + 1; k < n && hx[k].h == hx[i].h; k++)
			if (gate_node_equal(&arr->u.items[hx[i].i], &arr->u.items[hx[k].i])) {
				*first = hx[i].i < hx[k].i ? hx[i].i : hx[k].i;
				*second = hx[i].i < hx[k].i ? hx[k].i : hx[i].i;
				found = 1;
				break;
			}
	if (hx != stackbuf)
		free(hx);
	return found;
}

/* ---- validation -------------------------------------------------------------- */

static int validate(struct vctx *v, const struct gate_node *n, const struct snode *s);

static inline int push(struct vctx *v, const char *key, uint32_t len)
{
	if (v->depth >= MAX_DEPTH)
		return -1;
	v->path[v->depth].key = key;
	v->path[v->depth].len = len;
	v->depth++;
	return 0;
}

static int too_deep(struct vctx *v, const struct gate_node *n)
{
	if (v->record)
		add_error(v, n->line, n->col, NULL, 0, "depth",
			"value nested too deeply (more than %d levels)", MAX_DEPTH);
	return 0;
}

/* validate a child value under a key or index */
static int child(struct vctx *v, const struct gate_node *n, const char *key, uint32_t len,
	const struct snode *s)
{
	int r;

	if (push(v, key, len) < 0)
		return too_deep(v, n);
	r = validate(v, n, s);
	v->depth--;
	return r;
}

/* check mode: does n validate against s? never records */
static int check(struct vctx *v, const struct gate_node *n, const struct snode *s)
{
	int saved = v->record, r;

	v->record = 0;
	r = validate(v, n, s);
	v->record = saved;
	return r;
}

#define FAIL(...) do { \
	if (!v->record) \
		return 0; \
	add_error(v, __VA_ARGS__); \
	ok = 0; \
	if (v->full) \
		return 0; \
} while (0)

/* record the message held in gate_buf b, then release it */
#define FAIL_BUF(line, col, extra, elen, kw, b) do { \
	add_error(v, (line), (col), (extra), (elen), (kw), "%s", (b).ptr ? (b).ptr : ""); \
	gate_buf_release(&(b)); \
	ok = 0; \
	if (v->full) \
		return 0; \
} while (0)

#define SUB(expr) do { \
	if (!(expr)) { \
		ok = 0; \
		if (!v->record || v->full) \
			return 0; \
	} \
} while (0)

static const struct snode *deref(const struct snode *s)
{
	return (s->flags & SN_PURE_REF) ? s->ref : s;
}

static void enum_message(struct gate_buf *b, const struct snode *s)
{
	size_t i;

	gate_buf_adds(b, s->nenum == 1 ? "value must be " : "value must be one of ");
	for (i = 0; i < s->nenum; i++) {
		char *t;
		if (i)
			gate_buf_adds(b, ", ");
		if (i >= 8 || b->len > 160) {
			gate_buf_addf(b, "... (%zu values)", s->nenum);
			break;
		}
		if (json_is_string(s->enum_vals[i])) {
			add_quoted(b, json_string_value(s->enum_vals[i]), json_string_length(s->enum_vals[i]), 40);
			continue;
		}
		t = json_dumps(s->enum_vals[i], JSON_ENCODE_ANY | JSON_COMPACT);
		if (t && strlen(t) > 40)
			memcpy(t + 37, "...", 4);
		gate_buf_adds(b, t ? t : "?");
		free(t);
	}
}

/*
 * No branch of anyOf/oneOf matched: explain.  When exactly one branch
 * accepts the value's type, its own errors are the explanation; when none
 * does, one type error; otherwise one summary error.
 */
static void explain_branches(struct vctx *v, const struct gate_node *n, struct snode *const *subs,
	size_t nsubs, const char *kw)
{
	uint8_t bit = node_bit(n), all = 0;
	size_t i, candidates = 0, which = 0;

	for (i = 0; i < nsubs; i++) {
		const struct snode *b = deref(subs[i]);
		int accepts = (b->types & bit) || (n->type == GATE_NODE_NULL && (b->flags & SN_NULLABLE));
		if (b->flags & SN_FALSE)
			accepts = 0;
		all |= b->types;
		if (accepts) {
			candidates++;
			which = i;
		}
	}
	if (candidates == 1) {
		size_t before = v->added;
		(void)validate(v, n, subs[which]);
		if (v->added > before)
			return;
	}
	if (!candidates) {
		type_error(v, n, all, kw);
		return;
	}
	add_error(v, n->line, n->col, NULL, 0, kw, "does not match any of the allowed schemas");
}

static int validate_string(struct vctx *v, const struct gate_node *n, const struct snode *s)
{
	int ok = 1, r;

	if (s->flags & SN_STRLIM) {
		uint64_t cps = 0;
		uint32_t i;
		for (i = 0; i < n->len; i++)
			cps += ((unsigned char)n->u.str[i] & 0xc0) != 0x80;
		if (cps < s->min_len)
			FAIL(n->line, n->col, NULL, 0, "minLength", "must be at least %llu character%s long",
				(unsigned long long)s->min_len, s->min_len == 1 ? "" : "s");
		if (cps > s->max_len)
			FAIL(n->line, n->col, NULL, 0, "maxLength", "must be at most %llu character%s long",
				(unsigned long long)s->max_len, s->max_len == 1 ? "" : "s");
	}
	if (s->pattern && (r = re_match(v, s->pattern, n->u.str, n->len)) != 1) {
		if (v->record) {
			struct gate_buf b = GATE_BUF_INIT;
			gate_buf_adds(&b, "string ");
			add_quoted(&b, n->u.str, n->len, QUOTE_MAX);
			gate_buf_adds(&b, r < 0 ? " could not be matched against pattern " : " does not match pattern ");
			add_quoted(&b, s->pattern_src, strlen(s->pattern_src), 200);
			FAIL_BUF(n->line, n->col, NULL, 0, "pattern", b);
		} else {
			return 0;
		}
	}
	if (s->format && !gate_schema_format_check_string((enum sformat)s->format, n->u.str, n->len))
		FAIL(n->line, n->col, NULL, 0, "format", "must be a valid %s",
			gate_schema_format_name((enum sformat)s->format));
	return ok;
}

static int validate_number(struct vctx *v, const struct gate_node *n, const struct snode *s)
{
	double d = n->u.number;
	char num[40];
	int ok = 1;

	if (s->flags & SN_MIN) {
		if ((s->flags & SN_EXCL_MIN) ? !(d > s->minimum) : !(d >= s->minimum)) {
			if (!v->record)
				return 0;
			fmt_num(num, sizeof(num), s->minimum);
			FAIL(n->line, n->col, NULL, 0, "minimum", "must be %s %s",
				(s->flags & SN_EXCL_MIN) ? "greater than" : "at least", num);
		}
	}
	if (s->flags & SN_MAX) {
		if ((s->flags & SN_EXCL_MAX) ? !(d < s->maximum) : !(d <= s->maximum)) {
			if (!v->record)
				return 0;
			fmt_num(num, sizeof(num), s->maximum);
			FAIL(n->line, n->col, NULL, 0, "maximum", "must be %s %s",
				(s->flags & SN_EXCL_MAX) ? "less than" : "at most", num);
		}
	}
	if (s->flags & SN_MULTIPLE) {
		double q = d / s->multiple_of;
		int good;
		if (d == floor(d) && s->multiple_of == floor(s->multiple_of) && fabs(d) < 9e15)
			good = fmod(d, s->multiple_of) == 0;
		else
			good = isfinite(q) && fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q));
		if (!good) {
			if (!v->record)
				return 0;
			fmt_num(num, sizeof(num), s->multiple_of);
			FAIL(n->line, n->col, NULL, 0, "multipleOf", "must be a multiple of %s", num);
		}
	}
	if (s->format && !gate_schema_format_check_number((enum sformat)s->format, d,
			!!(n->flags & GATE_NODE_INTEGRAL)))
		FAIL(n->line, n->col, NULL, 0, "format", "must be a valid %s",
			gate_schema_format_name((enum sformat)s->format));
	return ok;
}

static void k8s_report(void *payload, const struct sfseg *segs, size_t nsegs, const struct gate_node *at,
	const char *keyword, const char *message);

static int validate_array(struct vctx *v, const struct gate_node *n, const struct snode *s)
{
	uint32_t i, a, b;
	int ok = 1;

	if (s->flags & SN_ITEMLIM) {
		if (n->len < s->min_items)
			FAIL(n->line, n->col, NULL, 0, "minItems", "must have at least %llu item%s",
				(unsigned long long)s->min_items, s->min_items == 1 ? "" : "s");
		if (n->len > s->max_items)
			FAIL(n->line, n->col, NULL, 0, "maxItems", "must have at most %llu item%s",
				(unsigned long long)s->max_items, s->max_items == 1 ? "" : "s");
	}
	if (s->flags & SN_ITEMS_ARRAY) {
		for (i = 0; i < n->len; i++) {
			const struct snode *is = i < s->nitems_arr ? s->items_arr[i] : s->additional_items;
			if (!is) {
				if (i >= s->nitems_arr && (s->flags & SN_ADDITEMS_NO))
					FAIL(n->line, n->col, NULL, 0, "additionalItems",
						"must have at most %zu item%s", s->nitems_arr,
						s->nitems_arr == 1 ? "" : "s");
				if (i >= s->nitems_arr)
					break;
				continue;
			}
			SUB(child(v, &n->u.items[i], NULL, i, is));
		}
	} else if (s->items) {
		for (i = 0; i < n->len; i++)
			SUB(child(v, &n->u.items[i], NULL, i, s->items));
	}
	if (s->flags & (SN_LIST_MAP | SN_LIST_SET))
		SUB(gate_schema_list_check(s, n, k8s_report, v, v->record));
	if ((s->flags & SN_UNIQUE) && find_duplicate(n, &a, &b))
		FAIL(n->line, n->col, NULL, 0, "uniqueItems", "items %u and %u are equal, items must be unique",
			a, b);
	return ok;
}

static const struct gate_member *member_get(const struct gate_node *n, const char *key, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < n->len; i++)
		if (n->u.members[i].key_len == len && !memcmp(n->u.members[i].key, key, len))
			return &n->u.members[i];
	return NULL;
}

#define prop_get gate_schema_prop_get

/* ---- Kubernetes: embedded resources, list topology, CEL rules ------------------ */

/* a violation found by schema_k8s.c, under segs of the current node */
static void k8s_report(void *payload, const struct sfseg *segs, size_t nsegs, const struct gate_node *at,
	const char *keyword, const char *message)
{
	struct vctx *v = payload;
	size_t saved = v->depth, i;

	if (!v->record)
		return;
	for (i = 0; i < nsegs; i++)
		if (push(v, segs[i].key, segs[i].len) < 0)
			break;
	add_error(v, at->line, at->col, NULL, 0, keyword, "%s", message);
	v->depth = saved;
}

static int validate_object(struct vctx *v, const struct gate_node *n, const struct snode *s)
{
	uint32_t i;
	size_t k;
	int ok = 1, r;

	if (s->flags & SN_PROPLIM) {
		if (n->len < s->min_props)
			FAIL(n->line, n->col, NULL, 0, "minProperties", "must have at least %llu propert%s",
				(unsigned long long)s->min_props, s->min_props == 1 ? "y" : "ies");
		if (n->len > s->max_props)
			FAIL(n->line, n->col, NULL, 0, "maxProperties", "must have at most %llu propert%s",
				(unsigned long long)s->max_props, s->max_props == 1 ? "y" : "ies");
	}
	for (k = 0; k < s->nrequired; k++) {
		const struct sprop *rp;
		if (member_get(n, s->required[k], s->required_len[k]))
			continue;
		/* the API server defaults before it validates: a default fills a required property */
		rp = prop_get(s, s->required[k], s->required_len[k]);
		if (rp && rp->schema && deref(rp->schema)->def)
			continue;
		if (!v->record)
			return 0;
		{
			struct gate_buf b = GATE_BUF_INIT;
			gate_buf_adds(&b, "missing required property ");
			add_quoted(&b, s->required[k], s->required_len[k], 0);
			FAIL_BUF(n->line, n->col, NULL, 0, "required", b);
		}
	}
	if (s->flags & SN_EMBEDDED)
		SUB(gate_schema_embedded_check(n, k8s_report, v, v->record));
	if (s->nprops || s->npprops || s->additional || (s->flags & SN_ADDPROPS_NO)) {
		for (i = 0; i < n->len; i++) {
			const struct gate_member *m = &n->u.members[i];
			const struct sprop *p = prop_get(s, m->key, m->key_len);
			int matched = 0;
			if (p) {
				matched = 1;
				SUB(child(v, &m->value, m->key, m->key_len, p->schema));
			}
			for (k = 0; k < s->npprops; k++) {
				r = re_match(v, s->pprops[k].re, m->key, m->key_len);
				if (r < 0)
					FAIL(m->line, m->col, m->key, m->key_len, "patternProperties",
						"property name could not be matched against pattern");
				if (r != 1)
					continue;
				matched = 1;
				SUB(child(v, &m->value, m->key, m->key_len, s->pprops[k].schema));
			}
			if (matched)
				continue;
			if (s->additional) {
				SUB(child(v, &m->value, m->key, m->key_len, s->additional));
			} else if ((s->flags & SN_ADDPROPS_NO) && !(s->flags & SN_PRESERVE)) {
				if (!v->record)
					return 0;
				{
					struct gate_buf b = GATE_BUF_INIT;
					gate_buf_adds(&b, "additional property ");
					add_quoted(&b, m->key, m->key_len, QUOTE_MAX);
					gate_buf_adds(&b, " is not allowed");
					FAIL_BUF(m->line, m->col, m->key, m->key_len, "additionalProperties", b);
				}
			}
		}
	}
	for (k = 0; k < s->ndeps; k++) {
		const struct sdep *d = &s->deps[k];
		size_t j;
		if (!member_get(n, d->key, d->len))
			continue;
		for (j = 0; j < d->nreq; j++) {
			if (member_get(n, d->req[j], d->req_len[j]))
				continue;
			if (!v->record)
				return 0;
			{
				struct gate_buf b = GATE_BUF_INIT;
				gate_buf_adds(&b, "property ");
				add_quoted(&b, d->req[j], d->req_len[j], QUOTE_MAX);
				gate_buf_adds(&b, " is required when ");
				add_quoted(&b, d->key, d->len, QUOTE_MAX);
				gate_buf_adds(&b, " is present");
				FAIL_BUF(n->line, n->col, NULL, 0, "dependencies", b);
			}
		}
		if (d->schema)
			SUB(validate(v, n, d->schema));
	}
	return ok;
}

static int validate(struct vctx *v, const struct gate_node *n, const struct snode *s)
{
	uint8_t bit;
	size_t i;
	int ok = 1;

	if (s->flags & SN_PURE_REF)
		s = s->ref;
	if (s->flags & SN_FALSE) {
		if (s->nenum == 0 && s->enum_vals)
			FAIL(n->line, n->col, NULL, 0, "enum", "no value is allowed (empty enum)");
		else
			FAIL(n->line, n->col, NULL, 0, "false", "no value is allowed here");
		return 0;
	}
	if (n->type == GATE_NODE_NULL && (s->flags & SN_NULLABLE))
		return 1;
	bit = node_bit(n);
	if (!(s->types & bit)) {
		if (v->record)
			type_error(v, n, s->types, "type");
		return 0;
	}
	if (s->ref)
		SUB(validate(v, n, s->ref));
	if (s->nenum) {
		for (i = 0; i < s->nenum; i++)
			if (node_eq_json(n, s->enum_vals[i]))
				break;
		if (i == s->nenum) {
			if (!v->record)
				return 0;
			{
				struct gate_buf b = GATE_BUF_INIT;
				enum_message(&b, s);
				FAIL_BUF(n->line, n->col, NULL, 0, "enum", b);
			}
		}
	}
	switch (n->type) {
	case GATE_NODE_STRING:
		if ((s->flags & SN_STRLIM) || s->pattern || s->format)
			SUB(validate_string(v, n, s));
		break;
	case GATE_NODE_NUMBER:
		if ((s->flags & (SN_MIN | SN_MAX | SN_MULTIPLE)) || s->format)
			SUB(validate_number(v, n, s));
		break;
	case GATE_NODE_ARRAY:
		if (s->flags & SN_ARRAY_KW)
			SUB(validate_array(v, n, s));
		break;
	case GATE_NODE_OBJECT:
		if (s->flags & SN_OBJECT_KW)
			SUB(validate_object(v, n, s));
		break;
	default:
		break;
	}
	if (s->nrules)
		SUB(gate_schema_rules_eval(s, n, k8s_report, v, &v->cel_budget, &v->cel_evaluated) == 0);
	for (i = 0; i < s->nall_of; i++)
		SUB(validate(v, n, s->all_of[i]));
	if (s->nany_of) {
		for (i = 0; i < s->nany_of; i++)
			if (check(v, n, s->any_of[i]))
				break;
		if (i == s->nany_of) {
			if (!v->record)
				return 0;
			explain_branches(v, n, s->any_of, s->nany_of, "anyOf");
			ok = 0;
			if (v->full)
				return 0;
		}
	}
	if (s->none_of) {
		size_t matches = 0, first = 0, second = 0;
		for (i = 0; i < s->none_of && matches < 2; i++)
			if (check(v, n, s->one_of[i])) {
				if (!matches++)
					first = i;
				else
					second = i;
			}
		if (matches == 0) {
			if (!v->record)
				return 0;
			explain_branches(v, n, s->one_of, s->none_of, "oneOf");
			ok = 0;
			if (v->full)
				return 0;
		} else if (matches > 1) {
			FAIL(n->line, n->col, NULL, 0, "oneOf",
				"must match exactly one of the allowed schemas, but matches %zu and %zu",
				first, second);
		}
	}
	if (s->not_ && check(v, n, s->not_))
		FAIL(n->line, n->col, NULL, 0, "not", "must not match the schema in \"not\"");
	return ok;
}

int gate_schema_validate(const struct gate_schema *schema, const struct gate_node *node,
	struct gate_schema_errors *errs, size_t max_errors)
{
	struct seg path[MAX_DEPTH];
	struct vctx v;
	int r;

	if (!schema || !node || !errs)
		return -1;
	memset(&v, 0, sizeof(v));
	v.errs = errs;
	v.max = max_errors;
	v.record = 1;
	v.path = path;
	v.schema = schema;
	v.cel_budget = GATE_SCHEMA_CEL_BUDGET;
	r = validate(&v, node, schema->root);
	gate_schema_cel_count(v.cel_evaluated);
	if (!r && !v.added) /* every failure records something; keep the promise anyway */
		add_error(&v, node->line, node->col, NULL, 0, "schema", "does not match the schema");
	return r ? 1 : 0;
}
