#include "gate/judge.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gate/facts_index.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/record.h"
#include "gate/repo_checks.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "judge_int.h"

static int wants_crd(const struct gate_result *r)
{
	return r->api_version && strchr(r->api_version, '/') &&
		((r->status == GATE_STATUS_ERROR && r->msg &&
		  !strncmp(r->msg, "could not find schema for ", 26)) ||
		 (r->status == GATE_STATUS_SKIPPED && !r->msg));
}


static void needs_free(struct crdneed *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].group);
		free(v[i].kind);
	}
	free(v);
}

static void needset_clear_cands(struct needset *ns)
{
	size_t i;

	for (i = 0; i < ns->ncands; i++)
		free(ns->cands[i].path);
	ns->ncands = 0;
}

void gate_judge__crdcache_release(struct crdcache *cc)
{
	size_t i;

	for (i = 0; i < cc->nsets; i++) {
		needset_clear_cands(&cc->sets[i]);
		free(cc->sets[i].cands);
		free(cc->sets[i].need.group);
		free(cc->sets[i].need.kind);
		gate_crd_set_free(cc->sets[i].set);
	}
	free(cc->sets);
	for (i = 0; i < cc->n; i++)
		gate_crd_words_free(cc->words[i]);
	free(cc->words);
	free(cc->asked);
	free(cc->ids);
	free(cc->maybe);
	free(cc->slots);
	memset(cc, 0, sizeof(*cc));
}

/* The set kept for (need, strict), added empty when new. */
static struct needset *needset_of(struct crdcache *cc, const struct crdneed *need, int strict)
{
	struct needset *ns;
	size_t k;

	for (k = 0; k < cc->nsets; k++)
		if (cc->sets[k].strict == strict && !strcmp(cc->sets[k].need.group, need->group) &&
		    !strcmp(cc->sets[k].need.kind, need->kind))
			return &cc->sets[k];
	GATE_ALLOC_GROW(cc->sets, cc->nsets + 1, cc->asets);
	ns = &cc->sets[cc->nsets++];
	memset(ns, 0, sizeof(*ns));
	ns->need.group = gate_xstrdup(need->group);
	ns->need.kind = gate_xstrdup(need->kind);
	ns->strict = strict;
	return ns;
}

/*
 * The facts of blob id when it may hold a CRD, into *out; NULL when it holds
 * none.  Returns 0, or negative when the blob is unreadable.  The push's or
 * the index's facts answer; else a blob without CRD text (said once in the
 * index) holds none, and one with is parsed for its facts (kept in memo and
 * the index), so no blob is read twice across pushes.
 */
static int crd_facts(struct gate_judge *j, struct fmemo *memo, const git_oid *id,
	const struct gate_tree_facts **out, char *msg, size_t msgsize)
{
	struct gate_facts_index *idx;
	unsigned flags;
	size_t l = 0;
	char *b = NULL;

	if ((*out = gate_judge__indexed_facts(j, memo, id)))
		return 0;
	idx = gate_judge__facts_index(j);
	if (idx && gate_facts_index_get(idx, id->id, &flags, NULL, NULL) == 1 &&
	    (flags & GATE_FACTS_NO_CRD))
		return 0;
	if (gate_judge__read_tree_blob(j, id, &b, &l, msg, msgsize) < 0)
		return -1;
	if (!b || !gate_crd_maybe(b, l)) {
		free(b);
		if (idx)
			gate_facts_index_put(idx, id->id, GATE_FACTS_NO_CRD, NULL, 0);
		return 0;
	}
	free(b);
	return gate_judge__blob_facts(j, memo, id, out, msg, msgsize);
}

/* Which of needs does blob id define a CRD of?  Sets yes[i] for each. */
static int crd_candidate(struct gate_judge *j, struct fmemo *memo, const git_oid *id,
	const struct crdneed *needs, size_t nneeds, unsigned char *yes, char *msg, size_t msgsize)
{
	const struct gate_tree_facts *f;
	size_t i;

	memset(yes, 0, nneeds);
	if (crd_facts(j, memo, id, &f, msg, msgsize) < 0)
		return -1;
	for (i = 0; f && i < nneeds; i++)
		yes[i] = (unsigned char)gate_tree_facts_defines_crd(f, needs[i].group, needs[i].kind);
	return 0;
}

