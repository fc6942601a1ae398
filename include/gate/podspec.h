/*
 * podspec: where the pods of a resource are, for the built-in checks.
 *
 * Pure: reads a parsed document, borrows from it, allocates nothing.
 *
 * A pod is found wherever the document holds one, whatever its kind, so
 * that a kind nobody listed (an operator's CRD, an Argo Workflow, a Tekton
 * Task, a Knative Service, a KEDA ScaledJob, OpenKruise workloads) is
 * checked like a Deployment:
 *  - any mapping with a container group: a `containers`, `initContainers`,
 *    `ephemeralContainers`, `sidecars` or `steps` sequence holding at least
 *    one mapping with a string `image`, or a `container`, `script` or
 *    `stepTemplate` mapping with a string `image` (Argo Workflows templates,
 *    Tekton steps).  That mapping is the pod spec: its `hostNetwork`,
 *    `hostPID`, `hostIPC`, `volumes` and `securityContext` are the pod's;
 *  - a mapping under a `podTemplate` key (Tekton's pod template) and, from a
 *    table of known kinds, the workflow-wide spec of Argo Workflows
 *    (`Workflow`, `CronWorkflow`, `WorkflowTemplate`,
 *    `ClusterWorkflowTemplate`), whose hostNetwork, volumes and
 *    securityContext apply to every template: pod specs without containers.
 * Container groups are not searched for further pods, nor the top-level
 * `items` of a list (gate_k8s_list_kind(): the engine judges each item as
 * an object of its own).  The walk stops at
 * GATE_PODSPEC_MAX_DEPTH levels and GATE_PODSPEC_MAX_PODS pods; going over
 * is reported (truncated), never silent.
 */
#ifndef GATE_PODSPEC_H
#define GATE_PODSPEC_H

#include <stddef.h>
#include "gate/doc.h"
#include "gate/k8s.h"

#define GATE_PODSPEC_MAX_GROUPS 8
#define GATE_PODSPEC_MAX_DEPTH 64
#define GATE_PODSPEC_MAX_PODS 1000

struct gate_podspec_group {
	const struct gate_node *node; /* a sequence of containers, or one container (single) */
	const char *key;              /* "containers", "initContainers", "container", "steps", ... */
	int single;
};

struct gate_podspec {
	const struct gate_node *spec; /* the mapping holding the pod-level fields (borrowed) */
	const char *ptr;              /* its JSON pointer ("" for the root); valid during the callback */
	struct gate_podspec_group groups[GATE_PODSPEC_MAX_GROUPS];
	size_t ngroups;
	int long_running;             /* a kind known to run until stopped: probes make sense */
};

/* Called once per pod spec found, in document order. */
typedef void (*gate_podspec_fn)(const struct gate_podspec *ps, void *payload);

/*
 * Find the pod specs of the resource root (identity id).  Returns the
 * number found, or -1 when a bound was reached (those found were still
 * given to fn).
 */
int gate_podspec_find(const struct gate_k8s_id *id, const struct gate_node *root,
	gate_podspec_fn fn, void *payload);

#endif
