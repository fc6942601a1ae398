#!/bin/sh
# validate.sh: `gitops-gate validate` flags, output formats, exit codes, on a
# small fixture set written here (places in the expected lines are counted
# by hand from the fixtures below).
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
data=$(gate_data)
K=$(gate_k8s_location "$data")
C=$(gate_crd_location "$data")
cd "$T_DIR"
mkdir -p fx/apps fx/.hidden other

cat >fx/apps/web.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
Y
cat >fx/apps/bad.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
spec:
  replicas: "3"
  selector:
    matchLabels: {app: bad}
  template:
    metadata:
      labels: {app: bad}
    spec:
      containers:
        - name: bad
          image: nginx:1.27
Y
cat >fx/apps/strict.yaml <<'Y'
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports:
    - port: 80
      colour: blue
Y
cat >fx/apps/missing.yaml <<'Y'
# a kind without a schema
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
Y
cat >fx/kustomization.yaml <<'Y'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - apps/web.yaml
Y
cat >fx/empty.yaml <<'Y'
---
# nothing here
---
Y
cat >fx/list.yaml <<'Y'
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: one
    data:
      a: "1"
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: two
    data:
      b: 2
Y
cp fx/apps/bad.yaml fx/.hidden/bad.yaml
echo "not yaml, not looked at" >fx/apps/README.md

v() {
	set +e
	"$GATE_BIN" validate "$@" >"$T_DIR/o" 2>"$T_DIR/e"
	rc=$?
	set -e
	out=$(cat "$T_DIR/o")
	err=$(cat "$T_DIR/e")
}
vl() {
	v -kubernetes-version 1.32.2 -schema-location "$K" -schema-location "$C" "$@"
}

# --- one valid file, flag spellings ---
v -schema-location "$K" -kubernetes-version 1.32.2 fx/apps/web.yaml
is "valid file: exit 0" "$rc" 0
is "valid file: no output" "$out" ""
v --schema-location="$K" --kubernetes-version=1.32.2 -summary fx/apps/web.yaml
is "double dash and =value" "$out" "Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0"
v -schema-location "$K" -kubernetes-version 1.32.2 -summary=false -verbose=true fx/apps/web.yaml
is "boolean =false/=true" "$out" "fx/apps/web.yaml - Deployment web is valid"
v -schema-location "$K" -kubernetes-version 1.32.2 fx/apps/web.yaml -summary
is "flags after files" "$out" "Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0"
v -schema-location "$K" -kubernetes-version 1.32.2 -summary fx/apps/web.yaml,fx/apps/web.yaml
like "comma in a file argument names two files" "$out" "Summary: 2 resources found in 1 file"

# --- usage ---
v -h
is "-h: exit 0" "$rc" 0
for f in -cache -exit-on-error -ignore-filename-pattern -ignore-missing-schemas -insecure-skip-tls-verify \
	-kc-compat -kubernetes-version -n -offline -output -reject -schema -schema-location -skip -stats -strict -summary -verbose; do
	like "help lists $f" "$out" "  $f "
done
v --help
is "--help: exit 0" "$rc" 0
v -nope fx
is "unknown flag: exit 1 (kubeconform's usage status)" "$rc" 1
like "unknown flag: says so" "$err" "error: unknown flag '-nope'"
v -output yaml fx
is "unknown output: exit 1" "$rc" 1
like "unknown output: says so" "$err" "not an output format"
v -n 0 fx
is "-n 0 refused" "$rc" 1
v -schema-location
is "missing value refused" "$rc" 1
like "missing value: says so" "$err" "flag needs a value"
v -ignore-filename-pattern '(' fx
is "bad regex refused" "$rc" 1
like "bad regex: says so" "$err" "bad -ignore-filename-pattern"

