#include "gate/config.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/hash.h"
#include "gate/k8s.h"
#include "gate/schema.h"
#include "gate/util.h"

#define DEFAULT_ACCEPTED_PREFIX "refs/heads/gitops/accepted/"

struct strv {
	char **v;
	size_t n;
};

struct gate_config {
	json_t *root;
	char fingerprint[GATE_SHA256_HEX];
	char *repo_path, *system_path;
	int version;
	struct strv gated_refs, include, exclude, bypass, render_roots;
	struct gate_config_group *groups;
	size_t ngroups;
	char *cache_dir;
	int offline;
	struct gate_config_limits limits;
	struct gate_config_refs refs;
	char *accepted_prefix;
	int allow_submodules;
	struct gate_config_flux flux;
	int orphan_roots;
};

static void strv_release(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void strv_from_json(struct strv *s, const json_t *arr, const char *const *dflt)
{
	size_t i;

	strv_release(s);
	if (json_is_array(arr)) {
		s->v = gate_xcalloc(json_array_size(arr) + 1, sizeof(char *));
		for (i = 0; i < json_array_size(arr); i++) {
			const char *str = json_string_value(json_array_get(arr, i));
			if (str)
				s->v[s->n++] = gate_xstrdup(str);
		}
		return;
	}
	for (i = 0; dflt && dflt[i]; i++)
		;
	s->v = gate_xcalloc(i + 1, sizeof(char *));
	for (i = 0; dflt && dflt[i]; i++)
		s->v[s->n++] = gate_xstrdup(dflt[i]);
}

/* strv as a borrowed const array (the struct keeps a NULL after the last) */
static const char *const *strv_get(const struct strv *s, size_t *n)
{
	if (n)
		*n = s->n;
	return (const char *const *)s->v;
}

static int get_bool(const json_t *obj, const char *key, int dflt)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static long long get_int(const json_t *obj, const char *key, long long dflt)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return dflt;
}

/* Merge src into dst (both objects): nested objects merge, src wins otherwise. */
static void merge_into(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)src, key, val) {
		json_t *cur = json_object_get(dst, key);
		if (json_is_object(cur) && json_is_object(val))
			merge_into(cur, val);
		else
			json_object_set_new(dst, key, json_deep_copy(val));
	}
}

static void group_release(struct gate_config_group *g)
{
	struct strv s;

	s.v = g->paths, s.n = g->npaths;
	strv_release(&s);
	s.v = g->locations, s.n = g->nlocations;
	strv_release(&s);
	s.v = g->skip_kinds, s.n = g->nskip;
	strv_release(&s);
	s.v = g->reject_kinds, s.n = g->nreject;
	strv_release(&s);
	free(g->kubernetes_version);
	memset(g, 0, sizeof(*g));
}

static void group_from_json(struct gate_config_group *g, const json_t *o)
{
	static const char *const all[] = { "**", NULL };
	static const char *const dflt_loc[] = { GATE_K8S_CATALOG, NULL };
	const char *ver = json_string_value(json_object_get(o, "kubernetes_version"));
	struct strv s = { NULL, 0 };

	strv_from_json(&s, json_object_get(o, "paths"), all);
	g->paths = s.v, g->npaths = s.n;
	s.v = NULL, s.n = 0;
	strv_from_json(&s, json_object_get(o, "locations"), dflt_loc);
	g->locations = s.v, g->nlocations = s.n;
	s.v = NULL, s.n = 0;
	strv_from_json(&s, json_object_get(o, "skip_kinds"), NULL);
	g->skip_kinds = s.v, g->nskip = s.n;
	s.v = NULL, s.n = 0;
	strv_from_json(&s, json_object_get(o, "reject_kinds"), NULL);
	g->reject_kinds = s.v, g->nreject = s.n;
	g->kubernetes_version = gate_xstrdup(ver ? ver : "master");
	g->strict = get_bool(o, "strict", 0);
	g->ignore_missing_schemas = get_bool(o, "ignore_missing_schemas", 0);
}

