/*
 * notify: what is sent to the in-cluster pullers and how.
 *
 * Body (the same JSON for every format, a GitHub push event plus our own
 * "gitops_gate" object; every number in it is an integer and every time an
 * RFC 3339 string, as Argo CD's go-playground/webhooks PushPayload needs):
 *   {"ref": <accepted ref>, "before", "after", "created", "deleted", "forced",
 *    "repository": {"name","full_name","html_url","clone_url","default_branch"},
 *    "pusher": {"name","email"}, "sender": {"login"},
 *    "commits": [{"id","message","timestamp","url","author":{"name","email"},
 *                 "committer":{...},"added":[],"modified":[],"removed":[]}],
 *    "head_commit": {... as a commit, or null},
 *    "gitops_gate": {"event","source_ref","accepted_ref","cluster","delivery"}}
 *
 * Headers (all formats): Content-Type: application/json, User-Agent,
 * X-Gitops-Gate-Delivery: <id>, X-Gitops-Gate-Event: <event>; then
 *   flux-generic-hmac  X-Signature: sha256=<hex HMAC-SHA256(token, body)>
 *                      (Flux notification-controller checks it with go-github
 *                      ValidateSignature)
 *   github             X-GitHub-Event: push, X-GitHub-Delivery: <id>,
 *                      X-Hub-Signature-256: sha256=<hex> (Flux `github`
 *                      Receiver: go-github ValidatePayload; Argo CD
 *                      /api/webhook: go-playground/webhooks)
 *   generic            X-Gitops-Gate-Signature: sha256=<hex> (when a token is set)
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
};

struct gate_push_event {
	const char *event;        /* accepted | rollback | rollforward | reconcile */
	const char *source_ref;   /* refs/heads/main */
	const char *accepted_ref; /* refs/heads/gitops/accepted/main */
	const char *before, *after; /* before: 40 zeros when the accepted ref was new */
	int forced;               /* after does not descend from before */
	const char *pusher;
	const struct gate_push_commit *commits; /* oldest first */
	size_t ncommits;
	const struct gate_push_commit *head;    /* may be NULL */
	const char *default_branch;
	const struct gate_notify_config *repo;  /* repository fields; may be NULL */
};

/*
 * The body for one delivery to cluster with delivery id: a new string of
 * *len bytes (caller frees), compact JSON.
 */
char *gate_notify_body(const struct gate_push_event *ev, const char *cluster,
	const char *delivery_id, size_t *len);

/* hex of HMAC-SHA256(key, data) into out[65].  Returns 0 or -1. */
int gate_notify_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
	char out[65]);

/*
 * Read a token file: refuses anything but a regular file, a file readable or
 * writable by others (mode & 007), an empty one, or one over
 * GATE_NOTIFY_MAX_TOKEN bytes.  Trailing newlines and spaces are dropped.
 * *out is a new string (caller clears and frees it).  Returns 0 or -1 with a
 * message in err that never contains the token.
 */
int gate_notify_read_token(const char *path, char **out, char *err, size_t errlen);

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
};

/*
 * Send every request in parallel and wait for them at most budget_ms in
 * all; one request may take at most timeout_ms.  Requests not finished by
 * then are abandoned with error "no answer within ...".  Returns 0 (see each
 * request's delivered), or -1 when libcurl could not be set up.
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
 * next_attempt_time is after now), read the token files, send all in
 * parallel within budget_ms, then unlink the delivered ones and record a
 * failed attempt (backoff, dead-letter after cfg->max_attempts) for the
 * others.  *report is a new JSON array, one object per id: {"id","cluster",
 * "url","status": "delivered"|"retry"|"dead"|"busy"|"not-due"|"error",
 * "http_status", "error", "attempts"}.  Returns 0, or -1 when nothing could be
 * attempted (libcurl setup).
 */
int gate_notify_deliver(const char *dir, char *const *ids, size_t n,
	const struct gate_notify_config *cfg, long budget_ms, int only_due,
	long long now, json_t **report);

#endif
