#!/bin/sh
# Deployment roots, Flux's and Argo CD's own fields: postBuild.substituteFrom
# (ConfigMaps and Secrets of the repository), spec.components,
# spec.commonMetadata, and an Argo CD Application's spec.source.kustomize and
# spec.sources[].  Each case from the same accepted base (a Flux Kustomization
# for apps/web in namespace flux-system), real pushes over file://; accepted
# and rejected, at the source line.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

configmap() { # configmap NAME KEY=VALUE...: a ConfigMap in flux-system
	_n=$1
	shift
	printf '%s\n' "apiVersion: v1" "kind: ConfigMap" "metadata:" "  name: $_n" "  namespace: flux-system" "data:"
	for _kv in "$@"; do
		printf '  %s: "%s"\n' "${_kv%%=*}" "${_kv#*=}"
	done
}

# the plaintext Secrets of these cases are test data, not the subject
printf '%s\n' "checks: {secret-plaintext: off}" >"$T_DIR/policy.yaml"
repo=$(make_bare server)
base_config() {
	write_config "$repo" "policy: {files: [\"$T_DIR/policy.yaml\"]}" "$@"
}
base_config
work=$(make_work w "file://$repo")
mkdir -p "$work/clusters/prod" "$work/apps/web"
flux_ks web ./apps/web >"$work/clusters/prod/web.yaml"
valid_deployment web >"$work/apps/web/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" \
	>"$work/apps/web/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "web"
ok "the base is accepted" push "$work" origin main
BASE=$(git -C "$work" rev-parse HEAD)

commit() { # commit MESSAGE: commit everything; $c is the short id
	git -C "$work" add -A
	git -C "$work" commit -q -m "$1"
	c=$(git -C "$work" rev-parse --short=7 HEAD)
}
# reset_base: the server config and the work tree of the base (pushed back when a case moved main)
drop() { # drop the last (rejected) commit, keep its files
	git -C "$work" reset -q HEAD~1
}
reset_base() {
	git -C "$work" reset -q --hard origin/main
	git -C "$work" clean -q -fdx
	base_config
	if [ -n "$(git -C "$work" diff --name-only "$BASE" HEAD)" ]; then
		git -C "$work" rm -q -r .
		git -C "$work" checkout "$BASE" -- .
		git -C "$work" commit -q -m "back to the base"
		push "$work" origin main || bail "cannot push the base back: $(remote_lines)"
	fi
}
# the Deployment's image and securityContext taken from variables (TAG: a default with var_deploy 1.25)
var_deploy() {
	valid_deployment web | sed "s/nginx:1.25/nginx:\${TAG${1:+:=$1}}/" | sed 's/runAsNonRoot: true/runAsNonRoot: true\n            privileged: ${PRIV:=false}/' \
		>"$work/apps/web/deploy.yaml"
}
# ks_from LINES...: the Flux Kustomization with a postBuild of LINES (under postBuild:)
ks_post() {
	{ flux_ks web ./apps/web; echo "  postBuild:"; printf '    %s\n' "$@"; } >"$work/clusters/prod/web.yaml"
}

# --- substituteFrom: a ConfigMap of the repository
var_deploy
configmap cluster-vars TAG=1.25 >"$work/clusters/prod/vars.yaml"
ks_post "substituteFrom:" "  - kind: ConfigMap" "    name: cluster-vars"
commit "variables from a ConfigMap"
ok "variables from a ConfigMap of the repository are accepted" push "$work" origin main
unlike "no warning" "$(remote_lines)" "warning:"

configmap cluster-vars TAG=latest >"$work/clusters/prod/vars.yaml"
commit "latest through the ConfigMap"
not_ok "a latest tag arriving through the ConfigMap is rejected" push "$work" origin main
like "at the manifest's image line, under the root" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:17:18: Deployment/web: /spec/template/spec/containers/0/image: "
reset_base

