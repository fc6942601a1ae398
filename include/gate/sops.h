/*
 * sops: manifests encrypted by SOPS (github.com/getsops/sops).  SOPS keeps a
 * document's shape, replaces the values it encrypts by strings
 * "ENC[AES256_GCM,data:...,iv:...,tag:...,type:int]" and adds a top-level
 * `sops:` mapping (keys, mac).  Flux's kustomize-controller decrypts before
 * applying, so a gate judges what will be applied: the document without its
 * `sops` key, with an encrypted value accepted wherever it stands (its type
 * and content are unknown until decrypted).  Pure: no I/O.
 */
#ifndef GATE_SOPS_H
#define GATE_SOPS_H

#include "gate/doc.h"
#include "gate/schema.h"

/* 1 when root is a mapping with a top-level `sops` mapping, else 0 */
int gate_sops_encrypted(const struct gate_node *root);

/* 1 when n is a string "ENC[...]" (a value encrypted by SOPS), else 0 */
int gate_sops_enc_value(const struct gate_node *n);

/*
 * A shallow copy of root without its `sops` member into *view: the members
 * array is new (release with gate_sops_view_release()), the nodes are
 * borrowed from root's document.
 */
void gate_sops_view(struct gate_node *view, const struct gate_node *root);
void gate_sops_view_release(struct gate_node *view);

/*
 * Drop from errs every error whose value (its pointer, resolved in root) is
 * an encrypted value or lies inside one.  Returns how many remain.
 */
size_t gate_sops_filter_errors(const struct gate_node *root, struct gate_schema_errors *errs);

#endif
