/*
 * k8s_meta: the API server's own rules for an object's metadata, checked on
 * create as kube-apiserver does (apimachinery's ValidateObjectMetaAccessor and
 * the per-kind name rules of pkg/apis/.../validation):
 *
 *   - metadata.name, or generateName, is required;
 *   - names are DNS-1123 subdomains, except: Namespace a DNS-1123 label,
 *     Service a DNS-1035 label, RBAC kinds path segments, CronJob at most 52
 *     characters, CustomResourceDefinition "<plural>.<group>";
 *   - metadata.namespace, when given, a DNS-1123 label;
 *   - label keys ([prefix/]name) and values, annotation keys, and annotations
 *     of at most 256 KiB in total.
 *
 * Messages are the API server's ("metadata.name: Invalid value: \"Web_1\":
 * a lowercase RFC 1123 subdomain must consist of ...").  Values still
 * encrypted by SOPS (ENC[...]) or holding a ${VAR} (Flux's post-build
 * substitution) are not judged: they are known only at deploy time.  The
 * namespace of a built-in cluster-scoped kind is not judged (kubectl drops
 * it).  Pure: no I/O.
 */
#ifndef GATE_K8S_META_H
#define GATE_K8S_META_H

#include <stddef.h>
#include "gate/doc.h"
#include "gate/schema.h"

/* the API server's limit on all annotations of an object (keys and values) */
#define GATE_K8S_META_ANNOTATIONS_MAX (256u * 1024u)

/*
 * Check root's metadata for an object of group (""= core) and kind.  Appends
 * one error per violation to errs (keyword "metadata"; strings owned by errs)
 * and returns how many it appended.  A root that is not an object, or a kind
 * ending in "List" (a list is not stored), gets no check.
 */
size_t gate_k8s_meta_check(const struct gate_node *root, const char *group,
	const char *kind, struct gate_schema_errors *errs);

#endif