/* Fill the typed fields from cfg->root. */
static void extract(struct gate_config *cfg, const char *git_dir)
{
	static const char *const dflt_refs[] = { "refs/heads/**", NULL };
	static const char *const dflt_include[] = { "**/*.yaml", "**/*.yml", "**/*.json", NULL };
	const json_t *root = cfg->root, *o, *arr;
	const char *s;
	size_t i;

	cfg->version = (int)get_int(root, "version", 1);
	strv_from_json(&cfg->gated_refs, json_object_get(root, "gated_refs"), dflt_refs);
	o = json_object_get(root, "manifests");
	strv_from_json(&cfg->include, json_object_get(o, "include"), dflt_include);
	strv_from_json(&cfg->exclude, json_object_get(o, "exclude"), NULL);
	o = json_object_get(root, "bypass");
	strv_from_json(&cfg->bypass, json_object_get(o, "allowed"), NULL);
	o = json_object_get(root, "render");
	strv_from_json(&cfg->render_roots, json_object_get(o, "roots"), NULL);
	cfg->orphan_roots = get_bool(o, "orphan_roots", 1);
	o = json_object_get(o, "flux");
	cfg->flux.strict_substitute = get_bool(o, "strict_substitute", 1);
	s = json_string_value(json_object_get(o, "substitute_from_missing"));
	cfg->flux.substitute_from_missing = !s || !strcmp(s, "warning") ? GATE_MISSING_WARNING :
		!strcmp(s, "error") ? GATE_MISSING_ERROR : GATE_MISSING_IGNORE;
	s = json_string_value(json_object_get(o, "sops_substitute_from"));
	cfg->flux.sops_unknown = s && !strcmp(s, "unknown");

	arr = json_object_get(root, "schemas");
	if (json_is_array(arr) && json_array_size(arr)) {
		cfg->ngroups = json_array_size(arr);
		cfg->groups = gate_xcalloc(cfg->ngroups, sizeof(*cfg->groups));
		for (i = 0; i < cfg->ngroups; i++)
			group_from_json(&cfg->groups[i], json_array_get(arr, i));
	} else {
		json_t *empty = json_object();
		cfg->ngroups = 1;
		cfg->groups = gate_xcalloc(1, sizeof(*cfg->groups));
		group_from_json(&cfg->groups[0], empty);
		json_decref(empty);
	}

	s = json_string_value(json_object_get(root, "cache_dir"));
	if (s && s[0] != '/' && git_dir)
		cfg->cache_dir = gate_xasprintf("%s/%s", git_dir, s);
	else if (s)
		cfg->cache_dir = gate_xstrdup(s);
	else if (git_dir)
		cfg->cache_dir = gate_xasprintf("%s/gitops-gate/schema-cache", git_dir);
	cfg->offline = get_bool(root, "offline", 1);

	o = json_object_get(root, "limits");
	cfg->limits.max_blob_bytes = (size_t)get_int(o, "max_blob_bytes", 4 << 20);
	cfg->limits.max_commits = (size_t)get_int(o, "max_commits", 10000);
	cfg->limits.max_problems_shown = (size_t)get_int(o, "max_problems_shown", 50);
	cfg->limits.time_budget_ms = (long)get_int(o, "time_budget_ms", 4000);

	o = json_object_get(root, "refs");
	cfg->refs.allow_delete = get_bool(o, "allow_delete", 0);
	cfg->refs.allow_non_fast_forward = get_bool(o, "allow_non_fast_forward", 0);
	cfg->refs.gate_tags = get_bool(o, "gate_tags", 0);

	o = json_object_get(root, "accepted");
	s = json_string_value(json_object_get(o, "prefix"));
	cfg->accepted_prefix = gate_xstrdup(s ? s : DEFAULT_ACCEPTED_PREFIX);
	cfg->allow_submodules = get_bool(root, "allow_submodules", 0);
}

