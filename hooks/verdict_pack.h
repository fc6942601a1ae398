/*
 * verdict_pack.h: many verdict records in one file, private to verdicts.c
 * (and its unit tests).  A push that makes many records (the first push of
 * a large tree) writes them as one pack under <cache>/packs/ instead of one
 * file each: creating tens of thousands of files cost the detached writer
 * more than judging them.  A pack holds the records byte for byte as single
 * record files hold them (magic, key, checksum, body), so a record is checked
 * the same way wherever it lies, and a sorted table of keys in front:
 *
 *   "gitops-gate-verdict-pack 1\n"
 *   count (u32, little-endian), 4 zero bytes
 *   count entries of 40 bytes: key (32 bytes, the 64-hex key decoded),
 *     offset and length of the record (u32 each, little-endian), sorted by key
 *   the records
 *
 * A pack is written whole and renamed into place.  A pack with a bad header
 * or table is ignored; an entry whose record fails its check is a miss.
 */
#ifndef GATE_VERDICT_PACK_H
#define GATE_VERDICT_PACK_H

#include <stddef.h>

#include "gate/hash.h"
#include "gate/util.h"

#define GATE_VPACK_MAGIC "gitops-gate-verdict-pack 1\n"
#define GATE_VPACK_DIR "packs"

struct gate_vpack_map; /* one mapped pack */

/* The packs of a cache folder, mapped once. */
struct gate_vpacks {
	struct gate_vpack_map *v;
	size_t n;
	int loaded;
};

/* Map every pack of dir/packs (once; later calls do nothing). */
void gate_vpacks_load(struct gate_vpacks *ps, const char *dir);

/*
 * The record of key (64 hex) in some pack: *rec and *len borrowed while ps
 * lives.  Returns 1 when some pack lists it, else 0.  The record is not
 * checked here.
 */
int gate_vpacks_find(const struct gate_vpacks *ps, const char *key, const char **rec, size_t *len);

/* How many records the packs list (duplicates counted each time). */
size_t gate_vpacks_count(const struct gate_vpacks *ps);

void gate_vpacks_release(struct gate_vpacks *ps);

/* One record to write: its key (64 hex) and bytes. */
struct gate_vpack_rec {
	char key[GATE_SHA256_HEX];
	struct gate_buf rec;
};

/*
 * Write recs[0..n) (sorted here; a key twice keeps its first record) as one
 * new pack of dir/packs.  Returns 0, or -1 (nothing written).
 */
int gate_vpack_write(const char *dir, struct gate_vpack_rec *recs, size_t n);

/* Append a copy of every record of ps to recs (to write them again as one pack). */
void gate_vpacks_take_all(const struct gate_vpacks *ps, struct gate_vpack_rec **recs, size_t *n, size_t *alloc);
/* Remove the files of ps (taken into a new pack); readers that mapped them keep them. */
void gate_vpacks_remove(const struct gate_vpacks *ps);

/*
 * cache-check of dir/packs: every listed record through check (1: good),
 * a pack whose header or table is bad counts as one bad, a temporary file
 * as tmp.  Adds to the counts.
 */
void gate_vpacks_check(const char *dir, int (*check)(const char *key, const char *rec, size_t len),
	size_t *good, size_t *bad, size_t *tmp);

#endif
