/*
 * blob_memo: the blobs one process has read, by id, so a blob several parts
 * of one push need (the secret scan and the judge, the 50 renders that read
 * one base) is inflated from the object database once.  A blob's content
 * never changes under its id, so the memo is never stale; it is bounded in
 * bytes (what does not fit is simply read again).  Not thread-safe: one
 * memo per repository handle, used from the thread that reads blobs.
 */
#ifndef GATE_BLOB_MEMO_H
#define GATE_BLOB_MEMO_H

#include <stddef.h>
#include <git2.h>

#define GATE_BLOB_MEMO_MAX_BYTES (64u << 20) /* content kept at most, all blobs */
#define GATE_BLOB_MEMO_MAX_BLOB  (1u << 20)  /* larger blobs are not kept */

struct gate_blob_memo_slot;

struct gate_blob_memo {
	struct gate_blob_memo_slot *slots;
	size_t nslots, n;
	size_t bytes;     /* content kept */
	size_t hits;      /* lookups answered */
};
#define GATE_BLOB_MEMO_INIT { NULL, 0, 0, 0, 0 }

/*
 * The content kept for id, or NULL.  Borrowed: valid until the memo is
 * released (entries are never replaced); *len is its size.
 */
const char *gate_blob_memo_get(struct gate_blob_memo *m, const git_oid *id, size_t *len);

/* Keep a copy of data (len bytes) under id, when it fits the bounds. */
void gate_blob_memo_put(struct gate_blob_memo *m, const git_oid *id, const char *data, size_t len);

void gate_blob_memo_release(struct gate_blob_memo *m);

#endif
