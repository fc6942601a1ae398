/*
 * gitops-gate extract crd FILE... -d DIR: CustomResourceDefinitions to JSON
 * schemas in the built-in catalog's layout (DIR/<group>/<kind>_<version>.json),
 * through the conversion the hook uses for CRDs pushed in the repository
 * (gate/crd.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gate/crd.h"
#include "gate/schema.h"
#include "gate/doc.h"
#include "gate/util.h"
#include "commands.h"
#include "process.h"

#define MAX_INPUT ((size_t)64 << 20) /* one file or stdin, as validate */

static const char usage_text[] =
"usage: gitops-gate extract crd [-d DIR] FILE|- ...\n"
"\n"
"Write one JSON schema per served version of each CustomResourceDefinition\n"
"in FILEs (YAML or JSON, several documents, `kind: List`; '-' or no file\n"
"reads stdin) to DIR/<group>/<kind>_<version>.json (kind in lowercase), the\n"
"layout of the built-in catalog.  The schemas keep every x-kubernetes-*\n"
"extension (CEL rules, list types, ...), drop descriptions, and close every\n"
"object below the root (additionalProperties: false), as the catalog does.\n"
"Use them with\n"
"  gitops-gate validate -schema-location 'DIR/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json' \\\n"
"      -schema-location catalog ...\n"
"\n"
"  -d DIR     the output folder (default: the current folder)\n"
"  -q         do not list the files written\n"
"\n"
"Exit status: 0 when at least one schema was written, 1 otherwise or on error.\n";

struct ex {
	const char *dir;
	const char *filename;
	int quiet;
	size_t written, failed;
};

static int on_version(const struct gate_crd_version *v, void *payload)
{
	struct ex *x = payload;
	char rel[1024], *path, *slash;
	json_t *openapi, *schema;
	char *text;

	if (!v->served)
		return 0;
	if (gate_crd_catalog_path(rel, sizeof(rel), v->group, v->kind, v->version) < 0) {
		fprintf(stderr, "error: %s: CustomResourceDefinition %s: not a usable file name\n",
			x->filename, v->name ? v->name : v->kind);
		x->failed++;
		return 0;
	}
	openapi = v->schema ? gate_node_to_jansson(v->schema) : NULL;
	schema = gate_crd_schema_convert(openapi, GATE_CRD_CLOSED | GATE_CRD_NO_DESCRIPTIONS);
	json_decref(openapi);
	text = schema ? json_dumps(schema, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(schema);
	path = gate_xasprintf("%s/%s", x->dir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (!text || gate_mkdir_p(path, 0755) < 0) {
		fprintf(stderr, "error: cannot create %s: %s\n", path, strerror(errno));
		x->failed++;
	} else {
		size_t n = strlen(text);
		*slash = '/';
		text = gate_xrealloc(text, n + 2);
		text[n] = '\n';
		text[n + 1] = '\0';
		if (gate_write_file_replace(path, text, n + 1, 0644, 0) < 0) {
			fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
			x->failed++;
		} else {
			x->written++;
			if (!x->quiet)
				printf("%s\n", path);
		}
	}
	free(text);
	free(path);
	return 0;
}

static int on_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct ex *x = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;

	if (!len)
		return 0;
	if (gate_doc_parse(&doc, part, len, line, &lim, 0, &err) < 0) {
		fprintf(stderr, "error: %s:%u: %s\n", x->filename, err.line ? err.line : line, err.message);
		x->failed++;
		return 0;
	}
	gate_crd_each_version(doc->root, on_version, x);
	gate_doc_free(doc);
	return 0;
}

static int extract_one(struct ex *x, const char *file)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	x->filename = strcmp(file, "-") ? file : "stdin";
	rc = strcmp(file, "-") ? gate_read_file(file, MAX_INPUT, &data, &len) :
		gate_cli_read_stdin(MAX_INPUT, &data, &len);
	if (rc < 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", x->filename, strerror(errno));
		x->failed++;
		return -1;
	}
	gate_doc_split(data, len, on_part, x);
	free(data);
	return 0;
}

int cmd_extract(int argc, char **argv)
{
	struct ex x;
	int i, nfiles = 0;

	memset(&x, 0, sizeof(x));
	x.dir = ".";
	if (argc < 2 || strcmp(argv[1], "crd")) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(usage_text, stdout);
			return 0;
		}
		fputs(usage_text, stderr);
		fprintf(stderr, "error: extract: the only kind of input is 'crd'\n");
		return 1;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(a, "-d") || !strcmp(a, "--dir") || !strcmp(a, "-dir")) {
			if (++i >= argc) {
				fprintf(stderr, "error: %s needs a folder\n", a);
				return 1;
			}
			x.dir = argv[i];
		} else if (!strncmp(a, "-d=", 3) || !strncmp(a, "--dir=", 6)) {
			x.dir = strchr(a, '=') + 1;
		} else if (!strcmp(a, "-q")) {
			x.quiet = 1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "error: unknown flag %s\n", a);
			fputs(usage_text, stderr);
			return 1;
		}
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-d") || !strcmp(a, "--dir") || !strcmp(a, "-dir")) {
			i++;
			continue;
		}
		if (a[0] == '-' && a[1])
			continue;
		nfiles++;
		extract_one(&x, a);
	}
	if (!nfiles) {
		if (isatty(STDIN_FILENO)) {
			fputs("error: nothing to read: give CRD files, or pipe them to stdin\n", stderr);
			return 1;
		}
		extract_one(&x, "-");
	}
	if (!x.written && !x.failed)
		fprintf(stderr, "error: no served CustomResourceDefinition version found\n");
	return x.written && !x.failed ? 0 : 1;
}
