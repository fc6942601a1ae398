/*
 * repo_checks: checks on the manifests of a whole tree (one commit), which
 * no single file can answer:
 *
 *   duplicate-object   deny  two documents of one unit define the same group,
 *                            kind, namespace and name
 *   missing-reference  warn  a pod template refers to a ConfigMap, Secret,
 *                            ServiceAccount or PersistentVolumeClaim that no
 *                            manifest of its unit defines
 *
 * and schemas for custom resources from the CustomResourceDefinitions found
 * in the tree (gate_crd_set).
 *
 * A unit is what is applied together: the folder of the nearest kustomization
 * file above a manifest (kustomization.yaml, kustomization.yml or
 * Kustomization, subfolders included), else the manifest's own folder.  Files
 * a kustomization names as patches define nothing; its configMapGenerator and
 * secretGenerator entries, SealedSecrets and ExternalSecrets define what they
 * generate.  NEEDSWORK: a kustomization's resources from other folders
 * (../base) are not followed.
 *
 * The caller (the hooks) gives every manifest path of the tree, says which
 * ones the commit changed, and loads the facts of the files the checks need
 * (those sharing a unit with a changed file).  Only problems that involve a
 * changed file are reported.  Nothing here reads git or files.
 */
#ifndef GATE_REPO_CHECKS_H
#define GATE_REPO_CHECKS_H

#include <stddef.h>
#include "gate/doc.h"
#include "gate/engine.h"
#include "gate/result.h"
#include "gate/schema.h"
#include "gate/util.h"

#define GATE_RULE_DUPLICATE_OBJECT "duplicate-object"
#define GATE_RULE_MISSING_REFERENCE "missing-reference"

/* What one file defines and refers to. */
struct gate_tree_facts;

/*
 * Read the facts of a manifest file.  Never fails on bad input: documents
 * that do not parse contribute nothing (the file's own verdict reports
 * them).  *out is new: release with gate_tree_facts_free().
 */
void gate_tree_facts_parse(struct gate_tree_facts **out, const char *buf, size_t len,
	const struct gate_doc_limits *lim);
void gate_tree_facts_free(struct gate_tree_facts *f);

/*
 * Facts built from documents parsed elsewhere (the engine's): new empty
 * facts (release with gate_tree_facts_free()), then one call per document
 * root in file order.  A root of kind List with items stands for its items,
 * as in gate_tree_facts_parse(), which is exactly these calls on the parsed
 * documents of a file (a part that does not parse adds nothing).
 */
void gate_tree_facts_new(struct gate_tree_facts **out);
void gate_tree_facts_add_document(struct gate_tree_facts *f, const struct gate_node *root);

/*
 * The facts as a compact text appended to out, and back, for caches: the
 * text gives facts equal to f.  Deserialize returns 0 with *out new (release
 * with gate_tree_facts_free()), or -1 when text is not such a text (cut
 * short, altered, another version).
 */
void gate_tree_facts_serialize(const struct gate_tree_facts *f, struct gate_buf *out);
int gate_tree_facts_deserialize(struct gate_tree_facts **out, const char *text, size_t len);

/*
 * 1 when the file holds a CustomResourceDefinition document for (group,
 * kind) as gate_crd_set_add_buffer() reads them (apiVersion
 * apiextensions.k8s.io/..., spec.group, spec.names.kind), else 0.  Every
 * file from which gate_crd_set_add_buffer() would take a schema of (group,
 * kind) answers 1.
 */
int gate_tree_facts_defines_crd(const struct gate_tree_facts *f, const char *group,
	const char *kind);

/* One tree. */
struct gate_tree_check;

/* *out is new: release with gate_tree_check_free(). */
void gate_tree_check_new(struct gate_tree_check **out);
void gate_tree_check_free(struct gate_tree_check *tc);

/* Add a manifest path of the tree (copied); changed: the judged commit changed it.  Returns its index. */
size_t gate_tree_check_add(struct gate_tree_check *tc, const char *path, int changed);

/*
 * Called by gate_tree_check_run() for each file whose facts are needed: set
 * *out to its facts (borrowed: they must live until run returns; NULL when
 * unreadable).  Returns 0, or negative to stop the run with that value.
 */
typedef int (*gate_tree_load_fn)(void *payload, size_t index, const char *path,
	const struct gate_tree_facts **out);

/*
 * Run the checks.  Problems go to out, one result per problem: filename the
 * changed file, its line, the object's identity, status invalid for a deny
 * problem (valid for a warning).  Returns 0 or the loader's negative value.
 */
int gate_tree_check_run(struct gate_tree_check *tc, gate_tree_load_fn load, void *payload,
	struct gate_results *out);

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