# --- a privileged container through a substituteFrom variable
var_deploy
configmap cluster-vars TAG=1.25 PRIV=true >"$work/clusters/prod/vars.yaml"
ks_post "substituteFrom:" "  - kind: ConfigMap" "    name: cluster-vars"
commit "privileged through a variable"
not_ok "a privileged container set by a substituteFrom variable is rejected" push "$work" origin main
like "at the line of \${PRIV}" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:20:25: Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: container \"web\" is privileged [privileged]"
reset_base

# --- precedence: substituteFrom in order (a later one wins), substitute over them all
var_deploy
{ configmap cluster-vars TAG=1.25; echo "---"
  printf '%s\n' "apiVersion: v1" "kind: Secret" "metadata: {name: cluster-secrets, namespace: flux-system}" \
	"data:" "  TAG: bGF0ZXN0"; } >"$work/clusters/prod/vars.yaml"
ks_post "substituteFrom:" "  - {kind: ConfigMap, name: cluster-vars}" "  - {kind: Secret, name: cluster-secrets}"
commit "a Secret's data over the ConfigMap"
not_ok "a later Secret's base64 data overrides the ConfigMap" push "$work" origin main
like "latest from the Secret" "$(remote_lines)" "apps/web/deploy.yaml:17:18: Deployment/web: /spec/template/spec/containers/0/image: "
drop
ks_post "substitute: {TAG: \"1.25\"}" "substituteFrom:" "  - {kind: ConfigMap, name: cluster-vars}" \
	"  - {kind: Secret, name: cluster-secrets}"
commit "inline over both"
ok "postBuild.substitute overrides substituteFrom" push "$work" origin main
printf '%s\n' "apiVersion: v1" "kind: Secret" "metadata: {name: cluster-secrets, namespace: flux-system}" \
	"data: {TAG: bGF0ZXN0}" "stringData: {OTHER: x}" >"$work/clusters/prod/vars.yaml"
ks_post "substituteFrom:" "  - {kind: Secret, name: cluster-secrets}" "  - {kind: ConfigMap, name: cluster-vars, optional: true}"
commit "stringData and an optional ConfigMap not there"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a Secret's data read, an optional missing ConfigMap skipped" push "$work" origin main
like "latest from the Secret" "$(remote_lines)" "error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:17:18: "
unlike "no warning for the optional one" "$(remote_lines)" "warning:"
reset_base

# --- an undefined variable: strict by default, as kustomize-controller
var_deploy
configmap cluster-vars OTHER=1 >"$work/clusters/prod/vars.yaml"
ks_post "substituteFrom:" "  - kind: ConfigMap" "    name: cluster-vars"
commit "TAG undefined"
not_ok "an undefined variable without default is rejected" push "$work" origin main
like "at the manifest's line, as Flux fails" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:17:18: Deployment/web: post build fails in Flux: variable not set (strict mode): \"TAG\" [flux-post-build]"
reset_base
var_deploy 1.25
sed -i 's/^metadata:$/metadata:\n  labels: {team: "${TEAM}"}/' "$work/apps/web/deploy.yaml"
ks_post "substitute: {OTHER: x}"
commit "TEAM undefined"
not_ok "strict: an undefined variable in a label is rejected" push "$work" origin main
like "at the label" "$(remote_lines)" "apps/web/deploy.yaml:4:"
base_config "render: {flux: {strict_substitute: false}}"
ok "accepted when the cluster's Flux is not strict (it becomes empty)" push "$work" origin main
reset_base

# --- the opt-out annotation leaves an object alone
valid_deployment web | sed 's/^metadata:$/metadata:\n  annotations: {kustomize.toolkit.fluxcd.io\/substitute: disabled}/; s/nginx:1.25/nginx:1.25 # ${TAG}/' \
	>"$work/apps/web/deploy.yaml"
ks_post "substitute: {OTHER: x}"
commit "opted out"
ok "an object annotated substitute: disabled is not substituted" push "$work" origin main
reset_base

