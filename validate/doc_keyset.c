/*
 * doc_keyset.c: the set of keys of one big mapping, for duplicate keys and
 * merges (open addressing).  Private to the doc module.
 */
#include "doc_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

static void ks_settab(struct keyset *ks, size_t cap)
{
	if (cap > ks->tab_alloc) {
		free(ks->tab);
		ks->tab = gate_xcalloc(cap, sizeof(*ks->tab));
		ks->tab_alloc = cap;
	} else {
		memset(ks->tab, 0, cap * sizeof(*ks->tab));
	}
	ks->cap = cap;
}

void gate_doc__ks_reset(struct keyset *ks, size_t expect)
{
	size_t cap = 32;

	while (cap < expect * 2)
		cap <<= 1;
	ks_settab(ks, cap);
	ks->n = 0;
}

struct kent *gate_doc__ks_find(struct keyset *ks, const char *k, uint32_t len, uint32_t h)
{
	size_t mask = ks->cap - 1, i = h & mask;

	while (ks->tab[i]) {
		struct kent *e = &ks->ents[ks->tab[i] - 1];
		if (e->hash == h && e->len == len && memcmp(e->key, k, len) == 0)
			return e;
		i = (i + 1) & mask;
	}
	return NULL;
}

static void ks_insert_slot(struct keyset *ks, size_t ent)
{
	size_t mask = ks->cap - 1, i = ks->ents[ent].hash & mask;

	while (ks->tab[i])
		i = (i + 1) & mask;
	ks->tab[i] = (uint32_t)ent + 1;
}

/* Add a key known to be absent. */
void gate_doc__ks_add(struct keyset *ks, const char *k, uint32_t len, uint32_t h, size_t idx)
{
	size_t i;

	if ((ks->n + 1) * 2 > ks->cap) {
		ks_settab(ks, ks->cap * 2);
		for (i = 0; i < ks->n; i++)
			ks_insert_slot(ks, i);
	}
	GATE_ALLOC_GROW(ks->ents, ks->n + 1, ks->alloc);
	ks->ents[ks->n].key = k;
	ks->ents[ks->n].len = len;
	ks->ents[ks->n].hash = h;
	ks->ents[ks->n].idx = idx;
	ks_insert_slot(ks, ks->n);
	ks->n++;
}

void gate_doc__ks_release(struct keyset *ks)
{
	free(ks->tab);
	free(ks->ents);
}
