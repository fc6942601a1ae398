/*
 * doc_arena.c: the arena of one document (big blocks, bump allocation):
 * every node, string and child array of a document lives in it and is
 * released at once.  Private to the doc module; the inline fast path of
 * allocation is in doc_int.h.
 */
#include "doc_int.h"

#include <stdlib.h>

#include "gate/util.h"

struct ablock {
	struct ablock *next;
	size_t pad; /* keeps the payload 16-byte aligned */
};

#define ARENA_MAX_BLOCK ((size_t)8 << 20)

static void *arena_block(struct gate_arena *a, size_t size)
{
	struct ablock *b = gate_xmalloc(sizeof(*b) + size);

	b->next = a->blocks;
	a->blocks = b;
	return b + 1;
}

struct gate_arena *gate_doc__arena_new(size_t first)
{
	struct gate_arena *a = gate_xcalloc(1, sizeof(*a));

	a->cur = arena_block(a, first);
	a->end = a->cur + first;
	a->next_size = first * 2 > ARENA_MAX_BLOCK ? ARENA_MAX_BLOCK : first * 2;
	return a;
}

void gate_doc__arena_free(struct gate_arena *a)
{
	struct ablock *b, *next;

	if (!a)
		return;
	for (b = a->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *gate_doc__arena_slow(struct gate_arena *a, size_t n)
{
	char *p;

	if (n > a->next_size / 4)
		return arena_block(a, n); /* a block of its own; keep the current one */
	p = arena_block(a, a->next_size);
	a->cur = p + n;
	a->end = p + a->next_size;
	if (a->next_size < ARENA_MAX_BLOCK)
		a->next_size *= 2;
	return p;
}
