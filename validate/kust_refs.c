/*
 * kust_refs.c: the folders a kustomization file may enter (see
 * include/gate/kust_refs.h).
 */
#include "gate/kust_refs.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "render_int.h"

struct first_doc {
	const char *part;
	size_t len;
	uint32_t line;
	int found;
};

/* gate_doc_split()'s fn: the first part that holds more than blanks and comments */
static int first_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct first_doc *fd = payload;
	size_t i;
	int text = 0, comment = 0;

	for (i = 0; i < len && !text; i++) {
		if (part[i] == '\n')
			comment = 0;
		else if (part[i] == '#' && !comment)
			comment = 1;
		else if (!comment && part[i] != ' ' && part[i] != '\t' && part[i] != '\r')
			text = 1;
	}
	if (!text)
		return 0;
	fd->part = part;
	fd->len = len;
	fd->line = line;
	fd->found = 1;
	return 1;
}

static void add_name(struct gate_kust_refs *r, const char *s, size_t len)
{
	GATE_ALLOC_GROW(r->names, r->n + 1, r->alloc);
	r->names[r->n++] = gate_xstrndup(s, len);
}

void gate_kust_refs_parse(struct gate_kust_refs *out, const char *buf, size_t len,
	const struct gate_doc_limits *lim)
{
	static const char *const fields[] = { "resources", "bases", "components", "generators",
		"transformers", "validators", NULL };
	struct first_doc fd;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;
	const char *kind;
	size_t f, i;

	memset(out, 0, sizeof(*out));
	memset(&fd, 0, sizeof(fd));
	if (!buf || !len)
		return;
	gate_doc_split(buf, len, first_part, &fd);
	if (!fd.found || gate_doc_parse(&doc, fd.part, fd.len, fd.line, lim, 0, &err) < 0 || !doc->root ||
	    doc->root->type != GATE_NODE_OBJECT)
		goto done;
	kind = gate_node_get_str(doc->root, "kind");
	out->component = kind && !strcmp(kind, "Component");
	for (f = 0; fields[f]; f++) {
		const struct gate_node *list = gate_node_get(doc->root, fields[f]);
		for (i = 0; list && list->type == GATE_NODE_ARRAY && i < list->len; i++) {
			const struct gate_node *e = &list->u.items[i];
			if (e->type != GATE_NODE_STRING || !e->len || memchr(e->u.str, '\n', e->len) ||
			    rremote(e->u.str))
				continue;
			add_name(out, e->u.str, e->len);
		}
	}
done:
	gate_doc_free(doc);
}

void gate_kust_refs_release(struct gate_kust_refs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

int gate_kust_refs_serialize(const struct gate_kust_refs *r, struct gate_buf *out)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strchr(r->names[i], '\n') || !*r->names[i])
			return -1;
	gate_buf_adds(out, r->component ? "C\n" : "K\n");
	for (i = 0; i < r->n; i++) {
		gate_buf_adds(out, r->names[i]);
		gate_buf_addc(out, '\n');
	}
	return 0;
}

int gate_kust_refs_deserialize(struct gate_kust_refs *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	if (len < 2 || (text[0] != 'K' && text[0] != 'C') || text[1] != '\n' || text[len - 1] != '\n')
		return -1;
	out->component = text[0] == 'C';
	for (p = text + 2; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p) {
			gate_kust_refs_release(out);
			return -1;
		}
		add_name(out, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}
