/*
 * repo: the repository as a hook sees it, through libgit2.
 *
 * Opened from the hook's environment (GIT_DIR, GIT_OBJECT_DIRECTORY,
 * GIT_ALTERNATE_OBJECT_DIRECTORIES), so objects still in receive-pack's
 * quarantine are visible.  This module only reads: it never writes objects
 * or refs (refs must not be written while quarantined).
 */
#ifndef GATE_REPO_H
#define GATE_REPO_H

#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#define GATE_REPO_ETOOMANY (-20) /* more commits than allowed */
#define GATE_REPO_ETOOBIG  (-21) /* blob larger than allowed */

struct gate_repo;

/*
 * Open a repository.  With path NULL, from the environment as git hooks run
 * (libgit2's GIT_REPOSITORY_OPEN_FROM_ENV: the caller is a hook program, so
 * reading the environment is its decision).  Owner validation is off: git
 * itself already chose to run the hook in this repository.
 * On success *out is new (release with gate_repo_free()); on failure returns
 * -1 with a message.
 */
int gate_repo_open(struct gate_repo **out, const char *path, char *msg, size_t msgsize);
void gate_repo_free(struct gate_repo *r);

/* The git directory, absolute, without a trailing slash (borrowed). */
const char *gate_repo_git_dir(const struct gate_repo *r);
/* The libgit2 handle (borrowed), for modules that need more. */
git_repository *gate_repo_git(struct gate_repo *r);

/*
 * Parse hex (len digits, as received on a hook's stdin) into out.  Sets
 * *is_zero when every digit is '0' (ref creation or deletion).  Returns 0, or
 * -1 when hex is not an object id this repository can use.
 */
int gate_repo_parse_oid(const struct gate_repo *r, git_oid *out, int *is_zero,
	const char *hex, size_t len);

/*
 * Does the tip of the existing ref name stand for judged history (so that
 * commits reachable from it need no new judging)?  1 yes, 0 no.
 */
typedef int (*gate_repo_ref_pred)(const char *name, void *payload);

/*
 * The commits reachable from tip and from none of the hidden ones, oldest
 * first (topological, parents before children).  Hidden: every tip in
 * hide[0..nhide), and the tip of every existing ref for which judged(name,
 * payload) returns 1, except those named in keep[0..nkeep) (which are being
 * updated).  With judged NULL no ref is hidden.  Refs the gate did not judge
 * (ungated branches, tags, notes) must not be hidden: their commits may
 * never have been judged.  At most max commits: more give
 * GATE_REPO_ETOOMANY.  *out is a new array (caller frees).
 */
int gate_repo_new_commits(struct gate_repo *r, const git_oid *tip,
	const git_oid *hide, size_t nhide, gate_repo_ref_pred judged, void *payload,
	const char *const *keep, size_t nkeep,
	size_t max, git_oid **out, size_t *n, char *msg, size_t msgsize);

/* 1 when commit is a descendant of (or equal to) ancestor, 0 when not, -1 on error. */
int gate_repo_descends(struct gate_repo *r, const git_oid *commit, const git_oid *ancestor,
	char *msg, size_t msgsize);

/* Is the object a commit?  1 yes, 0 no, -1 unreadable. */
int gate_repo_is_commit(struct gate_repo *r, const git_oid *id);

enum gate_change_status {
	GATE_CHANGE_ADDED = 0,
	GATE_CHANGE_MODIFIED,
	GATE_CHANGE_DELETED,
	GATE_CHANGE_TYPECHANGE
};

struct gate_repo_change {
	const char *path;      /* new path (old path for deletions); borrowed */
	git_oid id;            /* new blob id (zero for deletions) */
	uint32_t mode;         /* new git_filemode_t (0 for deletions) */
	enum gate_change_status status;
};

typedef int (*gate_repo_change_fn)(const struct gate_repo_change *c, void *payload);

/*
 * Call fn for each entry the commit changes against its first parent, or
 * for every entry of its tree when whole_tree is set or it has no parent.
 * Renames appear as additions.  Stops and returns fn's value when it is not 0.
 */
