#include "gate/judge.h"

#include <dirent.h>
#include <errno.h>
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
#include "gate/utf16.h"
#include "gate/util.h"
#include "judge_int.h"

#define BATCH_BYTES (8u << 20)
#define BATCH_FILES 512
#define BINARY_PROBE 8000
#define GROUP_SCAN (-2) /* a file that is no manifest, only scanned for secrets */

/* One distinct (blob, group) of the push. */
struct uniq {
	git_oid blob;
	int group;
	char *path;               /* first path seen (engine filename) */
	char key[GATE_SHA256_HEX];
	struct gate_results results;
	int done, from_cache;
};

struct utable {
	struct uniq *v;
	size_t n, alloc;
	size_t *slots;            /* index + 1, 0 empty */
	size_t nslots;
};

struct gate_judge {
	const struct gate_config *cfg;
	struct gate_repo *repo;
	struct gate_verdicts *cache;
	struct gate_store **stores;
	struct gate_engine_opts *eopts;
	size_t ngroups;
	int path_sensitive;
	int threads;
	int64_t deadline;
	const struct gate_policy *policy; /* NULL: none */
	const char *pusher;
	const char *const *pgroups;
	size_t npgroups;
	int scan, ratchet, tree_checks, owners;
	char fingerprint[GATE_SHA256_HEX];
};

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

static int past_deadline(const struct gate_judge *j)
{
	return j->deadline && gate_judge_now_ms() > j->deadline;
}

const char *gate_judge_fingerprint(const struct gate_judge *j)
{
	return j->fingerprint;
}

/* ---- ref updates ---- */

void gate_ref_updates_free(struct gate_ref_update *u, size_t n)
{
	size_t i;

	for (i = 0; u && i < n; i++)
		free(u[i].ref);
	free(u);
}

int gate_ref_updates_parse(struct gate_repo *repo, const char *input, size_t len,
	struct gate_ref_update **out, size_t *n, char *msg, size_t msgsize)
{
	struct gate_ref_update *v = NULL;
	size_t cnt = 0, alloc = 0, lineno = 0;
	const char *p = input, *end = input + len;

	*out = NULL;
	*n = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *sp1, *sp2;
		struct gate_ref_update *u;
		size_t rlen;

		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			goto next;
		sp1 = memchr(p, ' ', (size_t)(le - p));
		sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1)) : NULL;
		if (!sp1 || !sp2 || sp2 + 1 >= le)
			goto bad;
		rlen = (size_t)(le - sp2 - 1);
		if (rlen > GATE_JUDGE_MAX_REF || memchr(sp2 + 1, '\0', rlen))
			goto bad;
		if (cnt >= GATE_JUDGE_MAX_UPDATES) {
			gate_set_msg(msg, msgsize, "more than %d ref updates in one push", GATE_JUDGE_MAX_UPDATES);
			goto fail;
		}
		GATE_ALLOC_GROW(v, cnt + 1, alloc);
		u = &v[cnt];
		memset(u, 0, sizeof(*u));
		if (gate_repo_parse_oid(repo, &u->old_id, &u->old_zero, p, (size_t)(sp1 - p)) < 0 ||
		    gate_repo_parse_oid(repo, &u->new_id, &u->new_zero, sp1 + 1,
			    (size_t)(sp2 - sp1 - 1)) < 0)
			goto bad;
		u->ref = gate_xstrndup(sp2 + 1, rlen);
		cnt++;
	next:
		p = eol ? eol + 1 : end;
	}
	*out = v;
	*n = cnt;
	return 0;
bad: {
	struct gate_buf e = GATE_BUF_INIT;
	const char *le = memchr(p, '\n', (size_t)(end - p));
	size_t l = le ? (size_t)(le - p) : (size_t)(end - p);
	gate_buf_add_escaped(&e, p, l > 200 ? 200 : l);
	gate_set_msg(msg, msgsize, "line %zu of the ref updates is not \"<old-id> <new-id> <ref>\" "
		"with ids of %d hex digits: \"%s\"", lineno, GIT_OID_HEXSZ, e.ptr ? e.ptr : "");
	gate_buf_release(&e);
	}
fail:
	gate_ref_updates_free(v, cnt);
	return -1;
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

		if (stat(p, &st) == 0) {
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
	const char *tmpl, size_t *budget)
{
	char buf[4096], other[4096], *slash;
	const char *brace;
	struct stat st;
	size_t k;
	int pass;

	if (!strncmp(tmpl, "http://", 7) || !strncmp(tmpl, "https://", 8) || !strcmp(tmpl, "default"))
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
	groups = gate_config_groups(s->cfg, &j->ngroups);
	lim = gate_config_limits(s->cfg);
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
		if (gate_store_new(&j->stores[i], &so, smsg, sizeof(smsg)) < 0) {
			gate_set_msg(msg, msgsize, "cannot set up the schema store of schemas[%zu]: %s", i, smsg);
			gate_sha256_final(&h, j->fingerprint);
			gate_judge_free(j);
			return -1;
		}
		gate_store_fingerprint(j->stores[i], sfp, sizeof(sfp));
		gate_sha256_update_str(&h, sfp);
		for (k = 0; k < g->nlocations; k++)
			hash_location(&h, g, g->locations[k], &budget);

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
		}
		free(r->commits);
		free(r->ref);
		free(r->denial);
	}
	free(v->refs);
	memset(v, 0, sizeof(*v));
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

static void count_file(struct gate_judged_file *f)
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

static void copy_results(struct gate_results *dst, const struct gate_results *src,
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
static void own_result(struct gate_results *rs, const char *filename, enum gate_status st,
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

/* ---- distinct blobs ---- */

static size_t uhash(const git_oid *id, int group)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h ^ ((size_t)(unsigned)group * 0x9e3779b97f4a7c15ull);
}

static void utable_rehash(struct utable *t)
{
	size_t i, ns = t->nslots ? t->nslots * 2 : 256;

	free(t->slots);
	t->slots = gate_xcalloc(ns, sizeof(*t->slots));
	t->nslots = ns;
	for (i = 0; i < t->n; i++) {
		size_t s = uhash(&t->v[i].blob, t->v[i].group) & (ns - 1);
		while (t->slots[s])
			s = (s + 1) & (ns - 1);
		t->slots[s] = i + 1;
	}
}

/* The verdict cache key of blob judged under group at path (the path counts when path-sensitive). */
static void verdict_key(const struct gate_judge *j, const git_oid *blob, int group,
	const char *path, char key[GATE_SHA256_HEX])
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), blob);
	if (j->path_sensitive) {
		char fp[GATE_SHA256_HEX * 2 + 8];
		char ph[GATE_SHA256_HEX];
		gate_sha256_hex(path, strlen(path), ph);
		snprintf(fp, sizeof(fp), "%s/%s", j->fingerprint, ph);
		gate_verdicts_key(key, hex, fp, group);
	} else {
		gate_verdicts_key(key, hex, j->fingerprint, group);
	}
}

/* Find (blob, group, path when path-sensitive); add when absent.  Returns the index. */
static size_t utable_get(struct gate_judge *j, struct utable *t, const git_oid *blob,
	int group, const char *path)
{
	size_t s;
	struct uniq *u;

	if ((t->n + 1) * 2 > t->nslots)
		utable_rehash(t);
	s = uhash(blob, group) & (t->nslots - 1);
	while (t->slots[s]) {
		u = &t->v[t->slots[s] - 1];
		if (u->group == group && git_oid_equal(&u->blob, blob) &&
		    (!j->path_sensitive || !strcmp(u->path, path)))
			return t->slots[s] - 1;
		s = (s + 1) & (t->nslots - 1);
	}
	GATE_ALLOC_GROW(t->v, t->n + 1, t->alloc);
	u = &t->v[t->n];
	memset(u, 0, sizeof(*u));
	git_oid_cpy(&u->blob, blob);
	u->group = group;
	u->path = gate_xstrdup(path);
	verdict_key(j, blob, group, path, u->key);
	t->slots[s] = t->n + 1;
	return t->n++;
}

static void utable_release(struct utable *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].path);
		gate_results_release(&t->v[i].results);
	}
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- facts of blobs (repository checks) ---- */

/* Facts of each blob read during one push (blob id -> facts). */
struct fmemo {
	git_oid *ids;
	struct gate_tree_facts **facts;
	size_t n, alloc;
	size_t *slots;  /* index + 1, 0 empty */
	size_t nslots;
};

static size_t fmemo_slot(const struct fmemo *m, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	h &= m->nslots - 1;
	while (m->slots[h] && !git_oid_equal(&m->ids[m->slots[h] - 1], id))
		h = (h + 1) & (m->nslots - 1);
	return h;
}

static void fmemo_grow(struct fmemo *m)
{
	size_t i;

	free(m->slots);
	m->nslots = m->nslots ? m->nslots * 2 : 1024;
	m->slots = gate_xcalloc(m->nslots, sizeof(*m->slots));
	for (i = 0; i < m->n; i++)
		m->slots[fmemo_slot(m, &m->ids[i])] = i + 1;
}

/* The facts of blob id, or NULL when not known yet. */
static const struct gate_tree_facts *fmemo_get(struct fmemo *m, const git_oid *id)
{
	size_t slot;

	if (!m->n)
		return NULL;
	slot = fmemo_slot(m, id);
	return m->slots[slot] ? m->facts[m->slots[slot] - 1] : NULL;
}

/* Keep facts f (taken over) as those of blob id; returns what is kept. */
static const struct gate_tree_facts *fmemo_put(struct fmemo *m, const git_oid *id,
	struct gate_tree_facts *f)
{
	size_t slot;

	if ((m->n + 1) * 2 > m->nslots)
		fmemo_grow(m);
	slot = fmemo_slot(m, id);
	if (m->slots[slot]) {
		gate_tree_facts_free(f);
		return m->facts[m->slots[slot] - 1];
	}
	GATE_ALLOC_GROW(m->ids, m->n + 1, m->alloc);
	m->facts = gate_xreallocarray(m->facts, m->alloc, sizeof(*m->facts));
	git_oid_cpy(&m->ids[m->n], id);
	m->facts[m->n] = f;
	m->slots[slot] = ++m->n;
	return f;
}

