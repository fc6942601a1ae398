/*
 * crd_set: schemas for custom resources from the CustomResourceDefinitions
 * of a tree, and cheap tests of whether a file may hold one.  Nothing here
 * reads git or files: buffers come from the caller (validate/crd_set.c).
 */
#ifndef GATE_CRD_SET_H
#define GATE_CRD_SET_H

#include <stddef.h>
#include "gate/engine.h"
#include "gate/schema.h"

/*
 * Custom resource schemas from CustomResourceDefinitions (apiextensions.k8s.io
 * v1 spec.versions[].schema.openAPIV3Schema, v1beta1 spec.validation).  Each
 * is compiled once with gate_schema_compile(); x-kubernetes-preserve-unknown-fields
 * and x-kubernetes-int-or-string are honoured by the schema module.  With
 * strict, objects that declare properties and neither additionalProperties nor
 * x-kubernetes-preserve-unknown-fields refuse other properties (kubeconform's
 * -strict schemas), and apiVersion, kind and metadata are always allowed at
 * the root.
 */
struct gate_crd_set;

void gate_crd_set_new(struct gate_crd_set **out, int strict);
void gate_crd_set_free(struct gate_crd_set *set);

/* 1 when buf may hold a CustomResourceDefinition (a cheap byte test), else 0. */
int gate_crd_maybe(const char *buf, size_t len);

/*
 * 1 when buf may hold a CustomResourceDefinition of (group, kind), else 0:
 * a byte test (the names as whole words of the text, or double-quoted
 * scalars whose escapes spell them) that never answers 0 for a file
 * gate_crd_set_add_buffer() would take a schema of (group, kind) from.
 * Names with other characters than letters, digits, '.', '_' and '-' always may.
 */
int gate_crd_may_define(const char *buf, size_t len, const char *group, const char *kind);

/*
 * The same test, repeated cheaply: the words of a file (one pass over buf,
 * not kept).  *out is new: release with gate_crd_words_free().  The answer
 * leaves out gate_crd_maybe(), which the caller tests once.
 */
struct gate_crd_words;
void gate_crd_words_new(struct gate_crd_words **out, const char *buf, size_t len);
void gate_crd_words_free(struct gate_crd_words *w);
int gate_crd_words_may_define(const struct gate_crd_words *w, const char *group, const char *kind);

/*
 * Build only what is wanted: once a (group, kind) is wanted, later
 * gate_crd_set_add_buffer() calls add (and compile) only CRDs of wanted
 * pairs, and skip without parsing the documents that cannot hold one.  The
 * schema of a wanted (group, version, kind) is the one the whole set would
 * hold (the first definition wins in both).
 */
void gate_crd_set_want(struct gate_crd_set *set, const char *group, const char *kind);

/*
 * Add the CRDs of a file (others documents are ignored).  A CRD whose schema
 * does not compile is skipped with a message in msg (first one) and the
 * return is 1; returns 0 otherwise.  filename names the CRD in messages.
 */
int gate_crd_set_add_buffer(struct gate_crd_set *set, const char *filename, const char *buf,
	size_t len, const struct gate_doc_limits *lim, char *msg, size_t msgsize);

/* The number of (group, version, kind) schemas held. */
size_t gate_crd_set_count(const struct gate_crd_set *set);

/* The schema of (group, version, kind) or NULL; borrowed from set. */
const struct gate_schema *gate_crd_set_lookup(const struct gate_crd_set *set, const char *group,
	const char *version, const char *kind);

/*
 * A checker (put it first) that validates a resource the schema store had no
 * schema for ("could not find schema", or skipped by ignore_missing_schemas)
 * against the set's schema, when there is one: the result becomes valid or
 * invalid with schema problems, as if the store had it.  set is borrowed.
 */
void gate_crd_set_checker(struct gate_crd_set *set, struct gate_checker *out);

#endif
