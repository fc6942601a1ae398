#include "gate/judge.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gate/hash.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/record.h"
#include "gate/repo_checks.h"
#include "gate/unit.h"
#include "gate/utf16.h"
#include "gate/util.h"
#include "judge_int.h"

/* ---- distinct (blob, group) of a push ---- */

static size_t uhash(const git_oid *id, int group)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h ^ ((size_t)(unsigned)group * 0x9e3779b97f4a7c15ull);
}

static void utable_rehash(struct utable *t)
{
	size_t i, ns = t->nslots ? t->nslots * 2 : 256;

	free(t->slots);
	t->slots = gate_xcalloc(ns, sizeof(*t->slots));
	t->nslots = ns;
	for (i = 0; i < t->n; i++) {
		size_t s = uhash(&t->v[i].blob, t->v[i].group) & (ns - 1);
		while (t->slots[s])
			s = (s + 1) & (ns - 1);
		t->slots[s] = i + 1;
	}
}

/* The verdict cache key of blob judged under group at path (the path counts when path-sensitive). */
void gate_judge__verdict_key(const struct gate_judge *j, const git_oid *blob, int group,
	const char *path, char key[GATE_SHA256_HEX])
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), blob);
	if (j->path_sensitive) {
		char fp[GATE_SHA256_HEX * 2 + 8];
		char ph[GATE_SHA256_HEX];
		gate_sha256_hex(path, strlen(path), ph);
		snprintf(fp, sizeof(fp), "%s/%s", j->fingerprint, ph);
		gate_verdicts_key(key, hex, fp, group);
	} else {
		gate_verdicts_key(key, hex, j->fingerprint, group);
	}
}

/* Find (blob, group, path when path-sensitive); add when absent.  Returns the index. */
size_t gate_judge__utable_get(struct gate_judge *j, struct utable *t, const git_oid *blob,
	int group, const char *path)
{
	size_t s;
	struct uniq *u;

	if ((t->n + 1) * 2 > t->nslots)
		utable_rehash(t);
	s = uhash(blob, group) & (t->nslots - 1);
	while (t->slots[s]) {
		u = &t->v[t->slots[s] - 1];
		if (u->group == group && git_oid_equal(&u->blob, blob) &&
		    (!j->path_sensitive || !strcmp(u->path, path)))
			return t->slots[s] - 1;
		s = (s + 1) & (t->nslots - 1);
	}
	GATE_ALLOC_GROW(t->v, t->n + 1, t->alloc);
	u = &t->v[t->n];
	memset(u, 0, sizeof(*u));
	git_oid_cpy(&u->blob, blob);
	u->group = group;
	u->path = gate_xstrdup(path);
	gate_judge__verdict_key(j, blob, group, path, u->key);
	t->slots[s] = t->n + 1;
	return t->n++;
}

void gate_judge__utable_release(struct utable *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].path);
		gate_results_release(&t->v[i].results);
	}
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}


/* ---- judging the distinct blobs ---- */

/* A NUL byte near the start, unless the text is UTF-16 with a byte order mark (YAML allows it) */
int gate_judge__is_binary(const char *buf, size_t len)
{
	size_t bom;

	return memchr(buf, '\0', len < BINARY_PROBE ? len : BINARY_PROBE) != NULL &&
		gate_utf16_detect(buf, len, 0, &bom) == GATE_UTF16_NONE;
}

static int cacheable(const struct gate_results *rs)
{
	size_t i;

	/* errors may come from the environment (schema store): judge them again */
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].status == GATE_STATUS_ERROR)
			return 0;
	return 1;
}

/* Scan a file's bytes for credentials; findings become one result of rs. */
static void scan_secrets(struct gate_judge *j, struct gate_results *rs, const char *path,
	const char *buf, size_t len)
{
	struct gate_result *r = gate_results_add(rs);

	r->filename = gate_xstrdup(path);
	r->status = GATE_STATUS_VALID;
	gate_policy_scan_secrets(j->policy, path, buf, len, r);
	if (!r->nproblems) {
		gate_result_release(r);
		rs->n--;
	}
}

