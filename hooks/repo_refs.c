/*
 * repo_refs.c: the repo module's writing side (include/gate/repo.h): refs
 * read, moved by compare-and-swap, listed; a notes ref repaired.  libgit2's error
 * stays set after a failure, for the caller's message.
 */
#include "gate/repo.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/util.h"

int gate_repo_ref_read(struct gate_repo *r, const char *name, git_oid *out, int *exists)
{
	int err = git_reference_name_to_id(out, gate_repo_git(r), name);

	*exists = err == 0;
	if (err == GIT_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return err;
}

int gate_repo_ref_move(struct gate_repo *r, const char *name, git_oid *cur, int *have_cur,
	const git_oid *target, int force, const char *logmsg, int *moved, const char **reason)
{
	git_repository *repo = gate_repo_git(r);
	git_reference *ref = NULL;
	int tries, err = 0;

	*moved = 0;
	*reason = NULL;
	for (tries = 0; tries < 50; tries++) {
		if (*have_cur && git_oid_equal(cur, target)) {
			*reason = "already";
			return 0;
		}
		if (*have_cur && !force) {
			int d = gate_repo_descends(r, cur, target, NULL, 0);
			if (d < 0)
				return d;
			if (d) {
				*reason = "superseded";
				return 0;
			}
		}
		if (*have_cur)
			err = git_reference_create_matching(&ref, repo, name, target, 1, cur, logmsg);
		else
			err = git_reference_create(&ref, repo, name, target, 0, logmsg);
		git_reference_free(ref);
		ref = NULL;
		if (err == 0) {
			*moved = 1;
			return 0;
		}
		if (err != GIT_EMODIFIED && err != GIT_EEXISTS && err != GIT_ELOCKED)
			return err;
		if (err == GIT_ELOCKED)
			usleep(5000 + (unsigned)(tries * 2000));
		if ((err = gate_repo_ref_read(r, name, cur, have_cur)) < 0)
			return err;
	}
	return GIT_ELOCKED;
}

int gate_repo_ref_replace(struct gate_repo *r, const char *name, const git_oid *target,
	const git_oid *expected, const char *logmsg)
{
	git_reference *nr = NULL;
	int err = git_reference_create_matching(&nr, gate_repo_git(r), name, target, 1, expected,
		logmsg);

	git_reference_free(nr);
	return err;
}

int gate_repo_ref_names(struct gate_repo *r, const char *prefix, char ***out, size_t *n)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t plen = strlen(prefix), alloc = 0;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = git_reference_iterator_new(&it, gate_repo_git(r))) < 0)
		return err;
	while (git_reference_next(&ref, it) == 0) {
		if (!strncmp(git_reference_name(ref), prefix, plen)) {
			GATE_ALLOC_GROW(*out, *n + 1, alloc);
			(*out)[(*n)++] = gate_xstrdup(git_reference_name(ref));
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return 0;
}

int gate_repo_ref_name_valid(const char *name)
{
	int valid = 0;

	return git_reference_name_is_valid(&valid, name) == 0 && valid;
}

char *gate_repo_head_branch(struct gate_repo *r)
{
	git_reference *head = NULL;
	char *b = NULL;

	if (git_reference_lookup(&head, gate_repo_git(r), "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    !strncmp(git_reference_symbolic_target(head), "refs/heads/", 11))
		b = gate_xstrdup(git_reference_symbolic_target(head) + 11);
	git_reference_free(head);
	return b;
}

/*
 * 1 when the commit id and its tree are in the object store (not in the
 * object cache: a gc --prune=now of another process removes files under us).
 */
static int notes_commit_whole(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	git_commit *c = NULL;
	int ok;

	if (git_repository_odb(&odb, repo) < 0)
		return 0;
	ok = git_odb_exists(odb, id) && git_commit_lookup(&c, repo, id) == 0 &&
		git_odb_exists(odb, git_commit_tree_id(c));
	git_commit_free(c);
	git_odb_free(odb);
	return ok;
}

/*
 * A notes ref pointing at a pruned commit (a gc --prune=now between the
 * write of its loose objects and the ref move) is put back on the newest
 * whole commit of its reflog, else removed.  0, or a libgit2 error.
 */
static int notes_repair(git_repository *repo, const char *notes_ref)
{
	git_oid id;
	git_reflog *log = NULL;
	size_t i, n;
	int err;

	if (git_reference_name_to_id(&id, repo, notes_ref) < 0 || notes_commit_whole(repo, &id))
		return 0;
	if (git_reflog_read(&log, repo, notes_ref) == 0) {
		n = git_reflog_entrycount(log);
		for (i = 0; i < n; i++) {
			const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
			const git_oid *o = git_reflog_entry_id_new(e);
			git_reference *ref = NULL;
			if (git_oid_is_zero(o) || !notes_commit_whole(repo, o))
				continue;
			err = git_reference_create(&ref, repo, notes_ref, o, 1,
				"gitops-gate: notes repaired (pointed at a pruned commit)");
			git_reference_free(ref);
			git_reflog_free(log);
			return err;
		}
		git_reflog_free(log);
	}
	return git_reference_remove(repo, notes_ref);
}

int gate_repo_notes_repair(struct gate_repo *r, const char *notes_ref)
{
	return notes_repair(gate_repo_git(r), notes_ref);
}
