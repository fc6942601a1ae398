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
 * (Schemas for custom resources from the CustomResourceDefinitions found in
 * the tree are the crd_set module: gate/crd_set.h, included here.)
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
#include "gate/crd_set.h"

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

/* The number of CustomResourceDefinition documents the file holds. */
size_t gate_tree_facts_crd_count(const struct gate_tree_facts *f);

/*
 * 1 when the file's CustomResourceDefinitions of (group, kind) name a
 * version for which have() answers 0 (so that gate_crd_set_add_buffer(),
 * where the first definition of each version wins, may add a schema from
 * it), else 0: every version it names is had already, and adding the file
 * changes nothing.
 */
int gate_tree_facts_crd_adds(const struct gate_tree_facts *f, const char *group, const char *kind,
	int (*have)(void *payload, const char *version), void *payload);

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

#endif
