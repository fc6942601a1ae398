/*
 * blob_memo: an open-addressing table of blob contents by id (see
 * include/gate/blob_memo.h).  Ids are SHA-1 digests, so their first bytes
 * are already a good hash.
 */
#include "gate/blob_memo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

struct gate_blob_memo_slot {
	git_oid id;
	char *data; /* NULL: a free slot */
	size_t len;
};

static size_t slot_of(const struct gate_blob_memo *m, const git_oid *id)
{
	uint64_t h;

	memcpy(&h, id->id, sizeof(h));
	return (size_t)(h & (m->nslots - 1));
}

static struct gate_blob_memo_slot *find(const struct gate_blob_memo *m, const git_oid *id)
{
	size_t i;

	if (!m->nslots)
		return NULL;
	for (i = slot_of(m, id); m->slots[i].data; i = (i + 1) & (m->nslots - 1))
		if (!memcmp(m->slots[i].id.id, id->id, sizeof(id->id)))
			return &m->slots[i];
	return &m->slots[i];
}

const char *gate_blob_memo_get(struct gate_blob_memo *m, const git_oid *id, size_t *len)
{
	struct gate_blob_memo_slot *s = find(m, id);

	if (!s || !s->data)
		return NULL;
	m->hits++;
	*len = s->len;
	return s->data;
}

static void grow(struct gate_blob_memo *m)
{
	struct gate_blob_memo old = *m;
	size_t i;

	m->nslots = old.nslots ? 2 * old.nslots : 256;
	m->slots = gate_xcalloc(m->nslots, sizeof(*m->slots));
	for (i = 0; i < old.nslots; i++)
		if (old.slots[i].data)
			*find(m, &old.slots[i].id) = old.slots[i];
	free(old.slots);
}

void gate_blob_memo_put(struct gate_blob_memo *m, const git_oid *id, const char *data, size_t len)
{
	struct gate_blob_memo_slot *s;

	if (len > GATE_BLOB_MEMO_MAX_BLOB || m->bytes + len > GATE_BLOB_MEMO_MAX_BYTES)
		return;
	if (2 * (m->n + 1) > m->nslots)
		grow(m);
	s = find(m, id);
	if (s->data)
		return; /* kept already: the same content */
	s->id = *id;
	s->data = gate_xmalloc(len + 1);
	if (len)
		memcpy(s->data, data, len);
	s->data[len] = '\0';
	s->len = len;
	m->n++;
	m->bytes += len;
}

void gate_blob_memo_release(struct gate_blob_memo *m)
{
	size_t i;

	for (i = 0; i < m->nslots; i++)
		free(m->slots[i].data);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
