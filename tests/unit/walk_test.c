/*
 * walk_test: the repo module's own tree walk (gate_repo_tree_changes(), which
 * skips unchanged subtrees) reports what libgit2's git_diff_tree_to_tree()
 * reports through gate_repo_commit_changes(), deletions and folders left
 * out: the same entries, in the same order, with the same ids, modes and
 * statuses.  On
 * hand-made edge cases (file to folder and back, symlinks, submodules,
 * executable bits, names that sort around '/', deep folders, odd modes)
 * and on a few hundred random commits, built with libgit2 in a temp dir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "gate/repo.h"
#include "gate/util.h"
#include "../tap.h"

/* ---- one change list ---- */

struct change {
	char *path;
	git_oid id;
	uint32_t mode;
	int status;
};

struct changes {
	struct change *v;
	size_t n, alloc;
};

static void changes_release(struct changes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* git's normal form of a mode, as git_tree_entry_filemode() gives it */
static uint32_t norm_mode(uint32_t m)
{
	switch (m & 0170000) {
	case 0040000: return GIT_FILEMODE_TREE;
	case 0120000: return GIT_FILEMODE_LINK;
	case 0160000: return GIT_FILEMODE_COMMIT;
	case 0100000: return (m & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	default: return m;
	}
}

static int collect(const struct gate_repo_change *ch, void *payload)
{
	struct changes *c = payload;
	struct change *e;

	/*
	 * Deletions, and the folder that replaces a file (a typechange to a tree
	 * in the diff), are left out: the judge has nothing to judge there.
	 */
	if (ch->status == GATE_CHANGE_DELETED || norm_mode(ch->mode) == GIT_FILEMODE_TREE)
		return 0;
	GATE_ALLOC_GROW(c->v, c->n + 1, c->alloc);
	e = &c->v[c->n++];
	e->path = gate_xstrdup(ch->path);
	git_oid_cpy(&e->id, &ch->id);
	e->mode = norm_mode(ch->mode);
	e->status = ch->status;
	return 0;
}

static int stop_at_two(const struct gate_repo_change *ch, void *payload)
{
	int *n = payload;

	(void)ch;
	return ++*n == 2 ? 42 : 0;
}

static const char *status_name(int s)
{
	switch (s) {
	case GATE_CHANGE_ADDED: return "added";
	case GATE_CHANGE_MODIFIED: return "modified";
	case GATE_CHANGE_TYPECHANGE: return "typechange";
	default: return "?";
	}
}

/* Compare the walk with the diff on commit (whole tree or not); diag the first difference. */
static int same_changes(struct gate_repo *r, const git_oid *commit, int whole, const char *what)
{
	struct changes w, d;
	char msg[256];
	size_t i;
	int same, ew, ed;

	memset(&w, 0, sizeof(w));
	memset(&d, 0, sizeof(d));
	ew = gate_repo_tree_changes(r, commit, whole, collect, &w, msg, sizeof(msg));
	ed = gate_repo_commit_changes(r, commit, whole, collect, &d, msg, sizeof(msg));
	same = ew == 0 && ed == 0 && w.n == d.n;
	for (i = 0; same && i < w.n; i++) {
		/*
		 * A folder replaced by a file is a type change to the walk; libgit2
		 * says so only when no other name sorts between "x" and "x/"
		 * ("x-y", "x.y"), else it says added.  Both are judged alike.
		 */
		int st = w.v[i].status == d.v[i].status || (w.v[i].status == GATE_CHANGE_TYPECHANGE &&
			d.v[i].status == GATE_CHANGE_ADDED);
		same = !strcmp(w.v[i].path, d.v[i].path) && git_oid_equal(&w.v[i].id, &d.v[i].id) &&
			w.v[i].mode == d.v[i].mode && st;
		if (!same) {
			char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
			git_oid_tostr(a, sizeof(a), &w.v[i].id);
			git_oid_tostr(b, sizeof(b), &d.v[i].id);
			diag("%s: entry %zu: walk %s %s %o %s, diff %s %s %o %s", what, i, w.v[i].path,
				a, (unsigned)w.v[i].mode, status_name(w.v[i].status), d.v[i].path, b,
				(unsigned)d.v[i].mode, status_name(d.v[i].status));
		}
	}
	if (!same && (ew || ed || w.n != d.n)) {
		diag("%s: walk %d (%zu entries), diff %d (%zu entries)", what, ew, w.n, ed, d.n);
		for (i = 0; i < w.n || i < d.n; i++)
			diag("  %-30s %-12s | %-30s %s", i < w.n ? w.v[i].path : "",
				i < w.n ? status_name(w.v[i].status) : "", i < d.n ? d.v[i].path : "",
				i < d.n ? status_name(d.v[i].status) : "");
	}
	changes_release(&w);
	changes_release(&d);
	return same;
}

/* ---- building trees and commits ---- */

struct file {
	char *path;
	uint32_t mode;
	git_oid id;
};

struct model {
	struct file *v;
	size_t n, alloc;
};

static git_repository *git;
static git_signature *sig;

static void model_release(struct model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void model_copy(struct model *dst, const struct model *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->n; i++) {
		GATE_ALLOC_GROW(dst->v, dst->n + 1, dst->alloc);
		dst->v[dst->n] = src->v[i];
		dst->v[dst->n].path = gate_xstrdup(src->v[i].path);
		dst->n++;
	}
}

static void blob_of(git_oid *id, const char *text)
{
	if (git_blob_create_from_buffer(id, git, text, strlen(text)) < 0)
		abort();
}

/* Is a inside folder b ("b/...")? */
static int under(const char *a, const char *b)
{
	size_t lb = strlen(b);

	return !strncmp(a, b, lb) && a[lb] == '/';
}

static void model_del(struct model *m, size_t i)
{
	free(m->v[i].path);
	m->v[i] = m->v[--m->n];
}

/* Put path (replacing what is in its way: a file on a folder of it, files under it). */
static void model_put(struct model *m, const char *path, uint32_t mode, const git_oid *id)
{
	size_t i;

	for (i = 0; i < m->n;) {
		if (!strcmp(m->v[i].path, path) || under(m->v[i].path, path) || under(path, m->v[i].path))
			model_del(m, i);
		else
			i++;
	}
	GATE_ALLOC_GROW(m->v, m->n + 1, m->alloc);
	m->v[m->n].path = gate_xstrdup(path);
	m->v[m->n].mode = mode;
	git_oid_cpy(&m->v[m->n].id, id);
	m->n++;
}

/* Write the tree of the files of m under prefix ("" the root) into out. */
static void write_tree(git_oid *out, const struct model *m, const char *prefix)
{
	git_treebuilder *tb = NULL;
	size_t i, pl = strlen(prefix);

	if (git_treebuilder_new(&tb, git, NULL) < 0)
		abort();
	for (i = 0; i < m->n; i++) {
		const char *p = m->v[i].path, *rest, *slash;
		if (pl && !(strncmp(p, prefix, pl) == 0 && p[pl] == '/'))
			continue;
		rest = pl ? p + pl + 1 : p;
		slash = strchr(rest, '/');
		if (!slash) {
			if (git_treebuilder_insert(NULL, tb, rest, &m->v[i].id, m->v[i].mode) < 0)
				abort();
		} else {
			char *name = gate_xstrndup(rest, (size_t)(slash - rest));
			char *sub = pl ? gate_xasprintf("%s/%s", prefix, name) : gate_xstrdup(name);
			git_oid tid;
			if (!git_treebuilder_get(tb, name)) {
				write_tree(&tid, m, sub);
				if (git_treebuilder_insert(NULL, tb, name, &tid, GIT_FILEMODE_TREE) < 0)
					abort();
			}
			free(sub);
			free(name);
		}
	}
	if (git_treebuilder_write(out, tb) < 0)
		abort();
	git_treebuilder_free(tb);
}

static void commit_tree(git_oid *out, const git_oid *tree, const git_oid *parent)
{
	git_tree *t = NULL;
	git_commit *p = NULL;
	const git_commit *parents[1];

	if (git_tree_lookup(&t, git, tree) < 0 || (parent && git_commit_lookup(&p, git, parent) < 0))
		abort();
	parents[0] = p;
	if (git_commit_create(out, git, NULL, sig, sig, NULL, "c", t, parent ? 1 : 0, parents) < 0)
		abort();
	git_tree_free(t);
	git_commit_free(p);
}

static void commit_model(git_oid *out, const struct model *m, const git_oid *parent)
{
	git_oid tree;

	write_tree(&tree, m, "");
	commit_tree(out, &tree, parent);
}

/* A tree object written byte by byte, for modes the tree builder refuses. */
static void raw_tree(git_oid *out, const char *mode, const char *name, const git_oid *id)
{
	git_odb *odb = NULL;
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_addf(&b, "%s %s", mode, name);
	gate_buf_addc(&b, '\0');
	gate_buf_add(&b, id->id, GIT_OID_RAWSZ);
	if (git_repository_odb(&odb, git) < 0 || git_odb_write(out, odb, b.ptr, b.len, GIT_OBJECT_TREE) < 0)
		abort();
	git_odb_free(odb);
	gate_buf_release(&b);
}

/* ---- random trees ---- */

static unsigned long rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rnd_state >> 33) % n);
}