/*
 * The files of a tree that define CRDs, without walking the whole tree:
 * a summary per tree (keyed by the tree id, its path and the judge's
 * fingerprint, which covers the manifest globs) kept in the facts index,
 * listing the manifests right in it that hold a CRD ("b <blob> <name>") and
 * the subtrees that hold some ("t <tree> <name>"), in tree order.  A push
 * that changes one file computes the summaries of the trees on its path
 * (from the blobs' facts, themselves indexed) and replays the others.
 */
struct crdsum {
	struct gate_judge *j;
	struct fmemo *memo;
	struct tree_walk *out;
	struct gate_buf prefix;  /* the tree's path, "" or ending in '/' */
	int depth;
	char *msg;
	size_t msgsize;
};

struct crdsum_level {
	struct crdsum *s;
	struct gate_buf text;    /* the summary being made */
	int storable;            /* no name with a line break */
};

static int crdsum_tree(struct crdsum *s, const git_oid *tree);

static void crdsum_found(struct crdsum *s, const char *name, const git_oid *id)
{
	struct tree_entry *e;

	GATE_ALLOC_GROW(s->out->v, s->out->n + 1, s->out->alloc);
	e = &s->out->v[s->out->n++];
	e->path = gate_xasprintf("%s%s", s->prefix.ptr ? s->prefix.ptr : "", name);
	git_oid_cpy(&e->id, id);
	e->changed = 0;
}

/* Enter subtree name: its summary appended to out. */
static int crdsum_enter(struct crdsum *s, const char *name, const git_oid *tree)
{
	size_t plen = s->prefix.len;
	int error;

	if (s->depth >= 4096) {
		gate_set_msg(s->msg, s->msgsize, "cannot read the tree: nested more than 4096 deep");
		return -1;
	}
	gate_buf_adds(&s->prefix, name);
	gate_buf_addc(&s->prefix, '/');
	s->depth++;
	error = crdsum_tree(s, tree);
	s->depth--;
	s->prefix.len = plen;
	if (s->prefix.ptr)
		s->prefix.ptr[plen] = '\0';
	return error;
}

/* gate_repo_tree_list()'s fn: one entry of a tree whose summary is made */
static int crdsum_entry(const struct gate_repo_change *ch, void *payload)
{
	struct crdsum_level *lv = payload;
	struct crdsum *s = lv->s;
	const struct gate_tree_facts *f = NULL;
	char hex[GIT_OID_HEXSZ + 1], *path;
	size_t before = s->out->n;
	int error = 0, manifest;

	git_oid_tostr(hex, sizeof(hex), &ch->id);
	if (ch->mode == GIT_FILEMODE_TREE) {
		if ((error = crdsum_enter(s, ch->path, &ch->id)) < 0)
			return error;
		if (s->out->n > before)
			gate_buf_addf(&lv->text, "t %s %s\n", hex, ch->path);
	} else if (ch->mode == GIT_FILEMODE_BLOB || ch->mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
		path = gate_xasprintf("%s%s", s->prefix.ptr ? s->prefix.ptr : "", ch->path);
		manifest = gate_config_path_is_manifest(s->j->cfg, path);
		free(path);
		if (!manifest)
			return 0;
		if ((error = crd_facts(s->j, s->memo, &ch->id, &f, s->msg, s->msgsize)) < 0)
			return error;
		if (!gate_tree_facts_crd_count(f))
			return 0;
		crdsum_found(s, ch->path, &ch->id);
		gate_buf_addf(&lv->text, "b %s %s\n", hex, ch->path);
	}
	if (strchr(ch->path, '\n'))
		lv->storable = 0;
	return 0;
}

