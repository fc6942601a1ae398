/*
 * The operate commands: notify --drain, status, rollback, rollforward,
 * reconcile; and the parts post-receive shares with them (operate.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "process.h"
#include "operate.h"
#include "gate/accept.h"
#include "gate/gate_log.h"
#include "gate/handoff.h"
#include "gate/journal.h"
#include "gate/judge.h"
#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/policy.h"
#include "gate/util.h"
#include "gate/verdicts.h"

#define SEND_BATCH 256
#define HANDOFF_STALE_SECONDS 60

/* ---- shared ---- */

char *gate_op_esc(const char *s)
{
	return gate_escape_dup(s, 512);
}

static void crash_step(void *payload, const char *step)
{
	const char *at = payload;

	if (at && !strcmp(at, step)) {
		fflush(stdout);
		fflush(stderr);
		raise(SIGKILL);
	}
}

int gate_op_open(struct gate_op *op, const char *git_dir, const char *config_path,
	char *msg, size_t msgsize)
{
	struct gate_config_load_opts lo;
	struct gate_record_opts ro;
	const char *schema_dir = getenv("GATE_SCHEMA_DIR"), *sys = GATE_CONFIG_SYSTEM_FILE;
	const char *env = getenv("GATE_SYSTEM_CONFIG");
	char *repo_cfg = NULL, err[512];

	memset(op, 0, sizeof(*op));
	{
		struct gate_receivers init = GATE_RECEIVERS_INIT;
		op->rcv = init;
	}
	if (!schema_dir || !*schema_dir)
		schema_dir = GATE_PKGDATADIR;
	if (env)
		sys = *env ? env : NULL;
	if (gate_repo_open(&op->repo, git_dir, msg, msgsize) < 0)
		return -1;
	op->git_dir = gate_repo_git_dir(op->repo);
	if (!config_path)
		config_path = repo_cfg = gate_xasprintf("%s/%s", op->git_dir, GATE_CONFIG_FILE);
	memset(&lo, 0, sizeof(lo));
	lo.system_required = sys && env;
	lo.repo_required = !repo_cfg;
	lo.system_path = sys;
	lo.repo_path = config_path;
	lo.schema_dir = schema_dir;
	lo.git_dir = op->git_dir;
	if (gate_config_load(&op->cfg, &lo, err, sizeof(err)) < 0) {
		snprintf(msg, msgsize, "configuration: %s", err);
		free(repo_cfg);
		return -1;
	}
	free(repo_cfg);
	op->prefix = gate_config_accepted_prefix(op->cfg);
	if (gate_receivers_parse(&op->rcv, gate_config_json(op->cfg), err, sizeof(err)) < 0) {
		snprintf(msg, msgsize, "configuration: %s", err);
		return -1;
	}
	memset(&ro, 0, sizeof(ro));
	ro.repo = op->repo;
	ro.git_dir = op->git_dir;
	ro.prefix = op->prefix;
	ro.rcv = &op->rcv;
	ro.step = crash_step;
	ro.step_payload = (void *)getenv("GATE_TEST_CRASH_AT");
	if (gate_record_new(&op->rec, &ro, msg, msgsize) < 0)
		return -1;
	gate_cli_engine_id(op->engine_id, sizeof(op->engine_id));
	return 0;
}

void gate_op_close(struct gate_op *op)
{
	gate_record_free(op->rec);
	gate_receivers_release(&op->rcv);
	gate_config_free(op->cfg);
	gate_repo_free(op->repo);
	memset(op, 0, sizeof(*op));
}

struct said {
	FILE *f;
	const char *word;
	size_t ok, bad;
};

