/*
 * repo_checks_int.h: what the files of the tree checks share, private to
 * validate/: the facts of one file (tree_facts.c reads them, repo_checks.c
 * runs the checks over them) and small node helpers also used by crd_set.c.
 */
#ifndef GATE_REPO_CHECKS_INT_H
#define GATE_REPO_CHECKS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gate/doc.h"
#include "gate/repo_checks.h"
#include "gate/util.h"

struct fobj {
	char *group, *kind, *ns, *name;
	uint32_t line;
	int generated; /* made by a generator or a sealed/external secret: not a duplicate */
};

struct fref {
	char *kind, *ns, *name;     /* what is referred to */
	char *from_kind, *from_name, *from_api;
	char *pointer;
	uint32_t line, col, res_line;
};

/*
 * A CustomResourceDefinition a file holds: its spec.group and
 * spec.names.kind, and the versions it names ("v1\nv1beta1\n").
 */
struct fcrd {
	char *group, *kind, *versions;
};

struct gate_tree_facts {
	struct fobj *objs;
	size_t nobjs, aobjs;
	struct fcrd *crds;
	size_t ncrds, acrds;
	struct fref *refs;
	size_t nrefs, arefs;
	char **patches;  /* paths a kustomization names as patches, as written */
	size_t npatches, apatches;
	int kustomization;
};

static inline char *dup_or_empty(const char *s)
{
	return gate_xstrdup(s ? s : "");
}

static inline const struct gate_node *obj_get(const struct gate_node *n, const char *key)
{
	return n && n->type == GATE_NODE_OBJECT ? gate_node_get(n, key) : NULL;
}

static inline const char *obj_str(const struct gate_node *n, const char *key)
{
	return n && n->type == GATE_NODE_OBJECT ? gate_node_get_str(n, key) : NULL;
}

static inline int is_true(const struct gate_node *n)
{
	return n && n->type == GATE_NODE_BOOL && n->u.boolean;
}

#endif
