/*
 * hooks/judge_fpaths.c: a commit's judged files by path, for the renders.
 *
 * Each root's build asks which of the commit's files it read (to hand them
 * over to the renders, and to know whether the commit touched it).  A first
 * push holds every file of the tree, so a scan of all files per read path
 * cost files x reads x roots comparisons (about 3 s of the 64-copy fleet's
 * first push); a sorted index of the files present when the renders start
 * answers in a binary search.  Files added after the index was made (the
 * renders' own entries, a few) are looked at one by one.
 */
#include "judge_render_int.h"

#include <stdlib.h>
#include <string.h>

static int by_path(const void *a, const void *b)
{
	const struct fpath *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

void gate_judge__fpaths_init(struct fpaths *p, const struct gate_judged_commit *cm)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->cm = cm;
	p->n = cm->nfiles;
	if (!p->n)
		return;
	p->v = gate_xcalloc(p->n, sizeof(*p->v));
	/* the paths stay put when cm->files grows: its entries own them */
	for (i = 0; i < p->n; i++) {
		p->v[i].path = cm->files[i].path;
		p->v[i].i = i;
	}
	qsort(p->v, p->n, sizeof(*p->v), by_path);
}

void gate_judge__fpaths_release(struct fpaths *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* First position in p->v whose path is not below path. */
static size_t lower(const struct fpaths *p, const char *path)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(p->v[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t gate_judge__fpaths_next(const struct fpaths *p, const char *path, size_t *it)
{
	const struct gate_judged_commit *cm = p->cm;
	size_t pos;

	/* *it: 0 at the start; 1 + position in p->v; then 1 + n + file index of the tail */
	if (*it == 0)
		*it = 1 + lower(p, path);
	while (*it <= p->n) {
		pos = (*it)++ - 1;
		if (strcmp(p->v[pos].path, path))
			break; /* past the run of equal paths */
		return p->v[pos].i;
	}
	if (*it < 1 + 2 * p->n)
		*it = 1 + 2 * p->n; /* on to the tail: file index p->n */
	while (*it - 1 - p->n < cm->nfiles) {
		pos = (*it)++ - 1 - p->n;
		if (!strcmp(cm->files[pos].path, path))
			return pos;
	}
	return SIZE_MAX;
}

int gate_judge__fpaths_has(const struct fpaths *p, const char *path)
{
	size_t it = 0;

	return gate_judge__fpaths_next(p, path, &it) != SIZE_MAX;
}