static void fmemo_release(struct fmemo *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		gate_tree_facts_free(m->facts[i]);
	free(m->ids);
	free(m->facts);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- collecting the files of each commit ---- */

struct collect {
	struct gate_judge *j;
	struct utable *t;
	struct gate_judged_commit *c;
	git_tree *parent_tree;      /* ratchet: the first parent's tree, else NULL */
};

static struct gate_judged_file *add_file(struct gate_judged_commit *c, const char *path,
	const git_oid *blob, int group)
{
	struct gate_judged_file *f;

	GATE_ALLOC_GROW(c->files, c->nfiles + 1, c->afiles);
	f = &c->files[c->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = gate_xstrdup(path);
	git_oid_tostr(f->blob, sizeof(f->blob), blob);
	f->group = group;
	return f;
}

static int collect_change(const struct gate_repo_change *ch, void *payload)
{
	struct collect *cl = payload;
	const struct gate_config *cfg = cl->j->cfg;
	struct gate_judged_file *f;
	int group;

	if (ch->status == GATE_CHANGE_DELETED)
		return 0;
	if (!gate_config_path_is_manifest(cfg, ch->path)) {
		/* any other file: scanned for credentials */
		if (cl->j->scan && (ch->mode == GIT_FILEMODE_BLOB ||
		    ch->mode == GIT_FILEMODE_BLOB_EXECUTABLE)) {
			add_file(cl->c, ch->path, &ch->id, GROUP_SCAN);
			utable_get(cl->j, cl->t, &ch->id, GROUP_SCAN, ch->path);
		}
		return 0;
	}
	group = gate_config_group_for(cfg, ch->path);
	if (ch->mode == GIT_FILEMODE_LINK) {
		f = add_file(cl->c, ch->path, &ch->id, group);
		/*
		 * kustomize, kubectl and Argo CD follow in-repo links, and the
		 * target may lie outside the manifest globs: deny, never skip
		 */
		own_result(&f->results, ch->path, GATE_STATUS_ERROR, "symlink", GATE_SEV_DENY,
			"symbolic link at a manifest path: commit the file itself");
		return 0;
	}
	if (ch->mode == GIT_FILEMODE_COMMIT) {
		f = add_file(cl->c, ch->path, &ch->id, group);
		own_result(&f->results, ch->path, GATE_STATUS_SKIPPED, "submodule", GATE_SEV_WARN,
			"submodule not judged");
		return 0;
	}
	if (ch->mode != GIT_FILEMODE_BLOB && ch->mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	f = add_file(cl->c, ch->path, &ch->id, group);
	if (group < 0) {
		own_result(&f->results, ch->path, GATE_STATUS_SKIPPED, "no-schema-settings",
			GATE_SEV_WARN, "no entry of schemas: matches this path: not judged");
		return 0;
	}
	utable_get(cl->j, cl->t, &ch->id, group, ch->path);
	if (cl->parent_tree) {
		git_tree_entry *e = NULL;
		if (git_tree_entry_bypath(&e, cl->parent_tree, ch->path) == 0 &&
		    git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
		    !git_oid_equal(git_tree_entry_id(e), &ch->id)) {
			/* the parent's version is judged too, to tell old problems from new */
			f->has_parent = 1;
			git_oid_cpy(&f->parent_blob, git_tree_entry_id(e));
			utable_get(cl->j, cl->t, &f->parent_blob, group, ch->path);
		}
		git_tree_entry_free(e);
		git_error_clear();
	}
	return 0;
}

/*
 * What a commit changes against its first parent, for the judge: every entry
 * of the new tree that is not in the old tree with the same id and mode.
 * Deletions are not reported (nothing is left to judge).  Unlike
 * git_diff_tree_to_tree(), which expands every subtree of both sides, a
 * subtree whose id did not change is skipped without being read, so a push
 * that changes one file reads only the trees on that file's path instead of
 * every tree of the repository twice.  Entries come in git's tree order,
 * which is the order of their full paths, as in a libgit2 diff.  Modes are
 * reported normalised (git_tree_entry_filemode()): an odd regular-file mode
 * such as 100664 is still a blob to judge.
 */
#define MAX_TREE_DEPTH 4096

struct walk {
	git_repository *git;
	gate_repo_change_fn fn;
	void *payload;
	struct gate_buf path;
	char *msg;
	size_t msgsize;
};

static int walk_emit(struct walk *w, const git_tree_entry *e, enum gate_change_status st)
{
	struct gate_repo_change ch;

	memset(&ch, 0, sizeof(ch));
	ch.path = w->path.ptr;
	git_oid_cpy(&ch.id, git_tree_entry_id(e));
	ch.mode = (uint32_t)git_tree_entry_filemode(e);
	ch.status = st;
	return w->fn(&ch, w->payload);
}

static int walk_trees(struct walk *w, const git_tree *old, const git_tree *new, int depth);

/* Enter the subtrees old_e (may be NULL) and new_e, whose name is already on the path. */
static int walk_into(struct walk *w, const git_tree_entry *old_e, const git_tree_entry *new_e,
	int depth)
{
	git_tree *ot = NULL, *nt = NULL;
	int error;

	if (depth >= MAX_TREE_DEPTH) {
		gate_set_msg(w->msg, w->msgsize, "cannot read commit: trees nested more than %d deep",
			MAX_TREE_DEPTH);
		return -1;
	}
	if ((old_e && (error = git_tree_lookup(&ot, w->git, git_tree_entry_id(old_e))) < 0) ||
	    (error = git_tree_lookup(&nt, w->git, git_tree_entry_id(new_e))) < 0) {
		gate_repo_error(w->msg, w->msgsize, "cannot read tree");
		goto done;
	}
	gate_buf_addc(&w->path, '/');
	error = walk_trees(w, ot, nt, depth + 1);
done:
	git_tree_free(ot);
	git_tree_free(nt);
	return error;
}

static int walk_trees(struct walk *w, const git_tree *old, const git_tree *new, int depth)
{
	size_t oi = 0, ni = 0, on = old ? git_tree_entrycount(old) : 0;
	size_t nn = git_tree_entrycount(new), base = w->path.len;
	int error = 0;

	while (ni < nn && !error) {
		const git_tree_entry *ne = git_tree_entry_byindex(new, ni);
		const git_tree_entry *oe = oi < on ? git_tree_entry_byindex(old, oi) : NULL;
		int cmp = oe ? git_tree_entry_cmp(oe, ne) : 1;
		git_filemode_t nm;

		if (cmp < 0) { /* only in the old tree: deleted */
			oi++;
			continue;
		}
		ni++;
		if (cmp == 0)
			oi++;
		nm = git_tree_entry_filemode_raw(ne);
		if (cmp == 0 && git_oid_equal(git_tree_entry_id(oe), git_tree_entry_id(ne)) &&
		    git_tree_entry_filemode_raw(oe) == nm)
			continue; /* unchanged, and so is everything below it */
		w->path.len = base;
		gate_buf_adds(&w->path, git_tree_entry_name(ne));
		if (git_tree_entry_type(ne) == GIT_OBJECT_TREE) {
			error = walk_into(w, cmp == 0 ? oe : NULL, ne, depth);
		} else if (cmp == 0) {
			/* same name, not a tree on either side (trees sort apart) */
			error = walk_emit(w, ne, (git_tree_entry_filemode(oe) & 0170000) !=
				(git_tree_entry_filemode(ne) & 0170000) ?
				GATE_CHANGE_TYPECHANGE : GATE_CHANGE_MODIFIED);
		} else {
			/* new here; a type change when the old tree had a subtree of this name */
			const git_tree_entry *was = old ? git_tree_entry_byname(old,
				git_tree_entry_name(ne)) : NULL;
			error = walk_emit(w, ne, was && git_tree_entry_type(was) == GIT_OBJECT_TREE ?
				GATE_CHANGE_TYPECHANGE : GATE_CHANGE_ADDED);
		}
	}
	w->path.len = base;
	if (w->path.ptr)
		w->path.ptr[base] = '\0';
	return error;
}

/* Call fn for what commit changes (see walk_trees), or for its whole tree. */
int gate_judge_tree_changes(struct gate_repo *r, const git_oid *commit, int whole_tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	struct walk w;
	int error;

	memset(&w, 0, sizeof(w));
	w.git = gate_repo_git(r);
	w.fn = fn;
	w.payload = payload;
	w.msg = msg;
	w.msgsize = msgsize;
	if ((error = git_commit_lookup(&c, w.git, commit)) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		gate_repo_error(msg, msgsize, "cannot read commit");
		goto done;
	}
	if (!whole_tree && git_commit_parentcount(c) > 0) {
		if ((error = git_commit_parent(&parent, c, 0)) < 0 ||
		    (error = git_commit_tree(&ptree, parent)) < 0) {
			gate_repo_error(msg, msgsize, "cannot read parent commit");
			goto done;
		}
	}
	gate_buf_adds(&w.path, "");
	if (!ptree || !git_oid_equal(git_tree_id(ptree), git_tree_id(tree)))
		error = walk_trees(&w, ptree, tree, 0);
done:
	gate_buf_release(&w.path);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(c);
	return error;
}

static struct gate_judged_commit *add_commit(struct gate_judged_ref *r, const git_oid *id,
	int whole)
{
	struct gate_judged_commit *c;

	GATE_ALLOC_GROW(r->commits, r->ncommits + 1, r->acommits);
	c = &r->commits[r->ncommits++];
	memset(c, 0, sizeof(*c));
	git_oid_cpy(&c->id, id);
	git_oid_tostr(c->hex, sizeof(c->hex), id);
	c->whole_tree = whole;
	return c;
}

/* Peel id to a commit id.  1 done, 0 not a commit, -1 unreadable. */
static int peel_commit(struct gate_repo *repo, const git_oid *id, git_oid *out)
{
	git_object *obj = NULL, *peeled = NULL;
	int ret;

	if (git_object_lookup(&obj, gate_repo_git(repo), id, GIT_OBJECT_ANY) < 0)
		return -1;
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		ret = git_object_type(obj) == GIT_OBJECT_TAG ? -1 : 0;
		git_error_clear();
	} else {
		git_oid_cpy(out, git_object_id(peeled));
		ret = 1;
	}
	git_object_free(peeled);
	git_object_free(obj);
	return ret;
}

/*
 * Is ref inside the namespace ns (which ends in '/') or equal to one of its
 * leading components ("refs/heads/gitops" for "refs/heads/gitops/accepted/")?
 * A branch of such a name would block, by a directory/file conflict, every
 * ref the gate writes under ns.
 */
static int in_namespace(const char *ref, const char *ns)
{
	size_t n = strlen(ref), nn = strlen(ns), k;

	if (!strncmp(ref, ns, nn))
		return 1;
	if (n >= nn)
		return 0;
	for (k = n; ns[k]; k++)
		if (ns[k] == '/')
			return !strncmp(ref, ns, n) && k == n;
	return 0;
}

static int judge_ref_rules(struct gate_judge *j, const struct gate_ref_update *u,
	struct gate_judged_ref *r, git_oid *new_commit, char *msg, size_t msgsize)
{
	const struct gate_config_refs *rules = gate_config_refs(j->cfg);
	const char *acc = gate_config_accepted_prefix(j->cfg);
	git_oid old_commit;
	int rc;

	if (!strncmp(u->ref, acc, strlen(acc))) {
		r->denial = gate_xasprintf("refs under %s are written by the gate only", acc);
		return 0;
	}
	if (in_namespace(u->ref, acc)) {
		r->denial = gate_xasprintf("a leading part of %s, where the gate writes "
			"accepted refs: written by the gate only", acc);
		return 0;
	}
	if (in_namespace(u->ref, GATE_RECORD_NOTES_REF "/")) {
		r->denial = gate_xstrdup("the gate's verdict notes (" GATE_RECORD_NOTES_REF
			"): written by the gate only");
		return 0;
	}
	r->gated = gate_config_ref_is_gated(j->cfg, u->ref);
	if (!r->gated)
		return 0;
	if (!strncmp(u->ref, "refs/heads/", 11) && !u->new_zero) {
		/*
		 * refs/heads/Y and refs/Y share an accepted ref (record.h): the
		 * branch gives way when refs/Y is a gated ref too
		 */
		char *other = gate_xasprintf("refs/%s", u->ref + 11);
		int clash = strncmp(other, "refs/heads/", 11) &&
			gate_config_ref_is_gated(j->cfg, other);
		if (clash)
			r->denial = gate_xasprintf("this branch would share its accepted ref "
				"%s%s with the gated ref %s: use another branch name",
				acc, u->ref + 11, other);
		free(other);
		if (clash)
			return 0;
	}
	if (u->new_zero) {
		if (!rules->allow_delete)
			r->denial = gate_xstrdup("deleting a gated ref is not allowed");
		return 0;
	}
	rc = peel_commit(j->repo, &u->new_id, new_commit);
	if (rc < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &u->new_id);
		gate_set_msg(msg, msgsize, "cannot read object %s", hex);
		return -1;
	}
	if (rc == 0) {
		r->denial = gate_xstrdup("a gated ref must point to a commit");
		return 0;
	}
	if (!u->old_zero && !rules->allow_non_fast_forward) {
		rc = peel_commit(j->repo, &u->old_id, &old_commit);
		if (rc > 0)
			rc = gate_repo_descends(j->repo, new_commit, &old_commit, msg, msgsize);
		if (rc < 0)
			return -1;
		if (rc == 0)
			r->denial = gate_xstrdup("non-fast-forward update of a gated ref is not allowed "
				"(the new commit does not contain the old one)");
	}
	return 0;
}

/* The tree of the first parent of commit into *out (NULL for a root commit). */
static int parent_tree(struct gate_judge *j, const git_oid *commit, git_tree **out,
	char *msg, size_t msgsize)
{
	git_commit *c = NULL, *p = NULL;
	int error = 0;

	*out = NULL;
	if (git_commit_lookup(&c, gate_repo_git(j->repo), commit) < 0) {
		gate_repo_error(msg, msgsize, "cannot read commit");
		return -1;
	}
	if (git_commit_parentcount(c) > 0 &&
	    (git_commit_parent(&p, c, 0) < 0 || git_commit_tree(out, p) < 0)) {
		gate_repo_error(msg, msgsize, "cannot read parent commit");
		error = -1;
	}
	git_commit_free(p);
	git_commit_free(c);
	return error;
}

struct paths {
	char **v;
	size_t n, alloc;
};

static int collect_path(const struct gate_repo_change *ch, void *payload)
{
	struct paths *ps = payload;

	GATE_ALLOC_GROW(ps->v, ps->n + 1, ps->alloc);
	ps->v[ps->n++] = gate_xstrdup(ch->path);
	return 0;
}

/*
 * Ownership: every path the commit changes, deletions included (the judge's
 * own walk leaves them out, so libgit2's diff lists them here).  Refused
 * paths become files of the commit with one ownership problem each.
 */
static int check_owners(struct gate_judge *j, struct gate_judged_commit *c, int whole,
	char *msg, size_t msgsize)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct paths ps;
	size_t i;
	int error;

	memset(&ps, 0, sizeof(ps));
	error = gate_repo_commit_changes(j->repo, &c->id, whole, collect_path, &ps, msg, msgsize);
	if (error >= 0 && gate_policy_owner_check(j->policy, j->pusher, j->pgroups, j->npgroups,
			(const char *const *)ps.v, ps.n, &rs) < 0) {
		gate_set_msg(msg, msgsize, "cannot evaluate path ownership");
		error = -1;
	}
	for (i = 0; error >= 0 && i < rs.n; i++) {
		git_oid zero;
		struct gate_judged_file *f;
		struct gate_results one = GATE_RESULTS_INIT;

		memset(&zero, 0, sizeof(zero));
		f = add_file(c, rs.v[i].filename, &zero, -1);
		*gate_results_add(&one) = rs.v[i];
		memset(&rs.v[i], 0, sizeof(rs.v[i]));
		gate_results_move(&f->results, &one);
		gate_results_release(&one);
	}
	for (i = 0; i < ps.n; i++)
		free(ps.v[i]);
	free(ps.v);
	gate_results_release(&rs);
	return error < 0 ? error : 0;
}