/* Replay a kept summary; -1 when it is not one (then it is made again). */
static int crdsum_replay(struct crdsum *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t before = s->out->n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *name;
		git_oid id;
		int error = 0;

		if (!nl || nl - p < 2 + GIT_OID_HEXSZ + 2 || (p[0] != 'b' && p[0] != 't') || p[1] != ' ' ||
		    p[2 + GIT_OID_HEXSZ] != ' ' || git_oid_fromstrn(&id, p + 2, GIT_OID_HEXSZ) < 0)
			goto bad;
		name = gate_xstrndup(p + 3 + GIT_OID_HEXSZ, (size_t)(nl - p - 3 - GIT_OID_HEXSZ));
		if (p[0] == 'b')
			crdsum_found(s, name, &id);
		else
			error = crdsum_enter(s, name, &id);
		free(name);
		if (error < 0)
			return error;
		p = nl + 1;
	}
	return 0;
bad:
	while (s->out->n > before)
		free(s->out->v[--s->out->n].path);
	return 1;
}

static int crdsum_tree(struct crdsum *s, const git_oid *tree)
{
	struct gate_facts_index *idx = gate_judge__facts_index(s->j);
	struct crdsum_level lv;
	const char *text;
	size_t len;
	unsigned flags;
	git_oid key;
	int error;

	if (gate_judge__past_deadline(s->j))
		return GATE_JUDGE_ETIMEOUT;
	gate_judge__tree_summary_key(s->j, "gitops-gate crd tree 1", tree,
		s->prefix.ptr ? s->prefix.ptr : "", &key);
	if (idx && gate_facts_index_get(idx, key.id, &flags, &text, &len) == 1 &&
	    (flags & GATE_FACTS_HAS_TEXT) && (error = crdsum_replay(s, text, len)) <= 0)
		return error;
	memset(&lv, 0, sizeof(lv));
	lv.s = s;
	lv.storable = 1;
	error = gate_repo_tree_list(s->j->repo, tree, crdsum_entry, &lv, s->msg, s->msgsize);
	if (!error && idx && lv.storable)
		gate_facts_index_put(idx, key.id, GATE_FACTS_HAS_TEXT, lv.text.ptr ? lv.text.ptr : "",
			lv.text.len);
	gate_buf_release(&lv.text);
	return error;
}

/* The manifests of the tree of commit that define CRDs, in tree order, into out. */
static int crd_files(struct gate_judge *j, struct fmemo *memo, const git_oid *commit,
	struct tree_walk *out, char *msg, size_t msgsize)
{
	struct crdsum s;
	git_oid tree;
	int error;

	if (gate_repo_commit_tree_id(j->repo, commit, &tree, msg, msgsize) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.j = j;
	s.memo = memo;
	s.out = out;
	s.msg = msg;
	s.msgsize = msgsize;
	error = crdsum_tree(&s, &tree);
	gate_buf_release(&s.prefix);
	return error;
}

struct have_ctx {
	const struct gate_crd_set *set;
	const struct crdneed *need;
};

/* gate_tree_facts_crd_adds()'s have: does the set hold the need's kind in version? */
static int set_has(void *payload, const char *version)
{
	const struct have_ctx *hc = payload;

	return gate_crd_set_lookup(hc->set, hc->need->group, version, hc->need->kind) != NULL;
}

/*
 * The CRD sets of the tree of commit for needs (one per need, borrowed from
 * cc, valid until the next call) into sets[]: for each wanted (group,
 * version, kind), the schema that gate_crd_set_add_buffer() over every
 * manifest of the tree in order, strict as given, would hold.
 */
static int crdcache_sets(struct gate_judge *j, struct crdcache *cc, struct fmemo *memo,
	const git_oid *commit, int strict, const struct crdneed *needs, size_t nneeds,
	struct gate_crd_set **sets, char *msg, size_t msgsize)
{
	struct tree_walk all;
	struct needset *fresh;
	unsigned char *yes = gate_xcalloc(nneeds, 1);
	size_t i, k;
	int error;

