/*
 * policy_load.c: building a policy: policy files (checked against the policy
 * file schema), gate_policy_new() from options, and the server
 * configuration's policy section.  See include/gate/policy.h.
 */
#include "policy_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/hash.h"
#include "gate/schema.h"

/* the policy file schema, generated from schemas/policy.schema.json */
extern const char policy_schema_json[];

/* Bounds on policy files: they are server-side, but a typo should not hurt. */
#define MAX_POLICY_BYTES (4u << 20)
#define MAX_FIELD_LEN 1024

/* ---- loading policy files ---- */

struct snapshot {
	int level[NCHECKS];
	size_t nregistries, nrules, nexceptions, nowners, nsecret_allow, nsecret_skip;
	size_t ndocs, npool, ncodes, fplen;
	int any_expiry;
};

static void take_snapshot(const struct gate_policy *p, struct snapshot *s)
{
	memcpy(s->level, p->level, sizeof(s->level));
	s->nregistries = p->nregistries;
	s->nrules = p->nrules;
	s->nexceptions = p->nexceptions;
	s->nowners = p->nowners;
	s->nsecret_allow = p->nsecret_allow;
	s->nsecret_skip = p->nsecret_skip;
	s->ndocs = p->ndocs;
	s->npool = p->npool;
	s->ncodes = p->ncodes;
	s->fplen = p->fpdata.len;
	s->any_expiry = p->any_expiry;
}

static void rollback(struct gate_policy *p, const struct snapshot *s)
{
	memcpy(p->level, s->level, sizeof(s->level));
	p->nregistries = s->nregistries;
	p->nrules = s->nrules;
	p->nexceptions = s->nexceptions;
	p->nowners = s->nowners;
	p->nsecret_allow = s->nsecret_allow;
	p->nsecret_skip = s->nsecret_skip;
	while (p->ndocs > s->ndocs)
		gate_doc_free(p->docs[--p->ndocs]);
	while (p->npool > s->npool)
		free(p->pool[--p->npool]);
	while (p->ncodes > s->ncodes)
		pcre2_code_free(p->codes[--p->ncodes]);
	p->fpdata.len = s->fplen;
	if (p->fpdata.ptr)
		p->fpdata.ptr[p->fpdata.len] = '\0';
	p->any_expiry = s->any_expiry;
}

/* Loading context: the file name, for messages. */
struct lctx {
	struct gate_policy *p;
	const char *name;
	char *msg;
	size_t msgsize;
};

static int fail(struct lctx *l, const struct gate_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct lctx *l, const struct gate_node *at, const char *fmt, ...)
{
	char what[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (at)
		snprintf(l->msg, l->msgsize, "%s:%u:%u: %s", l->name, at->line, at->col, what);
	else
		snprintf(l->msg, l->msgsize, "%s: %s", l->name, what);
	return -1;
}

const struct gate_node *gate_policy__member(const struct gate_node *obj, const char *key)
{
	return obj && obj->type == GATE_NODE_OBJECT ? gate_node_get(obj, key) : NULL;
}

/* Read an array of strings (borrowed from the document) into l. */
static void read_strlist(struct gate_policy *p, const struct gate_node *arr, struct strlist *l)
{
	size_t i;

	l->v = NULL;
	l->n = 0;
	if (!arr || arr->type != GATE_NODE_ARRAY || !arr->len)
		return;
	l->v = policy_pool_add(p, gate_xcalloc(arr->len, sizeof(*l->v)));
	for (i = 0; i < arr->len; i++)
		if (arr->u.items[i].type == GATE_NODE_STRING)
			l->v[l->n++] = arr->u.items[i].u.str;
}

static int read_match(struct lctx *l, const struct gate_node *n, struct match *m)
{
	memset(m, 0, sizeof(*m));
	if (!n)
		return 0;
	read_strlist(l->p, gate_policy__member(n, "kinds"), &m->kinds);
	read_strlist(l->p, gate_policy__member(n, "groups"), &m->groups);
	read_strlist(l->p, gate_policy__member(n, "namespaces"), &m->namespaces);
	read_strlist(l->p, gate_policy__member(n, "names"), &m->names);
	read_strlist(l->p, gate_policy__member(n, "paths"), &m->paths);
	m->labels = gate_policy__member(n, "labels");
	if (m->labels && (m->labels->type != GATE_NODE_OBJECT || !m->labels->len))
		m->labels = NULL;
	m->only_paths = !m->kinds.n && !m->groups.n && !m->namespaces.n && !m->names.n &&
		!m->labels;
	return 0;
}

static int parse_severity(const char *s)
{
	if (!strcmp(s, "deny"))
		return GATE_SEV_DENY;
	if (!strcmp(s, "warn"))
		return GATE_SEV_WARN;
	if (!strcmp(s, "off"))
		return LEVEL_OFF;
	return -2;
}

static int rule_id_known(const struct gate_policy *p, const char *id)
{
	size_t i;

	if (policy_check_index(id) >= 0)
		return 1;
	for (i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].id, id))
			return 1;
	return 0;
}

