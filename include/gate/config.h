/*
 * config: the server-side configuration of the gate.
 *
 * Read from the repository's git directory (`$GIT_DIR/gitops-gate.yaml`) and
 * optionally a system-wide file (`/etc/gitops-gate/config.yaml`) merged below
 * it: objects merge key by key, the repository's value wins, arrays and
 * scalars are replaced whole.  Never read from the pushed tree.  Each file is
 * validated on its own against `config.schema.json` (and the schemas it
 * references: notify.schema.json, policy-config.schema.json) from a schema
 * folder given by the caller.  A missing file is not an error unless it was
 * named explicitly (the *_required options): every key has a default.  A file
 * that exists but cannot be read, parsed or validated is an error whose
 * message names the file, line and column; so is a file that would silently
 * gate less than it says: a symbolic link to nothing, an empty file (no YAML
 * document), a malformed glob, a gated_refs glob that matches no branch and
 * no tag.
 *
 * Keys owned here: version, gated_refs, manifests, schemas, cache_dir,
 * offline, limits, refs, bypass, accepted.  Other modules read their own
 * sections (clusters, notify, policy) from gate_config_json().
 */
#ifndef GATE_CONFIG_H
#define GATE_CONFIG_H

#include <stddef.h>
#include <jansson.h>

#define GATE_CONFIG_FILE "gitops-gate.yaml"              /* in the git dir */
#define GATE_CONFIG_SYSTEM_FILE "/etc/gitops-gate/config.yaml"
#define GATE_CONFIG_SCHEMA "config.schema.json"
#define GATE_CONFIG_MAX_BYTES (1u << 20)

/* One entry of `schemas:`: settings for the paths it matches (first match wins). */
struct gate_config_group {
	char **paths;                 /* globs; a group with none matches every path */
	size_t npaths;
	char *kubernetes_version;     /* "master" when not set */
	char **locations;             /* kubeconform templates; "default" when not set */
	size_t nlocations;
	int strict;
	int ignore_missing_schemas;
	char **skip_kinds;
	size_t nskip;
	char **reject_kinds;
	size_t nreject;
};

struct gate_config_limits {
	size_t max_blob_bytes;     /* default 4 MiB */
	size_t max_commits;        /* per ref update; default 10000 */
	size_t max_problems_shown; /* default 50 */
	long time_budget_ms;       /* default 4000 */
};

struct gate_config_refs {
	int allow_delete;           /* default 0 */
	int allow_non_fast_forward; /* default 0 */
	int gate_tags;              /* default 0 */
};

struct gate_config;

struct gate_config_load_opts {
	const char *system_path; /* NULL: no system-wide file */
	const char *repo_path;   /* NULL: none (defaults and system file only) */
	const char *schema_dir;  /* folder holding config.schema.json; required */
	const char *git_dir;     /* used for the default cache_dir; may be NULL */
	int system_required;     /* system_path was named explicitly: missing is an error */
	int repo_required;       /* repo_path was named explicitly: missing is an error */
};

/*
 * Load, validate and merge the configuration.  On success *out is a new
 * configuration (release with gate_config_free()).  On failure returns -1,
 * writes a one-line message naming the file into msg and sets *out to NULL.
 */
int gate_config_load(struct gate_config **out, const struct gate_config_load_opts *opts,
	char *msg, size_t msgsize);

/* Defaults only (no file, no schema): for tests and `validate`-like callers. */
struct gate_config *gate_config_new_default(const char *git_dir);

void gate_config_free(struct gate_config *cfg);

/* The merged configuration as JSON (borrowed: valid while cfg lives). */
const json_t *gate_config_json(const struct gate_config *cfg);

/*
 * sha256 (hex) of the bytes of every configuration file in force, in merge
 * order, with their names; the same files give the same fingerprint.
 */
const char *gate_config_fingerprint(const struct gate_config *cfg);