static void scan_too_large(struct gate_judge *j, struct gate_results *rs, const char *path, size_t size)
{
	struct gate_result *r = gate_results_add(rs);

	r->filename = gate_xstrdup(path);
	r->status = GATE_STATUS_VALID;
	gate_policy_scan_too_large(j->policy, path, size, r);
}

/*
 * Files that are no manifests: only their secrets, read up to the scanner's
 * limit (policy.secret_scan.max_bytes); a larger one is reported.
 */
int gate_judge__scan_only(struct gate_judge *j, struct utable *t, struct gate_verdict *out,
	char *msg, size_t msgsize)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct uniq *u = &t->v[i];
		char *buf = NULL, emsg[256];
		size_t len = 0;
		int rc;

		if (u->done || u->group != GROUP_SCAN)
			continue;
		if (gate_judge__past_deadline(j))
			return GATE_JUDGE_ETIMEOUT;
		rc = gate_repo_read_blob(j->repo, &u->blob, gate_policy_scan_max_bytes(j->policy),
			&buf, &len, emsg, sizeof(emsg));
		if (rc < 0 && rc != GATE_REPO_ETOOBIG) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &u->blob);
			gate_set_msg(msg, msgsize, "cannot read blob %s: %s", hex, emsg);
			return -1;
		}
		/* the scanner decodes UTF-16 and reads binary files too; too large: said so */
		if (rc == 0)
			scan_secrets(j, &u->results, u->path, buf, len);
		else
			scan_too_large(j, &u->results, u->path, len);
		free(buf);
		u->done = 1;
		out->files_done++;
		if (j->cache)
			gate_verdicts_put(j->cache, u->key, u->results.v, u->results.n);
	}
	return 0;
}

/*
 * What the engine's threads gather for one input besides its verdict: the
 * facts of its documents (a checker sees every identified resource, as
 * parsed for validation), where each document root was, and whether the
 * file's bytes were scanned for secrets.
 */
struct fslot {
	struct gate_tree_facts *facts;
	uint32_t (*pos)[2];       /* line, column of each root given, in order */
	size_t npos, apos;
	int verified;             /* facts are what gate_tree_facts_parse() gives */
	int scanned;
	char *note;               /* verified facts as text, for the verdict cache */
};

/* Per batch: the engine names an input by its filename pointer (each uniq has its own). */
struct gather {
	struct gate_judge *j;
	struct gate_input *in;
	struct fslot *slots;
	size_t n;
	size_t *hslots;           /* index + 1 by filename pointer, 0 empty */
	size_t nh;
	int facts, scan, notes;
};

static size_t ptr_hash(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17);
}

static struct fslot *gather_slot(struct gather *g, const char *filename)
{
	size_t s = ptr_hash(filename) & (g->nh - 1);

	while (g->hslots[s]) {
		if (g->in[g->hslots[s] - 1].filename == filename)
			return &g->slots[g->hslots[s] - 1];
		s = (s + 1) & (g->nh - 1);
	}
	return NULL; /* not a name we gave: the facts are read again later */
}

static int gather_check(void *ctx, const char *filename, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *res)
{
	struct fslot *sl = gather_slot(ctx, filename);

	(void)id;
	(void)res;
	if (!sl || !root)
		return 0;
	if (!sl->facts)
		gate_tree_facts_new(&sl->facts);
	gate_tree_facts_add_document(sl->facts, root);
	GATE_ALLOC_GROW(sl->pos, sl->npos + 1, sl->apos);
	sl->pos[sl->npos][0] = root->line;
	sl->pos[sl->npos][1] = root->col;
	sl->npos++;
	return 0;
}

