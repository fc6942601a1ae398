#include "gate/unit.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

int gate_unit_is_kustomization_path(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;

	return !strcmp(base, "kustomization.yaml") || !strcmp(base, "kustomization.yml") ||
		!strcmp(base, "Kustomization");
}

int gate_unit_is_kustomize_kind(const char *api_version, const char *kind)
{
	return api_version && kind && !strncmp(api_version, "kustomize.config.k8s.io/", 24) &&
		(!strcmp(kind, "Kustomization") || !strcmp(kind, "Component"));
}

int gate_unit_find(const char *dir, gate_unit_holds_fn holds, void *payload, size_t *unit_len)
{
	char *d = gate_xstrdup(dir);
	size_t len = strlen(d);
	int r;

	for (;;) {
		d[len] = '\0';
		if ((r = holds(d, payload)) != 0)
			break;
		if (!len)
			break;
		do
			len--;
		while (len && d[len] != '/');
	}
	free(d);
	if (r < 0)
		return r;
	*unit_len = r ? len : strlen(dir);
	return r ? 1 : 0;
}
