#include "gate/judge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gate/hash.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/record.h"
#include "gate/repo_checks.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "judge_int.h"

int64_t gate_judge_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gate_judge_set_deadline(struct gate_judge *j, int64_t deadline_ms)
{
	j->deadline = deadline_ms;
}

int gate_judge__past_deadline(const struct gate_judge *j)
{
	return j->deadline && gate_judge_now_ms() > j->deadline;
}

int gate_judge__start_file(struct gate_judge *j)
{
	if (gate_judge__past_deadline(j))
		return 1;
	return j->stop_after && atomic_fetch_add(&j->nstarted, 1) >= j->stop_after;
}

int gate_judge__past_root(const struct gate_judge *j, size_t nth)
{
	return gate_judge__past_deadline(j) || (j->stop_after_roots && nth >= j->stop_after_roots);
}

void gate_judge__phase(const struct gate_judge *j, const char *step)
{
	if (j->phase)
		j->phase(j->phase_payload, step);
}

const char *gate_judge_fingerprint(const struct gate_judge *j)
{
	return j->fingerprint;
}

/* ---- setup ---- */

#define SCHEMA_WALK_DEPTH 3         /* folders below the fixed part of a template */
#define SCHEMA_WALK_ENTRIES 100000  /* stat()s at most per judge */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Add the identity (name, size, inode, mtime, ctime) of every file under dir,
 * in name order, down to depth folders: editing a schema file in place
 * changes its ctime, so verdicts judged with the old content stop matching.
 */
static void hash_tree(struct gate_sha256 *h, const char *dir, int depth, size_t *budget)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;

	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!*budget) {
			gate_sha256_update_str(h, "truncated");
			break;
		}
		(*budget)--;
		GATE_ALLOC_GROW(names, n + 1, alloc);
		names[n++] = gate_xstrdup(de->d_name);
	}
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		struct stat st;
		char *p = gate_xasprintf("%s/%s", dir, names[i]);

		/* relative to the open folder: the kernel walks one name, not the whole path */
		if (fstatat(dirfd(d), names[i], &st, 0) == 0) {
			gate_sha256_update_str(h, p);
			gate_sha256_update(h, &st.st_size, sizeof(st.st_size));
			gate_sha256_update(h, &st.st_ino, sizeof(st.st_ino));
			gate_sha256_update(h, &st.st_mtim, sizeof(st.st_mtim));
			gate_sha256_update(h, &st.st_ctim, sizeof(st.st_ctim));
			if (S_ISDIR(st.st_mode) && depth > 0)
				hash_tree(h, p, depth - 1, budget);
		}
		free(p);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

/* Add what identifies the schema files behind a local location template. */
static void hash_location(struct gate_sha256 *h, const struct gate_config_group *g,
	const char *loc, const char *catalog_dir, size_t *budget)
{
	char buf[4096], other[4096], tbuf[4096], *slash;
	const char *brace, *tmpl = tbuf;
	struct stat st;
	size_t k;
	int pass;

	/* "catalog" is its folder's template */
	if (gate_k8s_location_template(tbuf, sizeof(tbuf), loc, catalog_dir) < 0)
		return;
	if (!strncmp(tmpl, "http://", 7) || !strncmp(tmpl, "https://", 8))
		return;
	/*
	 * The files a template can reach: expand it for two unrelated resources;
	 * the folder both expansions share is walked
	 */
	if (gate_k8s_expand_location(buf, sizeof(buf), tmpl, "deployment", "apps", "v1",
			g->kubernetes_version, g->strict) == 0 &&
	    gate_k8s_expand_location(other, sizeof(other), tmpl, "gateprobekind",
			"probe.gitops-gate.invalid", "v9probe", g->kubernetes_version, g->strict) == 0) {
		for (k = 0; buf[k] && buf[k] == other[k]; k++)
			;
		buf[k] = '\0';
		slash = strrchr(buf, '/');
		if (slash && slash != buf) {
			*slash = '\0';
			hash_tree(h, buf, SCHEMA_WALK_DEPTH, budget);
		}
	}

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			/* the folder before the first placeholder */
			brace = strstr(tmpl, "{{");
			snprintf(buf, sizeof(buf), "%.*s", brace ? (int)(brace - tmpl) : (int)strlen(tmpl), tmpl);
		} else if (gate_k8s_expand_location(buf, sizeof(buf), tmpl, "deployment", "apps", "v1",
				g->kubernetes_version, g->strict) < 0) {
			continue;
		}
		slash = strrchr(buf, '/');
		if (slash)
			*slash = '\0';
		if (stat(buf[0] ? buf : "/", &st) < 0)
			continue;
		gate_sha256_update_str(h, buf);
		gate_sha256_update(h, &st.st_dev, sizeof(st.st_dev));
		gate_sha256_update(h, &st.st_ino, sizeof(st.st_ino));
		gate_sha256_update(h, &st.st_mtim, sizeof(st.st_mtim));
		gate_sha256_update(h, &st.st_ctim, sizeof(st.st_ctim));
	}
}

