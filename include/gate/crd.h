/*
 * crd: CustomResourceDefinitions to JSON schemas, one conversion for
 * `gitops-gate extract crd` (schemas in the built-in catalog's layout) and
 * for the hook's schemas of CRDs pushed in the repository (repo_checks.h).
 *
 * The catalog's transformation (fluxcd/flux-schema, compared file by file
 * with schemas/catalog): the version's openAPIV3Schema as it stands, every
 * x-kubernetes-* extension kept (CEL rules, list types, embedded resources,
 * int-or-string, preserve-unknown-fields), descriptions dropped, and every
 * object schema that lists properties closed (additionalProperties: false)
 * below the root, unless it preserves unknown fields or says otherwise
 * itself.  allOf/anyOf/oneOf/not branches are constraints on the object
 * around them: they are not closed.  Pure: no I/O.
 */
#ifndef GATE_CRD_H
#define GATE_CRD_H

#include <jansson.h>
#include "gate/doc.h"

#define GATE_CRD_CLOSED          0x01 /* close objects below the root (the catalog's strictness) */
#define GATE_CRD_CLOSED_ROOT     0x02 /* close the root too, adding apiVersion, kind, metadata */
#define GATE_CRD_NO_DESCRIPTIONS 0x04 /* drop "description" keywords (the catalog's files) */

/*
 * Convert an openAPIV3Schema (borrowed; NULL: an empty schema) into a new
 * JSON schema (new reference; NULL only when out of memory).
 */
json_t *gate_crd_schema_convert(const json_t *openapi, int flags);

/* One version of a CRD; strings and nodes borrowed from the document. */
struct gate_crd_version {
	const char *name;    /* metadata.name, or NULL */
	const char *group;   /* spec.group */
	const char *kind;    /* spec.names.kind */
	const char *version; /* versions[].name (v1beta1: spec.version) */
	int served;          /* versions[].served (v1beta1: 1) */
	const struct gate_node *schema; /* openAPIV3Schema; NULL when none */
};

typedef int (*gate_crd_version_fn)(const struct gate_crd_version *v, void *payload);

/*
 * Call fn for each version of root when it is a CustomResourceDefinition
 * (apiextensions.k8s.io/v1 or v1beta1; a `kind: List` of them too), in
 * document order.  Returns 0, or fn's value when it is not 0 (and stops).
 */
int gate_crd_each_version(const struct gate_node *root, gate_crd_version_fn fn, void *payload);

/*
 * The catalog's file name of a version: "<group>/<kind in lowercase>_<version>.json"
 * into buf.  Returns 0, or -1 when it does not fit or a part is not a safe
 * file name (empty, "." or "..", holds '/', '\\' or a control character).
 */
int gate_crd_catalog_path(char *buf, size_t bufsize, const char *group, const char *kind,
	const char *version);

#endif