static int is_false_node(const struct gate_node *n)
{
	return n->type == GATE_NODE_BOOL && !n->u.boolean;
}

static int number_or_quantity(const struct gate_node *n, double *out)
{
	if (n->type == GATE_NODE_NUMBER) {
		*out = n->u.number;
		return 0;
	}
	if (n->type == GATE_NODE_STRING)
		return policy_quantity(n->u.str, out);
	return -1;
}

static int load_rule(struct lctx *l, const struct gate_node *n)
{
	struct gate_policy *p = l->p;
	struct rule r;
	const struct gate_node *v;
	char err[300];

	memset(&r, 0, sizeof(r));
	r.id = gate_node_get_str(n, "id");
	r.message = gate_node_get_str(n, "message");
	r.field = gate_node_get_str(n, "field");
	if (!r.id || !r.message || !r.field)
		return fail(l, n, "a rule needs id, message and field");
	if (rule_id_known(p, r.id))
		return fail(l, gate_node_get(n, "id"), "rule id \"%.100s\" is already used", r.id);
	r.sev = GATE_SEV_DENY;
	if ((v = gate_policy__member(n, "severity")) && v->type == GATE_NODE_STRING) {
		int s = parse_severity(v->u.str);
		if (s < 0)
			return fail(l, v, "severity must be deny or warn");
		r.sev = (enum gate_severity)s;
	}
	if (read_match(l, gate_policy__member(n, "match"), &r.m) < 0)
		return -1;
	if (strlen(r.field) > MAX_FIELD_LEN)
		return fail(l, gate_node_get(n, "field"), "field path is too long");
	if (policy_path_parse(p, r.field, &r.steps, &r.nsteps, err, sizeof(err)) < 0)
		return fail(l, gate_node_get(n, "field"), "field \"%.200s\": %s", r.field, err);
	if ((v = gate_policy__member(n, "exists"))) {
		r.cond = is_false_node(v) ? COND_ABSENT : COND_EXISTS;
	} else if ((v = gate_policy__member(n, "absent"))) {
		r.cond = is_false_node(v) ? COND_EXISTS : COND_ABSENT;
	} else if ((v = gate_policy__member(n, "equals"))) {
		r.cond = COND_EQUALS;
		r.value = v;
	} else if ((v = gate_policy__member(n, "in"))) {
		if (v->type != GATE_NODE_ARRAY)
			return fail(l, v, "in needs a list of values");
		r.cond = COND_IN;
		r.value = v;
	} else if ((v = gate_policy__member(n, "regex"))) {
		if (v->type != GATE_NODE_STRING)
			return fail(l, v, "regex needs a string");
		r.cond = COND_REGEX;
		if (!(r.re = policy_compile_re(p, v->u.str, 0, err, sizeof(err))))
			return fail(l, v, "%s", err);
	} else if ((v = gate_policy__member(n, "range"))) {
		const struct gate_node *b;

		r.cond = COND_RANGE;
		if ((b = gate_policy__member(v, "min"))) {
			if (number_or_quantity(b, &r.min) < 0)
				return fail(l, b, "min must be a number or a quantity");
			r.has_min = 1;
		}
		if ((b = gate_policy__member(v, "max"))) {
			if (number_or_quantity(b, &r.max) < 0)
				return fail(l, b, "max must be a number or a quantity");
			r.has_max = 1;
		}
		if (!r.has_min && !r.has_max)
			return fail(l, v, "range needs min or max");
		if (r.has_min && r.has_max && r.min > r.max)
			return fail(l, v, "range min is above max");
	} else {
		return fail(l, n, "rule \"%.100s\" needs one condition: exists, absent, equals, "
			"in, regex or range", r.id);
	}
	GATE_ALLOC_GROW(p->rules, p->nrules + 1, p->arules);
	p->rules[p->nrules++] = r;
	return 0;
}