int gate_judge_new(struct gate_judge **out, const struct gate_judge_setup *s,
	char *msg, size_t msgsize)
{
	const struct gate_config_group *groups;
	const struct gate_config_limits *lim;
	struct gate_judge *j;
	struct gate_sha256 h;
	char smsg[512], sfp[256];
	size_t i, k, budget = SCHEMA_WALK_ENTRIES;

	*out = NULL;
	j = gate_xcalloc(1, sizeof(*j));
	j->cfg = s->cfg;
	j->repo = s->repo;
	j->cache = s->cache;
	j->path_sensitive = s->path_sensitive;
	j->threads = s->threads > 0 ? s->threads : 2;
	j->policy = s->policy;
	j->pusher = s->pusher;
	j->pgroups = s->pusher_groups;
	j->npgroups = s->npusher_groups;
	j->scan = gate_policy_secret_scanning(s->policy);
	j->ratchet = gate_policy_ratchet(s->policy);
	j->tree_checks = gate_policy_repository_checks(s->policy);
	j->owners = gate_policy_has_owners(s->policy);
	j->use_index = !s->no_facts_index;
	j->serial_roots = s->serial_roots;
	j->phase = s->phase;
	j->phase_payload = s->phase_payload;
	j->stop_after = s->stop_after_files;
	atomic_init(&j->nstarted, 0);
	j->stop_after_roots = s->stop_after_roots;
	groups = gate_config_groups(s->cfg, &j->ngroups);
	lim = gate_config_limits(s->cfg);
	j->facts_stamp = gate_xasprintf("facts 2 engine %s max_blob_bytes %zu", s->engine_id ? s->engine_id : "",
		(size_t)lim->max_blob_bytes);
	j->stores = gate_xcalloc(j->ngroups, sizeof(*j->stores));
	j->eopts = gate_xcalloc(j->ngroups, sizeof(*j->eopts));

	gate_sha256_init(&h);
	gate_sha256_update_str(&h, "gitops-gate judge fingerprint 1");
	gate_sha256_update_str(&h, s->engine_id ? s->engine_id : "");
	gate_sha256_update_str(&h, gate_config_fingerprint(s->cfg));
	gate_sha256_update_str(&h, s->extra_fingerprint ? s->extra_fingerprint : "");
	for (i = 0; i < j->ngroups; i++) {
		const struct gate_config_group *g = &groups[i];
		struct gate_store_opts so;
		struct gate_engine_opts *eo = &j->eopts[i];
		struct gate_doc_limits dl = GATE_DOC_LIMITS_INIT;

		memset(&so, 0, sizeof(so));
		so.locations = (const char *const *)g->locations;
		so.nlocations = g->nlocations;
		so.kubernetes_version = g->kubernetes_version;
		so.strict = g->strict;
		so.cache_dir = gate_config_cache_dir(s->cfg);
		so.offline = gate_config_offline(s->cfg);
		so.catalog_dir = s->catalog_dir;
		if (gate_store_new(&j->stores[i], &so, smsg, sizeof(smsg)) < 0) {
			gate_set_msg(msg, msgsize, "cannot set up the schema store of schemas[%zu]: %s", i, smsg);
			gate_sha256_final(&h, j->fingerprint);
			gate_judge_free(j);
			return -1;
		}
		gate_store_fingerprint(j->stores[i], sfp, sizeof(sfp));
		gate_sha256_update_str(&h, sfp);
		for (k = 0; k < g->nlocations; k++)
			hash_location(&h, g, g->locations[k], s->catalog_dir, &budget);

		eo->store = j->stores[i];
		eo->strict = g->strict;
		eo->skip_kinds = (const char *const *)g->skip_kinds;
		eo->nskip = g->nskip;
		eo->reject_kinds = (const char *const *)g->reject_kinds;
		eo->nreject = g->nreject;
		eo->ignore_missing_schemas = g->ignore_missing_schemas;
		dl.max_bytes = lim->max_blob_bytes;
		eo->limits = dl;
		eo->checkers = s->checkers;
		eo->ncheckers = s->ncheckers;
	}
	gate_sha256_final(&h, j->fingerprint);
	*out = j;
	return 0;
}

void gate_judge_free(struct gate_judge *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->ngroups; i++)
		gate_store_free(j->stores[i]);
	free(j->stores);
	free(j->eopts);
	free(j->facts_stamp);
	free(j);
}

/* ---- verdict bookkeeping ---- */

void gate_verdict_release(struct gate_verdict *v)
{
	size_t i, c, f;

	if (!v)
		return;
	for (i = 0; i < v->nrefs; i++) {
		struct gate_judged_ref *r = &v->refs[i];
		for (c = 0; c < r->ncommits; c++) {
			struct gate_judged_commit *cm = &r->commits[c];
			for (f = 0; f < cm->nfiles; f++) {
				free(cm->files[f].path);
				gate_results_release(&cm->files[f].results);
			}
			free(cm->files);
			for (f = 0; f < cm->ndeleted; f++)
				free(cm->deleted[f]);
			free(cm->deleted);
		}
		free(r->commits);
		free(r->update.ref);
		free(r->denial);
	}
	free(v->refs);
	memset(v, 0, sizeof(*v));
}