static void random_change(struct model *m, int step)
{
	static const char *const dirs[] = { "", "a", "a/b", "a/b/c", "a-b", "a.b", "b", "b/a",
		"c/d/e/f", "a/b/c/d" };
	static const char *const names[] = { "x.yaml", "y.yaml", "a", "b", "a-b", "a.b", "c", "z" };
	char text[64], *path;
	git_oid id;
	unsigned what = rnd(10);

	if (m->n && what < 2) { /* delete */
		model_del(m, rnd((unsigned)m->n));
		return;
	}
	if (m->n && what < 5) { /* change an existing file */
		size_t i = rnd((unsigned)m->n);
		struct file *f = &m->v[i];
		switch (rnd(5)) {
		case 0:
			if (f->mode == GIT_FILEMODE_BLOB || f->mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
				f->mode = f->mode == GIT_FILEMODE_BLOB ? GIT_FILEMODE_BLOB_EXECUTABLE :
					GIT_FILEMODE_BLOB;
				break;
			}
			/* a symlink or submodule: another symlink target */
			__attribute__((fallthrough));
		case 1:
			snprintf(text, sizeof(text), "target-%d", step);
			blob_of(&f->id, text);
			f->mode = GIT_FILEMODE_LINK;
			break;
		case 2:
			snprintf(text, sizeof(text), "submodule %d", step);
			git_odb_hash(&f->id, text, strlen(text), GIT_OBJECT_COMMIT);
			f->mode = GIT_FILEMODE_COMMIT;
			break;
		default:
			snprintf(text, sizeof(text), "kind: X # %d\n", step);
			blob_of(&f->id, text);
			f->mode = GIT_FILEMODE_BLOB;
			break;
		}
		return;
	}
	/* add a file, maybe where a folder or file of that name was */
	{
		const char *d = dirs[rnd(sizeof(dirs) / sizeof(*dirs))];
		const char *n = names[rnd(sizeof(names) / sizeof(*names))];
		path = *d ? gate_xasprintf("%s/%s", d, n) : gate_xstrdup(n);
		snprintf(text, sizeof(text), "kind: Y # %u\n", rnd(4));
		blob_of(&id, text);
		model_put(m, path, GIT_FILEMODE_BLOB, &id);
		free(path);
	}
}