struct verify {
	const struct fslot *sl;
	size_t next;
	int ok;
};

/*
 * Check one document part against the roots the checker saw: a part with
 * content must have had exactly its root given (found where its first
 * character is), and a part without any none.  A List the engine expanded,
 * a document it did not parse or did not check (Kustomize files, skipped
 * kinds, duplicate keys under strict, too large) breaks the match, and then
 * the file's facts are read again.  Only blanks, line feeds, comment lines
 * and a bare document start marker may come before the first character, so
 * that lines and columns count as the parser counts them (a lone CR or a
 * Unicode line break in a comment is refused).
 */
static int verify_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct verify *v = payload;
	size_t i = 0, bol = 0;

	while (i < len) {
		unsigned char c = (unsigned char)part[i];
		if (i == bol && len - i >= 3 && !memcmp(part + i, "---", 3) &&
		    (len - i == 3 || strchr(" \t\r\n", part[i + 3]))) {
			/* a document start marker (first line of a file): a blank if nothing follows */
			i += 3;
			while (i < len && (part[i] == ' ' || part[i] == '\t'))
				i++;
			if (i < len && part[i] != '\n' && part[i] != '\r' && part[i] != '#') {
				v->ok = 0;
				return 1;
			}
		} else if (c == ' ' || c == '\t') {
			i++;
		} else if (c == '\r' && i + 1 < len && part[i + 1] == '\n') {
			i++;
		} else if (c == '\n') {
			line++;
			bol = ++i;
		} else if (c == '#') {
			while (i < len && part[i] != '\n') {
				c = (unsigned char)part[i++];
				if (c >= 0x80 || (c == '\r' && (i >= len || part[i] != '\n'))) {
					v->ok = 0;
					return 1;
				}
			}
		} else {
			break;
		}
	}
	if (i >= len)
		return 0;
	if (v->next >= v->sl->npos || v->sl->pos[v->next][0] != line ||
	    v->sl->pos[v->next][1] != (uint32_t)(i - bol + 1)) {
		v->ok = 0;
		return 1;
	}
	v->next++;
	return 0;
}

static int gather_scan(void *ctx, const char *filename, const char *buf, size_t len,
	struct gate_results *out)
{
	struct gather *g = ctx;
	struct fslot *sl = gather_slot(g, filename);

	if (!sl)
		return 0;
	if (g->facts) {
		struct verify v;
		v.sl = sl;
		v.next = 0;
		v.ok = 1;
		gate_doc_split(buf, len, verify_part, &v);
		sl->verified = v.ok && v.next == sl->npos;
		if (sl->verified && !sl->facts)
			gate_tree_facts_new(&sl->facts);
		if (!sl->verified) {
			/*
			 * a kustomization (not checked), a List, a document not
			 * parsed: its facts read here, in this thread, as
			 * gate_judge__blob_facts() would read them later
			 */
			struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
			lim.max_bytes = gate_config_limits(g->j->cfg)->max_blob_bytes;
			gate_tree_facts_free(sl->facts);
			sl->facts = NULL;
			gate_tree_facts_parse(&sl->facts, buf, len, &lim);
			sl->verified = sl->facts != NULL;
		}
		if (sl->verified && g->notes) {
			/* kept with the verdict: a later push over this blob need not read it again */
			struct gate_buf nb = GATE_BUF_INIT;
			gate_tree_facts_serialize(sl->facts, &nb);
			sl->note = gate_buf_detach(&nb);
		}
	}
	if (g->scan) {
		/* as scan_secrets() */
		struct gate_result *r = gate_results_add(out);
		r->filename = gate_xstrdup(filename);
		r->status = GATE_STATUS_VALID;
		gate_policy_scan_secrets(g->j->policy, filename, buf, len, r);
		if (!r->nproblems) {
			gate_result_release(r);
			out->n--;
		}
		sl->scanned = 1;
	}
	return 0;
}

