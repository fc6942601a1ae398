/*
 * unit: what kustomize reads and what is applied together, defined once for
 * the engine (`gitops-gate validate` and the hook), the tree checks and the
 * hook's choice of files to read.
 *
 * A kustomization file is what `kustomize build DIR` reads in DIR:
 * kustomization.yaml, kustomization.yml or Kustomization (by name); its
 * content has apiVersion kustomize.config.k8s.io/... and kind Kustomization
 * or Component (by identity), and it is read by kustomize, never applied.
 *
 * A unit is what is applied together: the folder of the nearest kustomization
 * file at or above a manifest's folder, else the manifest's own folder.
 * Nothing here reads git or files: whether a folder holds a kustomization
 * file comes through a callback.
 */
#ifndef GATE_UNIT_H
#define GATE_UNIT_H

#include <stddef.h>

/* 1 when the last component of path names a kustomization file, else 0. */
int gate_unit_is_kustomization_path(const char *path);

/* 1 when (api_version, kind) is kustomize's own resource, else 0; NULLs are 0. */
int gate_unit_is_kustomize_kind(const char *api_version, const char *kind);

/*
 * Does folder dir ("" the root, no trailing slash) hold a kustomization
 * file?  1 yes, 0 no, negative: cannot tell (passed up unchanged).
 */
typedef int (*gate_unit_holds_fn)(const char *dir, void *payload);

/*
 * The unit of the files of folder dir: asks holds() of dir, then of each
 * folder above it up to the root.  Returns 1 when a folder holds a
 * kustomization file, with *unit_len the length of that folder's name (a
 * prefix of dir); 0 when none does (the unit is dir itself, *unit_len =
 * strlen(dir)); or holds()'s negative value.
 */
int gate_unit_find(const char *dir, gate_unit_holds_fn holds, void *payload, size_t *unit_len);

#endif
