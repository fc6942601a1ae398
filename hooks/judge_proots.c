/*
 * judge_proots.c: the deployment roots of one commit built on the judge's
 * threads.  A first push of a fleet holds hundreds of roots (the 64-copy
 * fleet: 832), each built and judged on its own: one after the other they
 * used one core of two for a second.
 *
 * Each root's build runs apart (gate_judge__root_build(): it changes only
 * its job, see judge_render_int.h); its effects on the commit (the files it
 * hands over to the renders and their secret scans, the results it adds,
 * its inputs kept in the render index) are merged afterwards, one root after
 * the other in root order, exactly as the builds one after the other made
 * them.  What builds share is safe to share: the tree's lookup table and
 * the index lookups are used under one mutex (the builds spend their time
 * parsing, rendering and judging, outside it), the parse cache and the blob
 * memo have their own.
 *
 * Only a commit judged on its whole tree (a new branch's first commit, a
 * tip with nothing accepted yet) is built this way: there every root is touched by the commit and a root's
 * index lookup cannot depend on what an earlier root of the same commit did,
 * unless two roots have the same index key (the same folder and options,
 * named twice): then, and for a commit judged on its changes, the builds run
 * one after the other as before.  The first root that fails (out of time, a
 * blob that cannot be read) stops the roots after it; those before it are
 * built and merged, so the commit's results and the message are the serial
 * ones.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "judge_int.h"
#include "judge_render_int.h"

#define WORKER_STACK (16u << 20) /* as the engine's threads: deep documents recurse */
#define MAX_WORKERS 64

struct prun {
	struct gate_judge *j;
	struct rtree *t;
	const struct gate_judged_commit *cm;
	const struct roots *rs;
	struct gate_render_cache *rcache;
	pthread_mutex_t mu;
	struct rjob *jobs;
	atomic_size_t next;
	atomic_size_t stop; /* the first root whose build failed, rs->n: none yet */
};

static void note_failed(struct prun *p, size_t k)
{
	size_t cur = atomic_load(&p->stop);

	while (k < cur && !atomic_compare_exchange_weak(&p->stop, &cur, k))
		;
}

static void *worker(void *arg)
{
	struct prun *p = arg;
	size_t k;

	/* roots are taken in order: once one is past the first failure, so are the rest */
	while ((k = atomic_fetch_add(&p->next, 1)) < p->rs->n && k <= atomic_load(&p->stop)) {
		struct rjob *job = &p->jobs[k];
		job->msg = gate_xcalloc(1, p->t->msgsize ? p->t->msgsize : 1);
		if (gate_judge__past_deadline(p->j))
			job->error = GATE_JUDGE_ETIMEOUT;
		else
			gate_judge__root_build(p->j, p->t, p->cm, &p->rs->v[k], p->rcache, &p->mu, job);
		if (job->error)
			note_failed(p, k);
	}
	return NULL;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int by_dir(const void *a, const void *b)
{
	return strcmp((*(const struct root *const *)a)->dir, (*(const struct root *const *)b)->dir);
}

/* Do two roots have the same index key (judge_rindex.c's index_key())? */
static int same_key(const struct root *a, const struct root *b)
{
	return !strcmp(a->dir, b->dir) && !a->flux == !b->flux && same_str(a->overlay, b->overlay) &&
		same_str(a->labels, b->labels) && same_str(a->annots, b->annots) &&
		same_str(a->fv.digest, b->fv.digest) && same_str(a->bad, b->bad);
}

static int keys_distinct(const struct roots *rs)
{
	const struct root **ix = gate_xcalloc(rs->n, sizeof(*ix));
	size_t i, k;
	int ok = 1;

	for (i = 0; i < rs->n; i++)
		ix[i] = &rs->v[i];
	qsort(ix, rs->n, sizeof(*ix), by_dir);
	/* the roots of one folder, pairwise */
	for (i = 0; i < rs->n && ok; i++)
		for (k = i + 1; k < rs->n && ok && !strcmp(ix[i]->dir, ix[k]->dir); k++)
			ok = !same_key(ix[i], ix[k]);
	free(ix);
	return ok;
}

int gate_judge__render_parallel(struct gate_judge *j, struct rtree *t, struct gate_judged_commit *cm,
	const struct roots *rs, struct gate_render_cache *rcache, int *error)
{
	struct prun p;
	pthread_t tids[MAX_WORKERS];
	pthread_attr_t attr;
	size_t i, nthreads, started = 0;

	*error = 0;
	if (j->serial_roots || j->threads < 2 || !gate_repo_reads_in_threads(j->repo) || !cm->whole_tree ||
	    rs->n < 2 || !keys_distinct(rs))
		return 0;
	memset(&p, 0, sizeof(p));
	p.j = j;
	p.t = t;
	p.cm = cm;
	p.rs = rs;
	p.rcache = rcache;
	pthread_mutex_init(&p.mu, NULL);
	p.jobs = gate_xcalloc(rs->n, sizeof(*p.jobs));
	atomic_init(&p.next, 0);
	atomic_init(&p.stop, rs->n);
	nthreads = (size_t)j->threads < rs->n ? (size_t)j->threads : rs->n;
	if (nthreads > MAX_WORKERS)
		nthreads = MAX_WORKERS;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	/* the calling thread builds too */
	for (i = 0; i + 1 < nthreads; i++)
		if (pthread_create(&tids[started], &attr, worker, &p) == 0)
			started++;
	pthread_attr_destroy(&attr);
	worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.mu);
	for (i = 0; i < rs->n; i++) {
		if (!*error)
			*error = gate_judge__root_merge(j, t, cm, &rs->v[i], &p.jobs[i]);
		gate_judge__rjob_release(&p.jobs[i]);
	}
	free(p.jobs);
	return 1;
}
