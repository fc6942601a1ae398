/*
 * admit: one resource judged as the API server will judge it on create, the
 * shared step of `validate`, `validate --schema` and the hooks:
 *
 *   1. a SOPS-encrypted document (top-level `sops:`) is validated without its
 *      `sops` key, and errors on encrypted values (ENC[...]) are dropped
 *      (gate/sops.h);
 *   2. the schema (gate/schema.h);
 *   3. the API server's metadata rules when the document is a Kubernetes
 *      object (kind given; gate/k8s_meta.h).
 *
 * Pure: no I/O; safe from several threads (the schema is immutable).
 */
#ifndef GATE_ADMIT_H
#define GATE_ADMIT_H

#include <stddef.h>
#include "gate/doc.h"
#include "gate/schema.h"

/*
 * Validate root against schema, then its metadata when kind is not NULL
 * (group "" or NULL: the core group).  Errors are appended to errs (schema
 * errors first, then keyword "metadata" ones).  Returns 1 when valid, 0 when
 * invalid, negative on internal failure.  max_errors bounds schema errors (0:
 * no bound).
 */
int gate_admit_validate(const struct gate_schema *schema, const struct gate_node *root,
	const char *group, const char *kind, struct gate_schema_errors *errs, size_t max_errors);

#endif