size_t gate_judged_ref_commits(const struct gate_judged_ref *r)
{
	return r->ncommits && r->commits[r->ncommits - 1].tip_check ? r->ncommits - 1 : r->ncommits;
}

size_t gate_judge_result_problems(const struct gate_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].severity == GATE_SEV_DENY && !r->problems[i].suppressed)
			n++;
	if (!n && (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR))
		n = 1;
	return n;
}

void gate_judge__count_file(struct gate_judged_file *f)
{
	size_t i, k;

	f->nproblems = f->nwarnings = f->nsuppressed = 0;
	for (i = 0; i < f->results.n; i++) {
		const struct gate_result *r = &f->results.v[i];
		f->nproblems += gate_judge_result_problems(r);
		for (k = 0; k < r->nproblems; k++) {
			if (r->problems[k].suppressed)
				f->nsuppressed++;
			else if (r->problems[k].severity == GATE_SEV_WARN)
				f->nwarnings++;
		}
	}
}

void gate_judge__copy_results(struct gate_results *dst, const struct gate_results *src,
	const char *filename)
{
	size_t i, k;

	for (i = 0; i < src->n; i++) {
		const struct gate_result *s = &src->v[i];
		struct gate_result *d = gate_results_add(dst);
		d->filename = gate_xstrdup(filename);
		d->line = s->line;
		d->api_version = gate_xstrdup(s->api_version);
		d->kind = gate_xstrdup(s->kind);
		d->name = gate_xstrdup(s->name);
		d->namespace_ = gate_xstrdup(s->namespace_);
		d->status = s->status;
		d->msg = gate_xstrdup(s->msg);
		for (k = 0; k < s->nproblems; k++) {
			const struct gate_problem *p = &s->problems[k];
			struct gate_problem *q = gate_result_add_problem(d, p->pointer, p->line,
				p->col, p->rule, p->severity, p->message);
			q->suppressed = gate_xstrdup(p->suppressed);
		}
	}
}

/* A verdict made here, not by the engine: one result with msg, or a warning. */
void gate_judge__own_result(struct gate_results *rs, const char *filename, enum gate_status st,
	const char *rule, enum gate_severity sev, const char *message)
{
	struct gate_result *r = gate_results_add(rs);

	r->filename = gate_xstrdup(filename);
	r->status = st;
	if (sev == GATE_SEV_WARN)
		gate_result_add_problem(r, NULL, 0, 0, rule, sev, message);
	else
		r->msg = gate_xstrdup(message);
}


int gate_judge_push(struct gate_judge *j, const struct gate_ref_update *u, size_t n,
	struct gate_verdict *out, char *msg, size_t msgsize)
{
	struct utable t;
	struct fmemo memo;
	const char **keep;
	size_t i;
	int error = 0;
	/* the repository checks read what each file defines: gather it while judging */
	int want_facts = j->policy && j->tree_checks;

	memset(&t, 0, sizeof(t));
	memset(&memo, 0, sizeof(memo));
	if (msg && msgsize)
		*msg = '\0';
	keep = gate_xcalloc(n ? n : 1, sizeof(*keep));
	for (i = 0; i < n; i++)
		keep[i] = u[i].ref;
	out->refs = gate_xcalloc(n ? n : 1, sizeof(*out->refs));
	for (i = 0; i < n; i++) {
		struct gate_judged_ref *r = &out->refs[out->nrefs++];
		r->update = u[i];
		r->update.ref = gate_xstrdup(u[i].ref);
		if ((error = gate_judge__collect_ref(j, &t, &u[i], keep, n, r, msg, msgsize)) < 0)
			goto done;
	}
	gate_judge__phase(j, "collect");
	/*
	 * Every distinct blob first, read once: the search for deployment
	 * roots then reads only the blobs that may name one (the engine's
	 * pass told the facts index which).  A manifest a root reads is judged
	 * as a whole object here too, as before, and its verdict is not used.
	 */
	if ((error = gate_judge__uniq(j, &t, want_facts ? &memo : NULL, out, msg, msgsize)) < 0 ||
	    (error = gate_judge__scan_only(j, &t, out, msg, msgsize)) < 0)
		goto done;
	gate_judge__phase(j, "files");
	if ((error = gate_judge__render_roots(j, out, msg, msgsize)) < 0)
		goto done;
	gate_judge__phase(j, "roots");
	if ((error = gate_judge__push_policy(j, &t, &memo, out, msg, msgsize)) < 0)
		goto done;
	gate_judge__phase(j, "trees");
	/* what this push learnt of its blobs, for the next pushes (saved with the cache) */
	gate_judge__index_memo(j, &memo);
	gate_judge__distribute(j, &t, out);
done:
	if (error == GATE_JUDGE_ETIMEOUT && !out->files_total)
		out->files_total = t.n;
	gate_judge__fmemo_release(&memo);
	gate_judge__utable_release(&t);
	free(keep);
	return error;
}

