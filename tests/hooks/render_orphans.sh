#!/bin/sh
# Top-level kustomizations nobody includes are deployment roots
# (render.orphan_roots, on by default): a folder holding a kustomization that
# no other kustomization names and no Flux or Argo CD object or render.roots
# glob takes is rendered and judged as `kubectl apply -k` of it would apply.
# Each rejected push is judged twice, without the blob-facts index and with
# it: the remote lines must be the same.  Real pushes over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
work=$(make_work w "file://$repo")

# kust DIR LINES...: DIR/kustomization.yaml holding LINES
kust() {
	_d=$1
	shift
	mkdir -p "$work/$_d"
	printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "$@" >"$work/$_d/kustomization.yaml"
}
commit() {
	git -C "$work" add -A
	git -C "$work" commit -q -m "$1"
	c=$(git -C "$work" rev-parse --short=7 HEAD)
}
# rejected LABEL: the push is rejected the same with and without the index; $lines holds its lines
rejected() {
	GATE_NO_FACTS_INDEX=1 push "$work" origin main && bail "$1: accepted without the index"
	_noidx=$(remote_lines)
	not_ok "$1" push "$work" origin main
	lines=$(remote_lines)
	is "$1: the same without the index" "$_noidx" "$lines"
}
reset_base() {
	git -C "$work" reset -q --hard origin/main
}

# --- the base: a base shared by two overlays nobody includes
mkdir -p "$work/apps/base" "$work/apps/prod" "$work/apps/dev"
valid_deployment web >"$work/apps/base/deploy.yaml"
kust apps/base "resources:" "  - deploy.yaml"
kust apps/prod "resources:" "  - ../base" "namePrefix: prod-"
kust apps/dev "resources:" "  - ../base/" "namePrefix: dev-"
commit "base and two overlays"
ok "the base is accepted" push "$work" origin main

# --- a privileged patch in an overlay nobody includes
kust apps/prod "resources:" "  - ../base" "namePrefix: prod-" "patches:" \
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
commit "privileged prod"
rejected "a privileged patch in a kustomization nobody includes is rejected"
is "named under the root, at the patch's line" "$(printf '%s\n' "$lines" | sed -n 1p)" \
	"error: refs/heads/main $c: apps/prod: apps/prod/kustomization.yaml:16:41: Deployment/prod-web: /spec/template/spec/containers/0/securityContext/privileged: container \"web\" is privileged [privileged]"
unlike "the other overlay is not touched" "$lines" "apps/dev:"
is "nothing moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse origin/main)"

# --- switched off: the folder is no root, its files are judged as files
write_config "$repo" "render:" "  orphan_roots: false"
ok "with render.orphan_roots: false it is accepted" push "$work" origin main
write_config "$repo"
git -C "$work" revert --no-edit HEAD >/dev/null
ok "back to the plain overlay" push "$work" origin main

# --- an included folder is not a second root: a change to the base is judged through both overlays
valid_deployment web | sed 's/image: nginx:1.25/image: nginx:latest/' >"$work/apps/base/deploy.yaml"
commit "latest in the base"
rejected "a latest tag in the shared base is rejected"
like "under the prod overlay" "$lines" "error: refs/heads/main $c: apps/prod: apps/base/deploy.yaml:"
like "under the dev overlay" "$lines" "error: refs/heads/main $c: apps/dev: apps/base/deploy.yaml:"
unlike "not under the base itself" "$lines" "apps/base: "
is "one problem under each overlay" "$(printf '%s\n' "$lines" | grep -c "^error: refs/heads/main $c: ")" "2"
reset_base

# --- a Component is never a root
mkdir -p "$work/components/priv"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1alpha1" "kind: Component" "patches:" \
	"  - patch: |-" \
	"      apiVersion: apps/v1" \
	"      kind: Deployment" \
	"      metadata: {name: web}" \
	"      spec: {template: {spec: {containers: [{name: web, securityContext: {privileged: true}}]}}}" \
	>"$work/components/priv/kustomization.yaml"
