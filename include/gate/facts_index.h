/*
 * facts_index: a persistent, content-addressed index of what each blob of a
 * repository holds, beside the verdict cache (hooks/facts_index.c).
 *
 * An entry is keyed by a 20-byte object id (a blob id, or a key the caller
 * derives from one) and holds flags and a text (the judge keeps
 * gate_tree_facts_serialize() there).  Since the key is the content's id, an
 * entry can never be stale: it is derived data, safe to delete at any time
 * (it is rebuilt from the blobs the next pushes read).
 *
 * On disk, in one folder: `facts-index` (the base) and `facts-index.delta`
 * (entries added since the base was last written), each
 *
 *   gitops-gate-facts 2\n
 *   stamp <stamp>\n
 *   count <n> <data bytes> <16 hex: sum of the table (FNV-1a over 64-bit words)>\n
 *   <table: n entries of 36 bytes, sorted by id: id[20], flags, offset,
 *    length, FNV-1a 32 of the text (u32, this machine's byte order)>
 *   <data: the texts>
 *
 * Both are written whole to a temporary file and renamed over the old one
 * (gate_write_file_replace()), so a reader sees an old or a new file, never
 * a torn one.  A reader maps them (only the pages it uses are read): the
 * table is checked whole on loading, each text against its sum when first
 * used (a delta text also before it is written again); a file truncated in
 * place while mapped (nothing here does that) would kill the reader.  A file with another stamp (another engine build or limit that
 * changes what the facts are), a bad header, table sum or layout is ignored
 * (the index is rebuilt, counted in the stats); an entry whose text fails its
 * sum is a miss.  Concurrent pushes may each write: the last rename wins and
 * the other's new entries are computed again later; no entry is ever wrong.
 */
#ifndef GATE_FACTS_INDEX_H
#define GATE_FACTS_INDEX_H

#include <stddef.h>

#define GATE_FACTS_ID_BYTES 20

/* Entry flags: which parts are known, and what they say. */
#define GATE_FACTS_HAS_TEXT 1u      /* the text is set (the blob's facts) */
#define GATE_FACTS_ROOTS_KNOWN 2u   /* whether the blob may name a deployment root is known */
#define GATE_FACTS_NAMES_ROOTS 4u   /* ...and it may (Flux or Argo CD API text) */
#define GATE_FACTS_NO_CRD 8u        /* the blob holds no CustomResourceDefinition text */

struct gate_facts_index;

struct gate_facts_index_stats {
	size_t loaded;    /* entries read from disk */
	size_t hits, misses;
	size_t bad;       /* files ignored (corrupt, other stamp) plus entries failing their sum */
	size_t written;   /* entries written by the last save */
};

/*
 * Load the index of folder dir (files as above) for stamp (no newline).  A
 * missing, corrupt or other-stamp file counts as empty.  *out is new:
 * release with gate_facts_index_free().
 */
void gate_facts_index_open(struct gate_facts_index **out, const char *dir, const char *stamp);
void gate_facts_index_free(struct gate_facts_index *idx);

/*
 * Look id up: on a hit returns 1 with *flags and, when the entry has one,
 * *text and *len (borrowed: valid while idx lives; not NUL-terminated); 0 on
 * a miss.
 */
int gate_facts_index_get(struct gate_facts_index *idx, const unsigned char *id,
	unsigned *flags, const char **text, size_t *len);

/*
 * Add what is known of id (copied): flags are or-ed into the entry's; text
 * (with GATE_FACTS_HAS_TEXT in flags) replaces its text.  Kept in memory
 * until gate_facts_index_save().
 */
void gate_facts_index_put(struct gate_facts_index *idx, const unsigned char *id, unsigned flags,
	const char *text, size_t len);

/* Number of entries added or changed since the last save. */
size_t gate_facts_index_pending(const struct gate_facts_index *idx);

/*
 * Write what was added: the delta file, or, once the delta is large beside
 * the base (or the base was unreadable), a new base holding everything.
 * Returns 0 (also with nothing to write), -1 when a file could not be
 * written (the index is optional: the push goes on).
 */
int gate_facts_index_save(struct gate_facts_index *idx);

void gate_facts_index_get_stats(const struct gate_facts_index *idx,
	struct gate_facts_index_stats *st);

#endif
