/*
 * render_cache.c: parsed files shared by the builds of one push (see
 * gate_render_cache_new() in include/gate/render.h).
 *
 * A parse is recorded as it happens: each document root handed to the
 * caller is copied into the cache's own arena first (the caller's build goes
 * on to change its nodes), with how many nodes the build had counted when it
 * was handed over.  The entry is kept only when the whole parse and every
 * document's handling succeeded.  A later parse of the same text replays it:
 * the node counts are added at the same points (so the build's node limit
 * fails where it would), each root is copied into the build's arena with the
 * new file name, and handed over in order.  Copies share the cached strings,
 * which no build changes (nodes get new strings, never edited ones).
 *
 * Builds on several threads may share one cache: one mutex guards the
 * buckets, the arena and the counts.  An entry is found only once done, and
 * a done entry never changes again, so a replay copies it after the lock is
 * let go (the mutex orders the recording thread's writes before the
 * replaying thread's reads).  Two threads parsing the same text at once both
 * record it; the first done is found, the other is never used.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "render_int.h"

#define CACHE_MAX_TEXT (16u << 20) /* bytes of text kept */
#define CACHE_MAX_DOCS 4096        /* documents of one text */

struct rarena *rarena_new(void);
void rarena_free(struct rarena *a);

/* a cached node's file when it was the parsed file's own: replayed as the path read */
static const char same_file[] = "";

struct cdoc {
	struct gate_rnode *root;
	size_t nodes;        /* counted since the previous document was handed over */
};

struct rcache_entry {
	uint64_t hash;
	size_t len;
	const char *text;
	struct cdoc *docs;
	size_t ndocs, adocs;
	size_t tail;         /* nodes counted after the last document */
	int done;            /* recorded whole (then never changed) */
	struct gate_render_cache *k;
	struct rcache_entry *next;
};

struct gate_render_cache {
	pthread_mutex_t mu;    /* the rest, from every thread */
	struct rctx arena_ctx; /* only its arena is used: the cache's allocations */
	struct rcache_entry **buckets;
	size_t nbuckets, n, text_bytes, hits;
};

void gate_render_cache_new(struct gate_render_cache **out)
{
	struct gate_render_cache *k = gate_xcalloc(1, sizeof(*k));

	pthread_mutex_init(&k->mu, NULL);
	k->arena_ctx.arena = rarena_new();
	k->nbuckets = 256;
	k->buckets = gate_xcalloc(k->nbuckets, sizeof(*k->buckets));
	*out = k;
}

void gate_render_cache_free(struct gate_render_cache *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nbuckets; i++) {
		struct rcache_entry *e, *next;

		for (e = k->buckets[i]; e; e = next) {
			next = e->next;
			free(e->docs);
			free(e);
		}
	}
	free(k->buckets);
	rarena_free(k->arena_ctx.arena);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

size_t gate_render_cache_hits(const struct gate_render_cache *k)
{
	size_t hits;

	if (!k)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&k->mu);
	hits = k->hits;
	pthread_mutex_unlock((pthread_mutex_t *)&k->mu);
	return hits;
}

/* FNV-1a, 64 bits */
static uint64_t text_hash(const char *buf, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 1099511628211ull;
	}
	return h;
}

static struct rcache_entry *lookup(struct gate_render_cache *k, uint64_t h, const char *buf, size_t len)
{
	struct rcache_entry *e;

