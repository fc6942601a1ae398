/*
 * judge_settled.c: which roots' folders are known unchanged, without
 * looking them up.  The render index keeps, per root, the folders its last
 * build read with their tree ids then ("T" lines, judge_rindex.c); a push
 * checks them against its tree to know the root untouched, which reads
 * every such folder's tree: proportional to the roots, not to the change.
 *
 * Whether a "T" text holds (each folder is that tree) depends only on the
 * text and the tree, so it is kept per tree: in the blob-facts index, under
 * a key of the tree id, the digests (SHA-256, first 16 bytes) of the "T"
 * texts seen to hold in it ("S1\n", then the digests, sorted).  A commit
 * whose nearest first-parent ancestor with such a set (its parent, as a
 * rule) has a tree that differs little from its own knows a text of that
 * set holds in its own tree when none of the paths that differ is at,
 * below or above one of the text's folders (the change walk reports every
 * file that differs, and a folder added or deleted whole: a subtree that
 * differs has a reported path below or above it; only empty trees, which
 * hold no file a build could read or probe, go unreported).  Any other text is looked up as before.  Both
 * answers are the same; the set of the commit's tree is written for the next
 * push.  Derived data keyed by content: never stale.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gate/facts_index.h"
#include "gate/hash.h"
#include "gate/util.h"
#include "judge_int.h"
#include "judge_render_int.h"

#define DIGEST_BYTES 16
#define SETTLED_MAGIC "S1\n"
/* past this many changed paths, every text is looked up (the check is per path) */
#define MAX_CHANGED 256
/* first-parent ancestors looked at for a set (one pushed without the index has none) */
#define MAX_BACK 8

struct settled {
	unsigned char *prev;   /* the parent tree's digests, sorted */
	size_t nprev;
	char **changed;        /* the paths the commit changed from it */
	size_t nchanged, achanged;
	int too_many;
	unsigned char *cur;    /* digests seen to hold in this tree */
	size_t ncur, acur;
	pthread_mutex_t lock;  /* over cur: the renders may ask from several threads */
};

static void digest(const char *text, size_t len, unsigned char out[DIGEST_BYTES])
{
	char hex[GATE_SHA256_HEX];
	git_oid o;

	gate_sha256_hex(text, len, hex);
	git_oid_fromstrn(&o, hex, 2 * DIGEST_BYTES);
	memcpy(out, o.id, DIGEST_BYTES);
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST_BYTES);
}

static void set_key(struct rtree *t, const git_oid *tree, git_oid *key)
{
	gate_judge__tree_summary_key(t->j, "gitops-gate settled trees 1", tree, "", key);
}

static int changed_fn(const struct gate_repo_change *ch, void *payload)
{
	struct settled *s = payload;

	if (s->nchanged >= MAX_CHANGED) {
		s->too_many = 1;
		return 1;
	}
	GATE_ALLOC_GROW(s->changed, s->nchanged + 1, s->achanged);
	s->changed[s->nchanged++] = gate_xstrdup(ch->path);
	return 0;
}

/*
 * The set of the nearest of the commit's first-parent ancestors (at most
 * MAX_BACK up) that has one: its text (borrowed from the index), 0; or -1.
 */
static int ancestor_set(struct rtree *t, struct gate_facts_index *idx, git_oid *anc, const char **text,
	size_t *len)
{
	size_t ml = sizeof(SETTLED_MAGIC) - 1;
	git_oid at, tree, key;
	unsigned flags;
	char emsg[256];
	int back;

	git_oid_cpy(&at, &t->commit);
	for (back = 0; back < MAX_BACK; back++) {
		if (gate_repo_first_parent(t->j->repo, &at, anc) != 1 ||
		    gate_repo_commit_tree_id(t->j->repo, anc, &tree, emsg, sizeof(emsg)) < 0)
			return -1;
		set_key(t, &tree, &key);
		if (gate_facts_index_get(idx, key.id, &flags, text, len) == 1 && (flags & GATE_FACTS_HAS_TEXT) &&
		    *len > ml && !memcmp(*text, SETTLED_MAGIC, ml) && !((*len - ml) % DIGEST_BYTES))
			return 0;
		git_oid_cpy(&at, anc);
	}
	return -1;
}

