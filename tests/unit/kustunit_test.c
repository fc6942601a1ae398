/*
 * kustunit_test: the one definition of kustomization files and units
 * (include/gate/unit.h), as the engine, the tree checks and the hook use it.
 */
#include "gate/unit.h"

#include <string.h>

#include "../tap.h"

/* kustomization folders of a small tree */
static int holds(const char *dir, void *payload)
{
	const char *const *k;

	for (k = payload; *k; k++)
		if (!strcmp(*k, dir))
			return 1;
	return !strcmp(dir, "broken") ? -7 : 0;
}

int main(void)
{
	static const char *const kdirs[] = { "apps", "apps/web/overlay", NULL };
	static const char *const root_k[] = { "", NULL };
	size_t len = 99;

	ok(gate_unit_is_kustomization_path("kustomization.yaml"), "kustomization.yaml at the root");
	ok(gate_unit_is_kustomization_path("a/b/kustomization.yml"), "kustomization.yml in a folder");
	ok(gate_unit_is_kustomization_path("a/Kustomization"), "Kustomization");
	ok(!gate_unit_is_kustomization_path("a/kustomization.json"), "not kustomization.json");
	ok(!gate_unit_is_kustomization_path("kustomization.yaml/x.yaml"), "a folder of that name is not one");
	ok(gate_unit_is_kustomize_kind("kustomize.config.k8s.io/v1beta1", "Kustomization"), "Kustomization kind");
	ok(gate_unit_is_kustomize_kind("kustomize.config.k8s.io/v1alpha1", "Component"), "Component kind");
	ok(!gate_unit_is_kustomize_kind("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
		"Flux's Kustomization is applied, not read by kustomize");
	ok(!gate_unit_is_kustomize_kind(NULL, "Kustomization"), "no apiVersion");

	ok(gate_unit_find("apps/web/base", holds, (void *)kdirs, &len) == 1 && len == 4,
		"the nearest kustomization above: apps (%zu)", len);
	ok(gate_unit_find("apps/web/overlay", holds, (void *)kdirs, &len) == 1 && len == 16,
		"a kustomization in the folder itself");
	ok(gate_unit_find("infra/db", holds, (void *)kdirs, &len) == 0 && len == 8,
		"none above: the folder itself");
	ok(gate_unit_find("", holds, (void *)kdirs, &len) == 0 && len == 0, "the root without one");
	ok(gate_unit_find("infra/db", holds, (void *)root_k, &len) == 1 && len == 0,
		"a kustomization at the root holds everything");
	ok(gate_unit_find("broken/x", holds, (void *)kdirs, &len) == -7, "the callback's error is passed up");
	return tap_done();
}
