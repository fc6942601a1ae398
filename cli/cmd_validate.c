/*
 * gitops-gate validate: kubeconform's command line over the gate engine.
 *
 *   gitops-gate validate [FLAGS] FILE|DIR|- ...
 *   gitops-gate validate --schema SCHEMA [FLAGS] FILE|- ...
 *
 * Flags take one or two dashes, "-flag value" or "-flag=value"; boolean
 * flags also take "-flag=true|false".  Flags may follow file names; "--" ends
 * them.  Exit status as kubeconform: 0 when every resource is valid, skipped
 * or empty, 1 when any is invalid or could not be evaluated, and 1 for a
 * command line that cannot be used (kubeconform's code for usage errors).
 */
#include "config.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gate/admit.h"
#include "gate/config.h"
#include "gate/doc.h"
#include "gate/engine.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/report.h"
#include "gate/result.h"
#include "gate/schema.h"
#include "gate/util.h"
#include "commands.h"
#include "process.h"
#include "validate_find.h"


static const char usage_text[] =
"usage: gitops-gate validate [FLAGS] FILE|DIR|- ...\n"
"       gitops-gate validate --schema SCHEMA [FLAGS] FILE|- ...\n"
"\n"
"Validate Kubernetes manifests against their JSON schemas, like kubeconform.\n"
"Folders are searched recursively for *.yaml, *.yml and *.json files; '-' (or\n"
"no file at all) reads stdin.  Flags take one or two dashes and '-flag value'\n"
"or '-flag=value'.\n"
"\n"
"  -cache DIR                    cache schemas downloaded over HTTP in DIR\n"
"  -exit-on-error                stop at the first invalid resource or error\n"
"  -h, -help                     show this help\n"
"  -ignore-filename-pattern RE   skip paths matching the regular expression RE\n"
"                                (PCRE2; may be given several times)\n"
"  -ignore-missing-schemas       skip resources whose schema is not found\n"
"  -insecure-skip-tls-verify     do not verify TLS certificates (insecure)\n"
"  -kc-compat                    with -output text: kubeconform's lines, one\n"
"                                per resource (\"FILE - KIND NAME is invalid:\n"
"                                ...\"), instead of one line per problem\n"
"  -kubernetes-version VERSION   Kubernetes version to validate against, e.g.\n"
"                                1.32.2 (default \"master\")\n"
"  -n N                          number of workers (default 4; at most the\n"
"                                number of CPUs are used)\n"
"  -no-builtin-checks            with -policy: skip the built-in checks\n"
"  -offline                      never use the network: only local schema\n"
"                                locations and the -cache folder\n"
"  -output FORMAT                text, json, junit, tap, pretty or sarif\n"
"                                (default \"text\")\n"
"  -policy FILE                  also apply gitops-gate policy: built-in checks,\n"
"                                the rules of FILE and secret scanning (may be\n"
"                                given several times; \"builtin\": no file, the\n"
"                                built-in checks alone); every file given is\n"
"                                then read: non-manifests are scanned for secrets\n"
"  -reject KINDS                 comma-separated kinds or group/version/Kind to\n"
"                                reject\n"
"  -render                       each DIR is a kustomization: judge what\n"
"                                `kubectl kustomize DIR` builds from it (see\n"
"                                'gitops-gate render'), not its files\n"
"  -schema FILE                  validate any JSON/YAML documents against the\n"
"                                JSON schema FILE instead of Kubernetes schemas\n"
"  -server-config FILE           apply the policy section of a gitops-gate server\n"
"                                config as the hook does (its policy files,\n"
"                                waiver grants and secret_scan limits); implies\n"
"                                the policy and reading every file, as -policy\n"
"  -schema-location LOCATION     where schemas are found: a path or URL\n"
"                                template, \"default\" (kubeconform's upstream\n"
"                                URL) or \"catalog\" (the built-in catalog); may\n"
"                                be given several times, tried in order\n"
"  -skip KINDS                   comma-separated kinds or group/version/Kind to\n"
"                                skip\n"
"  -stats                        print to stderr how many CEL rules\n"
"                                (x-kubernetes-validations) were evaluated\n"
"  -strict                       disallow properties not in the schema and\n"
"                                duplicate keys\n"
"  -summary                      print a summary at the end (not for junit)\n"
"  -v                            show the version\n"
"  -verbose                      print results for all resources\n"
"\n"
"Without -schema-location the built-in catalog is used, offline: Kubernetes\n"
"1.36, Gateway API, Flux, Flagger, Flux Operator and OpenShift schemas, strict\n"
"(closed objects).  kubeconform's own default, its upstream URL, needs the\n"
"network: ask for it with -schema-location default.  Local locations, e.g.\n"
"  -schema-location 'schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json'\n"
"work offline too; add -schema-location catalog to fall back to the catalog.\n"
"\n"
"Exit status: 0 when all resources are valid, skipped or empty; 1 when any\n"
"is invalid or could not be evaluated, or when the command line is wrong.\n";


