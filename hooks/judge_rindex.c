/*
 * judge_rindex.c: the render index.  Under a key of the root (the judge's
 * fingerprint, folder, overlay, substitutions) a note of what a build
 * probed, one "state path" line each (a blob id, "-" absent, "d" a folder,
 * "g<sha256>" the generated kustomization of a folder), then "T <tree>
 * <folder>" lines: the nearest folders of the tree those probes lie in,
 * none below another, with their tree ids then.
 *
 * Kept for each root: its last clean render's note, in the verdict cache
 * (the same inputs render the same objects, judged clean under the same
 * fingerprint: it is not built again), and its last build's note, clean or
 * not, with its "T" lines apart, in the blob-facts index.  A root whose
 * last build's folders are the same trees (or, else, whose every probe
 * finds the same state) and of which the commit changed nothing it read
 * would say nothing: it is not built at all.  So a push that changes one
 * file builds only the roots that read it, and looks at each other root
 * once (a few tree ids).  Without the facts index only the clean renders
 * are spared, with the same verdicts.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/facts_index.h"
#include "gate/hash.h"
#include "gate/util.h"
#include "gate/verdicts.h"
#include "judge_int.h"
#include "judge_render_int.h"

static void index_key(const struct gate_judge *j, const struct root *root, const char *what,
	char key[GATE_SHA256_HEX])
{
	struct gate_sha256 h;

	gate_sha256_init(&h);
	gate_sha256_update_str(&h, what);
	gate_sha256_update_str(&h, j->fingerprint);
	gate_sha256_update_str(&h, root->dir);
	gate_sha256_update_str(&h, root->flux ? "flux" : "kustomize");
	gate_sha256_update_str(&h, root->overlay ? root->overlay : "");
	gate_sha256_update_str(&h, root->labels ? root->labels : "");
	gate_sha256_update_str(&h, root->annots ? root->annots : "");
	gate_sha256_update_str(&h, root->fv.digest ? root->fv.digest : "\n-");
	gate_sha256_update_str(&h, root->bad ? root->bad : "\n-");
	gate_sha256_final(&h, key);
}

void gate_judge__rindex_root_key(const struct gate_judge *j, const struct root *root, char key[GATE_SHA256_HEX])
{
	index_key(j, root, "gitops-gate render inputs 1", key);
}

/* Are the "T" lines of note (at least one) the trees of t? */
static int trees_hold(struct rtree *t, const char *note)
{
	const char *p;
	int any = 0;

	for (p = note; *p;) {
		const char *nl = strchr(p, '\n');
		git_oid want, have;
		char *dir;
		int ok;
		if (!nl)
			return 0;
		if (p[0] == 'T' && p[1] == ' ') {
			if (nl - p < 3 + GIT_OID_HEXSZ || p[2 + GIT_OID_HEXSZ] != ' ' ||
			    git_oid_fromstrn(&want, p + 2, GIT_OID_HEXSZ) < 0)
				return 0;
			dir = gate_xstrndup(p + 3 + GIT_OID_HEXSZ, (size_t)(nl - p - 3 - GIT_OID_HEXSZ));
			ok = gate_judge__rtree_tree_id(t, dir, &have) && git_oid_equal(&want, &have);
			free(dir);
			if (!ok)
				return 0;
			any = 1;
		}
		p = nl + 1;
	}
	return any;
}

/*
 * Do the states of note hold in this tree?  Fills r->paths with the paths
 * read.  When its folders are the same trees, every state holds without a
 * look at each.
 */
static int index_holds(struct rtree *t, const struct root *root, const char *note, struct reads *r)
{
	const char *p = note;
	int same = trees_hold(t, note);

	if (!*p)
		return 0;
	while (*p) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		char *path, *state;
		const struct rfile *f;
		int ok;
		if (!sp || !nl || sp > nl)
			return 0;
		state = gate_xstrndup(p, (size_t)(sp - p));
		path = gate_xstrndup(sp + 1, (size_t)(nl - sp - 1));
		if (!strcmp(state, "T")) {
			ok = 1;
		} else if (same) {
			ok = 1;
			if (state[0] != 'g' && strcmp(state, "-") && strcmp(state, "d"))
				gate_judge__reads_add(r, path);
		} else if (state[0] == 'g') {
			char *gen = gate_judge__generate_kustomization(t, root->dir), hex[GATE_SHA256_HEX];
			/* a tree that cannot be read: built again, which says why */
			if (gen)
				gate_sha256_hex(gen, strlen(gen), hex);
			ok = gen && !strcmp(path, root->dir) && !strcmp(state + 1, hex);
			free(gen);
		} else if ((f = gate_judge__rtree_find(t, path))) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &f->id);
			ok = !strcmp(state, hex);
			if (ok)
				gate_judge__reads_add(r, path);
		} else {
			ok = !strcmp(state, gate_judge__rtree_is_dir(t, path) ? "d" : "-");
		}
		free(state);
		free(path);
		if (!ok)
			return 0;
		p = nl + 1;
	}
	return 1;
}

