#!/bin/sh
# One push, many renders of one base: 50 Flux Kustomizations, each of its
# own overlay of one base.  A change to the base renders the 50 roots; they
# read and parse the base once (the blob memo and the parse cache of one
# push), which GATE_TIMING's counts show: a regression is a count here, not
# a time.  The same pushes judged with GATE_NO_SHARING=1 (every read and
# parse done again) give the same verdicts, line for line.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

overlays=50
repo=$(make_bare server)
work=$(make_work w "file://$repo")
export GATE_TIMING=1

mkdir -p "$work/base" "$work/clusters"
valid_deployment web >"$work/base/deploy.yaml"
valid_service web >"$work/base/service.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" \
	"resources: [deploy.yaml, service.yaml]" >"$work/base/kustomization.yaml"
k=1
while [ $k -le $overlays ]; do
	o=$(printf 'o%02d' $k)
	mkdir -p "$work/overlays/$o"
	flux_ks "$o" "./overlays/$o" >"$work/clusters/$o.yaml"
	printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources: [../../base]" \
		"namePrefix: $o-" "namespace: team-$o" "commonLabels: {overlay: $o}" \
		"images: [{name: nginx, newTag: \"1.25.$k\"}]" >"$work/overlays/$o/kustomization.yaml"
	k=$((k + 1))
done
git -C "$work" add -A
git -C "$work" commit -q -m "a base and $overlays overlays"
ok "the base and its overlays are accepted" push "$work" origin main

# hint_field WORDS: the number before WORDS in the last push's timing hint
hint_field() {
	remote_lines | sed -n "s/^hint: judged in .*[;,:] \([0-9][0-9]*\) $1\(;.*\|,.*\)\{0,1\}\$/\1/p"
}
# verdict_lines: the last push's lines without the timing hint
verdict_lines() {
	remote_lines | grep -v '^hint: judged in '
}

# push_apart WORK ARGS...: push, judged with GATE_NO_SHARING=1
push_apart() {
	(
		GATE_NO_SHARING=1
		export GATE_NO_SHARING
		push "$@"
	)
}

# --- harmless changes to the base: 50 renders, the base read once
sed -i 's/replicas: 2/replicas: 3/' "$work/base/deploy.yaml"
git -C "$work" commit -q -am "three replicas"
ok "without sharing, a change to the base is accepted" push_apart "$work" origin main
apart=$(hint_field "blobs read")
ok "each render reads the base's three files again ($apart blob reads)" \
	test "${apart:-0}" -ge $((4 * overlays))
sed -i 's/replicas: 3/replicas: 2/' "$work/base/deploy.yaml"
git -C "$work" commit -q -am "two replicas"
ok "with sharing, the next change is accepted" push "$work" origin main
shared=$(hint_field "blobs read")
spared=$(hint_field "reads shared")
# the changed file, each overlay's kustomization, the base's two other files,
# the Flux objects the root search scans (at most once each), a few more
ok "the base is read once for the 50 renders ($shared blob reads)" \
	test "${shared:-999}" -le $((2 * overlays + 10))
ok "the other renders' reads of it are shared ($spared)" test "${spared:-0}" -ge $((3 * (overlays - 1)))

# --- a privileged container in the base: 50 roots reject, the same lines both ways
sed -i 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: false\n            privileged: true/' \
	"$work/base/deploy.yaml"
git -C "$work" commit -q -am "privileged"
not_ok "a privileged base is rejected (sharing)" push "$work" origin main
with=$(verdict_lines)
is "under each of the 50 roots" "$(echo "$with" | grep -c 'base/deploy.yaml:.*privileged')" "$overlays"
not_ok "and without sharing" push_apart "$work" origin main
without=$(verdict_lines)
is "the same lines, in the same order" "$without" "$with"
is "nothing moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD~1)"

# --- a broken overlay among them: the build error is the same both ways
git -C "$work" reset -q --hard HEAD~1
printf '%s\n' "  - missing.yaml" >>"$work/overlays/o07/kustomization.yaml"
sed -i 's/^resources: \[\.\.\/\.\.\/base\]$/resources:\n  - ..\/..\/base/' "$work/overlays/o07/kustomization.yaml"
sed -i 's/replicas: 2/replicas: 4/' "$work/base/deploy.yaml"
git -C "$work" commit -q -am "o07 names a missing file"
not_ok "a missing resource in one overlay is rejected" push "$work" origin main
with=$(verdict_lines)
like "at that overlay" "$with" "overlays/o07: overlays/o07/kustomization.yaml:"
not_ok "and without sharing" push_apart "$work" origin main
is "the same lines" "$(verdict_lines)" "$with"

done_testing
