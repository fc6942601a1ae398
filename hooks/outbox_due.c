/*
 * outbox_due: the due-time index of the outbox, <dir>/next-due, so that a
 * drain with nothing due reads one small file instead of every delivery.
 *
 * The file holds one line "<due> <gen> <scanned>": due is the earliest
 * next_attempt_time of the queued deliveries ("-": none queued, 0: unknown,
 * scan), gen counts its changes, scanned is when a drain last listed the
 * whole outbox.  Every change happens under flock on <dir>/next-due.flock,
 * held for a read and a rename only.
 *
 * Writers of new deliveries lower it before writing their files, so a crash
 * can only leave it too early (one scan more, never a retry missed).  A
 * drain that scans first sets due to 0 (gen+1) and, once it has seen every
 * delivery, writes the earliest due time it found, but only when gen is
 * still its own: a delivery written meanwhile bumped gen, and due stays 0
 * until the next scan.  A missing, unreadable or implausible index (due or
 * scanned beyond what backoff and clock allow, or a scan older than
 * GATE_OUTBOX_DUE_MAX_AGE) means a scan.
 */
#include "gate/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "gate/util.h"

#define LOCK_TRIES 250 /* 2 ms apart: a holder keeps it for a read and a rename */

struct due {
	long long due; /* GATE_OUTBOX_NONE: nothing queued */
	unsigned long long gen;
	long long scanned;
};

static char *index_path(const char *dir)
{
	return gate_xasprintf("%s/next-due", dir);
}

/* flock the index's lock file: its fd, or -1 when it cannot be had soon. */
static int lock_index(const char *dir)
{
	char *path = gate_xasprintf("%s/next-due.flock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), i;

	free(path);
	if (fd < 0)
		return -1;
	for (i = 0; i < LOCK_TRIES; i++) {
		struct timespec ts = { 0, 2000000 };
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		nanosleep(&ts, NULL);
	}
	close(fd);
	return -1;
}

static void unlock_index(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Read the index: 0, or -1 when it is missing or not one well-formed line. */
static int read_index(const char *dir, struct due *d)
{
	char *path = index_path(dir), *text = NULL, due[24], extra;
	size_t len;
	int r;

	r = gate_read_file(path, 128, &text, &len);
	free(path);
	if (r < 0)
		return -1;
	r = sscanf(text, "%23s %llu %lld%c", due, &d->gen, &d->scanned, &extra);
	free(text);
	if (r != 4 || extra != '\n')
		return -1;
	if (!strcmp(due, "-")) {
		d->due = GATE_OUTBOX_NONE;
		return 0;
	}
	return sscanf(due, "%lld%c", &d->due, &extra) == 1 && d->due >= 0 ? 0 : -1;
}

/* Replace the index (not fsynced: a torn or lost one only costs a scan). */
static int write_index(const char *dir, const struct due *d)
{
	char *path = index_path(dir), line[96];
	int r;

	if (d->due == GATE_OUTBOX_NONE)
		snprintf(line, sizeof(line), "- %llu %lld\n", d->gen, d->scanned);
	else
		snprintf(line, sizeof(line), "%lld %llu %lld\n", d->due, d->gen, d->scanned);
	r = gate_write_file_replace(path, line, strlen(line), 0644, 0);
	if (r < 0)
		unlink(path); /* without it every drain scans: safe */
	free(path);
	return r;
}

int gate_outbox_due_lower(const char *dir, long long t)
{
	struct due d;
	int fd = lock_index(dir), ret = 0;

	if (fd < 0) {
		/* cannot coordinate: take the index away, the next drain scans */
		char *path = index_path(dir);
		if (unlink(path) < 0 && errno != ENOENT)
			ret = -1;
		free(path);
		return ret;
	}
	if (read_index(dir, &d) == 0 && (d.due == 0 || t < d.due)) {
		/* a scanning drain (due 0) learns from gen that it missed this one */
		d.due = d.due == 0 || t < 0 ? 0 : t;
		d.gen++;
		ret = write_index(dir, &d);
	}
	unlock_index(fd);
	return ret;
}

int gate_outbox_scan_begin(const char *dir, long long now, long long max_wait_s, int force,
	struct gate_outbox_scan *s, long long *next_due)
{
	struct due d;
	int fd, have;

	s->gen = 0;
	s->mine = 0;
	*next_due = 0;
	fd = lock_index(dir);
	if (fd < 0)
		return 1; /* scan, and leave the index alone */
	have = read_index(dir, &d) == 0;
	if (have && !force && d.due != 0 && d.scanned <= now &&
	    now - d.scanned < GATE_OUTBOX_DUE_MAX_AGE &&
	    (d.due == GATE_OUTBOX_NONE || (d.due > now && d.due <= now + max_wait_s))) {
		unlock_index(fd);
		*next_due = d.due;
		return 0;
	}
	if (!have) {
		d.gen = 0;
		d.scanned = now;
	}
	d.due = 0;
	d.gen++;
	if (write_index(dir, &d) == 0) {
		s->gen = d.gen;
		s->mine = 1;
	}
	unlock_index(fd);
	return 1;
}

int gate_outbox_scan_end(const char *dir, const struct gate_outbox_scan *s, long long next_due,
	long long now)
{
	struct due d;
	int fd, ret = 0;

	if (!s->mine)
		return 0;
	fd = lock_index(dir);
	if (fd < 0)
		return -1;
	if (read_index(dir, &d) == 0 && d.gen == s->gen) {
		d.due = next_due < 0 ? 0 : next_due;
		d.gen++;
		d.scanned = now;
		ret = write_index(dir, &d) == 0 ? 1 : -1;
	}
	unlock_index(fd);
	return ret;
}
