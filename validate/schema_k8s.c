/*
 * schema_k8s.c: the Kubernetes extensions of CRD schemas that the API server
 * enforces on create: x-kubernetes-validations (CEL rules, compiled once with
 * the schema and evaluated with self bound to the node, defaults applied
 * first), x-kubernetes-list-type and x-kubernetes-list-map-keys (read here,
 * checked by schema_validate.c), default.  Messages are worded as the API
 * server words them: `Invalid value: "object": <message>`.
 */
#include "schema_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

/* ---- compile --------------------------------------------------------------- */

/* ".a.b['c.d'][0]" into pointer segments; -1 when malformed */
static int parse_field_path(struct srule *r, const char *s)
{
	size_t i = 0, len = strlen(s), alloc = 0;

	while (i < len) {
		struct sfseg seg = { NULL, 0 };
		if (s[i] == '.') {
			size_t b = ++i;
			while (i < len && s[i] != '.' && s[i] != '[')
				i++;
			if (i == b)
				return -1;
			seg.key = gate_xstrndup(s + b, i - b);
			seg.len = (uint32_t)(i - b);
		} else if (s[i] == '[' && i + 1 < len && (s[i + 1] == '\'' || s[i + 1] == '"')) {
			char q = s[i + 1];
			size_t b = i + 2, e = b;
			while (e < len && s[e] != q)
				e++;
			if (e + 1 >= len || s[e + 1] != ']')
				return -1;
			seg.key = gate_xstrndup(s + b, e - b);
			seg.len = (uint32_t)(e - b);
			i = e + 2;
		} else if (s[i] == '[') {
			uint64_t idx = 0;
			size_t b = ++i;
			while (i < len && s[i] >= '0' && s[i] <= '9' && idx < 1000000000)
				idx = idx * 10 + (uint64_t)(s[i++] - '0');
			if (i == b || i >= len || s[i] != ']')
				return -1;
			i++;
			seg.len = (uint32_t)idx;
		} else {
			return -1;
		}
		GATE_ALLOC_GROW(r->field_path, r->nfield_path + 1, alloc);
		r->field_path[r->nfield_path++] = seg;
	}
	return 0;
}

static int compile_rule(struct srule *r, json_t *o, char *msg, size_t msgsize)
{
	json_t *v;
	char err[300];

	if (!json_is_object(o) || !json_is_string(json_object_get(o, "rule"))) {
		gate_set_msg(msg, msgsize, "each x-kubernetes-validations entry must be an object with a \"rule\" string");
		return -1;
	}
	r->rule = json_string_value(json_object_get(o, "rule"));
	r->message = json_string_value(json_object_get(o, "message"));
	r->reason = json_string_value(json_object_get(o, "reason"));
	r->optional_old_self = json_is_true(json_object_get(o, "optionalOldSelf"));
	if (gate_cel_compile(&r->prog, r->rule, json_string_length(json_object_get(o, "rule")), err, sizeof(err)) < 0)
		r->compile_error = gate_xstrdup(err);
	else
		r->transition = gate_cel_program_uses(r->prog, "oldSelf");
	if ((v = json_object_get(o, "messageExpression")) && json_is_string(v) &&
			gate_cel_compile(&r->msg_prog, json_string_value(v), json_string_length(v), err, sizeof(err)) < 0)
		r->msg_prog = NULL; /* the static message or the default then */
	if ((v = json_object_get(o, "fieldPath")) && json_is_string(v) && parse_field_path(r, json_string_value(v)) < 0) {
		gate_set_msg(msg, msgsize, "invalid fieldPath %.100s in x-kubernetes-validations", json_string_value(v));
		return -1;
	}
	return 0;
}

