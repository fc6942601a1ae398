#!/bin/sh
# Deployment roots: the hook renders the folders Flux Kustomizations and
# Argo CD Applications name and judges what the cluster would apply, at the
# source line that set each value.  One block per case, each from the same
# accepted base (a Flux Kustomization for apps/web); real pushes over file://
# and one over smart HTTP.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

# --- Flux's example repository layout pushes cleanly
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}/data/kustomize-goldens.tar.xz"
[ -f "$shared" ] || bail "shared data missing: expected $shared"
mkdir -p "$T_DIR/goldens"
tar xJf "$shared" -C "$T_DIR/goldens" "kustomize-goldens/fluxcd+flux2-kustomize-helm-example/tree" ||
	bail "could not unpack $shared"
repo=$(make_bare example)
# the Gateway API has no schema in the test set: the files would be refused as much as the renders
sed -i 's/^    strict: true$/    strict: true\n    ignore_missing_schemas: true/' "$repo/gitops-gate.yaml"
work=$(make_work example-w "file://$repo")
cp -R "$T_DIR/goldens/kustomize-goldens/fluxcd+flux2-kustomize-helm-example/tree/." "$work/"
# the Kustomizations the example keeps beside flux-system (bootstrap writes gotk-sync.yaml)
for env in production staging; do
	flux_ks apps "./apps/$env" >"$work/clusters/$env/apps.yaml"
	{ flux_ks infra-controllers ./infrastructure/controllers; echo "---"
	  flux_ks infra-configs ./infrastructure/configs; } >"$work/clusters/$env/infrastructure.yaml"
done
git -C "$work" add -A
git -C "$work" commit -q -m "flux2-kustomize-helm-example"
ok "Flux's example repository is accepted" push "$work" origin main
unlike "the production values patch is judged through its render" "$(remote_lines)" "podinfo-values.yaml"
is "main moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"

# the same values patch with a wrong type in it: found in the render, named at the patch
sed -i 's/version: ">=1.0.0"/version: 7/' "$work/apps/production/podinfo-values.yaml"
git -C "$work" commit -q -am "a number for the chart version"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a wrong type in a patch is rejected" push "$work" origin main
like "at the patch's line, under the root" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/production: apps/production/podinfo-values.yaml:9:16: HelmRelease/podinfo: /spec/chart/spec/version: "

# --- the base of the other cases: a Flux Kustomization for apps/web
repo=$(make_bare server)
work=$(make_work w "file://$repo")
mkdir -p "$work/clusters/prod" "$work/apps/web"
flux_ks web ./apps/web >"$work/clusters/prod/web.yaml"
valid_deployment web >"$work/apps/web/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" >"$work/apps/web/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "web"
ok "the base is accepted" push "$work" origin main

# kust LINES...: apps/web/kustomization.yaml with the base resource and LINES, committed
kust() {
	printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" "$@" >"$work/apps/web/kustomization.yaml"
	git -C "$work" commit -q -am "$1"
	c=$(git -C "$work" rev-parse --short=7 HEAD)
}
reset_base() {
	git -C "$work" reset -q --hard origin/main
}

# --- a privileged inline patch
kust "patches:" \
	"  - patch: |-" \
	"      apiVersion: apps/v1" \
	"      kind: Deployment" \
	"      metadata: {name: web}" \
	"      spec:" \
	"        template:" \
	"          spec:" \
	"            containers:" \
	"              - name: web" \
	"                securityContext: {privileged: true}"
not_ok "a privileged inline patch is rejected" push "$work" origin main
is "named at the patch's line in the kustomization" "$(remote_lines | sed -n 1p)" \
	"error: refs/heads/main $c: apps/web: apps/web/kustomization.yaml:15:41: Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: container \"web\" is privileged [privileged]"
is "nothing moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse origin/main)"
reset_base

# --- images: newTag: latest
kust "images:" "  - name: nginx" "    newTag: latest"
not_ok "images: newTag: latest is rejected" push "$work" origin main
like "named at the images entry" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/kustomization.yaml:6:5: "
like "the latest tag" "$(remote_lines)" "Deployment/web: /spec/template/spec/containers/0/image: "
reset_base

# --- a secretGenerator makes a plaintext Secret
kust "secretGenerator:" "  - name: creds" "    literals:" "      - password=hunter2"
not_ok "a generated plaintext Secret is rejected" push "$work" origin main
like "named at the generator" "$(remote_lines)" "apps/web: apps/web/kustomization.yaml:"
like "as a Secret" "$(remote_lines)" "Secret/creds-"
reset_base

# --- a missing resource fails the build, as kustomize fails
kust "  - service.yaml"
not_ok "a missing resource is rejected" push "$work" origin main
like "the build error, at the kustomization" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/kustomization.yaml"
like "kustomize's reason" "$(remote_lines)" "service.yaml"
reset_base

# --- a patch that matches nothing fails the build
printf '%s\n' "apiVersion: apps/v1" "kind: Deployment" "metadata: {name: api}" "spec: {replicas: 3}" \
	>"$work/apps/web/replicas.yaml"
