/*
 * engine: split, parse, identify, look up, validate, check.  The verdict on
 * each resource follows kubeconform 0.6's ValidateResource
 * (pkg/validator/validator.go) step by step; see judge_node().
 */
#include "gate/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/admit.h"
#include "gate/unit.h"
#include "gate/util.h"

#define DEFAULT_MAX_ERRORS 100
#define MAX_THREADS 256
#define THREAD_STACK (16u << 20)
#define MAX_LIST_DEPTH 8

struct judge {
	const struct gate_engine_opts *o;
	const char *filename;
	struct gate_results *out;
	struct gate_doc_limits lim;
	size_t max_document;
	int flags;
	size_t max_errors;
};

static struct gate_result *new_result(struct judge *j, uint32_t line)
{
	struct gate_result *r = gate_results_add(j->out);

	r->filename = gate_xstrdup(j->filename);
	r->line = line;
	return r;
}

/* a kind list entry is "Kind" or apiVersion + "/" + Kind ("apps/v1/Deployment") */
static int kind_listed(const char *const *list, size_t n, const struct gate_k8s_id *id)
{
	size_t i, al = strlen(id->api_version);

	for (i = 0; i < n; i++) {
		const char *s = list[i];
		if (!s)
			continue;
		if (!strcmp(s, id->kind))
			return 1;
		if (!strncmp(s, id->api_version, al) && s[al] == '/' && !strcmp(s + al + 1, id->kind))
			return 1;
	}
	return 0;
}

/* Go's name of a JSON value's type, as in encoding/json's UnmarshalTypeError */
static const char *go_json_type(const struct gate_node *n)
{
	switch (n->type) {
	case GATE_NODE_BOOL: return "bool";
	case GATE_NODE_NUMBER: return "number";
	case GATE_NODE_STRING: return "string";
	case GATE_NODE_ARRAY: return "array";
	default: return "object";
	}
}

static void set_identity(struct gate_result *r, const struct gate_k8s_id *id,
	const struct gate_node *root)
{
	const struct gate_node *meta = gate_node_get(root, "metadata");
	const char *gen = meta && meta->type == GATE_NODE_OBJECT ?
		gate_node_get_str(meta, "generateName") : NULL;

	r->api_version = gate_xstrdup(id->api_version);
	r->kind = gate_xstrdup(id->kind);
	/* kubeconform: a generateName wins over name */
	if (gen && *gen)
		r->name = gate_xasprintf("%s{{ generateName }}", gen);
	else
		r->name = gate_xstrdup(id->name);
	r->namespace_ = gate_xstrdup(id->namespace_);
}

/* A document that failed the strict parse: its identity from a lenient one. */
static void identity_from_text(struct judge *j, struct gate_result *r, const char *part,
	size_t len, uint32_t line)
{
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;

	if (!j->flags || gate_doc_parse(&doc, part, len, line, &j->lim, 0, &err) < 0)
		return;
	gate_k8s_identity_lenient(r, doc->root);
	gate_doc_free(doc);
}

static void schema_problems(struct judge *j, struct gate_result *r, const char *location,
	const struct gate_schema_errors *errs)
{
	struct gate_buf msg = GATE_BUF_INIT;
	size_t i;

	/*
	 * kubeconform 0.6: "problem validating schema. Check JSON formatting:
	 * jsonschema: '<pointer>' does not validate with <schema>#<keyword
	 * path>: <message>".  We name the schema file and list every error.
	 */
	for (i = 0; i < errs->n; i++)
		if (!errs->v[i].keyword || strcmp(errs->v[i].keyword, "metadata"))
			break;
	if (i < errs->n || !errs->n)
		gate_buf_adds(&msg, "problem validating schema. Check JSON formatting: ");
	for (i = 0; i < errs->n; i++) {
		const struct gate_schema_error *e = &errs->v[i];
		int meta = e->keyword && !strcmp(e->keyword, "metadata");

		gate_result_add_problem(r, e->pointer ? e->pointer : "", e->line, e->col,
			meta ? "metadata" : "schema", GATE_SEV_DENY, e->message ? e->message : "does not validate");
		if (i)
			gate_buf_adds(&msg, " - ");
		if (meta)
			gate_buf_adds(&msg, e->message); /* the API server's own words */
		else
			gate_buf_addf(&msg, "jsonschema: '%s' does not validate with %s: %s",
				e->pointer ? e->pointer : "", location ? location : "schema",
				e->message ? e->message : "does not validate");
	}
	if (!errs->n)
		gate_buf_adds(&msg, "jsonschema: '' does not validate");
	r->msg = gate_buf_detach(&msg);
}