	/* the candidates of each need, into a fresh list beside the kept one */
	fresh = gate_xcalloc(nneeds, sizeof(*fresh));
	memset(&all, 0, sizeof(all));
	all.j = j;
	if ((error = crd_files(j, memo, commit, &all, msg, msgsize)) < 0)
		goto done;
	for (i = 0; i < all.n; i++) {
		if (gate_judge__past_deadline(j)) {
			error = GATE_JUDGE_ETIMEOUT;
			goto done;
		}
		if ((error = crd_candidate(j, memo, &all.v[i].id, needs, nneeds, yes, msg, msgsize)) < 0)
			goto done;
		for (k = 0; k < nneeds; k++) {
			struct tree_entry *e;
			if (!yes[k])
				continue;
			GATE_ALLOC_GROW(fresh[k].cands, fresh[k].ncands + 1, fresh[k].acands);
			e = &fresh[k].cands[fresh[k].ncands++];
			e->path = gate_xstrdup(all.v[i].path);
			git_oid_cpy(&e->id, &all.v[i].id);
			e->changed = 0;
		}
	}
	for (k = 0; k < nneeds; k++) {
		struct needset *ns = needset_of(cc, &needs[k], strict);
		char cmsg[512] = "";
		int same = ns->set && ns->ncands == fresh[k].ncands;

		for (i = 0; same && i < ns->ncands; i++)
			same = !strcmp(ns->cands[i].path, fresh[k].cands[i].path) &&
				git_oid_equal(&ns->cands[i].id, &fresh[k].cands[i].id);
		if (!same) {
			struct tree_entry *tmp = ns->cands;
			size_t ta = ns->acands;
			needset_clear_cands(ns);
			ns->cands = fresh[k].cands;
			ns->ncands = fresh[k].ncands;
			ns->acands = fresh[k].acands;
			fresh[k].cands = tmp;
			fresh[k].ncands = 0;
			fresh[k].acands = ta;
			gate_crd_set_free(ns->set);
			gate_crd_set_new(&ns->set, strict);
			gate_crd_set_want(ns->set, ns->need.group, ns->need.kind);
			for (i = 0; i < ns->ncands; i++) {
				const struct gate_tree_facts *cf;
				struct have_ctx hc;
				char *b = NULL;
				size_t l = 0;
				/*
				 * a file whose every version of the kind is held already adds
				 * nothing (the first definition wins): not read nor parsed
				 */
				hc.set = ns->set;
				hc.need = &ns->need;
				if ((cf = gate_judge__indexed_facts(j, memo, &ns->cands[i].id)) &&
				    !gate_tree_facts_crd_adds(cf, ns->need.group, ns->need.kind, set_has, &hc))
					continue;
				if ((error = gate_judge__read_tree_blob(j, &ns->cands[i].id, &b, &l, msg, msgsize)) < 0) {
					/* rebuilt next time */
					gate_crd_set_free(ns->set);
					ns->set = NULL;
					goto done;
				}
				if (b)
					gate_crd_set_add_buffer(ns->set, ns->cands[i].path, b, l, NULL, cmsg,
						sizeof(cmsg));
				free(b);
			}
		}
		sets[k] = ns->set;
	}
done:
	for (k = 0; k < nneeds; k++) {
		needset_clear_cands(&fresh[k]);
		free(fresh[k].cands);
	}
	free(fresh);
	free(yes);
	gate_judge__tree_walk_release(&all);
	return error;
}

/* The group of a result's apiVersion (before the first '/') into a new string. */
static char *result_group(const struct gate_result *r)
{
	const char *slash = strchr(r->api_version, '/');

	return gate_xstrndup(r->api_version, slash ? (size_t)(slash - r->api_version) : 0);
}

/* Does one of sets hold a schema for the resource of r (its group, last version part, kind)? */
static int crd_covers(struct gate_crd_set *const *sets, size_t nsets, const struct gate_result *r)
{
	const char *last = strrchr(r->api_version, '/');
	char *group = result_group(r);
	size_t k;
	int yes = 0;

	for (k = 0; k < nsets && !yes; k++)
		yes = gate_crd_set_lookup(sets[k], group, last ? last + 1 : r->api_version,
			r->kind) != NULL;
	free(group);
	return yes;
}

/*
 * Judge again the changed files holding custom resources the schema store
 * had no schema for, against the CRDs of the tree that describe them.
 */
int gate_judge__crd_rejudge(struct gate_judge *j, struct gate_judged_commit *cm, struct crdcache *cc,
	struct fmemo *memo, char *msg, size_t msgsize)
{
	const struct gate_config_group *groups;
	struct gate_crd_set **sets = NULL;
	struct crdneed *needs = NULL;
	size_t i, f, k, ng, nneeds = 0, aneeds = 0, first = 0, any = 0;
	int error = 0;