int gate_schema_k8s_compile(struct snode *n, json_t *j, char *msg, size_t msgsize)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *format = json_string_value(json_object_get(j, "format"));
	const char *lt = json_string_value(json_object_get(j, "x-kubernetes-list-type"));
	json_t *v, *e;
	size_t i;

	n->def = json_object_get(j, "default");
	if (format && !strcmp(format, "byte"))
		n->cel_scalar = GATE_CEL_SCALAR_BYTES;
	else if (format && !strcmp(format, "duration"))
		n->cel_scalar = GATE_CEL_SCALAR_DURATION;
	else if (format && (!strcmp(format, "date-time") || !strcmp(format, "date")))
		n->cel_scalar = GATE_CEL_SCALAR_TIMESTAMP;
	else if (type && !strcmp(type, "integer"))
		n->cel_scalar = GATE_CEL_SCALAR_INT;
	else if (type && !strcmp(type, "number"))
		n->cel_scalar = GATE_CEL_SCALAR_DOUBLE;
	if (lt && n->types == ST_ARRAY) { /* the API server allows list types on arrays only */
		if (!strcmp(lt, "map"))
			n->flags |= SN_LIST_MAP | SN_ARRAY_KW;
		else if (!strcmp(lt, "set"))
			n->flags |= SN_LIST_SET | SN_ARRAY_KW;
		else if (strcmp(lt, "atomic")) {
			gate_set_msg(msg, msgsize, "x-kubernetes-list-type must be atomic, set or map, not %.40s", lt);
			return -1;
		}
	}
	if ((v = json_object_get(j, "x-kubernetes-list-map-keys")) && json_is_array(v)) {
		n->map_keys = gate_xcalloc(json_array_size(v) + 1, sizeof(*n->map_keys));
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				gate_set_msg(msg, msgsize, "x-kubernetes-list-map-keys must hold strings");
				return -1;
			}
			n->map_keys[n->nmap_keys++] = json_string_value(e);
		}
	}
	if ((n->flags & SN_LIST_MAP) && !n->nmap_keys && n->types == ST_ARRAY) {
		gate_set_msg(msg, msgsize, "x-kubernetes-list-type map needs x-kubernetes-list-map-keys");
		return -1;
	}
	v = json_object_get(j, "x-kubernetes-validations");
	if (v && !json_is_array(v)) {
		gate_set_msg(msg, msgsize, "x-kubernetes-validations must be an array");
		return -1;
	}
	if (v && json_array_size(v)) {
		n->rules = gate_xcalloc(json_array_size(v), sizeof(*n->rules));
		json_array_foreach(v, i, e) {
			if (compile_rule(&n->rules[n->nrules], e, msg, msgsize) < 0) {
				n->nrules++;
				return -1;
			}
			n->nrules++;
		}
	}
	return 0;
}

static const struct snode *deref(const struct snode *s)
{
	int hops = 0;

	while (s && (s->flags & SN_PURE_REF) && hops++ < 64)
		s = s->ref;
	return s;
}

void gate_schema_k8s_finish(struct snode *n)
{
	size_t i, k = 0;

	for (i = 0; i < n->nprops; i++) {
		const struct snode *p = deref(n->props[i].schema);
		if (p && p->def)
			k++;
	}
	if (!k)
		return;
	n->dprops = gate_xcalloc(k, sizeof(*n->dprops));
	for (i = 0; i < n->nprops; i++) {
		const struct snode *p = deref(n->props[i].schema);
		if (p && p->def)
			n->dprops[n->ndprops++] = (uint32_t)i;
	}
}

void gate_schema_k8s_release(struct snode *n)
{
	size_t i, k;

	for (i = 0; i < n->nrules; i++) {
		gate_cel_program_free(n->rules[i].prog);
		gate_cel_program_free(n->rules[i].msg_prog);
		free(n->rules[i].compile_error);
		for (k = 0; k < n->rules[i].nfield_path; k++)
			free(n->rules[i].field_path[k].key);
		free(n->rules[i].field_path);
	}
	free(n->rules);
	free(n->map_keys);
	free(n->dprops);
}

/* ---- embedded resources and list topology -------------------------------------- */

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

static const struct gate_member *member_get(const struct gate_node *n, const char *key, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < n->len; i++)
		if (n->u.members[i].key_len == len && !memcmp(n->u.members[i].key, key, len))
			return &n->u.members[i];
	return NULL;
}

/* report msg under the child key of the node */
static void child_error(gate_schema_report_fn fn, void *payload, const struct gate_node *at,
	const char *key, const char *kw, const char *msg)
{
	struct sfseg seg;

	seg.key = (char *)key;
	seg.len = (uint32_t)strlen(key);
	fn(payload, &seg, 1, at, kw, msg);
}

static int dns1035_label(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
	}
	return s[len - 1] != '-';
}

/*
 * x-kubernetes-embedded-resource: as the API server checks an embedded
 * object: apiVersion and kind required and well formed, metadata an object.
 */
