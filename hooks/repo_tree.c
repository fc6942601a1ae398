/*
 * repo_tree.c: the repo module's reading of trees (include/gate/repo.h): the
 * judge's own walk of what a commit changes, folders of a tree, the blob of
 * a path, peeling to commits, first parents.
 */
#include "gate/repo.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

/*
 * What a commit changes against its first parent, for the judge: every entry
 * of the new tree that is not in the old tree with the same id and mode.
 * Deletions are reported once per deleted entry of the old tree (a deleted
 * folder once, by its path, without walking into it), with mode 0 and a
 * zero id: nothing is left to judge, but a build that read it is touched.  Unlike
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

/* The old tree's entry oe, whose name is not in the new tree: one deletion. */
static int walk_deleted(struct walk *w, const git_tree_entry *oe, size_t base)
{
	struct gate_repo_change ch;

	w->path.len = base;
	gate_buf_adds(&w->path, git_tree_entry_name(oe));
	memset(&ch, 0, sizeof(ch));
	ch.path = w->path.ptr;
	ch.status = GATE_CHANGE_DELETED;
	return w->fn(&ch, w->payload);
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

		if (cmp < 0) { /* only in the old tree: deleted (a tree of that name may follow in new) */
			error = git_tree_entry_byname(new, git_tree_entry_name(oe)) ? 0 :
				walk_deleted(w, oe, base);
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
	for (; oi < on && !error; oi++) { /* the old tree's last entries: deleted */
		const git_tree_entry *oe = git_tree_entry_byindex(old, oi);
		if (!git_tree_entry_byname(new, git_tree_entry_name(oe)))
			error = walk_deleted(w, oe, base);
	}
	w->path.len = base;
	if (w->path.ptr)
		w->path.ptr[base] = '\0';
	return error;
}

int gate_repo_commit_trees(struct gate_repo *r, const git_oid *commit, int whole_tree,
	git_tree **tree, git_tree **ptree, char *msg, size_t msgsize)
{
	git_commit *c = NULL, *parent = NULL;
	int error;

	*tree = *ptree = NULL;
	if ((error = git_commit_lookup(&c, gate_repo_git(r), commit)) < 0 ||
	    (error = git_commit_tree(tree, c)) < 0) {
		gate_repo_error(msg, msgsize, "cannot read commit");
		goto done;
	}
	if (!whole_tree && git_commit_parentcount(c) > 0) {
		if ((error = git_commit_parent(&parent, c, 0)) < 0 ||
		    (error = git_commit_tree(ptree, parent)) < 0) {
			gate_repo_error(msg, msgsize, "cannot read parent commit");
			goto done;
		}
	}
done:
	if (error < 0) {
		git_tree_free(*tree);
		git_tree_free(*ptree);
		*tree = *ptree = NULL;
	}
	git_commit_free(parent);
	git_commit_free(c);
	return error < 0 ? -1 : 0;
}

static void walk_init(struct walk *w, struct gate_repo *r, gate_repo_change_fn fn, void *payload,
	char *msg, size_t msgsize)
{
	memset(w, 0, sizeof(*w));
	w->git = gate_repo_git(r);
	w->fn = fn;
	w->payload = payload;
	w->msg = msg;
	w->msgsize = msgsize;
}

int gate_repo_tree_changes(struct gate_repo *r, const git_oid *commit, int whole_tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	git_tree *tree = NULL, *ptree = NULL;
	struct walk w;
	int error;

	if ((error = gate_repo_commit_trees(r, commit, whole_tree, &tree, &ptree, msg, msgsize)) < 0)
		return error;
	walk_init(&w, r, fn, payload, msg, msgsize);
	gate_buf_adds(&w.path, "");
	if (!ptree || !git_oid_equal(git_tree_id(ptree), git_tree_id(tree)))
		error = walk_trees(&w, ptree, tree, 0);
	gate_buf_release(&w.path);
	git_tree_free(ptree);
	git_tree_free(tree);
	return error;
}

int gate_repo_diff_changes(struct gate_repo *r, const git_oid *from, const git_oid *to,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	git_tree *tree = NULL, *ftree = NULL, *none = NULL;
	struct walk w;
	int error;

	if ((error = gate_repo_commit_trees(r, to, 1, &tree, &none, msg, msgsize)) < 0)
		return error;
	if (from && (error = gate_repo_commit_trees(r, from, 1, &ftree, &none, msg, msgsize)) < 0) {
		git_tree_free(tree);
		return error;
	}
	walk_init(&w, r, fn, payload, msg, msgsize);
	gate_buf_adds(&w.path, "");
	if (!ftree || !git_oid_equal(git_tree_id(ftree), git_tree_id(tree)))
		error = walk_trees(&w, ftree, tree, 0);
	gate_buf_release(&w.path);
	git_tree_free(ftree);
	git_tree_free(tree);
	return error;
}

int gate_repo_commit_tree(struct gate_repo *r, const git_oid *commit, git_tree **out,
	char *msg, size_t msgsize)
{
	git_tree *none;

	return gate_repo_commit_trees(r, commit, 1, out, &none, msg, msgsize);
}

int gate_repo_commit_tree_id(struct gate_repo *r, const git_oid *commit, git_oid *out,
	char *msg, size_t msgsize)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, gate_repo_git(r), commit) < 0) {
		gate_repo_error(msg, msgsize, "cannot read commit");
		return -1;
	}
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