static void reads_clear(struct reads *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->paths[i]);
	r->n = 0;
}

/* The facts index's key for ikey (its first 20 bytes). */
static void facts_key(const char *ikey, git_oid *out)
{
	git_oid_fromstrn(out, ikey, GIT_OID_HEXSZ);
}

/* Is dir below (or at) folder up? */
static int below(const char *dir, const char *up)
{
	size_t n = strlen(up);

	return !n || (!strncmp(dir, up, n) && (dir[n] == '/' || !dir[n]));
}

/*
 * The facts index's key of the folders (the "T" lines) of root's last
 * build: ikey's (a SHA-256 prefix) with its last byte flipped, as unlikely
 * to meet another key as any other such prefix, without hashing again.
 */
static void trees_key(const char *ikey, git_oid *out)
{
	git_oid_fromstrn(out, ikey, GIT_OID_HEXSZ);
	out->id[GIT_OID_RAWSZ - 1] ^= 0xa5;
}

/*
 * The quick answer: the folders root's last build read from are the same
 * trees (so it reads the same files) and the commit changed nothing below
 * them, nor the object naming root or its variables' sources.
 */
static int untouched_trees(const char *ikey, struct rtree *t, const struct gate_judged_commit *cm,
	const struct root *root, struct gate_facts_index *idx)
{
	const char *text;
	char *copy, *p;
	size_t len, f, i;
	unsigned flags;
	git_oid tk;
	int ok;

	trees_key(ikey, &tk);
	if (gate_facts_index_get(idx, tk.id, &flags, &text, &len) != 1 || !(flags & GATE_FACTS_HAS_TEXT) ||
	    !len || memchr(text, '\0', len))
		return 0;
	copy = gate_xstrndup(text, len);
	/* known to hold when it held in the parent's tree and the commit changed nothing of its folders */
	ok = gate_judge__settled_holds(t, copy, len) || trees_hold(t, copy);
	if (ok)
		gate_judge__settled_add(t, copy, len);
	for (f = 0; ok && f < cm->nfiles; f++) {
		const char *cp = cm->files[f].path;
		if (!strcmp(cp, root->from))
			ok = 0;
		for (i = 0; ok && i < root->fv.nsrcs; i++)
			ok = strcmp(cp, root->fv.srcs[i]) != 0;
		for (p = copy; ok && *p;) {
			char *nl = strchr(p, '\n');
			if (!nl || nl - p < 3 + GIT_OID_HEXSZ) {
				ok = 0;
				break;
			}
			*nl = '\0';
			ok = !below(cp, p + 3 + GIT_OID_HEXSZ);
			*nl = '\n';
			p = nl + 1;
		}
	}
	free(copy);
	return ok;
}

int gate_judge__rindex_lookup(struct gate_judge *j, struct rtree *t, const struct gate_judged_commit *cm,
	const struct root *root, struct reads *r, char key[GATE_SHA256_HEX], char ikey[GATE_SHA256_HEX])
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);
	struct gate_results none = GATE_RESULTS_INIT;
	char *note = NULL;
	const char *text;
	size_t len;
	unsigned flags;
	git_oid fk;
	int found = RINDEX_MISS;

	index_key(j, root, "gitops-gate render inputs 1", ikey);
	if (idx && !cm->whole_tree && untouched_trees(ikey, t, cm, root, idx))
		return RINDEX_UNTOUCHED;
	facts_key(ikey, &fk);
	if (idx && !cm->whole_tree && gate_facts_index_get(idx, fk.id, &flags, &text, &len) == 1 &&
	    (flags & GATE_FACTS_HAS_TEXT) && len && !memchr(text, '\0', len)) {
		char *copy = gate_xstrndup(text, len);
		if (index_holds(t, root, copy, r) && !gate_judge__root_touches(t, cm, r, root))
			found = RINDEX_UNTOUCHED;
		free(copy);
		reads_clear(r);
		if (found)
			return found;
	}
	index_key(j, root, "gitops-gate render root 3", key);
	if (gate_verdicts_get_note(j->cache, key, root->dir, &none, &note) == 1 && note && !none.n &&
	    index_holds(t, root, note, r)) {
		found = RINDEX_CLEAN;
		/* what it reads, for the next pushes */
		if (idx && strlen(note) && (gate_facts_index_get(idx, fk.id, &flags, &text, &len) != 1 ||
		    !(flags & GATE_FACTS_HAS_TEXT) || len != strlen(note) || memcmp(text, note, len)))
			gate_facts_index_put(idx, fk.id, GATE_FACTS_HAS_TEXT, note, strlen(note));
	}
	free(note);
	gate_results_release(&none);
	if (found != RINDEX_CLEAN)
		reads_clear(r);
	return found;
}