commit "a component nobody uses"
ok "a Component nobody uses is no root: accepted" push "$work" origin main
unlike "nothing said of it" "$(remote_lines)" "components/priv"
# used by an overlay, it is judged through that overlay
kust apps/dev "resources:" "  - ../base/" "namePrefix: dev-" "components:" "  - ../../components/priv"
commit "dev uses the component"
rejected "the component's privileged patch, through the overlay using it, is rejected"
like "under the overlay, at the component's patch" "$lines" \
	"error: refs/heads/main $c: apps/dev: components/priv/kustomization.yaml:8:"
reset_base

# --- a missing resource fails the orphan's build, as kustomize fails
kust apps/extra "resources:" "  - service.yaml"
commit "an extra folder"
rejected "a missing resource in a kustomization nobody includes is rejected"
like "the build error, under its root at its kustomization" "$lines" \
	"error: refs/heads/main $c: apps/extra: apps/extra/kustomization.yaml:"
like "kustomize's reason" "$lines" "service.yaml"
reset_base

# --- a folder a Flux root's generated kustomization takes in is no root of its own
mkdir -p "$work/clusters/prod" "$work/flux/app" "$work/flux/more"
flux_ks app ./flux >"$work/clusters/prod/app.yaml"
valid_deployment api >"$work/flux/app/deploy.yaml"
valid_service api >"$work/flux/more/svc.yaml"
kust flux/app "resources:" "  - deploy.yaml" "images:" "  - name: nginx" "    newTag: latest"
commit "a Flux root without a kustomization, a sub-folder with one"
rejected "the sub-folder's latest tag is rejected"
like "under the Flux root" "$lines" "error: refs/heads/main $c: flux: flux/app/kustomization.yaml:"
unlike "not as a root of its own" "$lines" "flux/app: "
reset_base

# --- a kustomization at the top of the repository, and one under an excluded folder
kust . "resources:" "  - apps/prod" "  - apps/dev" "commonLabels: {team: web}"
mkdir -p "$work/.github/k"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources: [missing.yaml]" \
	>"$work/.github/k/kustomization.yaml"
write_config "$repo" "manifests: {exclude: [\".github/**\"]}"
commit "a top kustomization"
ok "a top kustomization including both overlays is accepted" push "$work" origin main
valid_deployment web | sed 's/image: nginx:1.25/image: nginx:latest/' >"$work/apps/base/deploy.yaml"
commit "latest in the base, under the top"
rejected "a latest tag in the base is rejected through the top kustomization only"
like "under the top root" "$lines" "error: refs/heads/main $c: : apps/base/deploy.yaml:"
unlike "the overlays are included now" "$lines" "apps/prod: "
unlike "the excluded folder is no root" "$lines" ".github"
write_config "$repo"
reset_base

# --- a commit that only deletes what a root reads fails its build, as kustomize would
git -C "$work" rm -q -r .github
commit "no excluded folder any more"
ok "without the excluded folder's broken kustomization the tree is accepted" push "$work" origin main
# as post-receive (not installed here) records it: later pushes judge only what changes
git -C "$repo" update-ref refs/heads/gitops/accepted/main main
git -C "$work" rm -q apps/base/deploy.yaml
commit "delete the base's only resource"
rejected "deleting a resource a root reads is rejected"
like "the build error names the deleted file" "$lines" "apps/base/deploy.yaml"
like "under a root that reads it, this commit alone" "$lines" "error: refs/heads/main $c: : apps/base/kustomization.yaml:"
reset_base
git -C "$work" rm -q -r apps/base
commit "delete the base folder"
rejected "deleting a folder a root names is rejected"
like "kustomize's reason names the folder" "$lines" "base"
reset_base
mkdir -p "$work/apps/gen"
printf 'a=1\n' >"$work/apps/gen/app.conf"
kust apps/gen "configMapGenerator:" "  - name: app" "    files: [app.conf]"
commit "a generator"
ok "a configMapGenerator with its file is accepted" push "$work" origin main
git -C "$repo" update-ref refs/heads/gitops/accepted/main main
git -C "$work" rm -q apps/gen/app.conf
commit "delete the generator's file"
rejected "deleting a generator's file (not a manifest) is rejected"
like "the build error names it" "$lines" "app.conf"
reset_base
git -C "$work" rm -q apps/gen/app.conf apps/gen/kustomization.yaml
commit "delete the generator and its file"
ok "deleting a root together with what it reads is accepted" push "$work" origin main

done_testing