/* Files that were read, for messages ("" entries omitted); borrowed. */
const char *gate_config_repo_path(const struct gate_config *cfg);   /* NULL when absent */
const char *gate_config_system_path(const struct gate_config *cfg); /* NULL when absent */

/* Typed accessors; every returned pointer is borrowed from cfg. */
int gate_config_version(const struct gate_config *cfg);
const char *const *gate_config_gated_refs(const struct gate_config *cfg, size_t *n);
const char *const *gate_config_manifest_include(const struct gate_config *cfg, size_t *n);
const char *const *gate_config_manifest_exclude(const struct gate_config *cfg, size_t *n);
const struct gate_config_group *gate_config_groups(const struct gate_config *cfg, size_t *n);
const char *gate_config_cache_dir(const struct gate_config *cfg); /* NULL: no schema cache */
int gate_config_offline(const struct gate_config *cfg);
const struct gate_config_limits *gate_config_limits(const struct gate_config *cfg);
const struct gate_config_refs *gate_config_refs(const struct gate_config *cfg);
const char *const *gate_config_bypass_allowed(const struct gate_config *cfg, size_t *n);
const char *gate_config_accepted_prefix(const struct gate_config *cfg); /* ends in '/' */

/* Is ref gated?  Refs under the accepted prefix never are (they are the gate's own). */
int gate_config_ref_is_gated(const struct gate_config *cfg, const char *ref);
/* Does path match manifests.include and no manifests.exclude? */
int gate_config_path_is_manifest(const struct gate_config *cfg, const char *path);
/* Index of the first schemas group matching path, or -1 when none matches. */
int gate_config_group_for(const struct gate_config *cfg, const char *path);
/* Does folder dir ("apps/prod", "" the root) match a render.roots glob? */
int gate_config_is_render_root(const struct gate_config *cfg, const char *dir);
/*
 * render.orphan_roots: folders holding a kustomization that no other
 * kustomization names and no Flux or Argo CD object or render.roots glob
 * takes are deployment roots too (default 1).
 */
int gate_config_orphan_roots(const struct gate_config *cfg);
/* allow_submodules: gitlinks where manifests may lie are allowed (default 0). */
int gate_config_allow_submodules(const struct gate_config *cfg);

/* render.flux: how Flux post-build substitution is judged (see README, "Deployment roots"). */
enum gate_config_missing { GATE_MISSING_WARNING = 0, GATE_MISSING_ERROR, GATE_MISSING_IGNORE };
struct gate_config_flux {
	int strict_substitute;   /* an undefined ${var} without default fails, as kustomize-controller v1.9+ by default (1) */
	int substitute_from_missing; /* enum gate_config_missing: a substituteFrom object not in the tree */
	int sops_unknown;        /* a SOPS-encrypted substituteFrom Secret: 1 its variables are unknown (warning), 0 an error */
};
const struct gate_config_flux *gate_config_flux(const struct gate_config *cfg);
/*
 * Could a file below folder dir be a manifest (some manifests.include glob
 * may match below it, and no manifests.exclude glob takes all of it)?
 */
int gate_config_dir_may_hold_manifests(const struct gate_config *cfg, const char *dir);
/*
 * The groups of `groups:` that list name: a new array (caller frees the
 * array only) of names borrowed from cfg; NULL with *n 0 when none.
 */
const char **gate_config_groups_of(const struct gate_config *cfg, const char *name, size_t *n);

/*
 * Call fn for every glob of a configuration document (gated_refs,
 * manifests.include/exclude, schemas[].paths) that is malformed, and every
 * gated_refs glob that can match no branch and no tag.  Returns how many.
 */
struct gate_node;
typedef void (*gate_config_glob_fn)(void *payload, unsigned line, unsigned col, const char *key,
	const char *message);
size_t gate_config_check_globs(const struct gate_node *root, gate_config_glob_fn fn, void *payload);

/* Is pusher on bypass.allowed? */
int gate_config_may_bypass(const struct gate_config *cfg, const char *pusher);

#endif