int gate_repo_tree_list(struct gate_repo *r, const git_oid *tree, gate_repo_change_fn fn,
	void *payload, char *msg, size_t msgsize)
{
	git_tree *t = NULL;
	size_t i, n;
	int error = 0;

	if (git_tree_lookup(&t, gate_repo_git(r), tree) < 0) {
		gate_repo_error(msg, msgsize, "cannot read tree");
		return -1;
	}
	n = git_tree_entrycount(t);
	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		struct gate_repo_change ch;

		memset(&ch, 0, sizeof(ch));
		ch.path = git_tree_entry_name(e);
		git_oid_cpy(&ch.id, git_tree_entry_id(e));
		ch.mode = (uint32_t)git_tree_entry_filemode(e);
		ch.status = GATE_CHANGE_ADDED;
		error = fn(&ch, payload);
	}
	git_tree_free(t);
	return error;
}

int gate_repo_parent_tree(struct gate_repo *r, const git_oid *commit, git_tree **out,
	char *msg, size_t msgsize)
{
	git_commit *c = NULL, *p = NULL;
	int error = 0;

	*out = NULL;
	if (git_commit_lookup(&c, gate_repo_git(r), commit) < 0) {
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

void gate_repo_tree_free(git_tree *t)
{
	git_tree_free(t);
}

git_tree *gate_repo_folder_tree(struct gate_repo *r, git_tree *root, const char *dir)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;

	if (!*dir) {
		git_tree_dup(&t, root);
		return t;
	}
	if (git_tree_entry_bypath(&e, root, dir) == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		git_tree_lookup(&t, gate_repo_git(r), git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_error_clear();
	return t;
}

int gate_repo_folder_files(const git_tree *t, const char *dir, int (*name_ok)(const char *name),
	gate_repo_change_fn fn, void *payload)
{
	size_t i, n = git_tree_entrycount(t);
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		struct gate_repo_change ch;
		char *path;

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE ||
		    (name_ok && !name_ok(git_tree_entry_name(e))))
			continue;
		path = *dir ? gate_xasprintf("%s/%s", dir, git_tree_entry_name(e)) :
			gate_xstrdup(git_tree_entry_name(e));
		memset(&ch, 0, sizeof(ch));
		ch.path = path;
		git_oid_cpy(&ch.id, git_tree_entry_id(e));
		ch.mode = (uint32_t)git_tree_entry_filemode(e);
		ch.status = GATE_CHANGE_ADDED;
		error = fn(&ch, payload);
		free(path);
	}
	return error;
}

int gate_repo_folder_walk(struct gate_repo *r, const git_tree *t, const char *dir,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	struct walk w;
	int error;

	walk_init(&w, r, fn, payload, msg, msgsize);
	gate_buf_adds(&w.path, dir);
	if (*dir)
		gate_buf_addc(&w.path, '/');
	error = walk_trees(&w, NULL, t, 0);
	gate_buf_release(&w.path);
	return error;
}

int gate_repo_tree_blob(const git_tree *t, const char *path, git_oid *id)
{
	git_tree_entry *e = NULL;
	int found = 0;

	if (git_tree_entry_bypath(&e, t, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		git_oid_cpy(id, git_tree_entry_id(e));
		found = 1;
	}
	git_tree_entry_free(e);
	git_error_clear();
	return found;
}

git_tree *gate_repo_tree_get(struct gate_repo *r, const git_oid *id)
{
	git_tree *t = NULL;

	if (git_tree_lookup(&t, gate_repo_git(r), id) < 0) {
		git_error_clear();
		return NULL;
	}
	return t;
}

int gate_repo_tree_entry_named(const git_tree *t, const char *name, git_oid *id, uint32_t *mode)
{
	const git_tree_entry *e = git_tree_entry_byname(t, name);

	if (!e)
		return 0;
	git_oid_cpy(id, git_tree_entry_id(e));
	*mode = (uint32_t)git_tree_entry_filemode(e);
	return 1;
}

int gate_repo_tree_entry(const git_tree *t, const char *path, git_oid *id, uint32_t *mode)
{
	git_tree_entry *e = NULL;
	int found = 0;

	if (git_tree_entry_bypath(&e, t, path) == 0) {
		git_oid_cpy(id, git_tree_entry_id(e));
		*mode = (uint32_t)git_tree_entry_filemode(e);
		found = 1;
	}
	git_tree_entry_free(e);
	git_error_clear();
	return found;
}

int gate_repo_peel_commit(struct gate_repo *r, const git_oid *id, git_oid *out)
{
	git_object *obj = NULL, *peeled = NULL;
	int ret;

	if (git_object_lookup(&obj, gate_repo_git(r), id, GIT_OBJECT_ANY) < 0)
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

int gate_repo_first_parent(struct gate_repo *r, const git_oid *commit, git_oid *out)
{
	git_commit *c = NULL;
	int rc = 0;

	if (git_commit_lookup(&c, gate_repo_git(r), commit) < 0)
		return -1;
	if (git_commit_parentcount(c) > 0) {
		git_oid_cpy(out, git_commit_parent_id(c, 0));
		rc = 1;
	}
	git_commit_free(c);
	return rc;
}

int gate_repo_revparse_commit(struct gate_repo *r, const char *spec, git_oid *out)
{
	git_object *obj = NULL, *peeled = NULL;
	int ret = -1;

	if (git_revparse_single(&obj, gate_repo_git(r), spec) == 0 &&
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
		git_oid_cpy(out, git_object_id(peeled));
		ret = 0;
	}
	git_error_clear();
	git_object_free(peeled);
	git_object_free(obj);
	return ret;
}
