/*
 * notify: what is sent to the in-cluster pullers and how.
 *
 * Body of the flux-generic-hmac, github and generic formats: a GitHub push
 * event plus our own "gitops_gate" object; every number in it is an integer
 * and every time an RFC 3339 string, as Argo CD's go-playground/webhooks
 * PushPayload needs:
 *   {"ref": <accepted ref>, "before", "after", "created", "deleted", "forced",
 *    "repository": {"name","full_name","html_url","clone_url","ssh_url",
 *                   "default_branch"},
 *    "pusher": {"name","email"}, "sender": {"login"},
 *    "commits": [{"id","message","timestamp","url","author":{"name","email"},
 *                 "committer":{...},"added":[],"modified":[],"removed":[]}],
 *    "head_commit": {... as a commit, or null},
 *    "gitops_gate": {"event","source_ref","accepted_ref","cluster","delivery",
 *                    "changes": "commits" | "summary" | "none"}}
 * Body of the gitlab format: a GitLab push event ("object_kind": "push",
 * "project": {"web_url", "git_http_url", "git_ssh_url", ...}, "commits",
 * "total_commits_count", "repository") plus the same "gitops_gate" object.
 *
 * The change list is never partial (Argo CD refreshes an application with
 * the argocd.argoproj.io/manifest-generate-paths annotation only when a
 * listed path matches): "commits" lists every commit with its paths; when
 * there are more than GATE_NOTIFY_MAX_COMMITS commits, a commit with more
 * than GATE_NOTIFY_MAX_FILES paths, or the body would exceed the size
 * limit, "summary" sends one synthetic commit (id = after) whose paths are
 * the full before -> after diff; when that is unknown or still too large,
 * "none" sends no commits at all (Argo CD then refreshes every application
 * of the repository and revision).
 *
 * Headers (all formats): Content-Type: application/json, User-Agent,
 * X-Gitops-Gate-Delivery: <id>, X-Gitops-Gate-Event: <event>; then
 *   flux-generic-hmac  X-Signature: sha256=<hex HMAC-SHA256(token, body)>
 *                      (Flux notification-controller checks it with go-github
 *                      ValidateSignature)
 *   github             X-GitHub-Event: push, X-GitHub-Delivery: <id>, and by
 *                      the receiver's signature setting
 *                      X-Hub-Signature-256: sha256=<hex> (Flux `github`
 *                      Receiver: go-github ValidatePayload; Argo CD 2.13 and
 *                      later) and/or X-Hub-Signature: sha1=<hex HMAC-SHA1>
 *                      (Argo CD up to 2.12)
 *   gitlab             X-Gitlab-Event: Push Hook, X-Gitlab-Event-UUID: <id>,
 *                      X-Gitlab-Token: <token> (Flux `gitlab` Receiver and
 *                      Argo CD compare it with their secret as plain text)
 *   generic            X-Gitops-Gate-Signature: sha256=<hex> (when a token is set)
 * The token is the token file's bytes exactly as they are: a Kubernetes
 * Secret made with --from-file from the same file holds the same bytes.
 *
 * Sending: libcurl multi, every request in parallel, TLS verification always
 * on (peer and host), http and https only, no redirects, a 2xx answer means
 * delivered.
 */
#ifndef GATE_NOTIFY_H
#define GATE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "gate/receivers.h"

#define GATE_NOTIFY_MAX_TOKEN 4096
#define GATE_NOTIFY_MAX_COMMITS 100 /* commits listed in a body; older ones dropped */
#define GATE_NOTIFY_MAX_FILES 3000  /* paths listed per commit (GitHub's own cap) */

/* One commit of a push event; every string borrowed. */
struct gate_push_commit {
	const char *id, *message, *timestamp; /* timestamp: RFC 3339 */
	const char *author_name, *author_email, *committer_name, *committer_email;
	const char *const *added, *const *modified, *const *removed;
	size_t nadded, nmodified, nremoved;
	int truncated;            /* the paths above are not all of the commit's */
};

