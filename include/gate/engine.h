/*
 * engine: judge files.  A file is split into documents, each parsed, `kind:
 * List` expanded, identified, matched to its schema and validated; then every
 * configured checker (policy) runs on it.  The verdict per resource is a
 * struct gate_result.  The same path serves `validate` and the hooks.
 */
#ifndef GATE_ENGINE_H
#define GATE_ENGINE_H

#include <stddef.h>
#include "gate/doc.h"
#include "gate/k8s.h"
#include "gate/result.h"

/*
 * A checker runs after schema validation on every resource that has an
 * identity (also on invalid ones).  It appends problems to res and may raise
 * res->status from valid to invalid for deny problems.  Returns 0, or
 * negative when it could not evaluate (the resource becomes statusError).
 * It is called from several threads at once: ctx must be safe for that.
 */
struct gate_checker {
	int (*check)(void *ctx, const char *filename, const struct gate_k8s_id *id,
		const struct gate_node *root, struct gate_result *res);
	void *ctx;
};

/*
 * A document larger than this is an error: kubeconform's reader refuses
 * documents over 4 MiB, and the Kubernetes API server would refuse such an
 * object anyway (its request limit is 3 MiB, etcd's 1.5 MiB).
 */
#define GATE_ENGINE_MAX_DOCUMENT ((size_t)4 << 20)

/*
 * A scanner runs once per file on its raw bytes, before the file is split
 * (secret scanning reads every byte, comments included).  It may append
 * results to out.  Returns 0, or negative when it could not evaluate.  Like
 * checkers it is called from several threads at once.
 */
struct gate_scanner {
	int (*scan)(void *ctx, const char *filename, const char *buf, size_t len,
		struct gate_results *out);
	void *ctx;
};

/*
 * Inputs whose bytes come on demand, in the engine's threads (the hook reads
 * git blobs so, in parallel, and only while they are judged).  load() gives
 * input i its bytes (in->buf, in->len: borrowed until done() is called for
 * it) and returns 0 to have it judged; or fills in->results itself and
 * returns 1 (judged without the engine: too large, binary, a file only
 * scanned); or returns negative to stop the run: no input is started after
 * that, those not started keep started == 0 (a deadline).  done() is called
 * once for every input load() returned 0 or 1 for, after it was judged, on
 * the same thread.  Both are called from several threads at once.
 */
struct gate_input;
struct gate_engine_loader {
	int (*load)(void *ctx, size_t i, struct gate_input *in);
	void (*done)(void *ctx, size_t i, struct gate_input *in);
	void *ctx;
};

struct gate_engine_opts {
	struct gate_store *store;     /* required */
	int strict;                   /* duplicate keys are errors */
	const char *const *skip_kinds;   /* "Kind" or "group/version/Kind" */
	size_t nskip;
	const char *const *reject_kinds;
	size_t nreject;
	int ignore_missing_schemas;
	size_t max_errors;            /* per resource; 0: 100 */
	struct gate_doc_limits limits; /* max_bytes bounds a whole file */
	size_t max_document_bytes;    /* one document of a file; 0: GATE_ENGINE_MAX_DOCUMENT */
	const struct gate_checker *checkers;
	size_t ncheckers;
	const struct gate_scanner *scanners;
	size_t nscanners;
	const struct gate_engine_loader *loader; /* NULL: inputs carry buf or path */
};

/* Judge one file held in memory; results are appended to out in document order. */
int gate_engine_validate_buffer(const struct gate_engine_opts *o, const char *filename,
	const char *buf, size_t len, struct gate_results *out);

/*
 * One unit of parallel work.  When buf is NULL the engine reads the file at
 * path (and frees it after judging); otherwise buf is borrowed.  filename is
 * the name reported.  results and error are filled by gate_engine_run().
 * With buf NULL, len may carry the file's size when the caller knows it
 * (only used to start large files first; 0: the engine stats the file).
 */
struct gate_input {
	const char *filename;
	const char *path;
	const char *buf;
	size_t len;
	struct gate_results results;
	int error; /* negative: could not evaluate (message in results as statusError) */
	int started; /* set by gate_engine_run(): judged (0 only when a loader stopped the run) */
};

/*
 * Judge inputs on `threads` threads (0: number of CPUs), largest first so one
 * big file does not finish last (with a loader, in->len is the size known
 * beforehand).  Returns 0, negative on internal failure; a run a loader
 * stopped returns 0 too (see started).
 */
int gate_engine_run(const struct gate_engine_opts *o, struct gate_input *inputs,
	size_t n, int threads);

#endif
