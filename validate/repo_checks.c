/*
 * repo_checks: duplicate objects and dangling references within a unit of a
 * tree.  See include/gate/repo_checks.h.
 */
#include "gate/repo_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/k8s.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "repo_checks_int.h"

#define MAX_PROBLEMS 1000 /* reported by one run */

/* ---- one tree ---- */

struct tfile {
	char *path;
	char *dir;        /* folder, "" at the root */
	int changed;
	int kustomization;
	long unit;        /* index of the unit's folder among units, -1 not set */
	int needed;
	int is_patch;
	const struct gate_tree_facts *facts;
};

struct gate_tree_check {
	struct tfile *v;
	size_t n, alloc;
};

void gate_tree_check_new(struct gate_tree_check **out)
{
	*out = gate_xcalloc(1, sizeof(**out));
}

void gate_tree_check_free(struct gate_tree_check *tc)
{
	size_t i;

	if (!tc)
		return;
	for (i = 0; i < tc->n; i++) {
		free(tc->v[i].path);
		free(tc->v[i].dir);
	}
	free(tc->v);
	free(tc);
}

size_t gate_tree_check_add(struct gate_tree_check *tc, const char *path, int changed)
{
	struct tfile *t;
	const char *slash = strrchr(path, '/');

	GATE_ALLOC_GROW(tc->v, tc->n + 1, tc->alloc);
	t = &tc->v[tc->n];
	memset(t, 0, sizeof(*t));
	t->path = gate_xstrdup(path);
	t->dir = slash ? gate_xstrndup(path, (size_t)(slash - path)) : gate_xstrdup("");
	t->changed = changed;
	t->kustomization = gate_unit_is_kustomization_path(path);
	t->unit = -1;
	return tc->n++;
}

/* A small string set/map: sorted array + bsearch is enough at these sizes. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_tfile_path(const void *a, const void *b)
{
	return strcmp((*(const struct tfile *const *)a)->path, (*(const struct tfile *const *)b)->path);
}

/* FNV-1a */
static size_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

struct kdirs {
	char **v;
	size_t n;
};

/* gate_unit_holds_fn: is dir in the sorted list of kustomization folders? */
static int in_kdirs(const char *dir, void *payload)
{
	const struct kdirs *k = payload;

	return k->n && bsearch(&dir, k->v, k->n, sizeof(*k->v), cmp_str) != NULL;
}

/* Join a kustomization folder and a relative path, resolving "." and "..". */
static char *join_path(const char *dir, const char *rel)
{
	struct gate_buf b = GATE_BUF_INIT;
	char *tmp = *dir ? gate_xasprintf("%s/%s", dir, rel) : gate_xstrdup(rel);
	char *save = NULL, *tok, *out;
	char **parts = NULL;
	size_t n = 0, alloc = 0, i;

	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n)
				n--;
			continue;
		}
		GATE_ALLOC_GROW(parts, n + 1, alloc);
		parts[n++] = tok;
	}
	for (i = 0; i < n; i++) {
		if (i)
			gate_buf_addc(&b, '/');
		gate_buf_adds(&b, parts[i]);
	}
	out = b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
	free(parts);
	free(tmp);
	return out;
}

static int same_ns(const char *a, const char *b)
{
	return !*a || !*b || !strcmp(a, b);
}

struct seen {
	const struct fobj *o;
	size_t file;
	uint64_t h; /* of the identity (kind, name, group, namespace) */
};

/* FNV-1a 64 of an object's identity, its fields apart */
static uint64_t ident_hash(const struct fobj *o)
{
	const char *f[4];
	uint64_t h = 14695981039346656037ull;
	size_t i;

	f[0] = o->kind;
	f[1] = o->name;
	f[2] = o->group;
	f[3] = o->ns;
	for (i = 0; i < 4; i++) {
		const unsigned char *p = (const unsigned char *)f[i];
		for (; *p; p++) {
			h ^= *p;
			h *= 1099511628211ull;
		}
		h ^= 0xff; /* between fields (a hash shared by chance only keeps an entry for the full comparison) */
		h *= 1099511628211ull;
	}
	return h;
}

