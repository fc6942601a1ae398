/*
 * policy: what a manifest must satisfy beyond its schema.  Built-in checks,
 * custom rules from YAML policy files, governed suppressions, secret scanning
 * and path ownership.
 *
 * A policy is built once (gate_policy_new(), then gate_policy_load_file() or
 * gate_policy_load_buffer() for each policy file, or gate_policy_from_config())
 * and is read-only afterwards: checks may then run from several threads at
 * once.  Loading a file while checks run is not allowed.
 *
 * Built-in checks (id, default severity, what fails).  The pod and container
 * checks apply to every pod spec found in a resource, whatever its kind
 * (gate/podspec.h: any mapping with a container list, Argo Workflows
 * templates, Tekton steps, Knative, KEDA, OpenKruise...), and to every
 * container group (containers, initContainers, ephemeralContainers,
 * sidecars, steps, container, script, stepTemplate) unless said otherwise.
 *
 *   privileged                deny  securityContext.privileged is true
 *   privilege-escalation      deny  securityContext.allowPrivilegeEscalation is true
 *   run-as-non-root           warn  neither runAsNonRoot: true nor runAsUser > 0
 *                                   (container or pod level), or runAsUser: 0
 *   readonly-root-filesystem  warn  securityContext.readOnlyRootFilesystem is not true
 *   dangerous-capabilities    deny  capabilities.add holds ALL, SYS_ADMIN, NET_ADMIN,
 *                                   NET_RAW, SYS_PTRACE, SYS_MODULE, SYS_RAWIO,
 *                                   SYS_BOOT, SYS_TIME, DAC_READ_SEARCH, BPF,
 *                                   PERFMON (with or without CAP_)
 *   host-network              deny  spec.hostNetwork is true
 *   host-pid                  deny  spec.hostPID is true
 *   host-ipc                  deny  spec.hostIPC is true
 *   host-path                 warn  a hostPath volume
 *   docker-socket             deny  a hostPath volume of docker.sock, containerd.sock
 *                                   or crio.sock
 *   host-root                 deny  a hostPath volume of the host's root "/" (also
 *                                   written "//", "/.", "/./")
 *   image-tag-latest          deny  image without tag or digest, or tagged latest
 *   image-registry            deny  image outside the allowed registries (on only
 *                                   when allowed registries are configured; the
 *                                   PCRE2 patterns match the image reference with
 *                                   its registry made explicit: nginx:1 is
 *                                   docker.io/library/nginx:1)
 *   resources-requests        warn  no cpu or memory request (not ephemeral)
 *   resources-limits          warn  no cpu or memory limit (not ephemeral)
 *   liveness-probe            warn  no livenessProbe (containers of kinds that run
 *                                   until stopped: Pod, Deployment, Rollout, Knative...)
 *   readiness-probe           warn  no readinessProbe (as liveness-probe)
 *   service-type              warn  Service of type NodePort or LoadBalancer
 *   default-namespace         warn  metadata.namespace is "default"
 *   removed-api               deny  apiVersion removed in the target Kubernetes version
 *   selector-mismatch         deny  spec.selector does not match the pod template labels
 *   duplicate-env             warn  two env entries of one container with the same name
 *   secret-plaintext          deny  Secret with data/stringData not fully SOPS-encrypted
 *                                   (SealedSecret, ExternalSecret pass)
 *
 * Checks on the tree of a commit (see gate/repo_checks.h), run by the hooks:
 *   duplicate-object          deny  two manifests of one folder or kustomization
 *                                   define the same group, kind, namespace and name
 *   missing-reference         warn  a pod refers to a ConfigMap, Secret,
 *                                   ServiceAccount or PVC no manifest there defines
 *   ownership                 deny  the pusher may not change the path (owners)
 *
 * Ratchet (config policy.ratchet): a deny problem of a changed object that
 * the same object had in the parent commit (same rule, same place) becomes a
 * warning marked "grandfathered"; only new problems reject.
 *
 * Secret scanning of raw file bytes (gate_policy_scan_secrets), all deny:
 *   secret-private-key, secret-aws-access-key, secret-github-token,
 *   secret-gitlab-token, secret-slack-token, secret-jwt, secret-generic
 *   (a password/token/secret/api key assignment whose value has high entropy).
 *
 * Suppressions.  In-content waivers are off unless the server grants them
 * (gate_policy_opts.annotation_grants: which checks, in which paths, how far
 * ahead they may expire).  Where granted, an object opts out of checks with
 * the annotations
 *   gitops-gate.io/ignore: "check-id, other-id"
 *   gitops-gate.io/ignore-reason: "why"          (required)
 *   gitops-gate.io/ignore-expires: "YYYY-MM-DD"  (required; last day, UTC)
 * and a waiver that is not granted, lacks a reason or an expiry, or has
 * expired is not honoured: the problem stays, with a note saying why.
 * Secret checks cannot be suppressed by annotation.  Exceptions in a policy
 * file (server side) suppress any check, may match paths, kinds, names..., and
 * stop applying after their `expires` date (inclusive, UTC).  A suppressed
 * problem is still reported, with problem->suppressed set to the reason.
 */