int gate_schema_embedded_check(const struct gate_node *n, gate_schema_report_fn fn, void *payload, int record)
{
	const struct gate_member *av = member_get(n, "apiVersion", 10), *k = member_get(n, "kind", 4);
	const struct gate_member *md = member_get(n, "metadata", 8);
	static const char kw[] = "x-kubernetes-embedded-resource";
	int ok = 1;

	if (!record)
		return av && k && av->value.type == GATE_NODE_STRING && k->value.type == GATE_NODE_STRING &&
			av->value.len && k->value.len && (!md || md->value.type == GATE_NODE_OBJECT);
	if (!av) {
		child_error(fn, payload, n, "apiVersion", kw, "Required value: must not be empty");
		ok = 0;
	} else if (av->value.type != GATE_NODE_STRING) {
		child_error(fn, payload, &av->value, "apiVersion", kw, "Invalid value: must be a string");
		ok = 0;
	} else {
		const char *s = av->value.u.str, *slash = strchr(s, '/');
		if (!av->value.len || (slash && (slash == s || !slash[1] || strchr(slash + 1, '/')))) {
			struct gate_buf b = GATE_BUF_INIT;
			gate_buf_adds(&b, "Invalid value: ");
			gate_schema_add_quoted(&b, s, av->value.len, 64);
			gate_buf_adds(&b, av->value.len ? ": unexpected GroupVersion string" : ": must not be empty");
			child_error(fn, payload, &av->value, "apiVersion", kw, b.ptr);
			gate_buf_release(&b);
			ok = 0;
		}
	}
	if (!k) {
		child_error(fn, payload, n, "kind", kw, "Required value: must not be empty");
		ok = 0;
	} else if (k->value.type != GATE_NODE_STRING) {
		child_error(fn, payload, &k->value, "kind", kw, "Invalid value: must be a string");
		ok = 0;
	} else if (!dns1035_label(k->value.u.str, k->value.len)) {
		struct gate_buf b = GATE_BUF_INIT;
		gate_buf_adds(&b, "Invalid value: ");
		gate_schema_add_quoted(&b, k->value.u.str, k->value.len, 64);
		gate_buf_adds(&b, k->value.len ? ": may have mixed case, but should otherwise match: a lowercase "
			"RFC 1035 label must consist of lower case alphanumeric characters or '-', start with an "
			"alphabetic character, and end with an alphanumeric character" : ": must not be empty");
		child_error(fn, payload, &k->value, "kind", kw, b.ptr);
		gate_buf_release(&b);
		ok = 0;
	}
	if (md && md->value.type != GATE_NODE_OBJECT) {
		child_error(fn, payload, &md->value, "metadata", kw, "Invalid value: must be an object");
		ok = 0;
	}
	return ok;
}

/* the value of list-map key k of an object item: a node, else the schema's default, else absent */
struct keyval {
	const struct gate_node *node;
	const json_t *def;
};

static void item_keys(const struct snode *s, const struct gate_node *item, struct keyval *kv)
{
	const struct snode *is = s->items ? deref(s->items) : NULL;
	size_t k;

	for (k = 0; k < s->nmap_keys; k++) {
		uint32_t len = (uint32_t)strlen(s->map_keys[k]);
		const struct gate_member *m = item->type == GATE_NODE_OBJECT ? member_get(item, s->map_keys[k], len) : NULL;
		const struct sprop *p = is ? gate_schema_prop_get(is, s->map_keys[k], len) : NULL;
		kv[k].node = m ? &m->value : NULL;
		kv[k].def = !m && p && p->schema ? deref(p->schema)->def : NULL;
	}
}

static int keyval_eq(const struct keyval *a, const struct keyval *b)
{
	if (a->node && b->node)
		return gate_node_equal(a->node, b->node);
	if (a->node)
		return b->def && gate_schema_node_eq_json(a->node, b->def);
	if (b->node)
		return a->def && gate_schema_node_eq_json(b->node, a->def);
	if (a->def && b->def)
		return json_equal((json_t *)a->def, (json_t *)b->def);
	return !a->def && !b->def;
}