/* gate_drain_report_fn: a line per delivery not delivered, counts into struct said */
static void say_report(const json_t *report, void *payload)
{
	struct said *s = payload;
	size_t j;
	json_t *o;

	json_array_foreach(report, j, o) {
		const char *st = json_string_value(json_object_get(o, "status"));
		const char *id = json_string_value(json_object_get(o, "id"));
		char *cl, *er;
		if (!strcmp(st, "delivered")) {
			s->ok++;
			continue;
		}
		if (!strcmp(st, "busy") || !strcmp(st, "not-due"))
			continue;
		s->bad++;
		cl = gate_op_esc(json_string_value(json_object_get(o, "cluster")));
		er = gate_op_esc(json_string_value(json_object_get(o, "error")));
		if (json_is_true(json_object_get(o, "removed")))
			fprintf(s->f, "%s: delivery %s to cluster \"%s\" moved to the dead letters, not sent: %s\n",
				s->word, id, cl, er);
		else if (!strcmp(st, "dead"))
			fprintf(s->f, "%s: delivery %s to cluster \"%s\" failed %lld times, moved to the dead letters: %s\n",
				s->word, id, cl, json_integer_value(json_object_get(o, "attempts")), er);
		else
			fprintf(s->f, "%s: delivery %s to cluster \"%s\" failed: %s: queued for retry (gitops-gate notify --drain)\n",
				s->word, id, cl, er);
		if (json_object_get(o, "token_warning"))
			fprintf(s->f, "hint: %s\n", json_string_value(json_object_get(o, "token_warning")));
		free(cl);
		free(er);
	}
}

int gate_op_send(struct gate_op *op, char *const *ids, size_t n, long budget_ms, int only_due,
	FILE *f, const char *word, size_t *delivered, size_t *failed)
{
	struct said s = { f, word, 0, 0 };
	size_t i;
	int ret = 0;

	for (i = 0; i < n; i += SEND_BATCH) {
		size_t m = n - i < SEND_BATCH ? n - i : SEND_BATCH;
		json_t *report = NULL;

		if (gate_notify_deliver(gate_record_outbox_dir(op->rec), ids + i, m, &op->rcv,
			budget_ms, only_due, (long long)time(NULL), &report) < 0)
			ret = -1;
		say_report(report, &s);
		json_decref(report);
	}
	if (delivered)
		*delivered = s.ok;
	if (failed)
		*failed = s.bad;
	return ret;
}

void gate_op_accept_setup(struct gate_op *op, struct gate_accept_setup *s,
	const struct gate_pusher *pusher)
{
	memset(s, 0, sizeof(*s));
	s->repo = op->repo;
	s->cfg = op->cfg;
	s->pusher = *pusher;
	s->engine_id = op->engine_id;
	s->catalog_dir = gate_cli_catalog_dir();
}

int gate_op_accept_update(struct gate_op *op, const struct gate_ref_update *u,
	const struct gate_pusher *pusher, FILE *f, struct gate_accept_outcome *acc)
{
	struct gate_accept_setup s;
	struct gate_buf b = GATE_BUF_INIT;
	int ret;

	gate_op_accept_setup(op, &s, pusher);
	ret = gate_accept_update(&s, op->rec, u, &b, acc);
	if (b.len)
		fwrite(b.ptr, 1, b.len, f);
	gate_buf_release(&b);
	return ret;
}

/* ---- command line helpers ---- */

struct opts {
	const char *git_dir, *config;
	int json, all, quiet;
	const char *args[4];
	int nargs;
};

static int parse_opts(int argc, char **argv, struct opts *o, const char *usage_text, int maxargs,
	const char *flags)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return 1;
		} else if (!strcmp(a, "--git-dir") && i + 1 < argc) {
			o->git_dir = argv[++i];
		} else if (!strncmp(a, "--git-dir=", 10)) {
			o->git_dir = a + 10;
		} else if (!strcmp(a, "--config") && i + 1 < argc) {
			o->config = argv[++i];
		} else if (strstr(flags, "j") && !strcmp(a, "--json")) {
			o->json = 1;
		} else if (strstr(flags, "d") && !strcmp(a, "--drain")) {
			/* the only mode */
		} else if (strstr(flags, "a") && !strcmp(a, "--all")) {
			o->all = 1;
		} else if (strstr(flags, "q") && !strcmp(a, "--quiet")) {
			o->quiet = 1;
		} else if (strstr(flags, "t") && !strcmp(a, "--test")) {
			/* notify --test */
		} else if (strstr(flags, "c") && !strcmp(a, "--cluster") && i + 1 < argc) {
			i++; /* read by cmd_notify */
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "error: unknown option '%s'\n", a);
			fputs(usage_text, stderr);
			return 2;
		} else if (o->nargs < maxargs) {
			o->args[o->nargs++] = a;
		} else {
			fprintf(stderr, "error: too many arguments\n");
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (!o->git_dir) {
		const char *e = getenv("GIT_DIR");
		o->git_dir = e && *e ? e : ".";
	}
	return 0;
}

