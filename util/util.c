#include "gate/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void oom(void)
{
	static const char m[] = "fatal: out of memory\n";
	(void)!write(2, m, sizeof(m) - 1);
	_exit(128);
}

void *gate_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *gate_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *gate_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

void *gate_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom();
	return gate_xrealloc(p, nmemb * size);
}

char *gate_xstrdup(const char *s)
{
	if (!s)
		return NULL;
	return gate_xstrndup(s, strlen(s));
}

char *gate_xstrndup(const char *s, size_t n)
{
	char *p = gate_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *gate_xasprintf(const char *fmt, ...)
{
	struct gate_buf b = GATE_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gate_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!b.ptr)
		return gate_xstrdup("");
	return b.ptr;
}

void gate_set_vmsg(char *msg, size_t msgsize, const char *fmt, va_list ap)
{
	if (msg && msgsize)
		vsnprintf(msg, msgsize, fmt, ap);
}

void gate_set_msg(char *msg, size_t msgsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gate_set_vmsg(msg, msgsize, fmt, ap);
	va_end(ap);
}

void gate_buf_grow(struct gate_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len)
		oom();
	if (need > b->alloc) {
		size_t na = b->alloc ? b->alloc : 64;
		while (na < need)
			na *= 2;
		b->ptr = gate_xrealloc(b->ptr, na);
		b->alloc = na;
	}
}

void gate_buf_add(struct gate_buf *b, const void *data, size_t len)
{
	gate_buf_grow(b, len);
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void gate_buf_adds(struct gate_buf *b, const char *s)
{
	gate_buf_add(b, s, strlen(s));
}

void gate_buf_addc(struct gate_buf *b, char c)
{
	gate_buf_add(b, &c, 1);
}

void gate_buf_vaddf(struct gate_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	gate_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->alloc - b->len) {
		gate_buf_grow(b, (size_t)n);
		va_copy(cp, ap);
		vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, cp);
		va_end(cp);
	}
	b->len += (size_t)n;
}

void gate_buf_addf(struct gate_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gate_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes) and its code point, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	c = s[0] & (0x3f >> (len - 1));
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Code points that change how a terminal shows the text around them: C1
 * controls (an 8-bit CSI can start an escape sequence), bidirectional
 * overrides, embeddings, isolates and marks (which reorder what follows:
 * "Trojan Source"), zero-width characters, line and paragraph separators
 * and the byte order mark.
 */