struct gate_push_event {
	const char *event;        /* accepted | rollback | rollforward | reconcile */
	const char *source_ref;   /* refs/heads/main */
	const char *accepted_ref; /* refs/heads/gitops/accepted/main */
	const char *before, *after; /* before: 40 zeros when the accepted ref was new */
	int forced;               /* after does not descend from before */
	const char *pusher;
	const struct gate_push_commit *commits; /* oldest first; the newest ones when cut */
	size_t ncommits;
	const struct gate_push_commit *head;    /* may be NULL */
	const char *default_branch;
	const struct gate_notify_config *repo;  /* repository fields; may be NULL */
	int more_commits;         /* before..after has more commits than listed */
	/* every path changed from before to after (the tree diff) */
	const char *const *diff_added, *const *diff_modified, *const *diff_removed;
	size_t ndiff_added, ndiff_modified, ndiff_removed;
	int diff_complete;        /* 0: the diff was too large to list */
	size_t total_commits;     /* commits in before..after when known, else 0 */
};

/* How a body lists the changes (see the top of this file). */
enum gate_notify_changes {
	GATE_CHANGES_COMMITS = 0,
	GATE_CHANGES_SUMMARY,
	GATE_CHANGES_NONE
};
const char *gate_notify_changes_name(enum gate_notify_changes c);

/*
 * The body for one delivery in format to cluster with delivery id: a new
 * string of *len bytes (caller frees), compact JSON of at most max_body
 * bytes (0: GATE_NOTIFY_MAX_BODY_DEFAULT).  how may be NULL; else *how on
 * entry is the first form to try (GATE_CHANGES_COMMITS: every form; pass
 * the previous result when building the same event for several receivers,
 * so the forms that were too large are not built again) and on return the
 * form of the body.  Returns NULL when even the body without commits is
 * larger than max_body.
 */
char *gate_notify_body(const struct gate_push_event *ev, enum gate_notify_format format,
	const char *cluster, const char *delivery_id, size_t max_body, size_t *len,
	enum gate_notify_changes *how);

/*
 * How many bytes at the start of a body of gate_notify_body() are the same
 * for every cluster and delivery of the push (all but its "gitops_gate"
 * member): the part the outbox stores once.  0 when it cannot tell.
 */
size_t gate_notify_body_shared(const char *body, size_t len);

/* hex of HMAC-SHA256(key, data) into out[65].  Returns 0 or -1. */
int gate_notify_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
	char out[65]);
/* hex of HMAC-SHA1(key, data) into out[41] (X-Hub-Signature).  Returns 0 or -1. */
int gate_notify_hmac_sha1_hex(const void *key, size_t keylen, const void *data, size_t len,
	char out[41]);

/*
 * Read a token file: refuses anything but a regular file, a file readable or
 * writable by others (mode & 007), an empty one, or one over
 * GATE_NOTIFY_MAX_TOKEN bytes.  The bytes are used as they are (a final
 * newline is part of the token, as it is of a Secret made from the file).
 * *out is a new buffer of *len bytes plus a NUL (caller clears and frees
 * it).  Returns 0 or -1 with a message in err that never contains the token.
 */
int gate_notify_read_token(const char *path, char **out, size_t *len, char *err, size_t errlen);

/*
 * Problems of a token's bytes that break deliveries: returns NULL when none,
 * else a static sentence.  For every format: the token ends in whitespace
 * (a Secret made from a file without that newline will not match).  For
 * gitlab: the token cannot travel in an HTTP header as it is (control
 * characters, or whitespace at either end, which receivers strip).
 * *fatal is set to 1 when the token cannot be used at all for format.
 */
const char *gate_notify_token_problem(const char *tok, size_t len, enum gate_notify_format format,
	int *fatal);

/* One request to make. */
struct gate_send {
	/* in (borrowed) */
	const char *id, *url, *event;
	enum gate_notify_format format;
	const char *body;
	size_t body_len;
	const char *token;     /* NULL: no signature */
	const char *ca_bundle; /* NULL: system CAs */
	/* out */
	int delivered;         /* answered 2xx */
	long http_status;      /* 0 when no answer */
	char error[256];       /* when not delivered */
	/* in, optional */
	size_t token_len;      /* 0: strlen(token) */
	enum gate_notify_signature signature; /* github */
	/* out */
	char answer[128];      /* start of the answer body, escaped */
};

