/*
 * judge_rtree.c: the tree of a judged commit as the deployment-root search
 * and the renders see it, without listing it whole.  Paths are looked up in
 * the git tree when a build or a probe asks (and remembered for the commit);
 * the files that may name a root (Flux or Argo CD API text) and the
 * kustomization files come from a summary per tree kept in the blob-facts
 * index, keyed by the tree id, its path and the judge's fingerprint (which
 * covers the manifest globs):
 *
 *   r <blob> <name>   a manifest right in the tree that may name a root
 *   k <blob> <name>   a kustomization file right in the tree, followed by
 *   i<K|C>\t<name>... its kind (Kustomization, Component) and what it names
 *   t <tree> <name>   a subtree holding some, whose own summary follows
 *
 * in tree order, which is the order of full paths.  A push that changes one
 * file makes the summaries of the trees on that file's path and replays the
 * others.  Without the index (or for a tree whose summary is missing or
 * unreadable) the summary is made by reading the tree, with the same result.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/config.h"
#include "gate/facts_index.h"
#include "gate/hash.h"
#include "gate/kust_refs.h"
#include "gate/util.h"
#include "judge_int.h"
#include "judge_render_int.h"

const char *const gate_judge__kust_names[3] = { "kustomization.yaml", "kustomization.yml", "Kustomization" };

/* One path looked up: a blob (f.id), a folder, or nothing. */
struct rlook {
	struct rfile f;
	int blob;
	int tree;  /* a tree entry (f.id its id) */
	int dir;   /* -1: not asked yet */
	git_tree *gt; /* a tree entry's tree, once a path below it was looked up (owned) */
};

