/*
 * sops: judge SOPS-encrypted manifests as they will be applied once
 * decrypted; see include/gate/sops.h.
 */
#include "gate/sops.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

int gate_sops_enc_value(const struct gate_node *n)
{
	return n && n->type == GATE_NODE_STRING && n->len >= 5 && !strncmp(n->u.str, "ENC[", 4) &&
		n->u.str[n->len - 1] == ']';
}

int gate_sops_encrypted(const struct gate_node *root)
{
	const struct gate_node *s;

	if (!root || root->type != GATE_NODE_OBJECT)
		return 0;
	s = gate_node_get(root, "sops");
	return s && s->type == GATE_NODE_OBJECT;
}

void gate_sops_view(struct gate_node *view, const struct gate_node *root)
{
	uint32_t i, n = 0;

	*view = *root;
	if (root->type != GATE_NODE_OBJECT)
		return;
	view->u.members = gate_xcalloc(root->len ? root->len : 1, sizeof(*view->u.members));
	for (i = 0; i < root->len; i++)
		if (strcmp(root->u.members[i].key, "sops"))
			view->u.members[n++] = root->u.members[i];
	view->len = n;
}

void gate_sops_view_release(struct gate_node *view)
{
	if (view && view->type == GATE_NODE_OBJECT) {
		free(view->u.members);
		view->u.members = NULL;
		view->len = 0;
	}
}

/* Walk a JSON pointer from root; 1 when an encrypted value is on the way (or at its end). */
static int pointer_hits_enc(const struct gate_node *root, const char *ptr)
{
	const struct gate_node *n = root;
	char tok[1024];

	while (n && *ptr == '/') {
		size_t k = 0;
		ptr++;
		while (*ptr && *ptr != '/' && k + 1 < sizeof(tok)) {
			if (ptr[0] == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
				tok[k++] = ptr[1] == '0' ? '~' : '/';
				ptr += 2;
			} else {
				tok[k++] = *ptr++;
			}
		}
		tok[k] = '\0';
		if (gate_sops_enc_value(n))
			return 1;
		if (n->type == GATE_NODE_OBJECT) {
			n = gate_node_get(n, tok);
		} else if (n->type == GATE_NODE_ARRAY) {
			char *end;
			long idx = strtol(tok, &end, 10);
			n = (*tok && !*end && idx >= 0 && (uint32_t)idx < n->len) ? &n->u.items[idx] : NULL;
		} else {
			n = NULL;
		}
	}
	return gate_sops_enc_value(n);
}

size_t gate_sops_filter_errors(const struct gate_node *root, struct gate_schema_errors *errs)
{
	size_t i, kept = 0;

	for (i = 0; i < errs->n; i++) {
		struct gate_schema_error *e = &errs->v[i];
		if (e->pointer && pointer_hits_enc(root, e->pointer)) {
			free(e->pointer);
			free(e->keyword);
			free(e->message);
			continue;
		}
		errs->v[kept++] = *e;
	}
	errs->n = kept;
	return kept;
}
