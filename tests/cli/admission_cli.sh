#!/bin/sh
# `gitops-gate validate` with admission semantics: any single schema checked
# with --schema applies its CEL rules and list topology, and the catalog's
# HelmRelease schema refuses a release with both chart and chartRef; list
# topology, embedded resources, int-or-string and defaults too.
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
	"both.yaml:5:3: HelmRelease/podinfo: /spec: Invalid value: \"object\": either chart or chartRef must be set"
is "--schema: the JSON result names the resource, as in the other modes" \
	"$("$GATE_BIN" validate -output json --schema "$hr" both.yaml | tr -d ' \n' | grep -o '"kind":"[^"]*","name":"[^"]*","version":"[^"]*"')" \
	'"kind":"HelmRelease","name":"podinfo","version":"helm.toolkit.fluxcd.io/v2"'
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

# --schema: list-map keys (a default fills a missing key), int-or-string,
# embedded resources and a default read by a rule, all through one schema
cat >topo.json <<'JSON'
{"type": "object", "properties": {
 "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "protocol"],
  "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
   "protocol": {"type": "string", "default": "TCP"}, "port": {"x-kubernetes-int-or-string": true}}}},
 "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
 "mode": {"type": "string", "default": "auto"}},
 "x-kubernetes-validations": [{"rule": "self.mode == 'auto' || has(self.template)", "message": "a manual mode needs a template"}]}
JSON
printf 'ports:\n- {name: http, port: 80}\n- {name: http, protocol: TCP, port: http}\n- {name: dns, protocol: UDP, port: 1.5}\ntemplate: {metadata: {name: x}}\n' >topo-bad.yaml
printf 'ports:\n- {name: http, port: 80}\n- {name: http, protocol: UDP, port: web}\ntemplate: {apiVersion: v1, kind: ConfigMap}\n' >topo-good.yaml
is "--schema: list-map (defaulted key), int-or-string, embedded resource" \
	"$("$GATE_BIN" validate --schema topo.json topo-bad.yaml)" \
"topo-bad.yaml:4:36: /ports/2/port: expected string or integer, got number
topo-bad.yaml:3:3: /ports/1: Duplicate value: {\"name\":\"http\",\"protocol\":\"TCP\"}
topo-bad.yaml:5:11: /template/apiVersion: Required value: must not be empty
topo-bad.yaml:5:11: /template/kind: Required value: must not be empty"
ok "--schema: distinct list-map keys, an embedded object with apiVersion and kind" \
	"$GATE_BIN" validate --schema topo.json topo-good.yaml
printf 'mode: manual\n' >manual.yaml
is "--schema: a rule on the root" "$("$GATE_BIN" validate --schema topo.json manual.yaml)" \
	'manual.yaml:1:1: Invalid value: "object": a manual mode needs a template'
printf '{}\n' >empty-object.yaml
ok "--schema: the default (mode: auto) is what the rule reads" "$GATE_BIN" validate --schema topo.json empty-object.yaml
done_testing
