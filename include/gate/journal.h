/*
 * journal: the audit log of accepted revisions, one JSON object per line in
 * $GIT_DIR/gitops-gate/journal.  Appends are serialised with flock(LOCK_EX)
 * on the file, written with one write() after an O_APPEND open, and fsynced
 * before returning, so a line that was reported written survives a crash.
 * A crash in the middle of a write can leave a torn last line without its
 * newline: the next append first terminates it, and readers skip lines that
 * are not JSON objects (counting them).
 *
 * The fields of a line are described in record.h, which writes them.
 */
#ifndef GATE_JOURNAL_H
#define GATE_JOURNAL_H

#include <stddef.h>
#include <jansson.h>

/* A journal line may not exceed this many bytes (bigger entries are refused). */
#define GATE_JOURNAL_MAX_LINE (256u << 10)
/* An append waits this long for the file's flock, then fails (EWOULDBLOCK). */
#define GATE_JOURNAL_LOCK_WAIT_MS 5000

/*
 * Append entry (borrowed, a JSON object) as one line to the journal at path,
 * creating the file (mode 0644) when missing.  Returns 0, or -1 with errno
 * set (EFBIG for an entry over GATE_JOURNAL_MAX_LINE, EWOULDBLOCK when
 * another process held the flock for GATE_JOURNAL_LOCK_WAIT_MS).
 */
int gate_journal_append(const char *path, const json_t *entry);

/*
 * Read the journal at path: *out becomes a new JSON array of its entries in
 * file order (release with json_decref()).  A missing file gives an empty
 * array.  At most max_bytes are read (from the end of the file, dropping the
 * first partial line, when the journal is larger: old entries are then
 * missing and *truncated is set).  *skipped counts lines that were not JSON
 * objects (a torn write).  Returns 0, or -1 with errno set.
 */
int gate_journal_read(const char *path, size_t max_bytes, json_t **out,
	size_t *skipped, int *truncated);

/*
 * The "seq" of the last line that has one (lines written from the gate log,
 * gate_log.h), read back from the end in chunks of GATE_JOURNAL_SEQ_CHUNK
 * bytes (one chunk when the last line has it, as after every record; the
 * whole file when no line has one): *seq, 0 when none (or no file).
 * Returns 0, or -1 with errno.
 */
#define GATE_JOURNAL_SEQ_CHUNK (64u << 10)
int gate_journal_last_seq(const char *path, long long *seq);

/* The current time as RFC 3339 UTC ("2024-05-01T12:00:00Z") into buf[21+]. */
void gate_journal_time(char *buf, size_t len, long long unix_seconds);

#endif
