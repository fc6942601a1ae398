/*
 * cel_catalog_test: every distinct x-kubernetes-validations rule of the
 * schema catalog, judged through the real catalog schema.
 *
 *   cel_catalog_test CATALOG_DIR CASES_DIR
 *
 * Lists the distinct rules of every *.json under CATALOG_DIR (printed as
 * "# rule N: FILE POINTER: RULE": the coverage list), then runs each case of
 * CASES_DIR (*.json: {"schema": FILE under CATALOG_DIR, "at": POINTER of the
 * schema node carrying the rule, "rule": RULE, "valid": VALUE, "invalid":
 * VALUE}).  The value is validated against that node of the real schema
 * (reached by a $ref into the catalog file, so defaults, list types and the
 * other rules apply as well): "valid" must pass (no error at all), "invalid" must
 * fail it with the rule's own message (a transition rule, "transition": true,
 * must not fail either: it is skipped on create).  A catalog rule without a
 * case fails.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gate/doc.h"
#include "gate/schema.h"
#include "gate/util.h"
#include "../tap.h"

struct rule {
	char *text, *file, *pointer;
	int covered;
};

static struct rule *rules;
static size_t nrules, arules;

static int cmp_rule(const void *a, const void *b)
{
	return strcmp(((const struct rule *)a)->text, ((const struct rule *)b)->text);
}

static void walk(json_t *j, const char *file, struct gate_buf *ptr)
{
	size_t i, saved = ptr->len;
	const char *key;
	json_t *v;

	if (json_is_object(j)) {
		json_t *xv = json_object_get(j, "x-kubernetes-validations");
		json_array_foreach(xv, i, v) {
			const char *r = json_string_value(json_object_get(v, "rule"));
			if (!r)
				continue;
			GATE_ALLOC_GROW(rules, nrules + 1, arules);
			rules[nrules].text = gate_xstrdup(r);
			rules[nrules].file = gate_xstrdup(file);
			rules[nrules].pointer = gate_xstrdup(ptr->ptr ? ptr->ptr : "");
			rules[nrules].covered = 0;
			nrules++;
		}
		json_object_foreach(j, key, v) {
			gate_buf_addf(ptr, "/%s", key);
			walk(v, file, ptr);
			ptr->len = saved;
			if (ptr->ptr)
				ptr->ptr[saved] = 0;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			gate_buf_addf(ptr, "/%zu", i);
			walk(v, file, ptr);
			ptr->len = saved;
			if (ptr->ptr)
				ptr->ptr[saved] = 0;
		}
	}
}

static void scan(const char *root, const char *rel)
{
	char path[4096];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		char sub[4096], full[8300];
		struct stat st;
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (stat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan(root, sub);
		} else if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
			json_error_t jerr;
			json_t *j = json_load_file(full, 0, &jerr);
			struct gate_buf ptr = GATE_BUF_INIT;
			if (j)
				walk(j, sub, &ptr);
			gate_buf_release(&ptr);
			json_decref(j);
		}
	}
	closedir(d);
}

/* errors of value against the node at pointer of the catalog file */
static int judge(const char *catalog, const char *file, const char *at, json_t *value,
	struct gate_schema_errors *errs, char *msg, size_t msgsize)
{
	char base[4096], ref[4096];
	const char *slash = strrchr(file, '/');
	json_t *wrapper;
	struct gate_schema *schema = NULL;
	struct gate_doc *doc = NULL;
	struct gate_doc_error derr;
	char *text;
	int r = -1;

	snprintf(base, sizeof(base), "%s/%.*s/case.json", catalog, slash ? (int)(slash - file) : 0, file);
	snprintf(ref, sizeof(ref), "%s#%s", slash ? slash + 1 : file, at);
	wrapper = json_pack("{ss}", "$ref", ref);
	if (gate_schema_compile(&schema, wrapper, base, 0, msg, msgsize) < 0)
		goto done;
	text = json_dumps(value, JSON_ENCODE_ANY);
	if (gate_doc_parse(&doc, text, strlen(text), 1, NULL, 0, &derr) < 0) {
		snprintf(msg, msgsize, "%s", derr.message);
		free(text);
		goto done;
	}
	free(text);
	r = gate_schema_validate(schema, doc->root, errs, 0);
done:
	gate_doc_free(doc);
	gate_schema_free(schema);
	json_decref(wrapper);
	return r;
}

/* the errors of errs that this rule produced */
static int rule_errors(const struct gate_schema_errors *errs, const char *message)
{
	size_t i;
	int n = 0;

	for (i = 0; i < errs->n; i++) {
		const char *m = errs->v[i].message;
		size_t ml = strlen(m), l = strlen(message);
		if (strcmp(errs->v[i].keyword, "x-kubernetes-validations"))
			continue;
		if (ml >= l && !strcmp(m + ml - l, message) && !strncmp(m, "Invalid value: \"", 16))
			n++;
	}
	return n;
}

