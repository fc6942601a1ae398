/*
 * record_int: what record.c (the crash-safe record) and record_notify.c (the
 * deliveries of an accepted update) share.  Private to hooks/record*.c.
 */
#ifndef GATE_RECORD_INT_H
#define GATE_RECORD_INT_H

#include <stddef.h>
#include <git2.h>

#include "gate/notify.h"
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
 * at once (gate_outbox_put_many); their ids go to out.  0 or -1 with msg.
 */
int gate_record_queue_deliveries(struct gate_record *r, const struct gate_record_event *ev,
	const char *aref, const git_oid *prev, const git_oid *target, struct gate_record_outcome *out,
	char *msg, size_t msgsize);

#endif
