#include "gate/outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/hash.h"
#include "gate/util.h"

void gate_delivery_release(struct gate_delivery *d)
{
	struct gate_delivery init = GATE_DELIVERY_INIT;

	if (!d)
		return;
	free(d->cluster);
	free(d->receiver_name);
	free(d->url);
	free(d->format);
	free(d->token_file);
	free(d->ca_bundle);
	free(d->signature);
	free(d->event);
	free(d->ref);
	free(d->accepted_ref);
	free(d->old);
	free(d->new_);
	free(d->body);
	free(d->last_error);
	*d = init;
}

int gate_outbox_new_id(char id[GATE_OUTBOX_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[GATE_OUTBOX_ID_LEN / 2];
	size_t got = 0, i;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	for (i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[GATE_OUTBOX_ID_LEN] = '\0';
	return 0;
}

int gate_outbox_valid_id(const char *s)
{
	size_t i;

	for (i = 0; i < GATE_OUTBOX_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

static char *delivery_to_json(const struct gate_delivery *d);

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/*
 * The file text of d; with sha set (the digest of its first shared bytes,
 * stored in bodies/), the body is written as that digest and the rest.
 */
static char *delivery_to_json_as(const struct gate_delivery *d, const char *sha, size_t shared)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "cluster", str_or_null(d->cluster));
	json_object_set_new(o, "receiver", d->receiver_name ?
		json_pack("{s:s}", "name", d->receiver_name) :
		json_pack("{s:o,s:o}", "format", str_or_null(d->format), "url", str_or_null(d->url)));
	json_object_set_new(o, "url", str_or_null(d->url));
	json_object_set_new(o, "format", str_or_null(d->format));
	json_object_set_new(o, "token_file", str_or_null(d->token_file));
	json_object_set_new(o, "ca_bundle", str_or_null(d->ca_bundle));
	if (d->signature)
		json_object_set_new(o, "signature", json_string(d->signature));
	json_object_set_new(o, "event", str_or_null(d->event));
	json_object_set_new(o, "ref", str_or_null(d->ref));
	json_object_set_new(o, "accepted_ref", str_or_null(d->accepted_ref));
	json_object_set_new(o, "old", str_or_null(d->old));
	json_object_set_new(o, "new", str_or_null(d->new_));
	if (sha && sha[0]) {
		size_t skip = shared <= d->body_len ? shared : d->body_len;
		json_object_set_new(o, "body_shared", json_string(sha));
		json_object_set_new(o, "body_tail", json_stringn(d->body ? d->body + skip : "",
			d->body_len - skip));
	} else {
		json_object_set_new(o, "body", json_stringn(d->body ? d->body : "", d->body_len));
	}
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	json_object_set_new(o, "next_attempt_time", json_integer(d->next_attempt_time));
	json_object_set_new(o, "created", json_integer(d->created));
	json_object_set_new(o, "last_error", str_or_null(d->last_error));
	text = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	return text;
}

int gate_outbox_put(const char *dir, const struct gate_delivery *d)
{
	char *text, *path;
	int ret;

	if (!gate_outbox_valid_id(d->id)) {
		errno = EINVAL;
		return -1;
	}
	if (gate_mkdir_p(dir, 0755) < 0)
		return -1;
	text = delivery_to_json(d);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	path = gate_xasprintf("%s/%s.json", dir, d->id);
	ret = gate_write_file_atomic(path, text, strlen(text), 0600);
	free(path);
	free(text);
	return ret;
}

/* Write len bytes of data to a new file path (no fsync).  0 or -1 (errno). */
static int write_new(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), saved;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		data += w;
		len -= (size_t)w;
	}
	return close(fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static char *delivery_to_json(const struct gate_delivery *d)
{
	return delivery_to_json_as(d, d->body_sha, d->body_shared);
}

static int write_many(const char *dir, const struct gate_delivery *d, size_t n, int lower)
{
	char **tmp, (*shas)[GATE_SHA256_HEX];
	size_t i, made = 0;
	int ret = -1, saved = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!gate_outbox_valid_id(d[i].id)) {
			errno = EINVAL;
			return -1;
		}
	if (gate_mkdir_p(dir, 0755) < 0)
		return -1;
	if (lower) {
		long long first = d[0].next_attempt_time;
		for (i = 1; i < n; i++)
			if (d[i].next_attempt_time < first)
				first = d[i].next_attempt_time;
		/* before any file: a crash leaves the index early, never late */
		if (gate_outbox_due_lower(dir, first) < 0)
			return -1;
	}
	tmp = gate_xcalloc(n, sizeof(*tmp));
	shas = gate_xcalloc(n, sizeof(*shas));
	/* shared bodies, each once, on disk before any delivery names it */
	for (i = 0; lower && i < n; i++) {
		size_t j;
		if (!d[i].body_shared || d[i].body_shared >= d[i].body_len)
			continue;
		for (j = 0; j < i; j++)
			if (d[j].body_shared == d[i].body_shared && shas[j][0] &&
			    !memcmp(d[j].body, d[i].body, d[i].body_shared))
				break;
		if (j < i) {
			memcpy(shas[i], shas[j], sizeof(shas[i]));
			continue;
		}
		if (gate_outbox_body_write(dir, d[i].body, d[i].body_shared, shas[i]) < 0)
			goto done;
	}
	/* all the bytes first, then one fsync each (the kernel writes them together) */
	for (i = 0; i < n; i++, made++) {
		char *text = lower ? delivery_to_json_as(&d[i], shas[i], d[i].body_shared) :
			delivery_to_json(&d[i]);
		int r;
		tmp[i] = gate_xasprintf("%s/%s.json.tmp.%ld", dir, d[i].id, (long)getpid());
		if (!text) {
			errno = ENOMEM;
			goto done;
		}
		r = write_new(tmp[i], text, strlen(text));
		free(text);
		if (r < 0)
			goto done;
	}
	for (i = 0; i < n; i++)
		if (fsync_path(tmp[i], O_RDONLY) < 0)
			goto done;
	for (i = 0; i < n; i++) {
		char *path = gate_xasprintf("%s/%s.json", dir, d[i].id);
		int r = rename(tmp[i], path);
		free(path);
		if (r < 0)
			goto done;
		free(tmp[i]);
		tmp[i] = NULL;
	}
	ret = fsync_path(dir, O_RDONLY | O_DIRECTORY);
done:
	saved = errno;
	for (i = 0; i < made; i++)
		if (tmp[i]) {
			unlink(tmp[i]);
			free(tmp[i]);
		}
	free(tmp);
	free(shas);
	errno = saved;
	return ret;
}

int gate_outbox_put_many(const char *dir, const struct gate_delivery *d, size_t n)
{
	return write_many(dir, d, n, 1);
}

int gate_outbox_rewrite_many(const char *dir, const struct gate_delivery *d, size_t n)
{
	return write_many(dir, d, n, 0);
}

static int get_opt_str(const json_t *o, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = gate_xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

int gate_delivery_from_json(struct gate_delivery *d, const char *text, size_t len,
	char *err, size_t errlen)
{
	struct gate_delivery init = GATE_DELIVERY_INIT;
	json_error_t jerr;
	json_t *o, *v;
	const char *id;

	*d = init;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a delivery record: %s", o ? "not an object" : jerr.text);
		json_decref(o);
		return -1;
	}
	id = json_string_value(json_object_get(o, "id"));
	if (!id || !gate_outbox_valid_id(id)) {
		snprintf(err, errlen, "delivery record without a valid id");
		goto fail;
	}
	memcpy(d->id, id, sizeof(d->id));
	if (get_opt_str(o, "cluster", &d->cluster) < 0 || get_opt_str(o, "url", &d->url) < 0 ||
	    get_opt_str(o, "format", &d->format) < 0 ||
	    get_opt_str(o, "token_file", &d->token_file) < 0 ||
	    get_opt_str(o, "ca_bundle", &d->ca_bundle) < 0 ||
	    get_opt_str(o, "signature", &d->signature) < 0 ||
	    get_opt_str(o, "event", &d->event) < 0 || get_opt_str(o, "ref", &d->ref) < 0 ||
	    get_opt_str(o, "accepted_ref", &d->accepted_ref) < 0 ||
	    get_opt_str(o, "old", &d->old) < 0 || get_opt_str(o, "new", &d->new_) < 0 ||
	    get_opt_str(o, "last_error", &d->last_error) < 0) {
		snprintf(err, errlen, "delivery %s: a field has the wrong type", d->id);
		goto fail;
	}
	v = json_object_get(o, "receiver");
	if (v && !json_is_object(v)) {
		snprintf(err, errlen, "delivery %s: receiver is not a mapping", d->id);
		goto fail;
	}
	if (v && get_opt_str(v, "name", &d->receiver_name) < 0) {
		snprintf(err, errlen, "delivery %s: receiver.name is not a string", d->id);
		goto fail;
	}
	/* without a name the receiver is the one of the file's format and URL (older files too) */
	v = json_object_get(o, "body");
	if (!v && json_object_get(o, "body_shared")) {
		/* a shared body: its digest here, the tail below; read whole when sent */
		const char *sha = json_string_value(json_object_get(o, "body_shared"));
		if (!gate_outbox_body_valid_sha(sha)) {
			snprintf(err, errlen, "delivery %s: body_shared is not a SHA-256", d->id);
			goto fail;
		}
		memcpy(d->body_sha, sha, sizeof(d->body_sha));
		v = json_object_get(o, "body_tail");
	}
	if (!json_is_string(v) || !d->url || !d->format) {
		snprintf(err, errlen, "delivery %s: url, format or body missing", d->id);
		goto fail;
	}
	d->body = gate_xstrndup(json_string_value(v), json_string_length(v));
	d->body_len = json_string_length(v);
	v = json_object_get(o, "attempts");
	d->attempts = json_is_integer(v) && json_integer_value(v) >= 0 ?
		(unsigned)json_integer_value(v) : 0;
	d->next_attempt_time = json_integer_value(json_object_get(o, "next_attempt_time"));
	d->created = json_integer_value(json_object_get(o, "created"));
	json_decref(o);
	return 0;
fail:
	json_decref(o);
	gate_delivery_release(d);
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gate_outbox_list(const char *dir, size_t max, char ***ids, size_t *n)
{
	DIR *dh;
	struct dirent *de;
	size_t alloc = 0;

	*ids = NULL;
	*n = 0;
	dh = opendir(dir);
	if (!dh)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dh)) && *n < max) {
		size_t len = strlen(de->d_name);
		char id[GATE_OUTBOX_ID_LEN + 1];

		if (len != GATE_OUTBOX_ID_LEN + 5 || strcmp(de->d_name + GATE_OUTBOX_ID_LEN, ".json"))
			continue;
		memcpy(id, de->d_name, GATE_OUTBOX_ID_LEN);
		id[GATE_OUTBOX_ID_LEN] = '\0';
		if (!gate_outbox_valid_id(id))
			continue;
		GATE_ALLOC_GROW(*ids, *n + 1, alloc);
		(*ids)[(*n)++] = gate_xstrdup(id);
	}
	closedir(dh);
	if (*n)
		qsort(*ids, *n, sizeof(**ids), cmp_str);
	return 0;
}