/*
 * The folders of the states' probes (a probed folder or generated
 * kustomization: that folder; another path: the nearest folder of the tree
 * above it), none below another, with their tree ids: "T" lines onto out.
 */
static void add_trees(struct rtree *t, const char *states, struct gate_buf *out)
{
	const char *p;
	char **dirs = NULL;
	git_oid *ids = NULL;
	size_t n = 0, alloc = 0, ialloc = 0, i, k;

	for (p = states; *p;) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n'), *path;
		char *dir;
		size_t len;
		if (!sp || !nl || sp > nl)
			break;
		path = sp + 1;
		len = (size_t)(nl - path);
		if (!(*p == 'g' || (*p == 'd' && sp == p + 1)))
			while (len && path[len - 1] != '/')
				len--;
		dir = gate_xstrndup(path, len ? len - (path[len - 1] == '/') : 0);
		GATE_ALLOC_GROW(dirs, n + 1, alloc);
		GATE_ALLOC_GROW(ids, n + 1, ialloc);
		/* up to a folder that is there */
		while (!gate_judge__rtree_tree_id(t, dir, &ids[n])) {
			char *slash = strrchr(dir, '/');
			if (slash)
				*slash = '\0';
			else
				*dir = '\0';
		}
		dirs[n++] = dir;
		p = nl + 1;
	}
	for (i = 0; i < n; i++) {
		/* dropped when another (an earlier one, or a later one above it) covers it */
		for (k = 0; k < n; k++)
			if (k != i && dirs[k] && below(dirs[i], dirs[k]) && (strcmp(dirs[i], dirs[k]) || k < i))
				break;
		if (k < n) {
			free(dirs[i]);
			dirs[i] = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		if (!dirs[i])
			continue;
		git_oid_tostr(hex, sizeof(hex), &ids[i]);
		gate_buf_addf(out, "T %s %s\n", hex, dirs[i]);
		free(dirs[i]);
	}
	free(dirs);
	free(ids);
}

void gate_judge__rindex_put(struct gate_judge *j, struct rtree *t, const struct reads *r, const char *key,
	const char *ikey)
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);
	struct gate_buf b = GATE_BUF_INIT;
	const char *text;
	size_t len;
	unsigned flags;
	git_oid fk;

	if (!j->cache || !ikey || !*ikey || r->unindexable || r->io_error || !r->states.len)
		return;
	gate_buf_add(&b, r->states.ptr, r->states.len);
	add_trees(t, r->states.ptr, &b);
	if (key && *key)
		gate_verdicts_put_note(j->cache, key, NULL, 0, b.ptr);
	if (idx && b.len > r->states.len) {
		const char *tl = b.ptr + r->states.len;
		size_t tn = b.len - r->states.len;
		/* the folders of this tree, as just looked up: they hold in it */
		gate_judge__settled_add(t, tl, tn);
		trees_key(ikey, &fk);
		if (gate_facts_index_get(idx, fk.id, &flags, &text, &len) != 1 || !(flags & GATE_FACTS_HAS_TEXT) ||
		    len != tn || memcmp(text, tl, tn))
			gate_facts_index_put(idx, fk.id, GATE_FACTS_HAS_TEXT, tl, tn);
	}
	facts_key(ikey, &fk);
	/* written again only when it changed (the index keeps what was added since its base) */
	if (idx && (gate_facts_index_get(idx, fk.id, &flags, &text, &len) != 1 || !(flags & GATE_FACTS_HAS_TEXT) ||
	    len != b.len || memcmp(text, b.ptr, len)))
		gate_facts_index_put(idx, fk.id, GATE_FACTS_HAS_TEXT, b.ptr, b.len);
	gate_buf_release(&b);
}
