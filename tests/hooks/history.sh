#!/bin/sh
# History that was never judged must not become the accepted revision (issue
# 10, item 3): the accepted ref only moves to a tree that is wholly judged,
# the diff from the ref's last accepted revision, or the whole tree when
# there is none, not only the commits a push adds.  Each case has its own
# repository and runs over file:// and smart HTTP (git http-backend under
# lighttpd).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"
. "$GATE_SRCDIR/tests/hooks/lib-cases.sh"

cases_http

# content committed before `install`, then one good push on top
before_install() {
	new_case before-install "$1"
	mkdir -p "$W/apps"
	privileged_deployment old >"$W/apps/old.yaml"
	git -C "$W" add apps/old.yaml
	git -C "$W" commit -q -m "before the gate"
	ok "$1: before install: pushed without the gate" ungated origin main
	put_file "$W" apps/web.yaml "$(valid_deployment web)" "a good change"
	not_ok "$1: a good push does not promote content never judged" push "$W" origin main
	like "$1: names the old file" "$(remote_lines)" \
		"(whole tree, nothing accepted yet): apps/old.yaml:21:25: Deployment/old: /spec/template/spec/containers/0/securityContext/privileged: container \"old\" is privileged"
	is "$1: nothing accepted" "$(accepted_ref)" none
	git -C "$W" rm -q apps/old.yaml
	git -C "$W" commit -q -m "remove the old deployment"
	ok "$1: once fixed, accepted" push "$W" origin main
	is "$1: the accepted ref moved to the fixed tip" "$(accepted_ref)" "$(git -C "$W" rev-parse HEAD)"
	like "$1: the second push judged only what the first left" "$(remote_lines)" "success: refs/heads/main: 2 commits"
}

# content pushed while main was not gated, then main gated and a good push
while_ungated() {
	new_case while-ungated "$1" 'gated_refs: ["refs/heads/prod"]'
	mkdir -p "$W/apps"
	privileged_deployment old >"$W/apps/old.yaml"
	git -C "$W" add apps/old.yaml
	git -C "$W" commit -q -m "while main was not gated"
	ok "$1: main not gated: accepted" push "$W" origin main
	write_config "$R"
	put_file "$W" apps/web.yaml "$(valid_deployment web)" "a good change"
	not_ok "$1: once gated, the old content is judged" push "$W" origin main
	like "$1: names the old file" "$(remote_lines)" "apps/old.yaml:21:25: Deployment/old: /spec/template/spec/containers/0/securityContext/privileged: container \"old\" is privileged"
	is "$1: nothing accepted" "$(accepted_ref)" none
}

# red team: with non-fast-forward allowed, force-push back to a commit that
# was never judged (its content predates the gate)
force_back() {
	new_case force-back "$1" 'refs: {allow_non_fast_forward: true}'
	mkdir -p "$W/apps"
	privileged_deployment old >"$W/apps/old.yaml"
	git -C "$W" add apps/old.yaml
	git -C "$W" commit -q -m "before the gate"
	ok "$1: before install" ungated origin main
	bad=$(git -C "$W" rev-parse HEAD)
	git -C "$W" rm -q apps/old.yaml
	git -C "$W" commit -q -m "clean"
	ok "$1: clean tree accepted" push "$W" origin main
	good=$(git -C "$W" rev-parse HEAD)
	is "$1: accepted at the clean tip" "$(accepted_ref)" "$good"
	git -C "$W" reset -q --hard "$bad"
	not_ok "$1: force-push back to the unjudged commit refused" push "$W" --force origin main
	like "$1: names the file" "$(remote_lines)" "apps/old.yaml:21:25: Deployment/old: /spec/template/spec/containers/0/securityContext/privileged: container \"old\" is privileged"
	is "$1: main stays" "$(ref_of "$R" refs/heads/main)" "$good"
	is "$1: accepted stays" "$(accepted_ref)" "$good"
}

# red team: a merge whose second parent carries content never judged
merge_old() {
	new_case merge-old "$1"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	ok "$1: base accepted" push "$W" origin main
	git -C "$W" checkout -q -b old
	put_file "$W" apps/old.yaml "$(privileged_deployment old)" "old work, before the gate"
	ok "$1: the old branch got in before install" ungated origin old
	git -C "$W" checkout -q main
	put_file "$W" apps/web.yaml "$(valid_deployment web)" "a good change"
	git -C "$W" merge -q --no-edit old
	not_ok "$1: the merge is refused" push "$W" origin main
	like "$1: names the file of the second parent" "$(remote_lines)" "apps/old.yaml:21:25: Deployment/old: /spec/template/spec/containers/0/securityContext/privileged: container \"old\" is privileged"
}

# red team: a tag (not gated) at unjudged content, then a branch made from it
tag_then_branch() {
	new_case tag-branch "$1"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	ok "$1: base accepted" push "$W" origin main
	git -C "$W" checkout -q -b t
	put_file "$W" apps/old.yaml "$(privileged_deployment old)" "tagged"
	git -C "$W" tag v1
	ok "$1: tags are not gated" push "$W" origin v1
	not_ok "$1: a branch made from the tag is judged" push "$W" origin "v1^{commit}:refs/heads/rel"
	like "$1: names the file" "$(remote_lines)" "apps/old.yaml:21:25: Deployment/old: /spec/template/spec/containers/0/securityContext/privileged: container \"old\" is privileged"
	is "$1: no branch" "$(ref_of "$R" refs/heads/rel)" none
	is "$1: no accepted ref" "$(accepted_ref rel)" none
}

# the verdict cache keeps the tree check cheap: blobs judged once are not read again
cached() {
	new_case cached "$1"
	mkdir -p "$W/apps"
	for i in 1 2 3; do valid_deployment "d$i" >"$W/apps/d$i.yaml"; done
	git -C "$W" add apps
	git -C "$W" commit -q -m "before the gate"
	ok "$1: before install" ungated origin main
	put_file "$W" apps/web.yaml "$(valid_deployment web)" "first gated push"
	ok "$1: first push judges the whole tree" push "$W" origin main
	like "$1: 4 files judged" "$(remote_lines)" "1 commit, 1 file judged (0 from cache), 0 problems; 3 more files of the tree, nothing accepted yet (0 from cache)"
	put_file "$W" apps/web.yaml "$(valid_deployment web | sed 's/replicas: 2/replicas: 3/')" "scale"
	ok "$1: next push" push "$W" origin main
	like "$1: only the changed file" "$(remote_lines)" "1 commit, 1 file judged (0 from cache), 0 problems"
	unlike "$1: nothing more of the tree: it was accepted" "$(remote_lines)" "of the tree"
}

for t in file http; do
	before_install $t
	while_ungated $t
	force_back $t
	merge_old $t
	tag_then_branch $t
	cached $t
done

done_testing
