/*
 * gitops-gate hook pre-receive: the gatekeeper.  Reads every ref update from
 * stdin, judges the push and exits 0 only after a complete evaluation with
 * nothing refused.  Everything it says goes to stderr, which git relays to
 * the pusher as "remote:" lines.
 *
 * This is the one place of the hook that reads the environment: the pusher's
 * identity, push options, GitLab's GL_ID, GATE_SCHEMA_DIR (config schemas
 * outside the installed pkgdatadir), GATE_SYSTEM_CONFIG (another system-wide
 * file, "" for none) and GATE_TIMING (print the hook's own time).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/commands.h"
#include "gate/config.h"
#include "gate/handoff.h"
#include "gate/judge.h"
#include "gate/policy.h"
#include "gate/push_options.h"
#include "gate/repo.h"
#include "gate/report.h"
#include "gate/util.h"
#include "gate/verdicts.h"
#include "operate.h"

#define MAX_STDIN (16u << 20)
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


/*
 * The pusher's groups, for path ownership: GATE_PUSHER_GROUPS (comma
 * separated, set by the hosting environment for the hook), else the Unix
 * groups of the account running the hook when no hosting identity is set.
 */
static char **pusher_groups(size_t *n)
{
	static const char *const vars[] = { "GL_USERNAME", "GITEA_PUSHER_NAME",
		"GITHUB_USER_LOGIN", "REMOTE_USER", NULL };
	const char *env = getenv("GATE_PUSHER_GROUPS");
	char **v = NULL;
	size_t alloc = 0, i;

	*n = 0;
	if (env) {
		const char *p = env;
		while (*p && *n < 256) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			while (l && (*p == ' ' || *p == '\t')) {
				p++;
				l--;
			}
			while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
				l--;
			if (l && l <= 256) {
				GATE_ALLOC_GROW(v, *n + 1, alloc);
				v[(*n)++] = gate_xstrndup(p, l);
			}
			p = e ? e + 1 : p + strlen(p);
		}
		return v;
	}
	for (i = 0; vars[i]; i++)
		if (getenv(vars[i]) && *getenv(vars[i]))
			return NULL;
	{
		gid_t gids[256];
		int ng = getgroups(256, gids), k;
		for (k = 0; k < ng; k++) {
			const struct group *gr = getgrgid(gids[k]);
			if (!gr || !gr->gr_name)
				continue;
			GATE_ALLOC_GROW(v, *n + 1, alloc);
			v[(*n)++] = gate_xstrdup(gr->gr_name);
		}
	}
	return v;
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