/*
 * Is the tip of an existing ref judged history?  Gated refs and the accepted
 * namespace only: an ungated branch, a tag (with refs.gate_tags false) or a
 * note may point at commits no gate ever judged, so they hide nothing.
 */
static int ref_was_judged(const char *name, void *payload)
{
	const struct gate_config *cfg = payload;
	const char *acc = gate_config_accepted_prefix(cfg);

	if (!strncmp(name, acc, strlen(acc)))
		return 1;
	return gate_config_ref_is_gated(cfg, name) ? 1 : 0;
}

static int collect_ref(struct gate_judge *j, struct utable *t, const struct gate_ref_update *u,
	const char *const *keep, size_t nkeep, struct gate_judged_ref *r, char *msg, size_t msgsize)
{
	const struct gate_config_limits *lim = gate_config_limits(j->cfg);
	git_oid new_commit, *ids = NULL;
	size_t i, nids = 0;
	int error;

	if ((error = judge_ref_rules(j, u, r, &new_commit, msg, msgsize)) < 0)
		return error;
	if (!r->gated || r->denial || u->new_zero)
		return 0;
	error = gate_repo_new_commits(j->repo, &new_commit, u->old_zero ? NULL : &u->old_id,
		u->old_zero ? 0 : 1, ref_was_judged, (void *)j->cfg, keep, nkeep, lim->max_commits, &ids, &nids, msg, msgsize);
	if (error == GATE_REPO_ETOOMANY) {
		r->denial = gate_xasprintf("the update adds more than %zu commits "
			"(limits.max_commits); push in smaller steps", lim->max_commits);
		return 0;
	}
	if (error < 0)
		return error;
	/* a new gated ref must be a valid state as a whole, even without new commits */
	if (u->old_zero && nids == 0) {
		ids = gate_xmalloc(sizeof(*ids));
		git_oid_cpy(&ids[0], &new_commit);
		nids = 1;
	}
	for (i = 0; i < nids; i++) {
		struct collect cl;
		int whole = u->old_zero && i == 0;

		if (past_deadline(j)) {
			free(ids);
			return GATE_JUDGE_ETIMEOUT;
		}
		cl.j = j;
		cl.t = t;
		cl.c = add_commit(r, &ids[i], whole);
		cl.parent_tree = NULL;
		if (j->ratchet && !whole && (error = parent_tree(j, &ids[i], &cl.parent_tree,
				msg, msgsize)) < 0) {
			free(ids);
			return error;
		}
		error = gate_judge_tree_changes(j->repo, &ids[i], whole, collect_change, &cl, msg, msgsize);
		git_tree_free(cl.parent_tree);
		if (error >= 0 && j->owners)
			error = check_owners(j, cl.c, whole, msg, msgsize);
		if (error < 0) {
			free(ids);
			return error;
		}
	}
	free(ids);
	return 0;
}

/* ---- judging the distinct blobs ---- */

/* A NUL byte near the start, unless the text is UTF-16 with a byte order mark (YAML allows it) */
static int is_binary(const char *buf, size_t len)
{
	size_t bom;

	return memchr(buf, '\0', len < BINARY_PROBE ? len : BINARY_PROBE) != NULL &&
		gate_utf16_detect(buf, len, 0, &bom) == GATE_UTF16_NONE;
}

static int cacheable(const struct gate_results *rs)
{
	size_t i;

	/* errors may come from the environment (schema store): judge them again */
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].status == GATE_STATUS_ERROR)
			return 0;
	return 1;
}

struct batch {
	struct gate_input *in;
	size_t *idx;     /* uniq index of each input */
	char **bufs;
	size_t n, alloc, bytes;
};

/* Scan a file's bytes for credentials; findings become one result of u. */
static void scan_secrets(struct gate_judge *j, struct uniq *u, const char *buf, size_t len)
{
	struct gate_result *r = gate_results_add(&u->results);

	r->filename = gate_xstrdup(u->path);
	r->status = GATE_STATUS_VALID;
	gate_policy_scan_secrets(j->policy, u->path, buf, len, r);
	if (!r->nproblems) {
		gate_result_release(r);
		u->results.n--;
	}
}

