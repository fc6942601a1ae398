#!/bin/sh
# Holes through which bad content reached the accepted ref (issue 10, the
# judging engine's part).  Each case is one block: a file committed on a
# branch of its own from a clean base, pushed for real over file:// and
# smart HTTP (git http-backend under lighttpd); the push must be refused
# with the line that names the problem and the branch must not exist.  The
# same file through `gitops-gate validate -policy builtin` must fail with the
# same problem: the CLI and the hook give the same verdicts.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

# not strict, missing schemas skipped: the holes are in what is judged, not in the schemas
holes_config() {
	cat >"$1/gitops-gate.yaml" <<YAML
version: 1
schemas:
  - paths: ["**"]
    kubernetes_version: 1.32.2
    strict: false
    ignore_missing_schemas: true
    locations:
      - "$HK_K8S"
      - "$HK_CRD"
YAML
	[ $# -gt 1 ] && printf '%s\n' "$2" >>"$1/gitops-gate.yaml"
	return 0
}

mkdir -p "$T_DIR/srv" "$T_DIR/cases"
frepo=$(make_bare files)
hrepo=$(make_bare srv/web)
holes_config "$frepo"
holes_config "$hrepo"
start_http "$T_DIR/srv"
fwork=$(make_work fw "file://$frepo")
hwork=$(make_work hw "$HTTP_URL/web.git")
for w in "$fwork" "$hwork"; do
	put_file "$w" apps/svc.yaml "$(valid_service svc)" "base"
	git -C "$w" tag base
done
ok "base over file://" push "$fwork" origin main
ok "base over http" push "$hwork" origin main

validate() {
	"$GATE_BIN" validate -kubernetes-version 1.32.2 -ignore-missing-schemas \
		-schema-location "$HK_K8S" -schema-location "$HK_CRD" -policy builtin "$@"
}

# commit_case WORK NAME: a branch NAME from base holding the files of case NAME
commit_case() {
	git -C "$1" checkout -q -B "$2" base
	cp -R "$T_DIR/cases/$2/." "$1/"
	git -C "$1" add -A
	git -C "$1" commit -q -m "$2"
}

# refused NAME NEEDLE: case NAME (files under $T_DIR/cases/NAME) is refused
# over both transports and by validate, each time naming NEEDLE
refused() {
	for t in file http; do
		if [ "$t" = file ]; then w=$fwork r=$frepo; else w=$hwork r=$hrepo; fi
		commit_case "$w" "$1"
		not_ok "$1: refused over $t" push "$w" origin "$1"
		like "$1: $t: says why" "$(remote_lines)" "$2"
		is "$1: $t: no branch" "$(ref_of "$r" "refs/heads/$1")" none
	done
	run_validate "$1"
	is "$1: validate -policy fails" "$V_RC" 1
	like "$1: validate says why" "$(cat "$T_DIR/validate.out")" "$2"
}

# run_validate NAME: validate the files of case NAME from its folder; status in V_RC
run_validate() {
	set +e
	(cd "$T_DIR/cases/$1" && validate .) >"$T_DIR/validate.out" 2>&1
	V_RC=$?
	set -e
}

# accepted NAME: case NAME is accepted over both transports and by validate
accepted() {
	for t in file http; do
		if [ "$t" = file ]; then w=$fwork r=$frepo; else w=$hwork r=$hrepo; fi
		commit_case "$w" "$1"
		ok "$1: accepted over $t" push "$w" origin "$1"
		is "$1: $t: branch created" "$(ref_of "$r" "refs/heads/$1")" "$(git -C "$w" rev-parse HEAD)"
	done
	run_validate "$1"
	is "$1: validate -policy passes" "$V_RC" 0
}

# case_file NAME PATH: write stdin to PATH in case NAME
case_file() {
	mkdir -p "$(dirname "$T_DIR/cases/$1/$2")"
	cat >"$T_DIR/cases/$1/$2"
}

privileged_deployment() {
	valid_deployment "$1" | sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: true\n            privileged: true/'
}

# ---- 1. typed lists: every *List kind is expanded into its items ----

{
	echo "apiVersion: apps/v1"
	echo "kind: DeploymentList"
	echo "items:"
	privileged_deployment evil | sed 's/^/  /; 1s/^  /- /'
} | case_file deployment-list apps/list.yaml
refused deployment-list 'Deployment/evil: /spec/template/spec/containers/0/securityContext/privileged: container "evil" is privileged'

case_file secret-list apps/secrets.yaml <<'YAML'
apiVersion: v1
kind: SecretList
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: db}
  stringData: {password: hunter2-hunter2}