static int cmp_hash(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

/*
 * Keep only the entries whose identity hash another entry shares (the only
 * ones that can be duplicates): sorting them alone by identity gives the
 * runs a sort of all would give, in the same order.  Returns how many.
 */
static size_t keep_shared(struct seen *seen, size_t n)
{
	size_t i = 0, e, m = 0;

	qsort(seen, n, sizeof(*seen), cmp_hash);
	while (i < n) {
		for (e = i + 1; e < n && seen[e].h == seen[i].h; e++)
			;
		if (e - i > 1) {
			memmove(seen + m, seen + i, (e - i) * sizeof(*seen));
			m += e - i;
		}
		i = e;
	}
	return m;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c;

	if ((c = strcmp(x->o->kind, y->o->kind)) || (c = strcmp(x->o->name, y->o->name)) ||
	    (c = strcmp(x->o->group, y->o->group)) || (c = strcmp(x->o->ns, y->o->ns)))
		return c;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->o->line < y->o->line ? -1 : x->o->line > y->o->line;
}

/* A core-group object some file of a unit defines. */
struct def {
	const struct fobj *o;
	long unit;
};

static int cmp_def3(long unit, const char *kind, const char *name, const struct def *d)
{
	int c;

	if (unit != d->unit)
		return unit < d->unit ? -1 : 1;
	if ((c = strcmp(kind, d->o->kind)))
		return c;
	return strcmp(name, d->o->name);
}

static int cmp_def(const void *a, const void *b)
{
	const struct def *y = b;
	const struct def *x = a;

	return cmp_def3(x->unit, x->o->kind, x->o->name, y);
}

/* Does unit define r (same kind and name, a compatible namespace)? */
static int defined(const struct def *defs, size_t n, long unit, const struct fref *r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_def3(unit, r->kind, r->name, &defs[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !cmp_def3(unit, r->kind, r->name, &defs[lo]); lo++)
		if (same_ns(defs[lo].o->ns, r->ns))
			return 1;
	return 0;
}

static void obj_result(struct gate_results *out, const struct tfile *t, const struct fobj *o,
	const char *api, enum gate_severity sev, const char *rule, const char *pointer,
	uint32_t line, uint32_t col, const char *msg)
{
	struct gate_result *r = gate_results_add(out);

	r->filename = gate_xstrdup(t->path);
	r->line = o ? o->line : line;
	r->api_version = gate_xstrdup(api);
	r->kind = gate_xstrdup(o ? o->kind : NULL);
	r->name = gate_xstrdup(o ? o->name : NULL);
	r->namespace_ = o && *o->ns ? gate_xstrdup(o->ns) : NULL;
	r->status = sev == GATE_SEV_DENY ? GATE_STATUS_INVALID : GATE_STATUS_VALID;
	gate_result_add_problem(r, pointer, line, col, rule, sev, msg);
	if (sev == GATE_SEV_DENY)
		r->msg = gate_xstrdup(msg);
}

/* Each file's unit (tc->v[].unit), and which files share one with a changed file (needed). */
static void assign_units(struct gate_tree_check *tc)
{
	char **kdirs = NULL, **units = NULL;
	size_t nk = 0, ak = 0, nunits = 0, aunits = 0, i;
	size_t *uslots = NULL, nuslots = 16;

	/* units: kustomization folders, else each file's folder */
	while (nuslots < 2 * tc->n + 2)
		nuslots *= 2;
	for (i = 0; i < tc->n; i++)
		if (tc->v[i].kustomization) {
			GATE_ALLOC_GROW(kdirs, nk + 1, ak);
			kdirs[nk++] = tc->v[i].dir;
		}
	if (nk)
		qsort(kdirs, nk, sizeof(*kdirs), cmp_str);
	/* the same unit key, the same index: a hash of the keys keeps this linear */
	uslots = gate_xcalloc(nuslots, sizeof(*uslots));
	for (i = 0; i < tc->n; i++) {
		struct kdirs kd = { kdirs, nk };
		size_t ulen = 0;
		int kust = gate_unit_find(tc->v[i].dir, in_kdirs, &kd, &ulen);
		char *key = gate_xasprintf("%c%.*s", kust ? 'k' : 'd', (int)ulen, tc->v[i].dir);
		size_t s = str_hash(key) & (nuslots - 1);

		while (uslots[s] && strcmp(units[uslots[s] - 1], key))
			s = (s + 1) & (nuslots - 1);
		if (!uslots[s]) {
			GATE_ALLOC_GROW(units, nunits + 1, aunits);
			units[nunits++] = key;
			uslots[s] = nunits;
		} else {
			free(key);
		}
		tc->v[i].unit = (long)(uslots[s] - 1);
	}
	/* the files sharing a unit with a changed file */
	{
		char *changed_unit = gate_xcalloc(nunits ? nunits : 1, 1);
		for (i = 0; i < tc->n; i++)
			if (tc->v[i].changed)
				changed_unit[tc->v[i].unit] = 1;
		for (i = 0; i < tc->n; i++)
			tc->v[i].needed = changed_unit[tc->v[i].unit];
		free(changed_unit);
	}
	for (i = 0; i < nunits; i++)
		free(units[i]);
	free(units);
	free(uslots);
	free(kdirs);
}

/* Mark the needed files a kustomization names as patches: they define nothing. */
static void mark_patches(struct gate_tree_check *tc)
{
	struct tfile **byname = NULL;
	size_t nbyname = 0, abyname = 0, i, k;

	/* needed files by path: a binary search */
	for (i = 0; i < tc->n; i++)
		if (tc->v[i].needed) {
			GATE_ALLOC_GROW(byname, nbyname + 1, abyname);
			byname[nbyname++] = &tc->v[i];
		}
	if (nbyname)
		qsort(byname, nbyname, sizeof(*byname), cmp_tfile_path);
	for (i = 0; i < tc->n; i++) {
		const struct gate_tree_facts *f = tc->v[i].facts;
		for (k = 0; f && k < f->npatches; k++) {
			char *p = join_path(tc->v[i].dir, f->patches[k]);
			size_t lo = 0, hi = nbyname;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(byname[mid]->path, p) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < nbyname && !strcmp(byname[lo]->path, p); lo++)
				byname[lo]->is_patch = 1;
			free(p);
		}
	}
	free(byname);
}

/* Objects defined twice within one unit, reported on a changed file. */
static void report_duplicates(struct gate_tree_check *tc, struct gate_results *out, size_t *nprob)
{
	struct seen *seen = NULL;
	size_t nseen = 0, aseen = 0, i, k;

	/* sort every object of the needed files by identity and unit */
	for (i = 0; i < tc->n; i++) {
		const struct gate_tree_facts *f = tc->v[i].facts;
		if (!f || tc->v[i].is_patch)
			continue;
		for (k = 0; k < f->nobjs; k++) {
			if (f->objs[k].generated)
				continue;
			GATE_ALLOC_GROW(seen, nseen + 1, aseen);
			seen[nseen].o = &f->objs[k];
			seen[nseen].file = i;
			seen[nseen].h = ident_hash(&f->objs[k]);
			nseen++;
		}
	}
	if (nseen)
		nseen = keep_shared(seen, nseen);
	if (nseen)
		qsort(seen, nseen, sizeof(*seen), cmp_seen);
	for (i = 0; i < nseen && *nprob < MAX_PROBLEMS; ) {
		size_t e = i + 1, a, b;
		while (e < nseen && !strcmp(seen[e].o->kind, seen[i].o->kind) &&
		       !strcmp(seen[e].o->name, seen[i].o->name) &&
		       !strcmp(seen[e].o->group, seen[i].o->group) &&
		       !strcmp(seen[e].o->ns, seen[i].o->ns))
			e++;
		/* within [i, e): pairs in one unit; report each changed later one against the first */
		for (b = i; b < e && *nprob < MAX_PROBLEMS; b++) {
			const struct tfile *tb = &tc->v[seen[b].file];
			for (a = i; a < b; a++) {
				const struct tfile *ta = &tc->v[seen[a].file];
				char *m;
				if (ta->unit != tb->unit)
					continue;
				if (!tb->changed && !ta->changed)
					break;
				/* report on a changed file, naming the other place */
				if (tb->changed)
					m = gate_xasprintf("%s \"%s\"%s%s%s is defined twice: also at %s:%u",
						seen[b].o->kind, seen[b].o->name, *seen[b].o->ns ? " in namespace \"" : "",
						seen[b].o->ns, *seen[b].o->ns ? "\"" : "", ta->path, seen[a].o->line);
				else
					m = gate_xasprintf("%s \"%s\"%s%s%s is defined twice: also at %s:%u",
						seen[a].o->kind, seen[a].o->name, *seen[a].o->ns ? " in namespace \"" : "",
						seen[a].o->ns, *seen[a].o->ns ? "\"" : "", tb->path, seen[b].o->line);
				if (tb->changed)
					obj_result(out, tb, seen[b].o, NULL, GATE_SEV_DENY,
						GATE_RULE_DUPLICATE_OBJECT, NULL, seen[b].o->line, 1, m);
				else
					obj_result(out, ta, seen[a].o, NULL, GATE_SEV_DENY,
						GATE_RULE_DUPLICATE_OBJECT, NULL, seen[a].o->line, 1, m);
				free(m);
				(*nprob)++;
				break;
			}
		}
		i = e;
	}
	free(seen);
}

/* References of changed files to objects their unit does not define. */
static void report_missing(struct gate_tree_check *tc, struct gate_results *out, size_t *nprob)
{
	struct def *defs = NULL;
	size_t ndefs = 0, adefs = 0, i, k;

	for (i = 0; i < tc->n; i++) {
		const struct gate_tree_facts *f = tc->v[i].facts;
		if (!f)
			continue;
		for (k = 0; k < f->nobjs; k++) {
			if (f->objs[k].group[0])
				continue;
			GATE_ALLOC_GROW(defs, ndefs + 1, adefs);
			defs[ndefs].o = &f->objs[k];
			defs[ndefs].unit = tc->v[i].unit;
			ndefs++;
		}
	}
	if (ndefs)
		qsort(defs, ndefs, sizeof(*defs), cmp_def);
	for (i = 0; i < tc->n && *nprob < MAX_PROBLEMS; i++) {
		const struct tfile *t = &tc->v[i];
		const struct gate_tree_facts *f = t->facts;
		if (!f || !t->changed || t->is_patch)
			continue;
		for (k = 0; k < f->nrefs && *nprob < MAX_PROBLEMS; k++) {
			const struct fref *r = &f->refs[k];
			if (!defined(defs, ndefs, t->unit, r)) {
				struct fobj from;
				char *msg = gate_xasprintf("refers to %s \"%s\", which no manifest of %s defines",
					r->kind, r->name, t->dir[0] ? "this folder or kustomization" :
					"the top folder");
				memset(&from, 0, sizeof(from));
				from.kind = r->from_kind;
				from.name = r->from_name;
				from.ns = r->ns;
				from.line = r->res_line;
				obj_result(out, t, &from, r->from_api, GATE_SEV_WARN,
					GATE_RULE_MISSING_REFERENCE, r->pointer, r->line, r->col, msg);
				free(msg);
				(*nprob)++;
			}
		}
	}
	free(defs);
}

int gate_tree_check_run(struct gate_tree_check *tc, gate_tree_load_fn load, void *payload,
	struct gate_results *out)
{
	size_t i, nprob = 0;
	int error;

	assign_units(tc);
	for (i = 0; i < tc->n; i++) {
		if (!tc->v[i].needed)
			continue;
		tc->v[i].facts = NULL;
		if ((error = load(payload, i, tc->v[i].path, &tc->v[i].facts)) < 0)
			return error;
	}
	mark_patches(tc);
	report_duplicates(tc, out, &nprob);
	report_missing(tc, out, &nprob);
	return 0;
}
