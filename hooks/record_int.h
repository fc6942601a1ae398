/*
 * record_int: what record.c (the crash-safe record) and record_notify.c (the
 * deliveries of an accepted update) share.  Private to hooks/record*.c.
 */
#ifndef GATE_RECORD_INT_H
#define GATE_RECORD_INT_H

#include <stddef.h>
#include <git2.h>

#include "gate/gate_log.h"
#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/record.h"
#include "gate/repo.h"

#define ZERO_HEX "0000000000000000000000000000000000000000"

struct gate_record {
	struct gate_repo *grepo;
	char *git_dir, *prefix, *state_dir, *journal, *outbox, *pending;
	const struct gate_receivers *rcv;
	struct gate_notify_config repo_cfg; /* strings borrowed from rcv or from owned below */
	char *own_name, *own_url, *own_clone_url, *default_branch;
	gate_record_step_fn step;
	void *step_payload;
	int lock_fd, lock_depth; /* the gate lock (record_lock.c) */
};

struct strv {
	char **v;
	size_t n, alloc;
};
#define STRV_INIT { NULL, 0, 0 }

void gate_record_strv_add(struct strv *s, const char *p);
void gate_record_strv_clear(struct strv *s);
/* A message into msg; returns -1. */
int gate_record_fail(char *msg, size_t msgsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "what: <libgit2's last error>" into msg; returns -1. */
int gate_record_git_fail(char *msg, size_t msgsize, const char *what);

/*
 * Queue one delivery per receiver of every cluster concerned by ev moving
 * aref from prev (NULL: new) to target: the bodies, then every outbox file
 * at once (gate_outbox_put_many); their ids go to out.  Each id is derived
 * from intent_id and the receiver, so a retry writes the same files.
 * 0 or -1 with msg.
 */
int gate_record_queue_deliveries(struct gate_record *r, const struct gate_record_event *ev,
	const char *intent_id, const char *aref, const git_oid *prev, const git_oid *target,
	struct gate_record_outcome *out, char *msg, size_t msgsize);

/* The step hook (tests: crash at a named step). */
void gate_record_step(struct gate_record *r, const char *name);
/* The string at key of o (borrowed) or NULL. */
const char *gate_record_jstr(const json_t *o, const char *key);
/* The intent id of ev (derived for a push, else random).  0 or -1 (errno). */
int gate_record_intent_id(const struct gate_record_event *ev, char id[GATE_OUTBOX_ID_LEN + 1]);
/* gate_record_apply with the gate lock held and aref, target checked. */
int gate_record_apply_locked(struct gate_record *r, const struct gate_record_event *ev,
	const char *aref, const git_oid *target, struct gate_record_outcome *out, char *msg,
	size_t msgsize);

/*
 * record_view.c.  gate_record_log_open: the log's head into h; a repository
 * without a log gets its first commit ("seed": state and index from the
 * journal of earlier versions, once).  gate_record_forward_ref: the accepted
 * ref brought to what the log says (forward only, or a forced event's
 * completion); anything else is reported (report may be NULL).
 * gate_record_sync_views: the note and journal line of every log entry the
 * journal does not have yet (the journal's last "seq" is the cursor);
 * a failure goes into warning and stops (the next call resumes).
 * All under the gate lock; 0 or -1 with msg.
 */
int gate_record_log_open(struct gate_record *r, struct gate_log_head *h, char *msg, size_t msgsize);
int gate_record_forward_ref(struct gate_record *r, const struct gate_log_head *h, const char *aref,
	json_t *report, char *msg, size_t msgsize);
int gate_record_sync_views(struct gate_record *r, const struct gate_log_head *h, char *warning,
	size_t wsize);
/* One action of reconcile into report. */
void gate_record_report(json_t *report, const char *action, const char *aref, const char *target,
	const char *detail);

#endif
