/*
 * receivers: the `clusters` and `notify` sections of the server config
 * (schemas/notify.schema.json), parsed from the config's jansson root.
 *
 *   clusters:
 *     - name: prod                       # unique, [A-Za-z0-9._-]
 *       refs: ["refs/heads/main"]        # globs on the gated (source) ref or
 *                                        # on its accepted ref; default: all
 *       paths: ["clusters/prod/<all>"]    # globs on changed paths; default: all
 *       receivers:
 *         - name: flux                   # optional, unique in the cluster,
 *                                        # [A-Za-z0-9._-]: the receiver's
 *                                        # identity for queued deliveries
 *           url: https://flux.example/hook/0123abcd
 *           format: flux-generic-hmac    # | github | gitlab | generic
 *           token_file: /etc/gitops-gate/prod.token   # not world-readable;
 *                                        # its bytes are the secret, as they are
 *           ca_bundle: /etc/ssl/private-ca.pem        # optional
 *           signature: sha256            # github only: sha1 | sha256 | both
 *   notify:
 *     budget_ms: 2000          # post-receive's total sending budget
 *     timeout_ms: 10000        # one request, in notify --drain
 *     max_attempts: 10         # then the delivery goes to outbox/dead/
 *     backoff_ms: 1000         # first retry delay, doubled each attempt
 *     backoff_max_ms: 3600000  # cap of the retry delay
 *     max_body_bytes: 3080192  # every body stays at or under this (Flux: 3 MiB)
 *     repository:              # shown to receivers (GitHub/GitLab payloads)
 *       name: fleet
 *       full_name: org/fleet
 *       html_url: https://git.example/org/fleet   # required with a github or
 *                                                 # gitlab receiver
 *       clone_url: https://git.example/org/fleet.git  # default html_url + .git
 *       ssh_url: git@git.example:org/fleet.git        # optional
 *       default_branch: main     # default: the repository's HEAD branch
 *
 * (<all> stands for two asterisks, which cannot appear in a C comment.)
 * A cluster is notified about an update of source ref R (accepted ref A) when
 * one of its refs globs matches R or A and one of its path globs matches a
 * path changed between the previous and the new accepted commit.
 */
#ifndef GATE_RECEIVERS_H
#define GATE_RECEIVERS_H

#include <stddef.h>
#include <jansson.h>

enum gate_notify_format {
	GATE_FORMAT_FLUX_GENERIC_HMAC = 0,
	GATE_FORMAT_GITHUB,
	GATE_FORMAT_GENERIC,
	GATE_FORMAT_GITLAB
};

/* Which HMAC headers a github-format delivery carries. */
enum gate_notify_signature {
	GATE_SIGNATURE_SHA256 = 0, /* X-Hub-Signature-256 (Argo CD >= 2.13, Flux) */
	GATE_SIGNATURE_SHA1,       /* X-Hub-Signature (Argo CD <= 2.12) */
	GATE_SIGNATURE_BOTH
};

struct gate_receiver {
	char *name;       /* NULL: the receiver is known by its format and URL */
	char *url;
	enum gate_notify_format format;
	char *token_file; /* NULL: unsigned (only allowed for generic) */
	char *ca_bundle;  /* NULL: the system's CA store */
	enum gate_notify_signature signature; /* github format only */
};

struct gate_cluster {
	char *name;
	char **refs;   /* globs; nrefs 0 means every gated ref */
	size_t nrefs;
	char **paths;  /* globs; npaths 0 means every path */
	size_t npaths;
	struct gate_receiver *receivers;
	size_t nreceivers;
};

struct gate_notify_config {
	long budget_ms;
	long timeout_ms;
	unsigned max_attempts;
	long backoff_ms;
	long backoff_max_ms;
	char *repo_name, *repo_full_name, *repo_html_url, *repo_clone_url, *repo_default_branch;
	size_t max_body_bytes;
	char *repo_ssh_url;
};

struct gate_receivers {
	struct gate_cluster *clusters;
	size_t nclusters;
	struct gate_notify_config notify;
};
/* Flux's receiver refuses bodies over 3 MiB (413); keep 64 KiB of margin. */
#define GATE_NOTIFY_MAX_BODY_DEFAULT ((size_t)(3u << 20) - (64u << 10))
#define GATE_NOTIFY_MAX_BODY_MIN ((size_t)64u << 10)
#define GATE_RECEIVERS_INIT { NULL, 0, { 2000, 10000, 10, 1000, 3600000, NULL, NULL, NULL, NULL, NULL, \
	GATE_NOTIFY_MAX_BODY_DEFAULT, NULL } }

/*
 * Fill out from the config root (borrowed; NULL or missing sections give the
 * defaults and no clusters).  On a malformed section returns -1 with a
 * message in err that starts with the key's path and ": "
 * ("clusters[1].receivers[0].format: unknown format \"x\""); out is then
 * released.  A github or gitlab receiver requires notify.repository.html_url
 * (an http(s) URL with a host and a path, which Argo CD matches apps on).
 * Release with gate_receivers_release().
 */
int gate_receivers_parse(struct gate_receivers *out, const json_t *root,
	char *err, size_t errlen);
void gate_receivers_release(struct gate_receivers *r);

/* 1 when cluster c cares about refs ref / accepted_ref (either may be NULL). */
/*
 * The receiver a queued delivery names, looked up in the current config: in
 * the cluster named cluster, the receiver called name when name is set, else
 * the first receiver (named or not) whose format and URL are format and url.
 * Returns NULL when there is none; then, when why is set, a sentence in why
 * saying what is missing (the cluster or the receiver).
 */
const struct gate_receiver *gate_receivers_find(const struct gate_receivers *r,
	const char *cluster, const char *name, const char *format, const char *url,
	char *why, size_t whylen);

int gate_cluster_wants_ref(const struct gate_cluster *c, const char *ref,
	const char *accepted_ref);

/*
 * 1 when one of paths[0..n) matches c's path globs.  all_changed: the set of
 * changed paths is unknown or too large (then every cluster matches).
 */
int gate_cluster_wants_paths(const struct gate_cluster *c, const char *const *paths,
	size_t n, int all_changed);

/*
 * Check an html_url as Argo CD will use it (GetWebURLRegex): 0 when usable,
 * -1 with the reason in err.  *warn (may be NULL) is set to a static
 * sentence when the URL is usable but matches apps only under a condition
 * (a trailing "/" or ".git"), else NULL.
 */
int gate_notify_check_html_url(const char *url, const char **warn, char *err, size_t errlen);

const char *gate_notify_format_name(enum gate_notify_format f);
const char *gate_notify_signature_name(enum gate_notify_signature s);
/* Returns 0 and sets *f, or -1 for an unknown name. */
int gate_notify_format_parse(const char *name, enum gate_notify_format *f);

#endif