/* What the loader made of an input (judge_batch's engine runs) */
enum { IN_ENGINE, IN_OWN, IN_SCAN, IN_FAILED };

/* One engine run over the distinct blobs of a group, their bytes read in the engine's threads. */
struct run {
	struct gate_judge *j;
	struct utable *t;
	struct gather *g;
	struct gate_input *in;
	size_t *idx;              /* uniq index of each input */
	size_t *size;             /* its blob's size (read before the run: its header is not read again) */
	unsigned char *kind;      /* IN_* of each input */
	unsigned char *roots;     /* 0: unknown; 1: names no deployment root; 2: may name one */
	char **err;               /* IN_FAILED: why */
	atomic_int failed;        /* a blob could not be read: start no more */
	size_t n, alloc;
};

static void run_add(struct run *rn, size_t k, size_t size)
{
	if (rn->n == rn->alloc) {
		size_t na = rn->alloc ? rn->alloc * 2 : 64;
		rn->in = gate_xreallocarray(rn->in, na, sizeof(*rn->in));
		rn->idx = gate_xreallocarray(rn->idx, na, sizeof(*rn->idx));
		rn->size = gate_xreallocarray(rn->size, na, sizeof(*rn->size));
		rn->alloc = na;
	}
	memset(&rn->in[rn->n], 0, sizeof(rn->in[rn->n]));
	rn->in[rn->n].filename = rn->t->v[k].path;
	rn->in[rn->n].len = size; /* for the order: largest first */
	rn->size[rn->n] = size;
	rn->idx[rn->n++] = k;
}

static int read_failed(struct run *rn, size_t i, const git_oid *id, const char *emsg)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	rn->err[i] = gate_xasprintf("cannot read blob %s: %s", hex, emsg);
	rn->kind[i] = IN_FAILED;
	atomic_store(&rn->failed, 1);
	return 1;
}

/* May the text name a deployment root (as gate_judge__find_roots() tells)? */
static int names_roots(const char *buf)
{
	return strstr(buf, "kustomize.toolkit.fluxcd.io/") || strstr(buf, "argoproj.io/");
}

/*
 * The engine's loader (gate_engine_loader): read blob i, in an engine
 * thread.  A file too large or binary gets its own verdict here, as does a
 * file only scanned for secrets; the others are judged by the engine.
 */
static int load_blob(void *ctx, size_t i, struct gate_input *in)
{
	struct run *rn = ctx;
	struct gate_judge *j = rn->j;
	struct uniq *u = &rn->t->v[rn->idx[i]];
	size_t max = gate_config_limits(j->cfg)->max_blob_bytes, len = 0;
	char *buf = NULL, emsg[256];
	int rc;

	if (atomic_load(&rn->failed) || gate_judge__start_file(j))
		return -1;
	if (u->group == GROUP_SCAN) {
		rc = gate_repo_read_blob_sized(j->repo, &u->blob, rn->size[i], gate_policy_scan_max_bytes(j->policy),
			&buf, &len, emsg, sizeof(emsg));
		if (rc < 0 && rc != GATE_REPO_ETOOBIG)
			return read_failed(rn, i, &u->blob, emsg);
		/* the scanner decodes UTF-16 and reads binary files too; too large: said so */
		if (rc == 0)
			scan_secrets(j, &in->results, u->path, buf, len);
		else
			scan_too_large(j, &in->results, u->path, len);
		free(buf);
		rn->kind[i] = IN_SCAN;
		return 1;
	}
	rc = gate_repo_read_blob_sized(j->repo, &u->blob, rn->size[i], max, &buf, &len, emsg, sizeof(emsg));
	if (rc == GATE_REPO_ETOOBIG) {
		char *m = gate_xasprintf("file too large: %zu bytes, more than "
			"limits.max_blob_bytes (%zu)", len, max);
		gate_judge__own_result(&in->results, u->path, GATE_STATUS_ERROR, "size", GATE_SEV_DENY, m);
		free(m);
		rn->kind[i] = IN_OWN;
		rn->roots[i] = 1;
		return 1;
	}
	if (rc < 0)
		return read_failed(rn, i, &u->blob, emsg);
	rn->roots[i] = names_roots(buf) ? 2 : 1;
	if (gate_judge__is_binary(buf, len)) {
		gate_judge__own_result(&in->results, u->path, GATE_STATUS_ERROR, "binary", GATE_SEV_DENY,
			"binary file (a NUL byte in its first 8000 bytes): not a manifest");
		free(buf);
		rn->kind[i] = IN_OWN;
		rn->roots[i] = 1;
		return 1;
	}
	in->buf = buf;
	in->len = len;
	rn->kind[i] = IN_ENGINE;
	return 0;
}