struct options {
	struct strv locations, skip, reject, ignore, files, policies;
	const char *k8s_version;
	const char *output;
	const char *cache;
	const char *schema;
	const char *server_config;
	long workers;
	int strict, summary, verbose, exit_on_error, ignore_missing, insecure, offline, help, version;
	int no_builtin_checks, render, kc_compat, stats;
};

enum flag_kind { F_BOOL, F_STRING, F_LIST, F_CSV, F_INT };

struct flag {
	const char *name;
	enum flag_kind kind;
	size_t off;
};

#define OFF(field) offsetof(struct options, field)

static const struct flag flags[] = {
	{ "cache", F_STRING, OFF(cache) },
	{ "debug", F_BOOL, 0 }, /* accepted for kubeconform compatibility; no effect */
	{ "exit-on-error", F_BOOL, OFF(exit_on_error) },
	{ "h", F_BOOL, OFF(help) },
	{ "help", F_BOOL, OFF(help) },
	{ "ignore-filename-pattern", F_LIST, OFF(ignore) },
	{ "ignore-missing-schemas", F_BOOL, OFF(ignore_missing) },
	{ "insecure-skip-tls-verify", F_BOOL, OFF(insecure) },
	{ "kc-compat", F_BOOL, OFF(kc_compat) },
	{ "kubernetes-version", F_STRING, OFF(k8s_version) },
	{ "n", F_INT, OFF(workers) },
	{ "no-builtin-checks", F_BOOL, OFF(no_builtin_checks) },
	{ "offline", F_BOOL, OFF(offline) },
	{ "output", F_STRING, OFF(output) },
	{ "policy", F_LIST, OFF(policies) },
	{ "reject", F_CSV, OFF(reject) },
	{ "render", F_BOOL, OFF(render) },
	{ "schema", F_STRING, OFF(schema) },
	{ "schema-location", F_LIST, OFF(locations) },
	{ "server-config", F_STRING, OFF(server_config) },
	{ "skip", F_CSV, OFF(skip) },
	{ "stats", F_BOOL, OFF(stats) },
	{ "strict", F_BOOL, OFF(strict) },
	{ "summary", F_BOOL, OFF(summary) },
	{ "v", F_BOOL, OFF(version) },
	{ "verbose", F_BOOL, OFF(verbose) },
	{ NULL, F_BOOL, 0 }
};

static void print_escaped(FILE *f, const char *s)
{
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_add_escaped(&b, s, strlen(s));
	if (b.ptr)
		fputs(b.ptr, f);
	gate_buf_release(&b);
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "error: %s", what);
	if (arg) {
		fputs(" '", stderr);
		print_escaped(stderr, arg);
		fputc('\'', stderr);
	}
	fputs("\nhint: 'gitops-gate validate -h' lists the flags\n", stderr);
	return -1;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	int i, no_more_flags = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;
		const struct flag *f;
		size_t nlen;

		if (no_more_flags || a[0] != '-' || !a[1]) {
			gate_cli_strv_push_csv(&o->files, a); /* kubeconform splits file arguments at commas */
			continue;
		}
		if (!strcmp(a, "--")) {
			no_more_flags = 1;
			continue;
		}
		name = a + 1 + (a[1] == '-');
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (f = flags; f->name; f++)
			if (strlen(f->name) == nlen && !strncmp(f->name, name, nlen))
				break;
		if (!f->name)
			return usage_error("unknown flag", a);
		if (eq)
			val = eq + 1;
		if (f->kind == F_BOOL) {
			int b = 1;
			if (val) {
				if (!strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "t") || !strcmp(val, "TRUE") || !strcmp(val, "True"))
					b = 1;
				else if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "f") || !strcmp(val, "FALSE") || !strcmp(val, "False"))
					b = 0;
				else
					return usage_error("not a boolean value for flag", a);
			}
			if (f->off)
				*(int *)((char *)o + f->off) = b;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return usage_error("flag needs a value", a);
			val = argv[++i];
		}
		switch (f->kind) {
		case F_STRING:
			*(const char **)((char *)o + f->off) = val;
			break;
		case F_LIST:
			gate_cli_strv_push((struct strv *)((char *)o + f->off), val);
			break;
		case F_CSV:
			gate_cli_strv_push_csv((struct strv *)((char *)o + f->off), val);
			break;
		case F_INT: {
			char *end;
			long v;
			errno = 0;
			v = strtol(val, &end, 10);
			if (errno || end == val || *end || v < 1 || v > 1024)
				return usage_error("not a number of workers (1-1024) for flag", a);
			*(long *)((char *)o + f->off) = v;
			break;
		}
		case F_BOOL:
			break;
		}
	}
	return 0;
}