/*
 * Send every request in parallel and wait for them at most budget_ms in
 * all; one request may take at most timeout_ms.  Requests not finished by
 * then are abandoned with error "no answer within ...".  Returns 0 (see each
 * request's delivered), or -1 when libcurl could not be loaded or set up
 * (then each request's error says why).
 */
int gate_notify_send(struct gate_send *v, size_t n, long budget_ms, long timeout_ms);

/*
 * The delay before retry number attempts (1 = first retry): base doubled per
 * attempt, capped at max, then a random point in its upper half (jitter from
 * rnd).  Never below 0.
 */
long gate_notify_backoff_ms(unsigned attempts, long base, long max, uint32_t rnd);

/*
 * Deliver outbox entries ids[0..n) from outbox dir: claim each (skipping
 * those another process holds and, with only_due, those whose
 * next_attempt_time is after now), look its receiver up in rcv (the
 * configuration as it is now: gate_receivers_find; its URL, format,
 * signature, CA bundle and token file are the ones used), read the token
 * files, send all in parallel within budget_ms, then unlink the delivered
 * ones and record a failed attempt (backoff, dead-letter after
 * rcv->notify.max_attempts) for the others.  A delivery whose receiver is no
 * longer configured (or now wants a GitLab body instead of a GitHub-like
 * one, or the reverse) moves to the dead letters at once, with the reason.
 * *report is a new JSON array, one object per id: {"id","cluster",
 * "url","status": "delivered"|"retry"|"dead"|"busy"|"not-due"|"error",
 * "removed" (true: dead because its receiver left the configuration),
 * "next_attempt_time" (retry, not-due), "http_status", "error", "attempts",
 * "token_warning" (a 4xx answer while the token has a problem of
 * gate_notify_token_problem())}.  Returns 0, or -1 when nothing could be
 * attempted (libcurl setup).
 */
int gate_notify_deliver(const char *dir, char *const *ids, size_t n,
	const struct gate_receivers *rcv, long budget_ms, int only_due,
	long long now, json_t **report);

/* The longest a retry can be away (backoff_max_ms, rounded up, plus 1 s): later means a clock jump. */
long long gate_notify_max_wait_s(const struct gate_notify_config *cfg);

/* What one drain did. */
struct gate_drain_result {
	int scanned;          /* 0: the index said nothing is due; nothing was read */
	size_t queued;        /* deliveries in the outbox when it was listed */
	size_t delivered, failed; /* failed: retry, dead or error */
	long long next_due;   /* the earliest due time left (GATE_OUTBOX_NONE: none) */
	size_t bodies_removed; /* shared bodies no queued delivery names any more */
};

/* Called with each batch's report (gate_notify_deliver) as it is made. */
typedef void (*gate_drain_report_fn)(const json_t *report, void *payload);

/*
 * notify --drain: unless all, ask the due-time index first
 * (gate_outbox_scan_begin) and return at once when nothing is due; else
 * list the outbox and deliver every due delivery (all: every one) in
 * batches of batch (0: 256), each batch within rcv->notify.timeout_ms, then
 * set the index to the earliest due time left, and remove the shared bodies
 * (outbox/bodies/) that no queued delivery names and that are older than
 * GATE_OUTBOX_BODY_GRACE.  Returns 0, or -1 when the
 * outbox cannot be listed or libcurl could not be set up (msg says so).
 */
int gate_notify_drain(const char *dir, const struct gate_receivers *rcv, int all, size_t batch,
	long long now, gate_drain_report_fn fn, void *payload, struct gate_drain_result *res,
	char *msg, size_t msgsize);

/*
 * notify --test: send ev (a test push event built by the caller) to every
 * receiver of rcv, or of the cluster named cluster, signed and formatted as
 * real deliveries are, in parallel within budget_ms; nothing is queued.
 * *report is a new JSON array, one object per receiver: {"cluster", "url",
 * "format", "status": "ok"|"failed", "http_status", "answer", "error",
 * "token_warning"}; *failed counts the failed ones.  Returns 0, or -1 when
 * libcurl could not be set up.
 */
int gate_notify_probe(const struct gate_receivers *rcv, const struct gate_push_event *ev,
	const char *cluster, long budget_ms, json_t **report, size_t *failed);

#endif
