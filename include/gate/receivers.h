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
 *         - url: https://flux.example/hook/0123abcd
 *           format: flux-generic-hmac    # | github | generic
 *           token_file: /etc/gitops-gate/prod.token   # not world-readable
 *           ca_bundle: /etc/ssl/private-ca.pem        # optional
 *   notify:
 *     budget_ms: 2000          # post-receive's total sending budget
 *     timeout_ms: 10000        # one request, in notify --drain
 *     max_attempts: 10         # then the delivery goes to outbox/dead/
 *     backoff_ms: 1000         # first retry delay, doubled each attempt
 *     backoff_max_ms: 3600000  # cap of the retry delay
 *     repository:              # shown to receivers (GitHub-style payload)
 *       name: fleet
 *       full_name: org/fleet
 *       html_url: https://git.example/org/fleet
 *       clone_url: https://git.example/org/fleet.git
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
	GATE_FORMAT_GENERIC
};

struct gate_receiver {
	char *url;
	enum gate_notify_format format;
	char *token_file; /* NULL: unsigned (only allowed for generic) */
	char *ca_bundle;  /* NULL: the system's CA store */
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
};

struct gate_receivers {
	struct gate_cluster *clusters;
	size_t nclusters;
	struct gate_notify_config notify;
};
#define GATE_RECEIVERS_INIT { NULL, 0, { 2000, 10000, 10, 1000, 3600000, NULL, NULL, NULL, NULL, NULL } }

/*
 * Fill out from the config root (borrowed; NULL or missing sections give the
 * defaults and no clusters).  On a malformed section returns -1 with a
 * message in err ("clusters[1].receivers[0].format: unknown format \"x\"");
 * out is then released.  Release with gate_receivers_release().
 */
int gate_receivers_parse(struct gate_receivers *out, const json_t *root,
	char *err, size_t errlen);
void gate_receivers_release(struct gate_receivers *r);

/* 1 when cluster c cares about refs ref / accepted_ref (either may be NULL). */
int gate_cluster_wants_ref(const struct gate_cluster *c, const char *ref,
	const char *accepted_ref);

/*
 * 1 when one of paths[0..n) matches c's path globs.  all_changed: the set of
 * changed paths is unknown or too large (then every cluster matches).
 */
int gate_cluster_wants_paths(const struct gate_cluster *c, const char *const *paths,
	size_t n, int all_changed);

const char *gate_notify_format_name(enum gate_notify_format f);
/* Returns 0 and sets *f, or -1 for an unknown name. */
int gate_notify_format_parse(const char *name, enum gate_notify_format *f);

#endif