# --- the whole fixture set, text ---
vl -strict -summary fx
is "fixture set: exit 1" "$rc" 1
is "fixture set: text lines with places" "$out" "fx/.hidden/bad.yaml:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string
fx/apps/bad.yaml:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string
fx/apps/missing.yaml:2:1: Widget/w: error: could not find schema for Widget
fx/apps/strict.yaml:8:7: Service/svc: /spec/ports/0/colour: additional property \"colour\" is not allowed
fx/list.yaml:15:10: ConfigMap/two: /data/b: expected string or null, got integer
Summary: 8 resources found in 8 files - Valid: 2, Invalid: 4, Errors: 1, Skipped: 1"
vl -summary fx/apps/strict.yaml
is "without -strict an unknown field passes" "$rc$out" "0Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0"
vl -strict -verbose fx/apps/web.yaml fx/kustomization.yaml fx/list.yaml fx/empty.yaml
is "verbose: valid, skipped and list items" "$out" "fx/apps/web.yaml - Deployment web is valid
fx/kustomization.yaml - Kustomization skipped
fx/list.yaml - ConfigMap one is valid
fx/list.yaml:15:10: ConfigMap/two: /data/b: expected string or null, got integer"
vl fx/empty.yaml
is "only empty documents: exit 0, no output" "$rc$out" "0"

# --- exit-on-error stops at the first failure ---
vl -exit-on-error fx/apps
is "exit-on-error: exit 1" "$rc" 1
is "exit-on-error: stops after the first failing resource" "$out" "fx/apps/bad.yaml:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string"

# --- skip, reject, missing schemas, ignored file names ---
vl -skip Deployment,Widget -summary fx/apps
is "skip by kind" "$out" "Summary: 4 resources found in 4 files - Valid: 1, Invalid: 0, Errors: 0, Skipped: 3"
vl -skip apps/v1/Deployment -ignore-missing-schemas -summary fx/apps
is "skip by group/version/kind, ignore missing schemas" "$rc $out" "0 Summary: 4 resources found in 4 files - Valid: 1, Invalid: 0, Errors: 0, Skipped: 3"
vl -reject Service fx/apps/strict.yaml
is "reject" "$rc $out" "1 fx/apps/strict.yaml:1:1: Service/svc: error: prohibited resource kind Service"
vl -ignore-filename-pattern 'bad' -ignore-filename-pattern '\.hidden' -ignore-filename-pattern 'miss' -summary fx
is "ignore-filename-pattern (PCRE2, repeatable)" "$out" "fx/list.yaml:15:10: ConfigMap/two: /data/b: expected string or null, got integer
Summary: 5 resources found in 5 files - Valid: 3, Invalid: 1, Errors: 0, Skipped: 1"
vl fx/none.yaml
is "missing file: exit 1" "$rc" 1
like "missing file: an error line" "$out" "fx/none.yaml: error: could not read: No such file or directory"
vl fx/apps/README.md
is "a file that is not yaml/json is not looked at (like kubeconform)" "$rc$out" "0"

# --- stdin ---
set +e
out=$("$GATE_BIN" validate -kubernetes-version 1.32.2 -schema-location "$K" -schema-location "$C" -summary - <fx/apps/bad.yaml)
rc=$?
set -e
is "stdin with -" "$rc $out" "1 stdin:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string
Summary: 1 resource found parsing stdin - Valid: 0, Invalid: 1, Errors: 0, Skipped: 0"
set +e
out=$("$GATE_BIN" validate -kubernetes-version 1.32.2 -schema-location "$K" -schema-location "$C" -summary <fx/apps/web.yaml)
rc=$?
set -e
is "stdin without file arguments" "$rc $out" "0 Summary: 1 resource found parsing stdin - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0"

# --- output formats ---
vl -strict -output json -summary fx/apps fx/kustomization.yaml
is "json: exit 1" "$rc" 1
ok "json: parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_DIR/o"
is "json: kubeconform shape with places" "$(python3 - "$T_DIR/o" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(sorted(d), d["summary"])
for r in d["resources"]:
    print(r["filename"], r["kind"], r["name"], r["version"], r["status"], r["line"], r["column"],
          [(e["path"], e["msg"], e["line"], e["column"]) for e in r.get("validationErrors", [])], bool(r["msg"]))
PY
)" "['resources', 'summary'] {'valid': 1, 'invalid': 2, 'errors': 1, 'skipped': 1}
fx/apps/bad.yaml Deployment bad apps/v1 statusInvalid 6 13 [('/spec/replicas', 'expected integer or null, got string', 6, 13)] True
fx/apps/missing.yaml Widget w example.com/v1 statusError 2 1 [] True
fx/apps/strict.yaml Service svc v1 statusInvalid 8 7 [('/spec/ports/0/colour', 'additional property \"colour\" is not allowed', 8, 7)] True"
vl -output json -verbose fx/apps/web.yaml
like "json -verbose lists valid resources" "$out" '"status": "statusValid"'
unlike "json without -summary has no summary" "$out" '"summary"'