/* ---- --schema mode: documents against one JSON schema ---- */

struct schema_ctx {
	const struct gate_schema *schema;
	const char *filename;
	struct gate_results *out;
	const struct gate_doc_limits *lim;
	int flags;
	size_t ndocs;
};

static int schema_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct schema_ctx *c = payload;
	struct gate_doc *doc = NULL;
	struct gate_doc_error derr;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_result *r;
	struct gate_k8s_id id;
	char idmsg[256];
	size_t i;
	int ret, k8s;

	c->ndocs++;
	r = gate_results_add(c->out);
	r->filename = gate_xstrdup(c->filename);
	r->line = line;
	if (gate_doc_parse(&doc, part, len, line, c->lim, c->flags, &derr) < 0) {
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xasprintf("error unmarshalling document: %s", derr.message);
		if (derr.line)
			gate_result_add_problem(r, NULL, derr.line, derr.col, "yaml", GATE_SEV_DENY, derr.message);
		return 0;
	}
	if (!doc->root) {
		r->status = GATE_STATUS_EMPTY;
		gate_doc_free(doc);
		return 0;
	}
	r->line = doc->root->line;
	gate_k8s_identity_lenient(r, doc->root); /* Kind/name in every output, as in the other modes */
	/* a Kubernetes object also meets the API server's metadata rules */
	k8s = doc->root->type == GATE_NODE_OBJECT &&
		gate_k8s_id_read(&id, doc->root, idmsg, sizeof(idmsg)) == 0;
	ret = gate_admit_validate(c->schema, doc->root, k8s ? id.group : NULL,
		k8s ? id.kind : NULL, &errs, 100);
	if (ret < 0) {
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xstrdup("could not validate: out of memory");
	} else if (ret == 1) {
		r->status = GATE_STATUS_VALID;
	} else {
		r->status = GATE_STATUS_INVALID;
		for (i = 0; i < errs.n; i++)
			gate_result_add_problem(r, errs.v[i].pointer, errs.v[i].line, errs.v[i].col,
				errs.v[i].keyword && !strcmp(errs.v[i].keyword, "metadata") ? "metadata" : "schema",
				GATE_SEV_DENY, errs.v[i].message);
		if (!errs.n)
			r->msg = gate_xstrdup("does not validate against the schema");
	}
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);
	return 0;
}

static int is_json_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 5 && !strcasecmp(name + n - 5, ".json");
}

static void schema_validate_input(const struct gate_schema *schema, struct gate_input *in,
	const struct gate_doc_limits *lim, int strict)
{
	struct schema_ctx c = { schema, in->filename, &in->results, lim,
		strict ? GATE_DOC_DUPKEYS_ERROR : 0, 0 };
	char *data = NULL;
	const char *buf = in->buf;
	size_t len = in->len;

	if (in->error)
		return;
	if (!buf) {
		if (gate_read_file(in->path, lim->max_bytes, &data, &len) < 0) {
			struct gate_result *r = gate_results_add(&in->results);
			r->filename = gate_xstrdup(in->filename);
			r->status = GATE_STATUS_ERROR;
			r->msg = errno == EFBIG
				? gate_xasprintf("file is larger than %zu bytes", lim->max_bytes)
				: gate_xasprintf("could not read: %s", strerror(errno));
			in->error = -1;
			return;
		}
		buf = data;
	}
	if (is_json_name(in->filename))
		schema_part(buf, len, 1, &c); /* a JSON file is one document */
	else
		gate_doc_split(buf, len, schema_part, &c);
	if (!c.ndocs) {
		struct gate_result *r = gate_results_add(&in->results);
		r->filename = gate_xstrdup(in->filename);
		r->status = GATE_STATUS_EMPTY;
	}
	free(data);
}

