#include "gate/result.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

struct gate_result *gate_results_add(struct gate_results *rs)
{
	struct gate_result *r;

	GATE_ALLOC_GROW(rs->v, rs->n + 1, rs->alloc);
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

struct gate_problem *gate_result_add_problem(struct gate_result *r, const char *pointer,
	uint32_t line, uint32_t col, const char *rule, enum gate_severity sev,
	const char *message)
{
	struct gate_problem *p;

	GATE_ALLOC_GROW(r->problems, r->nproblems + 1, r->aproblems);
	p = &r->problems[r->nproblems++];
	p->pointer = gate_xstrdup(pointer);
	p->line = line;
	p->col = col;
	p->rule = gate_xstrdup(rule);
	p->severity = sev;
	p->message = gate_xstrdup(message);
	p->suppressed = NULL;
	return p;
}

void gate_results_move(struct gate_results *dst, struct gate_results *src)
{
	if (!src->n)
		return;
	GATE_ALLOC_GROW(dst->v, dst->n + src->n, dst->alloc);
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	free(src->v);
	src->v = NULL;
	src->n = src->alloc = 0;
}

void gate_result_release(struct gate_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nproblems; i++) {
		free(r->problems[i].pointer);
		free(r->problems[i].rule);
		free(r->problems[i].message);
		free(r->problems[i].suppressed);
	}
	free(r->problems);
	free(r->filename);
	free(r->api_version);
	free(r->kind);
	free(r->name);
	free(r->namespace_);
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

void gate_results_release(struct gate_results *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		gate_result_release(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->alloc = 0;
}

const char *gate_status_name(enum gate_status s)
{
	switch (s) {
	case GATE_STATUS_VALID: return "statusValid";
	case GATE_STATUS_INVALID: return "statusInvalid";
	case GATE_STATUS_ERROR: return "statusError";
	case GATE_STATUS_SKIPPED: return "statusSkipped";
	case GATE_STATUS_EMPTY: return "statusEmpty";
	}
	return "statusError";
}
