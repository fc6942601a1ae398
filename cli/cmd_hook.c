/*
 * gitops-gate hook pre-receive: the gatekeeper.  Reads every ref update from
 * stdin, judges the push and exits 0 only after a complete evaluation with
 * nothing refused.  Everything it says goes to stderr, which git relays to
 * the pusher as "remote:" lines.
 *
 * This is the one place of the hook that reads the environment: the pusher's
 * identity, push options, GitLab's GL_ID, GATE_SCHEMA_DIR (config schemas
 * outside the installed pkgdatadir), GATE_SYSTEM_CONFIG (another system-wide
 * file, "" for none), GATE_TIMING (print the hook's own time, the blobs read
 * from the object database, the reads the blob memo answered, and the facts
 * index's counts), GATE_NO_FACTS_INDEX (judge without the blob-facts
 * index), GATE_NO_SHARING (read and parse again what one part of the push
 * already read: no blob memo, no parse cache between renders), GATE_SERIAL_ROOTS
 * (build the deployment roots one after the other, not in the judge's
 * threads; these three for tests comparing verdicts with and without) and
 * GATE_TEST_STOP_AFTER_FILES=N and GATE_TEST_STOP_AFTER_ROOTS=N (tests of the
 * time budget: judging stops as out of time after N files, or N deployment
 * roots, were started, at a count instead of a time).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "gate/accept.h"
#include "gate/check.h"
#include "gate/config.h"
#include "gate/facts_index.h"
#include "gate/handoff.h"
#include "gate/judge.h"
#include "gate/push_options.h"
#include "gate/push_report.h"
#include "gate/repo.h"
#include "gate/report.h"
#include "gate/util.h"
#include "gate/verdicts.h"
#include "process.h"

#define INLINE_CACHE_WRITES 64 /* more verdict records are written after answering */

static volatile sig_atomic_t budget_ms_for_alarm = 4000;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gitops-gate hook pre-receive [--config FILE] [--system-config FILE]\n"
		"       gitops-gate hook post-receive [--config FILE]\n"
		"       gitops-gate hook cache-check [GIT_DIR]\n"
		"\n"
		"pre-receive reads \"<old> <new> <ref>\" lines on stdin, as git runs it.\n"
		"  --config FILE         the repository config (default $GIT_DIR/gitops-gate.yaml)\n"
		"  --system-config FILE  the system-wide config (default /etc/gitops-gate/config.yaml)\n"
		"cache-check verifies every verdict cache record of a repository.\n");
}

/* The hard backstop: past the budget (plus a margin) nothing may hang the push. */
static void on_alarm(int sig)
{
	char m[160];
	int n;

	(void)sig;
	n = snprintf(m, sizeof(m), "error: gitops-gate ran out of its time budget (%ld ms)\n"
		"error: push rejected\n", (long)budget_ms_for_alarm);
	if (n > 0)
		(void)!write(2, m, (size_t)n);
	_exit(1);
}

static void arm_alarm(long budget_ms)
{
	struct sigaction sa;

	budget_ms_for_alarm = budget_ms;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)((budget_ms + 1999) / 1000));
}


/* The reason of -o gitops-gate.bypass=<reason>, or NULL (git's push options from the environment). */
static const char *bypass_option(void)
{
	static const char *opts[GATE_PUSH_OPTIONS_MAX];
	size_t n, i;

	if (gate_push_option_count(getenv("GIT_PUSH_OPTION_COUNT"), &n) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		char name[48];
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%zu", i);
		opts[i] = getenv(name);
	}
	return gate_push_option_bypass(opts, n);
}

/* Where the hook's time went, for GATE_TIMING. */
struct phases {
	int64_t last;
	struct gate_buf b;
};

static void phase(struct phases *ph, const char *name)
{
	int64_t now = gate_judge_now_ms();

	gate_buf_addf(&ph->b, "%s%s %lld", ph->b.len ? ", " : "", name, (long long)(now - ph->last));
	ph->last = now;
}

