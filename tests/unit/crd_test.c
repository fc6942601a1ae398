/*
 * crd_test: the CRD conversion shared by `extract crd` and the hook's schemas
 * of pushed CRDs (flags, branches, preserved fields, file names).
 */
#include <stdlib.h>
#include <string.h>

#include "gate/crd.h"
#include "../tap.h"

static char *conv(const char *in, int flags)
{
	json_error_t e;
	json_t *j = json_loads(in, 0, &e), *out = gate_crd_schema_convert(j, flags);
	char *s = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(j);
	json_decref(out);
	return s;
}

static void is_conv(const char *in, int flags, const char *want, const char *name)
{
	char *got = conv(in, flags);

	if (!ok(got && !strcmp(got, want), "%s", name))
		diag("got:  %s\n# want: %s", got ? got : "(null)", want);
	free(got);
}

int main(void)
{
	const char *crd = "{\"type\":\"object\",\"description\":\"d\",\"properties\":{"
		"\"spec\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"description\":\"x\"}},"
		"\"oneOf\":[{\"properties\":{\"a\":{\"enum\":[\"x\"]}}}]},"
		"\"values\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true,"
		"\"properties\":{\"b\":{\"type\":\"object\",\"properties\":{\"c\":{}}}}},"
		"\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"object\",\"properties\":{\"d\":{}}}},"
		"\"list\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"e\":{}}}}}}";
	char path[256];

	is_conv(crd, GATE_CRD_CLOSED | GATE_CRD_NO_DESCRIPTIONS,
		"{\"properties\":{\"labels\":{\"additionalProperties\":{\"additionalProperties\":false,\"properties\":{\"d\":{}},\"type\":\"object\"},\"type\":\"object\"},"
		"\"list\":{\"items\":{\"additionalProperties\":false,\"properties\":{\"e\":{}},\"type\":\"object\"},\"type\":\"array\"},"
		"\"spec\":{\"additionalProperties\":false,\"oneOf\":[{\"properties\":{\"a\":{\"enum\":[\"x\"]}}}],\"properties\":{\"a\":{\"type\":\"string\"}},\"type\":\"object\"},"
		"\"values\":{\"properties\":{\"b\":{\"additionalProperties\":false,\"properties\":{\"c\":{}},\"type\":\"object\"}},\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}},"
		"\"type\":\"object\"}",
		"catalog style: root open, nested objects closed (items, map values), oneOf branch and preserved object open, descriptions gone");
	is_conv("{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\"}}}", GATE_CRD_CLOSED | GATE_CRD_CLOSED_ROOT,
		"{\"additionalProperties\":false,\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
		"\"metadata\":{\"type\":\"object\"},\"spec\":{\"type\":\"object\"}},\"type\":\"object\"}",
		"kubeconform -strict (the hook's strict CRD sets): root closed, apiVersion/kind/metadata added");
	is_conv("{\"type\":\"object\",\"description\":\"d\",\"properties\":{\"s\":{\"type\":\"object\",\"properties\":{\"a\":{}}}}}", 0,
		"{\"description\":\"d\",\"properties\":{\"s\":{\"properties\":{\"a\":{}},\"type\":\"object\"}},\"type\":\"object\"}",
		"no flags: the schema as it stands");
	is_conv("null", GATE_CRD_CLOSED, "{}", "no schema: an empty one");

	ok(gate_crd_catalog_path(path, sizeof(path), "helm.toolkit.fluxcd.io", "HelmRelease", "v2") == 0 &&
		!strcmp(path, "helm.toolkit.fluxcd.io/helmrelease_v2.json"), "catalog file name: %s", path);
	ok(gate_crd_catalog_path(path, sizeof(path), "..", "X", "v1") < 0, "group '..' refused");
	ok(gate_crd_catalog_path(path, sizeof(path), "a.io", "X/Y", "v1") < 0, "kind with a slash refused");
	ok(gate_crd_catalog_path(path, sizeof(path), "a.io", "X", "") < 0, "empty version refused");
	return tap_done();
}