/* Parse YYYY-MM-DD; the exception holds through that whole day (UTC). */
static int load_exception(struct lctx *l, const struct gate_node *n)
{
	struct gate_policy *p = l->p;
	struct exception e;
	const struct gate_node *checks = gate_policy__member(n, "checks"), *v;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.source = gate_policy__pool_strdup(p, l->name);
	read_strlist(p, checks, &e.checks);
	if (!e.checks.n)
		return fail(l, n, "an exception needs a list of checks");
	for (i = 0; i < e.checks.n; i++)
		if (strcmp(e.checks.v[i], "*") && !rule_id_known(p, e.checks.v[i]))
			return fail(l, &checks->u.items[i], "unknown check \"%.100s\"", e.checks.v[i]);
	e.reason = gate_node_get_str(n, "reason");
	if (!e.reason || !*e.reason)
		return fail(l, n, "an exception needs a reason");
	if (read_match(l, gate_policy__member(n, "match"), &e.m) < 0)
		return -1;
	if ((v = gate_policy__member(n, "expires"))) {
		time_t end;

		if (v->type != GATE_NODE_STRING || policy_parse_date(v->u.str, &end) < 0)
			return fail(l, v, "expires must be a date YYYY-MM-DD");
		e.expires = v->u.str;
		e.expired = p->now >= end;
		p->any_expiry = 1;
	}
	GATE_ALLOC_GROW(p->exceptions, p->nexceptions + 1, p->aexceptions);
	p->exceptions[p->nexceptions++] = e;
	return 0;
}

static int add_registry(struct lctx *l, const struct gate_node *at, const char *pattern)
{
	struct gate_policy *p = l->p;
	char err[300];
	pcre2_code *re = policy_compile_re(p, pattern, 0, err, sizeof(err));

	if (!re)
		return fail(l, at, "allowed registry \"%.200s\": %s", pattern, err);
	GATE_ALLOC_GROW(p->registries, p->nregistries + 1, p->aregistries);
	p->registries[p->nregistries++] = re;
	return 0;
}

