/*
 * gitops-gate notify --test [--cluster NAME]: ask every receiver whether it
 * accepts our deliveries.  Sends one test push event per receiver (ref: the
 * accepted branch of the default branch; before = after = its commit, or
 * zeros before the first accepted push; no commits, so Argo CD refreshes the
 * repository's applications and Flux reconciles: harmless), signed as real
 * deliveries, and prints each answer.  Nothing is queued.  Exit 1 when a
 * receiver did not answer 2xx.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "gate/notify.h"
#include "gate/util.h"
#include "process.h"
#include "operate.h"

#define ZERO_HEX "0000000000000000000000000000000000000000"

int cmd_notify_test(const char *git_dir, const char *config, const char *cluster)
{
	struct gate_op op;
	struct gate_push_event ev;
	char msg[1024], hex[GIT_OID_HEXSZ + 1];
	char *aref = NULL, *sref = NULL, *e;
	git_oid oid;
	json_t *report = NULL, *o;
	size_t failed = 0, i, j, n = 0;
	int exists = 0;

	if (gate_op_open(&op, git_dir, config, msg, sizeof(msg)) < 0) {
		e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", e);
		free(e);
		gate_op_close(&op);
		return 1;
	}
	for (i = 0; i < op.rcv.nclusters; i++)
		if (!cluster || !strcmp(cluster, op.rcv.clusters[i].name))
			n++;
	if (!n) {
		fprintf(stderr, "error: %s%s%s\n", cluster ? "no cluster named \"" : "no clusters configured",
			cluster ? cluster : "", cluster ? "\"" : "");
		gate_op_close(&op);
		return 1;
	}
	sref = gate_xasprintf("refs/heads/%s", gate_record_default_branch(op.rec));
	aref = gate_xasprintf("%s%s", op.prefix, gate_record_default_branch(op.rec));
	if (gate_repo_ref_read(op.repo, aref, &oid, &exists) == 0 && exists)
		git_oid_tostr(hex, sizeof(hex), &oid);
	else
		snprintf(hex, sizeof(hex), "%s", ZERO_HEX);
	memset(&ev, 0, sizeof(ev));
	ev.event = "test";
	ev.source_ref = sref;
	ev.accepted_ref = aref;
	ev.before = hex;
	ev.after = hex;
	ev.pusher = gate_cli_pusher()->name;
	ev.default_branch = gate_record_default_branch(op.rec);
	ev.repo = gate_record_repo_config(op.rec);
	ev.diff_complete = 1;
	if (gate_notify_probe(&op.rcv, &ev, cluster, op.rcv.notify.timeout_ms, &report, &failed) < 0)
		fprintf(stderr, "error: cannot set up libcurl\n");
	printf("notify --test: a test push event for %s at %.12s to each receiver\n", aref, hex);
	json_array_foreach(report, j, o) {
		const char *err = json_string_value(json_object_get(o, "error"));
		const char *warn = json_string_value(json_object_get(o, "token_warning"));
		const char *answer = json_string_value(json_object_get(o, "answer"));
		json_int_t st = json_integer_value(json_object_get(o, "http_status"));
		int ok = !strcmp(json_string_value(json_object_get(o, "status")), "ok");

		e = gate_op_esc(json_string_value(json_object_get(o, "url")));
		if (ok)
			printf("ok: cluster \"%s\": %s (%s): HTTP %lld%s%s\n",
				json_string_value(json_object_get(o, "cluster")), e,
				json_string_value(json_object_get(o, "format")), (long long)st,
				answer && *answer ? ": " : "", answer ? answer : "");
		else
			printf("error: cluster \"%s\": %s (%s): %s\n",
				json_string_value(json_object_get(o, "cluster")), e,
				json_string_value(json_object_get(o, "format")), err ? err : "failed");
		if (warn && !ok)
			printf("hint: %s\n", warn);
		free(e);
	}
	printf("notify --test: %zu answered 2xx, %zu failed\n", json_array_size(report) - failed, failed);
	json_decref(report);
	free(aref);
	free(sref);
	gate_op_close(&op);
	return failed ? 1 : 0;
}