# --- a malformed \${...} fails the whole Kustomization in Flux
valid_deployment web | sed 's/^metadata:$/metadata:\n  labels: {x: "${bad"}/' >"$work/apps/web/deploy.yaml"
ks_post "substitute: {OTHER: x}"
commit "malformed"
not_ok "a malformed substitution is rejected" push "$work" origin main
like "at its line" "$(remote_lines)" "apps/web/deploy.yaml:4:"
like "with envsubst's reason" "$(remote_lines)" "missing closing brace"
reset_base

# --- a ConfigMap key that is no variable name
var_deploy
configmap cluster-vars TAG=1.25 app.name=web >"$work/clusters/prod/vars.yaml"
ks_post "substituteFrom:" "  - kind: ConfigMap" "    name: cluster-vars"
commit "a bad var name"
not_ok "a substituteFrom key that is no variable name is rejected" push "$work" origin main
like "at the ConfigMap's key" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: clusters/prod/vars.yaml:8:3: postBuild.substituteFrom ConfigMap/cluster-vars: 'app.name' var name is invalid"
reset_base

# --- not in the repository: a warning (the cluster may hold it), or an error by config
var_deploy
ks_post "substitute: {TAG: \"1.25\"}" "substituteFrom:" "  - kind: ConfigMap" "    name: made-in-cluster"
commit "a ConfigMap made in the cluster"
base_config "render: {flux: {substitute_from_missing: error}}"
not_ok "an error with substitute_from_missing: error" push "$work" origin main
like "at the reference" "$(remote_lines)" "error: refs/heads/main $c: apps/web: clusters/prod/web.yaml:16:9: "
base_config
ok "a substituteFrom object not in the repository is a warning by default" push "$work" origin main
like "saying the gate cannot see it" "$(remote_lines)" \
	"warning: refs/heads/main $c: apps/web: clusters/prod/web.yaml:16:9: postBuild.substituteFrom ConfigMap/made-in-cluster is not in this repository: the gate cannot see objects made in the cluster"
reset_base

# --- made by a configMapGenerator of the repository (a fixed name): read from its render
var_deploy
mkdir -p "$work/clusters/prod/vars"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "namespace: flux-system" \
	"generatorOptions: {disableNameSuffixHash: true}" "configMapGenerator:" "  - name: cluster-vars" \
	"    literals: [TAG=1.25]" >"$work/clusters/prod/vars/kustomization.yaml"
ks_post "substituteFrom:" "  - kind: ConfigMap" "    name: cluster-vars"
commit "variables from a generated ConfigMap"
ok "a ConfigMap a configMapGenerator makes is read" push "$work" origin main
unlike "no warning" "$(remote_lines)" "warning:"
sed -i 's/TAG=1.25/TAG=latest/' "$work/clusters/prod/vars/kustomization.yaml"
commit "latest through the generator"
not_ok "a latest tag from a generated ConfigMap is rejected" push "$work" origin main
like "at the manifest's image line" "$(remote_lines)" "error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:17:18: "
drop
sed -i 's/TAG=latest/TAG=1.25/; /generatorOptions/d' "$work/clusters/prod/vars/kustomization.yaml"
commit "a hashed name"
ok "with a hash suffix its name differs, as in the cluster" push "$work" origin main
like "so a warning" "$(remote_lines)" "apps/web: clusters/prod/web.yaml:15:9: postBuild.substituteFrom ConfigMap/cluster-vars is not in this repository"
unlike "its \${TAG} kept as written, not emptied (nginx: would not parse)" "$(remote_lines)" "error:"
reset_base

# --- a SOPS-encrypted Secret: the gate cannot read it
var_deploy 1.25
printf '%s\n' "apiVersion: v1" "kind: Secret" "metadata:" "  name: cluster-secrets" "  namespace: flux-system" \
	"stringData:" "  TAG: ENC[AES256_GCM,data:Tr7o,iv:1ZUe2RF6p4nNSoJqIt9dOg==,tag:Kx6lqNrtHVJbWRd5g4QU8A==,type:str]" \
	"sops:" "  mac: ENC[AES256_GCM,data:pNyI,iv:eY3LKvV0xkmnIZ6LGTkcGg==,tag:NRlgbbgXcRA9rJB8d2KQEw==,type:str]" \
	"  lastmodified: \"2026-01-01T00:00:00Z\"" "  version: 3.9.0" >"$work/clusters/prod/secrets.sops.yaml"
