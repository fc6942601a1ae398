#include "gate/verdicts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "gate/facts_index.h"
#include "gate/util.h"
#include "verdict_pack.h"

#define MAGIC "gitops-gate-verdict 1\n"
/* a flush of at least this many records writes them as one pack (verdict_pack.h) */
#define PACK_MIN 256
/* a pack written where this many are already takes them in */
#define PACK_MERGE 8

/* A deferred record: a copy of the results, made into a record when flushed. */
struct pending {
	char key[GATE_SHA256_HEX];
	struct gate_results rs;
	char *note;
};

struct gate_verdicts {
	char *dir;
	struct gate_verdicts_stats st;
	int defer;
	struct pending *pend;
	size_t npend, apend;
	int scanned;            /* names holds every record present at scan time */
	char **names;           /* sorted 64-hex keys */
	size_t nnames;
	unsigned char made[256]; /* subfolder known to exist */
	struct gate_facts_index *facts; /* opened on first use */
	struct gate_vpacks packs;        /* mapped on first use */
};

int gate_verdicts_open(struct gate_verdicts **out, const char *dir)
{
	struct gate_verdicts *vc = gate_xcalloc(1, sizeof(*vc));

	vc->dir = gate_xstrdup(dir);
	*out = vc;
	return 0;
}

void gate_verdicts_free(struct gate_verdicts *vc)
{
	size_t i;

	if (!vc)
		return;
	for (i = 0; i < vc->npend; i++) {
		gate_results_release(&vc->pend[i].rs);
		free(vc->pend[i].note);
	}
	free(vc->pend);
	for (i = 0; i < vc->nnames; i++)
		free(vc->names[i]);
	free(vc->names);
	gate_facts_index_free(vc->facts);
	gate_vpacks_release(&vc->packs);
	free(vc->dir);
	free(vc);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void gate_verdicts_scan(struct gate_verdicts *vc)
{
	size_t alloc = 0;
	int i;

	for (i = 0; i < 256; i++) {
		char *sub = gate_xasprintf("%s/%02x", vc->dir, i);
		DIR *d = opendir(sub);
		struct dirent *e;

		free(sub);
		if (!d)
			continue;
		vc->made[i] = 1;
		while ((e = readdir(d))) {
			if (strlen(e->d_name) != 62)
				continue;
			GATE_ALLOC_GROW(vc->names, vc->nnames + 1, alloc);
			vc->names[vc->nnames++] = gate_xasprintf("%02x%s", i, e->d_name);
		}
		closedir(d);
	}
	if (vc->nnames)
		qsort(vc->names, vc->nnames, sizeof(*vc->names), cmp_name);
	vc->scanned = 1;
	/* the packs too: gets may then run from several threads */
	gate_vpacks_load(&vc->packs, vc->dir);
}

static int known(const struct gate_verdicts *vc, const char *key)
{
	const char *k = key;

	if (!vc->scanned)
		return 1;
	return vc->nnames && bsearch(&k, vc->names, vc->nnames, sizeof(*vc->names), cmp_name) != NULL;
}

void gate_verdicts_defer(struct gate_verdicts *vc, int defer)
{
	vc->defer = defer;
}

size_t gate_verdicts_pending(const struct gate_verdicts *vc)
{
	return vc->npend + gate_facts_index_pending(vc->facts);
}

const struct gate_facts_index *gate_verdicts_facts_loaded(const struct gate_verdicts *vc)
{
	return vc->facts;
}

struct gate_facts_index *gate_verdicts_facts(struct gate_verdicts *vc, const char *stamp)
{
	if (!vc->facts)
		gate_facts_index_open(&vc->facts, vc->dir, stamp);
	return vc->facts;
}

void gate_verdicts_key(char key[GATE_SHA256_HEX], const char *blob_hex,
	const char *fingerprint, int group)
{
	struct gate_sha256 h;
	char g[24];

	snprintf(g, sizeof(g), "%d", group);
	gate_sha256_init(&h);
	gate_sha256_update_str(&h, "gitops-gate verdict key 1");
	gate_sha256_update_str(&h, blob_hex);
	gate_sha256_update_str(&h, fingerprint);
	gate_sha256_update_str(&h, g);
	gate_sha256_final(&h, key);
}

/*
 * Write a record: temp file in the same folder, then rename.  No fsync: a
 * record torn by a crash fails its sum and is a miss, so durability buys
 * nothing here, and fsync per record would cost more than judging.
 */
static int write_record(const char *path, const char *data, size_t len)
{
	return gate_write_file_replace(path, data, len, 0666, 0);
}

static char *record_path(const char *dir, const char *key)
{
	return gate_xasprintf("%s/%.2s/%s", dir, key, key + 2);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *result_to_json(const struct gate_result *r)
{
	json_t *o = json_object(), *probs = json_array();
	size_t i;

	json_object_set_new(o, "line", json_integer(r->line));
	json_object_set_new(o, "apiVersion", str_or_null(r->api_version));
	json_object_set_new(o, "kind", str_or_null(r->kind));
	json_object_set_new(o, "name", str_or_null(r->name));
	json_object_set_new(o, "namespace", str_or_null(r->namespace_));
	json_object_set_new(o, "status", json_integer((int)r->status));
	json_object_set_new(o, "msg", str_or_null(r->msg));
	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		json_t *po = json_object();
		json_object_set_new(po, "pointer", str_or_null(p->pointer));
		json_object_set_new(po, "line", json_integer(p->line));
		json_object_set_new(po, "col", json_integer(p->col));
		json_object_set_new(po, "rule", str_or_null(p->rule));
		json_object_set_new(po, "severity", json_integer((int)p->severity));
		json_object_set_new(po, "message", str_or_null(p->message));
		json_object_set_new(po, "suppressed", str_or_null(p->suppressed));
		json_array_append_new(probs, po);
	}
	json_object_set_new(o, "problems", probs);
	return o;
}

static char *dup_str(const json_t *o, const char *key)
{
	return gate_xstrdup(json_string_value(json_object_get(o, key)));
}

static uint32_t get_u32(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));
	return v < 0 || v > (json_int_t)UINT32_MAX ? 0 : (uint32_t)v;
}