static int load_root(struct lctx *l, const struct gate_node *root)
{
	struct gate_policy *p = l->p;
	const struct gate_node *n;
	size_t i;

	if ((n = gate_policy__member(root, "checks"))) {
		for (i = 0; i < n->len; i++) {
			const struct gate_member *m = &n->u.members[i];
			int idx = policy_check_index(m->key), sev;

			if (idx < 0)
				return fail(l, &m->value, "unknown check \"%.100s\"", m->key);
			/* YAML 1.1 reads a bare off as false (and on as true: the default) */
			if (m->value.type == GATE_NODE_BOOL)
				sev = !m->value.u.boolean ? LEVEL_OFF : idx < NBUILTIN ?
					(int)policy_builtin_info[idx].severity : GATE_SEV_DENY;
			else if (m->value.type != GATE_NODE_STRING ||
				 (sev = parse_severity(m->value.u.str)) < -1)
				return fail(l, &m->value, "severity must be deny, warn or off");
			p->level[idx] = sev;
		}
	}
	if ((n = gate_policy__member(root, "allowed_registries")) && n->type == GATE_NODE_ARRAY)
		for (i = 0; i < n->len; i++)
			if (n->u.items[i].type == GATE_NODE_STRING &&
			    add_registry(l, &n->u.items[i], n->u.items[i].u.str) < 0)
				return -1;
	if ((n = gate_policy__member(root, "rules")) && n->type == GATE_NODE_ARRAY)
		for (i = 0; i < n->len; i++)
			if (load_rule(l, &n->u.items[i]) < 0)
				return -1;
	if ((n = gate_policy__member(root, "exceptions")) && n->type == GATE_NODE_ARRAY)
		for (i = 0; i < n->len; i++)
			if (load_exception(l, &n->u.items[i]) < 0)
				return -1;
	if ((n = gate_policy__member(root, "secrets"))) {
		const struct gate_node *a = gate_policy__member(n, "allowlist");
		struct strlist paths;

		if (a && a->type == GATE_NODE_ARRAY) {
			for (i = 0; i < a->len; i++) {
				char err[300];
				pcre2_code *re;

				if (a->u.items[i].type != GATE_NODE_STRING)
					continue;
				re = policy_compile_re(p, a->u.items[i].u.str, 0, err, sizeof(err));
				if (!re)
					return fail(l, &a->u.items[i], "secret allowlist: %s", err);
				GATE_ALLOC_GROW(p->secret_allow, p->nsecret_allow + 1, p->asecret_allow);
				p->secret_allow[p->nsecret_allow++] = re;
			}
		}
		read_strlist(p, gate_policy__member(n, "paths"), &paths);
		for (i = 0; i < paths.n; i++) {
			GATE_ALLOC_GROW(p->secret_skip, p->nsecret_skip + 1, p->asecret_skip);
			p->secret_skip[p->nsecret_skip++] = paths.v[i];
		}
	}
	if ((n = gate_policy__member(root, "owners")) && n->type == GATE_NODE_ARRAY) {
		for (i = 0; i < n->len; i++) {
			struct owner o;

			read_strlist(p, gate_policy__member(&n->u.items[i], "paths"), &o.paths);
			read_strlist(p, gate_policy__member(&n->u.items[i], "users"), &o.users);
			read_strlist(p, gate_policy__member(&n->u.items[i], "groups"), &o.groups);
			if (!o.paths.n)
				return fail(l, &n->u.items[i], "an owners entry needs paths");
			GATE_ALLOC_GROW(p->owners, p->nowners + 1, p->aowners);
			p->owners[p->nowners++] = o;
		}
	}
	return 0;
}

static struct gate_schema *compile_policy_schema(char *msg, size_t msgsize)
{
	json_error_t jerr;
	json_t *root = json_loads(policy_schema_json, 0, &jerr);
	struct gate_schema *s = NULL;

	if (!root) {
		snprintf(msg, msgsize, "internal error: policy schema: %s", jerr.text);
		return NULL;
	}
	if (gate_schema_compile(&s, root, NULL, 0, msg, msgsize) < 0)
		s = NULL;
	json_decref(root);
	return s;
}

int gate_policy_load_buffer(struct gate_policy *p, const char *name, const char *buf,
	size_t len, char *msg, size_t msgsize)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_schema *schema = NULL;
	struct gate_doc *doc = NULL;
	struct snapshot snap;
	struct lctx l = { p, name, msg, msgsize };
	int error = -1, rc;

	take_snapshot(p, &snap);
	if (len > MAX_POLICY_BYTES) {
		snprintf(msg, msgsize, "%s: policy file is larger than %u bytes", name,
			MAX_POLICY_BYTES);
		goto done;
	}
	lim.max_bytes = MAX_POLICY_BYTES;
	lim.max_depth = 64;
	if (gate_doc_parse(&doc, buf, len, 1, &lim, GATE_DOC_DUPKEYS_ERROR, &derr) < 0) {
		snprintf(msg, msgsize, "%s:%u:%u: %s", name, derr.line, derr.col, derr.message);
		goto done;
	}
	GATE_ALLOC_GROW(p->docs, p->ndocs + 1, p->adocs);
	p->docs[p->ndocs++] = doc;
	if (!doc->root) {
		snprintf(msg, msgsize, "%s: policy file is empty", name);
		goto done;
	}
	if (!(schema = compile_policy_schema(msg, msgsize)))
		goto done;
	rc = gate_schema_validate(schema, doc->root, &errs, 1);
	if (rc < 0) {
		snprintf(msg, msgsize, "%s: could not validate the policy file", name);
		goto done;
	}
	if (!rc) {
		const struct gate_schema_error *e = errs.n ? &errs.v[0] : NULL;
		if (e)
			snprintf(msg, msgsize, "%s:%u:%u: %s: %s", name, e->line, e->col,
				e->pointer[0] ? e->pointer : "/", e->message);
		else
			snprintf(msg, msgsize, "%s: not a valid policy file", name);
		goto done;
	}
	if (load_root(&l, doc->root) < 0)
		goto done;
	gate_buf_addf(&p->fpdata, "file %s %zu\n", name, len);
	gate_buf_add(&p->fpdata, buf, len);
	gate_buf_addc(&p->fpdata, '\n');
	error = 0;
