/*
 * gitops-gate hook post-receive: record each accepted update of a gated ref
 * (accepted ref, journal, note; see record.h) and notify the clusters it
 * concerns (outbox first, then libcurl within notify.budget_ms).
 *
 * post-receive cannot reject: git has already updated the refs.  Every
 * failure is a "warning:" line (relayed to the pusher as "remote:") and is
 * left for `gitops-gate reconcile` and `gitops-gate notify --drain`.  The
 * exit status is 0 unless the hook could not even start.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "process.h"
#include "gate/check.h"
#include "gate/config.h"
#include "operate.h"
#include "gate/handoff.h"
#include "gate/judge.h"
#include "gate/util.h"

#define GATE_HANDOFF_STALE_SECONDS 3600 /* an hour: older hand-overs are stale */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * What is left of notify.budget_ms for sending, counted from the hook's
 * start, keeping back time to record the failed attempts (rewriting as many
 * outbox files as were just written: as long as recording took, at least 5
 * ms a delivery) and 150 ms for the rest (the process's start before `start`,
 * clean-up, exit), so that the whole hook returns within its budget.
 */
static long send_budget(long budget, long long start, size_t n, long long record_ms)
{
	long long keep = 5 * (long long)n > record_ms ? 5 * (long long)n : record_ms;
	long long left = budget - (now_ms() - start) - 150 - keep;

	if (left < 100)
		left = 100;
	return left > budget ? budget : (long)left;
}

/*
 * What check-config finds wrong (a token file missing, a directory or
 * readable by others, ...): post-receive cannot refuse, so it says so and
 * records anyway; the deliveries wait in the outbox until the file is fixed.
 */
static void warn_config(struct gate_op *op)
{
	struct gate_check_report rep = GATE_CHECK_REPORT_INIT;
	size_t k;

	if (!gate_check_files(gate_config_repo_path(op->cfg), gate_config_system_path(op->cfg),
			gate_config_json(op->cfg), NULL, &rep)) {
		gate_check_report_release(&rep);
		return;
	}
	for (k = 0; k < rep.n; k++) {
		const struct gate_check_finding *f = &rep.v[k];
		char *e;
		if (f->level[0] != 'e')
			continue;
		e = gate_op_esc(f->message);
		fprintf(stderr, "warning: gitops-gate post-receive: configuration: %s%s%.0u%s%s%s%s%s\n",
			f->file ? f->file : "", f->file ? ":" : "", f->line, f->line ? ":" : "",
			f->key ? " " : "", f->key ? f->key : "", f->key ? ": " : " ", e);
		free(e);
	}
	fprintf(stderr, "hint: recorded anyway; fix the configuration (gitops-gate check-config), "
		"then gitops-gate notify --drain\n");
	gate_check_report_release(&rep);
}

int gate_post_receive_main(int argc, char **argv)
{
	long long start = now_ms(), record_start;
	struct gate_op op;
	struct gate_ref_update *u = NULL;
	char msg[1024], *input = NULL, **ids = NULL;
	const char *config = NULL;
	size_t len = 0, n = 0, i, nids = 0, alloc = 0, ok = 0, bad = 0;
	int opened;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < (size_t)argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: gitops-gate hook post-receive [--config FILE]\n"
				"reads \"<old> <new> <ref>\" lines on stdin, as git runs it\n");
			return 0;
		} else {
			fprintf(stderr, "warning: gitops-gate post-receive: unknown argument\n");
			return 1;
		}
	}
	if (gate_cli_read_stdin(GATE_CLI_MAX_STDIN, &input, &len) < 0) {
		fprintf(stderr, "warning: gitops-gate post-receive cannot read its input: %s\n",
			strerror(errno));
		return 1;
	}
	opened = gate_op_open(&op, NULL, config, msg, sizeof(msg)) == 0;
	if (!opened) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "warning: gitops-gate post-receive: %s: nothing recorded or notified\n", e);
		fprintf(stderr, "hint: fix it, then run gitops-gate reconcile and gitops-gate notify --drain on the server\n");
		free(e);
		gate_op_close(&op);
		free(input);
		return 0;
	}
	warn_config(&op);
	if (gate_ref_updates_parse(op.repo, input, len, &u, &n, msg, sizeof(msg)) < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "warning: gitops-gate post-receive: %s\n", e);
		free(e);
		goto done;
	}
	record_start = now_ms();
	for (i = 0; i < n; i++) {
		struct gate_accept_outcome acc;
		size_t k;

		if (u[i].new_zero)
			continue;
		gate_op_accept_update(&op, &u[i], gate_cli_pusher(), stderr, &acc);
		for (k = 0; k < acc.nids; k++) {
			GATE_ALLOC_GROW(ids, nids + 1, alloc);
			ids[nids++] = acc.ids[k];
		}
		free(acc.ids);
	}
	if (nids) {
		gate_op_send(&op, ids, nids, send_budget(op.rcv.notify.budget_ms, start, nids,
			now_ms() - record_start), 0, stderr, "warning", &ok, &bad);
		if (bad)
			fprintf(stderr, "hint: %zu of %zu notifications wait in the outbox for gitops-gate notify --drain\n",
				bad, nids);
	}
	/* hand-overs of pushes whose ref update lost a race are never consumed */
	if (gate_handoff_prune(op.git_dir, time(NULL), GATE_HANDOFF_STALE_SECONDS) < 0)
		fprintf(stderr, "warning: gitops-gate post-receive: cannot clean up old hand-over files\n");
done:
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	gate_ref_updates_free(u, n);
	gate_op_close(&op);
	free(input);
	return 0;
}