static int is_file_mode(uint32_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/* ---- the push's sets of blobs known to name no root (or hold no ConfigMap text) */

static size_t noroot_slot(const struct noroot *nr, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	h &= nr->nslots - 1;
	while (!git_oid_is_zero(&nr->ids[h]) && !git_oid_equal(&nr->ids[h], id))
		h = (h + 1) & (nr->nslots - 1);
	return h;
}

int gate_judge__noroot_has(const struct noroot *nr, const git_oid *id)
{
	return nr->nslots && git_oid_equal(&nr->ids[noroot_slot(nr, id)], id);
}

void gate_judge__noroot_add(struct noroot *nr, const git_oid *id)
{
	if (2 * (nr->n + 1) > nr->nslots) {
		struct noroot old = *nr;
		size_t i;
		nr->nslots = old.nslots ? 2 * old.nslots : 256;
		nr->ids = gate_xcalloc(nr->nslots, sizeof(*nr->ids));
		nr->n = 0;
		for (i = 0; i < old.nslots; i++)
			if (!git_oid_is_zero(&old.ids[i])) {
				git_oid_cpy(&nr->ids[noroot_slot(nr, &old.ids[i])], &old.ids[i]);
				nr->n++;
			}
		free(old.ids);
	}
	if (!git_oid_is_zero(id) && !gate_judge__noroot_has(nr, id)) {
		git_oid_cpy(&nr->ids[noroot_slot(nr, id)], id);
		nr->n++;
	}
}

int gate_judge__may_name_roots(struct rtree *t, const git_oid *id)
{
	char *buf = NULL;
	size_t len;
	int names;

	if (gate_judge__noroot_has(t->nr, id))
		return 0;
	if ((names = gate_judge__names_roots(t->j, id)) >= 0)
		return names;
	if (gate_judge__read_tree_blob(t->j, id, &buf, &len, t->msg, t->msgsize) < 0)
		return -1;
	/*
	 * kept in the facts index: a blob that does not name one is not read
	 * again by later pushes (nor by later commits of this one)
	 */
	names = buf && (strstr(buf, "kustomize.toolkit.fluxcd.io/") || strstr(buf, "argoproj.io/"));
	gate_judge__index_roots(t->j, id, names);
	if (buf && !names)
		gate_judge__noroot_add(t->nr, id);
	/* a blob too large or binary is not scanned, as before: it names none */
	free(buf);
	return names;
}

/* ---- path lookups */

static size_t path_hash(const char *s)
{
	size_t h = 14695981039346656037ull & (size_t)-1;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
	return h;
}

/* A path git can hold: not empty, no empty, "." or ".." part, no slash at either end. */
static int plain_path(const char *p)
{
	const char *s = p;

	if (!*p)
		return 0;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (!len || (len == 1 && *s == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += len;
		if (*s == '/' && !*++s)
			return 0;
	}
	return 1;
}

/* The slot of path in the lookups (t->nlook > 0). */
static struct rlook **look_slot(struct rtree *t, const char *path)
{
	size_t h = path_hash(path) & (t->nlook - 1);

	while (t->look[h] && strcmp(t->look[h]->f.path, path))
		h = (h + 1) & (t->nlook - 1);
	return &t->look[h];
}

static struct rlook *look(struct rtree *t, const char *path);

/*
 * Path (a plain one) in the tree: the entry of its name in its folder's
 * tree, the folder looked up the same way (once per folder and commit).
 */
static int find_entry(struct rtree *t, const char *path, git_oid *id, uint32_t *mode)
{
	const char *slash = strrchr(path, '/');
	const git_tree *in = t->tree;

	if (slash) {
		char *parent = gate_xstrndup(path, (size_t)(slash - path));
		struct rlook *pl = look(t, parent);
		free(parent);
		if (!pl->tree || (!pl->gt && !(pl->gt = gate_repo_tree_get(t->j->repo, &pl->f.id))))
			return 0;
		in = pl->gt;
	}
	return gate_repo_tree_entry_named(in, slash ? slash + 1 : path, id, mode);
}

static struct rlook *look(struct rtree *t, const char *path)
{
	struct rlook *l, **slot;
	uint32_t mode;
	git_oid id;

	if (t->nlook && *(slot = look_slot(t, path)))
		return *slot;
	l = gate_xcalloc(1, sizeof(*l));
	l->f.path = gate_xstrdup(path);
	l->dir = -1;
	if (plain_path(path) && find_entry(t, path, &id, &mode)) {
		git_oid_cpy(&l->f.id, &id);
		if (is_file_mode(mode))
			l->blob = 1;
		else if (mode == GIT_FILEMODE_TREE)
			l->tree = 1;
		else
			l->dir = 0;
	} else {
		l->dir = *path ? 0 : -1;
	}
	/* the table may have grown while the folders above were looked up */
	if (2 * (t->nlooked + 1) > t->nlook) {
		struct rlook **old = t->look;
		size_t i, n = t->nlook;
		t->nlook = n ? 2 * n : 64;
		t->look = gate_xcalloc(t->nlook, sizeof(*t->look));
		for (i = 0; i < n; i++)
			if (old[i])
				*look_slot(t, old[i]->f.path) = old[i];
		free(old);
	}
	*look_slot(t, path) = l;
	t->nlooked++;
	return l;
}

struct any_file {
	struct rtree *t;
	int depth;
	int found;
};

static int tree_has_file(struct rtree *t, const git_oid *tree, int depth);

static int any_file_fn(const struct gate_repo_change *ch, void *payload)
{
	struct any_file *af = payload;

	if (is_file_mode(ch->mode))
		af->found = 1;
	else if (ch->mode == GIT_FILEMODE_TREE && af->depth < 4096)
		af->found = tree_has_file(af->t, &ch->id, af->depth + 1);
	return af->found;
}

/* Does the tree hold a file somewhere below (a folder of only submodules or links does not)? */
static int tree_has_file(struct rtree *t, const git_oid *tree, int depth)
{
	struct any_file af;
	char emsg[256];

	af.t = t;
	af.depth = depth;
	af.found = 0;
	gate_repo_tree_list(t->j->repo, tree, any_file_fn, &af, emsg, sizeof(emsg));
	return af.found;
}

const struct rfile *gate_judge__rtree_find(struct rtree *t, const char *path)
{
	struct rlook *l = look(t, path);

	return l->blob ? &l->f : NULL;
}

int gate_judge__rtree_is_dir(struct rtree *t, const char *dir)
{
	struct rlook *l = look(t, dir);

	if (l->dir < 0)
		l->dir = tree_has_file(t, *dir ? &l->f.id : git_tree_id(t->tree), 0);
	return l->dir;
}

int gate_judge__rtree_tree_id(struct rtree *t, const char *dir, git_oid *id)
{
	struct rlook *l;

	if (!*dir) {
		git_oid_cpy(id, git_tree_id(t->tree));
		return 1;
	}
	l = look(t, dir);
	if (l->tree)
		git_oid_cpy(id, &l->f.id);
	return l->tree;
}

int gate_judge__has_kustomization(struct rtree *t, const char *dir)
{
	size_t i;
	int found = 0;

	for (i = 0; i < 3 && !found; i++) {
		char *p = *dir ? gate_xasprintf("%s/%s", dir, gate_judge__kust_names[i]) :
			gate_xstrdup(gate_judge__kust_names[i]);
		found = gate_judge__rtree_find(t, p) != NULL;
		free(p);
	}
	return found;
}

/* ---- whole listings: the tree, or one folder */

struct listing {
	struct rfile *v;
	size_t n, alloc;
};

static int listing_fn(const struct gate_repo_change *ch, void *payload)
{
	struct listing *ls = payload;
	struct rfile *f;

	if (!is_file_mode(ch->mode))
		return 0;
	GATE_ALLOC_GROW(ls->v, ls->n + 1, ls->alloc);
	f = &ls->v[ls->n++];
	f->path = gate_xstrdup(ch->path);
	git_oid_cpy(&f->id, &ch->id);
	return 0;
}

static int cmp_rfile(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->path, ((const struct rfile *)b)->path);
}

static void listing_release(struct rfile *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

int gate_judge__rtree_list(struct rtree *t)
{
	struct listing ls;
	int error;

	if (t->listed)
		return 0;
	memset(&ls, 0, sizeof(ls));
	error = gate_repo_tree_changes(t->j->repo, &t->commit, 1, listing_fn, &ls, t->msg, t->msgsize);
	if (ls.n) /* no qsort of an empty (NULL) array */
		qsort(ls.v, ls.n, sizeof(*ls.v), cmp_rfile);
	t->v = ls.v;
	t->n = ls.n;
	t->alloc = ls.alloc;
	t->listed = !error;
	return error;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* What source-controller leaves out of an artifact by default (its .sourceignore defaults). */
static int flux_ignored(const char *path)
{
	static const char *const dirs[] = { ".github/", ".circleci/" };
	static const char *const names[] = { ".travis.yml", ".gitlab-ci.yml", "appveyor.yml",
		".drone.yml", "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
		".goreleaser.yml", ".sops.yaml", ".flux.yaml" };
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(base, names[i]))
			return 1;
	return 0;
}

/*
 * Flux's generated kustomization: every .yaml and .yml file of the folder,
 * recursively, as resources; a sub-folder holding a kustomization is one
 * resource and not entered (fluxcd/pkg kustomize generator).
 */
char *gate_judge__generate_kustomization(struct rtree *t, const char *dir)
{
	struct gate_buf b = GATE_BUF_INIT;
	struct listing ls;
	git_tree *ft = NULL;
	size_t i, len = strlen(dir);
	char *skip = NULL;

	memset(&ls, 0, sizeof(ls));
	if (!*dir || gate_judge__rtree_is_dir(t, dir)) {
		if (!(ft = gate_repo_folder_tree(t->j->repo, t->tree, dir)) ||
		    gate_repo_folder_walk(t->j->repo, ft, dir, listing_fn, &ls, t->msg, t->msgsize) < 0) {
			if (!ft)
				gate_set_msg(t->msg, t->msgsize, "cannot read the tree of %s", dir);
			gate_repo_tree_free(ft);
			listing_release(ls.v, ls.n);
			return NULL;
		}
		gate_repo_tree_free(ft);
	}
	if (ls.n)
		qsort(ls.v, ls.n, sizeof(*ls.v), cmp_rfile);
	gate_buf_adds(&b, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
	for (i = 0; i < ls.n; i++) {
		const char *p = ls.v[i].path, *rel, *slash;
		if (len && (strncmp(p, dir, len) || p[len] != '/'))
			continue;
		rel = len ? p + len + 1 : p;
		if (flux_ignored(p))
			continue;
		if (skip && !strncmp(rel, skip, strlen(skip)))
			continue;
		/* the first sub-folder on the way down that holds a kustomization */
		for (slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
			char *sub = gate_xstrndup(p, (size_t)(slash - p));
			if (gate_judge__has_kustomization(t, sub)) {
				free(skip);
				skip = gate_xstrndup(rel, (size_t)(slash - rel) + 1);
				gate_buf_addf(&b, "- \"%.*s\"\n", (int)(slash - rel), rel);
				free(sub);
				break;
			}
			free(sub);
		}
		if (slash)
			continue;
		if (ends_with(rel, ".yaml") || ends_with(rel, ".yml"))
			gate_buf_addf(&b, "- \"%s\"\n", rel);
	}
	free(skip);
	listing_release(ls.v, ls.n);
	return gate_buf_detach(&b);
}

/*
 * What a kustomization file names (for the kustomizations nobody includes), through the facts index under a key derived
 * from its blob id, else read and parsed (and kept there).
 */
static int kust_refs_of(struct rtree *t, const git_oid *id, struct gate_kust_refs *out)
{
	struct gate_facts_index *idx = gate_judge__facts_index(t->j);
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX], bh[GIT_OID_HEXSZ + 1];
	const char *text;
	size_t len;
	unsigned flags;
	git_oid key;
	char *buf = NULL;

	git_oid_tostr(bh, sizeof(bh), id);
	gate_sha256_init(&h);
	gate_sha256_update_str(&h, "gitops-gate kustomization names 1");
	gate_sha256_update_str(&h, bh);
	gate_sha256_final(&h, hex);
	git_oid_fromstrn(&key, hex, GIT_OID_HEXSZ);
	if (idx && gate_facts_index_get(idx, key.id, &flags, &text, &len) == 1 && (flags & GATE_FACTS_HAS_TEXT) &&
	    gate_kust_refs_deserialize(out, text, len) == 0)
		return 0;
	if (gate_judge__read_tree_blob(t->j, id, &buf, &len, t->msg, t->msgsize) < 0)
		return -1;
	lim.max_bytes = gate_config_limits(t->j->cfg)->max_blob_bytes;
	gate_kust_refs_parse(out, buf, buf ? len : 0, &lim);
	free(buf);
	if (idx) {
		struct gate_buf b = GATE_BUF_INIT;
		if (gate_kust_refs_serialize(out, &b) == 0)
			gate_facts_index_put(idx, key.id, GATE_FACTS_HAS_TEXT, b.ptr, b.len);
		gate_buf_release(&b);
	}
	return 0;
}

/* ---- the summaries */

struct rsum {
	struct rtree *t;
	struct gate_facts_index *idx;
	struct gate_buf prefix;  /* the tree's path, "" or ending in '/' */
	int depth;
};

struct rsum_level {
	struct rsum *s;
	struct gate_buf text;
	int storable;
};

/* A subtree's summary as its parent may take it in: its text, and whether it can be kept. */
struct rsum_out {
	struct gate_buf text;
	int storable;
};

/* Subtrees whose summary has at most this many lines are written into their parent's. */
#define RSUM_INLINE_LINES 64

static int rsum_tree(struct rsum *s, const git_oid *tree, struct rsum_out *out);

/* A file found (kust: a kustomization file, naming kr, taken over; else one that may name a root). */
static void rsum_found(struct rsum *s, int kust, const char *name, const git_oid *id, struct gate_kust_refs *kr)
{
	struct rtree *t = s->t;
	struct rfile *f;

	if (kust) {
		size_t akr = t->akf;
		GATE_ALLOC_GROW(t->kf, t->nkf + 1, t->akf);
		if (t->akf != akr || !t->kr)
			t->kr = gate_xrealloc(t->kr, t->akf * sizeof(*t->kr));
		t->kr[t->nkf] = *kr;
		memset(kr, 0, sizeof(*kr));
		f = &t->kf[t->nkf++];
	} else {
		GATE_ALLOC_GROW(t->rf, t->nrf + 1, t->arf);
		f = &t->rf[t->nrf++];
	}
	f->path = gate_xasprintf("%s%s", s->prefix.ptr ? s->prefix.ptr : "", name);
	git_oid_cpy(&f->id, id);
}

static int rsum_enter(struct rsum *s, const char *name, const git_oid *tree, struct rsum_out *out)
{
	size_t plen = s->prefix.len;
	int error;

	if (s->depth >= 4096) {
		gate_set_msg(s->t->msg, s->t->msgsize, "cannot read the tree: nested more than 4096 deep");
		return -1;
	}
	gate_buf_adds(&s->prefix, name);
	gate_buf_addc(&s->prefix, '/');
	s->depth++;
	error = rsum_tree(s, tree, out);
	s->depth--;
	s->prefix.len = plen;
	if (s->prefix.ptr)
		s->prefix.ptr[plen] = '\0';
	return error;
}

static int is_kust_name(const char *name)
{
	return !strcmp(name, gate_judge__kust_names[0]) || !strcmp(name, gate_judge__kust_names[1]) ||
		!strcmp(name, gate_judge__kust_names[2]);
}

/*
 * A subtree's summary into its parent's: a small one line by line, its
 * names under the subtree's name (so fewer summaries are looked up when the
 * tree is replayed), else as a "t" line.
 */
static void take_in(struct rsum_level *lv, const char *name, const char *hex, struct rsum_out *sub)
{
	const char *p = sub->text.ptr, *end = p ? p + sub->text.len : NULL;
	size_t lines = 0;

	for (; p && p < end; p++)
		lines += *p == '\n';
	if (!sub->storable || lines > RSUM_INLINE_LINES) {
		gate_buf_addf(&lv->text, "t %s %s\n", hex, name);
		return;
	}
	for (p = sub->text.ptr; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if (*p == 'i' || nl - p < 3 + GIT_OID_HEXSZ)
			gate_buf_add(&lv->text, p, (size_t)(nl - p + 1));
		else {
			gate_buf_add(&lv->text, p, 3 + GIT_OID_HEXSZ);
			gate_buf_addf(&lv->text, "%s/", name);
			gate_buf_add(&lv->text, p + 3 + GIT_OID_HEXSZ, (size_t)(nl - p - 2 - GIT_OID_HEXSZ));
		}
		p = nl + 1;
	}
}

/* gate_repo_tree_list()'s fn: one entry of a tree whose summary is made */
static int rsum_entry(const struct gate_repo_change *ch, void *payload)
{
	struct rsum_level *lv = payload;
	struct rsum *s = lv->s;
	char hex[GIT_OID_HEXSZ + 1], *path;
	size_t before = s->t->nrf + s->t->nkf;
	int error = 0, names;

	git_oid_tostr(hex, sizeof(hex), &ch->id);
	if (ch->mode == GIT_FILEMODE_TREE) {
		struct rsum_out sub;
		memset(&sub, 0, sizeof(sub));
		sub.storable = 1;
		if ((error = rsum_enter(s, ch->path, &ch->id, &sub)) < 0) {
			gate_buf_release(&sub.text);
			return error;
		}
		if (s->t->nrf + s->t->nkf > before)
			take_in(lv, ch->path, hex, &sub);
		gate_buf_release(&sub.text);
	} else if (is_file_mode(ch->mode)) {
		if (is_kust_name(ch->path)) {
			struct gate_kust_refs kr;
			size_t i;
			if (kust_refs_of(s->t, &ch->id, &kr) < 0)
				return -1;
			gate_buf_addf(&lv->text, "k %s %s\ni%c", hex, ch->path, kr.component ? 'C' : 'K');
			for (i = 0; i < kr.n; i++) {
				if (strchr(kr.names[i], '\t') || strchr(kr.names[i], '\n'))
					lv->storable = 0;
				gate_buf_addf(&lv->text, "\t%s", kr.names[i]);
			}
			gate_buf_addc(&lv->text, '\n');
			rsum_found(s, 1, ch->path, &ch->id, &kr);
		}
		path = gate_xasprintf("%s%s", s->prefix.ptr ? s->prefix.ptr : "", ch->path);
		names = gate_config_path_is_manifest(s->t->j->cfg, path);
		free(path);
		if (names && (names = gate_judge__may_name_roots(s->t, &ch->id)) < 0)
			return -1;
		if (names) {
			rsum_found(s, 0, ch->path, &ch->id, NULL);
			gate_buf_addf(&lv->text, "r %s %s\n", hex, ch->path);
		}
	}
	if (strchr(ch->path, '\n'))
		lv->storable = 0;
	return 0;
}

/* Replay a kept summary; 1 when it is not one (then it is made again). */
static int rsum_replay(struct rsum *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t nrf = s->t->nrf, nkf = s->t->nkf;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *name;
		git_oid id;
		int error = 0;

		if (!nl || nl - p < 2 + GIT_OID_HEXSZ + 2 || (p[0] != 'r' && p[0] != 'k' && p[0] != 't') ||
		    p[1] != ' ' || p[2 + GIT_OID_HEXSZ] != ' ' || git_oid_fromstrn(&id, p + 2, GIT_OID_HEXSZ) < 0)
			goto bad;
		name = gate_xstrndup(p + 3 + GIT_OID_HEXSZ, (size_t)(nl - p - 3 - GIT_OID_HEXSZ));
		if (p[0] == 't') {
			error = rsum_enter(s, name, &id, NULL);
		} else if (p[0] == 'k') {
			/* the next line: "i", its kind, a tab before each name it names */
			const char *q = nl + 1, *qe = q < end ? memchr(q, '\n', (size_t)(end - q)) : NULL;
			struct gate_kust_refs kr;
			memset(&kr, 0, sizeof(kr));
			if (!qe || qe - q < 2 || q[0] != 'i' || (q[1] != 'K' && q[1] != 'C')) {
				free(name);
				goto bad;
			}
			kr.component = q[1] == 'C';
			for (q += 2; q < qe;) {
				const char *tab = memchr(q + 1, '\t', (size_t)(qe - q - 1));
				const char *e = tab ? tab : qe;
				if (*q != '\t' || e == q + 1) {
					gate_kust_refs_release(&kr);
					free(name);
					goto bad;
				}
				GATE_ALLOC_GROW(kr.names, kr.n + 1, kr.alloc);
				kr.names[kr.n++] = gate_xstrndup(q + 1, (size_t)(e - q - 1));
				q = e;
			}
			rsum_found(s, 1, name, &id, &kr);
			nl = qe;
		} else {
			rsum_found(s, 0, name, &id, NULL);
		}
		free(name);
		if (error < 0)
			return error;
		p = nl + 1;
	}
	return 0;
bad:
	while (s->t->nrf > nrf)
		free(s->t->rf[--s->t->nrf].path);
	while (s->t->nkf > nkf) {
		free(s->t->kf[--s->t->nkf].path);
		gate_kust_refs_release(&s->t->kr[s->t->nkf]);
	}
	return 1;
}

static int rsum_tree(struct rsum *s, const git_oid *tree, struct rsum_out *out)
{
	struct rsum_level lv;
	const char *text;
	size_t len;
	unsigned flags;
	git_oid key;
	int error;

	if (gate_judge__past_deadline(s->t->j))
		return GATE_JUDGE_ETIMEOUT;
	memset(&key, 0, sizeof(key));
	if (s->idx) {
		gate_judge__tree_summary_key(s->t->j, "gitops-gate roots tree 3", tree,
			s->prefix.ptr ? s->prefix.ptr : "", &key);
		if (gate_facts_index_get(s->idx, key.id, &flags, &text, &len) == 1 &&
		    (flags & GATE_FACTS_HAS_TEXT) && (error = rsum_replay(s, text, len)) <= 0) {
			if (out)
				gate_buf_add(&out->text, text, len);
			return error;
		}
	}
	memset(&lv, 0, sizeof(lv));
	lv.s = s;
	lv.storable = 1;
	error = gate_repo_tree_list(s->t->j->repo, tree, rsum_entry, &lv, s->t->msg, s->t->msgsize);
	if (!error && s->idx && lv.storable)
		gate_facts_index_put(s->idx, key.id, GATE_FACTS_HAS_TEXT, lv.text.ptr ? lv.text.ptr : "",
			lv.text.len);
	if (out) {
		gate_buf_add(&out->text, lv.text.ptr ? lv.text.ptr : "", lv.text.len);
		out->storable = lv.storable;
	}
	gate_buf_release(&lv.text);
	return error;
}

int gate_judge__rtree_open(struct rtree *t, struct gate_judge *j, const git_oid *commit,
	struct noroot *nr, struct noroot *novars, char *msg, size_t msgsize)
{
	struct rsum s;
	int error;

	memset(t, 0, sizeof(*t));
	t->j = j;
	git_oid_cpy(&t->commit, commit);
	t->nr = nr;
	t->novars = novars;
	t->msg = msg;
	t->msgsize = msgsize;
	if (gate_repo_commit_tree(j->repo, commit, &t->tree, msg, msgsize) < 0)
		return -1;
	gate_judge__settled_open(t);
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.idx = gate_judge__facts_index(j);
	error = rsum_tree(&s, git_tree_id(t->tree), NULL);
	gate_buf_release(&s.prefix);
	return error;
}

void gate_judge__rtree_release(struct rtree *t)
{
	size_t i;

	gate_judge__settled_close(t);
	listing_release(t->v, t->n);
	listing_release(t->rf, t->nrf);
	for (i = 0; i < t->nkf; i++)
		gate_kust_refs_release(&t->kr[i]);
	free(t->kr);
	listing_release(t->kf, t->nkf);
	for (i = 0; i < t->nlook; i++)
		if (t->look[i]) {
			gate_repo_tree_free(t->look[i]->gt);
			free(t->look[i]->f.path);
			free(t->look[i]);
		}
	free(t->look);
	gate_repo_tree_free(t->tree);
	memset(t, 0, sizeof(*t));
}