/* hash of the keys that have no default (a defaulted key may be a node in one item, JSON in another) */
static uint64_t keys_hash(const struct snode *s, const struct keyval *kv, size_t n)
{
	const struct snode *is = s->items ? deref(s->items) : NULL;
	uint64_t h = 14695981039346656037ull;
	size_t k;

	for (k = 0; k < n; k++) {
		const struct sprop *p = is ? gate_schema_prop_get(is, s->map_keys[k], (uint32_t)strlen(s->map_keys[k])) : NULL;
		if (p && p->schema && deref(p->schema)->def)
			continue;
		h = (h ^ (kv[k].node ? gate_schema_node_hash(kv[k].node) : 0)) * 1099511628211ull;
	}
	return h;
}

/* the API server's "Duplicate value: {...}": Go's JSON, keys sorted */
static void duplicate_error(gate_schema_report_fn fn, void *payload, const struct snode *s,
	const struct gate_node *item, const struct keyval *kv, uint32_t index)
{
	struct sfseg seg = { NULL, index };
	struct gate_buf b = GATE_BUF_INIT;
	json_t *j;
	char *text;
	size_t k;

	if (s->flags & SN_LIST_MAP) {
		j = json_object();
		for (k = 0; k < s->nmap_keys; k++) {
			if (kv[k].node)
				json_object_set_new(j, s->map_keys[k], gate_node_to_jansson(kv[k].node));
			else if (kv[k].def)
				json_object_set_new(j, s->map_keys[k], json_deep_copy(kv[k].def));
		}
	} else {
		j = gate_node_to_jansson(item);
	}
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (text && strlen(text) > 200)
		memcpy(text + 197, "...", 4);
	gate_buf_addf(&b, "Duplicate value: %s", text ? text : "?");
	fn(payload, &seg, 1, item, "x-kubernetes-list-type", b.ptr);
	gate_buf_release(&b);
	free(text);
	json_decref(j);
}

/* x-kubernetes-list-type map (unique keys) and set (unique items) */
int gate_schema_list_check(const struct snode *s, const struct gate_node *n, gate_schema_report_fn fn,
	void *payload, int record)
{
	size_t nk = (s->flags & SN_LIST_MAP) ? s->nmap_keys : 0, stride = nk ? nk : 1;
	struct keyval *kv = NULL;
	struct hidx *hx;
	uint8_t *dup;
	uint32_t i, k, len = n->len;
	int ok = 1;

	if (len < 2)
		return 1;
	hx = gate_xcalloc(len, sizeof(*hx));
	dup = gate_xcalloc(len, 1);
	if (nk)
		kv = gate_xcalloc((size_t)len * stride, sizeof(*kv));
	for (i = 0; i < len; i++) {
		if (nk) {
			item_keys(s, &n->u.items[i], kv + (size_t)i * stride);
			hx[i].h = keys_hash(s, kv + (size_t)i * stride, nk);
		} else {
			hx[i].h = gate_schema_node_hash(&n->u.items[i]);
		}
		hx[i].i = i;
	}
	qsort(hx, len, sizeof(*hx), cmp_hidx);
	for (i = 0; i < len; i++) {
		for (k = i + 1; k < len && hx[k].h == hx[i].h; k++) {
			uint32_t a = hx[i].i, b = hx[k].i, x;
			int eq = 1;
			if (dup[b] && dup[a])
				continue;
			if (nk) {
				for (x = 0; x < nk && eq; x++)
					eq = keyval_eq(&kv[(size_t)a * stride + x], &kv[(size_t)b * stride + x]);
			} else {
				eq = gate_node_equal(&n->u.items[a], &n->u.items[b]);
			}
			if (eq)
				dup[a > b ? a : b] = 1;
		}
	}
	for (i = 0; i < len; i++) {
		if (!dup[i])
			continue;
		ok = 0;
		if (!record)
			break;
		duplicate_error(fn, payload, s, &n->u.items[i], nk ? kv + (size_t)i * stride : NULL, i);
	}
	free(kv);
	free(dup);
	free(hx);
	return ok;
}

/* ---- the typer: what CEL learns from the schema ------------------------------ */

static const void *t_field(const void *t, const char *key, size_t len)
{
	const struct snode *s = deref(t);
	const struct sprop *p;

	if (!s)
		return NULL;
	p = gate_schema_prop_get(s, key, (uint32_t)len);
	if (p && p->schema)
		return deref(p->schema);
	return s->additional ? deref(s->additional) : NULL;
}

