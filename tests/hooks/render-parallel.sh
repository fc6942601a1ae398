#!/bin/sh
# The roots of a commit judged on its whole tree (a new branch's first
# commit) are built on the judge's threads and merged in root order
# (hooks/judge_proots.c); GATE_SERIAL_ROOTS=1 builds them one after the
# other.  Two servers get the same pushes, one of them always with
# GATE_SERIAL_ROOTS=1: every push must say the same remote: lines, line for
# line (the timing hint aside) and move the same refs.  The content: 40 Flux
# roots over one base (postBuild substitutions from the repository's
# ConfigMaps, a latest tag and a privileged container arriving through
# them, builds failing on a missing resource, a patch holding a key, an
# undefined variable), Argo CD Applications, a folder render.roots names;
# then pushes that change and delete what roots read, judged from what the
# first pushes left in the render index.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

roots=40
par=$(make_bare par)
ser=$(make_bare ser)
for r in "$par" "$ser"; do
	write_config "$r" "limits: {max_problems_shown: 1000}" "render: {roots: [extra]}"
done
work=$(make_work w "file://$par")
git -C "$work" remote add ser "file://$ser"
export GATE_TIMING=1

# verdict_lines: the last push's lines without the timing hint
verdict_lines() {
	remote_lines | grep -v '^hint: judged in '
}
# both WHAT REF [git push options]: push REF to both servers; the same lines, the same outcome
both() {
	_what=$1
	shift
	_pst=0
	push "$work" origin "$@" || _pst=$?
	_pl=$(verdict_lines)
	_sst=0
	(
		GATE_SERIAL_ROOTS=1
		export GATE_SERIAL_ROOTS
		push "$work" ser "$@"
	) || _sst=$?
	is "$_what: the same outcome" "$_pst" "$_sst"
	is "$_what: the same lines, in the same order" "$_pl" "$(verdict_lines)"
	both_lines=$_pl
}

mkdir -p "$work/base" "$work/clusters" "$work/extra"
valid_deployment web | sed 's/nginx:1.25/nginx:${TAG:=1.25}/' >"$work/base/deploy.yaml"
valid_service web >"$work/base/service.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" \
	"resources: [deploy.yaml, service.yaml]" >"$work/base/kustomization.yaml"
k=1
while [ $k -le $roots ]; do
	o=$(printf 'o%02d' $k)
	mkdir -p "$work/overlays/$o"
	{
		flux_ks "$o" "./overlays/$o"
		printf '%s\n' "  postBuild:" "    substituteFrom:" "      - kind: ConfigMap" "        name: vars-$o"
	} >"$work/clusters/$o.yaml"
	printf '%s\n' "apiVersion: v1" "kind: ConfigMap" "metadata:" "  name: vars-$o" "  namespace: flux-system" \
		"data:" "  TAG: \"1.25.$k\"" >"$work/clusters/vars-$o.yaml"
	printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources: [../../base]" \
		"namePrefix: $o-" "namespace: team-$o" >"$work/overlays/$o/kustomization.yaml"
	k=$((k + 1))
done
# an Argo CD Application over two of the overlays, and a folder render.roots names
for o in o03 o04; do
	printf '%s\n' "apiVersion: argoproj.io/v1alpha1" "kind: Application" "metadata:" "  name: argo-$o" \
		"  namespace: argocd" "spec:" "  project: default" "  source:" "    repoURL: https://example.com/r.git" \
		"    path: overlays/$o" "  destination:" "    server: https://kubernetes.default.svc" \
		"    namespace: argo-$o" >"$work/clusters/argo-$o.yaml"
done
valid_deployment extra >"$work/extra/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources: [deploy.yaml]" \
	>"$work/extra/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "a base, $roots overlays, two Applications, one more root"
both "the clean fleet" main
like "the clean fleet is accepted" "$both_lines" "success: refs/heads/main"