static int read_fd(int fd, char **out, size_t *len)
{
	struct stat st;
	size_t n = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -1;
	if ((size_t)st.st_size > GATE_OUTBOX_MAX_FILE) {
		errno = EFBIG;
		return -1;
	}
	buf = gate_xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + n, (size_t)st.st_size - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			if (r == 0)
				errno = EIO;
			return -1;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Load delivery id from dir; its body whole with whole.  0 or -1 (errno). */
static int load(const char *dir, const char *id, struct gate_delivery *d, int whole)
{
	char *path = gate_xasprintf("%s/%s.json", dir, id);
	char *text = NULL, err[256];
	size_t len;
	int ret;

	ret = gate_read_file(path, GATE_OUTBOX_MAX_FILE, &text, &len);
	free(path);
	if (ret < 0)
		return -1;
	ret = gate_delivery_from_json(d, text, len, err, sizeof(err));
	free(text);
	if (ret == 0 && whole && gate_outbox_body_load(dir, d, err, sizeof(err)) < 0) {
		gate_delivery_release(d);
		ret = -1;
	}
	if (ret < 0)
		errno = EINVAL;
	return ret;
}

int gate_outbox_load(const char *dir, const char *id, struct gate_delivery *d)
{
	return load(dir, id, d, 1);
}

void gate_outbox_unclaim(struct gate_outbox_claim *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	c->fd = -1;
	c->path = NULL;
}

/* Move an unreadable delivery file to <dir>/dead/<id>.corrupt; err says where. */
static void quarantine(const char *dir, const char *id, const char *path, char *err,
	size_t errlen)
{
	char *deaddir = gate_xasprintf("%s/dead", dir);
	char *to = gate_xasprintf("%s/%s.corrupt", deaddir, id);
	size_t used = strnlen(err, errlen);

	if ((mkdir(deaddir, 0777) == 0 || errno == EEXIST) && rename(path, to) == 0) {
		fsync_path(dir, O_RDONLY | O_DIRECTORY);
		snprintf(err + used, errlen - used, "; moved to dead/%s.corrupt", id);
	} else {
		snprintf(err + used, errlen - used, "; and cannot move it to dead/: %s",
			strerror(errno));
	}
	free(to);
	free(deaddir);
}

int gate_outbox_claim(const char *dir, const char *id, struct gate_outbox_claim *c,
	struct gate_delivery *d, char *err, size_t errlen)
{
	struct stat a, b;
	char *text = NULL;
	size_t len;
	int fd;

	c->fd = -1;
	c->path = NULL;
	if (!gate_outbox_valid_id(id)) {
		snprintf(err, errlen, "invalid delivery id");
		return -1;
	}
	c->path = gate_xasprintf("%s/%s.json", dir, id);
	fd = open(c->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			goto busy;
		snprintf(err, errlen, "cannot open delivery %s: %s", id, strerror(errno));
		goto fail;
	}
	c->fd = fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			goto busy;
		snprintf(err, errlen, "cannot lock delivery %s: %s", id, strerror(errno));
		goto fail;
	}
	/* the path must still name the inode we locked: not sent, not rewritten */
	if (fstat(fd, &a) < 0 || stat(c->path, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		goto busy;
	if (read_fd(fd, &text, &len) < 0) {
		snprintf(err, errlen, "cannot read delivery %s: %s", id, strerror(errno));
		goto fail;
	}
	if (gate_delivery_from_json(d, text, len, err, errlen) < 0) {
		free(text);
		goto corrupt;
	}
	free(text);
	if (strcmp(d->id, id)) {
		snprintf(err, errlen, "delivery file %s holds id %s", id, d->id);
		gate_delivery_release(d);
		goto corrupt;
	}
	return 1;
corrupt:
	/*
	 * A record no drain can ever send (torn by a crash, edited by hand): keep
	 * its bytes in dead/ for a person and take it out of the outbox, so that
	 * every later drain does not stop on it again.  We hold its lock.
	 */
	quarantine(dir, id, c->path, err, errlen);
	goto fail;
busy:
	gate_outbox_unclaim(c);
	return 0;
fail:
	gate_outbox_unclaim(c);
	return -1;
}

int gate_outbox_claim_body(const char *dir, struct gate_outbox_claim *c, struct gate_delivery *d,
	char *err, size_t errlen)
{
	if (gate_outbox_body_load(dir, d, err, errlen) == 0)
		return 0;
	/* a body missing or altered: the delivery cannot be sent, ever; we hold its lock */
	quarantine(dir, d->id, c->path, err, errlen);
	return -1;
}

int gate_outbox_done(const struct gate_outbox_claim *c)
{
	return unlink(c->path);
}

int gate_outbox_failed(const char *dir, const struct gate_outbox_claim *c,
	struct gate_delivery *d, const char *error, long long now, long delay_ms,
	unsigned max_attempts, int *dead)
{
	char *deaddir;
	int ret;

	*dead = 0;
	d->attempts++;
	free(d->last_error);
	d->last_error = gate_xstrndup(error ? error : "failed", error ? strnlen(error, 1024) : 6);
	d->next_attempt_time = now + (delay_ms + 999) / 1000;
	if (max_attempts == 0 || d->attempts < max_attempts)
		return gate_outbox_put(dir, d);
	/*
	 * Dead: write the record into dead/ first, then remove the claimed file.
	 * Rewriting it in the outbox and renaming it after would leave a new,
	 * unlocked file that a concurrent drain could claim and send again.  A
	 * crash between the two leaves it in both places: sent once more at most.
	 */
	*dead = 1;
	gate_outbox_body_inline(dir, d); /* a dead letter holds its whole body */
	deaddir = gate_xasprintf("%s/dead", dir);
	ret = gate_outbox_put(deaddir, d);
	if (ret == 0)
		ret = unlink(c->path);
	free(deaddir);
	return ret;
}

int gate_outbox_bury(const char *dir, const struct gate_outbox_claim *c,
	struct gate_delivery *d, const char *reason)
{
	char *deaddir = gate_xasprintf("%s/dead", dir);
	int ret;

	free(d->last_error);
	d->last_error = gate_xstrndup(reason, strnlen(reason, 1024));
	gate_outbox_body_inline(dir, d); /* a dead letter holds its whole body */
	/* dead/ first, then out of the outbox: a crash between sends nothing twice */
	ret = gate_outbox_put(deaddir, d);
	if (ret == 0)
		ret = unlink(c->path);
	free(deaddir);
	return ret;
}

static void count(json_t *out, const char *cluster, const char *aref, const char *what)
{
	json_t *c = json_object_get(out, cluster), *refs, *r;

	if (!c) {
		c = json_pack("{s:i,s:i,s:{}}", "pending", 0, "dead", 0, "accepted_refs");
		json_object_set_new(out, cluster, c);
	}
	json_object_set_new(c, what, json_integer(json_integer_value(json_object_get(c, what)) + 1));
	refs = json_object_get(c, "accepted_refs");
	if (!aref)
		return;
	r = json_object_get(refs, aref);
	if (!r) {
		r = json_pack("{s:i,s:i}", "pending", 0, "dead", 0);
		json_object_set_new(refs, aref, r);
	}
	json_object_set_new(r, what, json_integer(json_integer_value(json_object_get(r, what)) + 1));
}

static int stats_dir(const char *dir, const char *what, json_t *out)
{
	char **ids = NULL;
	size_t n = 0, i;

	if (gate_outbox_list(dir, 1000000, &ids, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct gate_delivery d = GATE_DELIVERY_INIT;
		if (load(dir, ids[i], &d, 0) < 0) {
			if (errno != ENOENT)
				count(out, "?", NULL, what);
		} else {
			count(out, d.cluster ? d.cluster : "?", d.accepted_ref, what);
		}
		gate_delivery_release(&d);
		free(ids[i]);
	}
	free(ids);
	return 0;
}

int gate_outbox_stats(const char *dir, json_t **out)
{
	char *dead = gate_xasprintf("%s/dead", dir);
	int ret;

	*out = json_object();
	ret = stats_dir(dir, "pending", *out);
	if (ret == 0)
		ret = stats_dir(dead, "dead", *out);
	free(dead);
	if (ret < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return ret;
}