git -C "$work" add apps/web/replicas.yaml
kust "patches:" "  - path: replicas.yaml"
not_ok "a patch that matches nothing is rejected" push "$work" origin main
like "the build error" "$(remote_lines)" "error: refs/heads/main $c: apps/web: "
like "names the unmatched patch" "$(remote_lines)" "kustomize build failed"
reset_base

# --- the Flux Kustomization's own spec.patches: a privileged container
{ flux_ks web ./apps/web; printf '%s\n' "  targetNamespace: web" "  patches:" "    - patch: |" \
	"        apiVersion: apps/v1" "        kind: Deployment" "        metadata: {name: web}" \
	"        spec:" "          template:" "            spec:" "              containers:" \
	"                - name: web" "                  securityContext: {privileged: true}" \
	"      target: {kind: Deployment}"; } >"$work/clusters/prod/web.yaml"
git -C "$work" commit -q -am "flux patches"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a privileged container from a Flux spec.patches is rejected" push "$work" origin main
like "named at the Flux object's line" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: clusters/prod/web.yaml:24:"
like "at the privileged field" "$(remote_lines)" "Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: "
reset_base

# --- the Flux Kustomization's own spec.images: newTag latest
{ flux_ks web ./apps/web; printf '%s\n' "  images:" "    - name: nginx" "      newTag: latest"; } \
	>"$work/clusters/prod/web.yaml"
git -C "$work" commit -q -am "flux images"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "images: newTag: latest in a Flux Kustomization is rejected" push "$work" origin main
like "named at the Flux object's images entry" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: clusters/prod/web.yaml:14:7: Deployment/web: /spec/template/spec/containers/0/image: "
reset_base

# --- postBuild.substitute: ${var:=default} in a manifest, as Flux substitutes it
valid_deployment web | sed 's/replicas: 2/replicas: ${REPLICAS:=2}/; s/nginx:1.25/nginx:${TAG:=1.25}/' \
	>"$work/apps/web/deploy.yaml"
{ flux_ks web ./apps/web; printf '%s\n' "  postBuild:" "    substitute:" "      CLUSTER: prod"; } \
	>"$work/clusters/prod/web.yaml"
git -C "$work" commit -q -am "substitution defaults"
ok "defaults substituted: an integer replicas, a pinned tag" push "$work" origin main
{ flux_ks web ./apps/web; printf '%s\n' "  postBuild:" "    substitute:" "      TAG: latest"; } \
	>"$work/clusters/prod/web.yaml"
git -C "$work" commit -q -am "substitute latest"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a substituted latest tag is rejected" push "$work" origin main
like "at the image line of the manifest" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:17:18: Deployment/web: /spec/template/spec/containers/0/image: "
git -C "$work" reset -q --hard HEAD~1
git -C "$work" revert --no-edit HEAD >/dev/null
ok "back to the plain base" push "$work" origin main
reset_base

# --- a patch reached by a root is still scanned for secrets, comments included
printf '%s\n' "apiVersion: apps/v1" "kind: Deployment" "metadata: {name: web}" \
	"# export AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2" "spec: {replicas: 3}" >"$work/apps/web/replicas.yaml"
git -C "$work" add apps/web/replicas.yaml
kust "patches:" "  - path: replicas.yaml"
not_ok "a key in a comment of a patch is rejected" push "$work" origin main
like "named at the patch's line" "$(remote_lines)" "error: refs/heads/main $c: apps/web/replicas.yaml:4:"
like "and nothing else" "$(remote_lines)" "error: push rejected: 1 problem in 1 file of 1 commit"
reset_base

# --- a Flux Kustomization of an OCIRepository names no folder of this repository
mkdir -p "$work/oci/app"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - missing.yaml" \
	>"$work/oci/app/kustomization.yaml"
flux_ks oci ./oci/app | sed 's/kind: GitRepository/kind: OCIRepository/' >"$work/clusters/prod/oci.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "oci"
# (a kustomization nobody includes is a root of its own: render.orphan_roots, on by default)
not_ok "still a top-level kustomization nobody includes" push "$work" origin main
like "built as its own root" "$(remote_lines)" "oci/app: oci/app/kustomization.yaml"
write_config "$repo" "render:" "  orphan_roots: false"
ok "its path is not built here" push "$work" origin main
sed -i 's/kind: OCIRepository/kind: GitRepository/' "$work/clusters/prod/oci.yaml"
git -C "$work" commit -q -am "git"
not_ok "the same path from a GitRepository is built" push "$work" origin main
like "and fails like kustomize" "$(remote_lines)" "oci/app: oci/app/kustomization.yaml"
git -C "$work" reset -q --hard HEAD~1
git -C "$work" rm -q -r oci clusters/prod/oci.yaml
git -C "$work" commit -q -m "no oci"
ok "removed again" push "$work" origin main
write_config "$repo"
reset_base

