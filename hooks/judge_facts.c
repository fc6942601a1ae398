/*
 * judge_facts.c: the judge's use of the persistent blob-facts index
 * (gate/facts_index.h, kept in the verdict cache's folder): the facts of a
 * blob (what it defines, refers to, the CRDs it holds, whether it is a
 * kustomization and what it names as patches) and whether it may name a
 * deployment root, known from an earlier push without reading the blob.
 * Entries are keyed by blob id, so they cannot be stale; the stamp (engine
 * build and blob size limit) keeps facts made by other code or limits out.
 */
#include "gate/judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/facts_index.h"
#include "gate/hash.h"
#include "gate/repo_checks.h"
#include "gate/util.h"
#include "judge_int.h"

struct gate_facts_index *gate_judge__facts_index(struct gate_judge *j)
{
	return j->cache && j->use_index ? gate_verdicts_facts(j->cache, j->facts_stamp) : NULL;
}

const struct gate_tree_facts *gate_judge__indexed_facts(struct gate_judge *j, struct fmemo *memo,
	const git_oid *id)
{
	struct gate_facts_index *idx;
	const struct gate_tree_facts *known = gate_judge__fmemo_get(memo, id);
	struct gate_tree_facts *f = NULL;
	const char *text;
	size_t len;
	unsigned flags;

	if (known || !(idx = gate_judge__facts_index(j)))
		return known;
	if (gate_facts_index_get(idx, id->id, &flags, &text, &len) != 1 ||
	    !(flags & GATE_FACTS_HAS_TEXT) || gate_tree_facts_deserialize(&f, text, len) < 0)
		return NULL;
	return gate_judge__fmemo_put(memo, id, f);
}

/*
 * Keep facts f of blob id in the index (when it has no good text for it yet:
 * the text is asked for, so that one failing its sum is written again).
 */
static void index_facts(struct gate_judge *j, const git_oid *id, const struct gate_tree_facts *f)
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);
	struct gate_buf b = GATE_BUF_INIT;
	const char *text;
	size_t len;
	unsigned flags;

	if (!idx || (gate_facts_index_get(idx, id->id, &flags, &text, &len) == 1 &&
		     (flags & GATE_FACTS_HAS_TEXT)))
		return;
	gate_tree_facts_serialize(f, &b);
	gate_facts_index_put(idx, id->id, GATE_FACTS_HAS_TEXT, b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
}

int gate_judge__blob_facts(struct gate_judge *j, struct fmemo *memo, const git_oid *id,
	const struct gate_tree_facts **out, char *msg, size_t msgsize)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_tree_facts *f = NULL;
	char *buf = NULL;
	size_t len = 0;

	if ((*out = gate_judge__indexed_facts(j, memo, id)))
		return 0;
	if (gate_judge__past_deadline(j))
		return GATE_JUDGE_ETIMEOUT;
	if (gate_judge__read_tree_blob(j, id, &buf, &len, msg, msgsize) < 0)
		return -1;
	lim.max_bytes = gate_config_limits(j->cfg)->max_blob_bytes;
	gate_tree_facts_parse(&f, buf, buf ? len : 0, &lim);
	free(buf);
	index_facts(j, id, f);
	*out = gate_judge__fmemo_put(memo, id, f);
	return 0;
}

void gate_judge__index_memo(struct gate_judge *j, struct fmemo *memo)
{
	size_t i;

	if (!gate_judge__facts_index(j))
		return;
	for (i = 0; i < memo->n; i++)
		if (memo->facts[i])
			index_facts(j, &memo->ids[i], memo->facts[i]);
}

int gate_judge__names_roots(struct gate_judge *j, const git_oid *id)
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);
	unsigned flags;

	if (!idx || gate_facts_index_get(idx, id->id, &flags, NULL, NULL) != 1 ||
	    !(flags & GATE_FACTS_ROOTS_KNOWN))
		return -1;
	return (flags & GATE_FACTS_NAMES_ROOTS) ? 1 : 0;
}

void gate_judge__index_roots(struct gate_judge *j, const git_oid *id, int names)
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);

	if (idx)
		gate_facts_index_put(idx, id->id, GATE_FACTS_ROOTS_KNOWN |
			(names ? GATE_FACTS_NAMES_ROOTS : 0), NULL, 0);
}

/*
 * The deployment roots a blob names (what judge_render.c's scan of its Flux
 * Kustomizations and Argo CD Applications found), kept in the index under a
 * key derived from the blob id, as records:
 *   "<flux> <indent> <path> <overlay> <subst>\n", each string "-" for none
 * or "<length>:<bytes>".
 */