static int open_or_say(struct gate_op *op, const struct opts *o)
{
	char msg[1024];

	if (gate_op_open(op, o->git_dir, o->config, msg, sizeof(msg)) < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", e);
		free(e);
		gate_op_close(op);
		return -1;
	}
	return 0;
}

static void free_ids(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* ---- notify --drain ---- */

static const char notify_usage[] =
	"usage: gitops-gate notify --drain [--all] [--quiet] [--git-dir DIR] [--config FILE]\n"
	"       gitops-gate notify --test [--cluster NAME] [--git-dir DIR] [--config FILE]\n"
	"\n"
	"--test: send a signed test push event (the accepted branch as it is, no commits) to\n"
	"every receiver (of cluster NAME) and print each answer; nothing is queued.\n"
	"\n"
	"Send the deliveries waiting in $GIT_DIR/gitops-gate/outbox whose retry time has come\n"
	"(--all: every one now), in parallel, each within notify.timeout_ms.  Delivered ones\n"
	"are removed; failed ones are retried later with exponential backoff and jitter, and\n"
	"after notify.max_attempts moved to outbox/dead/.  Exit 1 when some failed.\n"
	"\n"
	"Run it regularly, e.g. from cron:\n"
	"  * * * * * git cd /srv/git/fleet.git && gitops-gate notify --drain --quiet\n"
	"or a systemd timer (OnUnitActiveSec=30s) starting a oneshot service with\n"
	"  ExecStart=/usr/bin/gitops-gate notify --drain --quiet --git-dir /srv/git/fleet.git\n";

/* What a drain the index spared says: when the next delivery is due. */
static void print_not_due(long long due)
{
	char when[64];
	time_t t = (time_t)due;
	struct tm tm;

	if (due == GATE_OUTBOX_NONE) {
		printf("notify: nothing queued (outbox index)\n");
		return;
	}
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "%lld", due);
	printf("notify: nothing due before %s (outbox index)\n", when);
}

int cmd_notify(int argc, char **argv)
{
	struct gate_op op;
	struct opts o;
	struct said s = { stderr, "warning", 0, 0 };
	struct gate_drain_result res;
	char msg[512];
	int rc, i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--test")) {
			const char *cluster = NULL;
			for (i = 1; i + 1 < argc; i++)
				if (!strcmp(argv[i], "--cluster"))
					cluster = argv[i + 1];
			rc = parse_opts(argc, argv, &o, notify_usage, 0, "tc");
			return rc ? (rc == 1 ? 0 : 2) : cmd_notify_test(o.git_dir, o.config, cluster);
		}
	rc = parse_opts(argc, argv, &o, notify_usage, 0, "daq");
	if (rc)
		return rc == 1 ? 0 : 2;
	if (open_or_say(&op, &o) < 0)
		return 1;
	rc = gate_notify_drain(gate_record_outbox_dir(op.rec), &op.rcv, o.all, SEND_BATCH,
		(long long)time(NULL), say_report, &s, &res, msg, sizeof(msg));
	if (rc < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", e);
		free(e);
	}
	if (!res.scanned && !o.quiet)
		print_not_due(res.next_due);
	else if (res.scanned && (!o.quiet || s.bad))
		printf("notify: %zu delivered, %zu failed, %zu waiting in the outbox before this run\n",
			s.ok, s.bad, res.queued);
	gate_op_close(&op);
	return rc < 0 || s.bad ? 1 : 0;
}

/* ---- status ---- */

static const char status_usage[] =
	"usage: gitops-gate status [--json] [--git-dir DIR] [--config FILE]\n"
	"\n"
	"Per accepted ref: the desired revision, when and by whom it was accepted, and per\n"
	"cluster the deliveries pending and dead.\n";

static void add_name(json_t *names, const char *s)
{
	size_t i;
	json_t *v;

	if (!s)
		return;
	json_array_foreach(names, i, v)
		if (!strcmp(json_string_value(v), s))
			return;
	json_array_append_new(names, json_string(s));
}

