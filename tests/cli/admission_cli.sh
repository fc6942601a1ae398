#!/bin/sh
# `gitops-gate validate` with admission semantics: any single schema checked
# with --schema applies its CEL rules and list topology, and the catalog's
# HelmRelease schema refuses a release with both chart and chartRef.
. "$GATE_SRCDIR/tests/lib.sh"
data=$(gate_data)
hr="$data/flux-schema-catalog/catalog/latest/helm.toolkit.fluxcd.io/helmrelease_v2.json"
cd "$T_DIR"

cat >both.yaml <<'YAML'
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: default}
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef: {kind: HelmRepository, name: podinfo}
  chartRef: {kind: OCIRepository, name: podinfo}
YAML
sed '/chartRef/d' both.yaml >one.yaml

not_ok "--schema: chart and chartRef together fail" "$GATE_BIN" validate --schema "$hr" both.yaml
is "the CRD's message at /spec" "$("$GATE_BIN" validate --schema "$hr" both.yaml)" \
	"both.yaml:5:3: /spec: Invalid value: \"object\": either chart or chartRef must be set"
ok "--schema: chart alone passes" "$GATE_BIN" validate --schema "$hr" one.yaml
not_ok "-schema-location: the same refusal" "$GATE_BIN" validate -strict \
	-schema-location "$data/flux-schema-catalog/catalog/latest/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" both.yaml

cat >set.json <<'JSON'
{"type": "object", "properties": {"tags": {"type": "array", "x-kubernetes-list-type": "set",
 "items": {"type": "string"}}}, "x-kubernetes-validations": [{"rule": "self.tags.all(t, t.lowerAscii() == t)",
 "message": "tags must be lowercase", "fieldPath": ".tags"}]}
JSON
printf 'tags: [a, B, a]\n' >tags.yaml
is "--schema: a set and a rule with fieldPath" "$("$GATE_BIN" validate --schema set.json tags.yaml)" \
"tags.yaml:1:14: /tags/2: Duplicate value: \"a\"
tags.yaml:1:7: /tags: Invalid value: \"object\": tags must be lowercase"
done_testing