/* What the hook says, written to stderr at the end. */
struct out {
	struct gate_buf b;
	const char *gl;     /* "GL-HOOK-ERR: " on GitLab, else "" */
};

static void phase_cb(void *payload, const char *stage)
{
	phase(payload, stage);
}

static int write_handoffs(struct out *o, const char *git_dir, const struct gate_verdict *v,
	const struct gate_handoff_meta *m)
{
	char msg[512];
	size_t i;

	for (i = 0; i < v->nrefs; i++) {
		if (gate_handoff_write(git_dir, &v->refs[i], m, msg, sizeof(msg)) < 0) {
			char *e = gate_escape_dup(msg, GATE_PUSH_REPORT_ESC_MAX);
			gate_push_report_say(&o->b, o->gl, "error", "gitops-gate cannot hand its verdict over: %s", e);
			free(e);
			return -1;
		}
	}
	return 0;
}

/*
 * Write the verdict records judged during this push.  Many records are
 * written by a detached child after the pusher has the answer: git waits
 * for the hook and its stderr, both of which the child lets go of.  A record
 * that is never written only costs a later push a re-judgement.
 */
static void flush_cache(struct gate_verdicts *cache)
{
	pid_t pid;
	int fd;

	if (gate_verdicts_pending(cache) <= INLINE_CACHE_WRITES) {
		gate_verdicts_flush(cache);
		return;
	}
	pid = fork();
	if (pid != 0) {
		if (pid < 0)
			gate_verdicts_flush(cache);
		return;
	}
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setsid();
	alarm(0);
	gate_verdicts_flush(cache);
	_exit(0);
}

/* A bypass asked for: 1 allowed, -1 refused (said). */
static int check_bypass(struct out *o, const struct gate_config *cfg, const char *bypass,
	const char *pusher, const char *epusher)
{
	if (!gate_push_option_reason_ok(bypass)) {
		gate_push_report_say(&o->b, o->gl, "error", "bypass refused: give a reason of 1 to %d bytes with "
			"-o " GATE_PUSH_OPTION_BYPASS "<reason>", GATE_BYPASS_REASON_MAX);
		return -1;
	}
	if (!gate_config_may_bypass(cfg, pusher)) {
		gate_push_report_say(&o->b, o->gl, "error", "bypass refused: pusher \"%s\" is not allowed to bypass", epusher);
		return -1;
	}
	return 1;
}

/* Why judging did not complete (rc < 0 from gate_accept_judge()). */
static void say_judge_failure(struct out *o, int rc, const struct gate_accept *acc, long budget,
	const char *msg)
{
	char *e;

	if (rc == GATE_JUDGE_ETIMEOUT) {
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate ran out of its time budget (%ld ms) after judging "
			"%zu of %zu files", budget, acc->verdict.files_done, acc->verdict.files_total);
		gate_push_report_say(&o->b, o->gl, "hint", "push fewer commits at once, or raise limits.time_budget_ms");
		return;
	}
	e = gate_escape_dup(msg, GATE_PUSH_REPORT_ESC_MAX);
	if (!strcmp(acc->failed, "policy"))
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate policy: %s", e);
	else if (!strcmp(acc->failed, "setup"))
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate: %s", msg);
	else
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate cannot judge this push: %s", e);
	free(e);
}

/*
 * The verdict for the pusher: problems, then the summary and hint (rejected:
 * -1, *summary_said set) or the bypass warning or success lines (0).
 * bypass: the allowed bypass reason, else NULL.
 */