/* After blob i was judged (its thread): scanned when the scanner did not run, then freed. */
static void unload_blob(void *ctx, size_t i, struct gate_input *in)
{
	struct run *rn = ctx;
	struct gate_judge *j = rn->j;
	struct fslot *sl = rn->g->slots ? &rn->g->slots[i] : NULL;

	if (!in->buf)
		return;
	if (j->scan && !(sl && sl->scanned))
		scan_secrets(j, &in->results, in->filename, in->buf, in->len);
	free((char *)in->buf);
	in->buf = NULL;
}

/* Wire the engine's pass to gather facts (memo) and scan secrets (g, over rn's inputs). */
static void gather_setup(struct gather *g, struct gate_judge *j, struct fmemo *memo, struct run *rn)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	g->j = j;
	g->in = rn->in;
	g->n = rn->n;
	g->facts = memo != NULL;
	g->notes = g->facts && j->cache;
	g->scan = j->scan;
	if (!g->facts && !g->scan)
		return;
	g->slots = gate_xcalloc(rn->n, sizeof(*g->slots));
	for (g->nh = 16; g->nh < 2 * rn->n; g->nh *= 2)
		;
	g->hslots = gate_xcalloc(g->nh, sizeof(*g->hslots));
	for (i = 0; i < rn->n; i++) {
		size_t s = ptr_hash(rn->in[i].filename) & (g->nh - 1);
		while (g->hslots[s])
			s = (s + 1) & (g->nh - 1);
		g->hslots[s] = i + 1;
	}
}

/* Input i's verdict to its uniq, the cache, the facts memo and the index; 1 when it was not started. */
static int run_keep(struct run *rn, struct fmemo *memo, size_t i, struct gate_verdict *out)
{
	struct gate_judge *j = rn->j;
	struct uniq *u = &rn->t->v[rn->idx[i]];
	struct gate_input *in = &rn->in[i];
	struct fslot *sl = rn->g->slots ? &rn->g->slots[i] : NULL;

	if (!in->started || rn->kind[i] == IN_FAILED)
		return !in->started;
	gate_results_move(&u->results, &in->results);
	u->done = 1;
	out->files_done++;
	if (rn->roots[i])
		gate_judge__index_roots(j, &u->blob, rn->roots[i] == 2);
	if (rn->kind[i] == IN_SCAN && j->cache)
		gate_verdicts_put(j->cache, u->key, u->results.v, u->results.n);
	if (rn->kind[i] != IN_ENGINE)
		return 0;
	if (j->cache && in->error == 0 && cacheable(&u->results))
		gate_verdicts_put_note(j->cache, u->key, u->results.v, u->results.n,
			sl && sl->verified ? sl->note : NULL);
	if (sl && sl->verified && in->error == 0) {
		gate_judge__fmemo_put(memo, &u->blob, sl->facts);
		sl->facts = NULL;
	}
	return 0;
}

/*
 * Judge the inputs of rn through the engine (group's options), the blobs
 * read in its threads; then keep each verdict.  Returns 0,
 * GATE_JUDGE_ETIMEOUT when the deadline stopped it (what was judged is
 * kept), or -1 with a message.
 */
