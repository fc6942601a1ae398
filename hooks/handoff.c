#include "gate/handoff.h"

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

char *gate_handoff_path(const char *git_dir, const char *ref, const char *old_hex,
	const char *new_hex)
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX];

	gate_sha256_init(&h);
	gate_sha256_update_str(&h, ref);
	gate_sha256_update_str(&h, old_hex);
	gate_sha256_update(&h, new_hex, strlen(new_hex));
	gate_sha256_final(&h, hex);
	return gate_xasprintf("%s/%s/%s.json", git_dir, GATE_HANDOFF_DIR, hex);
}

json_t *gate_handoff_json(const struct gate_judged_ref *r, const struct gate_handoff_meta *m)
{
	json_t *o = json_object(), *commits = json_array(), *sup = json_array();
	char when[32];
	struct tm tm;
	size_t c, f, i, k;

	json_object_set_new(o, "ref", json_string(r->update.ref));
	json_object_set_new(o, "old", json_string(r->update.old_hex));
	json_object_set_new(o, "new", json_string(r->update.new_hex));
	json_object_set_new(o, "accepted", json_true());
	json_object_set_new(o, "gated", json_boolean(r->gated));
	for (c = 0; c < r->ncommits; c++) {
		const struct gate_judged_commit *cm = &r->commits[c];
		if (!cm->tip_check) {
			json_t *co = json_object();
			json_object_set_new(co, "id", json_string(cm->hex));
			json_object_set_new(co, "problems", json_integer((json_int_t)cm->nproblems));
			json_object_set_new(co, "warnings", json_integer((json_int_t)cm->nwarnings));
			json_array_append_new(commits, co);
		}
		for (f = 0; f < cm->nfiles; f++) {
			const struct gate_judged_file *fl = &cm->files[f];
			for (i = 0; i < fl->results.n; i++) {
				const struct gate_result *res = &fl->results.v[i];
				for (k = 0; k < res->nproblems; k++) {
					const struct gate_problem *p = &res->problems[k];
					json_t *so;
					if (!p->suppressed)
						continue;
					so = json_object();
					json_object_set_new(so, "commit", json_string(cm->hex));
					json_object_set_new(so, "path", json_string(fl->path));
					json_object_set_new(so, "line", json_integer(p->line ? p->line : res->line));
					json_object_set_new(so, "rule", p->rule ? json_string(p->rule) : json_null());
					json_object_set_new(so, "reason", json_string(p->suppressed));
					json_array_append_new(sup, so);
				}
			}
		}
	}
	json_object_set_new(o, "commits", commits);
	json_object_set_new(o, "problems", json_integer((json_int_t)r->nproblems));
	json_object_set_new(o, "warnings", json_integer((json_int_t)r->nwarnings));
	json_object_set_new(o, "suppressions", sup);
	json_object_set_new(o, "fingerprint", json_string(m->fingerprint ? m->fingerprint : ""));
	json_object_set_new(o, "bypass", m->bypass ? json_string(m->bypass) : json_null());
	json_object_set_new(o, "pusher", json_string(m->pusher ? m->pusher : ""));
	gmtime_r(&m->time, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, "time", json_string(when));
	return o;
}

#define SUM_HEAD "{\"sum\":\""
#define SUM_HEAD_LEN (sizeof(SUM_HEAD) - 1)
#define SUM_LEN (SUM_HEAD_LEN + GATE_SHA256_HEX - 1 + 2) /* head, hex, "\"," */

int gate_handoff_write(const char *git_dir, const struct gate_judged_ref *r,
	const struct gate_handoff_meta *m, char *msg, size_t msgsize)
{
	char sum[GATE_SHA256_HEX];
	char *dir = gate_xasprintf("%s/%s", git_dir, GATE_HANDOFF_DIR), *path = NULL, *text = NULL;
	char *signed_text = NULL;
	json_t *o = NULL;
	int ret = -1;

	if (gate_mkdir_p(dir, 0777) < 0) {
		snprintf(msg, msgsize, "cannot create %s: %s", dir, strerror(errno));
		goto done;
	}
	o = gate_handoff_json(r, m);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		snprintf(msg, msgsize, "cannot serialise the hand-over");
		goto done;
	}
	/* the sum of the text, as a first member: {"sum":"<hex>",<the rest>} */
	gate_sha256_hex(text, strlen(text), sum);
	signed_text = gate_xasprintf("%s%s\",%s", SUM_HEAD, sum, text + 1);
	path = gate_handoff_path(git_dir, r->update.ref, r->update.old_hex, r->update.new_hex);
	if (gate_write_file_replace(path, signed_text, strlen(signed_text), 0666, 0) < 0) {
		snprintf(msg, msgsize, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	ret = 0;
done:
	json_decref(o);
	free(signed_text);
	free(text);
	free(path);
	free(dir);
	return ret;
}

int gate_handoff_read(json_t **out, const char *git_dir, const char *ref,
	const char *old_hex, const char *new_hex, char *msg, size_t msgsize)
{
	char *path = gate_handoff_path(git_dir, ref, old_hex, new_hex), *buf = NULL;
	json_error_t jerr;
	size_t len;
	int ret = -1;

	*out = NULL;
	if (gate_read_file(path, 16u << 20, &buf, &len) < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			snprintf(msg, msgsize, "cannot read %s: %s", path, strerror(errno));
		goto done;
	}
	/* a text without its sum, or with another, is torn or corrupt (no fsync was paid for it) */
	if (len > SUM_LEN && !memcmp(buf, SUM_HEAD, SUM_HEAD_LEN)) {
		char sum[GATE_SHA256_HEX];
		struct gate_sha256 h;
		gate_sha256_init(&h);
		gate_sha256_update(&h, "{", 1);
		gate_sha256_update(&h, buf + SUM_LEN, len - SUM_LEN);
		gate_sha256_final(&h, sum);
		if (memcmp(buf + SUM_HEAD_LEN, sum, GATE_SHA256_HEX - 1) ||
		    memcmp(buf + SUM_HEAD_LEN + GATE_SHA256_HEX - 1, "\",", 2)) {
			snprintf(msg, msgsize, "%s: torn or corrupt hand-over (its sum does not match)", path);
			goto done;
		}
	} else {
		snprintf(msg, msgsize, "%s: torn or corrupt hand-over (no sum)", path);
		goto done;
	}
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out || !json_is_object(*out) ||
	    !json_is_string(json_object_get(*out, "ref")) ||
	    strcmp(json_string_value(json_object_get(*out, "ref")), ref)) {
		snprintf(msg, msgsize, "%s: not a valid hand-over", path);
		json_decref(*out);
		*out = NULL;
		goto done;
	}
	ret = 1;
done:
	free(buf);
	free(path);
	return ret;
}

int gate_handoff_remove(const char *git_dir, const char *ref, const char *old_hex,
	const char *new_hex)
{
	char *path = gate_handoff_path(git_dir, ref, old_hex, new_hex);
	int ret = unlink(path) < 0 && errno != ENOENT ? -1 : 0;

	free(path);
	return ret;
}

int gate_handoff_prune(const char *git_dir, time_t now, long max_age)
{
	char *dir = gate_xasprintf("%s/%s", git_dir, GATE_HANDOFF_DIR);
	DIR *d = opendir(dir);
	struct dirent *de;
	int removed = 0;

	if (!d) {
		int ret = errno == ENOENT ? 0 : -1;
		free(dir);
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.' && (!de->d_name[1] ||
		    (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		p = gate_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < now - (time_t)max_age && unlink(p) == 0)
			removed++;
		free(p);
	}
	closedir(d);
	free(dir);
	return removed;
}