/* Append the results in body to out; returns 0 or -1 on a malformed body. */
static int results_from_json(const json_t *arr, const char *filename, struct gate_results *out)
{
	struct gate_results tmp = GATE_RESULTS_INIT;
	size_t i, j;

	if (!json_is_array(arr))
		return -1;
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i), *probs;
		struct gate_result *r;
		json_int_t status;

		if (!json_is_object(o))
			goto bad;
		probs = json_object_get(o, "problems");
		status = json_integer_value(json_object_get(o, "status"));
		if (!json_is_array(probs) || status < GATE_STATUS_VALID || status > GATE_STATUS_EMPTY)
			goto bad;
		r = gate_results_add(&tmp);
		r->filename = gate_xstrdup(filename);
		r->line = get_u32(o, "line");
		r->api_version = dup_str(o, "apiVersion");
		r->kind = dup_str(o, "kind");
		r->name = dup_str(o, "name");
		r->namespace_ = dup_str(o, "namespace");
		r->status = (enum gate_status)status;
		r->msg = dup_str(o, "msg");
		for (j = 0; j < json_array_size(probs); j++) {
			const json_t *po = json_array_get(probs, j);
			struct gate_problem *p;
			json_int_t sev = json_integer_value(json_object_get(po, "severity"));

			if (!json_is_object(po) || sev < GATE_SEV_DENY || sev > GATE_SEV_WARN)
				goto bad;
			p = gate_result_add_problem(r, json_string_value(json_object_get(po, "pointer")),
				get_u32(po, "line"), get_u32(po, "col"),
				json_string_value(json_object_get(po, "rule")),
				(enum gate_severity)sev,
				json_string_value(json_object_get(po, "message")));
			p->suppressed = dup_str(po, "suppressed");
		}
	}
	gate_results_move(out, &tmp);
	return 0;
bad:
	gate_results_release(&tmp);
	return -1;
}

/*
 * Parse a record: check magic, key and sum.  On success returns 0 and sets
 * *body (new reference).  expect_key may be NULL (then *key_out gets it).
 */