YAML
refused secret-list 'Secret/db: /stringData: secret "db" holds plaintext values in stringData'

# an item with neither kind nor apiVersion is a Deployment to kubectl
case_file list-item-without-kind apps/list.yaml <<'YAML'
apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: nokind}
  spec:
    selector: {matchLabels: {app: n}}
    template:
      metadata: {labels: {app: n}}
      spec:
        hostNetwork: true
        containers: [{name: n, image: "nginx:1.25"}]
YAML
refused list-item-without-kind 'Deployment/nokind: /spec/template/spec/hostNetwork: pod uses the host network (hostNetwork: true)'

# a list kind nobody has a schema for
case_file custom-list apps/foo.yaml <<'YAML'
apiVersion: example.com/v1
kind: FooList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: inner}
  spec:
    containers: [{name: c, image: "busybox:latest"}]
YAML
refused custom-list 'Pod/inner: /spec/containers/0/image: container "c" image "busybox:latest" uses the latest tag'

# ---- 2. items smuggled in a kind that is no list ----

case_file items-on-configmap apps/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: smuggled}
  stringData: {token: hunter2-hunter2}
YAML
refused items-on-configmap 'ConfigMap/settings: /items: a ConfigMap with a top-level items sequence: kubectl and Argo CD apply its items instead of the object'
like "items-on-configmap: the smuggled Secret is judged too" "$(remote_lines)" 'Secret/smuggled: /stringData: secret "smuggled" holds plaintext values'

# ---- 5. pod-bearing kinds found by shape ----

case_file argo-cronworkflow apps/cron.yaml <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  workflowSpec:
    entrypoint: main
    hostNetwork: true
    volumes:
    - name: host
      hostPath: {path: /}
    templates:
    - name: main
      container:
        image: alpine:latest
        securityContext: {privileged: true}
YAML
refused argo-cronworkflow 'CronWorkflow/nightly: /spec/workflowSpec/templates/0/container/securityContext/privileged: container "container" is privileged'
for needle in '/spec/workflowSpec/hostNetwork: pod uses the host network' \
	'/spec/workflowSpec/volumes/0/hostPath: volume "host" mounts the host'"'"'s root filesystem "/"' \
	'/spec/workflowSpec/templates/0/container/image: container "container" image "alpine:latest" uses the latest tag'; do
	like "argo-cronworkflow: $needle" "$(remote_lines)" "$needle"
done

case_file tekton-task apps/task.yaml <<'YAML'
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  steps:
  - name: build
    image: gcr.io/kaniko-project/executor:v1.23.0
    securityContext: {privileged: true}
YAML
refused tekton-task 'Task/build: /spec/steps/0/securityContext/privileged: container "build" is privileged'

case_file knative-service apps/ksvc.yaml <<'YAML'
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containers:
      - image: ghcr.io/example/hello:latest
YAML
refused knative-service 'Service/hello: /spec/template/spec/containers/0/image: container "#0" image "ghcr.io/example/hello:latest" uses the latest tag'

case_file keda-scaledjob apps/job.yaml <<'YAML'
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: worker}
spec:
  jobTargetRef:
    template:
      spec:
        volumes:
        - name: sock
          hostPath: {path: /var/run/docker.sock}
        containers:
        - {name: w, image: "example/worker:1.0"}
YAML
refused keda-scaledjob 'ScaledJob/worker: /spec/jobTargetRef/template/spec/volumes/0/hostPath: volume "sock" mounts the container runtime socket'

# ---- 7. self-waivers are off unless the server grants them ----