static int spoofing(unsigned long c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
		(c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

void gate_buf_add_escaped(struct gate_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned long cp;

		if (c < 0x20 || c == 0x7f) {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			gate_buf_add(b, e, 4);
		} else if (c == '\\') {
			gate_buf_add(b, "\\\\", 2);
		} else if (c < 0x80) {
			gate_buf_addc(b, (char)c);
		} else if (!(n = utf8_seq((const unsigned char *)s + i, len - i, &cp))) {
			/* not UTF-8: the byte itself, escaped */
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			gate_buf_add(b, e, 4);
		} else {
			if (spoofing(cp))
				gate_buf_addf(b, "\\u%04lx", cp);
			else
				gate_buf_add(b, s + i, n);
			i += n - 1;
		}
	}
}

void gate_buf_reset(struct gate_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void gate_buf_release(struct gate_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->alloc = 0;
}

char *gate_buf_detach(struct gate_buf *b)
{
	char *p = b->ptr ? b->ptr : gate_xstrdup("");
	b->ptr = NULL;
	b->len = b->alloc = 0;
	return p;
}

int gate_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t alloc, n = 0;
	int fd, saved;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (st.st_size > 0 && (size_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	alloc = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	buf = gate_xmalloc(alloc);
	for (;;) {
		ssize_t r;
		if (n + 1 >= alloc) {
			if (alloc > max + 1) {
				errno = EFBIG;
				goto fail;
			}
			alloc *= 2;
			buf = gate_xrealloc(buf, alloc);
		}
		r = read(fd, buf + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

static int fsync_dir_of(const char *path)
{
	char *copy = gate_xstrdup(path);
	int fd, ret = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	if (fsync(fd) < 0)
		ret = -1;
	close(fd);
	return ret;
}

int gate_write_file_replace(const char *path, const void *data, size_t len, int mode, int flags)
{
	char *tmp = gate_xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail_nofd;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if ((flags & GATE_WRITE_DURABLE) && fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return (flags & GATE_WRITE_DURABLE) ? fsync_dir_of(path) : 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
fail_nofd:
	free(tmp);
	return -1;
}

int gate_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return gate_write_file_replace(path, data, len, mode, GATE_WRITE_DURABLE);
}

int gate_mkdir_p(const char *path, int mode)
{
	char *copy = gate_xstrdup(path);
	char *p;
	int ret = 0;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			ret = -1;
			goto done;
		}
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		ret = -1;
done:
	free(copy);
	return ret;
}

/*
 * Match one path segment-aware glob: '*' and '?' stop at '/', "**" crosses.
 * With pfx, s is the start of a path: running out of s is a match.
 */
static int glob_rec(const char *p, const char *s, int depth, int pfx)
{
	if (depth > 64)
		return 0;
	for (; *p; p++, s++) {
		if (*p == '*') {
			if (p[1] == '*') {
				const char *rest = p + 2;
				if (*rest == '/') {
					/* "**" + "/": zero or more whole segments */
					rest++;
					if (glob_rec(rest, s, depth + 1, pfx))
						return 1;
					for (; *s; s++)
						if (*s == '/' && glob_rec(rest, s + 1, depth + 1, pfx))
							return 1;
					return 0;
				}
				/* "**" elsewhere: any characters, slashes included */
				for (;; s++) {
					if (glob_rec(rest, s, depth + 1, pfx))
						return 1;
					if (!*s)
						return 0;
				}
			}
			p++;
			for (;; s++) {
				if (glob_rec(p, s, depth + 1, pfx))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		}
		if (!*s)
			return pfx;
		if (*p == '?') {
			if (*s == '/')
				return 0;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;
			int neg = 0, hit = 0;
			if (*q == '!' || *q == '^') {
				neg = 1;
				q++;
			}
			for (; *q && *q != ']'; q++) {
				if (q[1] == '-' && q[2] && q[2] != ']') {
					if (*s >= q[0] && *s <= q[2])
						hit = 1;
					q += 2;
				} else if (*q == *s) {
					hit = 1;
				}
			}
			if (!*q || hit == neg || *s == '/')
				return 0;
			p = q;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return 0;
	}
	return *s == '\0';
}

int gate_glob_match(const char *pattern, const char *path)
{
	return glob_rec(pattern, path, 0, 0);
}

int gate_glob_may_match_under(const char *pattern, const char *dir)
{
	char *s = gate_xasprintf("%s/", dir);
	int m = glob_rec(pattern, s, 0, 1);

	free(s);
	return m;
}

int gate_glob_check(const char *pattern, char *why, size_t whysize)
{
	const char *p;

	if (!*pattern) {
		gate_set_msg(why, whysize, "an empty pattern matches nothing");
		return -1;
	}
	for (p = pattern; *p; p++) {
		if (*p == '\\') {
			if (!p[1]) {
				gate_set_msg(why, whysize, "ends in a lone backslash");
				return -1;
			}
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']') {
				gate_set_msg(why, whysize, "empty bracket expression at offset %zu", (size_t)(p - pattern));
				return -1;
			}
			while (*q && *q != ']' && *q != '/')
				q++;
			if (*q != ']') {
				gate_set_msg(why, whysize, "unterminated '[' at offset %zu (write \\[ for a literal bracket)",
					(size_t)(p - pattern));
				return -1;
			}
			p = q;
		} else if (*p == '*' && p[1] == '*' && p[2] == '*') {
			gate_set_msg(why, whysize, "'***' at offset %zu: use * or **", (size_t)(p - pattern));
			return -1;
		}
	}
	return 0;
}

char *gate_escape_dup(const char *s, size_t max)
{
	struct gate_buf b = GATE_BUF_INIT;
	size_t n = s ? strnlen(s, max) : 0;

	gate_buf_add_escaped(&b, s ? s : "", n);
	if (s && s[n])
		gate_buf_adds(&b, "...");
	return gate_buf_detach(&b);
}