static int parse_record(const char *buf, size_t len, const char *expect_key, json_t **body)
{
	const char *p = buf, *end = buf + len;
	char sum[GATE_SHA256_HEX];
	json_error_t jerr;
	size_t ml = sizeof(MAGIC) - 1;

	*body = NULL;
	if (len < ml || memcmp(p, MAGIC, ml))
		return -1;
	p += ml;
	if (end - p < 4 + 64 + 1 || memcmp(p, "key ", 4) || p[68] != '\n')
		return -1;
	if (expect_key && memcmp(p + 4, expect_key, 64))
		return -1;
	p += 69;
	if (end - p < 4 + 64 + 2 || memcmp(p, "sum ", 4) || p[68] != '\n' || p[69] != '\n')
		return -1;
	gate_sha256_hex(p + 70, (size_t)(end - (p + 70)), sum);
	if (memcmp(sum, p + 4, 64))
		return -1;
	p += 70;
	*body = json_loadb(p, (size_t)(end - p), JSON_REJECT_DUPLICATES, &jerr);
	return *body ? 0 : -1;
}

/* The results of a body (an array, or an object with "results" and maybe "note"); borrowed. */
static const json_t *body_results(const json_t *body, const char **note)
{
	const json_t *n;

	if (note)
		*note = NULL;
	if (json_is_array(body))
		return body;
	if (!json_is_object(body) || !json_is_array(json_object_get(body, "results")))
		return NULL;
	n = json_object_get(body, "note");
	if (n && !json_is_string(n))
		return NULL;
	if (note && n)
		*note = json_string_value(n);
	return json_object_get(body, "results");
}

int gate_verdicts_get(struct gate_verdicts *vc, const char *key, const char *filename,
	struct gate_results *out)
{
	return gate_verdicts_get_note(vc, key, filename, out, NULL);
}

int gate_verdicts_get_note(struct gate_verdicts *vc, const char *key, const char *filename,
	struct gate_results *out, char **note)
{
	char *path = record_path(vc->dir, key), *buf = NULL;
	const char *n = NULL;
	json_t *body = NULL;
	size_t len;
	int ret = 0;

	if (note)
		*note = NULL;

	gate_vpacks_load(&vc->packs, vc->dir);
	{
		const char *rec;
		size_t rlen;
		if (gate_vpacks_find(&vc->packs, key, &rec, &rlen)) {
			if (parse_record(rec, rlen, key, &body) == 0 &&
			    results_from_json(body_results(body, &n), filename, out) == 0)
				goto hit;
			/* a bad record in a pack: a miss, unless a record file has it */
			__atomic_fetch_add(&vc->st.corrupt, 1, __ATOMIC_RELAXED);
			json_decref(body);
			body = NULL;
		}
	}
	if (!known(vc, key)) {
		__atomic_fetch_add(&vc->st.misses, 1, __ATOMIC_RELAXED);
		goto done;
	}
	if (gate_read_file(path, GATE_VERDICT_MAX_BYTES + 4096, &buf, &len) < 0) {
		if (errno == ENOENT)
			__atomic_fetch_add(&vc->st.misses, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&vc->st.corrupt, 1, __ATOMIC_RELAXED);
		goto done;
	}
	if (parse_record(buf, len, key, &body) < 0 ||
	    results_from_json(body_results(body, &n), filename, out) < 0) {
		__atomic_fetch_add(&vc->st.corrupt, 1, __ATOMIC_RELAXED);
		goto done;
	}
hit:
	if (note && n)
		*note = gate_xstrdup(n);
	__atomic_fetch_add(&vc->st.hits, 1, __ATOMIC_RELAXED);
	ret = 1;
done:
	json_decref(body);
	free(buf);
	free(path);
	return ret;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int store(struct gate_verdicts *vc, const char *key, const char *rec, size_t len)
{
	int idx = hexval(key[0]) * 16 + hexval(key[1]);
	char *path;
	int ret = -1;

	if (!vc->made[idx]) {
		char *sub = gate_xasprintf("%s/%.2s", vc->dir, key);
		int r = gate_mkdir_p(sub, 0777);
		free(sub);
		if (r < 0)
			return -1;
		vc->made[idx] = 1;
	}
	path = record_path(vc->dir, key);
	ret = write_record(path, rec, len);
	free(path);
	return ret;
}

/*
 * The record of results rs[0..n) (and note, when not NULL) under key into a
 * new buffer; -1 when too large.  A note that is no valid UTF-8 is left out.
 */
static int make_record(const char *key, const struct gate_result *rs, size_t n,
	const char *note, struct gate_buf *rec)
{
	json_t *arr = json_array(), *top = arr, *js = note && *note ? json_string(note) : NULL;
	char sum[GATE_SHA256_HEX];
	char *body;
	size_t i;
	int ret = -1;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, result_to_json(&rs[i]));
	if (js) {
		top = json_object();
		json_object_set_new(top, "results", arr);
		json_object_set_new(top, "note", js);
	}
	body = json_dumps(top, JSON_COMPACT);
	if (body && strlen(body) <= GATE_VERDICT_MAX_BYTES) {
		gate_sha256_hex(body, strlen(body), sum);
		gate_buf_addf(rec, "%skey %s\nsum %s\n\n%s", MAGIC, key, sum, body);
		ret = 0;
	}
	json_decref(top);
	free(body);
	return ret;
}