static int run_judge(struct run *rn, struct fmemo *memo, int group, struct gate_verdict *out,
	char *msg, size_t msgsize)
{
	struct gate_judge *j = rn->j;
	struct gate_engine_opts eo = j->eopts[group];
	struct gate_engine_loader ld;
	struct gate_checker *ck = NULL;
	struct gate_scanner sc;
	struct gather g;
	size_t i, k, left = 0;
	int error = 0;

	if (!rn->n)
		return 0;
	rn->kind = gate_xcalloc(rn->n, 1);
	rn->roots = gate_xcalloc(rn->n, 1);
	rn->err = gate_xcalloc(rn->n, sizeof(*rn->err));
	atomic_init(&rn->failed, 0);
	gather_setup(&g, j, memo, rn);
	rn->g = &g;
	if (g.slots) {
		sc.scan = gather_scan;
		sc.ctx = &g;
		eo.scanners = &sc;
		eo.nscanners = 1;
	}
	if (g.facts) {
		/* first, so that no other checker's failure keeps a root from it */
		ck = gate_xcalloc(eo.ncheckers + 1, sizeof(*ck));
		ck[0].check = gather_check;
		ck[0].ctx = &g;
		for (k = 0; k < eo.ncheckers; k++)
			ck[k + 1] = eo.checkers[k];
		eo.checkers = ck;
		eo.ncheckers++;
	}
	ld.load = load_blob;
	ld.done = unload_blob;
	ld.ctx = rn;
	eo.loader = &ld;
	/* the blobs are read in the engine's threads: one, unless libgit2 is thread-safe */
	if (gate_engine_run(&eo, rn->in, rn->n, gate_repo_reads_in_threads(j->repo) ? j->threads : 1) < 0) {
		gate_set_msg(msg, msgsize, "the validation engine failed");
		error = -1;
	}
	for (i = 0; i < rn->n; i++) {
		struct fslot *sl = g.slots ? &g.slots[i] : NULL;
		if (!error && rn->kind[i] == IN_FAILED && rn->in[i].started) {
			gate_set_msg(msg, msgsize, "%s", rn->err[i]);
			error = -1;
		}
		if (!error)
			left += run_keep(rn, memo, i, out);
		if (sl) {
			gate_tree_facts_free(sl->facts);
			free(sl->pos);
			free(sl->note);
		}
		gate_results_release(&rn->in[i].results);
		free(rn->err[i]);
	}
	free(g.slots);
	free(g.hslots);
	free(ck);
	free(rn->kind);
	free(rn->roots);
	free(rn->err);
	rn->n = 0;
	return error ? error : left ? GATE_JUDGE_ETIMEOUT : 0;
}

/* The cache lookups of a push, on several threads (after gate_verdicts_scan()). */
struct lookup {
	struct gate_judge *j;
	struct utable *t;
	int want_facts;
	struct gate_tree_facts **facts;  /* per uniq: kept with a hit's verdict, when asked */
	unsigned char *hit;
	atomic_size_t next;
	atomic_int late;                 /* past the deadline: look up no more */
};

static void *lookup_worker(void *arg)
{
	struct lookup *lk = arg;
	size_t i;

	while (!atomic_load(&lk->late) && (i = atomic_fetch_add(&lk->next, 1)) < lk->t->n) {
		struct uniq *u = &lk->t->v[i];
		char *note = NULL;

		if (!(i % 64) && gate_judge__past_deadline(lk->j)) {
			atomic_store(&lk->late, 1);
			break;
		}
		if (gate_verdicts_get_note(lk->j->cache, u->key, u->path, &u->results,
				lk->want_facts ? &note : NULL) == 1) {
			lk->hit[i] = 1;
			/* the facts judged with it, when kept (else the file is read if needed) */
			if (note && gate_tree_facts_deserialize(&lk->facts[i], note, strlen(note)) < 0)
				lk->facts[i] = NULL;
		}
		free(note);
	}
	return NULL;
}

