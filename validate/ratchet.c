#include "gate/ratchet.h"

#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/k8s.h"
#include "gate/util.h"

static const char *const container_lists[] = { "containers", "initContainers",
	"ephemeralContainers", "sidecars", "steps", NULL };

static int is_index(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int is_container_list(const char *s, size_t n)
{
	size_t i;

	for (i = 0; container_lists[i]; i++)
		if (strlen(container_lists[i]) == n && !strncmp(container_lists[i], s, n))
			return 1;
	return 0;
}

char *gate_ratchet_part(const char *pointer)
{
	const char *p, *seg, *prev = NULL, *cut = NULL, *last = NULL;
	size_t prevlen = 0;

	if (!pointer || !*pointer)
		return gate_xstrdup("");
	/* walk the segments: remember the end of the last "<list>/<index>" */
	for (p = pointer; *p == '/'; ) {
		size_t n;
		seg = p + 1;
		n = strcspn(seg, "/");
		if (prev && is_container_list(prev, prevlen) && is_index(seg, n))
			cut = seg + n;
		last = p;
		prev = seg;
		prevlen = n;
		p = seg + n;
	}
	if (cut)
		return gate_xstrndup(pointer, (size_t)(cut - pointer));
	return gate_xstrndup(pointer, last ? (size_t)(last - pointer) : 0);
}

/* The node at JSON pointer ptr below n, or NULL. */
static const struct gate_node *at_pointer(const struct gate_node *n, const char *ptr)
{
	while (n && *ptr == '/') {
		const char *seg = ptr + 1;
		size_t len = strcspn(seg, "/"), i, k;
		char *key = gate_xmalloc(len + 1);

		/* unescape ~1 and ~0 */
		for (i = k = 0; i < len; i++) {
			if (seg[i] == '~' && i + 1 < len && (seg[i + 1] == '0' || seg[i + 1] == '1')) {
				key[k++] = seg[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				key[k++] = seg[i];
			}
		}
		key[k] = '\0';
		if (n->type == GATE_NODE_OBJECT) {
			n = gate_node_get(n, key);
		} else if (n->type == GATE_NODE_ARRAY && is_index(key, k)) {
			unsigned long ix = strtoul(key, NULL, 10);
			n = ix < n->len ? &n->u.items[ix] : NULL;
		} else {
			n = NULL;
		}
		free(key);
		ptr = seg + len;
	}
	return n;
}

static int streq0(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

struct find {
	const char *kind, *name, *ns, *part;
	struct gate_doc **docs;     /* every document parsed, freed by the caller */
	size_t ndocs, adocs;
	const struct gate_node *found;
	int bad;
};

static int matches(const struct find *f, const struct gate_k8s_id *id)
{
	return streq0(id->kind, f->kind) && streq0(id->name, f->name) && streq0(id->namespace_, f->ns);
}

static int find_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct find *f = payload;
	struct gate_doc *doc = NULL;
	struct gate_k8s_id id;
	const struct gate_node *items;
	char msg[128], kindbuf[256];
	size_t i;

	if (gate_doc_parse(&doc, part, len, line, &lim, 0, &derr) < 0) {
		f->bad = 1;
		return 1;
	}
	GATE_ALLOC_GROW(f->docs, f->ndocs + 1, f->adocs);
	f->docs[f->ndocs++] = doc;
	if (!doc->root || doc->root->type != GATE_NODE_OBJECT)
		return 0;
	if (gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) == 0 && matches(f, &id)) {
		f->found = at_pointer(doc->root, f->part);
		return 1;
	}
	items = gate_k8s_list_items(doc->root);
	for (i = 0; items && items->type == GATE_NODE_ARRAY && i < items->len; i++) {
		int inherited = 0;
		if (gate_k8s_item_id_read(&id, &items->u.items[i], doc->root, kindbuf, sizeof(kindbuf),
				&inherited, msg, sizeof(msg)) == 0 && matches(f, &id)) {
			f->found = at_pointer(&items->u.items[i], f->part);
			return 1;
		}
	}
	return 0;
}

static void find_release(struct find *f)
{
	size_t i;

	for (i = 0; i < f->ndocs; i++)
		gate_doc_free(f->docs[i]);
	free(f->docs);
}

int gate_ratchet_same_part(const char *old_buf, size_t old_len, const char *new_buf,
	size_t new_len, const char *kind, const char *name, const char *namespace_,
	const char *pointer)
{
	struct find a, b;
	char *part = gate_ratchet_part(pointer);
	int same;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.name = name;
	a.ns = namespace_;
	a.part = part;
	b = a;
	gate_doc_split(old_buf, old_len, find_part, &a);
	gate_doc_split(new_buf, new_len, find_part, &b);
	same = !a.bad && !b.bad && a.found && b.found && gate_node_equal(a.found, b.found);
	find_release(&a);
	find_release(&b);
	free(part);
	return same;
}