done:
	if (error < 0)
		rollback(p, &snap);
	gate_schema_errors_release(&errs);
	gate_schema_free(schema);
	return error;
}

int gate_policy_load_file(struct gate_policy *p, const char *path, char *msg, size_t msgsize)
{
	char *buf = NULL;
	size_t len = 0;
	int error;

	if (gate_read_file(path, MAX_POLICY_BYTES, &buf, &len) < 0) {
		snprintf(msg, msgsize, "%s: could not read policy file: %s", path, strerror(errno));
		return -1;
	}
	error = gate_policy_load_buffer(p, path, buf, len, msg, msgsize);
	free(buf);
	return error;
}

/* ---- creation ---- */

static const char *const *copy_strv(struct gate_policy *p, const char *const *v, size_t n)
{
	const char **out;
	size_t i;

	if (!n)
		return NULL;
	out = policy_pool_add(p, gate_xcalloc(n, sizeof(*out)));
	for (i = 0; i < n; i++)
		out[i] = gate_policy__pool_strdup(p, v[i] ? v[i] : "");
	return out;
}

static void fp_strv(struct gate_buf *b, const char *what, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		gate_buf_addf(b, "%s %s\n", what, v[i]);
}

static const struct gate_policy_grant *copy_grants(struct gate_policy *p,
	const struct gate_policy_grant *v, size_t n)
{
	struct gate_policy_grant *out;
	size_t i;

	if (!n)
		return NULL;
	out = policy_pool_add(p, gate_xcalloc(n, sizeof(*out)));
	for (i = 0; i < n; i++) {
		out[i] = v[i];
		out[i].checks = copy_strv(p, v[i].checks, v[i].nchecks);
		out[i].paths = copy_strv(p, v[i].paths, v[i].npaths);
	}
	return out;
}

int gate_policy_new(struct gate_policy **out, const struct gate_policy_opts *opts,
	char *msg, size_t msgsize)
{
	static const struct gate_policy_opts defaults;
	struct gate_policy *p;
	struct lctx l;
	size_t i;
	int error = -1;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	p = gate_xcalloc(1, sizeof(*p));
	p->opts = *opts;
	p->opts.annotation_grants = copy_grants(p, opts->annotation_grants, opts->nannotation_grants);
	if (opts->nannotation_grants)
		p->any_expiry = 1; /* verdicts depend on the day */
	p->opts.allowed_registries = copy_strv(p, opts->allowed_registries, opts->nallowed_registries);
	p->opts.repository_policy_paths = copy_strv(p, opts->repository_policy_paths,
		opts->nrepository_policy_paths);
	p->opts.kubernetes_version = gate_policy__pool_strdup(p, opts->kubernetes_version);
	p->now = opts->now ? opts->now : time(NULL);
	for (i = 0; i < NCHECKS; i++)
		p->level[i] = i < NBUILTIN ? (int)policy_builtin_info[i].severity : GATE_SEV_DENY;
	if (policy_parse_k8s_minor(opts->kubernetes_version, &p->target_minor) < 0) {
		snprintf(msg, msgsize, "invalid kubernetes version \"%.100s\": expected 1.N, "
			"1.N.P or master", opts->kubernetes_version);
		goto done;
	}
	l.p = p;
	l.name = "allowed registries";
	l.msg = msg;
	l.msgsize = msgsize;
	for (i = 0; i < opts->nallowed_registries; i++)
		if (add_registry(&l, NULL, p->opts.allowed_registries[i]) < 0)
			goto done;
	if (policy_secrets_compile(p, msg, msgsize) < 0)
		goto done;
	gate_buf_addf(&p->fpdata, "policy 1\nbuiltin %d secrets %d annotations %d k8s %d\n",
		!opts->no_builtin_checks, !opts->no_secret_scanning,
		!opts->no_annotation_suppressions, p->target_minor);
	gate_buf_addf(&p->fpdata, "repository %d ratchet %d\n", !opts->no_repository_checks,
		opts->ratchet);
	gate_buf_addf(&p->fpdata, "scan %zu %d\n", gate_policy_scan_max_bytes(p),
		opts->secret_scan_too_large_warn);
	for (i = 0; i < opts->nannotation_grants; i++) {
		const struct gate_policy_grant *g = &p->opts.annotation_grants[i];

		gate_buf_addf(&p->fpdata, "grant %d\n", g->max_days);
		fp_strv(&p->fpdata, "grant-check", g->checks, g->nchecks);
		fp_strv(&p->fpdata, "grant-path", g->paths, g->npaths);
	}
	fp_strv(&p->fpdata, "registry", p->opts.allowed_registries, opts->nallowed_registries);
	*out = p;
	p = NULL;
	error = 0;
done:
	gate_policy_free(p);
	return error;
}

