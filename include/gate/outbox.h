/*
 * outbox: durable deliveries.  Each notification to send is one file
 * <dir>/<id>.json (dir is normally $GIT_DIR/gitops-gate/outbox), written with
 * gate_write_file_atomic() (temp file, fsync, rename, fsync of the folder)
 * before anything is sent, so a delivery is either fully on disk or absent.
 *
 * File contents (one JSON object):
 *   id                 32 lowercase hex digits (128 random bits); also the
 *                      X-Gitops-Gate-Delivery header value
 *   cluster, url, format ("flux-generic-hmac" | "github" | "gitlab" | "generic")
 *   token_file, ca_bundle  (strings or null; never the token itself)
 *   signature          github only, optional: "sha1" | "sha256" | "both"
 *   event, ref, accepted_ref, old, new   what the delivery announces
 *   body               the exact bytes to POST (a JSON text, kept as a string)
 *   attempts           failed attempts so far
 *   next_attempt_time  unix seconds; drain skips the delivery before then
 *   created            unix seconds
 *   last_error         string or null
 *
 * Life: sent and answered 2xx -> unlinked; failed -> rewritten atomically
 * with attempts+1 and a later next_attempt_time; attempts reaching the
 * configured maximum -> renamed into <dir>/dead/ (kept for `status` and
 * manual replay: move it back into <dir> to retry).
 *
 * Claims: whoever sends a delivery first takes flock(LOCK_EX|LOCK_NB) on its
 * file and then checks that the path still names the locked inode, so two
 * concurrent senders never both send the same version of a delivery (a
 * retry after a crash may still resend it: delivery is at least once, and
 * receivers de-duplicate by delivery id).
 */
#ifndef GATE_OUTBOX_H
#define GATE_OUTBOX_H

#include <stddef.h>
#include <jansson.h>

#define GATE_OUTBOX_ID_LEN 32
#define GATE_OUTBOX_MAX_FILE (8u << 20) /* a delivery file larger than this is refused */

struct gate_delivery {
	char id[GATE_OUTBOX_ID_LEN + 1];
	char *cluster, *url, *format, *token_file, *ca_bundle;
	char *event, *ref, *accepted_ref, *old, *new_;
	char *body;
	size_t body_len;
	unsigned attempts;
	long long next_attempt_time, created;
	char *last_error;
	char *signature; /* NULL: sha256 */
};
#define GATE_DELIVERY_INIT { { 0 }, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
	NULL, 0, 0, 0, 0, NULL, NULL }

void gate_delivery_release(struct gate_delivery *d);

/* Fill id with a fresh random delivery id (getrandom).  Returns 0 or -1. */
int gate_outbox_new_id(char id[GATE_OUTBOX_ID_LEN + 1]);

/* 1 when s is a well-formed delivery id. */
int gate_outbox_valid_id(const char *s);

/* Write d to <dir>/<id>.json atomically, creating dir.  Returns 0 or -1 (errno). */
int gate_outbox_put(const char *dir, const struct gate_delivery *d);

/*
 * Write d[0..n) as gate_outbox_put() does, but all at once: every temp file
 * written, then each fsynced, renamed, and the folder fsynced once (one
 * push to 100 receivers pays 101 fsyncs, not 200 in a row).  On failure no
 * temp file is left; deliveries already renamed stay.  Returns 0 or -1 (errno).
 */
int gate_outbox_put_many(const char *dir, const struct gate_delivery *d, size_t n);

/* Parse a delivery from JSON text; returns 0, or -1 with a message in err. */
int gate_delivery_from_json(struct gate_delivery *d, const char *text, size_t len,
	char *err, size_t errlen);

/*
 * The ids of the deliveries in dir (not in dead/), sorted by name; *ids is a
 * new array of new strings (free each and the array).  A missing dir gives 0
 * ids.  At most max ids are returned.  Returns 0 or -1 (errno).
 */
int gate_outbox_list(const char *dir, size_t max, char ***ids, size_t *n);

/* Load delivery id from dir without claiming it (for reports).  0 or -1 (errno). */
int gate_outbox_load(const char *dir, const char *id, struct gate_delivery *d);

/* A claimed delivery: the open, locked file. */
struct gate_outbox_claim {
	int fd;
	char *path;
};
#define GATE_OUTBOX_CLAIM_INIT { -1, NULL }

/*
 * Try to claim delivery id in dir and load it into d.  Returns 1 when
 * claimed (release with gate_outbox_unclaim() after finishing it), 0 when
 * another process holds it or it is gone, -1 on error (message in err).
 */
int gate_outbox_claim(const char *dir, const char *id, struct gate_outbox_claim *c,
	struct gate_delivery *d, char *err, size_t errlen);
void gate_outbox_unclaim(struct gate_outbox_claim *c);

/* Finish a claimed delivery: delivered (unlink).  Returns 0 or -1 (errno). */
int gate_outbox_done(const struct gate_outbox_claim *c);

/*
 * Record a failed attempt of a claimed delivery: attempts+1, last_error,
 * next_attempt_time = now + delay_ms; when attempts reaches max_attempts the
 * file moves to <dir>/dead/ instead (*dead set to 1).  Returns 0 or -1.
 */
int gate_outbox_failed(const char *dir, const struct gate_outbox_claim *c,
	struct gate_delivery *d, const char *error, long long now, long delay_ms,
	unsigned max_attempts, int *dead);

/*
 * Count deliveries per cluster in dir (pending) and dir/dead (dead): *out is
 * a new JSON object {cluster: {"pending": n, "dead": n, "accepted_refs": {ref:
 * {"pending": n, "dead": n}}}}.  Unreadable files are counted under "?".
 */
int gate_outbox_stats(const char *dir, json_t **out);

#endif