/* ---- globs that would gate less than they say ---- */

static size_t check_glob_list(const struct gate_node *arr, const char *key, int refs,
	gate_config_glob_fn fn, void *payload)
{
	size_t i, nbad = 0;
	char why[256], k[128];

	if (!arr || arr->type != GATE_NODE_ARRAY)
		return 0;
	for (i = 0; i < arr->len; i++) {
		const struct gate_node *n = &arr->u.items[i];
		if (n->type != GATE_NODE_STRING)
			continue;
		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		if (gate_glob_check(n->u.str, why, sizeof(why)) < 0) {
			nbad++;
			fn(payload, n->line, n->col, k, why);
		} else if (refs && !gate_glob_may_match_under(n->u.str, "refs/heads") &&
			   !gate_glob_may_match_under(n->u.str, "refs/tags")) {
			nbad++;
			fn(payload, n->line, n->col, k, "matches no branch (refs/heads/...) and no tag "
				"(refs/tags/...): a typo would leave every branch ungated");
		}
	}
	return nbad;
}

static const struct gate_node *member(const struct gate_node *o, const char *key)
{
	uint32_t i;

	if (!o || o->type != GATE_NODE_OBJECT)
		return NULL;
	for (i = 0; i < o->len; i++)
		if (!strcmp(o->u.members[i].key, key))
			return &o->u.members[i].value;
	return NULL;
}

size_t gate_config_check_globs(const struct gate_node *root, gate_config_glob_fn fn, void *payload)
{
	const struct gate_node *m = member(root, "manifests"), *sch = member(root, "schemas");
	size_t n = 0, i;
	char key[64];

	n += check_glob_list(member(root, "gated_refs"), "gated_refs", 1, fn, payload);
	n += check_glob_list(member(m, "include"), "manifests.include", 0, fn, payload);
	n += check_glob_list(member(m, "exclude"), "manifests.exclude", 0, fn, payload);
	for (i = 0; sch && sch->type == GATE_NODE_ARRAY && i < sch->len; i++) {
		snprintf(key, sizeof(key), "schemas[%zu].paths", i);
		n += check_glob_list(member(&sch->u.items[i], "paths"), key, 0, fn, payload);
	}
	return n;
}

struct first_glob {
	const char *file;
	char *msg;
	size_t msgsize;
	int said;
};

static void first_glob_fn(void *payload, unsigned line, unsigned col, const char *key,
	const char *message)
{
	struct first_glob *fg = payload;

	if (fg->said++)
		return;
	gate_set_msg(fg->msg, fg->msgsize, "%s:%u:%u: invalid config: %s: %s", fg->file, line, col,
		key, message);
}

/*
 * Read, parse and validate one file.  Returns 1 with *out set (new reference),
 * 0 when the file does not exist and is not required, -1 with a message (a
 * required file missing, a link to nothing, an empty file, a bad glob).
 */
