/*
 * ratchet: may a problem an object already had stay grandfathered in a new
 * version of its file?  Only while the part of the object the problem is
 * about is otherwise unchanged: a privileged container whose image changes
 * is a new container, not the old one.
 *
 * The part of a problem at JSON pointer P is the container P lies in (P
 * through the index of the last containers, initContainers,
 * ephemeralContainers, sidecars or steps entry), else the mapping that holds
 * the field P names (P without its last segment: the pod spec for
 * hostNetwork, the volume for a hostPath), else the whole object.
 *
 * Pure: nothing here reads git or files; the caller hands both versions'
 * bytes.
 */
#ifndef GATE_RATCHET_H
#define GATE_RATCHET_H

#include <stddef.h>

/*
 * The part of pointer (NULL or "" for the object) as a new string: the
 * pointer of the part ("" for the whole object).  Caller frees.
 */
char *gate_ratchet_part(const char *pointer);

/*
 * Is the part of pointer in the object kind/name/namespace_ (name and
 * namespace_ may be NULL) the same, as JSON, in the old and the new bytes of
 * a file (YAML documents split as kubeconform does; *List items looked into)?
 * 1 the same, 0 when it differs, when the object or the part is missing from
 * either, or when either cannot be read as YAML (so nothing unreadable stays
 * grandfathered).
 */
int gate_ratchet_same_part(const char *old_buf, size_t old_len, const char *new_buf,
	size_t new_len, const char *kind, const char *name, const char *namespace_,
	const char *pointer);

#endif