static int report_verdict(struct out *o, const struct gate_verdict *v, const struct gate_config *cfg,
	const char *bypass, const char *epusher, int *summary_said)
{
	struct gate_buf s = GATE_BUF_INIT;
	char *reason;

	if (!v->ndenials && !v->nproblems) {
		gate_push_report_problems(&o->b, o->gl, v, gate_config_limits(cfg)->max_problems_shown,
			"error");
		gate_push_report_success(&o->b, v);
		return 0;
	}
	gate_push_report_problems(&o->b, o->gl, v, gate_config_limits(cfg)->max_problems_shown,
		bypass ? "warning" : "error");
	gate_push_report_counts(&s, v);
	if (!bypass) {
		gate_push_report_say(&o->b, o->gl, "error", "push rejected: %s", s.ptr);
		*summary_said = 1;
		if (v->nproblems)
			gate_push_report_hint(&o->b, o->gl, cfg, v);
		gate_buf_release(&s);
		return -1;
	}
	reason = gate_escape_dup(bypass, GATE_PUSH_REPORT_ESC_MAX);
	gate_push_report_say(&o->b, o->gl, "warning", "bypass by \"%s\": %s: accepted anyway (%s)", epusher,
		reason, s.ptr);
	free(reason);
	gate_buf_release(&s);
	return 0;
}

/*
 * What check-config finds wrong in a configuration that loads (a token file
 * missing, a directory or readable by others, ...): pushes are refused while
 * any is left, each said with its file and line.  Returns how many.
 */
static size_t config_problems(struct out *o, const struct gate_config *cfg)
{
	struct gate_check_report rep = GATE_CHECK_REPORT_INIT;
	size_t k, n;

	n = gate_check_files(gate_config_repo_path(cfg), gate_config_system_path(cfg),
		gate_config_json(cfg), NULL, &rep);
	for (k = 0; k < rep.n; k++) {
		const struct gate_check_finding *f = &rep.v[k];
		if (f->level[0] != 'e')
			continue;
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate configuration: %s%s%.0u%s%s%s%s",
			f->file ? f->file : "", f->file ? ":" : "", f->line, f->line ? ":" : "",
			f->key ? " " : "", f->key ? f->key : "", f->key ? ": " : " ");
		o->b.len--; /* the line break: the message follows */
		gate_buf_adds(&o->b, f->message);
		gate_buf_addc(&o->b, '\n');
	}
	if (n)
		gate_push_report_say(&o->b, o->gl, "hint", "every push is refused until the "
			"configuration is fixed: gitops-gate check-config --git-dir DIR on the server");
	gate_check_report_release(&rep);
	return n;
}

/*
 * Open the repository of the hook's environment and load its configuration
 * (GATE_SYSTEM_CONFIG, GATE_SCHEMA_DIR as documented above).  Returns 0, or
 * -1 when either failed (said).
 */
static int open_repo_config(struct out *o, const char *config_path, const char *system_path,
	struct gate_repo **repo, struct gate_config **cfg, struct phases *ph)
{
	struct gate_config_load_opts lo;
	const char *schema_dir = getenv("GATE_SCHEMA_DIR"), *env = getenv("GATE_SYSTEM_CONFIG");
	char msg[1024], *repo_cfg = NULL;
	int ret = -1;