/* Read all of stdin, bounded. */
static int read_stdin(char **out, size_t *len)
{
	struct gate_buf b = GATE_BUF_INIT;
	char chunk[65536];
	size_t r;

	while ((r = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (b.len + r > MAX_STDIN) {
			gate_buf_release(&b);
			return -1;
		}
		gate_buf_add(&b, chunk, r);
	}
	if (ferror(stdin)) {
		gate_buf_release(&b);
		return -1;
	}
	*len = b.len;
	*out = gate_buf_detach(&b);
	return 0;
}

/* The build's identity: version plus the program file, so a rebuilt engine re-judges. */
static void engine_id(char *buf, size_t size)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) == 0)
		snprintf(buf, size, "gitops-gate %s %lld %lld.%09ld", PACKAGE_VERSION,
			(long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		snprintf(buf, size, "gitops-gate %s", PACKAGE_VERSION);
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

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

struct out {
	struct gate_buf b;
	const char *gl;     /* "GL-HOOK-ERR: " on GitLab, else "" */
};

static void say(struct out *o, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct out *o, const char *level, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(level, "error"))
		gate_buf_adds(&o->b, o->gl);
	gate_buf_adds(&o->b, level);
	gate_buf_adds(&o->b, ": ");
	va_start(ap, fmt);
	gate_buf_vaddf(&o->b, fmt, ap);
	va_end(ap);
	gate_buf_addc(&o->b, '\n');
}

static char *esc(const char *s)
{
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_add_escaped(&b, s, strlen(s) > 1024 ? 1024 : strlen(s));
	return gate_buf_detach(&b);
}

/*
 * Of the remote lines of commit cm (in the report's order: each result's
 * problems, then a line for an invalid result without deny problems), the
 * rejecting and the suppressed lines after the first `keep` lines, which
 * the report drops, are added to *deny and *supp.
 */
static void count_dropped(const struct gate_judged_commit *cm, size_t keep, size_t *deny,
	size_t *supp)
{
	size_t f, i, k, line = 0;

	for (f = 0; f < cm->nfiles; f++)
		for (i = 0; i < cm->files[f].results.n; i++) {
			const struct gate_result *r = &cm->files[f].results.v[i];
			size_t nd = 0;
			for (k = 0; k < r->nproblems; k++) {
				const struct gate_problem *p = &r->problems[k];
				int d = p->severity == GATE_SEV_DENY && !p->suppressed;
				nd += d;
				if (line++ >= keep) {
					*deny += d;
					*supp += p->suppressed != NULL;
				}
			}
			if ((r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR) && !nd &&
			    line++ >= keep)
				(*deny)++;
		}
}

/*
 * The problem lines of every commit, capped at max lines in all.  deny_level
 * is "error", or "warning" when a bypass accepts the push anyway.  The line
 * counting what was left out is a warning when no rejecting line was.
 */
static void render_problems(struct out *o, const struct gate_verdict *v, size_t max,
	const char *deny_level)
{
	size_t i, c, f, shown = 0, dropped = 0, dropped_deny = 0, dropped_supp = 0;

	for (i = 0; i < v->nrefs; i++) {
		const struct gate_judged_ref *r = &v->refs[i];
		char *ref = esc(r->ref);

		if (r->denial)
			say(o, deny_level, "%s: %s", ref, r->denial);
		for (c = 0; c < r->ncommits; c++) {
			const struct gate_judged_commit *cm = &r->commits[c];
			struct gate_report_opts ro = GATE_REPORT_OPTS_INIT;
			struct gate_report *rep = NULL;
			struct gate_buf scratch = GATE_BUF_INIT;
			char *prefix, *wprefix, *hprefix;
			size_t nsupp = 0;

			for (f = 0; f < cm->nfiles; f++)
				nsupp += cm->files[f].nsuppressed;
			if (!cm->nproblems && !cm->nwarnings && !nsupp)
				continue;
			prefix = gate_xasprintf("%s%s: %s %.7s: ",
				!strcmp(deny_level, "error") ? o->gl : "", deny_level, ref, cm->hex);
			wprefix = gate_xasprintf("warning: %s %.7s: ", ref, cm->hex);
			hprefix = gate_xasprintf("hint: %s %.7s: ", ref, cm->hex);
			ro.format = GATE_REPORT_REMOTE;
			ro.prefix = prefix;
			ro.warn_prefix = wprefix;
			ro.hint_prefix = hprefix;
			ro.max_lines = max > shown ? max - shown : 0;
			if (ro.max_lines && gate_report_new(&rep, &ro) == 0) {
				const struct gate_report_counts *rc = gate_report_counts(rep);
				for (f = 0; f < cm->nfiles; f++)
					gate_report_add_all(rep, &cm->files[f].results, &o->b);
				shown += rc->problems + rc->suppressed - rc->lines_dropped;
				dropped += rc->lines_dropped;
				if (rc->lines_dropped)
					count_dropped(cm, ro.max_lines, &dropped_deny, &dropped_supp);
				gate_report_finish(rep, &scratch);
				gate_report_free(rep);
			} else {
				dropped += cm->nproblems + cm->nwarnings + nsupp;
				dropped_deny += cm->nproblems;
				dropped_supp += nsupp;
			}
			gate_buf_release(&scratch);
			free(prefix);
			free(wprefix);
			free(hprefix);
		}
		free(ref);
	}
	if (dropped_deny)
		say(o, deny_level, "... and %zu more %s not shown (limits.max_problems_shown is %zu)",
			dropped, plural(dropped, "problem", "problems"), max);
	else if (dropped)
		say(o, "warning", "... and %zu more %s not shown (limits.max_problems_shown is %zu)",
			dropped, !dropped_supp ? plural(dropped, "warning", "warnings") :
			dropped_supp == dropped ? plural(dropped, "suppression", "suppressions") :
			"warnings and suppressions", max);
}

static void render_summary_counts(struct gate_buf *b, const struct gate_verdict *v)
{
	if (v->ndenials)
		gate_buf_addf(b, "%zu ref %s refused", v->ndenials,
			plural(v->ndenials, "update", "updates"));
	if (v->ndenials && v->nproblems)
		gate_buf_adds(b, ", ");
	if (v->nproblems)
		gate_buf_addf(b, "%zu %s in %zu %s of %zu %s", v->nproblems,
			plural(v->nproblems, "problem", "problems"), v->nbad_files,
			plural(v->nbad_files, "file", "files"), v->nbad_commits,
			plural(v->nbad_commits, "commit", "commits"));
}

/* Was a ref refused for a policy problem (anything beyond schema and YAML)? */
static int policy_refusal(const struct gate_verdict *v)
{
	size_t r, c, f, i, k;

	for (r = 0; r < v->nrefs; r++)
		for (c = 0; c < v->refs[r].ncommits; c++) {
			const struct gate_judged_commit *cm = &v->refs[r].commits[c];
			for (f = 0; f < cm->nfiles; f++)
				for (i = 0; i < cm->files[f].results.n; i++) {
					const struct gate_result *res = &cm->files[f].results.v[i];
					for (k = 0; k < res->nproblems; k++) {
						const struct gate_problem *p = &res->problems[k];
						if (p->severity == GATE_SEV_DENY && !p->suppressed && p->rule &&
						    strcmp(p->rule, "schema") && strcmp(p->rule, "yaml"))
							return 1;
					}
				}
		}
	return 0;
}

/*
 * The command that reproduces the refusal on the pusher's side: the first
 * schema group's settings and, on a policy refusal, -policy with the
 * server's policy files (by name: the pusher needs copies) or "builtin".
 */
static void render_hint(struct out *o, const struct gate_config *cfg, const struct gate_verdict *v)
{
	size_t ng, i;
	const struct gate_config_group *g = gate_config_groups(cfg, &ng);
	const json_t *files = json_object_get(json_object_get(gate_config_json(cfg), "policy"), "files");
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_adds(&b, "check the files before pushing with: gitops-gate validate");
	if (ng && g[0].strict)
		gate_buf_adds(&b, " -strict");
	if (ng && strcmp(g[0].kubernetes_version, "master"))
		gate_buf_addf(&b, " -kubernetes-version %s", g[0].kubernetes_version);
	if (policy_refusal(v)) {
		for (i = 0; i < json_array_size(files); i++) {
			const char *f = json_string_value(json_array_get(files, i));
			const char *base = f ? strrchr(f, '/') : NULL;
			if (f)
				gate_buf_addf(&b, " -policy %s", base ? base + 1 : f);
		}
		if (!json_array_size(files))
			gate_buf_adds(&b, " -policy builtin");
	}
	gate_buf_adds(&b, " FILE...");
	say(o, "hint", "%s", b.ptr);
	gate_buf_release(&b);
}

static void render_success(struct out *o, const struct gate_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nrefs; i++) {
		const struct gate_judged_ref *r = &v->refs[i];
		char *ref;

		if (!r->gated || r->new_zero)
			continue;
		ref = esc(r->ref);
		if (r->nwarnings)
			say(o, "success", "%s: %zu %s, %zu %s judged (%zu from cache), 0 problems, %zu %s",
				ref, r->ncommits, plural(r->ncommits, "commit", "commits"), r->nfiles,
				plural(r->nfiles, "file", "files"), r->ncached, r->nwarnings,
				plural(r->nwarnings, "warning", "warnings"));
		else
			say(o, "success", "%s: %zu %s, %zu %s judged (%zu from cache), 0 problems",
				ref, r->ncommits, plural(r->ncommits, "commit", "commits"), r->nfiles,
				plural(r->nfiles, "file", "files"), r->ncached);
		free(ref);
	}
}