privileged_deployment waived | sed 's/^  name: waived$/  name: waived\n  annotations:\n    gitops-gate.io\/ignore: privileged\n    gitops-gate.io\/ignore-reason: trust me\n    gitops-gate.io\/ignore-expires: "2099-12-31"/' |
	case_file self-waiver apps/waived.yaml
refused self-waiver 'container "waived" is privileged (annotation suppressions are off on this server)'

# ---- 8. secrets the scanner did not read ----

# a UTF-16 .env without a byte order mark (not a manifest: scanned only)
printf 'AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\nREGION=eu-west-1\n' | iconv -f UTF-8 -t UTF-16LE |
	case_file utf16-env config/.env
refused utf16-env 'config/.env:1:19: aws access key id'

# the same, big endian with a mark
printf 'AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\n' | iconv -f UTF-8 -t UTF-16 | case_file utf16-env-bom config/prod.env
refused utf16-env-bom 'config/prod.env:1:19: aws access key id'

# a 5 MiB log with a private key near its end (more than limits.max_blob_bytes)
awk 'BEGIN { l = "2026-01-01T00:00:00Z INFO served /api/v1/items in 12ms status=200 bytes=5120"
	for (i = 0; i < 70000; i++) print l
	print "-----BEGIN RSA PRIVATE KEY-----"; print "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn"; print "-----END RSA PRIVATE KEY-----"
	print l }' | case_file big-log logs/app.log
refused big-log 'logs/app.log:70001:1: private key block'

# a manifest in UTF-16 with a mark (YAML allows it, kubectl reads it): judged, its key found
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  key: AKIAQWERTYUIOPASDFGH\n' |
	iconv -f UTF-8 -t UTF-16 | case_file utf16-manifest apps/cfg.yaml
refused utf16-manifest 'apps/cfg.yaml:5:8: aws access key id'

# and a clean one is accepted, as kubectl and kubeconform accept it
valid_service u16 | iconv -f UTF-8 -t UTF-16 | case_file utf16-manifest-clean apps/u16.yaml
accepted utf16-manifest-clean

# non-manifest files: the hook refuses a key, and so does validate -policy
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n' |
	case_file private-key keys/id_rsa
refused private-key 'keys/id_rsa:1:1: private key block'

# ---- 11. display spoofing: bidi and C1 controls are escaped ----

rlo=$(printf '\342\200\256')
c1=$(printf '\302\233')
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: "db%sfdp.exe"}\nstringData: {password: hunter2-hunter2}\n' "$rlo" |
	case_file bidi-name apps/secret.yaml
refused bidi-name 'Secret/db\u202efdp.exe: /stringData: secret "db\u202efdp.exe" holds plaintext values'
unlike "bidi-name: no raw U+202E reaches the pusher" "$(cat "$T_DIR/push.out")" "$rlo"

valid_deployment web | sed 's/image: nginx:1.25/image: nginx:latest/' | case_file bidi-path "apps/x${rlo}lmay.yaml"
printf 'token: ghp_0123456789abcdefghijABCDEFGHIJ0123456789\n' | case_file bidi-path "notes/a${c1}b.txt"
refused bidi-path 'apps/x\u202elmay.yaml'
like "bidi-path: a C1 control in a path is escaped" "$(remote_lines)" 'notes/a\u009bb.txt'
unlike "bidi-path: no raw U+202E" "$(cat "$T_DIR/push.out")" "$rlo"
unlike "bidi-path: no raw C1 CSI" "$(cat "$T_DIR/push.out")" "$c1"

# a ref name with U+202E: escaped on every remote: line (git's own "! [remote
# rejected]" line, printed by the client, is out of the gate's reach)
commit_case "$fwork" self-waiver
not_ok "bidi ref: refused" push "$fwork" origin "HEAD:refs/heads/fix${rlo}lmth.exe"
like "bidi ref: the ref is escaped" "$(remote_lines)" 'error: refs/heads/fix\u202elmth.exe '
unlike "bidi ref: no raw U+202E on a remote: line" "$(grep '^remote:' "$T_DIR/push.out")" "$rlo"