static void scan_too_large(struct gate_judge *j, struct uniq *u, size_t size)
{
	struct gate_result *r = gate_results_add(&u->results);

	r->filename = gate_xstrdup(u->path);
	r->status = GATE_STATUS_VALID;
	gate_policy_scan_too_large(j->policy, u->path, size, r);
}

/* Files that are no manifests: only their secrets.  Too large or binary ones are not read. */
static int judge_scan_only(struct gate_judge *j, struct utable *t, struct gate_verdict *out,
	char *msg, size_t msgsize)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct uniq *u = &t->v[i];
		char *buf = NULL, emsg[256];
		size_t len = 0;
		int rc;

		if (u->done || u->group != GROUP_SCAN)
			continue;
		if (past_deadline(j))
			return GATE_JUDGE_ETIMEOUT;
		rc = gate_repo_read_blob(j->repo, &u->blob, gate_policy_scan_max_bytes(j->policy),
			&buf, &len, emsg, sizeof(emsg));
		if (rc < 0 && rc != GATE_REPO_ETOOBIG) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &u->blob);
			gate_set_msg(msg, msgsize, "cannot read blob %s: %s", hex, emsg);
			return -1;
		}
		/* the scanner decodes UTF-16 and reads binary files too; too large: said so */
		if (rc == 0)
			scan_secrets(j, u, buf, len);
		else
			scan_too_large(j, u, len);
		free(buf);
		u->done = 1;
		out->files_done++;
		if (j->cache)
			gate_verdicts_put(j->cache, u->key, u->results.v, u->results.n);
	}
	return 0;
}

/*
 * What the engine's threads gather for one input besides its verdict: the
 * facts of its documents (a checker sees every identified resource, as
 * parsed for validation), where each document root was, and whether the
 * file's bytes were scanned for secrets.
 */
struct fslot {
	struct gate_tree_facts *facts;
	uint32_t (*pos)[2];       /* line, column of each root given, in order */
	size_t npos, apos;
	int verified;             /* facts are what gate_tree_facts_parse() gives */
	int scanned;
	char *note;               /* verified facts as text, for the verdict cache */
};

/* Per batch: the engine names an input by its filename pointer (each uniq has its own). */
struct gather {
	struct gate_judge *j;
	struct gate_input *in;
	struct fslot *slots;
	size_t n;
	size_t *hslots;           /* index + 1 by filename pointer, 0 empty */
	size_t nh;
	int facts, scan, notes;
};

static size_t ptr_hash(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17);
}

static struct fslot *gather_slot(struct gather *g, const char *filename)
{
	size_t s = ptr_hash(filename) & (g->nh - 1);

	while (g->hslots[s]) {
		if (g->in[g->hslots[s] - 1].filename == filename)
			return &g->slots[g->hslots[s] - 1];
		s = (s + 1) & (g->nh - 1);
	}
	return NULL; /* not a name we gave: the facts are read again later */
}

static int gather_check(void *ctx, const char *filename, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *res)
{
	struct fslot *sl = gather_slot(ctx, filename);

	(void)id;
	(void)res;
	if (!sl || !root)
		return 0;
	if (!sl->facts)
		gate_tree_facts_new(&sl->facts);
	gate_tree_facts_add_document(sl->facts, root);
	GATE_ALLOC_GROW(sl->pos, sl->npos + 1, sl->apos);
	sl->pos[sl->npos][0] = root->line;
	sl->pos[sl->npos][1] = root->col;
	sl->npos++;
	return 0;
}

struct verify {
	const struct fslot *sl;
	size_t next;
	int ok;
};

/*
 * Check one document part against the roots the checker saw: a part with
 * content must have had exactly its root given (found where its first
 * character is), and a part without any none.  A List the engine expanded,
 * a document it did not parse or did not check (Kustomize files, skipped
 * kinds, duplicate keys under strict, too large) breaks the match, and then
 * the file's facts are read again.  Only blanks, line feeds, comment lines
 * and a bare document start marker may come before the first character, so
 * that lines and columns count as the parser counts them (a lone CR or a
 * Unicode line break in a comment is refused).
 */
static int verify_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct verify *v = payload;
	size_t i = 0, bol = 0;

	while (i < len) {
		unsigned char c = (unsigned char)part[i];
		if (i == bol && len - i >= 3 && !memcmp(part + i, "---", 3) &&
		    (len - i == 3 || strchr(" \t\r\n", part[i + 3]))) {
			/* a document start marker (first line of a file): a blank if nothing follows */
			i += 3;
			while (i < len && (part[i] == ' ' || part[i] == '\t'))
				i++;
			if (i < len && part[i] != '\n' && part[i] != '\r' && part[i] != '#') {
				v->ok = 0;
				return 1;
			}
		} else if (c == ' ' || c == '\t') {
			i++;
		} else if (c == '\r' && i + 1 < len && part[i + 1] == '\n') {
			i++;
		} else if (c == '\n') {
			line++;
			bol = ++i;
		} else if (c == '#') {
			while (i < len && part[i] != '\n') {
				c = (unsigned char)part[i++];
				if (c >= 0x80 || (c == '\r' && (i >= len || part[i] != '\n'))) {
					v->ok = 0;
					return 1;
				}
			}
		} else {
			break;
		}
	}
	if (i >= len)
		return 0;
	if (v->next >= v->sl->npos || v->sl->pos[v->next][0] != line ||
	    v->sl->pos[v->next][1] != (uint32_t)(i - bol + 1)) {
		v->ok = 0;
		return 1;
	}
	v->next++;
	return 0;
}

static int gather_scan(void *ctx, const char *filename, const char *buf, size_t len,
	struct gate_results *out)
{
	struct gather *g = ctx;
	struct fslot *sl = gather_slot(g, filename);

	if (!sl)
		return 0;
	if (g->facts) {
		struct verify v;
		v.sl = sl;
		v.next = 0;
		v.ok = 1;
		gate_doc_split(buf, len, verify_part, &v);
		sl->verified = v.ok && v.next == sl->npos;
		if (sl->verified && !sl->facts)
			gate_tree_facts_new(&sl->facts);
		if (sl->verified && g->notes) {
			/* kept with the verdict: a later push over this blob need not read it again */
			struct gate_buf nb = GATE_BUF_INIT;
			gate_tree_facts_serialize(sl->facts, &nb);
			sl->note = gate_buf_detach(&nb);
		}
	}
	if (g->scan) {
		/* as scan_secrets() */
		struct gate_result *r = gate_results_add(out);
		r->filename = gate_xstrdup(filename);
		r->status = GATE_STATUS_VALID;
		gate_policy_scan_secrets(g->j->policy, filename, buf, len, r);
		if (!r->nproblems) {
			gate_result_release(r);
			out->n--;
		}
		sl->scanned = 1;
	}
	return 0;
}

static int run_batch(struct gate_judge *j, struct utable *t, struct fmemo *memo, int group,
	struct batch *b, struct gate_verdict *out, char *msg, size_t msgsize)
{
	struct gate_engine_opts eo = j->eopts[group];
	struct gate_checker *ck = NULL;
	struct gate_scanner sc;
	struct gather g;
	size_t i, k;
	int error = 0;

	if (!b->n)
		return 0;
	memset(&g, 0, sizeof(g));
	g.j = j;
	g.in = b->in;
	g.n = b->n;
	g.facts = memo != NULL;
	g.notes = g.facts && j->cache;
	g.scan = j->scan;
	if (g.facts || g.scan) {
		g.slots = gate_xcalloc(b->n, sizeof(*g.slots));
		for (g.nh = 16; g.nh < 2 * b->n; g.nh *= 2)
			;
		g.hslots = gate_xcalloc(g.nh, sizeof(*g.hslots));
		for (i = 0; i < b->n; i++) {
			size_t s = ptr_hash(b->in[i].filename) & (g.nh - 1);
			while (g.hslots[s])
				s = (s + 1) & (g.nh - 1);
			g.hslots[s] = i + 1;
		}
		sc.scan = gather_scan;
		sc.ctx = &g;
		eo.scanners = &sc;
		eo.nscanners = 1;
	}
	if (g.facts) {
		/* first, so that no other checker's failure keeps a root from it */
		ck = gate_xcalloc(eo.ncheckers + 1, sizeof(*ck));
		ck[0].check = gather_check;
		ck[0].ctx = &g;
		for (k = 0; k < eo.ncheckers; k++)
			ck[k + 1] = eo.checkers[k];
		eo.checkers = ck;
		eo.ncheckers++;
	}
	if (gate_engine_run(&eo, b->in, b->n, j->threads) < 0) {
		gate_set_msg(msg, msgsize, "the validation engine failed");
		error = -1;
	}
	for (i = 0; i < b->n; i++) {
		struct uniq *u = &t->v[b->idx[i]];
		struct fslot *sl = g.slots ? &g.slots[i] : NULL;
		if (!error) {
			gate_results_move(&u->results, &b->in[i].results);
			if (j->scan && !(sl && sl->scanned))
				scan_secrets(j, u, b->bufs[i], b->in[i].len);
			u->done = 1;
			out->files_done++;
			if (j->cache && b->in[i].error == 0 && cacheable(&u->results))
				gate_verdicts_put_note(j->cache, u->key, u->results.v, u->results.n,
					sl && sl->verified ? sl->note : NULL);
			if (sl && sl->verified && b->in[i].error == 0) {
				fmemo_put(memo, &u->blob, sl->facts);
				sl->facts = NULL;
			}
		}
		if (sl) {
			gate_tree_facts_free(sl->facts);
			free(sl->pos);
			free(sl->note);
		}
		gate_results_release(&b->in[i].results);
		free(b->bufs[i]);
	}
	free(g.slots);
	free(g.hslots);
	free(ck);
	b->n = 0;
	b->bytes = 0;
	return error;
}

