#!/bin/sh
# The root search and the render index, push after push: the same commits
# go to two servers, one judging with the blob-facts index (each push reuses
# what the earlier ones kept: per-tree summaries, each root's last inputs,
# the folders known unchanged per tree) and one without it
# (GATE_NO_FACTS_INDEX=1); every push must say the same on both.  Between
# the pushes Flux Kustomizations, Argo CD Applications and kustomization
# files are added, moved and removed (folders become kustomizations nobody
# includes, or stop being such), render.roots changes, and folders holding
# roots are moved and deleted.  After each accepted step, probes change a
# file that some roots read (a shared base, a Flux root's generated folder,
# a folder one root reads) and are rejected the same on both.  Real pushes
# over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

idx=$(make_bare idx)
noidx=$(make_bare noidx)
work=$(make_work w "file://$idx")
git -C "$work" remote add noidx "file://$noidx"

kust() {
	_d=$1
	shift
	mkdir -p "$work/$_d"
	printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "$@" >"$work/$_d/kustomization.yaml"
}
argo_app() {
	printf '%s\n' "apiVersion: argoproj.io/v1alpha1" "kind: Application" "metadata: {name: $1, namespace: argocd}" \
		"spec:" "  project: default" "  destination: {server: https://kubernetes.default.svc, namespace: $1}" \
		"  source:" "    repoURL: https://git.example.com/fleet.git" "    path: $2"
}
commit() {
	git -C "$work" add -A
	git -C "$work" commit -q --allow-empty -m "$1"
	c=$(git -C "$work" rev-parse --short=7 HEAD)
}
configs() {
	write_config "$idx" "$@"
	write_config "$noidx" "$@"
}
# both LABEL: push HEAD to both servers; the same status and remote lines.
# Sets $st (0 accepted) and $lines.  An accepted push is recorded as
# post-receive would (later pushes judge only what changes).
both() {
	_st1=0
	GATE_NO_FACTS_INDEX=1 push "$work" noidx HEAD:main || _st1=$?
	_l1=$(remote_lines)
	st=0
	push "$work" origin HEAD:main || st=$?
	lines=$(remote_lines)
	is "$1: the same verdict with the index as without" "$st:$lines" "$_st1:$_l1"
	if [ "$st" = 0 ]; then
		git -C "$idx" update-ref refs/heads/gitops/accepted/main main
		git -C "$noidx" update-ref refs/heads/gitops/accepted/main main
	fi
}
# step LABEL: commit, push to both, accepted the same on both
step() {
	commit "$1"
	both "$1"
	is "$1: accepted" "$st" 0
}
latest() {
	sed 's/image: nginx:1.25/image: nginx:latest/' "$work/$1" >"$work/$1.new"
	mv "$work/$1.new" "$work/$1"
}
# probe LABEL FILE: FILE with a latest tag, rejected the same on both; then undone
probe() {
	latest "$2"
	commit "$1: $2"
	both "$1: $2 with a latest tag"
	ok "$1: $2: rejected" test "$st" != 0
	git -C "$work" reset -q --hard HEAD~1
}
# gone LABEL FILE: FILE deleted, rejected the same on both (a build reads it); then undone
gone() {
	git -C "$work" rm -q "$2"
	commit "$1: $2 deleted"
	both "$1: $2 deleted"
	ok "$1: $2 deleted: rejected" test "$st" != 0
	git -C "$work" reset -q --hard HEAD~1
}
probes() {
	probe "$1" apps/base/deploy.yaml
	probe "$1" flux/gen/deploy.yaml
	probe "$1" "$misc/deploy.yaml"
	# not a manifest: only the tree ids of its folder say it changed
	gone "$1" gen/app.conf
}
misc=misc/a

# --- the base: a base two overlays build, a Flux root (a generated
# kustomization), an Argo CD root, a kustomization nobody includes
mkdir -p "$work/apps/base" "$work/clusters/prod" "$work/flux/gen" "$work/misc/a" "$work/argo"
valid_deployment web >"$work/apps/base/deploy.yaml"
kust apps/base "resources:" "  - deploy.yaml"
kust apps/prod "resources:" "  - ../base" "namePrefix: prod-"
kust apps/dev "resources:" "  - ../base" "namePrefix: dev-"
flux_ks prod ./apps/prod >"$work/clusters/prod/apps.yaml"
flux_ks gen ./flux/gen >"$work/clusters/prod/gen.yaml"
valid_deployment gen >"$work/flux/gen/deploy.yaml"
argo_app dev apps/dev >"$work/argo/dev.yaml"
valid_deployment misc >"$work/misc/a/deploy.yaml"
kust misc/a "resources:" "  - deploy.yaml"
mkdir -p "$work/gen"
printf 'a=1\n' >"$work/gen/app.conf"
kust gen "configMapGenerator:" "  - name: app" "    files: [app.conf]"
step "the base"
like "the base is judged whole" "$lines" "success: refs/heads/main"
probes "the base"
# a second probe on the same tree: every root's folders are known by now
probes "again"

