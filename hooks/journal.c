#define _GNU_SOURCE /* memmem */
#include "gate/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gate/util.h"

void gate_journal_time(char *buf, size_t len, long long unix_seconds)
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int gate_journal_append(const char *path, const json_t *entry)
{
	struct gate_buf line = GATE_BUF_INIT;
	struct stat st;
	char *text = NULL;
	char last;
	int fd = -1, ret = -1, saved = 0;

	if (!json_is_object(entry)) {
		errno = EINVAL;
		return -1;
	}
	text = json_dumps(entry, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	if (strlen(text) + 1 > GATE_JOURNAL_MAX_LINE) {
		free(text);
		errno = EFBIG;
		return -1;
	}
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		goto done;
	/* a stuck holder must not hold a push: fail, the intent stays for reconcile */
	if (gate_flock_wait(fd, GATE_JOURNAL_LOCK_WAIT_MS) < 0)
		goto done;
	if (fstat(fd, &st) < 0)
		goto done;
	/* A torn last line (crash mid-write) gets its newline before ours. */
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		gate_buf_addc(&line, '\n');
	gate_buf_adds(&line, text);
	gate_buf_addc(&line, '\n');
	if (write_all(fd, line.ptr, line.len) < 0 || fsync(fd) < 0)
		goto done;
	ret = 0;
done:
	saved = errno;
	if (fd >= 0)
		close(fd); /* releases the lock */
	free(text);
	gate_buf_release(&line);
	errno = saved;
	return ret;
}

int gate_journal_read(const char *path, size_t max_bytes, json_t **out, size_t *skipped,
	int *truncated)
{
	struct stat st;
	char *buf = NULL, *p, *end;
	size_t len = 0;
	off_t start = 0;
	int fd, saved;

	*out = json_array();
	*skipped = 0;
	*truncated = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		goto fail;
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	if ((size_t)st.st_size > max_bytes) {
		start = st.st_size - (off_t)max_bytes;
		*truncated = 1;
	}
	buf = gate_xmalloc((size_t)(st.st_size - start) + 1);
	while (len < (size_t)(st.st_size - start)) {
		ssize_t r = pread(fd, buf + len, (size_t)(st.st_size - start) - len, start + (off_t)len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	fd = -1;
	buf[len] = '\0';
	p = buf;
	end = buf + len;
	if (*truncated) {
		/* the first line is partial unless we started right after a newline */
		char prev = 0;
		int pfd = open(path, O_RDONLY | O_CLOEXEC);
		if (pfd >= 0) {
			if (pread(pfd, &prev, 1, start - 1) != 1)
				prev = 0;
			close(pfd);
		}
		if (prev != '\n') {
			char *nl = memchr(p, '\n', len);
			p = nl ? nl + 1 : end;
		}
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl ? nl : end;
		json_error_t jerr;
		json_t *v;

		if (stop > p) {
			v = json_loadb(p, (size_t)(stop - p), JSON_REJECT_DUPLICATES, &jerr);
			if (json_is_object(v))
				json_array_append_new(*out, v);
			else {
				json_decref(v);
				(*skipped)++;
			}
		}
		p = nl ? nl + 1 : end;
	}
	free(buf);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	json_decref(*out);
	*out = NULL;
	errno = saved;
	return -1;
}

/* The seq of line [p, end) when it is a JSON object with an integer "seq", else -1. */
static long long line_seq(const char *p, const char *end)
{
	json_error_t je;
	json_t *e, *v;
	long long seq = -1;

	if (end <= p || !memmem(p, (size_t)(end - p), "\"seq\"", 5))
		return -1;
	if ((e = json_loadb(p, (size_t)(end - p), 0, &je))) {
		v = json_object_get(e, "seq");
		if (json_is_integer(v))
			seq = json_integer_value(v);
		json_decref(e);
	}
	return seq;
}

int gate_journal_last_seq(const char *path, long long *seq)
{
	struct stat st;
	char *buf = NULL, *carry = NULL, *end, *p;
	size_t ncarry = 0;
	off_t pos;
	int fd, ret = 0;

	*seq = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	/* chunks from the end back: the last line with a "seq" wins (usually the last line) */
	for (pos = st.st_size; pos > 0;) {
		size_t n = (size_t)pos < GATE_JOURNAL_SEQ_CHUNK ? (size_t)pos : GATE_JOURNAL_SEQ_CHUNK;
		long long found = -1;
		ssize_t got;

		pos -= (off_t)n;
		buf = gate_xrealloc(buf, n + ncarry + 1);
		if ((got = pread(fd, buf, n, pos)) != (ssize_t)n) {
			ret = -1;
			break;
		}
		if (ncarry)
			memcpy(buf + n, carry, ncarry);
		end = buf + n + ncarry;
		/* complete lines from the end; the first one is partial unless at the file's start */
		while (end > buf && found < 0) {
			for (p = end; p > buf && p[-1] != '\n'; p--)
				;
			if (p == buf && pos > 0)
				break;
			found = line_seq(p, end);
			end = p > buf ? p - 1 : buf;
		}
		if (found >= 0) {
			*seq = found;
			break;
		}
		/* the partial first line goes on to the next chunk back */
		ncarry = (size_t)(end - buf);
		if (ncarry > GATE_JOURNAL_MAX_LINE) /* not a line of ours: drop it */
			ncarry = 0;
		carry = gate_xrealloc(carry, ncarry + 1);
		if (ncarry)
			memcpy(carry, buf, ncarry);
	}
	free(buf);
	free(carry);
	close(fd);
	return ret;
}