	if (env)
		system_path = *env ? env : NULL;
	memset(&lo, 0, sizeof(lo));
	/* a file named on the command line or in the environment must exist */
	lo.repo_required = config_path != NULL;
	lo.system_required = system_path && strcmp(system_path, GATE_CONFIG_SYSTEM_FILE);
	if (!schema_dir || !*schema_dir)
		schema_dir = GATE_PKGDATADIR;
	if (gate_repo_open(repo, NULL, msg, sizeof(msg)) < 0) {
		char *e = gate_escape_dup(msg, GATE_PUSH_REPORT_ESC_MAX);
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate %s", e);
		free(e);
		goto fail;
	}
	/*
	 * libgit2 hashes every object it reads again to compare it with its id
	 * (SHA-1 with collision detection: a quarter of the time of a push that
	 * reads the whole tree).  receive-pack computed the id of every pushed
	 * object from its content as it arrived, objects already in the
	 * repository were checked when they came in, and git does not hash
	 * objects again when reading them either; zlib still checks every read.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (!config_path)
		config_path = repo_cfg = gate_xasprintf("%s/%s", gate_repo_git_dir(*repo), GATE_CONFIG_FILE);
	lo.system_path = system_path;
	lo.repo_path = config_path;
	lo.schema_dir = schema_dir;
	lo.git_dir = gate_repo_git_dir(*repo);
	phase(ph, "repo");
	if (gate_config_load(cfg, &lo, msg, sizeof(msg)) < 0) {
		gate_push_report_say(&o->b, o->gl, "error", "gitops-gate configuration: %s", msg);
		goto fail;
	}
	if (config_problems(o, *cfg) > 0)
		goto fail;
	ret = 0;
fail:
	free(repo_cfg);
	return ret;
}

/* The switches for tests and benches comparing paths (see the top of this file). */
static void test_switches(struct gate_accept_setup *as, struct gate_repo *repo)
{
	as->no_facts_index = getenv("GATE_NO_FACTS_INDEX") != NULL;
	as->serial_roots = getenv("GATE_SERIAL_ROOTS") != NULL;
	if (getenv("GATE_NO_SHARING"))
		gate_repo_set_sharing(repo, 0);
	if (getenv("GATE_TEST_STOP_AFTER_FILES"))
		as->stop_after_files = strtoul(getenv("GATE_TEST_STOP_AFTER_FILES"), NULL, 10);
	if (getenv("GATE_TEST_STOP_AFTER_ROOTS"))
		as->stop_after_roots = strtoul(getenv("GATE_TEST_STOP_AFTER_ROOTS"), NULL, 10);
}

/* GATE_TIMING's hint: where the hook's time went, its CPU, its reads and the facts index's counts. */
static void say_timing(struct out *o, struct phases *ph, struct gate_accept *acc, struct gate_repo *repo,
	int64_t start)
{
	const struct gate_facts_index *fi = gate_accept_cache(acc) ?
		gate_verdicts_facts_loaded(gate_accept_cache(acc)) : NULL;
	struct gate_facts_index_stats fs;
	struct rusage ru;
	long long cpu = 0;

	phase(ph, "report");
	/* CPU (user + sys, all threads) beside wall: a loaded machine stretches only the wall */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	memset(&fs, 0, sizeof(fs));
	if (fi)
		gate_facts_index_get_stats(fi, &fs);
	gate_push_report_say(&o->b, o->gl, "hint", "judged in %lld ms (%s); cpu %lld ms; %zu blobs read; "
		"%zu reads shared; facts index %s: %zu loaded, %zu hits, %zu misses, %zu bad",
		(long long)(gate_judge_now_ms() - start), ph->b.ptr ? ph->b.ptr : "", cpu,
		repo ? gate_repo_blob_reads(repo) : 0, repo ? gate_repo_blob_reads_shared(repo) : 0,
		fi ? "used" : "unused", fs.loaded, fs.hits, fs.misses, fs.bad);
}

static int pre_receive(int argc, char **argv)
{
	const char *config_path = NULL, *system_path = GATE_CONFIG_SYSTEM_FILE;
	const char *pusher, *bypass;
	struct gate_config *cfg = NULL;
	struct gate_repo *repo = NULL;
	struct gate_accept_setup as;
	struct gate_accept acc = GATE_ACCEPT_INIT;
	const struct gate_verdict *v = &acc.verdict;
	struct gate_ref_update *updates = NULL;
	struct out o = { GATE_BUF_INIT, "" };
	char msg[1024], eid[256];
	char *input = NULL, *epusher = NULL;
	size_t len = 0, nupdates = 0;
	int64_t start = gate_judge_now_ms();
	struct phases ph = { start, GATE_BUF_INIT };
	long budget;
	int i, rc, exit_code = 1; /* rejected until proven otherwise */
	int bypass_ok = 0, summary_said = 0;

	arm_alarm(4000);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config_path = argv[++i];
		else if (!strcmp(argv[i], "--system-config") && i + 1 < argc)
			system_path = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			fprintf(stderr, "error: push rejected: gitops-gate was called with a bad argument\n");
			return 1;
		}
	}
	if (gate_cli_under_gitlab())
		o.gl = "GL-HOOK-ERR: ";
	pusher = gate_cli_pusher()->name;
	epusher = gate_escape_dup(pusher, GATE_PUSH_REPORT_ESC_MAX);
	bypass = bypass_option();

	if (gate_cli_read_stdin(GATE_CLI_MAX_STDIN, &input, &len) < 0) {
		gate_push_report_say(&o.b, o.gl, "error", "gitops-gate cannot read the ref updates on its standard input");
		goto done;
	}
	phase(&ph, "stdin");
	if (open_repo_config(&o, config_path, system_path, &repo, &cfg, &ph) < 0)
		goto done;
	phase(&ph, "config");
	budget = gate_config_limits(cfg)->time_budget_ms;
	arm_alarm(budget);
	if (gate_ref_updates_parse(repo, input, len, &updates, &nupdates, msg, sizeof(msg)) < 0) {
		gate_push_report_say(&o.b, o.gl, "error", "gitops-gate: %s", msg);
		goto done;
	}
	if (bypass && (bypass_ok = check_bypass(&o, cfg, bypass, pusher, epusher)) < 0)
		goto done;

	gate_cli_engine_id(eid, sizeof(eid));
	memset(&as, 0, sizeof(as));
	as.repo = repo;
	as.cfg = cfg;
	as.pusher = *gate_cli_pusher();
	as.engine_id = eid;
	as.catalog_dir = gate_cli_catalog_dir();
	as.deadline_ms = start + budget;
	as.defer_cache = 1;
	test_switches(&as, repo);
	as.phase = phase_cb;
	as.phase_payload = &ph;
	rc = gate_accept_judge(&acc, &as, updates, nupdates, msg, sizeof(msg));
	if (rc < 0) {
		say_judge_failure(&o, rc, &acc, budget, msg);
		goto done;
	}

	if (report_verdict(&o, v, cfg, bypass_ok ? bypass : NULL, epusher, &summary_said) < 0)
		goto done;
	{
		struct gate_handoff_meta m;
		m.pusher = pusher;
		m.bypass = bypass_ok ? bypass : NULL;
		m.fingerprint = gate_accept_fingerprint(&acc);
		m.time = time(NULL);
		if (write_handoffs(&o, gate_repo_git_dir(repo), v, &m) < 0)
			goto done;
	}
	exit_code = 0;