static int write_handoffs(struct out *o, const char *git_dir, const struct gate_verdict *v,
	const struct gate_handoff_meta *m)
{
	char msg[512];
	size_t i;

	for (i = 0; i < v->nrefs; i++) {
		if (gate_handoff_write(git_dir, &v->refs[i], m, msg, sizeof(msg)) < 0) {
			char *e = esc(msg);
			say(o, "error", "gitops-gate cannot hand its verdict over: %s", e);
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

static int pre_receive(int argc, char **argv)
{
	const char *config_path = NULL, *system_path = GATE_CONFIG_SYSTEM_FILE;
	const char *schema_dir, *pusher, *bypass, *env;
	struct gate_config_load_opts lo;
	struct gate_config *cfg = NULL;
	struct gate_repo *repo = NULL;
	struct gate_verdicts *cache = NULL;
	struct gate_judge *judge = NULL;
	struct gate_policy *policy = NULL;
	struct gate_checker checker;
	char pfp[128];
	const json_t *psec;
	struct gate_judge_setup js;
	struct gate_verdict v = GATE_VERDICT_INIT;
	struct gate_ref_update *updates = NULL;
	struct out o = { GATE_BUF_INIT, "" };
	char msg[1024], eid[256];
	char *input = NULL, *repo_cfg = NULL, *cache_dir = NULL, *epusher = NULL;
	char **groups = NULL;
	size_t ngroups = 0;
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
	if (getenv("GL_ID"))
		o.gl = "GL-HOOK-ERR: ";
	env = getenv("GATE_SYSTEM_CONFIG");
	if (env)
		system_path = *env ? env : NULL;
	schema_dir = getenv("GATE_SCHEMA_DIR");
	if (!schema_dir || !*schema_dir)
		schema_dir = GATE_PKGDATADIR;
	pusher = gate_op_pusher();
	epusher = esc(pusher);
	groups = pusher_groups(&ngroups);
	bypass = bypass_option();

	if (read_stdin(&input, &len) < 0) {
		say(&o, "error", "gitops-gate cannot read the ref updates on its standard input");
		goto done;
	}
	phase(&ph, "stdin");
	if (gate_repo_open(&repo, NULL, msg, sizeof(msg)) < 0) {
		char *e = esc(msg);
		say(&o, "error", "gitops-gate %s", e);
		free(e);
		goto done;
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
		config_path = repo_cfg = gate_xasprintf("%s/%s", gate_repo_git_dir(repo), GATE_CONFIG_FILE);
	memset(&lo, 0, sizeof(lo));
	lo.system_path = system_path;
	lo.repo_path = config_path;
	lo.schema_dir = schema_dir;
	lo.git_dir = gate_repo_git_dir(repo);
	phase(&ph, "repo");
	if (gate_config_load(&cfg, &lo, msg, sizeof(msg)) < 0) {
		say(&o, "error", "gitops-gate configuration: %s", msg);
		goto done;
	}
	phase(&ph, "config");
	budget = gate_config_limits(cfg)->time_budget_ms;
	arm_alarm(budget);
	if (gate_ref_updates_parse(repo, input, len, &updates, &nupdates, msg, sizeof(msg)) < 0) {
		say(&o, "error", "gitops-gate: %s", msg);
		goto done;
	}
	if (bypass) {
		char *reason = esc(bypass);
		if (!gate_push_option_reason_ok(bypass)) {
			say(&o, "error", "bypass refused: give a reason of 1 to %d bytes with "
				"-o " GATE_PUSH_OPTION_BYPASS "<reason>", GATE_BYPASS_REASON_MAX);
			free(reason);
			goto done;
		}
		if (!gate_config_may_bypass(cfg, pusher)) {
			say(&o, "error", "bypass refused: pusher \"%s\" is not allowed to bypass", epusher);
			free(reason);
			goto done;
		}
		bypass_ok = 1;
		free(reason);
	}

	cache_dir = gate_xasprintf("%s/gitops-gate/cache", gate_repo_git_dir(repo));
	gate_verdicts_open(&cache, cache_dir);
	gate_verdicts_defer(cache, 1);
	engine_id(eid, sizeof(eid));
	psec = json_object_get(gate_config_json(cfg), "policy");
	if (gate_policy_from_config(&policy, psec, gate_repo_git_dir(repo), NULL, msg, sizeof(msg)) < 0 ||
	    gate_policy_checker(policy, &checker) < 0) {
		char *e = esc(msg);
		say(&o, "error", "gitops-gate policy: %s", e);
		free(e);
		goto done;
	}
	gate_policy_fingerprint(policy, pfp, sizeof(pfp));
	phase(&ph, "policy");
	memset(&js, 0, sizeof(js));
	js.checkers = &checker;
	js.ncheckers = 1;
	js.extra_fingerprint = pfp;
	/* a policy section may make verdicts depend on paths (suppression paths, exceptions) */
	js.path_sensitive = gate_policy_path_sensitive(policy);
	js.policy = policy;
	js.pusher = pusher;
	js.pusher_groups = (const char *const *)groups;
	js.npusher_groups = ngroups;
	js.cfg = cfg;
	js.repo = repo;
	js.cache = cache;
	js.engine_id = eid;
	js.threads = 2;
	if (gate_judge_new(&judge, &js, msg, sizeof(msg)) < 0) {
		say(&o, "error", "gitops-gate: %s", msg);
		goto done;
	}
	gate_judge_set_deadline(judge, start + budget);
	phase(&ph, "setup");
	rc = gate_judge_push(judge, updates, nupdates, &v, msg, sizeof(msg));
	phase(&ph, "judge");
	if (rc == GATE_JUDGE_ETIMEOUT) {
		say(&o, "error", "gitops-gate ran out of its time budget (%ld ms) after judging "
			"%zu of %zu files", budget, v.files_done, v.files_total);
		say(&o, "hint", "push fewer commits at once, or raise limits.time_budget_ms");
		goto done;
	}
	if (rc < 0) {
		char *e = esc(msg);
		say(&o, "error", "gitops-gate cannot judge this push: %s", e);
		free(e);
		goto done;
	}

	if (v.ndenials || v.nproblems) {
		struct gate_buf s = GATE_BUF_INIT;
		render_problems(&o, &v, gate_config_limits(cfg)->max_problems_shown,
			bypass_ok ? "warning" : "error");
		render_summary_counts(&s, &v);
		if (!bypass_ok) {
			say(&o, "error", "push rejected: %s", s.ptr);
			summary_said = 1;
			if (v.nproblems)
				render_hint(&o, cfg, &v);
			gate_buf_release(&s);
			goto done;
		}
		{
			char *reason = esc(bypass);
			say(&o, "warning", "bypass by \"%s\": %s: accepted anyway (%s)", epusher,
				reason, s.ptr);
			free(reason);
		}
		gate_buf_release(&s);
	} else {
		render_problems(&o, &v, gate_config_limits(cfg)->max_problems_shown, "error");
		render_success(&o, &v);
	}
	{
		struct gate_handoff_meta m;
		m.pusher = pusher;
		m.bypass = bypass_ok ? bypass : NULL;
		m.fingerprint = gate_judge_fingerprint(judge);
		m.time = time(NULL);
		if (write_handoffs(&o, gate_repo_git_dir(repo), &v, &m) < 0)
			goto done;
	}
	exit_code = 0;
done:
	if (exit_code && !summary_said)
		say(&o, "error", "push rejected");
	if (getenv("GATE_TIMING")) {
		phase(&ph, "report");
		say(&o, "hint", "judged in %lld ms (%s)", (long long)(gate_judge_now_ms() - start),
			ph.b.ptr ? ph.b.ptr : "");
	}
	if (o.b.len)
		fwrite(o.b.ptr, 1, o.b.len, stderr);
	fflush(stderr);
	if (cache && gate_verdicts_pending(cache))
		flush_cache(cache);
	gate_buf_release(&o.b);
	gate_buf_release(&ph.b);
	gate_verdict_release(&v);
	gate_judge_free(judge);
	gate_policy_free(policy);
	gate_verdicts_free(cache);
	gate_ref_updates_free(updates, nupdates);
	gate_config_free(cfg);
	gate_repo_free(repo);
	free(cache_dir);
	free(repo_cfg);
	free(input);
	free(epusher);
	for (i = 0; i < (int)ngroups; i++)
		free(groups[i]);
	free(groups);
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