	for (e = k->buckets[h & (k->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && e->len == len && e->done && (!len || !memcmp(e->text, buf, len)))
			return e;
	return NULL;
}

/* A copy of n in the cache's arena, strings too; file same_file where it is the parse's file. */
static struct gate_rnode *keep_copy(struct gate_render_cache *k, const struct gate_rnode *n, const char *file)
{
	struct rctx *a = &k->arena_ctx;
	struct gate_rnode *m;
	uint32_t i;

	if (!n)
		return NULL;
	m = ra_alloc(a, sizeof(*m));
	*m = *n;
	m->alloc = n->len;
	m->file = n->file == file ? same_file : n->file ? ra_strdup(a, n->file) : NULL;
	/* scalars hold no NUL (the parser refuses one) */
	m->str = n->str ? ra_strdup(a, n->str) : NULL;
	if (n->type == GATE_RNODE_SEQ && n->len) {
		m->u.items = ra_alloc(a, n->len * sizeof(*m->u.items));
		for (i = 0; i < n->len; i++)
			m->u.items[i] = keep_copy(k, n->u.items[i], file);
	} else if (n->type == GATE_RNODE_MAP && n->len) {
		m->u.members = ra_alloc(a, n->len * sizeof(*m->u.members));
		for (i = 0; i < n->len; i++) {
			m->u.members[i] = n->u.members[i];
			m->u.members[i].key = ra_strdup(a, n->u.members[i].key);
			m->u.members[i].value = keep_copy(k, n->u.members[i].value, file);
		}
	}
	return m;
}

/* A copy of cached n in the build's arena, sharing the cache's strings, read at file. */
static struct gate_rnode *replay_copy(struct rctx *c, const struct gate_rnode *n, const char *file)
{
	struct gate_rnode *m;
	uint32_t i;

	if (!n)
		return NULL;
	m = ra_alloc(c, sizeof(*m));
	*m = *n;
	if (m->file == same_file)
		m->file = file;
	if (n->type == GATE_RNODE_SEQ && n->len) {
		m->u.items = ra_alloc(c, n->len * sizeof(*m->u.items));
		for (i = 0; i < n->len; i++)
			m->u.items[i] = replay_copy(c, n->u.items[i], file);
	} else if (n->type == GATE_RNODE_MAP && n->len) {
		m->u.members = ra_alloc(c, n->len * sizeof(*m->u.members));
		for (i = 0; i < n->len; i++) {
			m->u.members[i] = n->u.members[i];
			m->u.members[i].value = replay_copy(c, n->u.members[i].value, file);
		}
	}
	return m;
}

int rcache_replay(struct rctx *c, const char *file, const char *buf, size_t len, rn_doc_fn fn,
	void *payload)
{
	struct gate_render_cache *k = c->opts->cache;
	struct rcache_entry *e;
	size_t i;
	uint64_t h;

	if (!k)
		return 0;
	h = text_hash(buf, len);
	pthread_mutex_lock(&k->mu);
	if ((e = lookup(k, h, buf, len)) != NULL)
		k->hits++;
	pthread_mutex_unlock(&k->mu);
	if (!e)
		return 0;
	for (i = 0; i < e->ndocs; i++) {
		rn_count_nodes(c, e->docs[i].nodes);
		fn(c, replay_copy(c, e->docs[i].root, file), payload);
	}
	rn_count_nodes(c, e->tail);
	return 1;
}

struct rcache_entry *rcache_record_start(struct rctx *c, const char *buf, size_t len)
{
	struct gate_render_cache *k = c->opts->cache;
	struct rcache_entry *e;
	uint64_t h;

	if (!k)
		return NULL;
	h = text_hash(buf, len);
	pthread_mutex_lock(&k->mu);
	if (k->text_bytes + len > CACHE_MAX_TEXT) {
		pthread_mutex_unlock(&k->mu);
		return NULL;
	}
	e = gate_xcalloc(1, sizeof(*e));
	e->k = k;
	e->hash = h;
	e->len = len;
	e->text = len ? ra_strndup(&k->arena_ctx, buf, len) : "";
	/* linked now, used only once done: a failed parse leaves an entry nobody finds */
	e->next = k->buckets[h & (k->nbuckets - 1)];
	k->buckets[h & (k->nbuckets - 1)] = e;
	k->n++;
	k->text_bytes += len;
	pthread_mutex_unlock(&k->mu);
	return e;
}

void rcache_record_doc(struct rctx *c, struct rcache_entry *e, const struct gate_rnode *root,
	const char *file, size_t nodes)
{
	(void)c;
	if (!e)
		return;
	if (e->ndocs >= CACHE_MAX_DOCS) {
		e->ndocs = 0;
		e->adocs = SIZE_MAX; /* too many: never done */
		return;
	}
	if (e->adocs == SIZE_MAX)
		return;
	GATE_ALLOC_GROW(e->docs, e->ndocs + 1, e->adocs);
	pthread_mutex_lock(&e->k->mu);
	e->docs[e->ndocs].root = keep_copy(e->k, root, file);
	pthread_mutex_unlock(&e->k->mu);
	e->docs[e->ndocs].nodes = nodes;
	e->ndocs++;
}

void rcache_record_done(struct rcache_entry *e, size_t tail)
{
	if (!e || e->adocs == SIZE_MAX)
		return;
	pthread_mutex_lock(&e->k->mu);
	e->tail = tail;
	e->done = 1;
	pthread_mutex_unlock(&e->k->mu);
}
