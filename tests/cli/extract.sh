#!/bin/sh
# extract.sh: `gitops-gate extract crd` on real CRDs: kube-prometheus's (the
# corpus) against the published schemas of the same CRDs (crd-schemas), and a
# round trip through CRDs rebuilt from the built-in catalog's own files, which
# must come out byte for byte as the catalog has them.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
command -v python3 >/dev/null || skip_all "python3 not installed"
data=$(gate_data)
setup="$data/manifests-corpus/prometheus-operator+kube-prometheus/manifests/setup"
[ -d "$setup" ] || bail "no kube-prometheus CRDs in $data"
cd "$T_DIR"

# ---- kube-prometheus: ten CRDs, ten schemas ----
"$GATE_BIN" extract crd -q -d kp "$setup"/*CustomResourceDefinition.yaml && st=0 || st=$?
is "extract exits 0" "$st" 0
got=$(cd kp && find . -type f | sort | sed 's|^\./||' | tr '\n' ' ')
want=$(cd "$data/crd-schemas" && ls monitoring.coreos.com/*.json | sort | tr '\n' ' ')
is "one file per served version, the catalog layout (<group>/<kind>_<version>.json)" "$got" "$want"
out=$(python3 - kp "$data/crd-schemas" <<'PY'
import json, os, sys
ours, pub = sys.argv[1], sys.argv[2]
def nodes(n, p=""):
    if isinstance(n, dict):
        if isinstance(n.get("properties"), dict):
            yield p, n.get("additionalProperties") is False
        for k, v in (n.get("properties") or {}).items():
            yield from nodes(v, p + "/properties/" + k)
        if isinstance(n.get("items"), dict):
            yield from nodes(n["items"], p + "/items")
        if isinstance(n.get("additionalProperties"), dict):
            yield from nodes(n["additionalProperties"], p + "/additionalProperties")
def keys(n, acc):
    if isinstance(n, dict):
        for k, v in n.items():
            if k.startswith("x-kubernetes-"):
                acc.add(k)
            keys(v, acc)
    elif isinstance(n, list):
        for v in n:
            keys(v, acc)
    return acc
total = agree = 0
ext = set()
for f in sorted(os.listdir(os.path.join(ours, "monitoring.coreos.com"))):
    a = json.load(open(os.path.join(ours, "monitoring.coreos.com", f)))
    b = json.load(open(os.path.join(pub, "monitoring.coreos.com", f)))
    da, db = dict(nodes(a)), dict(nodes(b))
    for p in set(da) & set(db):
        total += 1
        agree += da[p] == db[p]
    keys(a, ext)
print(total > 2000, total == agree, sorted(ext))
PY
)
is "closed objects agree with the published schemas on every common object node" "$out" \
	"True True ['x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations']"
out=$("$GATE_BIN" validate -summary -schema-location "$T_DIR/kp/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
	-schema-location catalog "$setup/../" 2>&1) || true
unlike "kube-prometheus's own resources find their schemas" "$out" "could not find schema"
like "and are judged" "$out" "Summary: "

# ---- multi-document input, List, stdin, unserved versions ----
cat >crds.yaml <<'YAML'
apiVersion: v1
kind: List
items:
  - apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      names: {kind: Widget, plural: widgets}
      scope: Namespaced
      versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              description: a widget
              properties:
                spec:
                  type: object
                  description: the spec
                  properties:
                    size: {type: integer, description: how big}
                    description: {type: string}
                  x-kubernetes-validations:
                    - rule: self.size > 0
                      message: size must be positive
        - name: v0
          served: false
          storage: false
          schema: {openAPIV3Schema: {type: object}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
YAML
"$GATE_BIN" extract crd -d out - <crds.yaml >list.out && st=0 || st=$?
is "stdin, a List of CRDs: exit 0" "$st" 0
is "served version written, unserved one not" "$(cat list.out)" "out/example.com/widget_v1.json"
is "descriptions dropped, a property named description kept, CEL rules kept, nested objects closed" \
	"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' out/example.com/widget_v1.json)" \
	'{"properties": {"spec": {"additionalProperties": false, "properties": {"description": {"type": "string"}, "size": {"type": "integer"}}, "type": "object", "x-kubernetes-validations": [{"message": "size must be positive", "rule": "self.size > 0"}]}}, "type": "object"}'
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1, colour: red}\n' >w.yaml
out=$("$GATE_BIN" validate -schema-location "$T_DIR/out/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" w.yaml) || true
like "the extracted schema judges a custom resource" "$out" '/spec/colour: additional property "colour" is not allowed'
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' >none.yaml
out=$("$GATE_BIN" extract crd -d out none.yaml 2>&1) && st=0 || st=$?
is "no CRD at all: exit 1" "$st" 1
like "no CRD at all: said so" "$out" "error: no served CustomResourceDefinition version found"
out=$("$GATE_BIN" extract yaml x 2>&1) && st=0 || st=$?
is "extract of something else: exit 1" "$st" 1

# ---- round trip: CRDs rebuilt from catalog files come out as the catalog has them ----
cat_tar="$GATE_SRCDIR/schemas/catalog.tar.xz"
set -- helm.toolkit.fluxcd.io/helmrelease_v2 kustomize.toolkit.fluxcd.io/kustomization_v1 \
	gateway.networking.k8s.io/httproute_v1 gateway.networking.k8s.io/gateway_v1 \
	flagger.app/canary_v1beta1 fluxcd.controlplane.io/resourceset_v1 \
	notification.toolkit.fluxcd.io/provider_v1beta3
for s in "$@"; do
	tar -xJf "$cat_tar" "catalog/$s.json"
done
python3 - "$@" >rebuilt.yaml <<'PY'
import json, sys
# a CRD per catalog file: the schema opened again (the additionalProperties
# false that extraction adds removed), with descriptions put back in
def reopen(n, root=True):
    if isinstance(n, dict):
        out = {}
        for k, v in n.items():
            if k == "additionalProperties" and v is False and isinstance(n.get("properties"), dict):
                continue
            if k == "properties":
                out[k] = {pk: reopen(pv, False) for pk, pv in v.items()}
            elif k in ("items", "additionalProperties", "not"):
                out[k] = reopen(v, False)
            elif k in ("allOf", "anyOf", "oneOf"):
                out[k] = [reopen(x, False) for x in v]
            else:
                out[k] = v
        out["description"] = "described"
        return out
    return n
docs = []
for s in sys.argv[1:]:
    group, rest = s.split("/")
    kind, version = rest.rsplit("_", 1)
    schema = reopen(json.load(open("catalog/" + s + ".json")))
    docs.append({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": kind + "s." + group},
        "spec": {"group": group, "names": {"kind": kind.capitalize(), "plural": kind + "s"},
            "scope": "Namespaced",
            "versions": [{"name": version, "served": True, "storage": True,
                "schema": {"openAPIV3Schema": schema}}]}})
print("\n---\n".join(json.dumps(d) for d in docs))
PY
"$GATE_BIN" extract crd -q -d rt rebuilt.yaml
for s in "$@"; do
	ok "round trip: $s.json byte for byte" cmp "catalog/$s.json" "rt/$s.json"
done

done_testing