void gate_judge__settled_open(struct rtree *t)
{
	struct gate_facts_index *idx = gate_judge__facts_index(t->j);
	struct settled *s = gate_xcalloc(1, sizeof(*s));
	const char *text;
	size_t len, ml = sizeof(SETTLED_MAGIC) - 1;
	git_oid anc;
	char emsg[256];

	pthread_mutex_init(&s->lock, NULL);
	t->settled = s;
	if (!idx || ancestor_set(t, idx, &anc, &text, &len) < 0)
		return;
	/* what differs between that ancestor's tree and this one */
	if (gate_repo_diff_changes(t->j->repo, &anc, &t->commit, changed_fn, s, emsg, sizeof(emsg)) < 0 ||
	    s->too_many)
		return;
	s->nprev = (len - ml) / DIGEST_BYTES;
	s->prev = gate_xmalloc(len - ml);
	memcpy(s->prev, text + ml, len - ml);
}

/* Is dir at or below folder up ("" the top)? */
static int at_or_below(const char *dir, size_t dlen, const char *up, size_t ulen)
{
	return !ulen || (dlen >= ulen && !memcmp(dir, up, ulen) && (dlen == ulen || dir[ulen] == '/'));
}

int gate_judge__settled_holds(struct rtree *t, const char *text, size_t len)
{
	struct settled *s = t->settled;
	unsigned char d[DIGEST_BYTES];
	const char *p, *end = text + len;
	size_t i;

	if (!s || !s->nprev)
		return 0;
	digest(text, len, d);
	if (!bsearch(d, s->prev, s->nprev, DIGEST_BYTES, cmp_digest))
		return 0;
	/* the text held in the parent's tree: does a changed path meet one of its folders? */
	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *f;
		size_t flen;
		if (!nl || nl - p < 3 + GIT_OID_HEXSZ || p[0] != 'T')
			return 0;
		f = p + 3 + GIT_OID_HEXSZ;
		flen = (size_t)(nl - f);
		for (i = 0; i < s->nchanged; i++) {
			const char *c = s->changed[i];
			size_t clen = strlen(c);
			if (at_or_below(c, clen, f, flen) || at_or_below(f, flen, c, clen))
				return 0;
		}
		p = nl + 1;
	}
	return 1;
}

void gate_judge__settled_add(struct rtree *t, const char *text, size_t len)
{
	struct settled *s = t->settled;
	unsigned char d[DIGEST_BYTES];

	if (!s || !gate_judge__facts_index(t->j))
		return;
	digest(text, len, d);
	pthread_mutex_lock(&s->lock);
	GATE_ALLOC_GROW(s->cur, (s->ncur + 1) * DIGEST_BYTES, s->acur);
	memcpy(s->cur + s->ncur * DIGEST_BYTES, d, DIGEST_BYTES);
	s->ncur++;
	pthread_mutex_unlock(&s->lock);
}

/* This tree's set into the index, when it says something new. */
static void settled_save(struct rtree *t, struct settled *s)
{
	struct gate_facts_index *idx = gate_judge__facts_index(t->j);
	struct gate_buf b = GATE_BUF_INIT;
	const char *text;
	size_t len, i, n = 0;
	unsigned flags;
	git_oid key;

	if (!idx || !s->ncur)
		return;
	qsort(s->cur, s->ncur, DIGEST_BYTES, cmp_digest);
	gate_buf_adds(&b, SETTLED_MAGIC);
	for (i = 0; i < s->ncur; i++)
		if (!n || memcmp(s->cur + i * DIGEST_BYTES, s->cur + (i - 1) * DIGEST_BYTES, DIGEST_BYTES)) {
			gate_buf_add(&b, s->cur + i * DIGEST_BYTES, DIGEST_BYTES);
			n++;
		}
	set_key(t, git_tree_id(t->tree), &key);
	if (gate_facts_index_get(idx, key.id, &flags, &text, &len) != 1 || !(flags & GATE_FACTS_HAS_TEXT) ||
	    len != b.len || memcmp(text, b.ptr, len))
		gate_facts_index_put(idx, key.id, GATE_FACTS_HAS_TEXT, b.ptr, b.len);
	gate_buf_release(&b);
}

void gate_judge__settled_close(struct rtree *t)
{
	struct settled *s = t->settled;
	size_t i;

	if (!s)
		return;
	if (t->tree)
		settled_save(t, s);
	for (i = 0; i < s->nchanged; i++)
		free(s->changed[i]);
	free(s->changed);
	free(s->prev);
	free(s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s);
	t->settled = NULL;
}
