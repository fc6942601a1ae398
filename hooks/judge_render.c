/*
 * judge_render.c: deployment roots.  The cluster applies renders, not files:
 * each commit's tree is searched for Flux Kustomizations (spec.path) and
 * Argo CD Applications (spec.source.path, spec.sources[].path) whose folder
 * is in the tree; each such folder is built with the native kustomize
 * (validate/render_*.c) reading blobs of the commit, with Flux's generated
 * kustomization when a Flux root has none.  Every rendered object is judged
 * (schema and policy, through the engine) and each problem is reported at the
 * source that set the value: "ROOT: FILE" with FILE's line and column.  A
 * changed manifest a root reads is judged through the renders only (a patch
 * is a partial object); a build that fails as kustomize would rejects.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/config.h"
#include "gate/doc.h"
#include "gate/hash.h"
#include "gate/verdicts.h"
#include "gate/policy.h"
#include "gate/render.h"
#include "gate/util.h"
#include "judge_int.h"

#include "judge_render_int.h"


/* The uses of the tree (its lookup table, its messages) by builds on several threads. */
static void tree_lock(const struct reads *r)
{
	if (r->mu)
		pthread_mutex_lock(r->mu);
}

static void tree_unlock(const struct reads *r)
{
	if (r->mu)
		pthread_mutex_unlock(r->mu);
}

static void reads_state(struct reads *r, const char *state, const char *path)
{
	if (strchr(path, '\n')) {
		r->unindexable = 1;
		return;
	}
	gate_buf_addf(&r->states, "%s %s\n", state, path);
}

void gate_judge__reads_add(struct reads *r, const char *path)
{
	GATE_ALLOC_GROW(r->paths, r->n + 1, r->alloc);
	r->paths[r->n++] = gate_xstrdup(path);
}

int gate_judge__loader_read(void *payload, const char *path, char **buf, size_t *len)
{
	struct reads *r = payload;
	const struct rfile *f;
	char emsg[256];
	git_oid id;
	int rc, dir;

	if (r->root->vpath && !strcmp(path, r->root->vpath)) {
		*buf = gate_xstrdup(r->root->overlay);
		*len = strlen(*buf);
		return 0;
	}
	if ((r->root->lpath && !strcmp(path, r->root->lpath)) || (r->root->apath && !strcmp(path, r->root->apath))) {
		*buf = gate_xstrdup(!strcmp(path, r->root->lpath ? r->root->lpath : "") ? r->root->labels :
			r->root->annots);
		*len = strlen(*buf);
		return 0;
	}
	if (r->root->vdir && !strcmp(path, r->root->vdir))
		return GATE_RENDER_EISDIR;
	if (r->gen_path && !strcmp(path, r->gen_path)) {
		char hex[GATE_SHA256_HEX], state[GATE_SHA256_HEX + 1];
		tree_lock(r);
		*buf = gate_judge__generate_kustomization(r->t, r->root->dir);
		if (!*buf && r->msg && r->msg != r->t->msg)
			gate_set_msg(r->msg, r->msgsize, "%s", r->t->msg);
		tree_unlock(r);
		if (!*buf) {
			r->io_error = 1;
			return -1;
		}
		*len = strlen(*buf);
		gate_sha256_hex(*buf, *len, hex);
		snprintf(state, sizeof(state), "g%s", hex);
		reads_state(r, state, r->root->dir);
		return 0;
	}
	if (!strncmp(path, "../", 3) || !strcmp(path, ".."))
		return GATE_RENDER_ENOENT;
	tree_lock(r);
	if ((f = gate_judge__rtree_find(r->t, path)) != NULL)
		id = f->id;
	dir = f ? 0 : gate_judge__rtree_is_dir(r->t, path);
	tree_unlock(r);
	if (!f) {
		reads_state(r, dir ? "d" : "-", path);
		if (!dir) {
			GATE_ALLOC_GROW(r->gone, r->ngone + 1, r->agone);
			r->gone[r->ngone++] = gate_xstrdup(path);
		}
		return dir ? GATE_RENDER_EISDIR : GATE_RENDER_ENOENT;
	}
	{
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &id);
		reads_state(r, hex, path);
	}
	rc = gate_repo_read_blob(r->t->j->repo, &id,
		gate_config_limits(r->t->j->cfg)->max_blob_bytes, buf, len, emsg, sizeof(emsg));
	if (rc < 0) {
		/* the build's own message, or the tree's (the root search's builds) */
		gate_set_msg(r->msg ? r->msg : r->t->msg, r->msg ? r->msgsize : r->t->msgsize, "cannot read %s: %s",
			path, emsg);
		r->io_error = 1;
		return rc == GATE_REPO_ETOOBIG ? -1 : rc;
	}
	gate_judge__reads_add(r, path);
	return 0;
}