/* ---- policy ---- */

/* Scan a file's raw bytes for secrets; findings become one more result. */
static int scan_secrets(void *ctx, const char *filename, const char *buf, size_t len,
	struct gate_results *out)
{
	const struct gate_policy *p = ctx;
	struct gate_result tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.status = GATE_STATUS_VALID;
	if (gate_policy_scan_secrets(p, filename, buf, len, &tmp) < 0) {
		gate_result_release(&tmp);
		return -1;
	}
	if (tmp.nproblems) {
		tmp.filename = gate_xstrdup(filename);
		*gate_results_add(out) = tmp;
	} else {
		gate_result_release(&tmp);
	}
	return 0;
}

/*
 * A file that is no manifest: scanned for secrets in pieces, in bounded
 * memory, as the hook scans a pushed file that matches no manifest glob.
 */
static void scan_file(const struct gate_policy *p, struct gate_input *in)
{
	struct gate_result tmp;
	struct gate_policy_scan *s;
	struct stat st;
	char chunk[65536];
	FILE *f;
	size_t n;

	memset(&tmp, 0, sizeof(tmp));
	tmp.status = GATE_STATUS_VALID;
	if (!(f = fopen(in->path, "rb")) || fstat(fileno(f), &st) < 0) {
		tmp.status = GATE_STATUS_ERROR;
		tmp.msg = gate_xasprintf("could not read file: %s", strerror(errno));
		if (f)
			fclose(f);
		goto out;
	}
	if ((size_t)st.st_size > gate_policy_scan_max_bytes(p)) {
		gate_policy_scan_too_large(p, in->filename, (size_t)st.st_size, &tmp);
		fclose(f);
		goto out;
	}
	s = gate_policy_scan_start(p, in->filename, &tmp);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		gate_policy_scan_feed(s, chunk, n);
	if (ferror(f)) {
		tmp.status = GATE_STATUS_ERROR;
		tmp.msg = gate_xasprintf("could not read file: %s", strerror(errno));
	}
	gate_policy_scan_finish(s);
	fclose(f);
out:
	if (tmp.nproblems || tmp.status == GATE_STATUS_ERROR) {
		tmp.filename = gate_xstrdup(in->filename);
		*gate_results_add(&in->results) = tmp;
	} else {
		gate_result_release(&tmp);
	}
}

/*
 * The policy of a server config, built as the hook builds it: its policy
 * section, files relative to the config's folder.  Only -no-builtin-checks
 * is applied on top (the section's kubernetes_version targets removed-api).
 */
static int server_policy(struct gate_policy **out, const char *path,
	const struct gate_policy_opts *po, char *msg, size_t msgsize)
{
	struct gate_config_load_opts lo;
	struct gate_policy_opts over;
	struct gate_config *cfg = NULL;
	const char *schema_dir = getenv("GATE_SCHEMA_DIR");
	char *dir = gate_xstrdup(path), *slash = strrchr(dir, '/');
	int rc;

	if (slash)
		*slash = '\0';
	memset(&lo, 0, sizeof(lo));
	lo.repo_path = path;
	lo.schema_dir = schema_dir && *schema_dir ? schema_dir : GATE_PKGDATADIR;
	memset(&over, 0, sizeof(over));
	over.no_builtin_checks = po->no_builtin_checks;
	rc = gate_config_load(&cfg, &lo, msg, msgsize);
	if (rc == 0)
		rc = gate_policy_from_config(out, json_object_get(gate_config_json(cfg), "policy"),
			slash ? dir : ".", &over, msg, msgsize);
	gate_config_free(cfg);
	free(dir);
	return rc;
}

/* ---- main ---- */

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

