/*
 * operate: what post-receive and the operate commands (notify, status,
 * rollback, rollforward, reconcile) share.  Command layer only: these read
 * the environment and print.
 *
 * Environment: GIT_DIR (the repository, else --git-dir or "."),
 * GATE_SCHEMA_DIR (config schemas outside the installed pkgdatadir),
 * GATE_SYSTEM_CONFIG (another system-wide config file, "" for none), the
 * pusher's identity (process.h), and for tests only GATE_TEST_CRASH_AT
 * (after-outbox | after-ref | after-journal | after-note: post-receive kills
 * itself with SIGKILL at that step).
 */
#ifndef GATE_OPERATE_H
#define GATE_OPERATE_H

#include <stddef.h>
#include <stdio.h>

#include "gate/accept.h"
#include "gate/config.h"
#include "gate/receivers.h"
#include "gate/record.h"
#include "gate/repo.h"

struct gate_op {
	struct gate_repo *repo;
	struct gate_config *cfg;
	struct gate_receivers rcv;
	struct gate_record *rec;
	const char *git_dir; /* borrowed from repo */
	const char *prefix;  /* accepted prefix, borrowed from cfg */
	char engine_id[256]; /* the build's identity (process.h) */
};

/*
 * Open the repository (git_dir NULL: from the hook environment), load its
 * configuration (config_path NULL: $GIT_DIR/gitops-gate.yaml) and set up the
 * record.  Returns 0 or -1 with msg.  Release with gate_op_close().
 */
int gate_op_open(struct gate_op *op, const char *git_dir, const char *config_path,
	char *msg, size_t msgsize);
void gate_op_close(struct gate_op *op);

/* Escape an untrusted string for a terminal line (new string). */
char *gate_op_esc(const char *s);

/*
 * Deliver outbox ids within budget_ms and print a line per delivery that
 * was not delivered (word: "warning" or "error") to f.  Counts go to the
 * out parameters (may be NULL).  Returns 0, or -1 when nothing could be sent.
 */
int gate_op_send(struct gate_op *op, char *const *ids, size_t n, long budget_ms, int only_due,
	FILE *f, const char *word, size_t *delivered, size_t *failed);

/* The accept setup of op for pusher (borrowed, must outlive s). */
void gate_op_accept_setup(struct gate_op *op, struct gate_accept_setup *s,
	const struct gate_pusher *pusher);

/* gate_accept_update() with op's setup, its lines written to f. */
int gate_op_accept_update(struct gate_op *op, const struct gate_ref_update *u,
	const struct gate_pusher *pusher, FILE *f, struct gate_accept_outcome *acc);

#endif