/* The node at JSON pointer ptr in obj, or the deepest one on its way. */
static const struct gate_rnode *resolve(const struct gate_rnode *n, const char *ptr)
{
	char key[256];

	while (ptr && *ptr == '/' && n) {
		const struct gate_rnode *next = NULL;
		size_t k = 0, i;
		ptr++;
		while (*ptr && *ptr != '/') {
			char c = *ptr++;
			if (c == '~' && (*ptr == '0' || *ptr == '1'))
				c = *ptr++ == '0' ? '~' : '/';
			if (k + 1 < sizeof(key))
				key[k++] = c;
		}
		key[k] = '\0';
		if (n->type == GATE_RNODE_MAP) {
			for (i = 0; i < n->len; i++)
				if (!strcmp(n->u.members[i].key, key))
					next = n->u.members[i].value;
		} else if (n->type == GATE_RNODE_SEQ) {
			char *end;
			long idx = strtol(key, &end, 10);
			if (*key && !*end && idx >= 0 && (size_t)idx < n->len)
				next = n->u.items[idx];
		}
		if (!next || !next->file)
			break;
		n = next;
	}
	return n;
}

/* The result for (root, file) of object index obj: found or added to out. */
static struct gate_result *result_for(struct gate_results *out, size_t first, const char *root,
	const char *file, const struct gate_result *src)
{
	char *name = gate_xasprintf("%s: %s", root, file);
	struct gate_result *d;
	size_t i;

	for (i = first; i < out->n; i++)
		if (!strcmp(out->v[i].filename, name)) {
			free(name);
			return &out->v[i];
		}
	d = gate_results_add(out);
	d->filename = name;
	d->line = src->line;
	d->api_version = gate_xstrdup(src->api_version);
	d->kind = gate_xstrdup(src->kind);
	d->name = gate_xstrdup(src->name);
	d->namespace_ = gate_xstrdup(src->namespace_);
	d->status = GATE_STATUS_VALID;
	return d;
}

/* A file of the root's overlay folder is the text of the object that made it: its file, its column. */
static const char *vfile_map(const struct root *root, const char *file, uint32_t *col)
{
	if (root->vpath && !strcmp(file, root->vpath)) {
		*col += *col ? root->indent : 0;
		return root->from;
	}
	if ((root->lpath && !strcmp(file, root->lpath)) || (root->apath && !strcmp(file, root->apath)))
		return root->from;
	return file;
}

/*
 * Flux fails the whole Kustomization on an object whose substitution fails:
 * one problem at the text that holds the variable (or the object's first
 * line).
 */
