#!/bin/sh
# gitops-gate validate -policy: the policy engine outside git, with the same
# output formats, exit codes as kubeconform, secrets never echoed.
. "$GATE_SRCDIR/tests/lib.sh"

data=$(gate_data)
loc=$(gate_k8s_location "$data")
cd "$T_DIR"
v() {
	"$GATE_BIN" validate -kubernetes-version 1.32.2 -schema-location "$loc" "$@"
}

cat >deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
      - name: app
        image: nginx:latest
        securityContext: {privileged: true, readOnlyRootFilesystem: true}
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 10m, memory: 16Mi}
YAML
cat >quiet.yaml <<'YAML'
checks:
  liveness-probe: 'off'
  readiness-probe: 'off'
YAML

out=$(v deploy.yaml 2>&1) && rc=0 || rc=$?
is "without -policy validate is kubeconform: valid" "$rc:$out" "0:"

out=$(v -policy quiet.yaml deploy.yaml 2>&1) && rc=0 || rc=$?
is "built-in deny checks reject" "$rc" 1
is "one line per problem" "$out" 'deploy.yaml:15:39: Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: container "app" is privileged [privileged]
deploy.yaml:14:16: Deployment/web: /spec/template/spec/containers/0/image: container "app" image "nginx:latest" uses the latest tag: pin a version or digest [image-tag-latest]'

cat >warn.yaml <<'YAML'
checks:
  privileged: warn
  image-tag-latest: warn
  liveness-probe: 'off'
  readiness-probe: 'off'
YAML
out=$(v -policy warn.yaml deploy.yaml 2>&1) && rc=0 || rc=$?
is "warn problems never reject" "$rc" 0
like "warn problems print as warnings" "$out" 'Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: warning: container "app" is privileged'

cat >rules.yaml <<'YAML'
rules:
- id: team-label
  message: workloads carry a team label
  match: {kinds: [Deployment]}
  field: metadata.labels.team
  exists: true
YAML
out=$(v -policy rules.yaml -no-builtin-checks deploy.yaml 2>&1) && rc=0 || rc=$?
is "-no-builtin-checks keeps custom rules only" "$rc:$out" '1:deploy.yaml:4:3: Deployment/web: /metadata: workloads carry a team label [team-label]'

out=$(v -policy rules.yaml -policy quiet.yaml -no-builtin-checks -output sarif deploy.yaml 2>&1) && rc=0 || rc=$?
like "sarif names the rule" "$out" '"ruleId": "team-label"'

cat >secret.yaml <<'YAML'
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData:
  password: "Zx8kQ2mW9vL4pRt7"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ci, namespace: shop}
data:
  key: AKIAQYLPMN5HHHFPZAM2
YAML
out=$(v -policy quiet.yaml secret.yaml 2>&1) && rc=0 || rc=$?
is "a plaintext secret and an aws key reject" "$rc" 1
like "the Secret object is denied" "$out" 'secret "db" holds plaintext values in stringData'
like "the aws key is found" "$out" 'secret.yaml:11:8: aws access key id [secret-aws-access-key]'
like "the generic assignment is found" "$out" 'secret.yaml:5:14: credential assignment with a high-entropy value for "password" [secret-generic]'
unlike "the password never appears" "$out" "Zx8kQ2mW9vL4pRt7"
unlike "the key never appears" "$out" "AKIAQYLPMN5HHHFPZAM2"
out=$(v -policy quiet.yaml -output json secret.yaml 2>&1) || true
unlike "nor in json" "$out" "AKIAQYLPMN5HHHFPZAM2"

echo 'rules: 5' >broken.yaml
out=$(v -policy broken.yaml deploy.yaml 2>&1) && rc=0 || rc=$?
is "a broken policy file is an error that names the place" "$rc:$out" \
	'1:error: could not load the policy: broken.yaml:1:8: /rules: expected array, got integer'
out=$(v -policy missing.yaml deploy.yaml 2>&1) && rc=0 || rc=$?
like "a missing policy file is an error" "$rc:$out" '1:error: could not load the policy: missing.yaml: could not read policy file'
out=$(v -no-builtin-checks deploy.yaml 2>&1) && rc=0 || rc=$?
like "-no-builtin-checks alone is a usage error" "$rc:$out" '1:error: -no-builtin-checks needs -policy'

done_testing
