/*
 * outbox_body: one body per push, not per receiver.  The part of a body that
 * every delivery of a push shares (all but its "gitops_gate" object, which
 * names the cluster and the delivery id) is written once to
 * <dir>/bodies/<sha256 of it>, before any delivery file naming it; each
 * delivery keeps only its own tail.  The sender checks the digest when it
 * reads a body.  Bodies no delivery names any more are removed by a drain
 * that has seen every queued delivery, once they are older than a grace
 * period (a body just written may belong to a delivery being queued now).
 */
#include "gate/outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/hash.h"
#include "gate/util.h"

static int valid_sha(const char *s)
{
	size_t i;

	for (i = 0; i < GATE_SHA256_HEX - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

int gate_outbox_body_valid_sha(const char *s)
{
	return s && strlen(s) == GATE_SHA256_HEX - 1 && valid_sha(s);
}

int gate_outbox_body_write(const char *dir, const char *data, size_t len,
	char sha[GATE_SHA256_HEX])
{
	char *bodies = gate_xasprintf("%s/bodies", dir), *path;
	int ret;

	gate_sha256_hex(data, len, sha);
	if (gate_mkdir_p(bodies, 0755) < 0) {
		free(bodies);
		return -1;
	}
	/*
	 * Written again even when present: the same content, and a fresh mtime
	 * keeps a drain's clean-up away from a body a new delivery is about to name.
	 */
	path = gate_xasprintf("%s/%s", bodies, sha);
	ret = gate_write_file_atomic(path, data, len, 0600);
	free(path);
	free(bodies);
	return ret;
}

int gate_outbox_body_load(const char *dir, struct gate_delivery *d, char *err, size_t errlen)
{
	char *path, *text = NULL, *body, got[GATE_SHA256_HEX];
	size_t len;

	if (!d->body_sha[0] || d->body_shared)
		return 0; /* inline, or already whole */
	path = gate_xasprintf("%s/bodies/%s", dir, d->body_sha);
	if (gate_read_file(path, GATE_OUTBOX_MAX_FILE, &text, &len) < 0) {
		snprintf(err, errlen, "delivery %s: cannot read its body bodies/%s: %s", d->id,
			d->body_sha, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	gate_sha256_hex(text, len, got);
	if (strcmp(got, d->body_sha) || len == 0) {
		snprintf(err, errlen, "delivery %s: its body bodies/%s does not have that digest",
			d->id, d->body_sha);
		free(text);
		return -1;
	}
	body = gate_xmalloc(len + d->body_len + 1);
	memcpy(body, text, len);
	if (d->body_len)
		memcpy(body + len, d->body, d->body_len);
	body[len + d->body_len] = '\0';
	free(text);
	free(d->body);
	d->body = body;
	d->body_len += len;
	d->body_shared = len;
	return 0;
}

int gate_outbox_body_inline(const char *dir, struct gate_delivery *d)
{
	char err[256];

	if (d->body_sha[0] && gate_outbox_body_load(dir, d, err, sizeof(err)) < 0)
		return -1; /* keeps naming the body */
	d->body_sha[0] = '\0';
	d->body_shared = 0;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t gate_outbox_bodies_gc(const char *dir, char **keep, size_t nkeep, long long now,
	long long grace_s)
{
	char *bodies = gate_xasprintf("%s/bodies", dir);
	struct dirent *de;
	size_t removed = 0;
	DIR *dh;

	if (nkeep)
		qsort(keep, nkeep, sizeof(*keep), cmp_str);
	dh = opendir(bodies);
	while (dh && (de = readdir(dh))) {
		const char *name = de->d_name, *key = name;
		struct stat st;
		char *path;

		if (!gate_outbox_body_valid_sha(name) && !strstr(name, ".tmp."))
			continue;
		if (nkeep && gate_outbox_body_valid_sha(name) &&
		    bsearch(&key, keep, nkeep, sizeof(*keep), cmp_str))
			continue;
		path = gate_xasprintf("%s/%s", bodies, name);
		/* older than the grace, by the clock that wrote it: never one being queued now */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (long long)st.st_mtime <= now &&
		    now - (long long)st.st_mtime >= grace_s && unlink(path) == 0)
			removed++;
		free(path);
	}
	if (dh)
		closedir(dh);
	free(bodies);
	return removed;
}