static int flush_out(struct gate_buf *out)
{
	int error = 0;

	if (out->len && fwrite(out->ptr, 1, out->len, stdout) != out->len)
		error = -1;
	gate_buf_reset(out);
	return error;
}

/* One run of validate: what it read from the command line and what it built. */
struct run {
	struct options o;
	struct finder fd;
	struct gate_doc_limits lim;
	int use_stdin;
	struct gate_store *store;
	struct gate_schema *schema;
	struct gate_policy *policy;
	struct timespec t0;
};

/*
 * The command line: flags, -h and -v, the output format and the
 * -ignore-filename-pattern expressions.  Returns 1 to go on, 0 when done
 * (*ret is the exit status), after printing what is wrong.
 */
static int setup(struct run *rn, struct gate_report_opts *ro, int argc, char **argv, int *ret)
{
	struct options *o = &rn->o;
	size_t i;

	o->k8s_version = "master";
	o->output = "text";
	o->workers = 4;
	if (parse_args(o, argc, argv) < 0)
		return 0;
	if (o->help) {
		fputs(usage_text, stdout);
		*ret = 0;
		return 0;
	}
	if (o->version) {
		printf("gitops-gate %s\n", PACKAGE_VERSION);
		*ret = 0;
		return 0;
	}
	if (o->no_builtin_checks && !o->policies.n && !o->server_config) {
		usage_error("-no-builtin-checks needs -policy", NULL);
		return 0;
	}
	if (gate_report_format_parse(o->output, &ro->format) < 0 || ro->format == GATE_REPORT_REMOTE) {
		usage_error("not an output format (json, junit, tap, text, pretty, sarif):", o->output);
		return 0;
	}
	if (o->kc_compat && ro->format != GATE_REPORT_TEXT) {
		usage_error("-kc-compat is for -output text, not", o->output);
		return 0;
	}
	if (o->kc_compat && (o->policies.n || o->server_config)) {
		usage_error("-kc-compat has no place for policy warnings: not with -policy or -server-config", NULL);
		return 0;
	}
	ro->kc_compat = o->kc_compat;
	for (i = 0; i < o->ignore.n; i++) {
		int ec;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)o->ignore.v[i], PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
		if (!re) {
			PCRE2_UCHAR emsg[256];
			pcre2_get_error_message(ec, emsg, sizeof(emsg));
			fputs("error: bad -ignore-filename-pattern '", stderr);
			print_escaped(stderr, o->ignore.v[i]);
			fprintf(stderr, "': %s at offset %zu\n", (const char *)emsg, (size_t)off);
			return 0;
		}
		rn->fd.ignore = gate_xreallocarray(rn->fd.ignore, rn->fd.nignore + 1, sizeof(*rn->fd.ignore));
		rn->fd.ignore[rn->fd.nignore++] = re;
	}
	rn->fd.md = pcre2_match_data_create(4, NULL);
	rn->fd.all_files = (o->policies.n > 0 || o->server_config) && !o->schema;
	return 1;
}

/* The inputs, in command-line order.  Returns 0, or -1 after printing why not. */
static int find_inputs(struct run *rn)
{
	const struct options *o = &rn->o;
	size_t i;

	if (!o->files.n || (o->files.n == 1 && !strcmp(o->files.v[0], "-"))) {
		if (!o->files.n && isatty(STDIN_FILENO)) {
			fputs("error: nothing to validate: give files or folders, or pipe manifests to stdin\n"
				"hint: 'gitops-gate validate -h' lists the flags\n", stderr);
			return -1;
		}
		rn->use_stdin = 1;
	}
	if (rn->use_stdin) {
		gate_cli_find_stdin(&rn->fd, rn->lim.max_bytes);
		return 0;
	}
	for (i = 0; i < o->files.n; i++) {
		if (!strcmp(o->files.v[i], "-"))
			gate_cli_find_stdin(&rn->fd, rn->lim.max_bytes);
		else if (o->render)
			gate_cli_find_render(&rn->fd, o->files.v[i]);
		else if (gate_cli_find_walk(&rn->fd, o->files.v[i], 1, 0) < 0)
			return -1;
	}
	return 0;
}