static void run_checkers(struct judge *j, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *r)
{
	size_t i;

	for (i = 0; i < j->o->ncheckers; i++) {
		const struct gate_checker *c = &j->o->checkers[i];
		if (!c->check)
			continue;
		if (c->check(c->ctx, j->filename, id, root, r) < 0) {
			r->status = GATE_STATUS_ERROR;
			if (!r->msg)
				r->msg = gate_xstrdup("could not evaluate policy checks");
			return;
		}
	}
	/* a checker that raised the status without a message: name its first denial */
	if (r->status == GATE_STATUS_INVALID && !r->msg) {
		for (i = 0; i < r->nproblems; i++) {
			const struct gate_problem *p = &r->problems[i];
			if (p->severity == GATE_SEV_DENY && !p->suppressed) {
				r->msg = gate_xstrdup(p->message);
				break;
			}
		}
	}
}

/*
 * The verdict on one resource (kubeconform's ValidateResource after the
 * unmarshal): empty, not a mapping, identity, skip, reject, Kustomize's own
 * files, schema lookup, validation; then the checkers on every resource with
 * an identity except those skipped by kind and Kustomize files (which are not
 * resources).
 */
static void judge_any(struct judge *j, const struct gate_node *node, uint32_t line, int depth,
	const struct gate_node *list);
static void judge_items(struct judge *j, struct gate_result *r, const struct gate_node *node,
	int depth);

static void judge_node(struct judge *j, const struct gate_node *node, uint32_t line, int depth,
	const struct gate_node *list)
{
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	const struct gate_schema *schema = NULL;
	const char *location = NULL;
	struct gate_result *r;
	struct gate_k8s_id id;
	char msg[8192], kind[256];
	int rc, inherited;

	if (node && node->line)
		line = node->line;
	r = new_result(j, line);
	if (!node || node->type == GATE_NODE_NULL) {
		r->status = GATE_STATUS_EMPTY;
		return;
	}
	if (node->type != GATE_NODE_OBJECT) {
		char p[128];
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xasprintf("error unmarshalling resource: error unmarshaling JSON: "
			"while decoding JSON: json: cannot unmarshal %s into Go value of type "
			"map[string]interface {}", go_json_type(node));
		snprintf(p, sizeof(p), "a resource must be a mapping, got %s", gate_node_type_name(node));
		gate_result_add_problem(r, "", node->line, node->col, "yaml", GATE_SEV_DENY, p);
		return;
	}
	if (gate_k8s_item_id_read(&id, node, list, kind, sizeof(kind), &inherited,
		msg, sizeof(msg)) < 0) {
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xasprintf("error while parsing: %s", msg);
		gate_k8s_identity_lenient(r, node);
		return;
	}
	set_identity(r, &id, node);

	if (kind_listed(j->o->skip_kinds, j->o->nskip, &id)) {
		r->status = GATE_STATUS_SKIPPED;
		goto items;
	}
	if (kind_listed(j->o->reject_kinds, j->o->nreject, &id)) {
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xasprintf("prohibited resource kind %s", id.kind);
		goto check;
	}
	if (gate_unit_is_kustomize_kind(id.api_version, id.kind)) {
		r->status = GATE_STATUS_SKIPPED;
		r->msg = gate_xstrdup("kustomization file: read by kustomize, not applied to the cluster");
		return;
	}

	msg[0] = '\0';
	if (gate_store_lookup_ex(j->o->store, &id, &schema, &location, msg, sizeof(msg)) < 0) {
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xstrdup(msg[0] ? msg : "schema lookup failed");
		goto check;
	}
	if (!schema) {
		if (j->o->ignore_missing_schemas) {
			r->status = GATE_STATUS_SKIPPED;
		} else {
			r->status = GATE_STATUS_ERROR;
			r->msg = gate_xasprintf("could not find schema for %s", id.kind);
		}
		goto check;
	}

	rc = gate_admit_validate(schema, node, id.group, id.kind, &errs, j->max_errors);
	if (rc < 0) {
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xstrdup("problem validating schema: internal failure");
	} else if (rc == 0) {
		r->status = GATE_STATUS_INVALID;
		schema_problems(j, r, location, &errs);
	} else {
		r->status = GATE_STATUS_VALID;
	}
	gate_schema_errors_release(&errs);
check:
	run_checkers(j, &id, node, r);
items:
	judge_items(j, r, node, depth);
}