ks_post "substituteFrom:" "  - kind: Secret" "    name: cluster-secrets"
commit "a SOPS Secret"
not_ok "a SOPS-encrypted substituteFrom Secret is rejected by default" push "$work" origin main
like "naming the Secret" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: clusters/prod/secrets.sops.yaml:1:1: postBuild.substituteFrom Secret/cluster-secrets (named at clusters/prod/web.yaml:15) is SOPS-encrypted"
base_config "render: {flux: {sops_substitute_from: unknown}}"
ok "its variables unknown with sops_substitute_from: unknown" push "$work" origin main
like "a warning" "$(remote_lines)" "warning: refs/heads/main $c: apps/web: clusters/prod/secrets.sops.yaml:1:1: "
reset_base

# --- spec.components: a Component applied to the root
mkdir -p "$work/components/team" "$work/components/priv"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1alpha1" "kind: Component" "commonLabels: {team: web}" \
	>"$work/components/team/kustomization.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1alpha1" "kind: Component" "patches:" "  - patch: |-" \
	"      apiVersion: apps/v1" "      kind: Deployment" "      metadata: {name: web}" "      spec:" \
	"        template:" "          spec:" "            containers:" "              - name: web" \
	"                securityContext: {privileged: true}" >"$work/components/priv/kustomization.yaml"
{ flux_ks web ./apps/web; printf '%s\n' "  components:" "    - ../../components/team"; } >"$work/clusters/prod/web.yaml"
commit "a component"
ok "a harmless component is accepted" push "$work" origin main
{ flux_ks web ./apps/web; printf '%s\n' "  components:" "    - ../../components/team" "    - ../../components/priv"; } \
	>"$work/clusters/prod/web.yaml"
commit "a privileged component"
not_ok "a privileged container from a Flux component is rejected" push "$work" origin main
like "at the component's patch" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: components/priv/kustomization.yaml:13:"
like "privileged" "$(remote_lines)" "Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: "
drop
{ flux_ks web ./apps/web; printf '%s\n' "  components:" "    - ../../components/gone"; } >"$work/clusters/prod/web.yaml"
commit "a missing component"
not_ok "a missing component fails the build" push "$work" origin main
like "at the Flux object's components line" "$(remote_lines)" "apps/web: clusters/prod/web.yaml:13:"
drop
{ flux_ks web ./apps/web; printf '%s\n' "  ignoreMissingComponents: true" "  components:" "    - ../../components/gone" \
	"    - ../../components/priv"; } >"$work/clusters/prod/web.yaml"
commit "ignored"
not_ok "with ignoreMissingComponents, a missing one is dropped and the others applied" push "$work" origin main
like "the privileged one" "$(remote_lines)" "error: refs/heads/main $c: apps/web: components/priv/kustomization.yaml:13:"
unlike "not the missing one" "$(remote_lines)" "components/gone"
drop
{ flux_ks web ./apps/web; printf '%s\n' "  ignoreMissingComponents: true" "  components:" "    - ../../components/gone"; } \
	>"$work/clusters/prod/web.yaml"
commit "ignored"
ok "unless ignoreMissingComponents" push "$work" origin main
{ flux_ks web ./apps/web; printf '%s\n' "  components:" "    - https://github.com/x/y//components/evil"; } \
	>"$work/clusters/prod/web.yaml"
commit "a remote component"
not_ok "a remote component is rejected as Flux refuses it" push "$work" origin main
like "at its line" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: clusters/prod/web.yaml:13:3: component path 'https://github.com/x/y//components/evil' must be local and relative"
reset_base