	for (f = 0; f < cm->nfiles; f++)
		for (i = 0; cm->files[f].group >= 0 && i < cm->files[f].results.n; i++) {
			const struct gate_result *r = &cm->files[f].results.v[i];
			char *g;
			if (!wants_crd(r) || !r->kind)
				continue;
			if (!nneeds)
				first = f;
			g = result_group(r);
			for (k = 0; k < nneeds; k++)
				if (!strcmp(needs[k].group, g) && !strcmp(needs[k].kind, r->kind))
					break;
			if (k < nneeds) {
				free(g);
				continue;
			}
			GATE_ALLOC_GROW(needs, nneeds + 1, aneeds);
			needs[nneeds].group = g;
			needs[nneeds].kind = gate_xstrdup(r->kind);
			nneeds++;
		}
	if (!nneeds)
		return 0;
	groups = gate_config_groups(j->cfg, &ng);
	sets = gate_xcalloc(nneeds, sizeof(*sets));
	/* the strictness of the first file that wants one, for every set */
	if ((error = crdcache_sets(j, cc, memo, &cm->id, groups[cm->files[first].group].strict,
			needs, nneeds, sets, msg, msgsize)) < 0)
		goto done;
	for (k = 0; k < nneeds; k++)
		any += gate_crd_set_count(sets[k]);
	if (!any)
		goto done;
	for (f = 0; f < cm->nfiles; f++) {
		struct gate_judged_file *fl = &cm->files[f];
		struct gate_engine_opts eo;
		struct gate_checker *ck;
		struct gate_results rs = GATE_RESULTS_INIT;
		char *buf = NULL;
		size_t len = 0, nck = 0;
		git_oid id;
		int want = 0;

		/* only where a schema turns up: elsewhere judging again changes nothing */
		for (i = 0; fl->group >= 0 && i < fl->results.n && !want; i++)
			if (wants_crd(&fl->results.v[i]) && fl->results.v[i].kind &&
			    crd_covers(sets, nneeds, &fl->results.v[i]))
				want = 1;
		if (!want)
			continue;
		git_oid_fromstr(&id, fl->blob);
		if ((error = gate_judge__read_tree_blob(j, &id, &buf, &len, msg, msgsize)) < 0)
			goto done;
		if (!buf)
			continue;
		eo = j->eopts[fl->group];
		/*
		 * the sets' checkers first; each (group, kind) is in one set only,
		 * so together they act as one set holding them all
		 */
		ck = gate_xcalloc(eo.ncheckers + nneeds, sizeof(*ck));
		for (k = 0; k < nneeds; k++)
			if (gate_crd_set_count(sets[k]))
				gate_crd_set_checker(sets[k], &ck[nck++]);
		for (k = 0; k < eo.ncheckers; k++)
			ck[nck++] = eo.checkers[k];
		eo.checkers = ck;
		eo.ncheckers = nck;
		if (gate_engine_validate_buffer(&eo, fl->path, buf, len, &rs) < 0) {
			gate_set_msg(msg, msgsize, "the validation engine failed");
			error = -1;
		} else {
			/* keep the secret findings (valid results without a kind), which are not the engine's */
			for (i = 0; i < fl->results.n; i++)
				if (!fl->results.v[i].kind && fl->results.v[i].status == GATE_STATUS_VALID) {
					*gate_results_add(&rs) = fl->results.v[i];
					memset(&fl->results.v[i], 0, sizeof(fl->results.v[i]));
				}
			gate_results_release(&fl->results);
			gate_results_move(&fl->results, &rs);
		}
		gate_results_release(&rs);
		free(ck);
		free(buf);
		if (error < 0)
			goto done;
	}
done:
	free(sets);
	needs_free(needs, nneeds);
	return error;
}