# ---- red team: what an attacker tries next ----

# a Secret three lists deep: List > DeploymentList > SecretList
case_file rt-nested-lists apps/nested.yaml <<'YAML'
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DeploymentList
  items:
  - apiVersion: v1
    kind: SecretList
    items:
    - apiVersion: v1
      kind: Secret
      metadata: {name: deep}
      stringData: {a: hunter2-hunter2}
YAML
refused rt-nested-lists 'Secret/deep: /stringData: secret "deep" holds plaintext values'

# a List smuggled in a ConfigMap's items
case_file rt-list-in-items apps/outer.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: outer}
items:
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: Pod, metadata: {name: inlist}, spec: {hostPID: true, containers: [{name: c, image: "x:1"}]}}
YAML
refused rt-list-in-items 'Pod/inlist: /spec/hostPID: pod shares the host process namespace'

# items brought in by a YAML merge key
case_file rt-merge-key apps/merge.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: merged}
<<: {items: [{apiVersion: v1, kind: Pod, metadata: {name: m}, spec: {hostPID: true, containers: [{name: c, image: "x:1"}]}}]}
YAML
refused rt-merge-key 'ConfigMap/merged: /items: a ConfigMap with a top-level items sequence'

# CRLF line ends
printf 'apiVersion: apps/v1\r\nkind: DeploymentList\r\nitems:\r\n- apiVersion: v1\r\n  kind: Pod\r\n  metadata: {name: crlf}\r\n  spec:\r\n    hostPID: true\r\n    containers: [{name: c, image: "x:1"}]\r\n' |
	case_file rt-crlf apps/crlf.yaml
refused rt-crlf 'Pod/crlf: /spec/hostPID: pod shares the host process namespace'

# a JSON typed list whose items carry no kind
printf '{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"j"},"spec":{"hostIPC":true,"containers":[{"name":"c","image":"x:1"}]}}]}\n' |
	case_file rt-json-list apps/list.json
refused rt-json-list 'Pod/j: /spec/hostIPC: pod shares the host ipc namespace'

# an item with a kind but no apiVersion: kubectl does not fill it in, and neither does the gate
case_file rt-item-kind-only apps/ko.yaml <<'YAML'
apiVersion: apps/v1
kind: DeploymentList
items:
- kind: Pod
  metadata: {name: ko}
  spec: {hostPID: true, containers: [{name: c, image: "x:1"}]}
YAML
refused rt-item-kind-only "error while parsing: missing 'apiVersion' key"

# a privileged Pod in UTF-16 with a mark: read and judged like UTF-8
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: u16}\nspec:\n  containers: [{name: c, image: "x:1", securityContext: {privileged: true}}]\n' |
	iconv -f UTF-8 -t UTF-16 | case_file rt-utf16-privileged apps/pod.yaml
refused rt-utf16-privileged 'Pod/u16: /spec/containers/0/securityContext/privileged: container "c" is privileged'

# UTF-16 big endian without a mark
printf 'AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\n' | iconv -f UTF-8 -t UTF-16BE | case_file rt-utf16be-env config/be.env
refused rt-utf16be-env 'config/be.env:1:19: aws access key id'

# the host's root written another way
case_file rt-host-root apps/root.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: root}
spec:
  volumes: [{name: r, hostPath: {path: "/var/../"}}]
  containers: [{name: c, image: "x:1"}]
YAML
refused rt-host-root 'Pod/root: /spec/volumes/0/hostPath: volume "r" mounts the host'"'"'s root filesystem "/var/../"'

# a pod spec deep in an operator's CRD nobody listed
case_file rt-unknown-crd apps/crd.yaml <<'YAML'
apiVersion: example.com/v1
kind: Database
metadata: {name: pg}
spec:
  instances:
    primary:
      podSpec:
        containers:
        - {name: pg, image: "postgres:16", securityContext: {privileged: true}}
YAML
refused rt-unknown-crd 'Database/pg: /spec/instances/primary/podSpec/containers/0/securityContext/privileged: container "pg" is privileged'