# --- spec.commonMetadata: labels and annotations on every object's metadata
{ flux_ks web ./apps/web; printf '%s\n' "  commonMetadata:" "    labels:" "      team: web" "    annotations:" \
	"      owner: platform"; } >"$work/clusters/prod/web.yaml"
commit "common metadata"
ok "commonMetadata is accepted" push "$work" origin main
{ flux_ks web ./apps/web; printf '%s\n' "  commonMetadata:" "    labels:" "      team: \"not a label value!\""; } \
	>"$work/clusters/prod/web.yaml"
commit "a bad label"
not_ok "an invalid commonMetadata label is rejected" push "$work" origin main
like "at the Flux object's labels line" "$(remote_lines)" "error: refs/heads/main $c: apps/web: clusters/prod/web.yaml:14:"
like "on the object's metadata" "$(remote_lines)" "/metadata/labels/team"
unlike "not on the selector or the template" "$(remote_lines)" "/spec/"
reset_base

# --- a parent whose patches give its children a postBuild: their variables are unknown
valid_deployment web | sed 's/replicas: 2/replicas: ${REPLICAS:=2}/; s/^metadata:$/metadata:\n  labels: {domain: "x${DOMAIN}"}/' \
	>"$work/apps/web/deploy.yaml"
commit "variables no postBuild of this repository defines"
not_ok "without a postBuild, \${REPLICAS:=2} stays as written (a string)" push "$work" origin main
like "at the replicas line" "$(remote_lines)" "error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:7:13: Deployment/web: /spec/replicas: "
drop
{ flux_ks apps ./clusters/prod; printf '%s\n' "  patches:" "    - patch: |" \
	"        apiVersion: kustomize.toolkit.fluxcd.io/v1" "        kind: Kustomization" "        metadata: {name: any}" \
	"        spec:" "          postBuild:" "            substituteFrom:" "              - {kind: ConfigMap, name: cluster-settings}" \
	"      target: {kind: Kustomization}"; } >"$work/clusters/prod/apps.yaml"
commit "a parent that gives its children variables"
ok "with a parent patching postBuild in, the child's variables are unknown: accepted" push "$work" origin main
unlike "no strict-mode error" "$(remote_lines)" "flux-post-build"
var_deploy 1.25
sed -i 's/${PRIV:=false}/${PRIV:=true}/' "$work/apps/web/deploy.yaml"
commit "a privileged default"
not_ok "and their defaults still apply: a privileged default is rejected" push "$work" origin main
like "at the default's line" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:20:25: Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: container \"web\" is privileged [privileged]"
drop
reset_base

# --- Argo CD: spec.source.kustomize options, as the repo-server's `kustomize edit` applies them
mkdir -p "$work/argo/app"
valid_deployment api >"$work/argo/app/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" \
	>"$work/argo/app/kustomization.yaml"
# argo_app LINES...: the Application with LINES under spec.source.kustomize (from line 11)
argo_app() {
	{ printf '%s\n' "apiVersion: argoproj.io/v1alpha1" "kind: Application" "metadata: {name: api, namespace: argocd}" \
		"spec:" "  project: default" "  destination: {server: https://kubernetes.default.svc, namespace: api}" \
		"  source:" "    repoURL: https://git.example.com/fleet.git" "    path: argo/app" "    kustomize:"
	  printf '      %s\n' "$@"; } >"$work/argo/app.yaml"
}
argo_app "images: [\"nginx:1.25.3\", \"sidecar=registry.example.com/side:\${ARGOCD_APP_REVISION_SHORT}\"]" \
	"namePrefix: prod-" "namespace: api" "commonLabels: {team: api}" "labelWithoutSelector: true" \
	"commonAnnotations: {owner: platform}" "replicas: [{name: api, count: \"3\"}]"