# --- a partial object in a folder no root reaches is still judged as a file
put_file "$work" loose/patch.yaml "$(printf '%s\n' "apiVersion: apps/v1" "kind: Deployment" "metadata: {name: x}" "spec: {replicas: 3}")" "loose"
not_ok "a file no root reaches is judged as a whole object" push "$work" origin main
like "as today" "$(remote_lines)" "loose/patch.yaml"
reset_base

# --- an Argo CD Application's path is a root too
mkdir -p "$work/argo/app"
printf '%s\n' "apiVersion: argoproj.io/v1alpha1" "kind: Application" "metadata: {name: web, namespace: argocd}" \
	"spec:" "  project: default" "  destination: {server: https://kubernetes.default.svc, namespace: web}" \
	"  source:" "    repoURL: https://git.example.com/fleet.git" "    path: argo/app" >"$work/argo/app.yaml"
valid_deployment api >"$work/argo/app/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" "images:" "  - name: nginx" "    newTag: latest" \
	>"$work/argo/app/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "argo app"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "an Application's render is judged" push "$work" origin main
like "under its root" "$(remote_lines)" "error: refs/heads/main $c: argo/app: argo/app/kustomization.yaml:6:5: "
reset_base

# --- a Flux root at the top of the repository: its generated kustomization
# leaves out what source-controller leaves out (.github/ and the like)
write_config "$repo" "manifests: {exclude: [\".github/**\"]}"
flux_ks everything ./ >"$work/clusters/prod/all.yaml"
mkdir -p "$work/.github/workflows"
printf '%s\n' "name: ci" "on: push" "jobs: {}" >"$work/.github/workflows/ci.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "flux root at the top"
ok "a root at the top of the repository builds without the CI files" push "$work" origin main
write_config "$repo"
git -C "$work" rm -q -r .github clusters/prod/all.yaml
git -C "$work" commit -q -m "no top root"
ok "removed again" push "$work" origin main
reset_base

# --- render.roots in the server config: a folder no object names
mkdir -p "$work/plain/app"
valid_deployment plain >"$work/plain/app/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" \
	"images:" "  - name: nginx" "    newTag: latest" >"$work/plain/app/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "plain app"
c=$(git -C "$work" rev-parse --short=7 HEAD)
write_config "$repo" "render:" "  roots: [\"plain/*\"]"
not_ok "a folder render.roots names is rendered and judged" push "$work" origin main
like "under its root" "$(remote_lines)" "error: refs/heads/main $c: plain/app: plain/app/kustomization.yaml:6:5: "
write_config "$repo"
not_ok "without it, a top-level kustomization nobody includes is a root all the same" push "$work" origin main
like "under its own root" "$(remote_lines)" "error: refs/heads/main $c: plain/app: plain/app/kustomization.yaml:6:5: "
write_config "$repo" "render:" "  orphan_roots: false"
ok "without either, its files are judged as files" push "$work" origin main
git -C "$work" rm -q -r plain
git -C "$work" commit -q -m "no plain app"
ok "removed again" push "$work" origin main
write_config "$repo"
reset_base

# --- the render index: a root whose inputs did not change is not built again
printf '%s\n' "color=blue" >"$work/apps/web/app.properties"
git -C "$work" add apps/web/app.properties
kust "configMapGenerator:" "  - name: web-config" "    files: [app.properties]"
ok "a clean render is recorded" push "$work" origin main
obj=$(git -C "$work" rev-parse HEAD:apps/web/app.properties)
loose="$repo/objects/$(echo "$obj" | cut -c1-2)/$(echo "$obj" | cut -c3-)"
[ -f "$loose" ] || bail "expected $obj loose in the server repository"
# the generator's input is gone from the server: only a build would read it
rm -f "$loose"
put_file "$work" README.md "readme" "unrelated"
ok "an unchanged root is not built again (its lost input is never read)" push "$work" origin main
valid_deployment web | sed 's/replicas: 2/replicas: 3/' >"$work/apps/web/deploy.yaml"
git -C "$work" commit -q -am "an input changes"
not_ok "a changed input builds the root again" push "$work" origin main
like "which now fails closed on the lost blob" "$(remote_lines)" "$obj"
git -C "$work" reset -q --hard HEAD~1
git -C "$work" hash-object -w --stdin </dev/null >/dev/null
(cd "$work" && git cat-file blob "$obj") | git -C "$repo" hash-object -w --stdin >/dev/null
reset_base

# --- over smart HTTP: the same privileged patch
start_http "$T_DIR"
hwork=$(make_work hw "$HTTP_URL/server.git")
git -C "$hwork" config http.receivepack true 2>/dev/null || true
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" "patches:" "  - patch: |" \
	"      {\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"web\"}," \
	"       \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"web\", \"securityContext\": {\"privileged\": true}}]}}}}" \
	>"$hwork/apps/web/kustomization.yaml"
git -C "$hwork" commit -q -am "privileged over http"
c=$(git -C "$hwork" rev-parse --short=7 HEAD)
not_ok "over HTTP, a privileged patch is rejected" push "$hwork" origin main
like "at its source" "$(remote_lines)" "error: refs/heads/main $c: apps/web: apps/web/kustomization.yaml:8:"
stop_http

done_testing