static void subst_failed(const struct root *root, const struct gate_rnode *obj, const char *err,
	const char *var, struct gate_results *out)
{
	struct gate_subst_where w;
	struct gate_result *d;
	const char *file;
	char *msg;

	gate_judge__subst_where(obj, var, &w);
	file = vfile_map(root, w.file ? w.file : root->dir, &w.col);
	d = gate_results_add(out);
	d->filename = gate_xasprintf("%s: %s", root->dir, file);
	d->line = w.line;
	d->status = GATE_STATUS_INVALID;
	d->kind = w.kind ? gate_xstrdup(w.kind) : NULL;
	d->name = w.name ? gate_xstrdup(w.name) : NULL;
	msg = gate_xasprintf("post build fails in Flux: %s", err);
	gate_result_add_problem(d, NULL, w.line, w.col, "flux-post-build", GATE_SEV_DENY, msg);
	free(msg);
}

/* Judge one rendered object; its problems go to out, at their sources. */
static int judge_object(struct gate_judge *j, const struct root *root, const struct gate_rnode *obj,
	struct gate_results *out)
{
	struct gate_buf y = GATE_BUF_INIT;
	struct gate_results rs = GATE_RESULTS_INIT;
	const char *ofile = obj->file ? obj->file : root->dir;
	int group = gate_config_group_for(j->cfg, ofile);
	size_t i, k, first = out->n;
	int error;

	if (group < 0)
		return 0;
	gate_render_emit_node(obj, &y);
	if (root->fv.vars && !gate_judge__subst_disabled(obj)) {
		struct gate_buf z = GATE_BUF_INIT;
		char err[512], var[256];
		if (gate_judge__flux_substitute(root->fv.vars, root->fv.undefined, &y, &z, err, sizeof(err),
		    var, sizeof(var)) < 0) {
			subst_failed(root, obj, err, var, out);
			gate_buf_release(&z);
			gate_buf_release(&y);
			return 0;
		}
		gate_buf_release(&y);
		y = z;
	}
	error = gate_engine_validate_buffer(&j->eopts[group], ofile, y.ptr ? y.ptr : "", y.len, &rs);
	for (i = 0; !error && i < rs.n; i++) {
		const struct gate_result *s = &rs.v[i];
		if (s->status == GATE_STATUS_VALID && !s->nproblems)
			continue;
		if (s->status == GATE_STATUS_SKIPPED || s->status == GATE_STATUS_EMPTY)
			continue;
		if (!s->nproblems) {
			struct gate_result *d = result_for(out, first, root->dir, ofile, s);
			d->line = obj->line;
			d->status = s->status;
			free(d->msg);
			d->msg = gate_xstrdup(s->msg);
			continue;
		}
		for (k = 0; k < s->nproblems; k++) {
			const struct gate_problem *p = &s->problems[k];
			const struct gate_rnode *at = resolve(obj, p->pointer);
			const char *file = at && at->file ? at->file : ofile;
			uint32_t col = at ? at->col : 0;
			struct gate_result *d;
			struct gate_problem *q;
			file = vfile_map(root, file, &col);
			d = result_for(out, first, root->dir, file, s);
			q = gate_result_add_problem(d, p->pointer, at ? at->line : 0, col, p->rule,
				p->severity, p->message);
			q->suppressed = gate_xstrdup(p->suppressed);
			if (s->status > d->status)
				d->status = s->status;
			if (!d->msg && s->msg)
				d->msg = gate_xstrdup(s->msg);
		}
	}
	gate_results_release(&rs);
	gate_buf_release(&y);
	return error;
}

/* Is path p the path g, or below it? */
static int at_or_below(const char *p, const char *g)
{
	size_t n = strlen(g);

	return !strncmp(p, g, n) && (!p[n] || p[n] == '/');
}

/*
 * Was one of the paths read by this build changed by the commit, or one it
 * asked for and did not find deleted by it (a resource, a patch, a folder:
 * the build fails now and must be reported by this commit)?
 */
