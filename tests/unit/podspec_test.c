/*
 * podspec_test: where gate_podspec_find() finds pods: the known kinds by
 * shape, kinds nobody listed, Argo Workflows' workflow-wide spec, Tekton's
 * steps and pod templates, single containers; what is no pod; the bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/k8s.h"
#include "gate/podspec.h"
#include "gate/util.h"
#include "../tap.h"

static void collect(const struct gate_podspec *ps, void *payload)
{
	struct gate_buf *b = payload;
	size_t g;

	gate_buf_addf(b, "%s%s[", b->len ? " " : "", ps->ptr[0] ? ps->ptr : "/");
	for (g = 0; g < ps->ngroups; g++)
		gate_buf_addf(b, "%s%s%s", g ? "," : "", ps->groups[g].key, ps->groups[g].single ? "!" : "");
	gate_buf_addf(b, "]%s", ps->long_running ? "+" : "");
}

/* The pods of a YAML document as "pointer[groups]" ("+": long running), or "error". */
static char *pods(const char *yaml, int *rc)
{
	struct gate_doc *doc = NULL;
	struct gate_doc_error err;
	struct gate_k8s_id id;
	struct gate_buf b = GATE_BUF_INIT;
	char msg[128];

	if (gate_doc_parse(&doc, yaml, strlen(yaml), 1, NULL, 0, &err) < 0 ||
	    gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) < 0) {
		gate_doc_free(doc);
		return gate_xstrdup("error");
	}
	*rc = gate_podspec_find(&id, doc->root, collect, &b);
	gate_doc_free(doc);
	return gate_buf_detach(&b);
}

static void is_pods(const char *yaml, const char *want, int want_rc, const char *name)
{
	int rc = -2;
	char *got = pods(yaml, &rc);

	ok(!strcmp(got, want) && rc == want_rc, "%s: %s (%d)", name, got, rc);
	free(got);
}

#define C "[{name: c, image: \"x:1\"}]"

int main(void)
{
	struct gate_buf deep = GATE_BUF_INIT;
	int i;

	is_pods("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: " C
		", initContainers: " C ", ephemeralContainers: " C "}\n",
		"/spec[containers,initContainers,ephemeralContainers]+", 1, "Pod");
	is_pods("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
		"spec: {template: {spec: {containers: " C "}}}\n",
		"/spec/template/spec[containers]+", 1, "Deployment");
	is_pods("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\n"
		"spec: {jobTemplate: {spec: {template: {spec: {containers: " C "}}}}}\n",
		"/spec/jobTemplate/spec/template/spec[containers]", 1, "CronJob: not long running");
	is_pods("apiVersion: v1\nkind: PodTemplate\nmetadata: {name: t}\ntemplate: {spec: {containers: " C "}}\n",
		"/template/spec[containers]+", 1, "PodTemplate");
	is_pods("apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\n"
		"spec: {workers: {podSpec: {hostNetwork: true, containers: " C "}}}\n",
		"/spec/workers/podSpec[containers]", 1, "an unknown kind, found by shape");
	is_pods("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"
		"spec:\n  hostNetwork: true\n  templates:\n  - {name: a, container: {image: \"x:1\"}}\n"
		"  - {name: b, script: {image: \"x:1\", source: x}}\n"
		"  - {name: c, containerSet: {containers: " C "}, initContainers: " C ", sidecars: " C "}\n"
		"  - {name: d, steps: [[{name: s, template: a}]]}\n",
		"/spec[] /spec/templates/0[container!] /spec/templates/1[script!] "
		"/spec/templates/2[initContainers,sidecars] /spec/templates/2/containerSet[containers]",
		5, "Argo Workflow: workflow spec, single containers, container sets; steps of templates are no containers");
	is_pods("apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: w}\n"
		"spec: {workflowSpec: {volumes: [], templates: [{name: a, container: {image: \"x:1\"}}]}}\n",
		"/spec/workflowSpec[] /spec/workflowSpec/templates/0[container!]", 2, "Argo CronWorkflow");
	is_pods("apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: r}\n"
		"spec:\n  taskRunTemplate: {podTemplate: {hostNetwork: true}}\n"
		"  pipelineSpec: {tasks: [{name: t, taskSpec: {steps: " C ", stepTemplate: {image: \"x:1\"}}}]}\n",
		"/spec/taskRunTemplate/podTemplate[] /spec/pipelineSpec/tasks/0/taskSpec[steps,stepTemplate!]",
		2, "Tekton: pod template, steps, step template");
	is_pods("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\n"
		"spec: {template: {spec: {containers: [{image: \"x:1\"}]}}}\n",
		"/spec/template/spec[containers]+", 1, "Knative Service: long running");
	is_pods("apiVersion: example.com/v1\nkind: ImageRepository\nmetadata: {name: i}\n"
		"spec: {image: ghcr.io/x/y, containers: [name-only], steps: [{name: s}]}\n",
		"", 0, "no container with an image: no pod");
	is_pods("apiVersion: example.com/v1\nkind: X\nmetadata: {name: \"a/b~c\"}\n"
		"spec: {\"a/b\": {\"c~d\": {containers: " C "}}}\n",
		"/spec/a~1b/c~0d[containers]", 1, "pointer tokens escaped");
	is_pods("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
		"spec: {containers: [{name: c, image: \"x:1\", env: [{name: E, value: {containers: " C "}}]}]}\n",
		"/spec[containers]+", 1, "containers are not searched for pods");

	is_pods("apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
		"- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: " C "}}\n",
		"", 0, "a list's items are objects of their own, not pods of the list");
	is_pods("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nitems:\n"
		"- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: " C "}}\n",
		"", 0, "nor the items smuggled in a ConfigMap (judged, and refused, by the engine)");

	gate_buf_adds(&deep, "apiVersion: v1\nkind: X\nmetadata: {name: d}\nspec: ");
	for (i = 0; i < GATE_PODSPEC_MAX_DEPTH + 2; i++)
		gate_buf_adds(&deep, "{a: ");
	gate_buf_adds(&deep, "{containers: " C "}");
	for (i = 0; i < GATE_PODSPEC_MAX_DEPTH + 2; i++)
		gate_buf_adds(&deep, "}");
	gate_buf_adds(&deep, "\n");
	{
		int rc = 0;
		char *got = pods(deep.ptr, &rc);
		ok(rc == -1, "deeper than %d levels: said so (%d)", GATE_PODSPEC_MAX_DEPTH, rc);
		free(got);
	}
	gate_buf_release(&deep);
	return tap_done();
}