/* --schema: every input against one schema.  Returns 0, or -1 after printing why not. */
static int run_schema(struct run *rn)
{
	char msg[1024];
	size_t i;

	if (gate_schema_load_file(&rn->schema, rn->o.schema, 0, msg, sizeof(msg)) < 0) {
		fputs("error: could not load schema '", stderr);
		print_escaped(stderr, rn->o.schema);
		fputs("': ", stderr);
		print_escaped(stderr, msg);
		fputc('\n', stderr);
		return -1;
	}
	for (i = 0; i < rn->fd.n; i++)
		schema_validate_input(rn->schema, &rn->fd.inputs[i], &rn->lim, rn->o.strict);
	return 0;
}

/* -policy, -server-config: the policy.  Returns 0, or -1 after printing why not. */
static int load_policy(struct run *rn)
{
	const struct options *o = &rn->o;
	struct gate_policy_opts po;
	char msg[1024];
	size_t i;

	memset(&po, 0, sizeof(po));
	po.no_builtin_checks = o->no_builtin_checks;
	po.kubernetes_version = o->k8s_version;
	if (o->server_config) {
		if (server_policy(&rn->policy, o->server_config, &po, msg, sizeof(msg)) < 0)
			goto failed;
	} else if (gate_policy_new(&rn->policy, &po, msg, sizeof(msg)) < 0) {
		goto failed;
	}
	for (i = 0; i < o->policies.n; i++)
		if (strcmp(o->policies.v[i], "builtin") &&
		    gate_policy_load_file(rn->policy, o->policies.v[i], msg, sizeof(msg)) < 0)
			goto failed;
	return 0;
failed:
	fputs("error: could not load the policy: ", stderr);
	print_escaped(stderr, msg);
	fputc('\n', stderr);
	return -1;
}

/* The schema store of the locations (none: the built-in catalog). */
static int open_store(struct run *rn)
{
	struct options *o = &rn->o;
	struct gate_store_opts so;
	char msg[1024];

	memset(&so, 0, sizeof(so));
	/* no location: the built-in catalog, offline (kubeconform's is "default") */
	if (!o->locations.n)
		gate_cli_strv_push(&o->locations, GATE_K8S_CATALOG);
	so.catalog_dir = gate_cli_catalog_dir();
	so.locations = (const char *const *)o->locations.v;
	so.nlocations = o->locations.n;
	so.kubernetes_version = o->k8s_version;
	so.strict = o->strict;
	so.cache_dir = o->cache;
	so.offline = o->offline;
	so.insecure_skip_tls = o->insecure;
	if (gate_store_new(&rn->store, &so, msg, sizeof(msg)) < 0) {
		fputs("error: ", stderr);
		print_escaped(stderr, msg);
		fputc('\n', stderr);
		return -1;
	}
	return 0;
}

/*
 * Kubernetes mode: the engine over every manifest on `threads` threads, then
 * the files that are only scanned for secrets.  Returns 0, or -1 after
 * printing why not.
 */
static int run_engine(struct run *rn, int threads)
{
	const struct options *o = &rn->o;
	struct gate_engine_opts eo;
	struct gate_checker checker;
	struct gate_scanner scanner;
	struct gate_input *todo;
	size_t i, j, ntodo = 0;

	if (open_store(rn) < 0)
		return -1;
	memset(&eo, 0, sizeof(eo));
	eo.store = rn->store;
	eo.strict = o->strict;
	eo.skip_kinds = (const char *const *)o->skip.v;
	eo.nskip = o->skip.n;
	eo.reject_kinds = (const char *const *)o->reject.v;
	eo.nreject = o->reject.n;
	eo.ignore_missing_schemas = o->ignore_missing;
	eo.limits = rn->lim;
	if (o->policies.n || o->server_config) {
		if (load_policy(rn) < 0)
			return -1;
		gate_policy_checker(rn->policy, &checker);
		eo.checkers = &checker;
		eo.ncheckers = 1;
		scanner.scan = scan_secrets;
		scanner.ctx = rn->policy;
		eo.scanners = &scanner;
		eo.nscanners = 1;
	}
	/* discovery errors already hold their verdict: judge the rest */
	todo = gate_xcalloc(rn->fd.n ? rn->fd.n : 1, sizeof(*todo));
	for (i = 0; i < rn->fd.n; i++)
		if (!rn->fd.inputs[i].error && !rn->fd.scan_only[i])
			todo[ntodo++] = rn->fd.inputs[i];
	if (gate_engine_run(&eo, todo, ntodo, threads) < 0) {
		fputs("error: validation could not complete (internal failure)\n", stderr);
		for (i = 0; i < ntodo; i++)
			gate_results_release(&todo[i].results);
		free(todo);
		return -1;
	}
	for (i = 0, j = 0; i < rn->fd.n; i++)
		if (!rn->fd.inputs[i].error && !rn->fd.scan_only[i])
			rn->fd.inputs[i] = todo[j++];
	free(todo);
	for (i = 0; i < rn->fd.n; i++)
		if (!rn->fd.inputs[i].error && rn->fd.scan_only[i])
			scan_file(rn->policy, &rn->fd.inputs[i]);
	return 0;
}