int gate_judge__root_touches(const struct rtree *t, const struct gate_judged_commit *cm, const struct reads *r,
	const struct root *root)
{
	size_t f, i;

	if (cm->whole_tree)
		return 1;
	for (f = 0; f < cm->ndeleted; f++)
		for (i = 0; i < r->ngone; i++)
			/* the file itself, or the folder holding it */
			if (at_or_below(r->gone[i], cm->deleted[f]))
				return 1;
	if (gate_judge__fpaths_has(&t->fp, root->from))
		return 1;
	/* the ConfigMaps and Secrets its variables came from */
	for (i = 0; i < root->fv.nsrcs; i++)
		if (gate_judge__fpaths_has(&t->fp, root->fv.srcs[i]))
			return 1;
	for (i = 0; i < r->n; i++)
		if (gate_judge__fpaths_has(&t->fp, r->paths[i]))
			return 1;
	return 0;
}

/*
 * Changed manifests a root reads: judged through the renders, not as whole
 * objects (group -1); their bytes are still scanned for secrets (comments
 * included), as every changed file is.
 */
static int hand_over(struct gate_judge *j, const struct rtree *t, struct gate_judged_commit *cm,
	const struct reads *r, char *msg, size_t msgsize)
{
	size_t f, i, it;

	for (i = 0; i < r->n; i++)
		for (it = 0; (f = gate_judge__fpaths_next(&t->fp, r->paths[i], &it)) != SIZE_MAX;) {
			struct gate_judged_file *fl = &cm->files[f];
			struct gate_result *res;
			git_oid id;
			char *buf = NULL;
			size_t len = 0;
			if (fl->group < 0)
				continue;
			fl->group = -1;
			if (!j->policy || !j->scan)
				continue;
			git_oid_fromstr(&id, fl->blob);
			if (gate_judge__read_tree_blob(j, &id, &buf, &len, msg, msgsize) < 0)
				return -1;
			if (buf) {
				res = gate_results_add(&fl->results);
				res->filename = gate_xstrdup(fl->path);
				res->status = GATE_STATUS_VALID;
				gate_policy_scan_secrets(j->policy, fl->path, buf, len, res);
				if (!res->nproblems) {
					gate_result_release(res);
					fl->results.n--;
				}
			}
			free(buf);
		}
	return 0;
}

static void build_failed(struct gate_results *out, const struct root *root, const struct gate_render_error *err)
{
	struct gate_result *d;
	const char *file = *err->file ? err->file : root->dir;
	uint32_t col = err->col;

	file = vfile_map(root, file, &col);
	d = gate_results_add(out);
	d->filename = gate_xasprintf("%s: %s", root->dir, file);
	d->line = err->line;
	d->status = GATE_STATUS_INVALID;
	d->msg = err->line ? gate_xasprintf("%u:%u: kustomize build failed: %s", err->line, col,
		err->message) : gate_xasprintf("kustomize build failed: %s", err->message);
}

/*
 * What the Flux object itself makes fail or leaves unknown (a remote
 * component, substituteFrom objects the gate cannot read): errors at their
 * lines, warnings as problems of severity warn.
 */
static void root_notes(struct gate_results *out, const struct root *root)
{
	struct gate_result *d;
	size_t i;

	if (root->bad) {
		d = gate_results_add(out);
		d->filename = gate_xasprintf("%s: %s", root->dir, root->from);
		d->line = root->bad_line;
		d->status = GATE_STATUS_INVALID;
		gate_result_add_problem(d, NULL, root->bad_line, root->bad_col,
			root->flux ? "flux-kustomization" : "argocd-application", GATE_SEV_DENY, root->bad);
	}
	for (i = 0; i < root->fv.nnotes; i++) {
		const struct root_note *n = &root->fv.notes[i];
		d = gate_results_add(out);
		d->filename = gate_xasprintf("%s: %s", root->dir, n->file);
		d->line = n->line;
		d->status = n->warn ? GATE_STATUS_VALID : GATE_STATUS_INVALID;
		gate_result_add_problem(d, NULL, n->line, n->col, "flux-substitute-from",
			n->warn ? GATE_SEV_WARN : GATE_SEV_DENY, n->msg);
	}
}