static int make_and_store(struct gate_verdicts *vc, const char *key,
	const struct gate_result *rs, size_t n, const char *note)
{
	struct gate_buf rec = GATE_BUF_INIT;
	int ret = make_record(key, rs, n, note, &rec);

	if (ret == 0)
		ret = store(vc, key, rec.ptr, rec.len);
	if (ret == 0)
		vc->st.written++;
	else
		vc->st.write_failures++;
	gate_buf_release(&rec);
	return ret;
}

/*
 * The pending records as one pack (with those of the packs present when
 * there are PACK_MERGE of them, which are removed then).  Returns 0, or -1
 * when nothing was written (the records are still pending).
 */
static int flush_pack(struct gate_verdicts *vc)
{
	struct gate_vpack_rec *recs = gate_xcalloc(vc->npend, sizeof(*recs));
	size_t i, n = 0, alloc = vc->npend, fresh;
	int merge, ret;

	for (i = 0; i < vc->npend; i++) {
		if (make_record(vc->pend[i].key, vc->pend[i].rs.v, vc->pend[i].rs.n, vc->pend[i].note,
				&recs[n].rec) < 0) {
			vc->st.write_failures++;
			gate_buf_release(&recs[n].rec);
			continue;
		}
		memcpy(recs[n].key, vc->pend[i].key, GATE_SHA256_HEX);
		n++;
	}
	fresh = n;
	gate_vpacks_load(&vc->packs, vc->dir);
	merge = vc->packs.n >= PACK_MERGE;
	if (merge)
		gate_vpacks_take_all(&vc->packs, &recs, &n, &alloc);
	ret = gate_mkdir_p(vc->dir, 0777) == 0 ? gate_vpack_write(vc->dir, recs, n) : -1;
	if (ret == 0) {
		vc->st.written += fresh;
		if (merge)
			gate_vpacks_remove(&vc->packs);
	}
	for (i = 0; i < n; i++)
		gate_buf_release(&recs[i].rec);
	free(recs);
	return ret;
}

size_t gate_verdicts_flush(struct gate_verdicts *vc)
{
	size_t i, failed = 0;

	if (vc->npend >= PACK_MIN && flush_pack(vc) == 0) {
		for (i = 0; i < vc->npend; i++) {
			gate_results_release(&vc->pend[i].rs);
			free(vc->pend[i].note);
		}
		vc->npend = 0;
	}
	for (i = 0; i < vc->npend; i++) {
		if (make_and_store(vc, vc->pend[i].key, vc->pend[i].rs.v, vc->pend[i].rs.n,
				vc->pend[i].note) < 0)
			failed++;
		gate_results_release(&vc->pend[i].rs);
		free(vc->pend[i].note);
	}
	vc->npend = 0;
	if (vc->facts && gate_facts_index_pending(vc->facts)) {
		/* the directory may not exist yet when no verdict was written */
		if (gate_mkdir_p(vc->dir, 0777) < 0 || gate_facts_index_save(vc->facts) < 0)
			failed++;
	}
	return failed;
}