int main(void)
{
	char tmpl[] = "/tmp/gate-walk-test.XXXXXX";
	char *dir = mkdtemp(tmpl), *cmd, msg[256];
	struct gate_repo *r = NULL;
	struct model m, m2;
	git_oid c0, c1, c2, c3, c4, c5, blob, blob2, t1, t2, parent, child;
	int step, bad = 0, stopped = 0, rc;

	if (!dir || git_libgit2_init() < 0 || git_repository_init(&git, dir, 1) < 0 ||
	    git_signature_new(&sig, "t", "t@example.com", 1700000000, 0) < 0 ||
	    gate_repo_open(&r, dir, msg, sizeof(msg)) < 0) {
		printf("Bail out! cannot set up a repository in a temp dir\n");
		return 1;
	}
	memset(&m, 0, sizeof(m));

	/* a root commit: every entry, both ways */
	blob_of(&blob, "kind: A\n");
	blob_of(&blob2, "kind: B\n");
	model_put(&m, "apps/web.yaml", GIT_FILEMODE_BLOB, &blob);
	model_put(&m, "apps/db.yaml", GIT_FILEMODE_BLOB, &blob2);
	model_put(&m, "apps-old/web.yaml", GIT_FILEMODE_BLOB, &blob);
	model_put(&m, "apps.yaml", GIT_FILEMODE_BLOB, &blob2);
	model_put(&m, "deep/a/b/c/d/e/f/g.yaml", GIT_FILEMODE_BLOB, &blob);
	model_put(&m, "run.sh", GIT_FILEMODE_BLOB_EXECUTABLE, &blob2);
	commit_model(&c0, &m, NULL);
	ok(same_changes(r, &c0, 0, "root commit"), "a root commit: every entry");
	ok(same_changes(r, &c0, 1, "root, whole"), "a root commit, whole tree");

	/* edits in one folder, the rest untouched */
	blob_of(&blob, "kind: A2\n");
	model_put(&m, "apps/web.yaml", GIT_FILEMODE_BLOB, &blob);
	model_put(&m, "apps/new.yaml", GIT_FILEMODE_BLOB, &blob);
	commit_model(&c1, &m, &c0);
	ok(same_changes(r, &c1, 0, "edit"), "a modified and an added file");
	ok(same_changes(r, &c1, 1, "edit, whole"), "the same commit, whole tree");

	/* a file becomes a folder and a symlink, the executable bit flips, a submodule */
	model_put(&m, "apps.yaml/inner.yaml", GIT_FILEMODE_BLOB, &blob);
	model_put(&m, "run.sh", GIT_FILEMODE_BLOB, &blob2);
	blob_of(&blob2, "apps/web.yaml");
	model_put(&m, "apps/db.yaml", GIT_FILEMODE_LINK, &blob2);
	git_odb_hash(&blob2, "x", 1, GIT_OBJECT_COMMIT);
	model_put(&m, "vendor/lib", GIT_FILEMODE_COMMIT, &blob2);
	commit_model(&c2, &m, &c1);
	ok(same_changes(r, &c2, 0, "types"), "file to folder, file to symlink, mode, submodule");

	/* and back: the folder becomes a file again, a folder is deleted */
	model_copy(&m2, &m);
	model_put(&m2, "apps.yaml", GIT_FILEMODE_BLOB, &blob);
	model_put(&m2, "apps-old", GIT_FILEMODE_BLOB, &blob);
	model_put(&m2, "deep/a", GIT_FILEMODE_LINK, &blob);
	commit_model(&c3, &m2, &c2);
	ok(same_changes(r, &c3, 0, "back"), "folder to file, folder to symlink");
	model_release(&m2);

	/* a folder replaced by a file while "apps-x" sorts between "apps" and "apps/" */
	model_copy(&m2, &m);
	model_put(&m2, "apps-x", GIT_FILEMODE_BLOB, &blob);
	commit_model(&c3, &m2, &c2);
	model_put(&m2, "apps", GIT_FILEMODE_BLOB, &blob);
	commit_model(&c4, &m2, &c3);
	ok(same_changes(r, &c4, 0, "folder to file, a name between"),
		"folder to file with a name sorting between: added to libgit2, typechange to the walk");
	model_release(&m2);

	/* no change at all; only deletions */
	commit_model(&c4, &m, &c2);
	ok(same_changes(r, &c4, 0, "same tree"), "a commit with its parent's tree: nothing");
	model_copy(&m2, &m);
	model_del(&m2, 0);
	commit_model(&c5, &m2, &c4);
	ok(same_changes(r, &c5, 0, "deletion"), "only a deletion: nothing");
	model_release(&m2);

	/* an odd regular-file mode (100664, as old git wrote it) on the same blob */
	raw_tree(&t1, "100644", "f.yaml", &blob);
	raw_tree(&t2, "100664", "f.yaml", &blob);
	commit_tree(&parent, &t1, NULL);
	commit_tree(&child, &t2, &parent);
	ok(same_changes(r, &child, 0, "odd mode"), "an odd mode on the same blob");
	ok(same_changes(r, &child, 1, "odd mode, whole"), "an odd mode, whole tree");

	/* fn's value stops both */
	rc = gate_repo_tree_changes(r, &c0, 1, stop_at_two, &stopped, msg, sizeof(msg));
	ok(rc == 42 && stopped == 2, "a callback's value stops the walk and is returned");

	/* random histories: each commit against its parent, and whole */
	model_release(&m);
	for (step = 0, parent = c0; step < 300; step++) {
		int k, nch = 1 + (int)rnd(4);
		char what[32];
		for (k = 0; k < nch; k++)
			random_change(&m, step);
		if (!m.n) {
			blob_of(&blob, "kind: Seed\n");
			model_put(&m, "seed.yaml", GIT_FILEMODE_BLOB, &blob);
		}
		commit_model(&child, &m, step % 50 ? &parent : NULL);
		snprintf(what, sizeof(what), "random %d", step);
		if (!same_changes(r, &child, 0, what) || (step % 10 == 0 && !same_changes(r, &child, 1, what)))
			bad++;
		parent = child;
	}
	ok(bad == 0, "300 random commits: the walk equals the diff (%d differ)", bad);

	model_release(&m);
	gate_repo_free(r);
	git_signature_free(sig);
	git_repository_free(git);
	git_libgit2_shutdown();
	cmd = gate_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return tap_done();
}