static int load_file(json_t **out, const char *path, int required,
	const struct gate_schema *schema, struct gate_sha256 *fp, char *msg, size_t msgsize)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_doc *doc = NULL;
	struct gate_buf esc = GATE_BUF_INIT;
	char *buf = NULL;
	size_t len = 0;
	int ret = -1, v;

	*out = NULL;
	if (gate_read_file(path, GATE_CONFIG_MAX_BYTES, &buf, &len) < 0) {
		struct stat lst;
		int e = errno;
		if (e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			gate_buf_add_escaped(&esc, path, strlen(path));
			gate_set_msg(msg, msgsize, "%s: config file is a symbolic link to a missing file",
				esc.ptr);
			goto done;
		}
		errno = e;
		if (errno == ENOENT && !required)
			return 0;
		gate_buf_add_escaped(&esc, path, strlen(path));
		if (errno == EFBIG)
			gate_set_msg(msg, msgsize, "%s: config file larger than %u bytes", esc.ptr,
				GATE_CONFIG_MAX_BYTES);
		else if (errno == ENOENT)
			gate_set_msg(msg, msgsize, "%s: config file named but missing", esc.ptr);
		else
			gate_set_msg(msg, msgsize, "%s: cannot read config file: %s", esc.ptr,
				strerror(errno));
		goto done;
	}
	gate_buf_add_escaped(&esc, path, strlen(path));
	gate_sha256_update_str(fp, path);
	gate_sha256_update(fp, buf, len);
	gate_sha256_update(fp, "", 1);

	lim.max_bytes = GATE_CONFIG_MAX_BYTES;
	lim.max_depth = 64;
	lim.max_nodes = 1u << 18;
	lim.max_alias_nodes = 1u << 16;
	if (gate_doc_parse(&doc, buf, len, 1, &lim, GATE_DOC_DUPKEYS_ERROR, &derr) < 0) {
		if (derr.line)
			gate_set_msg(msg, msgsize, "%s:%u:%u: invalid config: %s", esc.ptr,
				(unsigned)derr.line, (unsigned)derr.col, derr.message);
		else
			gate_set_msg(msg, msgsize, "%s: invalid config: %s", esc.ptr, derr.message);
		goto done;
	}
	if (!doc->root || doc->root->type == GATE_NODE_NULL) {
		/* a truncated or emptied file must not silently mean "defaults" */
		gate_set_msg(msg, msgsize, "%s: config file is empty (no YAML document): write at "
			"least \"version: 1\" for the defaults", esc.ptr);
		goto done;
	}
	v = gate_schema_validate(schema, doc->root, &errs, 10);
	if (v < 0) {
		gate_set_msg(msg, msgsize, "%s: could not validate config", esc.ptr);
		goto done;
	}
	if (v == 0 || errs.n) {
		if (errs.n) {
			const struct gate_schema_error *e = &errs.v[0];
			gate_set_msg(msg, msgsize, "%s:%u:%u: invalid config: %s%s%s%s", esc.ptr,
				(unsigned)e->line, (unsigned)e->col,
				e->pointer && *e->pointer ? e->pointer : "",
				e->pointer && *e->pointer ? ": " : "", e->message,
				errs.n > 1 ? " (and more problems)" : "");
		} else {
			gate_set_msg(msg, msgsize, "%s: invalid config", esc.ptr);
		}
		goto done;
	}
	{
		struct first_glob fg = { esc.ptr, msg, msgsize, 0 };
		if (gate_config_check_globs(doc->root, first_glob_fn, &fg))
			goto done;
	}
	*out = gate_node_to_jansson(doc->root);
	if (!*out) {
		gate_set_msg(msg, msgsize, "%s: could not convert config", esc.ptr);
		goto done;
	}
	ret = 1;
done:
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);
	gate_buf_release(&esc);
	free(buf);
	return ret;
}

struct gate_config *gate_config_new_default(const char *git_dir)
{
	struct gate_config *cfg = gate_xcalloc(1, sizeof(*cfg));

	cfg->root = json_object();
	if (!cfg->root) {
		free(cfg);
		return NULL;
	}
	gate_sha256_hex("", 0, cfg->fingerprint);
	extract(cfg, git_dir);
	return cfg;
}