/* Judge every (blob, group) not in the cache; with memo, keep the facts the engine's pass gives. */
static int judge_uniq(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out, char *msg, size_t msgsize)
{
	const struct gate_config_limits *lim = gate_config_limits(j->cfg);
	struct batch b;
	size_t i, g;
	int error = 0;

	out->files_total = t->n;
	/* cache first: cheap, and it tells how much is left */
	if (j->cache && t->n > 256)
		gate_verdicts_scan(j->cache);
	for (i = 0; j->cache && i < t->n; i++) {
		struct uniq *u = &t->v[i];
		char *note = NULL;

		if (past_deadline(j))
			return GATE_JUDGE_ETIMEOUT;
		if (gate_verdicts_get_note(j->cache, u->key, u->path, &u->results,
				memo ? &note : NULL) == 1) {
			struct gate_tree_facts *f = NULL;
			u->done = u->from_cache = 1;
			out->files_done++;
			out->files_cached++;
			/* the facts judged with it, when kept (else the file is read if needed) */
			if (note && gate_tree_facts_deserialize(&f, note, strlen(note)) == 0)
				fmemo_put(memo, &u->blob, f);
		}
		free(note);
	}
	memset(&b, 0, sizeof(b));
	for (g = 0; g < j->ngroups && !error; g++) {
		for (i = 0; i < t->n && !error; i++) {
			struct uniq *u = &t->v[i];
			char *buf = NULL, emsg[256];
			size_t len = 0;
			int rc;

			if (u->done || u->group != (int)g)
				continue;
			if (past_deadline(j)) {
				error = GATE_JUDGE_ETIMEOUT;
				break;
			}
			rc = gate_repo_read_blob(j->repo, &u->blob, lim->max_blob_bytes, &buf, &len,
				emsg, sizeof(emsg));
			if (rc == GATE_REPO_ETOOBIG) {
				char *m = gate_xasprintf("file too large: %zu bytes, more than "
					"limits.max_blob_bytes (%zu)", len, lim->max_blob_bytes);
				own_result(&u->results, u->path, GATE_STATUS_ERROR, "size", GATE_SEV_DENY, m);
				free(m);
				u->done = 1;
				out->files_done++;
				continue;
			}
			if (rc < 0) {
				char hex[GIT_OID_HEXSZ + 1];
				git_oid_tostr(hex, sizeof(hex), &u->blob);
				gate_set_msg(msg, msgsize, "cannot read blob %s: %s", hex, emsg);
				error = -1;
				break;
			}
			if (is_binary(buf, len)) {
				own_result(&u->results, u->path, GATE_STATUS_ERROR, "binary", GATE_SEV_DENY,
					"binary file (a NUL byte in its first 8000 bytes): not a manifest");
				free(buf);
				u->done = 1;
				out->files_done++;
				continue;
			}
			if (b.n == b.alloc) {
				size_t na = b.alloc ? b.alloc * 2 : 64;
				b.in = gate_xreallocarray(b.in, na, sizeof(*b.in));
				b.idx = gate_xreallocarray(b.idx, na, sizeof(*b.idx));
				b.bufs = gate_xreallocarray(b.bufs, na, sizeof(*b.bufs));
				b.alloc = na;
			}
			memset(&b.in[b.n], 0, sizeof(b.in[b.n]));
			b.in[b.n].filename = u->path;
			b.in[b.n].buf = buf;
			b.in[b.n].len = len;
			b.idx[b.n] = i;
			b.bufs[b.n] = buf;
			b.n++;
			b.bytes += len;
			if (b.n >= BATCH_FILES || b.bytes >= BATCH_BYTES)
				error = run_batch(j, t, memo, (int)g, &b, out, msg, msgsize);
		}
		if (!error)
			error = run_batch(j, t, memo, (int)g, &b, out, msg, msgsize);
	}
	/* a batch left after an early stop: free its buffers */
	for (i = 0; i < b.n; i++) {
		gate_results_release(&b.in[i].results);
		free(b.bufs[i]);
	}
	free(b.in);
	free(b.idx);
	free(b.bufs);
	return error;
}

/* Give every file of every commit its verdict and count. */
static void distribute(struct gate_judge *j, struct utable *t, struct gate_verdict *out)
{
	size_t i, c, f;

	for (i = 0; i < out->nrefs; i++) {
		struct gate_judged_ref *r = &out->refs[i];
		for (c = 0; c < r->ncommits; c++) {
			struct gate_judged_commit *cm = &r->commits[c];
			for (f = 0; f < cm->nfiles; f++) {
				struct gate_judged_file *fl = &cm->files[f];
				if (!fl->results.n && fl->group != -1) {
					git_oid id;
					size_t k;
					git_oid_fromstr(&id, fl->blob);
					k = utable_get(j, t, &id, fl->group, fl->path);
					copy_results(&fl->results, &t->v[k].results, fl->path);
					fl->from_cache = t->v[k].from_cache;
				}
				/* a file scanned for secrets alone counts when it has findings */
				if (fl->group == GROUP_SCAN && !fl->results.n)
					continue;
				count_file(fl);
				cm->nproblems += fl->nproblems;
				cm->nwarnings += fl->nwarnings;
				r->nsuppressed += fl->nsuppressed;
				if (fl->nproblems)
					cm->nbad_files++;
				r->nfiles++;
				if (fl->from_cache)
					r->ncached++;
			}
			r->nproblems += cm->nproblems;
			r->nwarnings += cm->nwarnings;
			r->nbad_files += cm->nbad_files;
			if (cm->nproblems)
				r->nbad_commits++;
		}
		out->nproblems += r->nproblems;
		out->nwarnings += r->nwarnings;
		out->nbad_files += r->nbad_files;
		out->nbad_commits += r->nbad_commits;
		if (r->denial)
			out->ndenials++;
	}
}

/* ---- policy over commits: repository-wide checks and the ratchet ---- */

static int streq0(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int same_object(const struct gate_result *a, const struct gate_result *b)
{
	return streq0(a->kind, b->kind) && streq0(a->name, b->name) &&
		streq0(a->namespace_, b->namespace_);
}

/* Did the same object in parent have a rejecting problem like p (rule and place)? */
static int had_before(const struct gate_results *parent, const struct gate_result *r,
	const struct gate_problem *p, int by_pointer)
{
	size_t i, k;

	for (i = 0; i < parent->n; i++) {
		const struct gate_result *pr = &parent->v[i];
		if (!same_object(pr, r))
			continue;
		for (k = 0; k < pr->nproblems; k++) {
			const struct gate_problem *q = &pr->problems[k];
			if (q->severity == GATE_SEV_DENY && !q->suppressed && streq0(q->rule, p->rule) &&
			    (!by_pointer || streq0(q->pointer, p->pointer)))
				return 1;
		}
	}
	return 0;
}

/* A result whose rejecting problems all went away is valid again. */
static void settle_status(struct gate_result *r)
{
	size_t k;

	if (r->status != GATE_STATUS_INVALID)
		return;
	for (k = 0; k < r->nproblems; k++)
		if (r->problems[k].severity == GATE_SEV_DENY && !r->problems[k].suppressed)
			return;
	r->status = GATE_STATUS_VALID;
	free(r->msg);
	r->msg = NULL;
}

/*
 * The ratchet: rejecting problems the parent already had on the same object
 * become warnings marked grandfathered.  Secrets are never grandfathered.
 */
static void ratchet_results(struct gate_results *rs, const struct gate_results *parent,
	const char *parent_hex, int by_pointer)
{
	size_t i, k;

	for (i = 0; i < rs->n; i++) {
		struct gate_result *r = &rs->v[i];
		for (k = 0; k < r->nproblems; k++) {
			struct gate_problem *p = &r->problems[k];
			char *m;
			if (p->severity != GATE_SEV_DENY || p->suppressed ||
			    (p->rule && !strncmp(p->rule, "secret-", 7)) ||
			    !had_before(parent, r, p, by_pointer))
				continue;
			m = gate_xasprintf("%s (grandfathered: already in %.7s)", p->message, parent_hex);
			free(p->message);
			p->message = m;
			p->severity = GATE_SEV_WARN;
		}
		settle_status(r);
	}
}

struct tree_entry {
	char *path;
	git_oid id;
	int changed;
};

struct tree_walk {
	struct gate_judge *j;
	struct tree_entry *v;
	size_t n, alloc;
	char **changed;  /* sorted paths the commit changed; NULL: every path counts as changed */
	size_t nchanged;
	struct fmemo *memo;
	char *msg;
	size_t msgsize;
};

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int tree_entry_fn(const struct gate_repo_change *ch, void *payload)
{
	struct tree_walk *tw = payload;
	struct tree_entry *e;

	if ((ch->mode != GIT_FILEMODE_BLOB && ch->mode != GIT_FILEMODE_BLOB_EXECUTABLE) ||
	    !gate_config_path_is_manifest(tw->j->cfg, ch->path))
		return 0;
	GATE_ALLOC_GROW(tw->v, tw->n + 1, tw->alloc);
	e = &tw->v[tw->n++];
	e->path = gate_xstrdup(ch->path);
	git_oid_cpy(&e->id, &ch->id);
	e->changed = !tw->changed || (tw->nchanged &&
		bsearch(&ch->path, tw->changed, tw->nchanged, sizeof(*tw->changed), cmp_path));
	return 0;
}

static void tree_walk_release(struct tree_walk *tw)
{
	size_t i;

	for (i = 0; i < tw->n; i++)
		free(tw->v[i].path);
	free(tw->v);
	tw->v = NULL;
	tw->n = tw->alloc = 0;
}

/* Read a blob of the tree, or NULL when too large or binary (the file's own verdict says so). */
static int read_tree_blob(struct gate_judge *j, const git_oid *id, char **buf, size_t *len,
	char *msg, size_t msgsize)
{
	const struct gate_config_limits *lim = gate_config_limits(j->cfg);
	char emsg[256];
	int rc;

	*buf = NULL;
	rc = gate_repo_read_blob(j->repo, id, lim->max_blob_bytes, buf, len, emsg, sizeof(emsg));
	if (rc == GATE_REPO_ETOOBIG)
		return 0;
	if (rc < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), id);
		gate_set_msg(msg, msgsize, "cannot read blob %s: %s", hex, emsg);
		return -1;
	}
	if (is_binary(*buf, *len)) {
		free(*buf);
		*buf = NULL;
	}
	return 0;
}

