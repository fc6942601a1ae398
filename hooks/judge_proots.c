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
		if (gate_judge__past_root(p->j, p->j->roots_seen + k))
			job->error = GATE_JUDGE_ETIMEOUT;
		else
			gate_judge__root_build(p->j, p->t, p->cm, &p->rs->v[k], p->rcache, &p->mu, job);
		if (job->error)
			note_failed(p, k);
	}
	return NULL;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(a, b, GATE_SHA256_HEX);
}

/*
 * Have the roots distinct render-index keys?  The keys themselves are
 * compared (both of a root's keys hash the same fields), so this cannot
 * drift from what the index holds.
 */
static int keys_distinct(const struct gate_judge *j, const struct roots *rs)
{
	char (*keys)[GATE_SHA256_HEX] = gate_xcalloc(rs->n, sizeof(*keys));
	size_t i;
	int ok = 1;

	for (i = 0; i < rs->n; i++)
		gate_judge__rindex_root_key(j, &rs->v[i], keys[i]);
	qsort(keys, rs->n, sizeof(*keys), by_key);
	for (i = 1; i < rs->n && ok; i++)
		ok = memcmp(keys[i - 1], keys[i], GATE_SHA256_HEX) != 0;
	free(keys);
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
	    rs->n < 2 || !keys_distinct(j, rs))
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