/* The status of one accepted ref (new reference): the log's state (st, may be NULL), the ref, the outbox. */
static json_t *status_of_ref(struct gate_op *op, const char *aref, const json_t *st, json_t *stats)
{
	size_t j;
	json_t *r = json_object(), *clusters = json_object();
	const char *target = json_string_value(json_object_get(st, "target"));
	git_oid id;
	int exists = 0;
	char hex[GIT_OID_HEXSZ + 1] = "";

	if (gate_repo_ref_read(op->repo, aref, &id, &exists) == 0 && exists)
		git_oid_tostr(hex, sizeof(hex), &id);
	json_object_set(r, "ref", json_object_get(st, "ref") ? json_object_get(st, "ref") : json_null());
	json_object_set_new(r, "accepted_ref", json_string(aref));
	json_object_set_new(r, "commit", hex[0] ? json_string(hex) : json_null());
	json_object_set(r, "event", target && json_object_get(st, "event") ? json_object_get(st, "event") : json_null());
	json_object_set(r, "time", target && json_object_get(st, "time") ? json_object_get(st, "time") : json_null());
	json_object_set(r, "pusher", target && json_object_get(st, "pusher") ? json_object_get(st, "pusher") : json_null());
	json_object_set(r, "bypass", target && json_object_get(st, "bypass") ? json_object_get(st, "bypass") : json_null());
	json_object_set(r, "newest_accepted", json_object_get(st, "newest") ? json_object_get(st, "newest") : json_null());
	json_object_set_new(r, "in_sync", json_boolean(target && hex[0] && !strcmp(target, hex)));
	for (j = 0; j < op->rcv.nclusters; j++) {
		const struct gate_cluster *c = &op->rcv.clusters[j];
		const char *src = json_string_value(json_object_get(st, "ref"));
		if (gate_cluster_wants_ref(c, src, aref))
			json_object_set_new(clusters, c->name, json_pack("{s:i,s:i}", "pending", 0, "dead", 0));
	}
	{
		const char *cname;
		json_t *cs;
		json_object_foreach(stats, cname, cs) {
			json_t *per = json_object_get(json_object_get(cs, "accepted_refs"), aref);
			if (per)
				json_object_set(clusters, cname, per);
		}
	}
	json_object_set_new(r, "clusters", clusters);
	return r;
}

int cmd_status(int argc, char **argv)
{
	struct gate_op op;
	struct opts o;
	json_t *state = NULL, *stats = NULL, *names, *out, *refs, *v;
	char msg[1024] = "", **anames = NULL;
	const char *key;
	size_t i, nanames = 0;
	int from_log = 0, rc = parse_opts(argc, argv, &o, status_usage, 0, "j");

	if (rc)
		return rc == 1 ? 0 : 2;
	if (open_or_say(&op, &o) < 0)
		return 1;
	if (gate_record_state(op.rec, &state, &from_log, msg, sizeof(msg)) < 0 ||
	    gate_outbox_stats(gate_record_outbox_dir(op.rec), &stats) < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", state ? "cannot read the outbox" : e);
		free(e);
		json_decref(state);
		gate_op_close(&op);
		return 1;
	}
	names = json_array();
	if (gate_repo_ref_names(op.repo, op.prefix, &anames, &nanames) == 0) {
		for (i = 0; i < nanames; i++) {
			add_name(names, anames[i]);
			free(anames[i]);
		}
		free(anames);
	}
	json_object_foreach(state, key, v)
		add_name(names, key);
	refs = json_array();
	json_array_foreach(names, i, v)
		json_array_append_new(refs, status_of_ref(&op, json_string_value(v),
			json_object_get(state, json_string_value(v)), stats));
	out = json_object();
	json_object_set_new(out, "refs", refs);
	json_object_set_new(out, "source", json_string(from_log ? GATE_LOG_REF : "journal"));
	{
		const char *cname;
		json_t *cs, *tot = json_object();
		json_object_foreach(stats, cname, cs)
			json_object_set_new(tot, cname, json_pack("{s:O,s:O}", "pending",
				json_object_get(cs, "pending"), "dead", json_object_get(cs, "dead")));
		json_object_set_new(out, "outbox", tot);
	}
	if (o.json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			puts(text);
		free(text);
	} else {
		json_array_foreach(refs, i, v) {
			const char *cname;
			json_t *cs;
			char *e1 = gate_op_esc(json_string_value(json_object_get(v, "ref")));
			char *e2 = gate_op_esc(json_string_value(json_object_get(v, "accepted_ref")));
			char *e3 = gate_op_esc(json_string_value(json_object_get(v, "pusher")));
			printf("%s -> %s\n", e1[0] ? e1 : "(unknown ref)", e2);
			printf("  desired revision: %s\n", json_string_value(json_object_get(v, "commit")) ?
				json_string_value(json_object_get(v, "commit")) : "(none)");
			if (json_string_value(json_object_get(v, "time")))
				printf("  %s %s by %s\n", json_string_value(json_object_get(v, "event")),
					json_string_value(json_object_get(v, "time")), e3[0] ? e3 : "(unknown)");
			if (!json_is_true(json_object_get(v, "in_sync")))
				printf("  warning: the accepted ref and the gate log disagree: run gitops-gate reconcile\n");
			json_object_foreach(json_object_get(v, "clusters"), cname, cs)
				printf("  cluster %s: %lld pending, %lld dead\n", cname,
					json_integer_value(json_object_get(cs, "pending")),
					json_integer_value(json_object_get(cs, "dead")));
			free(e1);
			free(e2);
			free(e3);
		}
		if (json_array_size(refs) == 0)
			printf("no accepted revision recorded yet\n");
	}
	json_decref(out);
	json_decref(names);
	json_decref(state);
	json_decref(stats);
	gate_op_close(&op);
	return 0;
}

