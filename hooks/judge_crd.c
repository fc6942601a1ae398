#include "gate/judge.h"

#include <dirent.h>
#include <errno.h>
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
#include "gate/util.h"
#include "judge_int.h"

static int wants_crd(const struct gate_result *r)
{
	return r->api_version && strchr(r->api_version, '/') &&
		((r->status == GATE_STATUS_ERROR && r->msg &&
		  !strncmp(r->msg, "could not find schema for ", 26)) ||
		 (r->status == GATE_STATUS_SKIPPED && !r->msg));
}


static size_t crdcache_slot(const struct crdcache *cc, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	h &= cc->nslots - 1;
	while (cc->slots[h] && !git_oid_equal(&cc->ids[cc->slots[h] - 1], id))
		h = (h + 1) & (cc->nslots - 1);
	return h;
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
 * The facts kept with the verdict of blob id at path (judged before, maybe
 * by another push), into memo; NULL when there are none.
 */
static const struct gate_tree_facts *kept_facts(struct gate_judge *j, struct fmemo *memo,
	const git_oid *id, const char *path)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_tree_facts *f = NULL;
	char key[GATE_SHA256_HEX], *note = NULL;
	int group = gate_config_group_for(j->cfg, path);

	if (group < 0)
		return NULL;
	gate_judge__verdict_key(j, id, group, path, key);
	if (gate_verdicts_get_note(j->cache, key, path, &rs, &note) == 1 && note &&
	    gate_tree_facts_deserialize(&f, note, strlen(note)) < 0)
		f = NULL;
	gate_results_release(&rs);
	free(note);
	return f ? gate_judge__fmemo_put(memo, id, f) : NULL;
}

/*
 * Which of needs may blob id define a CRD of?  Sets yes[i] for each; returns
 * 0, or negative when the blob is unreadable.  Facts the push holds answer
 * exactly; otherwise the blob's words.
 */
static int crd_candidate(struct gate_judge *j, struct crdcache *cc, struct fmemo *memo,
	const git_oid *id, const char *path, const struct crdneed *needs, size_t nneeds,
	unsigned char *yes, char *msg, size_t msgsize)
{
	const struct gate_tree_facts *f = gate_judge__fmemo_get(memo, id);
	size_t slot, i, u;
	char *b = NULL;
	size_t l = 0;
	int any;

	memset(yes, 0, nneeds);
	if (f) {
		for (i = 0; i < nneeds; i++)
			yes[i] = (unsigned char)gate_tree_facts_defines_crd(f, needs[i].group,
				needs[i].kind);
		return 0;
	}
	if ((cc->n + 1) * 2 > cc->nslots) {
		free(cc->slots);
		cc->nslots = cc->nslots ? cc->nslots * 2 : 1024;
		cc->slots = gate_xcalloc(cc->nslots, sizeof(*cc->slots));
		for (i = 0; i < cc->n; i++)
			cc->slots[crdcache_slot(cc, &cc->ids[i])] = i + 1;
	}
	slot = crdcache_slot(cc, id);
	if (!cc->slots[slot]) {
		if (gate_judge__read_tree_blob(j, id, &b, &l, msg, msgsize) < 0)
			return -1;
		GATE_ALLOC_GROW(cc->ids, cc->n + 1, cc->alloc);
		cc->maybe = gate_xreallocarray(cc->maybe, cc->alloc, 1);
		cc->words = gate_xreallocarray(cc->words, cc->alloc, sizeof(*cc->words));
		cc->asked = gate_xreallocarray(cc->asked, cc->alloc, 1);
		git_oid_cpy(&cc->ids[cc->n], id);
		cc->maybe[cc->n] = (unsigned char)(b && gate_crd_maybe(b, l));
		cc->words[cc->n] = NULL;
		cc->asked[cc->n] = 0;
		cc->slots[slot] = ++cc->n;
	}
	u = cc->slots[slot] - 1;
	if (cc->maybe[u] && !cc->words[u]) {
		if (!b && gate_judge__read_tree_blob(j, id, &b, &l, msg, msgsize) < 0)
			return -1;
		gate_crd_words_new(&cc->words[u], b ? b : "", b ? l : 0);
	}
	free(b);
	for (i = 0, any = 0; cc->maybe[u] && i < nneeds; i++)
		any |= yes[i] = (unsigned char)gate_crd_words_may_define(cc->words[u], needs[i].group,
			needs[i].kind);
	/* the words may: the facts kept with the blob's verdict say for sure (asked once) */
	if (any && !cc->asked[u] && j->cache) {
		cc->asked[u] = 1;
		if ((f = kept_facts(j, memo, id, path)))
			for (i = 0; i < nneeds; i++)
				yes[i] = (unsigned char)gate_tree_facts_defines_crd(f, needs[i].group,
					needs[i].kind);
	}
	return 0;
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
	if ((error = gate_repo_tree_changes(j->repo, commit, 1, gate_judge__tree_entry_fn, &all, msg, msgsize)) < 0)
		goto done;
	for (i = 0; i < all.n; i++) {
		if (gate_judge__past_deadline(j)) {
			error = GATE_JUDGE_ETIMEOUT;
			goto done;
		}
		if ((error = crd_candidate(j, cc, memo, &all.v[i].id, all.v[i].path, needs, nneeds,
				yes, msg, msgsize)) < 0)
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
				char *b = NULL;
				size_t l = 0;
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

