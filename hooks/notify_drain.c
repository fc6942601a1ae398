/*
 * notify_drain: notify --drain over the whole outbox, with its due-time
 * index (outbox_due.c): a drain with nothing due reads one small file.
 */
#include "gate/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/outbox.h"
#include "gate/util.h"

#define DRAIN_BATCH 256

/* What a drain learns from its reports: the earliest due time, the bodies still named. */
struct seen {
	long long next;
	char **keep; /* digests of shared bodies queued deliveries name */
	size_t nkeep, akeep;
	int unknown; /* a delivery it could not read: keep every body */
};

static void note_due(const json_t *report, long long now, struct seen *sn)
{
	long long *next = &sn->next;
	size_t i;
	json_t *o;

	json_array_foreach(report, i, o) {
		const char *st = json_string_value(json_object_get(o, "status"));
		const char *sha = json_string_value(json_object_get(o, "body_shared"));
		long long t;

		if (!st || !strcmp(st, "delivered") || !strcmp(st, "dead"))
			continue;
		if (sha) {
			GATE_ALLOC_GROW(sn->keep, sn->nkeep + 1, sn->akeep);
			sn->keep[sn->nkeep++] = gate_xstrdup(sha);
		} else if (strcmp(st, "retry") && strcmp(st, "not-due")) {
			sn->unknown = 1; /* busy or unreadable: which body it names is not known */
		}
		if (json_is_integer(json_object_get(o, "next_attempt_time")))
			t = json_integer_value(json_object_get(o, "next_attempt_time"));
		else
			t = now; /* busy, or unreadable: look again next time */
		if (t < *next)
			*next = t;
	}
}

int gate_notify_drain(const char *dir, const struct gate_receivers *rcv, int all, size_t batch,
	long long now, gate_drain_report_fn fn, void *payload, struct gate_drain_result *res,
	char *msg, size_t msgsize)
{
	struct gate_outbox_scan scan;
	struct seen sn = { GATE_OUTBOX_NONE, NULL, 0, 0, 0 };
	char **ids = NULL;
	size_t n = 0, i, j;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	res->next_due = GATE_OUTBOX_NONE;
	if (!batch)
		batch = DRAIN_BATCH;
	if (gate_outbox_scan_begin(dir, now, gate_notify_max_wait_s(&rcv->notify), all, &scan,
		&res->next_due) == 0)
		return 0;
	res->scanned = 1;
	if (gate_outbox_list(dir, (size_t)-1, &ids, &n) < 0) {
		snprintf(msg, msgsize, "cannot list the outbox: %s", strerror(errno));
		return -1;
	}
	res->queued = n;
	for (i = 0; i < n; i += batch) {
		size_t m = n - i < batch ? n - i : batch;
		json_t *report = NULL, *o;

		if (gate_notify_deliver(dir, ids + i, m, rcv, rcv->notify.timeout_ms, !all, now,
			&report) < 0) {
			snprintf(msg, msgsize, "cannot set up libcurl");
			ret = -1;
		}
		note_due(report, now, &sn);
		json_array_foreach(report, j, o) {
			const char *st = json_string_value(json_object_get(o, "status"));
			if (!strcmp(st, "delivered"))
				res->delivered++;
			else if (strcmp(st, "busy") && strcmp(st, "not-due"))
				res->failed++;
		}
		if (fn)
			fn(report, payload);
		json_decref(report);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	/*
	 * Every delivery seen: the index now says when to look again; and when
	 * no delivery was queued meanwhile, bodies none of them names go once
	 * they are older than the grace (a second guard for one being queued).
	 */
	if (ret == 0 && gate_outbox_scan_end(dir, &scan, sn.next, now) == 1 && !sn.unknown)
		res->bodies_removed = gate_outbox_bodies_gc(dir, sn.keep, sn.nkeep, now,
			GATE_OUTBOX_BODY_GRACE);
	for (i = 0; i < sn.nkeep; i++)
		free(sn.keep[i]);
	free(sn.keep);
	res->next_due = sn.next;
	return ret;
}