/* ---- rollback / rollforward ---- */

/* REF as given (main, refs/heads/main, or the accepted ref) -> the source ref. */
static char *source_ref(const char *prefix, const char *ref)
{
	size_t plen = strlen(prefix);

	if (!strncmp(ref, prefix, plen))
		return gate_xasprintf("refs/heads/%s", ref + plen);
	if (!strncmp(ref, "refs/", 5))
		return gate_xstrdup(ref);
	return gate_xasprintf("refs/heads/%s", ref);
}

static int move_to(struct gate_op *op, const char *event, const char *src, const char *target_hex)
{
	struct gate_record_outcome out = GATE_RECORD_OUTCOME_INIT;
	struct gate_record_event ev;
	char msg[1024];
	size_t ok = 0, bad = 0;
	int ret = 0;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.ref = src;
	ev.target_hex = target_hex;
	ev.pusher = gate_cli_pusher()->name;
	ev.force = 1;
	if (gate_record_apply(op->rec, &ev, &out, msg, sizeof(msg)) < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", e);
		free(e);
		gate_record_outcome_release(&out);
		return 1;
	}
	if (out.warning[0])
		fprintf(stderr, "warning: %s\n", out.warning);
	if (!out.moved) {
		printf("%s already at %.12s\n", out.accepted_ref, target_hex);
	} else {
		printf("%s: %s moved from %.12s to %.12s (%zu notification%s queued)\n", event,
			out.accepted_ref, out.previous[0] ? out.previous : "(none)", target_hex,
			out.ndeliveries, out.ndeliveries == 1 ? "" : "s");
		if (gate_op_send(op, out.deliveries, out.ndeliveries, op->rcv.notify.budget_ms, 0, stderr,
			"warning", &ok, &bad) < 0)
			ret = 1;
		if (out.ndeliveries)
			printf("notify: %zu delivered, %zu queued for retry\n", ok, bad);
	}
	gate_record_outcome_release(&out);
	return ret;
}

static const char rollback_usage[] =
	"usage: gitops-gate rollback REF COMMIT [--git-dir DIR] [--config FILE]\n"
	"\n"
	"Move the accepted ref of REF (main, refs/heads/main) back to COMMIT, which must have been\n"
	"accepted for REF before (one lookup in the gate log), record it and notify the clusters.\n";

int cmd_rollback(int argc, char **argv)
{
	struct gate_op op;
	struct opts o;
	git_oid target;
	char msg[1024], hex[GIT_OID_HEXSZ + 1];
	char *src = NULL, *aref = NULL, *e;
	int acc, rc = parse_opts(argc, argv, &o, rollback_usage, 2, "");

	if (rc)
		return rc == 1 ? 0 : 2;
	if (o.nargs != 2) {
		fputs(rollback_usage, stderr);
		return 2;
	}
	if (open_or_say(&op, &o) < 0)
		return 1;
	rc = 1;
	src = source_ref(op.prefix, o.args[0]);
	aref = gate_record_accepted_ref(op.prefix, src);
	if (gate_repo_revparse_commit(op.repo, o.args[1], &target) < 0) {
		e = gate_op_esc(o.args[1]);
		fprintf(stderr, "error: \"%s\" is not a commit of this repository\n", e);
		free(e);
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &target);
	if ((acc = gate_record_is_accepted(op.rec, aref, hex, msg, sizeof(msg))) < 0) {
		e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", e);
		free(e);
		goto done;
	}
	if (!acc) {
		e = gate_op_esc(src);
		fprintf(stderr, "error: %.12s was never accepted for %s: refusing to roll back to it\n", hex, e);
		fprintf(stderr, "hint: gitops-gate status lists the accepted refs; the record is %s "
			"(git log --first-parent %s)\n", GATE_LOG_REF, GATE_LOG_REF);
		free(e);
		goto done;
	}
	rc = move_to(&op, "rollback", src, hex);
done:
	free(src);
	free(aref);
	gate_op_close(&op);
	return rc;
}