int gate_config_load(struct gate_config **out, const struct gate_config_load_opts *opts,
	char *msg, size_t msgsize)
{
	struct gate_config *cfg = NULL;
	struct gate_schema *schema = NULL;
	struct gate_sha256 fp;
	char *schema_path = NULL;
	char smsg[512];
	json_t *part = NULL;
	int r, error = -1, fp_open = 0;

	*out = NULL;
	if (!opts || !opts->schema_dir) {
		gate_set_msg(msg, msgsize, "no folder for %s given", GATE_CONFIG_SCHEMA);
		return -1;
	}
	schema_path = gate_xasprintf("%s/%s", opts->schema_dir, GATE_CONFIG_SCHEMA);
	if (gate_schema_load_file(&schema, schema_path, 0, smsg, sizeof(smsg)) < 0) {
		gate_set_msg(msg, msgsize, "cannot load the config schema %s: %s", schema_path, smsg);
		goto done;
	}
	cfg = gate_xcalloc(1, sizeof(*cfg));
	cfg->root = json_object();
	if (!cfg->root) {
		gate_set_msg(msg, msgsize, "out of memory");
		goto done;
	}
	gate_sha256_init(&fp);
	fp_open = 1;
	if (opts->system_path) {
		if ((r = load_file(&part, opts->system_path, opts->system_required, schema, &fp, msg, msgsize)) < 0)
			goto done;
		if (r > 0) {
			merge_into(cfg->root, part);
			cfg->system_path = gate_xstrdup(opts->system_path);
		}
		json_decref(part);
		part = NULL;
	}
	if (opts->repo_path) {
		if ((r = load_file(&part, opts->repo_path, opts->repo_required, schema, &fp, msg, msgsize)) < 0)
			goto done;
		if (r > 0) {
			merge_into(cfg->root, part);
			cfg->repo_path = gate_xstrdup(opts->repo_path);
		}
		json_decref(part);
		part = NULL;
	}
	gate_sha256_final(&fp, cfg->fingerprint);
	fp_open = 0;
	extract(cfg, opts->git_dir);
	*out = cfg;
	cfg = NULL;
	error = 0;
done:
	if (fp_open) {
		char dummy[GATE_SHA256_HEX];
		gate_sha256_final(&fp, dummy);
	}
	json_decref(part);
	gate_config_free(cfg);
	gate_schema_free(schema);
	free(schema_path);
	return error;
}

void gate_config_free(struct gate_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	json_decref(cfg->root);
	free(cfg->repo_path);
	free(cfg->system_path);
	strv_release(&cfg->gated_refs);
	strv_release(&cfg->include);
	strv_release(&cfg->exclude);
	strv_release(&cfg->bypass);
	strv_release(&cfg->render_roots);
	for (i = 0; i < cfg->ngroups; i++)
		group_release(&cfg->groups[i]);
	free(cfg->groups);
	free(cfg->cache_dir);
	free(cfg->accepted_prefix);
	free(cfg);
}

const json_t *gate_config_json(const struct gate_config *cfg)
{
	return cfg->root;
}

const char *gate_config_fingerprint(const struct gate_config *cfg)
{
	return cfg->fingerprint;
}

const char *gate_config_repo_path(const struct gate_config *cfg)
{
	return cfg->repo_path;
}

const char *gate_config_system_path(const struct gate_config *cfg)
{
	return cfg->system_path;
}

int gate_config_version(const struct gate_config *cfg)
{
	return cfg->version;
}

const char *const *gate_config_gated_refs(const struct gate_config *cfg, size_t *n)
{
	return strv_get(&cfg->gated_refs, n);
}

const char *const *gate_config_manifest_include(const struct gate_config *cfg, size_t *n)
{
	return strv_get(&cfg->include, n);
}

const char *const *gate_config_manifest_exclude(const struct gate_config *cfg, size_t *n)
{
	return strv_get(&cfg->exclude, n);
}

const struct gate_config_group *gate_config_groups(const struct gate_config *cfg, size_t *n)
{
	*n = cfg->ngroups;
	return cfg->groups;
}

const char *gate_config_cache_dir(const struct gate_config *cfg)
{
	return cfg->cache_dir;
}

int gate_config_offline(const struct gate_config *cfg)
{
	return cfg->offline;
}

const struct gate_config_limits *gate_config_limits(const struct gate_config *cfg)
{
	return &cfg->limits;
}

const struct gate_config_refs *gate_config_refs(const struct gate_config *cfg)
{
	return &cfg->refs;
}

