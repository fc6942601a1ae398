/*
 * verdicts: a content-addressed cache of the engine's results for one blob.
 *
 * Key: sha256 of (blob id, fingerprint, settings-group index); the
 * fingerprint covers the configuration in force, the schema store and the
 * engine build (see gate_verdicts_key()).  The path is not part of the key,
 * so a renamed file hits; the group index is, so the same blob under two
 * paths with different schema settings does not share a verdict.
 *
 * Layout: <dir>/<2 hex>/<62 hex>, one record per key:
 *
 *   gitops-gate-verdict 1\n
 *   key <64 hex>\n
 *   sum <64 hex: sha256 of the body>\n
 *   \n
 *   <body: JSON array of results without file names, or, with a note,
 *    {"results": <that array>, "note": "<text>"}>
 *
 * Records are written with gate_write_file_atomic() (temp file, fsync,
 * rename), so concurrent pushes never see a partial record, and the last
 * writer wins with identical content.  A record whose header, key or sum does
 * not match is treated as a miss (a torn or corrupt record never becomes a
 * verdict).  Hits give back every result and problem field exactly as stored.
 *
 * NEEDSWORK: the cache is not bounded yet; a `gitops-gate hook gc` removing
 * records older than N days (by mtime, refreshed on hit) is the plan.
 */
#ifndef GATE_VERDICTS_H
#define GATE_VERDICTS_H

#include <stddef.h>
#include "gate/hash.h"
#include "gate/result.h"

#define GATE_VERDICT_MAX_BYTES (8u << 20) /* a bigger record is not cached */

struct gate_verdicts;

struct gate_verdicts_stats {
	size_t hits, misses, corrupt, written, write_failures;
};

/*
 * Use dir as the cache (created on the first write).  *out is new (release
 * with gate_verdicts_free()).  Returns 0.
 */
int gate_verdicts_open(struct gate_verdicts **out, const char *dir);
void gate_verdicts_free(struct gate_verdicts *vc);

/* The key of a blob (hex object id) judged with fingerprint under settings group. */
void gate_verdicts_key(char key[GATE_SHA256_HEX], const char *blob_hex,
	const char *fingerprint, int group);

/*
 * Look key up.  On a hit appends the stored results to out, each with
 * filename set to a copy of filename, and returns 1; returns 0 on a miss
 * (also for a corrupt record, counted in the stats).
 */
int gate_verdicts_get(struct gate_verdicts *vc, const char *key, const char *filename,
	struct gate_results *out);

/*
 * Store the results rs[0..n) of one file under key.  Returns 0, or -1 when
 * the record could not be written (the push goes on: a cache is optional).
 */
int gate_verdicts_put(struct gate_verdicts *vc, const char *key,
	const struct gate_result *rs, size_t n);

/*
 * Notes: what else is known of the blob, kept in its record (the judge
 * keeps the facts its repository checks read, gate_tree_facts_serialize(),
 * so that a blob judged once is not read again for them).  put_note is
 * put with note (copied; NULL or "" for none; left out unless valid
 * UTF-8).  get_note is get, and on a hit sets *note (when note is not NULL)
 * to a new copy of the record's note, or NULL when it has none.
 */
int gate_verdicts_put_note(struct gate_verdicts *vc, const char *key,
	const struct gate_result *rs, size_t n, const char *note);
int gate_verdicts_get_note(struct gate_verdicts *vc, const char *key, const char *filename,
	struct gate_results *out, char **note);

/*
 * Read the names of every record once (one listing per subfolder), so that
 * later gets of absent keys cost no open(), and map the packs.  Worth it
 * before many lookups.  After it, gate_verdicts_get() and
 * gate_verdicts_get_note() may run from several threads at once (while no
 * put or flush runs).
 */
void gate_verdicts_scan(struct gate_verdicts *vc);

/*
 * With defer set, gate_verdicts_put() keeps a copy of the results in memory
 * (and returns 0) until gate_verdicts_flush() makes and writes the records
 * (e.g. after the hook has answered: serialising and summing them is then
 * off the pusher's clock too).
 */
void gate_verdicts_defer(struct gate_verdicts *vc, int defer);
/* Make and write the deferred records; returns how many failed (too large or unwritable). */
size_t gate_verdicts_flush(struct gate_verdicts *vc);
/*
 * The blob-facts index kept in the cache's folder (gate/facts_index.h),
 * loaded on the first call with stamp; borrowed, valid while vc lives.
 * gate_verdicts_flush() saves what was added to it, and
 * gate_verdicts_pending() counts its added entries too.
 */
struct gate_facts_index;
struct gate_facts_index *gate_verdicts_facts(struct gate_verdicts *vc, const char *stamp);
/* The index when gate_verdicts_facts() loaded it, else NULL (borrowed). */
const struct gate_facts_index *gate_verdicts_facts_loaded(const struct gate_verdicts *vc);

/* Number of records (and index entries) waiting for gate_verdicts_flush(). */
size_t gate_verdicts_pending(const struct gate_verdicts *vc);

void gate_verdicts_get_stats(const struct gate_verdicts *vc, struct gate_verdicts_stats *st);

/*
 * Check every record under dir: *good and *bad counts (bad: unreadable,
 * torn, wrong key for its name, wrong sum).  Leftover temp files are counted
 * in *tmp.  Returns 0, or -1 when dir cannot be read (a missing dir is empty).
 */
int gate_verdicts_check(const char *dir, size_t *good, size_t *bad, size_t *tmp);

#endif