static const char rollforward_usage[] =
	"usage: gitops-gate rollforward REF [--git-dir DIR] [--config FILE]\n"
	"\n"
	"Move the accepted ref of REF to the newest commit the gate log records as accepted for it.\n";

int cmd_rollforward(int argc, char **argv)
{
	struct gate_op op;
	struct opts o;
	json_t *state = NULL;
	const char *newest;
	char msg[1024], *src, *aref, *e;
	int from_log, rc = parse_opts(argc, argv, &o, rollforward_usage, 1, "");

	if (rc)
		return rc == 1 ? 0 : 2;
	if (o.nargs != 1) {
		fputs(rollforward_usage, stderr);
		return 2;
	}
	if (open_or_say(&op, &o) < 0)
		return 1;
	src = source_ref(op.prefix, o.args[0]);
	aref = gate_record_accepted_ref(op.prefix, src);
	rc = 1;
	if (gate_record_state(op.rec, &state, &from_log, msg, sizeof(msg)) < 0) {
		e = gate_op_esc(msg);
		fprintf(stderr, "error: %s\n", e);
		free(e);
		goto done;
	}
	newest = json_string_value(json_object_get(json_object_get(state, aref), "newest"));
	if (!newest) {
		e = gate_op_esc(src);
		fprintf(stderr, "error: the record holds no accepted revision for %s\n", e);
		free(e);
		goto done;
	}
	rc = move_to(&op, "rollforward", src, newest);
done:
	json_decref(state);
	free(src);
	free(aref);
	gate_op_close(&op);
	return rc;
}

/* ---- reconcile ---- */

static const char reconcile_usage[] =
	"usage: gitops-gate reconcile [--json] [--git-dir DIR] [--config FILE]\n"
	"\n"
	"Repair the record after a crash: finish events left half-done (accepted ref, journal,\n"
	"note), record accepted refs that moved without a journal line, restore ones the journal\n"
	"contradicts, and record pushes whose post-receive never ran (their pre-receive verdicts\n"
	"are still waiting).  Queued notifications stay in the outbox: run notify --drain next.\n";