# a file over the scanner's limit is refused, not passed unread
for r in "$frepo" "$hrepo"; do
	holes_config "$r" "policy: {secret_scan: {max_bytes: 1000}}"
done
awk 'BEGIN { for (i = 0; i < 100; i++) print "padding line number", i, "of a small log" }' | case_file rt-too-large logs/x.log
for t in file http; do
	if [ "$t" = file ]; then w=$fwork r=$frepo; else w=$hwork r=$hrepo; fi
	commit_case "$w" rt-too-large
	not_ok "rt-too-large: refused over $t" push "$w" origin rt-too-large
	like "rt-too-large: $t: says why" "$(remote_lines)" "logs/x.log: file of 3790 bytes is larger than the 1000 bytes the secret scanner reads: not scanned"
done
# validate with the server's config gives the same verdict
server_validate() {
	set +e
	(cd "$T_DIR/cases/$1" && "$GATE_BIN" validate -kubernetes-version 1.32.2 -ignore-missing-schemas \
		-schema-location "$HK_K8S" -schema-location "$HK_CRD" -server-config "$frepo/gitops-gate.yaml" .) \
		>"$T_DIR/validate.out" 2>&1
	V_RC=$?
	set -e
}
server_validate rt-too-large
is "rt-too-large: validate -server-config fails" "$V_RC" 1
like "rt-too-large: validate -server-config says why" "$(cat "$T_DIR/validate.out")" "larger than the 1000 bytes the secret scanner reads"

# a granted waiver: a bidi reason is escaped, an expired one is refused and says so
for r in "$frepo" "$hrepo"; do
	holes_config "$r" "policy: {suppressions: {annotations: [{checks: [privileged], paths: ['apps/**']}]}}"
done
privileged_deployment granted | sed 's/^  name: granted$/  name: granted\n  annotations:\n    gitops-gate.io\/ignore: privileged\n    gitops-gate.io\/ignore-reason: "ok '"$rlo"'reversed"\n    gitops-gate.io\/ignore-expires: "2099-12-31"/' |
	case_file rt-granted apps/granted.yaml
privileged_deployment expired | sed 's/^  name: expired$/  name: expired\n  annotations:\n    gitops-gate.io\/ignore: privileged\n    gitops-gate.io\/ignore-reason: legacy\n    gitops-gate.io\/ignore-expires: "2020-01-01"/' |
	case_file rt-expired apps/expired.yaml
for t in file http; do
	if [ "$t" = file ]; then w=$fwork; else w=$hwork; fi
	commit_case "$w" rt-granted
	ok "rt-granted: accepted over $t" push "$w" origin rt-granted
	like "rt-granted: $t: the reason is escaped" "$(remote_lines)" '(annotation until 2099-12-31: ok \u202ereversed)'
	unlike "rt-granted: $t: no raw U+202E" "$(cat "$T_DIR/push.out")" "$rlo"
	commit_case "$w" rt-expired
	not_ok "rt-expired: refused over $t" push "$w" origin rt-expired
	like "rt-expired: $t: says it expired" "$(remote_lines)" 'container "expired" is privileged (suppression expired on 2020-01-01)'
done
server_validate rt-granted
is "rt-granted: validate -server-config passes, as the hook" "$V_RC" 0
server_validate rt-expired
is "rt-expired: validate -server-config fails, as the hook" "$V_RC" 1
like "rt-expired: validate -server-config says it expired" "$(cat "$T_DIR/validate.out")" '(suppression expired on 2020-01-01)'
run_validate rt-granted
is "rt-granted: validate -policy builtin knows no grant: fails" "$V_RC" 1
for r in "$frepo" "$hrepo"; do
	holes_config "$r"
done

# ---- the hint names the command that reproduces a policy refusal ----

commit_case "$fwork" self-waiver
not_ok "a policy refusal again" push "$fwork" origin self-waiver
like "the hint names validate -policy" "$(remote_lines)" \
	"hint: check the files before pushing with: gitops-gate validate -kubernetes-version 1.32.2 -policy builtin FILE..."

done_testing
