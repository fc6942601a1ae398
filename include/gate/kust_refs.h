/*
 * kust_refs: what one kustomization file names, for finding the
 * kustomizations nobody includes (the hook's orphan deployment roots).
 * Part of the render module (validate/kust_refs.c); pure: the caller gives
 * the file's bytes.
 *
 * The names are the entries of the fields through which kustomize may
 * enter another folder: resources, bases, components, generators,
 * transformers and validators, as written (relative to the kustomization's
 * folder), in that order.  Remote entries (a URL, github.com/..., ?ref=)
 * and inline ones (a generator or transformer config written in the list)
 * are left out.  A file that does not parse as one mapping names nothing
 * and counts as kind Kustomization (its render fails and says why).
 */
#ifndef GATE_KUST_REFS_H
#define GATE_KUST_REFS_H

#include <stddef.h>

#include "gate/doc.h"
#include "gate/util.h"

struct gate_kust_refs {
	int component;  /* kind: Component */
	char **names;   /* new strings */
	size_t n, alloc;
};
#define GATE_KUST_REFS_INIT { 0, NULL, 0, 0 }

/* Read buf[0..len) (the first document) into out (zeroed or released). */
void gate_kust_refs_parse(struct gate_kust_refs *out, const char *buf, size_t len,
	const struct gate_doc_limits *lim);
void gate_kust_refs_release(struct gate_kust_refs *r);

/*
 * As a text a cache can keep ("K\n" or "C\n", then one name a line; a name
 * holding a line break is not kept: returns -1 and appends nothing), and
 * back (0, or -1 when text is not such a text).
 */
int gate_kust_refs_serialize(const struct gate_kust_refs *r, struct gate_buf *out);
int gate_kust_refs_deserialize(struct gate_kust_refs *out, const char *text, size_t len);

#endif