/* Hand-overs whose post-receive never ran. */
static int reconcile_handoffs(struct gate_op *op, json_t *report)
{
	char *dir = gate_xasprintf("%s/%s", op->git_dir, GATE_HANDOFF_DIR);
	DIR *dh = opendir(dir);
	struct dirent *de;
	char msg[1024];
	int ret = 0;

	if (!dh) {
		free(dir);
		return 0;
	}
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char *path, *text = NULL;
		const char *ref, *old_hex, *new_hex;
		json_t *h;
		json_error_t je;
		struct stat st;
		git_oid cur, want, old;
		int fresh, recorded, current = 0, exists = 0, in_flight = 0;

		if (len != 64 + 5 || strcmp(de->d_name + 64, ".json"))
			continue;
		path = gate_xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || gate_read_file(path, 1u << 20, &text, &len) < 0) {
			free(path);
			continue;
		}
		fresh = time(NULL) - st.st_mtime < HANDOFF_STALE_SECONDS;
		h = json_loadb(text, len, 0, &je);
		free(text);
		ref = json_string_value(json_object_get(h, "ref"));
		old_hex = json_string_value(json_object_get(h, "old"));
		new_hex = json_string_value(json_object_get(h, "new"));
		if (!ref || !old_hex || !new_hex || git_oid_fromstr(&want, new_hex) < 0) {
			json_decref(h);
			free(path);
			continue;
		}
		if ((recorded = gate_record_push_recorded(op->rec, ref, old_hex, new_hex, msg, sizeof(msg))) < 0) {
			ret = -1;
			json_decref(h);
			free(path);
			continue;
		}
		if (recorded) {
			gate_handoff_remove(op->git_dir, ref, old_hex, new_hex);
			json_decref(h);
			free(path);
			continue;
		}
		if (gate_repo_ref_read(op->repo, ref, &cur, &exists) == 0 && exists)
			current = gate_repo_descends(op->repo, &cur, &want, NULL, 0) == 1;
		/*
		 * receive-pack updates a ref only from the old value pre-receive saw:
		 * while the ref still holds it the push may be in flight; otherwise a
		 * hand-over whose commit the ref does not hold lost the race for good
		 */
		if (git_oid_fromstr(&old, old_hex) == 0)
			in_flight = exists ? git_oid_equal(&cur, &old) : git_oid_is_zero(&old);
		if (current) {
			struct gate_accept_outcome acc;
			struct gate_ref_update u;
			/* the pusher's groups are not kept in the hand-over: its verdict is used as is */
			struct gate_pusher pusher = { json_string_value(json_object_get(h, "pusher")), NULL, 0 };
			if (!pusher.name)
				pusher.name = "";
			memset(&acc, 0, sizeof(acc));
			if (gate_ref_update_init(&u, op->repo, ref, old_hex, new_hex) < 0 ||
			    gate_op_accept_update(op, &u, &pusher, stdout, &acc) < 0)
				ret = -1;
			gate_ref_update_release(&u);
			json_array_append_new(report, json_pack("{s:s,s:s,s:s,s:s}", "action",
				acc.recorded ? "recorded-push" : "push-not-recorded", "accepted_ref", ref,
				"target", new_hex, "detail", "post-receive had not run"));
			free_ids(acc.ids, acc.nids);
		} else if (!fresh || !in_flight) {
			gate_handoff_remove(op->git_dir, ref, old_hex, new_hex);
			json_array_append_new(report, json_pack("{s:s,s:s,s:s,s:s}", "action", "dropped",
				"accepted_ref", ref, "target", new_hex,
				"detail", fresh ? "pre-receive verdict of a push that lost the race for its ref" :
				"stale pre-receive verdict: the ref never took this update"));
		}
		json_decref(h);
		free(path);
	}
	closedir(dh);
	free(dir);
	return ret;
}

int cmd_reconcile(int argc, char **argv)
{
	struct gate_op op;
	struct opts o;
	json_t *report = NULL, *v;
	char msg[1024];
	size_t i, pending = 0;
	char **ids = NULL;
	int rc = parse_opts(argc, argv, &o, reconcile_usage, 0, "j");

	if (rc)
		return rc == 1 ? 0 : 2;
	if (open_or_say(&op, &o) < 0)
		return 1;
	rc = 0;
	/* one gate lock over both passes: no post-receive is half-way through a record meanwhile */
	if (gate_record_lock(op.rec, msg, sizeof(msg)) < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "error: reconcile: %s\n", e);
		free(e);
		gate_op_close(&op);
		return 1;
	}
	if (gate_record_reconcile(op.rec, &report, msg, sizeof(msg)) < 0) {
		char *e = gate_op_esc(msg);
		fprintf(stderr, "error: reconcile: %s\n", e);
		free(e);
		rc = 1;
	}
	if (reconcile_handoffs(&op, report) < 0)
		rc = 1;
	gate_record_unlock(op.rec);
	gate_outbox_list(gate_record_outbox_dir(op.rec), (size_t)-1, &ids, &pending);
	free_ids(ids, pending);
	if (o.json) {
		json_t *out = json_pack("{s:O,s:i}", "actions", report, "outbox_pending", (json_int_t)pending);
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			puts(text);
		free(text);
		json_decref(out);
	} else {
		json_array_foreach(report, i, v) {
			char *a = gate_op_esc(json_string_value(json_object_get(v, "accepted_ref")));
			char *d = gate_op_esc(json_string_value(json_object_get(v, "detail")));
			printf("reconcile: %s %s %.12s: %s\n", json_string_value(json_object_get(v, "action")),
				a, json_string_value(json_object_get(v, "target")) ?
					json_string_value(json_object_get(v, "target")) : "-", d);
			free(a);
			free(d);
		}
		if (json_array_size(report) == 0)
			printf("reconcile: the record is consistent\n");
		if (pending)
			printf("hint: %zu deliveries wait in the outbox: run gitops-gate notify --drain\n", pending);
	}
	json_decref(report);
	gate_op_close(&op);
	return rc;
}