vl -strict -output tap fx/apps/web.yaml fx/apps/bad.yaml fx/empty.yaml fx/kustomization.yaml fx/apps/missing.yaml
is "tap: exit 1" "$rc" 1
is "tap: kubeconform lines (header, version/kind/namespace/name, # skip)" "$(grep -v '^#' "$T_DIR/o" | sed 's/): .*/): MSG/')" "TAP version 13
ok 1 - fx/apps/web.yaml (apps/v1/Deployment//web)
not ok 2 - fx/apps/bad.yaml (apps/v1/Deployment//bad): MSG
ok 3 - fx/empty.yaml (empty)
ok 4 - fx/kustomization.yaml (kustomize.config.k8s.io/v1beta1/Kustomization//) # skip
not ok 5 - fx/apps/missing.yaml: could not find schema for Widget
1..5"
like "tap: places as comments" "$out" "# fx/apps/bad.yaml:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string"

vl -strict -output junit fx/apps/web.yaml fx/apps/bad.yaml fx/kustomization.yaml fx/apps/missing.yaml
is "junit: exit 1" "$rc" 1
ok "junit: well-formed XML" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$T_DIR/o"
like "junit: totals" "$out" 'tests="4" failures="1" disabled="1" errors="1"'
like "junit: suite per file" "$out" '<testsuite name="fx/apps/bad.yaml" id="2" tests="1" failures="1" errors="0" disabled="0" skipped="0">'
like "junit: case names" "$out" '<testcase name="bad" classname="Deployment@apps/v1">'
like "junit: failure carries the place" "$out" 'fx/apps/bad.yaml:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string'

vl -strict -output sarif fx/apps/bad.yaml fx/apps/strict.yaml fx/apps/missing.yaml
is "sarif: exit 1" "$rc" 1
is "sarif: 2.1.0 results with regions" "$(python3 - "$T_DIR/o" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
print(d["version"], run["tool"]["driver"]["name"], sorted(r["id"] for r in run["tool"]["driver"]["rules"]))
for r in run["results"]:
    pl = r["locations"][0]["physicalLocation"]
    print(r["ruleId"], r["level"], pl["artifactLocation"]["uri"], pl["region"]["startLine"], pl["region"]["startColumn"], r["message"]["text"])
PY
)" "2.1.0 gitops-gate ['error', 'schema']
schema error fx/apps/bad.yaml 6 13 Deployment/bad: /spec/replicas: expected integer or null, got string
schema error fx/apps/strict.yaml 8 7 Service/svc: /spec/ports/0/colour: additional property \"colour\" is not allowed
error error fx/apps/missing.yaml 2 1 Widget/w: could not find schema for Widget"

vl -strict -output pretty -verbose fx/apps/web.yaml fx/apps/bad.yaml
like "pretty: valid mark" "$out" "fx/apps/web.yaml: Deployment web is valid"
like "pretty: problem line" "$out" "fx/apps/bad.yaml:6:13: Deployment/bad: /spec/replicas: expected integer or null, got string"

# --- hostile names are escaped ---
mkdir -p "$(printf 'esc\033[31m')"
cp fx/apps/bad.yaml "$(printf 'esc\033[31m')/x.yaml"
vl esc*
like "control bytes in names are escaped" "$out" 'esc\x1b[31m/x.yaml:6:13:'

# --- --schema mode: any documents against one JSON schema ---
cat >s.json <<'J'
{"type": "object", "required": ["port"], "properties": {"port": {"type": "integer", "maximum": 65535}}}
J
printf 'port: 80\n---\nport: 70000\n---\nname: x\n' >a.yaml
printf '{"port": "80"}\n' >b.json
v --schema s.json a.yaml b.json
is "--schema: exit 1" "$rc" 1
is "--schema: text lines" "$out" "a.yaml:3:7: /port: must be at most 65535
a.yaml:5:1: missing required property \"port\"
b.json:1:10: /port: expected integer, got string"
v -schema s.json -output json -verbose a.yaml
like "--schema: json verdicts" "$out" '"status": "statusValid"'
printf 'port: 1\n' >c.yaml
v --schema=s.json c.yaml
is "--schema: valid exits 0" "$rc$out" "0"
v --schema nothere.json c.yaml
is "--schema: unreadable schema exits 1" "$rc" 1
like "--schema: says which schema" "$err" "could not load schema 'nothere.json'"

# --- nested Lists and *List kinds without a schema: their items are judged ---
cat >nested.yaml <<'Y'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: inner}
    data: {a: 1}
---
apiVersion: example.com/v1
kind: ThingList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm}
  data: {b: 2}