const char *const *gate_config_bypass_allowed(const struct gate_config *cfg, size_t *n)
{
	return strv_get(&cfg->bypass, n);
}

const char *gate_config_accepted_prefix(const struct gate_config *cfg)
{
	return cfg->accepted_prefix;
}

const struct gate_config_flux *gate_config_flux(const struct gate_config *cfg)
{
	return &cfg->flux;
}

int gate_config_allow_submodules(const struct gate_config *cfg)
{
	return cfg->allow_submodules;
}

const char **gate_config_groups_of(const struct gate_config *cfg, const char *name, size_t *n)
{
	const json_t *groups = json_object_get(cfg->root, "groups"), *members, *m;
	const char **v = NULL, *g;
	size_t alloc = 0, i;

	*n = 0;
	if (!name || !*name || !json_is_object(groups))
		return NULL;
	json_object_foreach((json_t *)groups, g, members) {
		json_array_foreach(members, i, m) {
			if (json_is_string(m) && !strcmp(json_string_value(m), name)) {
				GATE_ALLOC_GROW(v, *n + 1, alloc);
				v[(*n)++] = g;
				break;
			}
		}
	}
	return v;
}

static int any_match(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (gate_glob_match(s->v[i], str))
			return 1;
	return 0;
}

int gate_config_is_render_root(const struct gate_config *cfg, const char *dir)
{
	return any_match(&cfg->render_roots, dir);
}

int gate_config_orphan_roots(const struct gate_config *cfg)
{
	return cfg->orphan_roots;
}

int gate_config_ref_is_gated(const struct gate_config *cfg, const char *ref)
{
	size_t n = strlen(ref), na = strlen(cfg->accepted_prefix);

	if (!strncmp(ref, cfg->accepted_prefix, na))
		return 0;
	/* a leading component of the prefix is the gate's too (pre-receive refuses it) */
	if (n < na && cfg->accepted_prefix[n] == '/' && !strncmp(ref, cfg->accepted_prefix, n))
		return 0;
	if (cfg->refs.gate_tags && !strncmp(ref, "refs/tags/", 10))
		return 1;
	return any_match(&cfg->gated_refs, ref);
}

int gate_config_path_is_manifest(const struct gate_config *cfg, const char *path)
{
	return any_match(&cfg->include, path) && !any_match(&cfg->exclude, path);
}

int gate_config_dir_may_hold_manifests(const struct gate_config *cfg, const char *dir)
{
	char *a, *b;
	size_t i;
	int inc = 0, exc = 0;

	for (i = 0; i < cfg->include.n && !inc; i++)
		inc = gate_glob_may_match_under(cfg->include.v[i], dir);
	if (!inc)
		return 0;
	/* wholly excluded: an exclude glob takes any name at any depth below dir */
	a = gate_xasprintf("%s/\001", dir);
	b = gate_xasprintf("%s/\001/\001.yaml", dir);
	for (i = 0; i < cfg->exclude.n && !exc; i++)
		exc = gate_glob_match(cfg->exclude.v[i], a) && gate_glob_match(cfg->exclude.v[i], b);
	free(a);
	free(b);
	return !exc;
}

int gate_config_group_for(const struct gate_config *cfg, const char *path)
{
	size_t i, j;

	for (i = 0; i < cfg->ngroups; i++) {
		const struct gate_config_group *g = &cfg->groups[i];
		for (j = 0; j < g->npaths; j++)
			if (gate_glob_match(g->paths[j], path))
				return (int)i;
	}
	return -1;
}

int gate_config_may_bypass(const struct gate_config *cfg, const char *pusher)
{
	size_t i;

	if (!pusher || !*pusher)
		return 0;
	for (i = 0; i < cfg->bypass.n; i++)
		if (!strcmp(cfg->bypass.v[i], pusher))
			return 1;
	return 0;
}