int gate_repo_commit_changes(struct gate_repo *r, const git_oid *commit, int whole_tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

/*
 * Call fn for each entry that differs between the trees of commits from and
 * to, deletions included, as gate_repo_commit_changes() does; with from NULL,
 * every entry of to's tree.  The commits need not be related.
 */
int gate_repo_commits_diff(struct gate_repo *r, const git_oid *from, const git_oid *to,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

/*
 * Read a blob into a new NUL-terminated buffer (caller frees).  Blobs larger
 * than max give GATE_REPO_ETOOBIG with *len set to the size, before reading
 * the content.  Returns 0 or negative with a message.  This and
 * gate_repo_blob_size() may be called from several threads at once (the
 * object database is libgit2's thread-safe one; r's blob memo has its own
 * lock; nothing else of r is touched), while no other call on r runs, when
 * gate_repo_reads_in_threads().  A blob read before through r is copied
 * from r's memo (include/gate/blob_memo.h) instead of being inflated again.
 */
int gate_repo_read_blob(struct gate_repo *r, const git_oid *id, size_t max,
	char **out, size_t *len, char *msg, size_t msgsize);
/*
 * The same, for a blob whose size gate_repo_blob_size() gave before: its
 * header is not read again (a packed delta's header costs about what its
 * content does).
 */
int gate_repo_read_blob_sized(struct gate_repo *r, const git_oid *id, size_t size, size_t max,
	char **out, size_t *len, char *msg, size_t msgsize);

/* 1 when blobs may be read from several threads (libgit2 built thread-safe), else 0. */
int gate_repo_reads_in_threads(const struct gate_repo *r);

/* The size of blob id, without reading its content.  Returns 0, or negative with a message (not a blob). */
int gate_repo_blob_size(struct gate_repo *r, const git_oid *id, size_t *size,
	char *msg, size_t msgsize);

/*
 * How many blobs gate_repo_read_blob() read whole from the object database
 * since r was opened (a count for tests and GATE_TIMING: what the facts
 * index and the memo spare).
 */
size_t gate_repo_blob_reads(const struct gate_repo *r);
/* How many gate_repo_read_blob() calls the memo answered instead. */
size_t gate_repo_blob_reads_shared(const struct gate_repo *r);

/*
 * Whether what one part of a push read is shared with the others (on by
 * default): the blob memo, and the parse cache the renders of a push share
 * (hooks/judge_render.c).  Off, every read and parse is done again: the
 * verdicts are the same (for tests comparing both ways).
 */
void gate_repo_set_sharing(struct gate_repo *r, int on);
int gate_repo_sharing(const struct gate_repo *r);

/*
 * What commit changes against its first parent, as gate_repo_commit_changes()
 * reports it without deletions (renames as additions), or every entry of its
 * tree when whole_tree is set or it has no parent.  A subtree whose id did
 * not change is not read, so a push that changes one file reads only the
 * trees on that file's path.  Entries come in the order of their full paths;
 * modes are normalised (git_tree_entry_filemode()).  Stops and returns fn's
 * value when it is not 0.
 */
int gate_repo_tree_changes(struct gate_repo *r, const git_oid *commit, int whole_tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

/*
 * What the tree of commit to holds that the tree of commit from does not
 * (same id and mode), as gate_repo_tree_changes() reports it; with from
 * NULL, every entry of to's tree.  The two commits need not be related.
 */
int gate_repo_diff_changes(struct gate_repo *r, const git_oid *from, const git_oid *to,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

/*
 * Trees (libgit2's git_tree, handed out for reading through the functions
 * below only): the tree of a commit, of its first parent (NULL for a root
 * commit), of a folder of a tree ("" the root; NULL when there is none).
 * Each is new: release with gate_repo_tree_free().  The first two return 0
 * or -1 with a message.
 */
/* The id of commit's root tree into *out.  Returns 0 or -1 with a message. */
int gate_repo_commit_tree_id(struct gate_repo *r, const git_oid *commit, git_oid *out,
	char *msg, size_t msgsize);

/*
 * The entries of one tree (not its subtrees' entries), in git's tree order:
 * fn gets each with path its name (borrowed), id and normalised mode.
 * Returns 0, fn's nonzero value, or -1 with a message.
 */
int gate_repo_tree_list(struct gate_repo *r, const git_oid *tree, gate_repo_change_fn fn,
	void *payload, char *msg, size_t msgsize);

int gate_repo_commit_tree(struct gate_repo *r, const git_oid *commit, git_tree **out,
	char *msg, size_t msgsize);
/* Both at once: *ptree NULL with whole_tree set or for a root commit. */
int gate_repo_commit_trees(struct gate_repo *r, const git_oid *commit, int whole_tree,
	git_tree **tree, git_tree **ptree, char *msg, size_t msgsize);
int gate_repo_parent_tree(struct gate_repo *r, const git_oid *commit, git_tree **out,
	char *msg, size_t msgsize);
git_tree *gate_repo_folder_tree(struct gate_repo *r, git_tree *root, const char *dir);
/* The tree of id (new: release with gate_repo_tree_free()), NULL when it cannot be read. */
git_tree *gate_repo_tree_get(struct gate_repo *r, const git_oid *id);
/* Entry name (one part, no slash) right in tree t: 1 with *id and *mode (normalised), 0 when none. */
int gate_repo_tree_entry_named(const git_tree *t, const char *name, git_oid *id, uint32_t *mode);
void gate_repo_tree_free(git_tree *t);

/*
 * Call fn for each file (not subfolder) of folder tree t at dir whose name
 * name_ok accepts (NULL: every file), as an addition at "dir/name".  Stops
 * and returns fn's value when it is not 0.
 */
int gate_repo_folder_files(const git_tree *t, const char *dir, int (*name_ok)(const char *name),
	gate_repo_change_fn fn, void *payload);

/* Call fn for every entry below folder tree t at dir, as gate_repo_tree_changes() for a whole tree. */
int gate_repo_folder_walk(struct gate_repo *r, const git_tree *t, const char *dir,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

/* The blob at path in tree t: 1 with *id set, 0 when path is no blob there. */
int gate_repo_tree_blob(const git_tree *t, const char *path, git_oid *id);

/* The entry at path in tree t: 1 with *id and its normalised *mode set, 0 when there is none. */
int gate_repo_tree_entry(const git_tree *t, const char *path, git_oid *id, uint32_t *mode);

/* Peel id to a commit: 1 with *out set, 0 when it is no commit, -1 unreadable. */
int gate_repo_peel_commit(struct gate_repo *r, const git_oid *id, git_oid *out);

/* The commit a revision (name, id, expression as git rev-parse) names: 0 with *out, or -1. */
int gate_repo_revparse_commit(struct gate_repo *r, const char *spec, git_oid *out);

/* The first parent of commit: 1 with *out set, 0 for a root commit, -1 unreadable. */
int gate_repo_first_parent(struct gate_repo *r, const git_oid *commit, git_oid *out);

/*
 * Refs and notes (hooks/repo_refs.c).  Failures return libgit2's negative
 * code with its error left set.
 *
 * gate_repo_ref_read: *out and *exists (0 and a zero id when missing).
 * gate_repo_ref_move: move name from *cur (*have_cur: it exists) to target
 * by compare-and-swap; on a lost race read again and decide again.  Without
 * force a target behind (or at) the current value is not applied (*reason
 * "already" or "superseded").  *moved: name points to target by this call.
 * gate_repo_ref_replace: one compare-and-swap from expected to target.
 * gate_repo_ref_names: the names of the refs under prefix (new array of new
 * strings, caller frees).  gate_repo_head_branch: the branch HEAD names (new
 * string) or NULL.  Notes are written by gate_log_note_write (gate_log.h).
 */
int gate_repo_ref_read(struct gate_repo *r, const char *name, git_oid *out, int *exists);
int gate_repo_ref_move(struct gate_repo *r, const char *name, git_oid *cur, int *have_cur,
	const git_oid *target, int force, const char *logmsg, int *moved, const char **reason);
int gate_repo_ref_replace(struct gate_repo *r, const char *name, const git_oid *target,
	const git_oid *expected, const char *logmsg);
int gate_repo_ref_names(struct gate_repo *r, const char *prefix, char ***out, size_t *n);
int gate_repo_ref_name_valid(const char *name); /* 1 valid, 0 not */
char *gate_repo_head_branch(struct gate_repo *r);
/* A notes ref on a pruned commit put back on the newest whole one of its reflog (else removed). */
int gate_repo_notes_repair(struct gate_repo *r, const char *notes_ref);

/*
 * History for notifications (hooks/repo_log.c).  Failures return libgit2's
 * negative code with its error left set.
 *
 * gate_repo_diff_commits: fn for each path the trees of from (NULL: an
 * empty tree) and to differ in, as libgit2's tree diff reports them
 * (submodules ignored, no rename detection): added, deleted (old path) or
 * modified; stops and returns fn's value when it is not 0.
 * gate_repo_log: the commits reachable from target and not from prev (may be
 * NULL), newest first (topological, then time), at most max, into a new
 * array (caller frees).
 * gate_repo_commit_info: what a commit says about itself; release with
 * gate_repo_commit_info_release().
 */
#define GATE_REPO_MESSAGE_MAX 4096 /* bytes of a commit message kept */
struct gate_repo_commit_info {
	git_oid id;
	long long time;  /* committer time, Unix seconds */
	char *message;   /* at most GATE_REPO_MESSAGE_MAX bytes */
	char *author_name, *author_email, *committer_name, *committer_email;
};
int gate_repo_diff_commits(struct gate_repo *r, const git_oid *from, const git_oid *to,
	gate_repo_change_fn fn, void *payload);
int gate_repo_log(struct gate_repo *r, const git_oid *prev, const git_oid *target, size_t max,
	git_oid **out, size_t *n);
int gate_repo_commit_info(struct gate_repo *r, const git_oid *id, struct gate_repo_commit_info *out);
void gate_repo_commit_info_release(struct gate_repo_commit_info *c);
/* Does the repository's git config set key ("gitlab.fullpath")?  1 yes, 0 no. */
int gate_repo_config_has(struct gate_repo *r, const char *key);

/* Copy libgit2's last error (or fallback) into msg after what. */
void gate_repo_error(char *msg, size_t msgsize, const char *what);

#endif
