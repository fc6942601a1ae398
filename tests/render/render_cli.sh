#!/bin/sh
# render_cli.sh: `gitops-gate render` and `validate -render` on real folders:
# kustomize's output for a real repository, what the schema and the policy
# see once the build is judged instead of its files, and kustomize-style
# errors naming the file and line.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
data=$(gate_data)
loc=$(gate_k8s_location "$data")
crd=$(gate_crd_location "$data")
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}/data/kustomize-goldens.tar.xz"
[ -f "$shared" ] || bail "shared data missing: expected $shared"
mkdir -p "$T_DIR/g"
tar xJf "$shared" -C "$T_DIR/g" 'kustomize-goldens/fluxcd+flux2-kustomize-helm-example' ||
	bail "could not unpack $shared"
flux="$T_DIR/g/kustomize-goldens/fluxcd+flux2-kustomize-helm-example"

v() {
	"$GATE_BIN" validate -strict -kubernetes-version 1.32.2 -schema-location "$loc" \
		-schema-location "$crd" "$@"
}

# --- the command: kustomize's bytes for a real repository ---
cd "$flux/tree"
"$GATE_BIN" render apps/production >"$T_DIR/out.yaml" 2>"$T_DIR/err" && rc=0 || rc=$?
is "render exits 0" "$rc" 0
ok "render prints what kubectl kustomize printed (legacy order)" \
	cmp "$flux/cases/apps__production/expected.yaml" "$T_DIR/out.yaml"
"$GATE_BIN" render --reorder none clusters/production/flux-system >"$T_DIR/none.yaml"
want="$flux/cases/clusters__production__flux-system/expected-reorder-none.yaml"
[ -f "$want" ] || want="$flux/cases/clusters__production__flux-system/expected.yaml"
ok "render --reorder none prints kustomize's input order" cmp "$want" "$T_DIR/none.yaml"
"$GATE_BIN" render --reorder=legacy apps/production >"$T_DIR/eq.yaml"
ok "--reorder=legacy is the default" cmp "$T_DIR/out.yaml" "$T_DIR/eq.yaml"
"$GATE_BIN" render apps/production apps/staging >"$T_DIR/two.yaml" && rc=0 || rc=$?
{ cat "$flux/cases/apps__production/expected.yaml"; echo ---; cat "$flux/cases/apps__staging/expected.yaml"; } >"$T_DIR/two.want"
ok "several folders print their builds one after another" cmp "$T_DIR/two.want" "$T_DIR/two.yaml"
"$GATE_BIN" render --reorder sideways apps/production >/dev/null 2>&1 && rc=0 || rc=$?
is "a wrong --reorder is a usage error" "$rc" 2

# --- judging the build, not the files (issue 11: flux2-kustomize-helm-example) ---
v apps/production >"$T_DIR/files.txt" 2>&1 && rc=0 || rc=$?
is "the files alone: the values patch fails the HelmRelease schema" "$rc" 1
like "the patch file is the one rejected" "$(cat "$T_DIR/files.txt")" "podinfo-values.yaml"
v -render apps/production infrastructure/controllers >"$T_DIR/render.txt" 2>&1 && rc=0 || rc=$?
is "validate -render: the builds are valid" "$rc:$(cat "$T_DIR/render.txt")" "0:"
"$GATE_BIN" render apps/production | v - >"$T_DIR/pipe.txt" 2>&1 && rc=0 || rc=$?
is "render DIR | validate - works" "$rc:$(cat "$T_DIR/pipe.txt")" "0:"

# --- what only the build shows ---
mkdir -p "$T_DIR/app/base" "$T_DIR/app/prod"
cd "$T_DIR/app"
cat >base/deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
      - name: app
        image: registry.example.com/web:1.0
        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 10m, memory: 16Mi}
        livenessProbe: {httpGet: {path: /, port: 80}}
        readinessProbe: {httpGet: {path: /, port: 80}}
YAML
printf 'resources:\n- deploy.yaml\n' >base/kustomization.yaml
cat >prod/kustomization.yaml <<'YAML'
namespace: shop
resources:
- ../base
images:
- name: registry.example.com/web
  newTag: latest