# --- Flux Kustomizations added, moved, removed
kust apps/staging "resources:" "  - ../base" "namePrefix: staging-"
flux_ks staging ./apps/staging >"$work/clusters/prod/staging.yaml"
step "a Flux root added"
probes "a Flux root added"
mkdir -p "$work/clusters/production"
git -C "$work" mv clusters/prod/apps.yaml clusters/production/apps.yaml
step "a Flux object moved"
probes "a Flux object moved"
git -C "$work" rm -q clusters/prod/staging.yaml
step "a Flux object removed: its folder is a kustomization nobody includes"
probes "a Flux object removed"

# --- Argo CD Applications removed and added
git -C "$work" rm -q argo/dev.yaml
step "an Argo CD object removed"
probes "an Argo CD object removed"
mkdir -p "$work/argo"
argo_app misc misc/a >"$work/argo/misc.yaml"
step "an Argo CD object for the folder nobody included"
probes "an Argo CD object added"

# --- kustomization files: a folder including the overlays, then gone
kust apps "resources:" "  - prod" "  - dev" "  - staging"
step "a kustomization including the overlays"
probes "a kustomization including the overlays"
kust apps "resources:" "  - prod"
step "it includes one overlay only"
probes "it includes one overlay only"
git -C "$work" rm -q apps/kustomization.yaml
step "that kustomization removed"
probes "that kustomization removed"
kust flux/gen/sub "resources:" "  - deploy.yaml"
valid_deployment sub >"$work/flux/gen/sub/deploy.yaml"
step "a kustomization in a Flux root's generated folder"
probe "a kustomization in a generated folder" flux/gen/sub/deploy.yaml
probes "a kustomization in a generated folder"

# --- render.roots
configs "render:" "  roots: [\"apps/*\"]"
step "render.roots set"
probes "render.roots set"
configs "render:" "  roots: [\"misc/**\", \"gen\"]" "  orphan_roots: false"
step "render.roots changed, no orphan roots"
probes "render.roots changed"
configs
step "render.roots removed"
probes "render.roots removed"

# --- a push judged without the index in between: the next one starts from an older tree's facts
mkdir -p "$work/other"
valid_service other >"$work/other/svc.yaml"
commit "a file pushed without the index"
ok "a push without the index is accepted" env GATE_NO_FACTS_INDEX=1 sh -c \
	'git -C "$1" push -q origin HEAD:main 2>/dev/null && git -C "$1" push -q noidx HEAD:main 2>/dev/null' - "$work"
git -C "$idx" update-ref refs/heads/gitops/accepted/main main
git -C "$noidx" update-ref refs/heads/gitops/accepted/main main
probes "after a push without the index"

# --- folders holding roots moved and deleted
git -C "$work" mv misc/a misc/b
misc=misc/b
sed 's|path: misc/a|path: misc/b|' "$work/argo/misc.yaml" >"$work/argo/misc.yaml.new"
mv "$work/argo/misc.yaml.new" "$work/argo/misc.yaml"
step "a root's folder moved with its Argo CD object"
probe "a root's folder moved" misc/b/deploy.yaml
probe "a root's folder moved" apps/base/deploy.yaml
git -C "$work" rm -q -r apps/staging
step "an overlay folder deleted"
probes "an overlay folder deleted"
git -C "$work" rm -q -r clusters
step "the folder of the Flux objects deleted"
probe "no Flux objects" apps/base/deploy.yaml
probe "no Flux objects" flux/gen/deploy.yaml
git -C "$work" rm -q -r apps/dev
commit "the dev overlay deleted, the Argo CD object naming it is gone already"
both "a folder deleted"
probe "the dev overlay deleted" apps/base/deploy.yaml
# a deletion that breaks a build: rejected the same on both
git -C "$work" rm -q apps/base/deploy.yaml
commit "the base's resource deleted"
both "a resource a root reads deleted"
ok "a resource a root reads deleted: rejected" test "$st" != 0
like "its build fails" "$lines" "apps/base/deploy.yaml"
git -C "$work" reset -q --hard HEAD~1
probe "after all" apps/base/deploy.yaml

done_testing