#ifndef GATE_POLICY_H
#define GATE_POLICY_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "gate/engine.h"
#include "gate/k8s.h"
#include "gate/result.h"

#define GATE_POLICY_ANNOTATION_IGNORE "gitops-gate.io/ignore"
#define GATE_POLICY_ANNOTATION_REASON "gitops-gate.io/ignore-reason"
#define GATE_POLICY_ANNOTATION_EXPIRES "gitops-gate.io/ignore-expires"

/*
 * A server's grant of in-content waivers: the annotation may suppress these
 * checks (ids, or "*" for every check but the secret ones) in files matching
 * these path globs, with an expiry at most max_days ahead (0: any).
 */
struct gate_policy_grant {
	const char *const *checks;
	size_t nchecks;
	const char *const *paths;
	size_t npaths;
	int max_days;
};

struct gate_policy;

/* Options; a zeroed struct means the defaults. */
struct gate_policy_opts {
	int no_builtin_checks;          /* built-in checks off (rules and secrets still run) */
	int no_secret_scanning;         /* gate_policy_scan_secrets() finds nothing */
	int no_annotation_suppressions; /* never honour gitops-gate.io/ignore, even where granted */
	const struct gate_policy_grant *annotation_grants; /* none: annotations are never honoured */
	size_t nannotation_grants;
	const char *const *allowed_registries; /* PCRE2 patterns; turns image-registry on */
	size_t nallowed_registries;
	const char *const *repository_policy_paths; /* globs of repository files usable as policy */
	size_t nrepository_policy_paths;
	const char *kubernetes_version; /* target of removed-api: "1.29", "v1.29.3"; NULL or "master": latest */
	time_t now;                     /* for exception expiry; 0: time(NULL) at creation */
	int no_repository_checks;       /* no repository-wide checks (duplicates, references, CRDs) */
	int ratchet;                    /* reject a commit only for problems it introduces */
	size_t secret_scan_max_bytes;   /* larger files are not scanned; 0: GATE_POLICY_SCAN_MAX_BYTES */
	int secret_scan_too_large_warn; /* such a file is a warning, not a denial */
};

/* Files up to this size are scanned for secrets unless configured otherwise. */
#define GATE_POLICY_SCAN_MAX_BYTES ((size_t)64 << 20)

/* One built-in check, for documentation and `--list-checks`. */
struct gate_policy_check_info {
	const char *id;
	enum gate_severity severity; /* default */
	const char *summary;
};

/* The built-in checks (static table); *n receives its length. */
const struct gate_policy_check_info *gate_policy_builtin_checks(size_t *n);

/*
 * Create a policy with the built-in checks and secret rules compiled.  On
 * success *out is new (release with gate_policy_free()); on failure returns -1
 * with a message (bad registry pattern, bad version).
 */
int gate_policy_new(struct gate_policy **out, const struct gate_policy_opts *opts,
	char *msg, size_t msgsize);

/*
 * Add a policy file (format: schemas/policy.schema.json): check severities,
 * allowed registries, custom rules, exceptions, secret allowlist, owners.
 * The file is validated against the schema and compiled; on failure returns
 * -1 with "file:line:col: what" in msg and leaves p as it was.  name is what
 * messages call the file.
 */
int gate_policy_load_file(struct gate_policy *p, const char *path, char *msg, size_t msgsize);
int gate_policy_load_buffer(struct gate_policy *p, const char *name, const char *buf,
	size_t len, char *msg, size_t msgsize);

/*
 * Build a policy from the `policy:` section of the server configuration
 * (schemas/policy-config.schema.json, definitions.policy), borrowed jansson
 * value, may be NULL for defaults.  Relative `files` are read from
 * config_dir.  overrides, when not NULL, is applied on top (its non-zero
 * members win: used by `validate --no-builtin-checks`).
 */