static void run_case(const char *catalog, const char *path)
{
	json_error_t jerr;
	json_t *c = json_load_file(path, 0, &jerr), *xv, *v;
	const char *file, *at, *rule, *message = NULL, *name = strrchr(path, '/') + 1;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	char msg[512], node_path[4096];
	struct rule key, *hit;
	size_t i;
	int found = 0, r;

	if (!c || !(file = json_string_value(json_object_get(c, "schema"))) ||
			!(at = json_string_value(json_object_get(c, "at"))) ||
			!(rule = json_string_value(json_object_get(c, "rule")))) {
		ok(0, "%s: a case needs schema, at and rule", name);
		json_decref(c);
		return;
	}
	/* the rule must be on that node of the catalog schema: its message comes from there */
	snprintf(node_path, sizeof(node_path), "%s/%s", catalog, file);
	{
		json_t *s = json_load_file(node_path, 0, &jerr), *n = s;
		char *p = gate_xstrdup(at), *tok, *save = NULL;
		for (tok = strtok_r(p, "/", &save); tok && n; tok = strtok_r(NULL, "/", &save))
			n = json_is_array(n) ? json_array_get(n, strtoul(tok, NULL, 10)) : json_object_get(n, tok);
		xv = json_object_get(n, "x-kubernetes-validations");
		json_array_foreach(xv, i, v)
			if (!strcmp(json_string_value(json_object_get(v, "rule")) ? json_string_value(json_object_get(v, "rule")) : "", rule)) {
				found = 1;
				message = json_string_value(json_object_get(v, "message"));
				message = message ? gate_xstrdup(message) : NULL;
			}
		free(p);
		json_decref(s);
	}
	if (!ok(found, "%s: the rule is at %s of %s", name, at, file)) {
		json_decref(c);
		return;
	}
	key.text = (char *)rule;
	hit = bsearch(&key, rules, nrules, sizeof(*rules), cmp_rule);
	if (hit)
		hit->covered = 1;
	if (!message)
		message = gate_xasprintf("failed rule: %s", rule);
	r = judge(catalog, file, at, json_object_get(c, "valid"), &errs, msg, sizeof(msg));
	if (!ok(r == 1 && errs.n == 0 && json_object_get(c, "valid"),
			"%s: valid value passes the rule and the whole schema node", name))
		for (i = 0; i < errs.n; i++)
			diag("%s: %s", errs.v[i].pointer, errs.v[i].message);
	if (r < 0)
		diag("%s", msg);
	gate_schema_errors_release(&errs);
	r = judge(catalog, file, at, json_object_get(c, "invalid"), &errs, msg, sizeof(msg));
	if (json_is_true(json_object_get(c, "transition"))) {
		/* a transition rule (oldSelf) cannot fail on create: the API server skips it */
		if (!ok(r >= 0 && rule_errors(&errs, message) == 0 && json_object_get(c, "invalid"),
				"%s: transition rule skipped on create", name))
			for (i = 0; i < errs.n; i++)
				diag("%s: %s", errs.v[i].pointer, errs.v[i].message);
	} else if (!ok(r >= 0 && rule_errors(&errs, message) >= 1 && json_object_get(c, "invalid"),
			"%s: invalid value fails with \"%.60s\"", name, message))
		for (i = 0; i < errs.n; i++)
			diag("%s: %s", errs.v[i].pointer, errs.v[i].message);
	gate_schema_errors_release(&errs);
	free((char *)message);
	json_decref(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char **names = NULL;
	size_t n = 0, alloc = 0, i, distinct = 0, covered = 0;
	DIR *d;
	struct dirent *e;

	if (argc != 3) {
		fprintf(stderr, "usage: cel_catalog_test CATALOG_DIR CASES_DIR\n");
		return 2;
	}
	scan(argv[1], "");
	qsort(rules, nrules, sizeof(*rules), cmp_rule);
	/* distinct rules: keep the first place each appears */
	for (i = 0; i < nrules; i++) {
		if (distinct && !strcmp(rules[distinct - 1].text, rules[i].text)) {
			free(rules[i].text);
			free(rules[i].file);
			free(rules[i].pointer);
			continue;
		}
		rules[distinct++] = rules[i];
	}
	nrules = distinct;
	for (i = 0; i < nrules; i++)
		printf("# rule %zu: %s %s: %s\n", i + 1, rules[i].file, rules[i].pointer, rules[i].text);
	ok(nrules >= 100, "the catalog holds %zu distinct CEL rules", nrules);
	if (!(d = opendir(argv[2]))) {
		ok(0, "cannot open %s", argv[2]);
		return tap_done();
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
			GATE_ALLOC_GROW(names, n + 1, alloc);
			names[n++] = gate_xasprintf("%s/%s", argv[2], e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		run_case(argv[1], names[i]);
		free(names[i]);
	}
	free(names);
	for (i = 0; i < nrules; i++) {
		covered += rules[i].covered;
		if (!rules[i].covered)
			ok(0, "no case for rule %s %s: %.120s", rules[i].file, rules[i].pointer, rules[i].text);
		free(rules[i].text);
		free(rules[i].file);
		free(rules[i].pointer);
	}
	ok(covered == nrules, "coverage: %zu of %zu distinct catalog rules have a case", covered, nrules);
	free(rules);
	return tap_done();
}