/* The cached verdicts of t (and the facts kept with them, into memo). */
static int from_cache(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out)
{
	struct lookup lk;
	pthread_t tid;
	int started = 0, error = 0;
	size_t i;

	if (!j->cache || !t->n)
		return 0;
	if (t->n > 256)
		gate_verdicts_scan(j->cache);
	memset(&lk, 0, sizeof(lk));
	lk.j = j;
	lk.t = t;
	lk.want_facts = memo != NULL;
	lk.facts = gate_xcalloc(t->n, sizeof(*lk.facts));
	lk.hit = gate_xcalloc(t->n, 1);
	atomic_init(&lk.next, 0);
	atomic_init(&lk.late, 0);
	/* one more thread when there are many (the gets are thread-safe after the scan) */
	if (t->n > 256 && j->threads > 1 && pthread_create(&tid, NULL, lookup_worker, &lk) == 0)
		started = 1;
	lookup_worker(&lk);
	if (started)
		pthread_join(tid, NULL);
	for (i = 0; i < t->n; i++) {
		struct uniq *u = &t->v[i];
		if (!lk.hit[i])
			continue;
		u->done = u->from_cache = 1;
		out->files_done++;
		out->files_cached++;
		if (lk.facts[i])
			gate_judge__fmemo_put(memo, &u->blob, lk.facts[i]);
	}
	if (atomic_load(&lk.late))
		error = GATE_JUDGE_ETIMEOUT;
	free(lk.facts);
	free(lk.hit);
	return error;
}

/* The sizes of a run's blobs (their headers), on two threads: 30k headers of a first push. */
struct sizes {
	struct gate_repo *repo;
	const struct utable *t;
	size_t *ix;        /* uniq indexes */
	size_t *size;
	unsigned char *bad; /* its header could not be read (the message is read again, in order) */
	size_t n;
	atomic_size_t next;
};

static void *sizes_worker(void *arg)
{
	struct sizes *s = arg;
	size_t k, e;
	char emsg[256];

	while ((k = atomic_fetch_add(&s->next, 64)) < s->n)
		for (e = k + 64 < s->n ? k + 64 : s->n; k < e; k++)
			s->bad[k] = gate_repo_blob_size(s->repo, &s->t->v[s->ix[k]].blob, &s->size[k], emsg,
				sizeof(emsg)) < 0;
	return NULL;
}

static void read_sizes(struct gate_judge *j, struct sizes *s)
{
	pthread_t tid;
	int two = s->n > 256 && j->threads > 1 && gate_repo_reads_in_threads(j->repo);

	atomic_init(&s->next, 0);
	if (two && pthread_create(&tid, NULL, sizes_worker, s) != 0)
		two = 0;
	sizes_worker(s);
	if (two)
		pthread_join(tid, NULL);
}

/* Group g's blobs to judge into rn, largest first; 0, or GATE_JUDGE_ETIMEOUT, or -1 with msg. */
static int run_fill(struct gate_judge *j, struct utable *t, struct run *rn, size_t g, char *msg, size_t msgsize)
{
	struct sizes s;
	size_t i, k;
	int error = 0;

	memset(&s, 0, sizeof(s));
	s.repo = j->repo;
	s.t = t;
	s.ix = gate_xcalloc(t->n ? t->n : 1, sizeof(*s.ix));
	for (i = 0; i < t->n; i++) {
		struct uniq *u = &t->v[i];
		if (!u->done && (u->group == (int)g || (g == 0 && u->group == GROUP_SCAN)))
			s.ix[s.n++] = i;
	}
	s.size = gate_xcalloc(s.n ? s.n : 1, sizeof(*s.size));
	s.bad = gate_xcalloc(s.n ? s.n : 1, 1);
	read_sizes(j, &s);
	for (k = 0; k < s.n; k++) {
		struct uniq *u = &t->v[s.ix[k]];
		char emsg[256];
		size_t size;

		if (!(rn->n % 256) && gate_judge__past_deadline(j)) {
			error = GATE_JUDGE_ETIMEOUT;
			break;
		}
		/* its size only (the order of the run); the bytes are read in the run */
		if (s.bad[k] && gate_repo_blob_size(j->repo, &u->blob, &size, emsg, sizeof(emsg)) < 0) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &u->blob);
			gate_set_msg(msg, msgsize, "cannot read blob %s: %s", hex, emsg);
			error = -1;
			break;
		}
		run_add(rn, s.ix[k], s.bad[k] ? size : s.size[k]);
	}
	free(s.ix);
	free(s.size);
	free(s.bad);
	return error;
}

