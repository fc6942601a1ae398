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
#include "gate/unit.h"
#include "gate/util.h"
#include "judge_int.h"

/* ---- facts of blobs (repository checks) ---- */


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
const struct gate_tree_facts *gate_judge__fmemo_get(struct fmemo *m, const git_oid *id)
{
	size_t slot;

	if (!m->n)
		return NULL;
	slot = fmemo_slot(m, id);
	return m->slots[slot] ? m->facts[m->slots[slot] - 1] : NULL;
}

/* Keep facts f (taken over) as those of blob id; returns what is kept. */
const struct gate_tree_facts *gate_judge__fmemo_put(struct fmemo *m, const git_oid *id,
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

void gate_judge__fmemo_release(struct fmemo *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		gate_tree_facts_free(m->facts[i]);
	free(m->ids);
	free(m->facts);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}


/* ---- the manifests of a commit's tree and its units ---- */


int gate_judge__cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int gate_judge__tree_entry_fn(const struct gate_repo_change *ch, void *payload)
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
		bsearch(&ch->path, tw->changed, tw->nchanged, sizeof(*tw->changed), gate_judge__cmp_path));
	return 0;
}

void gate_judge__tree_walk_release(struct tree_walk *tw)
{
	size_t i;

	for (i = 0; i < tw->n; i++)
		free(tw->v[i].path);
	free(tw->v);
	tw->v = NULL;
	tw->n = tw->alloc = 0;
}

/* Read a blob of the tree, or NULL when too large or binary (the file's own verdict says so). */
int gate_judge__read_tree_blob(struct gate_judge *j, const git_oid *id, char **buf, size_t *len,
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
	if (gate_judge__is_binary(*buf, *len)) {
		free(*buf);
		*buf = NULL;
	}
	return 0;
}

static int load_facts(void *payload, size_t index, const char *path,
	const struct gate_tree_facts **out)
{
	struct tree_walk *tw = payload;
	const git_oid *id = &tw->v[index].id;

	(void)path;
	return gate_judge__blob_facts(tw->j, tw->memo, id, out, tw->msg, tw->msgsize);
}

/*
 * Offer the files (not subfolders) of folder dir, tree t, to gate_judge__tree_entry_fn; with
 * kust_only, only its kustomization files.  Returns how many were kept.
 */
static size_t folder_files(struct tree_walk *tw, const git_tree *t, const char *dir, int kust_only)
{
	size_t before = tw->n;

	gate_repo_folder_files(t, dir, kust_only ? gate_unit_is_kustomization_path : NULL,
		gate_judge__tree_entry_fn, tw);
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

struct holds_ctx {
	struct gate_judge *j;
	git_tree *root;
};

/* gate_unit_holds_fn over the tree of a commit */
static int holds_kustomization(const char *dir, void *payload)
{
	struct holds_ctx *hc = payload;
	git_tree *t = gate_repo_folder_tree(hc->j->repo, hc->root, dir);
	struct tree_walk probe;
	int kust;

	memset(&probe, 0, sizeof(probe));
	probe.j = hc->j;
	kust = t && folder_files(&probe, t, dir, 1) > 0;
	gate_judge__tree_walk_release(&probe);
	gate_repo_tree_free(t);
	return kust;
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
	git_tree *root = NULL;
	char **subtrees = NULL, **flat = NULL;
	size_t nsub = 0, asub = 0, nflat = 0, aflat = 0, i, k;
	int error = 0, whole = !tw->changed;

	if (whole)
		return gate_repo_tree_changes(j->repo, commit, 1, gate_judge__tree_entry_fn, tw, msg, msgsize);
	if (gate_repo_commit_tree(j->repo, commit, &root, msg, msgsize) < 0) {
		error = -1;
		goto done;
	}
	for (i = 0; i < tw->nchanged && !whole; i++) {
		const char *slash = strrchr(tw->changed[i], '/');
		char *dir = slash ? gate_xstrndup(tw->changed[i], (size_t)(slash - tw->changed[i])) :
			gate_xstrdup("");
		size_t len = 0;
		struct holds_ctx hc = { j, root };
		int kust = gate_unit_find(dir, holds_kustomization, &hc, &len);

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
		error = gate_repo_tree_changes(j->repo, commit, 1, gate_judge__tree_entry_fn, tw, msg, msgsize);
		goto done;
	}
	if (nsub)
		qsort(subtrees, nsub, sizeof(*subtrees), gate_judge__cmp_path);
	if (nflat)
		qsort(flat, nflat, sizeof(*flat), gate_judge__cmp_path);
	for (i = 0; i < nsub && !error; i++) {
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
		if (!(t = gate_repo_folder_tree(j->repo, root, subtrees[i])))
			continue;
		error = gate_repo_folder_walk(j->repo, t, subtrees[i], gate_judge__tree_entry_fn, tw,
			msg, msgsize);
		gate_repo_tree_free(t);
	}
	for (i = 0; i < nflat && !error; i++) {
		git_tree *t;

		/* a folder without kustomization above it lies in no subtree walked */
		if ((i && !strcmp(flat[i], flat[i - 1])) || !(t = gate_repo_folder_tree(j->repo, root, flat[i])))
			continue;
		folder_files(tw, t, flat[i], 0);
		gate_repo_tree_free(t);
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
	gate_repo_tree_free(root);
	return error;
}

/* Run the tree checks of commit (its tree, or its parent's) into out. */
int gate_judge__tree_check_commit(struct gate_judge *j, struct tree_walk *tw, const git_oid *commit,
	struct gate_results *out, char *msg, size_t msgsize)
{
	struct gate_tree_check *tc = NULL;
	size_t i;
	int error;

	gate_judge__tree_walk_release(tw);
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