void gate_policy_free(struct gate_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->ncodes; i++)
		pcre2_code_free(p->codes[i]);
	for (i = 0; i < p->ndocs; i++)
		gate_doc_free(p->docs[i]);
	for (i = 0; i < p->npool; i++)
		free(p->pool[i]);
	free(p->codes);
	free(p->docs);
	free(p->pool);
	free(p->registries);
	free(p->rules);
	free(p->exceptions);
	free(p->owners);
	free(p->secret_allow);
	free(p->secret_skip);
	gate_buf_release(&p->fpdata);
	free(p);
}

/* ---- the server configuration's policy section ---- */

static const char **json_strv(struct gate_policy_opts *o, const json_t *arr, size_t *n,
	void ***tofree, size_t *ntofree)
{
	const char **v;
	size_t i;

	*n = 0;
	if (!json_is_array(arr) || !json_array_size(arr))
		return NULL;
	v = gate_xcalloc(json_array_size(arr), sizeof(*v));
	for (i = 0; i < json_array_size(arr); i++)
		if (json_is_string(json_array_get(arr, i)))
			v[(*n)++] = json_string_value(json_array_get(arr, i));
	(*tofree)[(*ntofree)++] = v;
	(void)o;
	return v;
}

/* Every check a grant names must exist (rules of the loaded files included) and not be a secret rule. */
static int check_grants(const struct gate_policy *p, char *msg, size_t msgsize)
{
	size_t i, k;

	for (i = 0; i < p->opts.nannotation_grants; i++) {
		const struct gate_policy_grant *g = &p->opts.annotation_grants[i];

		for (k = 0; k < g->nchecks; k++) {
			const char *id = g->checks[k];

			if (!strncmp(id, "secret-", 7)) {
				snprintf(msg, msgsize, "policy.suppressions.annotations[%zu]: secret "
					"checks cannot be suppressed by annotation: \"%.100s\"", i, id);
				return -1;
			}
			if (strcmp(id, "*") && !rule_id_known(p, id)) {
				snprintf(msg, msgsize, "policy.suppressions.annotations[%zu]: unknown "
					"check \"%.100s\"", i, id);
				return -1;
			}
		}
	}
	return 0;
}

