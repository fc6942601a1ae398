#!/bin/sh
# Submodules (issue 10, item 4): a gitlink where manifests may lie is
# refused unless the server allows it (allow_submodules), since Argo CD
# fetches submodules and the gate cannot judge what they hold.  Each case has
# its own repository and runs over file:// and smart HTTP.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"
. "$GATE_SRCDIR/tests/hooks/lib-cases.sh"

cases_http

# gitlink WORK PATH: a submodule entry at PATH (to any commit: git checks none)
gitlink() {
	git -C "$1" update-index --add --cacheinfo "160000,$(git -C "$1" rev-parse HEAD),$2"
	git -C "$1" commit -q -m "submodule at $2"
}

# a gitlink in a folder of manifests
under_manifests() {
	new_case under "$1"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	ok "$1: base accepted" push "$W" origin main
	gitlink "$W" apps/vendor
	not_ok "$1: a submodule among manifests is refused" push "$W" origin main
	like "$1: says why" "$(remote_lines)" \
		"apps/vendor: error: submodule (gitlink) where manifests may lie: Argo CD fetches submodules"
	is "$1: main stays" "$(ref_of "$R" refs/heads/main)" "$(git -C "$W" rev-parse HEAD^)"
}

# allowed by the server: accepted
allowed() {
	new_case allowed "$1" "allow_submodules: true"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	gitlink "$W" apps/vendor
	ok "$1: allow_submodules: true accepts it" push "$W" origin main
}

# a folder no manifest glob can reach: accepted
excluded() {
	new_case excluded "$1" 'manifests: {exclude: ["vendor/**"]}'
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	gitlink "$W" vendor/lib
	ok "$1: a submodule under an excluded folder is accepted" push "$W" origin main
	# red team: the same gitlink renamed into a manifest folder
	git -C "$W" rm -q --cached vendor/lib
	gitlink "$W" apps/lib
	not_ok "$1: renamed into apps/: refused" push "$W" origin main
	like "$1: names the new place" "$(remote_lines)" "apps/lib: error: submodule (gitlink)"
}

# red team: a gitlink committed before install, then a good push
before_install() {
	new_case sub-before "$1"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	gitlink "$W" clusters/prod/remote
	ok "$1: before install" ungated origin main
	put_file "$W" apps/web.yaml "$(valid_deployment web)" "good change"
	not_ok "$1: the old gitlink is judged with the tree" push "$W" origin main
	like "$1: names it" "$(remote_lines)" "clusters/prod/remote: error: submodule (gitlink)"
	is "$1: nothing accepted" "$(accepted_ref)" none
}

for t in file http; do
	under_manifests $t
	allowed $t
	excluded $t
	before_install $t
done

done_testing