static char *dup_or_null(const char *s)
{
	return s ? gate_xstrdup(s) : NULL;
}

/* A copy of rs[0..n) without file names (a record keeps none). */
static void copy_results(struct gate_results *dst, const struct gate_result *rs, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct gate_result *s = &rs[i];
		struct gate_result *d = gate_results_add(dst);
		d->line = s->line;
		d->api_version = dup_or_null(s->api_version);
		d->kind = dup_or_null(s->kind);
		d->name = dup_or_null(s->name);
		d->namespace_ = dup_or_null(s->namespace_);
		d->status = s->status;
		d->msg = dup_or_null(s->msg);
		for (k = 0; k < s->nproblems; k++) {
			const struct gate_problem *p = &s->problems[k];
			struct gate_problem *q = gate_result_add_problem(d, p->pointer, p->line, p->col,
				p->rule, p->severity, p->message);
			q->suppressed = dup_or_null(p->suppressed);
		}
	}
}

int gate_verdicts_put(struct gate_verdicts *vc, const char *key,
	const struct gate_result *rs, size_t n)
{
	return gate_verdicts_put_note(vc, key, rs, n, NULL);
}

int gate_verdicts_put_note(struct gate_verdicts *vc, const char *key,
	const struct gate_result *rs, size_t n, const char *note)
{
	struct pending *p;

	if (!vc->defer)
		return make_and_store(vc, key, rs, n, note);
	/* the record is made at flush time, off the pusher's clock */
	GATE_ALLOC_GROW(vc->pend, vc->npend + 1, vc->apend);
	p = &vc->pend[vc->npend++];
	memcpy(p->key, key, GATE_SHA256_HEX);
	memset(&p->rs, 0, sizeof(p->rs));
	copy_results(&p->rs, rs, n);
	p->note = note && *note ? gate_xstrdup(note) : NULL;
	return 0;
}

void gate_verdicts_get_stats(const struct gate_verdicts *vc, struct gate_verdicts_stats *st)
{
	*st = vc->st;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* A record of a pack is sound (gate_vpacks_check()). */
static int pack_record_ok(const char *key, const char *rec, size_t len)
{
	json_t *body = NULL;
	int ok = parse_record(rec, len, key, &body) == 0 && body_results(body, NULL);

	json_decref(body);
	return ok;
}

int gate_verdicts_check(const char *dir, size_t *good, size_t *bad, size_t *tmp)
{
	DIR *d, *sd;
	struct dirent *e, *se;

	*good = *bad = *tmp = 0;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : -1;
	gate_vpacks_check(dir, pack_record_ok, good, bad, tmp);
	while ((e = readdir(d))) {
		char *sub;
		if (!is_hex(e->d_name, 2))
			continue;
		sub = gate_xasprintf("%s/%s", dir, e->d_name);
		if ((sd = opendir(sub))) {
			while ((se = readdir(sd))) {
				char key[GATE_SHA256_HEX], *path, *buf = NULL;
				json_t *body = NULL;
				size_t len;

				if (se->d_name[0] == '.')
					continue;
				if (!is_hex(se->d_name, 62)) {
					if (strstr(se->d_name, ".tmp."))
						(*tmp)++;
					else
						(*bad)++;
					continue;
				}
				memcpy(key, e->d_name, 2);
				memcpy(key + 2, se->d_name, 63);
				path = gate_xasprintf("%s/%s", sub, se->d_name);
				if (gate_read_file(path, GATE_VERDICT_MAX_BYTES + 4096, &buf, &len) == 0 &&
				    parse_record(buf, len, key, &body) == 0 && body_results(body, NULL))
					(*good)++;
				else
					(*bad)++;
				json_decref(body);
				free(buf);
				free(path);
			}
			closedir(sd);
		}
		free(sub);
	}
	closedir(d);
	return 0;
}