static const void *t_item(const void *t)
{
	const struct snode *s = deref(t);

	return s && s->items ? deref(s->items) : NULL;
}

static enum gate_cel_scalar t_scalar(const void *t)
{
	const struct snode *s = deref(t);

	return s ? (enum gate_cel_scalar)s->cel_scalar : GATE_CEL_SCALAR_ANY;
}

static int t_default(const void *t, size_t i, const char **key, size_t *len, const json_t **value)
{
	const struct snode *s = deref(t);
	const struct sprop *p;

	if (!s || i >= s->ndprops)
		return 0;
	p = &s->props[s->dprops[i]];
	*key = p->key;
	*len = p->len;
	*value = deref(p->schema)->def;
	return 1;
}

static const struct gate_cel_typer typer = { t_field, t_item, t_scalar, t_default };

/* ---- evaluation -------------------------------------------------------------- */

const char *gate_schema_k8s_type(const struct snode *s, const struct gate_node *n)
{
	switch (s->types) {
	case ST_OBJECT: return "object";
	case ST_ARRAY: return "array";
	case ST_STRING: return "string";
	case ST_INT: return "integer";
	case ST_INT | ST_NUM: return "number";
	case ST_BOOL: return "boolean";
	default:
		switch (n->type) {
		case GATE_NODE_OBJECT: return "object";
		case GATE_NODE_ARRAY: return "array";
		case GATE_NODE_STRING: return "string";
		case GATE_NODE_NUMBER: return (n->flags & GATE_NODE_INTEGRAL) ? "integer" : "number";
		case GATE_NODE_BOOL: return "boolean";
		default: return "null";
		}
	}
}

/* the node a fieldPath names, or NULL */
static const struct gate_node *follow(const struct gate_node *n, const struct sfseg *segs, size_t nsegs)
{
	size_t i;
	uint32_t k;

	for (i = 0; i < nsegs && n; i++) {
		const struct gate_node *next = NULL;
		if (segs[i].key && n->type == GATE_NODE_OBJECT) {
			for (k = 0; k < n->len; k++)
				if (n->u.members[k].key_len == segs[i].len &&
						!memcmp(n->u.members[k].key, segs[i].key, segs[i].len))
					next = &n->u.members[k].value;
		} else if (!segs[i].key && n->type == GATE_NODE_ARRAY && segs[i].len < n->len) {
			next = &n->u.items[segs[i].len];
		}
		n = next;
	}
	return n;
}

/* what the rule says when it fails: messageExpression, message or the default */
static void failure_message(struct gate_buf *b, const struct srule *r, const struct gate_cel_env *env)
{
	if (r->msg_prog) {
		struct gate_cel_result res = GATE_CEL_RESULT_INIT;
		if (gate_cel_eval(r->msg_prog, env, &res) == 0 && res.status == GATE_CEL_OK && res.is_string &&
				res.text[0] && !strchr(res.text, '\n') && strlen(res.text) <= 5000) {
			const char *t = res.text;
			size_t l = strlen(t);
			while (*t == ' ' || *t == '\t')
				t++, l--;
			while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
				l--;
			if (l) {
				gate_buf_add(b, t, l);
				gate_cel_result_release(&res);
				return;
			}
		}
		gate_cel_result_release(&res);
	}
	if (r->message && r->message[strspn(r->message, " \t\n")]) {
		const char *t = r->message + strspn(r->message, " \t\n");
		size_t l = strlen(t);
		while (l && strchr(" \t\n", t[l - 1]))
			l--;
		gate_buf_add(b, t, l);
		return;
	}
	gate_buf_addf(b, "failed rule: %s", r->rule);
}

/* the rule or its message, as the API server names a rule in an evaluation error */
static void rule_name(struct gate_buf *b, const struct srule *r)
{
	if (r->message && r->message[strspn(r->message, " \t\n")])
		gate_buf_adds(b, r->message + strspn(r->message, " \t\n"));
	else
		gate_buf_adds(b, r->rule);
}

/* CEL rule evaluations of every document validated so far, all threads together */
static atomic_uint_least64_t cel_evaluated;

void gate_schema_cel_count(uint64_t evaluated)
{
	if (evaluated)
		atomic_fetch_add_explicit(&cel_evaluated, evaluated, memory_order_relaxed);
}

