#!/bin/sh
# admission.sh: `validate` with no schema location judges against the
# built-in catalog (offline); the API server's metadata rules; SOPS-encrypted
# documents under strict schemas; the same through `validate --schema`.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
A="$GATE_SRCDIR/tests/cli/admission"
cd "$T_DIR"
v() { "$GATE_BIN" validate "$@" 2>&1; }

# ---- the built-in catalog ----
out=$(v -summary -verbose "$A/catalog.yaml") && st=0 || st=$?
is "no location: Deployment, HelmRelease, HTTPRoute judged by the catalog" "$st" 0
like "Deployment valid" "$out" "catalog.yaml - Deployment web is valid"
like "HelmRelease valid" "$out" "catalog.yaml - HelmRelease podinfo is valid"
like "HTTPRoute valid" "$out" "catalog.yaml - HTTPRoute web is valid"
out=$(v -output json -verbose "$A/catalog.yaml")
like "json -verbose: valid resources listed" "$out" '"status": "statusValid"'
out=$(v "$A/catalog-bad.yaml") && st=0 || st=$?
is "bad resources: exit 1" "$st" 1
like "Deployment: replicas must be an integer" "$out" \
	"catalog-bad.yaml:6:13: Deployment/web: /spec/replicas: expected integer"
like "HelmRelease: the catalog is strict (closed objects)" "$out" \
	'HelmRelease/podinfo: /spec/chartz: additional property "chartz" is not allowed'
like "HTTPRoute: port range from the Gateway API schema" "$out" \
	"HTTPRoute/web: /spec/rules/0/backendRefs/0/port: "
out=$(v -summary "$A/catalog-bad.yaml" -schema-location catalog) || true
like "-schema-location catalog names it explicitly" "$out" "Valid: 0, Invalid: 3"
mkdir -p empty-loc
out=$(v -summary -schema-location "$T_DIR/empty-loc/{{ .ResourceKind }}.json" "$A/catalog.yaml") || true
like "an explicit location replaces the catalog (kubeconform's behaviour)" "$out" \
	"could not find schema for Deployment"
out=$(v -summary -schema-location "$T_DIR/empty-loc/{{ .ResourceKind }}.json" -schema-location catalog "$A/catalog.yaml")
like "the catalog as a fallback after a location" "$out" "Valid: 3, Invalid: 0"
out=$(GATE_CATALOG_DIR="$T_DIR/no-such-catalog" v "$A/catalog.yaml") && st=0 || st=$?
is "a missing catalog: exit 1" "$st" 1
like "a missing catalog is named" "$out" \
	"error: failed initialising schema location registry: the built-in schema catalog is not installed (no folder $T_DIR/no-such-catalog)"
printf 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x}\nsepc: {interval: 5m}\n' >sepc.yaml
out=$(v -summary sepc.yaml) && st=0 || st=$?
is "a CRD-derived root is open without -strict (as Flux Schema's catalog)" "$st" 0
out=$(v -strict sepc.yaml) || true
like "-strict closes it: an unknown top-level field is refused" "$out" \
	'HelmRelease/x: /sepc: additional property "sepc" is not allowed'
out=$(v -strict -summary "$A/catalog.yaml" "$A/sops.yaml")
like "-strict: the valid resources stay valid (sops key and all)" "$out" "Valid: 5, Invalid: 0"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' >widget.yaml
out=$(v widget.yaml) || true
like "a kind the catalog lacks" "$out" "could not find schema for Widget"

# ---- metadata rules ----
out=$(v -summary "$A/metadata.yaml") && st=0 || st=$?
is "metadata: exit 1" "$st" 1
like "Service names are DNS-1035 labels" "$out" \
	'Service/1web: /metadata/name: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '"'-'"', start with an alphabetic character'
like "Namespace names are DNS-1123 labels" "$out" \
	'Namespace/team.a: /metadata/name: metadata.name: Invalid value: "team.a": must not contain dots [metadata]'
like "name or generateName required" "$out" \
	'ConfigMap: /metadata: metadata.name: Required value: name or generateName is required [metadata]'
like "label values" "$out" \
	'ConfigMap/settings: /metadata/labels/app: metadata.labels: Invalid value: "not ok": a valid label must be an empty string'
like "names are DNS-1123 subdomains" "$out" \
	'Deployment/Web_1: /metadata/name: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of'
like "summary" "$out" "Summary: 5 resources found in 1 file - Valid: 0, Invalid: 5"
out=$(v -output json "$A/metadata.yaml") || true
like "json: rule metadata" "$out" '"rule": "metadata"'
like "json msg: the API server's words, no schema prefix" "$out" \
	'"msg": "metadata.name: Invalid value: \"1web\": a DNS-1035 label'

# ---- SOPS ----
out=$(v -strict -summary -verbose "$A/sops.yaml") && st=0 || st=$?
is "SOPS Secret and Deployment valid under -strict" "$st" 0
like "SOPS Secret valid" "$out" "sops.yaml - Secret db-credentials is valid"
like "encrypted replicas (type:int) accepted where an integer stands" "$out" "sops.yaml - Deployment web is valid"
sed 's/^    name: web$/    name: web\n    bogus: 1/' "$A/sops.yaml" >sops-bad.yaml
out=$(v -strict sops-bad.yaml) || true
like "a plain unknown field in a SOPS document still fails" "$out" \
	'Deployment/web: /metadata/bogus: additional property "bogus" is not allowed'
unlike "the sops key itself is not reported" "$out" '"sops" is not allowed'
grep -v '^sops:' "$A/sops.yaml" | sed '/^    mac:/,$d' >no-sops.yaml
printf 'exceptions: []\n' >policy.yaml
out=$(v -strict -policy policy.yaml "$A/sops.yaml") || true
unlike "policy: a SOPS Secret is not plaintext" "$out" "secret-plaintext"
unlike "secret scanning: ENC[...] values are not secrets" "$out" "secret-scan"
sed 's/    password: ENC.*/    password: hunter2-but-longer/' "$A/sops.yaml" >partial.yaml
out=$(v -strict -policy policy.yaml partial.yaml) || true
like "policy: a partly encrypted Secret is refused" "$out" \
	'key "password" in stringData is not sops-encrypted [secret-plaintext]'

# ---- validate --schema: the same admission step ----
dep=$(tar -xJOf "$GATE_SRCDIR/schemas/catalog.tar.xz" catalog/apps/deployment_v1.json 2>/dev/null | head -c 100)
[ -n "$dep" ] || bail "catalog.tar.xz holds no apps/deployment_v1.json"
tar -xJf "$GATE_SRCDIR/schemas/catalog.tar.xz" catalog/apps/deployment_v1.json
out=$(v -schema catalog/apps/deployment_v1.json -strict -summary "$A/sops.yaml" 2>&1) || true
like "--schema: SOPS Deployment valid" "$out" "Valid: 1"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Web_1}\nspec: {selector: {matchLabels: {a: b}}, template: {spec: {containers: []}}}\n' >meta-bad.yaml
out=$(v -schema catalog/apps/deployment_v1.json meta-bad.yaml) || true
like "--schema: metadata rules on a Kubernetes object" "$out" \
	'/metadata/name: metadata.name: Invalid value: "Web_1"'
printf 'name: Web_1\n' >plain.yaml
printf '{"type": "object"}' >any.json
out=$(v -schema any.json -summary plain.yaml) && st=0 || st=$?
is "--schema: a document that is not a Kubernetes object gets no metadata rules" "$st" 0

done_testing