/*
 * Judge every (blob, group) not in the cache, files only scanned for
 * secrets with the first group; with memo, keep the facts the engine's pass
 * gives.  Whether each blob read may name a deployment root goes to the
 * facts index, so that the search for roots does not read it again.
 */
int gate_judge__uniq(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out, char *msg, size_t msgsize)
{
	struct run rn;
	size_t g;
	int error;

	out->files_total = t->n;
	/* cache first: cheap, and it tells how much is left */
	if ((error = from_cache(j, t, memo, out)) < 0)
		return error;
	memset(&rn, 0, sizeof(rn));
	rn.j = j;
	rn.t = t;
	for (g = 0; g < j->ngroups && !error; g++) {
		error = run_fill(j, t, &rn, g, msg, msgsize);
		if (!error)
			error = run_judge(&rn, memo, (int)g, out, msg, msgsize);
		rn.n = 0;
	}
	free(rn.in);
	free(rn.idx);
	free(rn.size);
	return error;
}

/* Give every file of every commit its verdict and count. */
void gate_judge__distribute(struct gate_judge *j, struct utable *t, struct gate_verdict *out)
{
	size_t i, c, f;

	for (i = 0; i < out->nrefs; i++) {
		struct gate_judged_ref *r = &out->refs[i];
		for (c = 0; c < r->ncommits; c++) {
			struct gate_judged_commit *cm = &r->commits[c];
			for (f = 0; f < cm->nfiles; f++) {
				struct gate_judged_file *fl = &cm->files[f];
				if (!fl->results.n && fl->group != -1) {
					git_oid id;
					size_t k;
					git_oid_fromstr(&id, fl->blob);
					k = gate_judge__utable_get(j, t, &id, fl->group, fl->path);
					gate_judge__copy_results(&fl->results, &t->v[k].results, fl->path);
					fl->from_cache = t->v[k].from_cache;
				}
				/* a file scanned for secrets alone counts when it has findings */
				if (fl->group == GROUP_SCAN && !fl->results.n)
					continue;
				gate_judge__count_file(fl);
				cm->nproblems += fl->nproblems;
				cm->nwarnings += fl->nwarnings;
				r->nsuppressed += fl->nsuppressed;
				if (fl->nproblems)
					cm->nbad_files++;
				/* the tip check is counted apart: files of the tree, not of the commits */
				if (cm->tip_check) {
					r->ntip_files++;
					r->ntip_cached += fl->from_cache != 0;
					continue;
				}
				r->nfiles++;
				if (fl->from_cache)
					r->ncached++;
			}
			r->nproblems += cm->nproblems;
			r->nwarnings += cm->nwarnings;
			r->nbad_files += cm->nbad_files;
			if (cm->nproblems)
				r->nbad_commits++;
		}
		out->nproblems += r->nproblems;
		out->nwarnings += r->nwarnings;
		out->nbad_files += r->nbad_files;
		out->nbad_commits += r->nbad_commits;
		if (r->denial)
			out->ndenials++;
	}
}
