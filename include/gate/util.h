/*
 * util: allocation that never returns NULL, a growable byte buffer, escaping
 * of untrusted strings for terminal output, and small file helpers.
 */
#ifndef GATE_UTIL_H
#define GATE_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Out of memory is fatal: these print "fatal: out of memory" and exit(128),
 * which in pre-receive rejects the push (tmux xmalloc.c).
 */
void *gate_xmalloc(size_t n);
void *gate_xcalloc(size_t nmemb, size_t size);
void *gate_xrealloc(void *p, size_t n);
void *gate_xreallocarray(void *p, size_t nmemb, size_t size);
char *gate_xstrdup(const char *s);   /* NULL stays NULL */
char *gate_xstrndup(const char *s, size_t n);
char *gate_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Format a message into a caller's buffer msg[msgsize]; NULL or 0 size: nothing. */
void gate_set_msg(char *msg, size_t msgsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void gate_set_vmsg(char *msg, size_t msgsize, const char *fmt, va_list ap);

/* Grow an array *v of *alloc elements so that it holds at least need. */
#define GATE_ALLOC_GROW(v, need, alloc) do { \
	if ((need) > (alloc)) { \
		size_t gate_na_ = (alloc) ? (alloc) * 2 : 8; \
		while (gate_na_ < (need)) gate_na_ *= 2; \
		(v) = gate_xreallocarray((v), gate_na_, sizeof(*(v))); \
		(alloc) = gate_na_; \
	} \
} while (0)

struct gate_buf {
	char *ptr;  /* always NUL-terminated once anything was added */
	size_t len;
	size_t alloc;
};
#define GATE_BUF_INIT { NULL, 0, 0 }

void gate_buf_grow(struct gate_buf *b, size_t extra);
void gate_buf_add(struct gate_buf *b, const void *data, size_t len);
void gate_buf_adds(struct gate_buf *b, const char *s);
void gate_buf_addc(struct gate_buf *b, char c);
void gate_buf_addf(struct gate_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gate_buf_vaddf(struct gate_buf *b, const char *fmt, va_list ap);
/*
 * Append s escaped for a terminal: control bytes, DEL and bytes that are not
 * UTF-8 as \xNN, backslash doubled, and as \uNNNN the code points that
 * change how the text around them shows: C1 controls (U+0080-009F),
 * bidirectional marks, embeddings, overrides and isolates (U+061C,
 * U+200E-200F, U+202A-202E, U+2066-2069), zero-width characters
 * (U+200B-200D, U+2060-2064), U+2028-2029 and U+FEFF.
 */
void gate_buf_add_escaped(struct gate_buf *b, const char *s, size_t len);
/*
 * s escaped as gate_buf_add_escaped() does, at most max bytes of it, "..."
 * after a cut; NULL reads as "".  A new string (caller frees).
 */
char *gate_escape_dup(const char *s, size_t max);
void gate_buf_reset(struct gate_buf *b);   /* len 0, keeps memory */
void gate_buf_release(struct gate_buf *b); /* frees, back to GATE_BUF_INIT */
char *gate_buf_detach(struct gate_buf *b); /* caller frees; b is reset to INIT */

/*
 * Read a whole file into a new NUL-terminated buffer (caller frees).  Files
 * larger than max are refused with errno EFBIG.  Returns 0 or -1 (errno set).
 */
int gate_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Replace path with data: a temp file in the same folder, then a rename, so a
 * reader sees the old or the new content, never a mix.  With
 * GATE_WRITE_DURABLE the file and its folder are fsynced too (the content
 * survives a power cut); without it a crash may leave a torn or missing file,
 * for callers that detect that themselves (a checksum).  Returns 0 or -1.
 */
#define GATE_WRITE_DURABLE 0x01
int gate_write_file_replace(const char *path, const void *data, size_t len, int mode, int flags);

/* gate_write_file_replace(..., GATE_WRITE_DURABLE) */
int gate_write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* mkdir -p */
int gate_mkdir_p(const char *path, int mode);

/* Shell-style glob match with ** for any number of path components. */
int gate_glob_match(const char *pattern, const char *path);
/* Could pattern match some path below folder dir ("dir/...")?  1 yes, 0 no. */
int gate_glob_may_match_under(const char *pattern, const char *dir);
/*
 * Is pattern a well-formed glob (no unterminated '[', no empty "[]", no
 * trailing '\\', no "***", not empty)?  0 yes, -1 with why.
 */
int gate_glob_check(const char *pattern, char *why, size_t whysize);

#endif