/*
 * Every result in input order, flushed file by file, then the report's end.
 * Returns the exit status: 0 when nothing is invalid or an error, else 1.
 */
static int write_report(struct run *rn, struct gate_report_opts *ro)
{
	struct gate_report *rep = NULL;
	struct gate_buf out = GATE_BUF_INIT;
	struct timespec t1;
	size_t i, j;
	int failed = 0, stop = 0, ret = 1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ro->verbose = rn->o.verbose;
	ro->summary = rn->o.summary;
	ro->is_stdin = rn->use_stdin;
	ro->elapsed = (double)(t1.tv_sec - rn->t0.tv_sec) + (double)(t1.tv_nsec - rn->t0.tv_nsec) / 1e9;
	ro->tool_version = PACKAGE_VERSION;
	if (gate_report_new(&rep, ro) < 0) {
		fputs("error: could not start the report\n", stderr);
		goto done;
	}
	for (i = 0; i < rn->fd.n && !stop; i++) {
		const struct gate_results *rs = &rn->fd.inputs[i].results;
		for (j = 0; j < rs->n && !stop; j++) {
			const struct gate_result *r = &rs->v[j];
			if (gate_report_add(rep, r, &out) < 0) {
				fputs("error: could not render the report\n", stderr);
				goto done;
			}
			if (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR) {
				failed = 1;
				if (rn->o.exit_on_error)
					stop = 1;
			}
		}
		if (flush_out(&out) < 0)
			goto write_failed;
	}
	if (gate_report_finish(rep, &out) < 0) {
		fputs("error: could not render the report\n", stderr);
		goto done;
	}
	if (flush_out(&out) < 0 || fflush(stdout) != 0)
		goto write_failed;
	ret = failed ? 1 : 0;
	goto done;
write_failed:
	fprintf(stderr, "error: could not write the report: %s\n", strerror(errno));
	ret = 1;
done:
	gate_buf_release(&out);
	gate_report_free(rep);
	return ret;
}

/* kubeconform's flags, the inputs, the schema or the store and policy, the run, the report */
int cmd_validate(int argc, char **argv)
{
	struct run rn;
	struct gate_report_opts ro = GATE_REPORT_OPTS_INIT;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	int threads, ret = 1;

	memset(&rn, 0, sizeof(rn));
	rn.lim = lim;
	clock_gettime(CLOCK_MONOTONIC, &rn.t0);
	if (!setup(&rn, &ro, argc, argv, &ret) || find_inputs(&rn) < 0)
		goto done;
	threads = (int)rn.o.workers < ncpus() ? (int)rn.o.workers : ncpus();
	if (rn.o.schema ? run_schema(&rn) < 0 : run_engine(&rn, threads) < 0)
		goto done;
	ret = write_report(&rn, &ro);
	if (rn.o.stats)
		fprintf(stderr, "stats: %llu CEL rule evaluations\n",
			(unsigned long long)gate_schema_cel_evaluations());
done:
	gate_policy_free(rn.policy);
	gate_cli_find_release(&rn.fd);
	gate_store_free(rn.store);
	gate_schema_free(rn.schema);
	gate_cli_strv_release(&rn.o.locations);
	gate_cli_strv_release(&rn.o.skip);
	gate_cli_strv_release(&rn.o.reject);
	gate_cli_strv_release(&rn.o.ignore);
	gate_cli_strv_release(&rn.o.files);
	gate_cli_strv_release(&rn.o.policies);
	return ret;
}