done:
	if (exit_code && !summary_said)
		gate_push_report_say(&o.b, o.gl, "error", "push rejected");
	if (getenv("GATE_TIMING"))
		say_timing(&o, &ph, &acc, repo, start);
	if (o.b.len)
		fwrite(o.b.ptr, 1, o.b.len, stderr);
	fflush(stderr);
	if (gate_accept_cache(&acc) && gate_verdicts_pending(gate_accept_cache(&acc)))
		flush_cache(gate_accept_cache(&acc));
	gate_buf_release(&o.b);
	gate_buf_release(&ph.b);
	gate_accept_release(&acc);
	gate_ref_updates_free(updates, nupdates);
	gate_config_free(cfg);
	gate_repo_free(repo);
	free(input);
	free(epusher);
	alarm(0);
	return exit_code;
}

static int cache_check(int argc, char **argv)
{
	const char *git_dir = argc > 1 ? argv[1] : getenv("GIT_DIR");
	size_t good, bad, tmp;
	char *dir;
	int ret;

	if (!git_dir) {
		usage(stderr);
		return 2;
	}
	dir = gate_xasprintf("%s/gitops-gate/cache", git_dir);
	ret = gate_verdicts_check(dir, &good, &bad, &tmp);
	if (ret < 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", dir, strerror(errno));
		free(dir);
		return 1;
	}
	printf("verdict cache: %zu good, %zu bad, %zu temporary\n", good, bad, tmp);
	free(dir);
	return bad ? 1 : 0;
}

int cmd_hook(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "pre-receive"))
		return pre_receive(argc - 1, argv + 1);
	if (!strcmp(argv[1], "post-receive"))
		return gate_post_receive_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cache-check"))
		return cache_check(argc - 1, argv + 1);
	fprintf(stderr, "error: gitops-gate has no hook '%s' (see gitops-gate hook --help)\n", argv[1]);
	return 2;
}