void gate_judge__reads_release(struct reads *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r->paths);
	for (i = 0; i < r->ngone; i++)
		free(r->gone[i]);
	free(r->gone);
	free(r->gen_path);
	gate_buf_release(&r->states);
}

/* The root's build judged, one object after the other, its results onto job->own. */
static int judge_objects(struct gate_judge *j, const struct root *root, const struct gate_render *r,
	struct rjob *job)
{
	size_t i;
	int error = 0;

	for (i = 0; i < gate_render_count(r) && !error; i++) {
		struct gate_results found = GATE_RESULTS_INIT;
		if (gate_judge__past_deadline(j)) {
			error = GATE_JUDGE_ETIMEOUT;
			break;
		}
		error = judge_object(j, root, gate_render_object(r, i), &found);
		if (!error && found.n) {
			job->has_fl = 1;
			gate_results_move(&job->own, &found);
		}
		gate_results_release(&found);
	}
	return error;
}

/*
 * Build root in the commit's tree and judge what it renders, into job (see
 * judge_render_int.h).  rcache: the push's parsed files, shared by its
 * builds (50 overlays of one base parse it once); mu: held around the uses
 * of t, NULL when builds run one after the other.
 */
void gate_judge__root_build(struct gate_judge *j, struct rtree *t, const struct gate_judged_commit *cm,
	const struct root *root, struct gate_render_cache *rcache, pthread_mutex_t *mu, struct rjob *job)
{
	struct gate_render_options ro = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_loader ldr;
	struct gate_render_error err;
	struct gate_render *r = NULL;
	struct reads *rd = &job->rd;
	int rc, has_k;

	memset(&err, 0, sizeof(err));
	rd->t = t;
	rd->root = root;
	rd->mu = mu;
	rd->msg = job->msg ? job->msg : t->msg;
	rd->msgsize = t->msgsize;
	tree_lock(rd);
	has_k = !root->flux || gate_judge__has_kustomization(t, root->dir);
	tree_unlock(rd);
	if (!has_k)
		rd->gen_path = *root->dir ? gate_xasprintf("%s/kustomization.yaml", root->dir) :
			gate_xstrdup("kustomization.yaml");
	if (j->cache) {
		tree_lock(rd);
		rc = gate_judge__rindex_lookup(j, t, cm, root, rd, job->key, job->ikey);
		tree_unlock(rd);
		if (rc == RINDEX_CLEAN)
			job->kind = RJOB_CLEAN;
		if (rc != RINDEX_MISS)
			return; /* untouched: nothing it reads changed, nothing to say, nothing to hand over */
	}
	job->kind = RJOB_BUILT;
	ldr.read = gate_judge__loader_read;
	ldr.payload = rd;
	/* Flux builds in input order (kustomize's --reorder none) */
	ro.order = root->flux ? GATE_RENDER_ORDER_NONE : GATE_RENDER_ORDER_LEGACY;
	ro.cache = rcache;
	rc = gate_render_build(&r, root->vdir ? root->vdir : *root->dir ? root->dir : ".", &ldr, &ro, &err);
	if (rd->io_error) {
		job->error = -1;
		goto done;
	}
	if (!(job->touched = gate_judge__root_touches(t, cm, rd, root)))
		goto done;
	if (root->bad || root->fv.nnotes) {
		job->has_fl = 1;
		root_notes(&job->own, root);
		if (root->bad || root->fv.failed)
			goto done; /* Flux applies nothing of it */
	}
	if (rc < 0) {
		job->has_fl = 1;
		build_failed(&job->own, root, &err);
		goto done;
	}
	job->error = judge_objects(j, root, r, job);
	if (job->error < 0 && job->error != GATE_JUDGE_ETIMEOUT)
		gate_set_msg(rd->msg, rd->msgsize, "cannot judge the render of %s", root->dir);
	/* a clean render, all warnings included: remember its inputs; else what it read */
	job->put = !job->error;
	job->clean = !job->has_fl && !gate_render_warning_count(r);
done:
	gate_render_free(r);
}