/* The facts of blob id: known from the engine's pass or an earlier call, else read and parsed. */
static int blob_facts(struct gate_judge *j, struct fmemo *m, const git_oid *id,
	const struct gate_tree_facts **out, char *msg, size_t msgsize)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_tree_facts *f = NULL;
	char *buf = NULL;
	size_t len = 0;

	if ((*out = fmemo_get(m, id)))
		return 0;
	if (past_deadline(j))
		return GATE_JUDGE_ETIMEOUT;
	if (read_tree_blob(j, id, &buf, &len, msg, msgsize) < 0)
		return -1;
	lim.max_bytes = gate_config_limits(j->cfg)->max_blob_bytes;
	gate_tree_facts_parse(&f, buf, buf ? len : 0, &lim);
	free(buf);
	*out = fmemo_put(m, id, f);
	return 0;
}

static int load_facts(void *payload, size_t index, const char *path,
	const struct gate_tree_facts **out)
{
	struct tree_walk *tw = payload;
	const git_oid *id = &tw->v[index].id;

	(void)path;
	return blob_facts(tw->j, tw->memo, id, out, tw->msg, tw->msgsize);
}

static int is_kustomization(const char *name)
{
	return !strcmp(name, "kustomization.yaml") || !strcmp(name, "kustomization.yml") ||
		!strcmp(name, "Kustomization");
}

/* The tree of folder dir ("" the root) in root, or NULL when there is none. */
static git_tree *folder_tree(struct gate_judge *j, git_tree *root, const char *dir)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;

	if (!*dir) {
		git_tree_dup(&t, root);
		return t;
	}
	if (git_tree_entry_bypath(&e, root, dir) == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		git_tree_lookup(&t, gate_repo_git(j->repo), git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_error_clear();
	return t;
}

/*
 * Offer the files (not subfolders) of folder dir, tree t, to tree_entry_fn; with
 * kust_only, only its kustomization files.  Returns how many were kept.
 */
static size_t folder_files(struct tree_walk *tw, const git_tree *t, const char *dir, int kust_only)
{
	size_t i, n = git_tree_entrycount(t), before = tw->n;

	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		struct gate_repo_change ch;
		char *path;

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE ||
		    (kust_only && !is_kustomization(git_tree_entry_name(e))))
			continue;
		path = *dir ? gate_xasprintf("%s/%s", dir, git_tree_entry_name(e)) :
			gate_xstrdup(git_tree_entry_name(e));
		memset(&ch, 0, sizeof(ch));
		ch.path = path;
		git_oid_cpy(&ch.id, git_tree_entry_id(e));
		ch.mode = (uint32_t)git_tree_entry_filemode(e);
		tree_entry_fn(&ch, tw);
		free(path);
	}
	return tw->n - before;
}

static int cmp_entry_path(const void *a, const void *b)
{
	return strcmp(((const struct tree_entry *)a)->path, ((const struct tree_entry *)b)->path);
}

/* Is folder a inside folder b, or b itself ("" holds everything)? */
static int folder_within(const char *a, const char *b)
{
	size_t lb = strlen(b);

	return !lb || (!strncmp(a, b, lb) && (a[lb] == '/' || !a[lb]));
}

/*
 * The manifests of the tree of commit that the tree checks can need, into
 * tw, in the order of a whole walk.  A file is needed when it shares a unit
 * with a changed file; a unit is the folder of the nearest kustomization, or
 * a file's own folder (see repo_checks.h).  So for each changed file: when a
 * folder on its path holds a kustomization, the whole subtree of the nearest
 * one (every file there has its nearest kustomization inside it, so its unit
 * comes out as in the whole tree), else the files of its own folder (no
 * kustomization above them either).  The files left out share no unit with a
 * changed file: they would only cost a walk of the whole tree and a
 * comparison with every unit.  With tw->changed NULL (every file counts as
 * changed) or a kustomization at the root, the whole tree.
 */
static int tree_manifests(struct gate_judge *j, struct tree_walk *tw, const git_oid *commit,
	char *msg, size_t msgsize)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	char **subtrees = NULL, **flat = NULL;
	size_t nsub = 0, asub = 0, nflat = 0, aflat = 0, i, k;
	int error = 0, whole = !tw->changed;

	if (whole)
		return gate_judge_tree_changes(j->repo, commit, 1, tree_entry_fn, tw, msg, msgsize);
	if (git_commit_lookup(&c, gate_repo_git(j->repo), commit) < 0 ||
	    git_commit_tree(&root, c) < 0) {
		gate_repo_error(msg, msgsize, "cannot read commit");
		error = -1;
		goto done;
	}
	for (i = 0; i < tw->nchanged && !whole; i++) {
		const char *slash = strrchr(tw->changed[i], '/');
		char *dir = slash ? gate_xstrndup(tw->changed[i], (size_t)(slash - tw->changed[i])) :
			gate_xstrdup("");
		size_t len = strlen(dir);
		int kust = 0;

		/* the nearest folder on the path holding a kustomization */
		for (;;) {
			char save = dir[len];
			git_tree *t;
			struct tree_walk probe;

			dir[len] = '\0';
			t = folder_tree(j, root, dir);
			memset(&probe, 0, sizeof(probe));
			probe.j = j;
			kust = t && folder_files(&probe, t, dir, 1) > 0;
			tree_walk_release(&probe);
			git_tree_free(t);
			if (kust)
				break;
			dir[len] = save;
			if (!len)
				break;
			do
				len--;
			while (len && dir[len] != '/');
		}
		if (kust) {
			if (!len)
				whole = 1;
			GATE_ALLOC_GROW(subtrees, nsub + 1, asub);
			subtrees[nsub++] = gate_xstrndup(dir, len);
		} else {
			GATE_ALLOC_GROW(flat, nflat + 1, aflat);
			flat[nflat++] = gate_xstrdup(dir);
		}
		free(dir);
	}
	if (whole) {
		error = gate_judge_tree_changes(j->repo, commit, 1, tree_entry_fn, tw, msg, msgsize);
		goto done;
	}
	if (nsub)
		qsort(subtrees, nsub, sizeof(*subtrees), cmp_path);
	if (nflat)
		qsort(flat, nflat, sizeof(*flat), cmp_path);
	for (i = 0; i < nsub && !error; i++) {
		struct walk w;
		git_tree *t;

		/* sorted: a subtree inside an earlier one comes right after it */
		for (k = 0; k < i; k++)
			if (subtrees[k] && folder_within(subtrees[i], subtrees[k]))
				break;
		if (k < i) {
			free(subtrees[i]);
			subtrees[i] = NULL;
			continue;
		}
		if (!(t = folder_tree(j, root, subtrees[i])))
			continue;
		memset(&w, 0, sizeof(w));
		w.git = gate_repo_git(j->repo);
		w.fn = tree_entry_fn;
		w.payload = tw;
		w.msg = msg;
		w.msgsize = msgsize;
		gate_buf_adds(&w.path, subtrees[i]);
		gate_buf_addc(&w.path, '/');
		error = walk_trees(&w, NULL, t, 0);
		gate_buf_release(&w.path);
		git_tree_free(t);
	}
	for (i = 0; i < nflat && !error; i++) {
		git_tree *t;

		/* a folder without kustomization above it lies in no subtree walked */
		if ((i && !strcmp(flat[i], flat[i - 1])) || !(t = folder_tree(j, root, flat[i])))
			continue;
		folder_files(tw, t, flat[i], 0);
		git_tree_free(t);
	}
	if (tw->n)
		qsort(tw->v, tw->n, sizeof(*tw->v), cmp_entry_path);
done:
	for (i = 0; i < nsub; i++)
		free(subtrees[i]);
	for (i = 0; i < nflat; i++)
		free(flat[i]);
	free(subtrees);
	free(flat);
	git_tree_free(root);
	git_commit_free(c);
	return error;
}

/* Run the tree checks of commit (its tree, or its parent's) into out. */
static int tree_check_commit(struct gate_judge *j, struct tree_walk *tw, const git_oid *commit,
	struct gate_results *out, char *msg, size_t msgsize)
{
	struct gate_tree_check *tc = NULL;
	size_t i;
	int error;

	tree_walk_release(tw);
	error = tree_manifests(j, tw, commit, msg, msgsize);
	if (error < 0)
		return error;
	gate_tree_check_new(&tc);
	for (i = 0; i < tw->n; i++)
		gate_tree_check_add(tc, tw->v[i].path, tw->v[i].changed);
	error = gate_tree_check_run(tc, load_facts, tw, out);
	gate_tree_check_free(tc);
	return error;
}

/* Is this result one the schema store had no schema for (a custom resource)? */
static int wants_crd(const struct gate_result *r)
{
	return r->api_version && strchr(r->api_version, '/') &&
		((r->status == GATE_STATUS_ERROR && r->msg &&
		  !strncmp(r->msg, "could not find schema for ", 26)) ||
		 (r->status == GATE_STATUS_SKIPPED && !r->msg));
}

/* A (group, kind) some custom resource of a commit has no schema for. */
struct crdneed {
	char *group, *kind;
};

/* The CRD set of one need: what it was built from, and the schemas. */
struct needset {
	struct crdneed need;
	int strict;
	struct tree_entry *cands;  /* the files it was built from (path, id), in tree order */
	size_t ncands, acands;
	struct gate_crd_set *set;
};

/*
 * The CRDs of the trees of one push, built lazily: only CRDs of a (group,
 * kind) a changed custom resource lacks a schema for are compiled, from the
 * files that may define one.  Which files those are comes from the facts of
 * blobs the push already read (gate_tree_facts_defines_crd()), else from the
 * words of the blob (gate_crd_words_may_define()), and when the words may,
 * from the facts kept with the blob's verdict by an earlier push; each blob
 * without facts is read once per push to learn whether it holds CRD text at
 * all, and a blob that does once more for its words.  The set of each (group, kind) is
 * kept while its candidate files and strictness stay the same (consecutive
 * commits share nearly every blob).
 */
struct crdcache {
	git_oid *ids;            /* blobs byte-tested */
	unsigned char *maybe;    /* 1: holds "CustomResourceDefinition" */
	struct gate_crd_words **words; /* of a blob that may, once needed */
	unsigned char *asked;    /* the verdict cache was asked for the blob's facts */
	size_t n, alloc;
	size_t *slots;           /* index + 1, 0 empty */
	size_t nslots;
	struct needset *sets;
	size_t nsets, asets;
};

