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

void gate_judge__tree_summary_key(const struct gate_judge *j, const char *kind, const git_oid *tree,
	const char *prefix, git_oid *key)
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX], th[GIT_OID_HEXSZ + 1];

	git_oid_tostr(th, sizeof(th), tree);
	gate_sha256_init(&h);
	gate_sha256_update_str(&h, kind);
	gate_sha256_update_str(&h, j->fingerprint);
	gate_sha256_update_str(&h, prefix);
	gate_sha256_update_str(&h, th);
	gate_sha256_final(&h, hex);
	git_oid_fromstrn(key, hex, GIT_OID_HEXSZ);
}

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