/* What job's build does to the commit, in the order the build did it. */
int gate_judge__root_merge(struct gate_judge *j, struct rtree *t, struct gate_judged_commit *cm,
	const struct root *root, struct rjob *job)
{
	struct gate_judged_file *fl;
	git_oid zero;
	int error;

	if (job->msg && *job->msg && job->error)
		gate_set_msg(t->msg, t->msgsize, "%s", job->msg);
	if (job->kind == RJOB_NONE || (job->kind == RJOB_BUILT && job->rd.io_error))
		return job->error;
	if ((error = hand_over(j, t, cm, &job->rd, t->msg, t->msgsize)) < 0 || job->kind == RJOB_CLEAN)
		return error;
	if (!job->touched) {
		gate_judge__rindex_put(j, t, &job->rd, NULL, job->ikey);
		return 0;
	}
	if (job->has_fl) {
		memset(&zero, 0, sizeof(zero));
		fl = gate_judge__add_file(cm, root->dir, &zero, -1);
		gate_results_move(&fl->results, &job->own);
	}
	if (job->put)
		gate_judge__rindex_put(j, t, &job->rd, job->clean ? job->key : NULL, job->ikey);
	return job->error;
}

void gate_judge__rjob_release(struct rjob *job)
{
	gate_judge__reads_release(&job->rd);
	gate_results_release(&job->own);
	free(job->msg);
	memset(job, 0, sizeof(*job));
}

static int judge_root(struct gate_judge *j, struct rtree *t, struct gate_judged_commit *cm,
	const struct root *root, struct gate_render_cache *rcache)
{
	struct rjob job;
	int error;

	memset(&job, 0, sizeof(job));
	gate_judge__root_build(j, t, cm, root, rcache, NULL, &job);
	error = gate_judge__root_merge(j, t, cm, root, &job);
	gate_judge__rjob_release(&job);
	return error;
}

int gate_judge__render_roots(struct gate_judge *j, struct gate_verdict *out, char *msg, size_t msgsize)
{
	struct noroot nr, novars;
	struct gate_render_cache *rcache;
	size_t i, c, k;
	int error = 0;

	memset(&nr, 0, sizeof(nr));
	memset(&novars, 0, sizeof(novars));
	rcache = NULL;
	if (gate_repo_sharing(j->repo))
		gate_render_cache_new(&rcache);
	for (i = 0; i < out->nrefs && !error; i++) {
		struct gate_judged_ref *r = &out->refs[i];
		for (c = 0; c < r->ncommits && !error; c++) {
			struct gate_judged_commit *cm = &r->commits[c];
			struct rtree t;
			struct roots rs;

			if (gate_judge__past_deadline(j)) {
				error = GATE_JUDGE_ETIMEOUT;
				break;
			}
			memset(&rs, 0, sizeof(rs));
			error = gate_judge__rtree_open(&t, j, &cm->id, &nr, &novars, msg, msgsize);
			gate_judge__fpaths_init(&t.fp, cm);
			if (!error)
				error = gate_judge__find_roots(&t, &rs);
			if (!error)
				error = gate_judge__resolve_vars(&t, &rs);
			if (!error && gate_judge__render_parallel(j, &t, cm, &rs, rcache, &error))
				k = rs.n; /* built on the judge's threads */
			else
				k = 0;
			for (; !error && k < rs.n; k++)
				error = gate_judge__past_root(j, j->roots_seen + k) ? GATE_JUDGE_ETIMEOUT :
					judge_root(j, &t, cm, &rs.v[k], rcache);
			j->roots_seen += rs.n;
			gate_judge__roots_release(&rs);
			gate_judge__fpaths_release(&t.fp);
			gate_judge__rtree_release(&t);
		}
	}
	gate_render_cache_free(rcache);
	free(nr.ids);
	free(novars.ids);
	return error;
}