static size_t crdcache_slot(const struct crdcache *cc, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	h &= cc->nslots - 1;
	while (cc->slots[h] && !git_oid_equal(&cc->ids[cc->slots[h] - 1], id))
		h = (h + 1) & (cc->nslots - 1);
	return h;
}

static void needs_free(struct crdneed *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].group);
		free(v[i].kind);
	}
	free(v);
}

static void needset_clear_cands(struct needset *ns)
{
	size_t i;

	for (i = 0; i < ns->ncands; i++)
		free(ns->cands[i].path);
	ns->ncands = 0;
}

static void crdcache_release(struct crdcache *cc)
{
	size_t i;

	for (i = 0; i < cc->nsets; i++) {
		needset_clear_cands(&cc->sets[i]);
		free(cc->sets[i].cands);
		free(cc->sets[i].need.group);
		free(cc->sets[i].need.kind);
		gate_crd_set_free(cc->sets[i].set);
	}
	free(cc->sets);
	for (i = 0; i < cc->n; i++)
		gate_crd_words_free(cc->words[i]);
	free(cc->words);
	free(cc->asked);
	free(cc->ids);
	free(cc->maybe);
	free(cc->slots);
	memset(cc, 0, sizeof(*cc));
}

/* The set kept for (need, strict), added empty when new. */
static struct needset *needset_of(struct crdcache *cc, const struct crdneed *need, int strict)
{
	struct needset *ns;
	size_t k;

	for (k = 0; k < cc->nsets; k++)
		if (cc->sets[k].strict == strict && !strcmp(cc->sets[k].need.group, need->group) &&
		    !strcmp(cc->sets[k].need.kind, need->kind))
			return &cc->sets[k];
	GATE_ALLOC_GROW(cc->sets, cc->nsets + 1, cc->asets);
	ns = &cc->sets[cc->nsets++];
	memset(ns, 0, sizeof(*ns));
	ns->need.group = gate_xstrdup(need->group);
	ns->need.kind = gate_xstrdup(need->kind);
	ns->strict = strict;
	return ns;
}

/*
 * The facts kept with the verdict of blob id at path (judged before, maybe
 * by another push), into memo; NULL when there are none.
 */
static const struct gate_tree_facts *kept_facts(struct gate_judge *j, struct fmemo *memo,
	const git_oid *id, const char *path)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_tree_facts *f = NULL;
	char key[GATE_SHA256_HEX], *note = NULL;
	int group = gate_config_group_for(j->cfg, path);

	if (group < 0)
		return NULL;
	verdict_key(j, id, group, path, key);
	if (gate_verdicts_get_note(j->cache, key, path, &rs, &note) == 1 && note &&
	    gate_tree_facts_deserialize(&f, note, strlen(note)) < 0)
		f = NULL;
	gate_results_release(&rs);
	free(note);
	return f ? fmemo_put(memo, id, f) : NULL;
}

/*
 * Which of needs may blob id define a CRD of?  Sets yes[i] for each; returns
 * 0, or negative when the blob is unreadable.  Facts the push holds answer
 * exactly; otherwise the blob's words.
 */
static int crd_candidate(struct gate_judge *j, struct crdcache *cc, struct fmemo *memo,
	const git_oid *id, const char *path, const struct crdneed *needs, size_t nneeds,
	unsigned char *yes, char *msg, size_t msgsize)
{
	const struct gate_tree_facts *f = fmemo_get(memo, id);
	size_t slot, i, u;
	char *b = NULL;
	size_t l = 0;
	int any;

	memset(yes, 0, nneeds);
	if (f) {
		for (i = 0; i < nneeds; i++)
			yes[i] = (unsigned char)gate_tree_facts_defines_crd(f, needs[i].group,
				needs[i].kind);
		return 0;
	}
	if ((cc->n + 1) * 2 > cc->nslots) {
		free(cc->slots);
		cc->nslots = cc->nslots ? cc->nslots * 2 : 1024;
		cc->slots = gate_xcalloc(cc->nslots, sizeof(*cc->slots));
		for (i = 0; i < cc->n; i++)
			cc->slots[crdcache_slot(cc, &cc->ids[i])] = i + 1;
	}
	slot = crdcache_slot(cc, id);
	if (!cc->slots[slot]) {
		if (read_tree_blob(j, id, &b, &l, msg, msgsize) < 0)
			return -1;
		GATE_ALLOC_GROW(cc->ids, cc->n + 1, cc->alloc);
		cc->maybe = gate_xreallocarray(cc->maybe, cc->alloc, 1);
		cc->words = gate_xreallocarray(cc->words, cc->alloc, sizeof(*cc->words));
		cc->asked = gate_xreallocarray(cc->asked, cc->alloc, 1);
		git_oid_cpy(&cc->ids[cc->n], id);
		cc->maybe[cc->n] = (unsigned char)(b && gate_crd_maybe(b, l));
		cc->words[cc->n] = NULL;
		cc->asked[cc->n] = 0;
		cc->slots[slot] = ++cc->n;
	}
	u = cc->slots[slot] - 1;
	if (cc->maybe[u] && !cc->words[u]) {
		if (!b && read_tree_blob(j, id, &b, &l, msg, msgsize) < 0)
			return -1;
		gate_crd_words_new(&cc->words[u], b ? b : "", b ? l : 0);
	}
	free(b);
	for (i = 0, any = 0; cc->maybe[u] && i < nneeds; i++)
		any |= yes[i] = (unsigned char)gate_crd_words_may_define(cc->words[u], needs[i].group,
			needs[i].kind);
	/* the words may: the facts kept with the blob's verdict say for sure (asked once) */
	if (any && !cc->asked[u] && j->cache) {
		cc->asked[u] = 1;
		if ((f = kept_facts(j, memo, id, path)))
			for (i = 0; i < nneeds; i++)
				yes[i] = (unsigned char)gate_tree_facts_defines_crd(f, needs[i].group,
					needs[i].kind);
	}
	return 0;
}

/*
 * The CRD sets of the tree of commit for needs (one per need, borrowed from
 * cc, valid until the next call) into sets[]: for each wanted (group,
 * version, kind), the schema that gate_crd_set_add_buffer() over every
 * manifest of the tree in order, strict as given, would hold.
 */
static int crdcache_sets(struct gate_judge *j, struct crdcache *cc, struct fmemo *memo,
	const git_oid *commit, int strict, const struct crdneed *needs, size_t nneeds,
	struct gate_crd_set **sets, char *msg, size_t msgsize)
{
	struct tree_walk all;
	struct needset *fresh;
	unsigned char *yes = gate_xcalloc(nneeds, 1);
	size_t i, k;
	int error;

	/* the candidates of each need, into a fresh list beside the kept one */
	fresh = gate_xcalloc(nneeds, sizeof(*fresh));
	memset(&all, 0, sizeof(all));
	all.j = j;
	if ((error = gate_judge_tree_changes(j->repo, commit, 1, tree_entry_fn, &all, msg, msgsize)) < 0)
		goto done;
	for (i = 0; i < all.n; i++) {
		if (past_deadline(j)) {
			error = GATE_JUDGE_ETIMEOUT;
			goto done;
		}
		if ((error = crd_candidate(j, cc, memo, &all.v[i].id, all.v[i].path, needs, nneeds,
				yes, msg, msgsize)) < 0)
			goto done;
		for (k = 0; k < nneeds; k++) {
			struct tree_entry *e;
			if (!yes[k])
				continue;
			GATE_ALLOC_GROW(fresh[k].cands, fresh[k].ncands + 1, fresh[k].acands);
			e = &fresh[k].cands[fresh[k].ncands++];
			e->path = gate_xstrdup(all.v[i].path);
			git_oid_cpy(&e->id, &all.v[i].id);
			e->changed = 0;
		}
	}
	for (k = 0; k < nneeds; k++) {
		struct needset *ns = needset_of(cc, &needs[k], strict);
		char cmsg[512] = "";
		int same = ns->set && ns->ncands == fresh[k].ncands;

		for (i = 0; same && i < ns->ncands; i++)
			same = !strcmp(ns->cands[i].path, fresh[k].cands[i].path) &&
				git_oid_equal(&ns->cands[i].id, &fresh[k].cands[i].id);
		if (!same) {
			struct tree_entry *tmp = ns->cands;
			size_t ta = ns->acands;
			needset_clear_cands(ns);
			ns->cands = fresh[k].cands;
			ns->ncands = fresh[k].ncands;
			ns->acands = fresh[k].acands;
			fresh[k].cands = tmp;
			fresh[k].ncands = 0;
			fresh[k].acands = ta;
			gate_crd_set_free(ns->set);
			gate_crd_set_new(&ns->set, strict);
			gate_crd_set_want(ns->set, ns->need.group, ns->need.kind);
			for (i = 0; i < ns->ncands; i++) {
				char *b = NULL;
				size_t l = 0;
				if ((error = read_tree_blob(j, &ns->cands[i].id, &b, &l, msg, msgsize)) < 0) {
					/* rebuilt next time */
					gate_crd_set_free(ns->set);
					ns->set = NULL;
					goto done;
				}
				if (b)
					gate_crd_set_add_buffer(ns->set, ns->cands[i].path, b, l, NULL, cmsg,
						sizeof(cmsg));
				free(b);
			}
		}
		sets[k] = ns->set;
	}
done:
	for (k = 0; k < nneeds; k++) {
		needset_clear_cands(&fresh[k]);
		free(fresh[k].cands);
	}
	free(fresh);
	free(yes);
	tree_walk_release(&all);
	return error;
}

/* The group of a result's apiVersion (before the first '/') into a new string. */
static char *result_group(const struct gate_result *r)
{
	const char *slash = strchr(r->api_version, '/');

	return gate_xstrndup(r->api_version, slash ? (size_t)(slash - r->api_version) : 0);
}