/* an items entry that looks like an object of its own */
static int object_like(const struct gate_node *n)
{
	return n->type == GATE_NODE_OBJECT &&
		(gate_node_get(n, "kind") || gate_node_get(n, "apiVersion"));
}

static void deny(struct gate_result *r, const struct gate_node *at, const char *pointer,
	const char *rule, char *msg)
{
	gate_result_add_problem(r, pointer, at->line, at->col, rule, GATE_SEV_DENY, msg);
	if (r->status == GATE_STATUS_VALID || r->status == GATE_STATUS_SKIPPED ||
	    r->status == GATE_STATUS_EMPTY)
		r->status = GATE_STATUS_INVALID;
	if (!r->msg)
		r->msg = msg;
	else
		free(msg);
}

/*
 * The items of a resource, as the tools that apply it see them (see
 * gate_k8s_list_kind()).  A typed list (`DeploymentList`, `FooList`)
 * keeps its own verdict and each item is judged as an object, whatever
 * schemas exist.  Any other kind with an `items` sequence is refused:
 * kubectl and Argo CD would apply its items and drop the object, kustomize
 * and Flux the reverse, so no single verdict is right; its entries that look
 * like objects are judged too, so that the pusher sees their problems.
 */
static void judge_items(struct judge *j, struct gate_result *r, const struct gate_node *node,
	int depth)
{
	enum gate_k8s_list lk = gate_k8s_list_kind(node);
	const struct gate_node *items = gate_node_get(node, "items");
	uint32_t i;

	if (lk == GATE_K8S_NOT_LIST)
		return;
	if (lk == GATE_K8S_LIST && items && items->type != GATE_NODE_ARRAY) {
		if (items->type != GATE_NODE_NULL)
			deny(r, items, "/items", "yaml", gate_xasprintf("the items of a %s must be a "
				"sequence, got %s", r->kind, gate_node_type_name(items)));
		return;
	}
	if (!items)
		return;
	if (depth + 1 >= MAX_LIST_DEPTH) {
		deny(r, node, "", "yaml", gate_xasprintf("lists nested more than %d deep",
			MAX_LIST_DEPTH));
		return;
	}
	if (lk == GATE_K8S_ITEMS_ON_OBJECT)
		deny(r, items, "/items", "object-items", gate_xasprintf("a %s with a top-level items "
			"sequence: kubectl and Argo CD apply its items instead of the object, kustomize "
			"and Flux the object: give each object a document of its own", r->kind));
	for (i = 0; i < items->len; i++) {
		if (lk == GATE_K8S_ITEMS_ON_OBJECT && !object_like(&items->u.items[i]))
			continue;
		judge_any(j, &items->u.items[i], items->u.items[i].line, depth + 1, node);
	}
}

/* kubeconform expands a resource whose kind is "list" (any case) into its items */
static int is_list(const struct gate_node *root)
{
	const char *kind, *av;

	if (!root || root->type != GATE_NODE_OBJECT)
		return 0;
	kind = gate_node_get_str(root, "kind");
	av = gate_node_get_str(root, "apiVersion");
	return kind && av && *av && !strcasecmp(kind, "list");
}

static int on_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct judge *j = payload;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;
	struct gate_result *r;

	if (len == 0)
		return 0; /* kubeconform skips empty parts (one empty result per file without any) */
	if (len > j->max_document) {
		r = new_result(j, line);
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xasprintf("error unmarshalling resource: document of %zu bytes is "
			"larger than the limit of %zu bytes", len, j->max_document);
		gate_result_add_problem(r, NULL, line, 1, "yaml", GATE_SEV_DENY, r->msg +
			strlen("error unmarshalling resource: "));
		return 0;
	}
	memset(&err, 0, sizeof(err));
	if (gate_doc_parse(&doc, part, len, line, &j->lim, j->flags, &err) < 0) {
		err.message[sizeof(err.message) - 1] = '\0';
		r = new_result(j, line);
		r->status = GATE_STATUS_ERROR;
		if (err.line)
			r->msg = gate_xasprintf("error unmarshalling resource: error converting YAML to "
				"JSON: yaml: line %u: %s", err.line, err.message);
		else
			r->msg = gate_xasprintf("error unmarshalling resource: error converting YAML to "
				"JSON: yaml: %s", err.message);
		gate_result_add_problem(r, NULL, err.line, err.col, "yaml", GATE_SEV_DENY,
			err.message[0] ? err.message : "invalid yaml");
		identity_from_text(j, r, part, len, line);
		return 0;
	}
	judge_any(j, doc->root, doc->line ? doc->line : line, 0, NULL);
	gate_doc_free(doc);
	return 0;
}