Y
vl -ignore-missing-schemas -summary nested.yaml
is "nested List and ThingList items judged" "$out" "nested.yaml:10:15: ConfigMap/inner: /data/a: expected string or null, got integer
nested.yaml:18:13: ConfigMap/cm: /data/b: expected string or null, got integer
Summary: 3 resources found in 1 file - Valid: 0, Invalid: 2, Errors: 0, Skipped: 1"

# --- -kc-compat: kubeconform 0.6's text lines (pkg/output/text.go), one per resource ---
printf 'apiVersion: example.com/v1\nkind: Gadget\n' >noname.yaml
S="$data/kubernetes-schemas-v1.32.2/v1.32.2-standalone-strict"
vl -kc-compat -strict -summary -verbose fx noname.yaml
is "kc-compat: exit 1" "$rc" 1
is "kc-compat: kubeconform's wording, every status" "$out" "fx/.hidden/bad.yaml - Deployment bad is invalid: problem validating schema. Check JSON formatting: jsonschema: '/spec/replicas' does not validate with $S/deployment-apps-v1.json: expected integer or null, got string
fx/apps/bad.yaml - Deployment bad is invalid: problem validating schema. Check JSON formatting: jsonschema: '/spec/replicas' does not validate with $S/deployment-apps-v1.json: expected integer or null, got string
fx/apps/missing.yaml - Widget w failed validation: could not find schema for Widget
fx/apps/strict.yaml - Service svc is invalid: problem validating schema. Check JSON formatting: jsonschema: '/spec/ports/0/colour' does not validate with $S/service-v1.json: additional property \"colour\" is not allowed
fx/apps/web.yaml - Deployment web is valid
fx/kustomization.yaml -  Kustomization skipped
fx/list.yaml - ConfigMap one is valid
fx/list.yaml - ConfigMap two is invalid: problem validating schema. Check JSON formatting: jsonschema: '/data/b' does not validate with $S/configmap-v1.json: expected string or null, got integer
noname.yaml - failed validation: could not find schema for Gadget
Summary: 9 resources found in 9 files - Valid: 2, Invalid: 4, Errors: 2, Skipped: 1"
vl -kc-compat fx/apps/web.yaml fx/kustomization.yaml fx/empty.yaml
is "kc-compat: valid, skipped and empty say nothing without -verbose" "$rc:$out" "0:"
vl -kc-compat -exit-on-error -strict fx/apps
is "kc-compat: exit-on-error stops at the first failing resource" "$rc:$out" "1:fx/apps/bad.yaml - Deployment bad is invalid: problem validating schema. Check JSON formatting: jsonschema: '/spec/replicas' does not validate with $S/deployment-apps-v1.json: expected integer or null, got string"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata:\n  a: 1\n' >two.yaml
vl -kc-compat -strict two.yaml
is "kc-compat: all of a resource's problems on its one line (backslashes doubled, as in every line format)" "$out" "two.yaml - ConfigMap Bad_Name is invalid: problem validating schema. Check JSON formatting: jsonschema: '/data/a' does not validate with $S/configmap-v1.json: expected string or null, got integer - metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
v -kc-compat -output json fx
is "kc-compat: only with -output text" "$rc" 1
like "kc-compat: says which output" "$err" "error: -kc-compat is for -output text, not 'json'"
v -kc-compat -policy builtin fx
is "kc-compat: not with -policy (no place for warnings)" "$rc" 1
like "kc-compat with -policy: says so" "$err" "not with -policy or -server-config"

# --- -stats: CEL rules really evaluated (a Flux HelmRelease carries rules in the catalog) ---
cat >hr.yaml <<'Y'
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
Y
v -stats -summary hr.yaml
is "stats: valid HelmRelease" "$rc:$out" "0:Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0"
n=$(echo "$err" | sed -n 's/^stats: \([0-9]*\) CEL rule evaluations$/\1/p')
ok "stats: the catalog's HelmRelease rules were evaluated ($n)" test "${n:-0}" -gt 0
v -summary hr.yaml
is "stats: nothing on stderr without -stats" "$err" ""

done_testing