static void roots_key(const git_oid *id, git_oid *key)
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX], bh[GIT_OID_HEXSZ + 1];

	git_oid_tostr(bh, sizeof(bh), id);
	gate_sha256_init(&h);
	gate_sha256_update_str(&h, "gitops-gate roots of blob 1");
	gate_sha256_update_str(&h, bh);
	gate_sha256_final(&h, hex);
	git_oid_fromstrn(key, hex, GIT_OID_HEXSZ);
}

static void rec_str(struct gate_buf *b, const char *s)
{
	if (!s) {
		gate_buf_adds(b, " -");
		return;
	}
	gate_buf_addf(b, " %zu:", strlen(s));
	gate_buf_adds(b, s);
}

void gate_judge__roots_record(struct gate_buf *rec, const char *path, int flux, const char *overlay,
	uint32_t indent, const char *subst)
{
	gate_buf_addf(rec, "%d %u", flux ? 1 : 0, (unsigned)indent);
	rec_str(rec, path);
	rec_str(rec, overlay);
	rec_str(rec, subst);
	gate_buf_addc(rec, '\n');
}

/* One string of a record at *p: NULL for "-", else a new copy; *bad on a malformed one. */
static char *rec_get(const char **p, const char *end, int *bad)
{
	unsigned long long l = 0;
	const char *q = *p;
	int digits = 0;
	char *s;

	if (q >= end || *q != ' ') {
		*bad = 1;
		return NULL;
	}
	q++;
	if (q < end && *q == '-') {
		*p = q + 1;
		return NULL;
	}
	while (q < end && *q >= '0' && *q <= '9' && digits < 12) {
		l = l * 10 + (unsigned)(*q++ - '0');
		digits++;
	}
	if (!digits || q >= end || *q != ':' || l > (unsigned long long)(end - q - 1)) {
		*bad = 1;
		return NULL;
	}
	s = gate_xstrndup(q + 1, (size_t)l);
	*p = q + 1 + l;
	return s;
}

int gate_judge__kept_roots(struct gate_judge *j, const git_oid *id,
	void (*fn)(void *payload, const char *path, int flux, char *overlay, uint32_t indent, char *subst),
	void *payload)
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);
	const char *text, *p, *end;
	size_t len, n = 0, k;
	unsigned flags;
	git_oid key;
	struct kept {
		char *path, *overlay, *subst;
		int flux;
		uint32_t indent;
	} *v = NULL;
	size_t alloc = 0;
	int bad = 0;

	if (!idx)
		return 0;
	roots_key(id, &key);
	if (gate_facts_index_get(idx, key.id, &flags, &text, &len) != 1 || !(flags & GATE_FACTS_HAS_TEXT))
		return 0;
	/* all read before any is given: a malformed text gives none (the blob is scanned) */
	for (p = text, end = text + len; p < end && !bad; ) {
		char *e;
		unsigned long flux, indent;
		struct kept *x;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		(void)nl;
		flux = strtoul(p, &e, 10);
		if (e == p || e >= end || *e != ' ' || flux > 1) {
			bad = 1;
			break;
		}
		p = e + 1;
		indent = strtoul(p, &e, 10);
		if (e == p || indent > UINT32_MAX) {
			bad = 1;
			break;
		}
		p = e;
		GATE_ALLOC_GROW(v, n + 1, alloc);
		x = &v[n++];
		x->flux = (int)flux;
		x->indent = (uint32_t)indent;
		x->path = rec_get(&p, end, &bad);
		x->overlay = rec_get(&p, end, &bad);
		x->subst = rec_get(&p, end, &bad);
		if (p >= end || *p != '\n')
			bad = 1;
		p++;
	}
	for (k = 0; k < n; k++) {
		if (bad) {
			free(v[k].overlay);
			free(v[k].subst);
		} else {
			fn(payload, v[k].path, v[k].flux, v[k].overlay, v[k].indent, v[k].subst);
		}
		free(v[k].path);
	}
	free(v);
	return bad ? 0 : 1;
}

void gate_judge__keep_roots(struct gate_judge *j, const git_oid *id, const struct gate_buf *rec)
{
	struct gate_facts_index *idx = gate_judge__facts_index(j);
	git_oid key;

	if (!idx)
		return;
	roots_key(id, &key);
	gate_facts_index_put(idx, key.id, GATE_FACTS_HAS_TEXT, rec->ptr ? rec->ptr : "", rec->len);
}