/*
 * kind: List.  kubeconform judges each item as its own resource, and a List
 * without items as nothing at all.  A List inside a List is expanded too
 * (kubectl flattens nested lists), to a bounded depth.  Items that are not a
 * sequence would be dropped silently there; a gate reports them.
 */
static void judge_any(struct judge *j, const struct gate_node *root, uint32_t line, int depth,
	const struct gate_node *list)
{
	const struct gate_node *items;
	struct gate_result *r;
	uint32_t i;

	if (!is_list(root)) {
		judge_node(j, root, line, depth, list);
		return;
	}
	items = gate_node_get(root, "items");
	if (depth >= MAX_LIST_DEPTH) {
		r = new_result(j, root->line);
		r->status = GATE_STATUS_ERROR;
		r->kind = gate_xstrdup(gate_node_get_str(root, "kind"));
		r->msg = gate_xasprintf("error while parsing: lists nested more than %d deep", MAX_LIST_DEPTH);
		gate_result_add_problem(r, "", root->line, root->col, "yaml", GATE_SEV_DENY, r->msg +
			strlen("error while parsing: "));
	} else if (items && items->type == GATE_NODE_ARRAY) {
		for (i = 0; i < items->len; i++)
			judge_any(j, &items->u.items[i], items->u.items[i].line, depth + 1, root);
	} else if (items && items->type != GATE_NODE_NULL) {
		r = new_result(j, root->line);
		r->status = GATE_STATUS_ERROR;
		r->api_version = gate_xstrdup(gate_node_get_str(root, "apiVersion"));
		r->kind = gate_xstrdup(gate_node_get_str(root, "kind"));
		r->msg = gate_xasprintf("error while parsing: the items of a %s must be a sequence, got %s",
			r->kind, gate_node_type_name(items));
		gate_result_add_problem(r, "/items", items->line, items->col, "yaml", GATE_SEV_DENY,
			"items must be a sequence");
	}
}

static void norm_limits(struct gate_doc_limits *lim, const struct gate_doc_limits *in)
{
	const struct gate_doc_limits def = GATE_DOC_LIMITS_INIT;

	*lim = *in;
	if (!lim->max_bytes)
		lim->max_bytes = def.max_bytes;
	if (!lim->max_depth)
		lim->max_depth = def.max_depth;
	if (!lim->max_nodes)
		lim->max_nodes = def.max_nodes;
	if (!lim->max_alias_nodes)
		lim->max_alias_nodes = def.max_alias_nodes;
}

int gate_engine_validate_buffer(const struct gate_engine_opts *o, const char *filename,
	const char *buf, size_t len, struct gate_results *out)
{
	struct judge j;
	size_t i, before;
	int rc;

	if (!o || !o->store || !out)
		return -1;
	memset(&j, 0, sizeof(j));
	j.o = o;
	j.filename = filename ? filename : "stdin";
	j.out = out;
	norm_limits(&j.lim, &o->limits);
	j.max_document = o->max_document_bytes ? o->max_document_bytes : GATE_ENGINE_MAX_DOCUMENT;
	j.flags = o->strict ? GATE_DOC_DUPKEYS_ERROR : 0;
	j.max_errors = o->max_errors ? o->max_errors : DEFAULT_MAX_ERRORS;
	if (!buf)
		len = 0;
	before = out->n;
	if ((rc = gate_doc_split(buf ? buf : "", len, on_part, &j)) != 0)
		return rc;
	/* kubeconform: a file without any document still counts, as one empty resource */
	if (out->n == before)
		new_result(&j, 1)->status = GATE_STATUS_EMPTY;
	for (i = 0; i < o->nscanners; i++)
		if ((rc = o->scanners[i].scan(o->scanners[i].ctx, j.filename, buf ? buf : "", len, out)) < 0)
			return rc;
	return 0;
}

struct run {
	const struct gate_engine_opts *o;
	struct gate_input *inputs;
	size_t *order;
	size_t n;
	size_t max_bytes;
	atomic_size_t next;
	atomic_int stop;          /* a loader stopped the run: start no more inputs */
};

