/*
 * engine_test: the verdict on each kind of input, line numbers, List
 * expansion, kind lists, checkers and the threaded run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/engine.h"
#include "gate/util.h"
#include "../tap.h"

static char tmpdir[256];
static struct gate_store *store;

static void write_file(const char *rel, const char *content)
{
	char path[512], *dir;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	dir = gate_xstrdup(path);
	*strrchr(dir, '/') = '\0';
	gate_mkdir_p(dir, 0755);
	free(dir);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(2);
	}
	fputs(content, f);
	fclose(f);
}

static const char deployment_schema[] =
	"{\"type\": \"object\", \"required\": [\"metadata\"], \"properties\": {"
	"\"apiVersion\": {\"type\": \"string\"}, \"kind\": {\"type\": \"string\"},"
	"\"metadata\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}}},"
	"\"spec\": {\"type\": \"object\", \"properties\": {"
	"\"replicas\": {\"type\": \"integer\"}, \"paused\": {\"type\": \"boolean\"}}}}}";
static const char loose_schema[] = "{\"type\": \"object\"}";

static void init_opts(struct gate_engine_opts *o)
{
	const struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;

	memset(o, 0, sizeof(*o));
	o->store = store;
	o->limits = lim;
}

static int judge(const struct gate_engine_opts *o, const char *text, struct gate_results *rs)
{
	gate_results_release(rs);
	return gate_engine_validate_buffer(o, "f.yaml", text, strlen(text), rs);
}

static int has_str(const char *s, const char *want)
{
	return s && strstr(s, want);
}

static void test_statuses(void)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_engine_opts o;
	struct gate_result *r;

	init_opts(&o);
	judge(&o, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n"
		"spec:\n  replicas: 2\n", &rs);
	r = &rs.v[0];
	ok(rs.n == 1 && r->status == GATE_STATUS_VALID && !r->msg, "valid Deployment");
	ok(r->line == 1 && !strcmp(r->filename, "f.yaml") && !strcmp(r->kind, "Deployment") &&
		!strcmp(r->api_version, "apps/v1") && !strcmp(r->name, "web") &&
		!strcmp(r->namespace_, "prod"), "identity and place filled");

	judge(&o, "# leading comment\n\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		"spec:\n  replicas: \"two\"\n  paused: 3\n", &rs);
	r = &rs.v[0];
	ok(rs.n == 1 && r->status == GATE_STATUS_INVALID, "invalid Deployment");
	ok(r->line == 3, "resource starts at its first key (line %u)", r->line);
	ok(r->nproblems == 2, "one problem per schema error (%zu)", r->nproblems);
	if (r->nproblems == 2) {
		const struct gate_problem *p = &r->problems[0], *q = &r->problems[1];
		if (strcmp(p->pointer, "/spec/replicas")) {
			p = &r->problems[1];
			q = &r->problems[0];
		}
		ok(!strcmp(p->pointer, "/spec/replicas") && p->line == 8 && p->col == 13 &&
			!strcmp(p->rule, "schema") && p->severity == GATE_SEV_DENY && p->message,
			"problem at /spec/replicas, 8:13 (%u:%u)", p->line, p->col);
		ok(!strcmp(q->pointer, "/spec/paused") && q->line == 9, "problem at /spec/paused");
	}
	ok(has_str(r->msg, "problem validating schema. Check JSON formatting: jsonschema: '/spec/") &&
		has_str(r->msg, "does not validate with ") && has_str(r->msg, "deployment-apps-v1.json"),
		"kubeconform-style message: %s", r->msg ? r->msg : "(null)");

	judge(&o, "apiVersion: v1\nmetadata:\n  name: x\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		!strcmp(rs.v[0].msg, "error while parsing: missing 'kind' key"), "missing kind");
	judge(&o, "kind: Pod\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		!strcmp(rs.v[0].msg, "error while parsing: missing 'apiVersion' key"), "missing apiVersion");

	judge(&o, "apiVersion: v1\nkind: [unclosed\n", &rs);
	r = &rs.v[0];
	ok(rs.n == 1 && r->status == GATE_STATUS_ERROR &&
		has_str(r->msg, "error unmarshalling resource: "), "YAML error: %s", r->msg ? r->msg : "");
	ok(r->nproblems == 1 && !strcmp(r->problems[0].rule, "yaml") && r->problems[0].line >= 2,
		"YAML error problem with a line (%u)", r->nproblems ? r->problems[0].line : 0);

	judge(&o, "- a\n- b\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		has_str(rs.v[0].msg, "cannot unmarshal array into Go value of type map"),
		"a sequence is no resource: %s", rs.v[0].msg);
	judge(&o, "just a string\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		has_str(rs.v[0].msg, "cannot unmarshal string"), "a scalar is no resource");

	judge(&o, "# only a comment\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_EMPTY, "comment-only document is empty");
	judge(&o, "", &rs);
	ok(rs.n == 0 || (rs.n == 1 && rs.v[0].status == GATE_STATUS_EMPTY),
		"empty file gives nothing or one empty result (%zu)", rs.n);
	judge(&o, "null\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_EMPTY, "null document is empty");

	judge(&o, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		!strcmp(rs.v[0].msg, "could not find schema for Widget"), "no schema: error");
	o.ignore_missing_schemas = 1;
	judge(&o, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_SKIPPED && !strcmp(rs.v[0].kind, "Widget"),
		"no schema, ignore_missing_schemas: skipped");
	o.ignore_missing_schemas = 0;

	judge(&o, "apiVersion: v1\nkind: Broken\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		has_str(rs.v[0].msg, "could not parse schema at"), "store failure: %s", rs.v[0].msg);

	judge(&o, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- a.yaml\n",
		&rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_SKIPPED &&
		!strcmp(rs.v[0].msg, "kustomization file: read by kustomize, not applied to the cluster"),
		"kustomization file skipped");
	judge(&o, "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_SKIPPED, "kustomize component skipped");

	judge(&o, "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: job-\n", &rs);
	ok(rs.n == 1 && rs.v[0].name && !strcmp(rs.v[0].name, "job-{{ generateName }}"),
		"generateName as kubeconform names it");

	gate_results_release(&rs);
}

static void test_kind_lists(void)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_engine_opts o;
	const char *skip[] = { "ConfigMap", "apps/v1/Deployment" };
	const char *reject[] = { "Secret", "v1/Pod" };

	init_opts(&o);
	o.skip_kinds = skip;
	o.nskip = 2;
	o.reject_kinds = reject;
	o.nreject = 2;
	judge(&o, "apiVersion: v1\nkind: ConfigMap\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_SKIPPED && !rs.v[0].msg, "skip by kind");
	judge(&o, "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: bad\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_SKIPPED, "skip by apiVersion/kind");
	judge(&o, "apiVersion: apps/v2\nkind: Deployment\n", &rs);
	ok(rs.n == 1 && rs.v[0].status != GATE_STATUS_SKIPPED, "other apiVersion not skipped");
	judge(&o, "apiVersion: v1\nkind: Secret\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		!strcmp(rs.v[0].msg, "prohibited resource kind Secret"), "reject by kind");
	judge(&o, "apiVersion: v1\nkind: Pod\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		!strcmp(rs.v[0].msg, "prohibited resource kind Pod"), "reject by apiVersion/kind");
	gate_results_release(&rs);
}

static void test_documents(void)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_engine_opts o;
	const char *multi =
		"---\n"                                      /* 1: empty part before */
		"apiVersion: v1\n"                           /* 2 */
		"kind: ConfigMap\n"
		"metadata:\n"
		"  name: one\n"
		"---\n"                                      /* 6 */
		"# just a comment\n"                         /* 7: empty document */
		"--- # trailing text on the separator\n"     /* 8 */
		"\n"
		"apiVersion: apps/v1\n"                      /* 10 */
		"kind: Deployment\n"
		"metadata:\n"
		"  name: two\n"
		"spec:\n"
		"  replicas: x\n";                           /* 15 */
	const char *list =
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- apiVersion: v1\n"                         /* 4 */
		"  kind: ConfigMap\n"
		"  metadata:\n"
		"    name: a\n"
		"- apiVersion: apps/v1\n"                    /* 8 */
		"  kind: Deployment\n"
		"  metadata:\n"
		"    name: b\n"
		"  spec:\n"
		"    replicas: no\n";
	size_t i;

	init_opts(&o);
	judge(&o, multi, &rs);
	{
		/*
		 * kubeconform splits at "\n---": whether the leading separator
		 * gives an empty part first is the loader's call; the rest is not.
		 */
		size_t k = rs.n == 4 ? 1 : 0;
		ok(rs.n == 3 || (rs.n == 4 && rs.v[0].status == GATE_STATUS_EMPTY && rs.v[0].line == 1),
			"three or four parts (%zu)", rs.n);
		if (rs.n >= 3 && rs.n <= 4) {
			ok(rs.v[k].status == GATE_STATUS_VALID && rs.v[k].line == 2 &&
				!strcmp(rs.v[k].name, "one"), "first resource at line 2 (%u)", rs.v[k].line);
			ok(rs.v[k + 1].status == GATE_STATUS_EMPTY && rs.v[k + 1].line >= 6 &&
				rs.v[k + 1].line <= 7, "comment-only part: empty");
			ok(rs.v[k + 2].status == GATE_STATUS_INVALID && rs.v[k + 2].line == 10 &&
				rs.v[k + 2].nproblems == 1 && rs.v[k + 2].problems[0].line == 15,
				"second resource at line 10, problem at line 15 (%u, %u)", rs.v[k + 2].line,
				rs.v[k + 2].nproblems ? rs.v[k + 2].problems[0].line : 0);
		}
	}

	judge(&o, list, &rs);
	ok(rs.n == 2, "List expanded into its two items (%zu)", rs.n);
	if (rs.n == 2) {
		ok(rs.v[0].status == GATE_STATUS_VALID && !strcmp(rs.v[0].kind, "ConfigMap") &&
			rs.v[0].line == 4, "first item: ConfigMap at line 4 (%u)", rs.v[0].line);
		ok(rs.v[1].status == GATE_STATUS_INVALID && !strcmp(rs.v[1].kind, "Deployment") &&
			rs.v[1].line == 8 && rs.v[1].nproblems == 1 &&
			!strcmp(rs.v[1].problems[0].pointer, "/spec/replicas") &&
			rs.v[1].problems[0].line == 13, "second item invalid, lines of the file");
	}
	judge(&o, "apiVersion: v1\nkind: List\nitems: []\n", &rs);
	/* kubeconform's findResourcesInReader: a file without resources is one empty resource */
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_EMPTY,
		"empty List alone: nothing to judge, the file counts as one empty resource, as kubeconform");
	judge(&o, "apiVersion: v1\nkind: List\nitems: {a: 1}\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR, "List items not a sequence: error");
	judge(&o, "kind: List\nitems: []\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		has_str(rs.v[0].msg, "missing 'apiVersion' key"), "List without apiVersion is not expanded");

	/* typed lists: each item judged, whatever schemas exist; the list keeps its verdict */
	judge(&o, "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
		"- {apiVersion: apps/v1, kind: Deployment, metadata: {name: a}, spec: {replicas: x}}\n"
		"- {metadata: {name: b}, spec: {replicas: 2}}\n", &rs);
	ok(rs.n == 3 && !strcmp(rs.v[0].kind, "DeploymentList") && rs.v[0].status == GATE_STATUS_VALID &&
		!strcmp(rs.v[1].kind, "Deployment") && rs.v[1].status == GATE_STATUS_INVALID &&
		!strcmp(rs.v[2].kind, "Deployment") && !strcmp(rs.v[2].api_version, "apps/v1") &&
		!strcmp(rs.v[2].name, "b") && rs.v[2].status == GATE_STATUS_VALID,
		"DeploymentList with a schema: its items judged; a kindless item is a Deployment (%zu)", rs.n);
	judge(&o, "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- {kind: Deployment, metadata: {name: a}}\n", &rs);
	ok(rs.n == 2 && rs.v[1].status == GATE_STATUS_ERROR && has_str(rs.v[1].msg, "missing 'apiVersion'"),
		"an item with a kind but no apiVersion: error, as kubectl");
	judge(&o, "apiVersion: v1\nkind: List\nitems:\n- {metadata: {name: a}}\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR && has_str(rs.v[0].msg, "missing 'kind'"),
		"a kindless item of a List: error (List minus List is no kind)");
	judge(&o, "apiVersion: apps/v1\nkind: DeploymentList\nitems: {a: 1}\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_INVALID && rs.v[0].nproblems == 1 &&
		!strcmp(rs.v[0].problems[0].pointer, "/items"), "typed list items not a sequence: refused");
	/* items on a kind that is no list: refused, its object-like entries judged */
	judge(&o, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nitems:\n"
		"- {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: x}}\n"
		"- just data\n- {a: 1}\n", &rs);
	ok(rs.n == 2 && rs.v[0].status == GATE_STATUS_INVALID &&
		!strcmp(rs.v[0].problems[0].rule, "object-items") &&
		!strcmp(rs.v[1].kind, "Deployment") && rs.v[1].status == GATE_STATUS_INVALID,
		"items on a ConfigMap: refused, the Deployment in it judged, the rest not (%zu)", rs.n);
	{
		struct gate_buf b = GATE_BUF_INIT;
		for (i = 0; i < 12; i++)
			gate_buf_adds(&b, "{apiVersion: v1, kind: FooList, items: [");
		gate_buf_adds(&b, "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}");
		for (i = 0; i < 12; i++)
			gate_buf_adds(&b, "]}");
		gate_buf_adds(&b, "\n");
		judge(&o, b.ptr, &rs);
		ok(rs.n >= 1 && rs.v[rs.n - 1].status != GATE_STATUS_VALID && rs.v[rs.n - 1].nproblems &&
			has_str(rs.v[rs.n - 1].problems[0].message, "nested more than"),
			"typed lists nested 12 deep: refused at the bound");
		gate_buf_release(&b);
	}

	/* duplicate keys */
	o.strict = 1;
	judge(&o, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR &&
		has_str(rs.v[0].msg, "error unmarshalling resource") && rs.v[0].nproblems == 1 &&
		rs.v[0].problems[0].line == 5, "strict: duplicate key is an error at line 5 (%u)",
		rs.v[0].nproblems ? rs.v[0].problems[0].line : 0);
	o.strict = 0;
	judge(&o, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_VALID && !strcmp(rs.v[0].name, "b"),
		"not strict: the last duplicate wins");

	/* many documents, each judged */
	{
		struct gate_buf b = GATE_BUF_INIT;
		int all = 1;
		for (i = 0; i < 200; i++)
			gate_buf_addf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%zu\n---\n", i);
		judge(&o, b.ptr, &rs);
		for (i = 0; i < rs.n && i < 200; i++)
			if (rs.v[i].line != 1 + 5 * i || rs.v[i].status != GATE_STATUS_VALID)
				all = 0;
		ok(rs.n >= 200 && all, "200 documents, lines 1, 6, 11, ...");
		gate_buf_release(&b);
	}
	gate_results_release(&rs);
}

struct counter {
	pthread_mutex_t mu;
	int calls;
	int deny;   /* add a deny problem and raise the status */
	int fail;   /* return -1 */
};

static int count_check(void *ctx, const char *filename, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *res)
{
	struct counter *c = ctx;

	pthread_mutex_lock(&c->mu);
	c->calls++;
	pthread_mutex_unlock(&c->mu);
	if (!filename || !id || !id->kind || !root)
		return -1;
	if (c->fail)
		return -1;
	if (c->deny) {
		gate_result_add_problem(res, "/metadata/name", 4, 9, "test-rule", GATE_SEV_DENY,
			"name is not allowed");
		if (res->status == GATE_STATUS_VALID)
			res->status = GATE_STATUS_INVALID;
	}
	return 0;
}

static void test_checkers(void)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_engine_opts o;
	struct counter c = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	struct gate_checker ck = { count_check, &c };

	init_opts(&o);
	o.checkers = &ck;
	o.ncheckers = 1;
	judge(&o, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# empty\n---\nkind: X\n"
		"---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: x\n", &rs);
	ok(c.calls == 2, "checker called on resources with an identity only (%d calls)", c.calls);
	c.calls = 0;
	c.deny = 1;
	judge(&o, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", &rs);
	ok(c.calls == 1 && rs.n == 1 && rs.v[0].status == GATE_STATUS_INVALID &&
		rs.v[0].nproblems == 1 && !strcmp(rs.v[0].problems[0].rule, "test-rule") &&
		has_str(rs.v[0].msg, "name is not allowed"), "a deny from a checker makes it invalid");
	c.deny = 0;
	c.fail = 1;
	judge(&o, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", &rs);
	ok(rs.n == 1 && rs.v[0].status == GATE_STATUS_ERROR && rs.v[0].msg,
		"a checker that cannot evaluate: error");
	gate_results_release(&rs);
}

static void test_run(void)
{
	struct gate_engine_opts o;
	struct gate_input in[7];
	struct gate_buf big = GATE_BUF_INIT, huge = GATE_BUF_INIT;
	char paths[4][512];
	const char *buf_in = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inbuf\n";
	size_t i;
	int good = 1;

	for (i = 0; i < 300; i++)
		gate_buf_addf(&big, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big%zu\n---\n", i);
	for (i = 0; i < 3000; i++)
		gate_buf_addf(&huge, "# padding line %zu\n", i);
	write_file("run/big.yaml", big.ptr);
	write_file("run/small.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: s\n");
	write_file("run/huge.yaml", huge.ptr);
	snprintf(paths[0], sizeof(paths[0]), "%s/run/small.yaml", tmpdir);
	snprintf(paths[1], sizeof(paths[1]), "%s/run/big.yaml", tmpdir);
	snprintf(paths[2], sizeof(paths[2]), "%s/run/missing.yaml", tmpdir);
	snprintf(paths[3], sizeof(paths[3]), "%s/run/huge.yaml", tmpdir);

	memset(in, 0, sizeof(in));
	in[0].filename = "small.yaml";
	in[0].path = paths[0];
	in[1].filename = "big.yaml";
	in[1].path = paths[1];
	in[2].filename = "inbuf.yaml";
	in[2].buf = buf_in;
	in[2].len = strlen(buf_in);
	in[3].filename = "missing.yaml";
	in[3].path = paths[2];
	in[4].filename = "huge.yaml";
	in[4].path = paths[3];
	in[5].path = paths[0]; /* no filename: the path is reported */
	in[6].filename = "big-again.yaml";
	in[6].path = paths[1];

	init_opts(&o);
	o.limits.max_bytes = 40000;
	ok(gate_engine_run(&o, in, 7, 2) == 0, "run on 2 threads");
	ok(in[0].results.n == 1 && in[0].results.v[0].status == GATE_STATUS_VALID &&
		!strcmp(in[0].results.v[0].filename, "small.yaml") && in[0].error == 0,
		"input 0: its own result");
	for (i = 0; i < in[1].results.n; i++)
		if (in[1].results.v[i].status != GATE_STATUS_VALID && i != 300)
			good = 0;
	ok(in[1].results.n >= 300 && good && !strcmp(in[1].results.v[299].name, "big299"),
		"input 1: 300 resources in document order");
	ok(in[2].results.n == 1 && !strcmp(in[2].results.v[0].name, "inbuf"), "buffer input");
	ok(in[3].results.n == 1 && in[3].results.v[0].status == GATE_STATUS_ERROR &&
		has_str(in[3].results.v[0].msg, "could not read file") && in[3].error < 0,
		"missing file: error result");
	ok(in[4].results.n == 1 && in[4].results.v[0].status == GATE_STATUS_ERROR &&
		has_str(in[4].results.v[0].msg, "file too large") && in[4].error < 0,
		"file over max_bytes: %s", in[4].results.n ? in[4].results.v[0].msg : "");
	ok(in[5].results.n == 1 && !strcmp(in[5].results.v[0].filename, paths[0]),
		"no filename: the path is reported");
	ok(in[6].results.n == in[1].results.n, "same file twice, same results");

	for (i = 0; i < 7; i++)
		gate_results_release(&in[i].results);
	ok(gate_engine_run(&o, in, 7, 0) == 0 && in[1].results.n >= 300 && in[0].results.n == 1,
		"threads 0: one per CPU");
	for (i = 0; i < 7; i++)
		gate_results_release(&in[i].results);
	ok(gate_engine_run(&o, in, 7, 1) == 0 && in[1].results.n >= 300, "one thread");
	for (i = 0; i < 7; i++)
		gate_results_release(&in[i].results);
	gate_buf_release(&big);
	gate_buf_release(&huge);
}

int main(void)
{
	struct gate_store_opts so;
	char loc[512], msg[512];
	const char *locs[1] = { loc };

	snprintf(tmpdir, sizeof(tmpdir), "%s/engine_test.XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	write_file("schemas/deployment-apps-v1.json", deployment_schema);
	write_file("schemas/configmap-v1.json", loose_schema);
	write_file("schemas/pod-v1.json", loose_schema);
	write_file("schemas/deploymentlist-apps-v1.json", loose_schema);
	write_file("schemas/broken-v1.json", "{ nope");
	snprintf(loc, sizeof(loc), "%s/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json", tmpdir);
	memset(&so, 0, sizeof(so));
	so.locations = locs;
	so.nlocations = 1;
	so.offline = 1;
	if (gate_store_new(&store, &so, msg, sizeof(msg)) < 0) {
		printf("Bail out! store: %s\n", msg);
		return 1;
	}
	test_statuses();
	test_kind_lists();
	test_documents();
	test_checkers();
	test_run();
	gate_store_free(store);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