patches:
- target:
    kind: Deployment
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/securityContext/privileged
      value: true
secretGenerator:
- name: db
  literals:
  - password=hunter2
YAML
printf 'checks: {}\n' >policy.yaml
v -policy policy.yaml base/deploy.yaml >"$T_DIR/base.txt" 2>&1 && rc=0 || rc=$?
is "the base alone passes the policy" "$rc:$(cat "$T_DIR/base.txt")" "0:"
v -policy policy.yaml -render prod >"$T_DIR/prod.txt" 2>&1 && rc=0 || rc=$?
is "the overlay's build is rejected" "$rc" 1
out=$(cat "$T_DIR/prod.txt")
like "the inline patch's privileged container is seen" "$out" "is privileged"
like "images: newTag: latest is seen" "$out" "uses the latest tag"
like "the secretGenerator's plaintext Secret is seen" "$out" "secret-plaintext"

# --- kustomize-style errors, at the source line ---
mkdir -p err1 err2 err3 err4 err5
printf 'resources:\n- deploy.yaml\n' >err1/kustomization.yaml
cp base/deploy.yaml err1/
printf 'resources:\n- deploy.yaml\n- missing.yaml\n' >err2/kustomization.yaml
cp base/deploy.yaml err2/
printf 'resources:\n- ../base\npatches:\n- path: p.yaml\n' >err3/kustomization.yaml
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nothere\nspec:\n  replicas: 2\n' >err3/p.yaml
printf 'resources:\n- github.com/example/repo//base?ref=v1\n' >err4/kustomization.yaml
printf 'resources: []\nhelmCharts:\n- name: x\n' >err5/kustomization.yaml
"$GATE_BIN" render err1 >/dev/null 2>&1 && rc=0 || rc=$?
is "a plain build renders" "$rc" 0
"$GATE_BIN" render err2 >"$T_DIR/o" 2>"$T_DIR/e" && rc=0 || rc=$?
is "a missing resource fails the build" "$rc:$(cat "$T_DIR/o")" "1:"
like "... naming the kustomization line" "$(cat "$T_DIR/e")" "error: err2/kustomization.yaml:3:3: accumulating resources"
"$GATE_BIN" render err3 >/dev/null 2>"$T_DIR/e" && rc=0 || rc=$?
is "a patch that matches nothing fails the build" "$rc" 1
like "... naming the patch" "$(cat "$T_DIR/e")" "error: err3/p.yaml:1:1: no resource matches strategic merge patch"
"$GATE_BIN" render err4 >/dev/null 2>"$T_DIR/e" && rc=0 || rc=$?
is "a remote resource fails the build" "$rc" 1
like "... naming its line" "$(cat "$T_DIR/e")" "error: err4/kustomization.yaml:2:3: remote resource"
"$GATE_BIN" render --skip-unreachable err4 >"$T_DIR/o" 2>"$T_DIR/e" && rc=0 || rc=$?
is "--skip-unreachable: the remote resource is skipped" "$rc:$(cat "$T_DIR/o")" "0:"
is "... with a warning at its line" "$(cat "$T_DIR/e")" \
	"warning: err4/kustomization.yaml:2:3: remote resource 'github.com/example/repo//base?ref=v1' is not rendered (the gate does not reach the network): skipped"
"$GATE_BIN" render err5 >/dev/null 2>"$T_DIR/e" && rc=0 || rc=$?
is "helmCharts fails the build" "$rc" 1
like "... naming its key" "$(cat "$T_DIR/e")" "error: err5/kustomization.yaml:2:1: helmCharts: "
v -render err2 >"$T_DIR/o" 2>&1 && rc=0 || rc=$?
is "validate -render of a broken build fails" "$rc" 1
like "... with the build's error" "$(cat "$T_DIR/o")" "missing.yaml"
"$GATE_BIN" render nosuchdir >/dev/null 2>"$T_DIR/e" && rc=0 || rc=$?
is "a folder that does not exist" "$rc:$(cat "$T_DIR/e")" "1:error: must build at directory: not a valid directory: 'nosuchdir'"

done_testing