/* Does one of sets hold a schema for the resource of r (its group, last version part, kind)? */
static int crd_covers(struct gate_crd_set *const *sets, size_t nsets, const struct gate_result *r)
{
	const char *last = strrchr(r->api_version, '/');
	char *group = result_group(r);
	size_t k;
	int yes = 0;

	for (k = 0; k < nsets && !yes; k++)
		yes = gate_crd_set_lookup(sets[k], group, last ? last + 1 : r->api_version,
			r->kind) != NULL;
	free(group);
	return yes;
}

/*
 * Judge again the changed files holding custom resources the schema store
 * had no schema for, against the CRDs of the tree that describe them.
 */
static int crd_rejudge(struct gate_judge *j, struct gate_judged_commit *cm, struct crdcache *cc,
	struct fmemo *memo, char *msg, size_t msgsize)
{
	const struct gate_config_group *groups;
	struct gate_crd_set **sets = NULL;
	struct crdneed *needs = NULL;
	size_t i, f, k, ng, nneeds = 0, aneeds = 0, first = 0, any = 0;
	int error = 0;

	for (f = 0; f < cm->nfiles; f++)
		for (i = 0; cm->files[f].group >= 0 && i < cm->files[f].results.n; i++) {
			const struct gate_result *r = &cm->files[f].results.v[i];
			char *g;
			if (!wants_crd(r) || !r->kind)
				continue;
			if (!nneeds)
				first = f;
			g = result_group(r);
			for (k = 0; k < nneeds; k++)
				if (!strcmp(needs[k].group, g) && !strcmp(needs[k].kind, r->kind))
					break;
			if (k < nneeds) {
				free(g);
				continue;
			}
			GATE_ALLOC_GROW(needs, nneeds + 1, aneeds);
			needs[nneeds].group = g;
			needs[nneeds].kind = gate_xstrdup(r->kind);
			nneeds++;
		}
	if (!nneeds)
		return 0;
	groups = gate_config_groups(j->cfg, &ng);
	sets = gate_xcalloc(nneeds, sizeof(*sets));
	/* the strictness of the first file that wants one, for every set */
	if ((error = crdcache_sets(j, cc, memo, &cm->id, groups[cm->files[first].group].strict,
			needs, nneeds, sets, msg, msgsize)) < 0)
		goto done;
	for (k = 0; k < nneeds; k++)
		any += gate_crd_set_count(sets[k]);
	if (!any)
		goto done;
	for (f = 0; f < cm->nfiles; f++) {
		struct gate_judged_file *fl = &cm->files[f];
		struct gate_engine_opts eo;
		struct gate_checker *ck;
		struct gate_results rs = GATE_RESULTS_INIT;
		char *buf = NULL;
		size_t len = 0, nck = 0;
		git_oid id;
		int want = 0;

		/* only where a schema turns up: elsewhere judging again changes nothing */
		for (i = 0; fl->group >= 0 && i < fl->results.n && !want; i++)
			if (wants_crd(&fl->results.v[i]) && fl->results.v[i].kind &&
			    crd_covers(sets, nneeds, &fl->results.v[i]))
				want = 1;
		if (!want)
			continue;
		git_oid_fromstr(&id, fl->blob);
		if ((error = read_tree_blob(j, &id, &buf, &len, msg, msgsize)) < 0)
			goto done;
		if (!buf)
			continue;
		eo = j->eopts[fl->group];
		/*
		 * the sets' checkers first; each (group, kind) is in one set only,
		 * so together they act as one set holding them all
		 */
		ck = gate_xcalloc(eo.ncheckers + nneeds, sizeof(*ck));
		for (k = 0; k < nneeds; k++)
			if (gate_crd_set_count(sets[k]))
				gate_crd_set_checker(sets[k], &ck[nck++]);
		for (k = 0; k < eo.ncheckers; k++)
			ck[nck++] = eo.checkers[k];
		eo.checkers = ck;
		eo.ncheckers = nck;
		if (gate_engine_validate_buffer(&eo, fl->path, buf, len, &rs) < 0) {
			gate_set_msg(msg, msgsize, "the validation engine failed");
			error = -1;
		} else {
			/* keep the secret findings (valid results without a kind), which are not the engine's */
			for (i = 0; i < fl->results.n; i++)
				if (!fl->results.v[i].kind && fl->results.v[i].status == GATE_STATUS_VALID) {
					*gate_results_add(&rs) = fl->results.v[i];
					memset(&fl->results.v[i], 0, sizeof(fl->results.v[i]));
				}
			gate_results_release(&fl->results);
			gate_results_move(&fl->results, &rs);
		}
		gate_results_release(&rs);
		free(ck);
		free(buf);
		if (error < 0)
			goto done;
	}
done:
	free(sets);
	needs_free(needs, nneeds);
	return error;
}

/* The parent of commit (1), none (0), or -1. */
static int first_parent(struct gate_judge *j, const git_oid *commit, git_oid *out)
{
	git_commit *c = NULL;
	int rc = 0;

	if (git_commit_lookup(&c, gate_repo_git(j->repo), commit) < 0)
		return -1;
	if (git_commit_parentcount(c) > 0) {
		git_oid_cpy(out, git_commit_parent_id(c, 0));
		rc = 1;
	}
	git_commit_free(c);
	return rc;
}

/* Attach a tree check result to the judged file of its path (or a new one). */
static void attach_result(struct gate_judged_commit *cm, struct gate_result *r)
{
	struct gate_results one = GATE_RESULTS_INIT;
	struct gate_judged_file *fl = NULL;
	size_t f;

	for (f = 0; f < cm->nfiles && !fl; f++)
		if (cm->files[f].group >= 0 && !strcmp(cm->files[f].path, r->filename))
			fl = &cm->files[f];
	if (!fl) {
		git_oid zero;
		memset(&zero, 0, sizeof(zero));
		fl = add_file(cm, r->filename, &zero, -1);
	}
	*gate_results_add(&one) = *r;
	memset(r, 0, sizeof(*r));
	gate_results_move(&fl->results, &one);
	gate_results_release(&one);
}

/*
 * After judging the files: give each changed manifest its results, apply the
 * ratchet to them, and run the repository-wide checks on each commit's tree.
 */
static int push_policy(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out, char *msg, size_t msgsize)
{
	struct crdcache crd;
	size_t i, c, f;
	int error = 0;

	if (!j->policy || (!j->ratchet && !j->tree_checks))
		return 0;
	memset(&crd, 0, sizeof(crd));
	for (i = 0; i < out->nrefs && !error; i++) {
		struct gate_judged_ref *r = &out->refs[i];
		for (c = 0; c < r->ncommits && !error; c++) {
			struct gate_judged_commit *cm = &r->commits[c];
			struct tree_walk tw;
			struct gate_results found = GATE_RESULTS_INIT, before = GATE_RESULTS_INIT;
			git_oid pid;
			char phex[GIT_OID_HEXSZ + 1] = "";
			size_t nmanifests = 0;
			int has_parent;

			if (past_deadline(j)) {
				error = GATE_JUDGE_ETIMEOUT;
				break;
			}
			has_parent = first_parent(j, &cm->id, &pid);
			if (has_parent < 0) {
				gate_set_msg(msg, msgsize, "cannot read commit %s", cm->hex);
				error = -1;
				break;
			}
			if (has_parent)
				git_oid_tostr(phex, sizeof(phex), &pid);
			for (f = 0; f < cm->nfiles; f++) {
				struct gate_judged_file *fl = &cm->files[f];
				git_oid id;
				size_t k;
				if (fl->group < 0 || fl->results.n)
					continue;
				nmanifests++;
				git_oid_fromstr(&id, fl->blob);
				k = utable_get(j, t, &id, fl->group, fl->path);
				copy_results(&fl->results, &t->v[k].results, fl->path);
				fl->from_cache = t->v[k].from_cache;
				if (j->ratchet && fl->has_parent) {
					k = utable_get(j, t, &fl->parent_blob, fl->group, fl->path);
					ratchet_results(&fl->results, &t->v[k].results, phex, 1);
				}
			}
			if (!j->tree_checks || !nmanifests)
				continue;
			memset(&tw, 0, sizeof(tw));
			tw.j = j;
			tw.memo = memo;
			tw.msg = msg;
			tw.msgsize = msgsize;
			if (!cm->whole_tree) {
				tw.changed = gate_xcalloc(cm->nfiles, sizeof(*tw.changed));
				for (f = 0; f < cm->nfiles; f++)
					if (cm->files[f].group >= 0)
						tw.changed[tw.nchanged++] = cm->files[f].path;
				qsort(tw.changed, tw.nchanged, sizeof(*tw.changed), cmp_path);
			}
			error = tree_check_commit(j, &tw, &cm->id, &found, msg, msgsize);
			if (!error)
				error = crd_rejudge(j, cm, &crd, memo, msg, msgsize);
			if (!error && j->ratchet && has_parent && found.n) {
				error = tree_check_commit(j, &tw, &pid, &before, msg, msgsize);
				if (!error)
					ratchet_results(&found, &before, phex, 0);
			}
			for (f = 0; !error && f < found.n; f++)
				attach_result(cm, &found.v[f]);
			gate_results_release(&found);
			gate_results_release(&before);
			tree_walk_release(&tw);
			free(tw.changed);
		}
	}
	crdcache_release(&crd);
	return error;
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
		r->ref = gate_xstrdup(u[i].ref);
		git_oid_cpy(&r->old_id, &u[i].old_id);
		git_oid_cpy(&r->new_id, &u[i].new_id);
		r->old_zero = u[i].old_zero;
		r->new_zero = u[i].new_zero;
		if ((error = collect_ref(j, &t, &u[i], keep, n, r, msg, msgsize)) < 0)
			goto done;
	}
	if ((error = judge_uniq(j, &t, want_facts ? &memo : NULL, out, msg, msgsize)) < 0 ||
	    (error = judge_scan_only(j, &t, out, msg, msgsize)) < 0)
		goto done;
	if ((error = push_policy(j, &t, &memo, out, msg, msgsize)) < 0)
		goto done;
	distribute(j, &t, out);
done:
	if (error == GATE_JUDGE_ETIMEOUT && !out->files_total)
		out->files_total = t.n;
	fmemo_release(&memo);
	utable_release(&t);
	free(keep);
	return error;
}