# --- a new branch with problems in many roots: judged on its whole tree, in threads
git -C "$work" checkout -q -b broken
k=1
while [ $k -le $roots ]; do
	o=$(printf 'o%02d' $k)
	case $((k % 5)) in
	0) sed -i "s/TAG: .*/TAG: latest/" "$work/clusters/vars-$o.yaml" ;;
	1) printf '%s\n' "  - missing-$o.yaml" >>"$work/overlays/$o/kustomization.yaml"
	   sed -i 's/^resources: \[\.\.\/\.\.\/base\]$/resources:\n  - ..\/..\/base/' \
		"$work/overlays/$o/kustomization.yaml" ;;
	2) printf '%s\n' "apiVersion: apps/v1" "kind: Deployment" "metadata: {name: web}" \
		"# export AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2" \
		"spec: {template: {spec: {containers: [{name: web, securityContext: {privileged: true}}]}}}" \
		>"$work/overlays/$o/priv.yaml"
	   printf '%s\n' "patches:" "  - path: priv.yaml" >>"$work/overlays/$o/kustomization.yaml" ;;
	3) sed -i 's/name: vars-.*/name: no-such-vars/' "$work/clusters/$o.yaml" ;;
	esac
	k=$((k + 1))
done
sed -i 's/namespace: argo-o04/namespace: argo-o04\n  sources: []/' "$work/clusters/argo-o04.yaml"
printf '%s\n' "  - missing.yaml" >>"$work/extra/kustomization.yaml"
sed -i 's/^resources: \[deploy.yaml\]$/resources:\n  - deploy.yaml/' "$work/extra/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "problems everywhere"
both "a new branch with problems in many roots" broken
like "rejected" "$both_lines" "error: push rejected: "
like "a build failing on a missing resource" "$both_lines" "overlays/o01: overlays/o01/kustomization.yaml:"
like "a latest tag through a substitution" "$both_lines" "overlays/o05: base/deploy.yaml:"
like "a privileged patch" "$both_lines" "overlays/o02: overlays/o02/priv.yaml:"
like "the key in the handed-over patch" "$both_lines" "overlays/o02/priv.yaml:4:"
like "a substituteFrom object that is not there" "$both_lines" "overlays/o03: clusters/o03.yaml:"
like "the render.roots folder's build error" "$both_lines" "extra: extra/kustomization.yaml:"

# --- out of time among the roots, at a count (GATE_TEST_STOP_AFTER_ROOTS): the parallel builds stop
# at the same root as the serial ones, and the push is refused; then the same push judged whole
GATE_TEST_STOP_AFTER_ROOTS=10
export GATE_TEST_STOP_AFTER_ROOTS
both "out of time at the eleventh root" broken:refs/heads/budget
unset GATE_TEST_STOP_AFTER_ROOTS
like "refused for the budget" "$both_lines" "ran out of its time budget"
unlike "no verdict of a root past the budget" "$both_lines" "overlays/o40:"
both "the same push again, within the budget" broken:refs/heads/budget
like "judged whole: the first root's build error" "$both_lines" "overlays/o01: overlays/o01/kustomization.yaml:"
like "judged whole: the last overlay's" "$both_lines" "overlays/o40: "

# --- the same branch again under another name, after the clean fleet's index
git -C "$work" checkout -q main
both "the clean fleet on a new branch, its renders known" main:refs/heads/copy
like "accepted" "$both_lines" "success: refs/heads/copy"

# --- one folder named by two Flux objects the same way (one render-index key: built one after the
# other) and by a third with its own prefix (a key of its own), on a new branch with a problem in it
git -C "$work" checkout -q -b twice main
sed 's/^  name: o06$/  name: o06-again/' "$work/clusters/o06.yaml" >"$work/clusters/o06-again.yaml"
{
	flux_ks o06-prefixed ./overlays/o06
	printf '%s\n' "  namePrefix: p-" "  postBuild:" "    substitute: {TAG: latest}"
} >"$work/clusters/o06-prefixed.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "o06 named three times"
both "one folder named three times" twice
like "the prefixed root's latest tag" "$both_lines" "overlays/o06: base/deploy.yaml:"
git -C "$work" checkout -q main

# --- changes and deletions on main (judged on the changes, after the parallel first push's index)
sed -i 's/replicas: 2/replicas: 3/' "$work/base/deploy.yaml"
git -C "$work" commit -q -am "three replicas"
both "a change to the base" main
git -C "$work" rm -q base/service.yaml
git -C "$work" commit -q -m "the service goes"
both "a deleted resource every root reads" main
like "rejected at every overlay" "$both_lines" "overlays/o40: base/kustomization.yaml"
git -C "$work" reset -q --hard HEAD~1
git -C "$work" rm -q -r overlays/o07 clusters/o07.yaml clusters/vars-o07.yaml
git -C "$work" commit -q -m "o07 goes, with its objects"
both "a root deleted with what it reads" main

done_testing