int gate_policy_from_config(struct gate_policy **out, const json_t *section,
	const char *config_dir, const struct gate_policy_opts *overrides,
	char *msg, size_t msgsize)
{
	struct gate_policy_opts o;
	struct gate_policy *p = NULL;
	const json_t *v, *sup;
	void *tofree[4] = { NULL, NULL, NULL, NULL }, **tf = tofree, **gtofree = NULL;
	struct gate_policy_grant *grants = NULL;
	size_t ntofree = 0, i;
	int error = -1;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	if (section && !json_is_object(section)) {
		snprintf(msg, msgsize, "policy: expected an object");
		return -1;
	}
	if ((v = json_object_get(section, "builtin_checks")) && json_is_false(v))
		o.no_builtin_checks = 1;
	if ((v = json_object_get(section, "secret_scanning")) && json_is_false(v))
		o.no_secret_scanning = 1;
	if ((v = json_object_get(section, "repository_checks")) && json_is_false(v))
		o.no_repository_checks = 1;
	if ((v = json_object_get(section, "ratchet")) && json_is_true(v))
		o.ratchet = 1;
	if ((sup = json_object_get(section, "secret_scan"))) {
		if ((v = json_object_get(sup, "max_bytes")) && json_is_integer(v) &&
		    json_integer_value(v) > 0)
			o.secret_scan_max_bytes = (size_t)json_integer_value(v);
		if ((v = json_object_get(sup, "too_large")) && json_is_string(v) &&
		    !strcmp(json_string_value(v), "warn"))
			o.secret_scan_too_large_warn = 1;
	}
	if ((v = json_object_get(section, "kubernetes_version")) && json_is_string(v))
		o.kubernetes_version = json_string_value(v);
	o.allowed_registries = json_strv(&o, json_object_get(section, "allowed_registries"),
		&o.nallowed_registries, &tf, &ntofree);
	o.repository_policy_paths = json_strv(&o, json_object_get(section, "repository_policy"),
		&o.nrepository_policy_paths, &tf, &ntofree);
	if ((sup = json_object_get(section, "suppressions")) &&
	    json_is_array(v = json_object_get(sup, "annotations")) && json_array_size(v)) {
		/* the grants of in-content waivers; false or absent: none */
		size_t n = json_array_size(v);

		grants = gate_xcalloc(n, sizeof(*grants));
		gtofree = gate_xcalloc(2 * n, sizeof(*gtofree));
		for (i = 0; i < n; i++) {
			const json_t *g = json_array_get(v, i), *d;
			void **gt = gtofree + 2 * i;
			size_t ng = 0;

			grants[i].checks = json_strv(&o, json_object_get(g, "checks"),
				&grants[i].nchecks, &gt, &ng);
			grants[i].paths = json_strv(&o, json_object_get(g, "paths"),
				&grants[i].npaths, &gt, &ng);
			if ((d = json_object_get(g, "max_days")) && json_is_integer(d) &&
			    json_integer_value(d) > 0 && json_integer_value(d) < 100000)
				grants[i].max_days = (int)json_integer_value(d);
		}
		o.annotation_grants = grants;
		o.nannotation_grants = n;
	}
	if (overrides) {
		if (overrides->no_builtin_checks)
			o.no_builtin_checks = 1;
		if (overrides->no_secret_scanning)
			o.no_secret_scanning = 1;
		if (overrides->no_annotation_suppressions)
			o.no_annotation_suppressions = 1;
		if (overrides->kubernetes_version)
			o.kubernetes_version = overrides->kubernetes_version;
		if (overrides->now)
			o.now = overrides->now;
		if (overrides->no_repository_checks)
			o.no_repository_checks = 1;
		if (overrides->ratchet)
			o.ratchet = 1;
	}
	if (gate_policy_new(&p, &o, msg, msgsize) < 0)
		goto done;
	v = json_object_get(section, "files");
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		const char *f = json_string_value(json_array_get(v, i));
		char *path;
		int rc;

		if (!f)
			continue;
		if (f[0] == '/' || !config_dir)
			path = gate_xstrdup(f);
		else
			path = gate_xasprintf("%s/%s", config_dir, f);
		rc = gate_policy_load_file(p, path, msg, msgsize);
		free(path);
		if (rc < 0)
			goto done;
	}
	if (check_grants(p, msg, msgsize) < 0)
		goto done;
	*out = p;
	p = NULL;
	error = 0;
done:
	for (i = 0; i < ntofree; i++)
		free(tofree[i]);
	for (i = 0; i < 2 * o.nannotation_grants; i++)
		free(gtofree[i]);
	free(gtofree);
	free(grants);
	gate_policy_free(p);
	return error;
}
