/*
 * record_lock: the gate lock, one flock on $GIT_DIR/gitops-gate/lock taken
 * by every writer of gate state (gate_record_apply, gate_record_reconcile,
 * and through them post-receive, reconcile, rollback, rollforward).  The
 * kernel releases a flock when its process dies, so a crash never leaves it
 * held.  While it is held, no other gate process can be writing the gate's
 * refs: a libgit2 ".lock" file of an accepted ref, of the notes ref or of the
 * gate log ref is the leftover of a killed process and is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/record.h"
#include "gate/util.h"
#include "record_int.h"

/* Remove every "*.lock" file under dir (depth-bounded: ref names nest little). */
static void unlink_locks(const char *dir, int depth)
{
	DIR *dh = opendir(dir);
	struct dirent *de;

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char *path;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = gate_xasprintf("%s/%s", dir, de->d_name);
		if (len > 5 && !strcmp(de->d_name + len - 5, ".lock"))
			unlink(path);
		else if ((de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) && depth < 32)
			unlink_locks(path, depth + 1);
		free(path);
	}
	closedir(dh);
}

/* Remove the ".lock" files of the gate's refs (loose refs only: packed-refs is git's). */
static void remove_stale_locks(struct gate_record *r)
{
	char *dir = gate_xasprintf("%s/%s", r->git_dir, r->prefix);
	char *notes = gate_xasprintf("%s/%s.lock", r->git_dir, GATE_RECORD_NOTES_REF);
	char *log = gate_xasprintf("%s/%s.lock", r->git_dir, GATE_LOG_REF);
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = '\0';
	unlink_locks(dir, 0);
	unlink(notes);
	unlink(log);
	free(dir);
	free(notes);
	free(log);
}

int gate_record_lock(struct gate_record *r, char *msg, size_t msgsize)
{
	char *path;
	int fd;

	if (r->lock_depth > 0) {
		r->lock_depth++;
		return 0;
	}
	path = gate_xasprintf("%s/lock", r->state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || gate_flock_wait(fd, GATE_RECORD_LOCK_WAIT_MS) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == EWOULDBLOCK)
			gate_record_fail(msg, msgsize, "the gate lock %s is held by another gate process "
				"(waited %d ms)", path, GATE_RECORD_LOCK_WAIT_MS);
		else
			gate_record_fail(msg, msgsize, "cannot take the gate lock %s: %s", path, strerror(e));
		free(path);
		return -1;
	}
	free(path);
	r->lock_fd = fd;
	r->lock_depth = 1;
	remove_stale_locks(r);
	return 0;
}

void gate_record_unlock(struct gate_record *r)
{
	if (r->lock_depth == 0 || --r->lock_depth > 0)
		return;
	close(r->lock_fd);
	r->lock_fd = -1;
}