static void judge_input(struct run *rn, struct gate_input *in)
{
	const char *name = in->filename ? in->filename : in->path;
	struct gate_result *r;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (in->buf) {
		rc = gate_engine_validate_buffer(rn->o, name, in->buf, in->len, &in->results);
		if (rc < 0)
			in->error = rc;
		return;
	}
	if (!in->path || gate_read_file(in->path, rn->max_bytes, &data, &len) < 0) {
		int e = in->path ? errno : EINVAL;
		char ebuf[128];

		r = gate_results_add(&in->results);
		r->filename = gate_xstrdup(name ? name : "");
		r->status = GATE_STATUS_ERROR;
		if (e == EFBIG) {
			r->msg = gate_xasprintf("file too large: more than %zu bytes", rn->max_bytes);
		} else {
			if (strerror_r(e, ebuf, sizeof(ebuf)) != 0)
				snprintf(ebuf, sizeof(ebuf), "error %d", e);
			r->msg = gate_xasprintf("could not read file: %s", ebuf);
		}
		in->error = -1;
		return;
	}
	rc = gate_engine_validate_buffer(rn->o, name, data, len, &in->results);
	if (rc < 0)
		in->error = rc;
	free(data);
}

/* Input k through the loader: its bytes on demand, then judged, then handed back. */
static void load_and_judge(struct run *rn, size_t k)
{
	const struct gate_engine_loader *ld = rn->o->loader;
	struct gate_input *in = &rn->inputs[k];
	int rc = ld->load(ld->ctx, k, in);

	if (rc < 0) {
		atomic_store(&rn->stop, 1);
		return;
	}
	in->started = 1;
	if (rc == 0) {
		rc = gate_engine_validate_buffer(rn->o, in->filename ? in->filename : in->path,
			in->buf, in->len, &in->results);
		if (rc < 0)
			in->error = rc;
	}
	ld->done(ld->ctx, k, in);
}

static void *worker(void *arg)
{
	struct run *rn = arg;
	size_t i;

	while (!atomic_load(&rn->stop) && (i = atomic_fetch_add(&rn->next, 1)) < rn->n) {
		if (rn->o->loader) {
			load_and_judge(rn, rn->order[i]);
		} else {
			rn->inputs[rn->order[i]].started = 1;
			judge_input(rn, &rn->inputs[rn->order[i]]);
		}
	}
	return NULL;
}

struct sized {
	size_t idx;
	off_t size;
};

static int by_size_desc(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int gate_engine_run(const struct gate_engine_opts *o, struct gate_input *inputs,
	size_t n, int threads)
{
	struct gate_doc_limits lim;
	struct sized *sz;
	struct run rn;
	pthread_t *tids = NULL;
	pthread_attr_t attr;
	size_t i, nthreads, started = 0;

	if (!o || !o->store || (n && !inputs))
		return -1;
	if (!n)
		return 0;
	norm_limits(&lim, &o->limits);
	sz = gate_xcalloc(n, sizeof(*sz));
	for (i = 0; i < n; i++) {
		struct stat st;
		sz[i].idx = i;
		if (inputs[i].buf || inputs[i].len || o->loader)
			sz[i].size = (off_t)inputs[i].len;
		else if (inputs[i].path && stat(inputs[i].path, &st) == 0)
			sz[i].size = st.st_size;
		inputs[i].error = 0;
		inputs[i].started = 0;
	}
	qsort(sz, n, sizeof(*sz), by_size_desc);

	memset(&rn, 0, sizeof(rn));
	rn.o = o;
	rn.inputs = inputs;
	rn.n = n;
	rn.max_bytes = lim.max_bytes;
	rn.order = gate_xcalloc(n, sizeof(*rn.order));
	for (i = 0; i < n; i++)
		rn.order[i] = sz[i].idx;
	free(sz);
	atomic_init(&rn.next, 0);
	atomic_init(&rn.stop, 0);

	if (threads <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c > 0 ? (int)c : 1;
	}
	nthreads = (size_t)threads;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if (nthreads > n)
		nthreads = n;

	if (nthreads > 1) {
		tids = gate_xcalloc(nthreads, sizeof(*tids));
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, THREAD_STACK);
		/* the calling thread works too: start nthreads - 1 more */
		for (i = 0; i + 1 < nthreads; i++)
			if (pthread_create(&tids[started], &attr, worker, &rn) == 0)
				started++;
		pthread_attr_destroy(&attr);
	}
	worker(&rn);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	free(rn.order);
	return 0;
}