uint64_t gate_schema_cel_evaluations(void)
{
	return atomic_load_explicit(&cel_evaluated, memory_order_relaxed);
}

size_t gate_schema_rules_eval(const struct snode *s, const struct gate_node *n,
	gate_schema_report_fn fn, void *payload, uint64_t *budget, uint64_t *evaluated)
{
	struct gate_cel_var vars[2];
	struct gate_cel_env env;
	size_t i, failed = 0;
	const char *type = gate_schema_k8s_type(s, n);
	int rc;

	memset(&env, 0, sizeof(env));
	vars[0].name = "self";
	vars[0].node = n;
	vars[0].type = s;
	vars[0].none = 0;
	vars[1].name = "oldSelf";
	vars[1].node = NULL;
	vars[1].type = NULL;
	vars[1].none = 1;
	env.vars = vars;
	env.nvars = 2;
	env.typer = &typer;
	for (i = 0; i < s->nrules; i++) {
		const struct srule *r = &s->rules[i];
		struct gate_cel_result res = GATE_CEL_RESULT_INIT;
		struct gate_buf b = GATE_BUF_INIT;
		const struct sfseg *segs = NULL;
		size_t nsegs = 0;

		if (r->transition && !r->optional_old_self)
			continue; /* a transition rule: nothing to compare with on create */
		if (!*budget)
			break; /* already reported */
		(*evaluated)++;
		env.cost_limit = *budget < GATE_CEL_DEFAULT_COST_LIMIT ? *budget : GATE_CEL_DEFAULT_COST_LIMIT;
		rc = r->prog ? gate_cel_eval(r->prog, &env, &res) : 0;
		if (r->prog && rc == 0 && res.status == GATE_CEL_OK && res.is_bool && res.boolean) {
			/* passed: the common case, no message built; at least 1 left: the next rule then reports the overrun */
			*budget = res.cost < *budget ? *budget - res.cost : 1;
			gate_cel_result_release(&res);
			continue;
		}
		gate_buf_addf(&b, "Invalid value: \"%s\": ", type);
		if (!r->prog) {
			gate_buf_addf(&b, "rule compile error: %s", r->compile_error ? r->compile_error : "?");
		} else if (rc < 0) {
			gate_buf_adds(&b, "internal error evaluating rule");
		} else if (res.status == GATE_CEL_COST && env.cost_limit < GATE_CEL_DEFAULT_COST_LIMIT) {
			gate_buf_reset(&b);
			gate_buf_adds(&b, "Forbidden: validation failed due to running out of cost budget, "
				"no further validation rules will be run");
			*budget = 0;
		} else if (res.status == GATE_CEL_COST) {
			gate_buf_adds(&b, "call cost exceeds limit for rule: ");
			rule_name(&b, r);
		} else if (res.status == GATE_CEL_ERROR) {
			gate_buf_addf(&b, "%s evaluating rule: ", res.text);
			rule_name(&b, r);
		} else if (!res.is_bool) {
			gate_buf_adds(&b, "rule did not evaluate to a bool: ");
			rule_name(&b, r);
		} else {
			segs = r->field_path;
			nsegs = r->nfield_path;
			if (r->reason && !strcmp(r->reason, "FieldValueForbidden")) {
				gate_buf_reset(&b);
				gate_buf_adds(&b, "Forbidden: ");
			} else if (r->reason && !strcmp(r->reason, "FieldValueRequired")) {
				gate_buf_reset(&b);
				gate_buf_adds(&b, "Required value: ");
			} else if (r->reason && !strcmp(r->reason, "FieldValueDuplicate")) {
				gate_buf_reset(&b);
				gate_buf_addf(&b, "Duplicate value: \"%s\"", type);
			}
			if (!r->reason || strcmp(r->reason, "FieldValueDuplicate"))
				failure_message(&b, r, &env);
		}
		{
			const struct gate_node *at = nsegs ? follow(n, segs, nsegs) : n;
			fn(payload, segs, nsegs, at ? at : n, "x-kubernetes-validations", b.ptr);
		}
		failed++;
		if (*budget)
			*budget = res.cost < *budget ? *budget - res.cost : 1;
		gate_cel_result_release(&res);
		gate_buf_release(&b);
	}
	return failed;
}