int gate_policy_from_config(struct gate_policy **out, const json_t *section,
	const char *config_dir, const struct gate_policy_opts *overrides,
	char *msg, size_t msgsize);

/* 1 when the repository file at path may be loaded as policy (config repository_policy), else 0. */
int gate_policy_repository_path_allowed(const struct gate_policy *p, const char *path);

/*
 * 1 when verdicts may depend on a file's path (suppression paths, rules,
 * exceptions or secret paths with globs), so caches must key by path too.
 */
int gate_policy_path_sensitive(const struct gate_policy *p);

void gate_policy_free(struct gate_policy *p);

/* Switches of a built policy: each 1 when on, else 0. */
int gate_policy_secret_scanning(const struct gate_policy *p);
int gate_policy_repository_checks(const struct gate_policy *p);
int gate_policy_ratchet(const struct gate_policy *p);
int gate_policy_has_owners(const struct gate_policy *p);

/*
 * A fingerprint of everything that changes verdicts: options, loaded files
 * and, when an exception has an expiry date, the current day.  Hex into buf.
 */
void gate_policy_fingerprint(const struct gate_policy *p, char *buf, size_t bufsize);

/*
 * Run the built-in checks, the Secret object check and the custom rules on
 * one identified resource.  Problems are appended to res; a deny problem that
 * is not suppressed turns a valid res invalid.  Returns 0, negative when it
 * could not evaluate.  Thread-safe on a loaded policy.
 */
int gate_policy_check(const struct gate_policy *p, const char *filename,
	const struct gate_k8s_id *id, const struct gate_node *root, struct gate_result *res);

/* Fill a checker for the engine calling gate_policy_check (p borrowed). */
int gate_policy_checker(struct gate_policy *p, struct gate_checker *out);

/*
 * Scan any file's raw bytes for credentials.  Each finding is a deny problem
 * (rule secret-*, line and column, no pointer) whose message names the rule
 * and place, never the secret.  Skips files matched by the secret allowlist
 * paths and findings matched by its patterns.  Exceptions of policy files
 * whose match only names paths suppress findings.  Returns 0 or negative.
 */
int gate_policy_scan_secrets(const struct gate_policy *p, const char *filename,
	const char *buf, size_t len, struct gate_result *res);

/*
 * The same scan over a file given in pieces, in bounded memory (a window of
 * about 1 MiB whatever the file's size; a secret across two pieces is found).
 * Text is decoded first when it is UTF-16: by its byte order mark, or
 * without one by its pattern of NUL bytes in the first 4 KiB (gate/utf16.h);
 * lines and columns are those of the decoded text.  gate_policy_scan_start()
 * returns a new scan (never NULL) that reports into res (borrowed until
 * finish); gate_policy_scan_finish() reports what is left and frees the
 * scan.  Both return 0 or negative.  gate_policy_scan_secrets() is start,
 * one feed and finish, after the size check below.
 */
struct gate_policy_scan;
struct gate_policy_scan *gate_policy_scan_start(const struct gate_policy *p, const char *filename,
	struct gate_result *res);
int gate_policy_scan_feed(struct gate_policy_scan *s, const char *buf, size_t len);
int gate_policy_scan_finish(struct gate_policy_scan *s);

/*
 * Files larger than gate_policy_scan_max_bytes() are not scanned: the
 * caller reports them with gate_policy_scan_too_large(), a problem with rule
 * secret-scan, deny (or warn when configured: policy.secret_scan.too_large).
 * Nothing when secret scanning is off.
 */
size_t gate_policy_scan_max_bytes(const struct gate_policy *p);
void gate_policy_scan_too_large(const struct gate_policy *p, const char *filename, size_t size,
	struct gate_result *res);

/*
 * Ownership: for each changed path, the last `owners` entry of the policy
 * files whose path globs match decides who may change it: the pusher's name
 * or one of its groups must be listed.  Appends one result per refused path
 * (filename = path, status invalid, one deny problem with rule "ownership")
 * to out.  Paths no entry matches are free.  Returns the number of refused
 * paths, negative on failure.
 */
int gate_policy_owner_check(const struct gate_policy *p, const char *pusher,
	const char *const *groups, size_t ngroups, const char *const *paths, size_t npaths,
	struct gate_results *out);

#endif