commit "an Argo CD application with kustomize options"
ok "an Application's kustomize options are accepted" push "$work" origin main
argo_app "images:" "  - nginx:latest"
commit "latest through Argo CD images"
not_ok "images: nginx:latest in an Application is rejected" push "$work" origin main
like "at the Application's images line" "$(remote_lines)" \
	"error: refs/heads/main $c: argo/app: argo/app.yaml:11:"
like "the latest tag" "$(remote_lines)" "Deployment/api: /spec/template/spec/containers/0/image: "
drop
argo_app "namePrefix: Not_A_Name-"
commit "a bad prefix"
not_ok "a namePrefix that makes an invalid name is rejected" push "$work" origin main
like "under the root" "$(remote_lines)" "error: refs/heads/main $c: argo/app: "
like "the name" "$(remote_lines)" "Not_A_Name-api"
drop
argo_app "commonLabels: {team: \"not a label value!\"}"
commit "a bad common label"
not_ok "an invalid commonLabels value in an Application is rejected" push "$work" origin main
like "at the Application's commonLabels line" "$(remote_lines)" "error: refs/heads/main $c: argo/app: argo/app.yaml:11:"
drop
argo_app "commonLabels: {team: \"not a label value!\"}" "labelWithoutSelector: true"
commit "a bad common label, without selector"
not_ok "with labelWithoutSelector, still rejected" push "$work" origin main
like "on the object's labels" "$(remote_lines)" "Deployment/api: /metadata/labels/team"
drop
argo_app "patches:" "  - target: {kind: Deployment}" "    patch: |-" "      - op: add" \
	"        path: /spec/template/spec/containers/0/securityContext/privileged" "        value: true"
commit "a privileged Argo CD patch"
not_ok "a privileged container from an Application's kustomize.patches is rejected" push "$work" origin main
like "at the Application's patch" "$(remote_lines)" "error: refs/heads/main $c: argo/app: argo/app.yaml:"
like "privileged" "$(remote_lines)" "/spec/template/spec/containers/0/securityContext/privileged: container \"api\" is privileged [privileged]"
drop
argo_app "components: [../../components/priv-argo]"
mkdir -p "$work/components/priv-argo"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1alpha1" "kind: Component" "patches:" "  - target: {kind: Deployment}" \
	"    patch: |-" "      - {op: add, path: /spec/template/spec/containers/0/securityContext/privileged, value: true}" \
	>"$work/components/priv-argo/kustomization.yaml"
commit "a privileged Argo CD component"
not_ok "a privileged container from an Application's component is rejected" push "$work" origin main
like "at the component" "$(remote_lines)" "error: refs/heads/main $c: argo/app: components/priv-argo/kustomization.yaml:6:"
drop
argo_app "replicas: [{name: api, count: many}]"
commit "a bad count"
not_ok "a replicas count that is not a number is rejected" push "$work" origin main
like "at its line" "$(remote_lines)" "error: refs/heads/main $c: argo/app: argo/app.yaml:11:7: replicas count of 'api' is not a number"
drop
rm -rf "$work/components"
# multi-source: each source with a path of this repository is a root, a ref-only source is not
{ printf '%s\n' "apiVersion: argoproj.io/v1alpha1" "kind: Application" "metadata: {name: api, namespace: argocd}" \
	"spec:" "  project: default" "  destination: {server: https://kubernetes.default.svc, namespace: api}" \
	"  sources:" "    - repoURL: https://git.example.com/values.git" "      ref: values" \
	"    - repoURL: https://git.example.com/fleet.git" "      path: argo/app" "      kustomize:" \
	"        images: [\"nginx:latest\"]"; } >"$work/argo/app.yaml"
commit "multi-source"
not_ok "a source of spec.sources with kustomize options is judged" push "$work" origin main
like "at its images line" "$(remote_lines)" "error: refs/heads/main $c: argo/app: argo/app.yaml:13:"
drop
sed -i 's/nginx:latest/nginx:1.25.3/' "$work/argo/app.yaml"
commit "multi-source pinned"
ok "and accepted when pinned" push "$work" origin main
reset_base

done_testing
