#!/bin/sh
# Path ownership (issue 10, items 6 and 12): it is checked on the ref's
# old->new diff for the pusher who moves a gated ref, not only on the
# commits a push adds (a non-owner fast-forwarding main to an owner's commit
# from a work branch is refused); and groups come from the server config
# (`groups:`) as well as from the forge.  Each case has its own repository
# and runs over file:// (REMOTE_USER in the environment, as a forced command
# sets it) and smart HTTP (git http-backend sets REMOTE_USER: one server
# per user).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"
. "$GATE_SRCDIR/tests/hooks/lib-cases.sh"

cases_http alice
ALICE_URL=$HTTP_URL
ALICE_PID=$HTTP_PID
HTTP_PID=
cases_http bob
BOB_URL=$HTTP_URL
trap 'kill "$ALICE_PID" 2>/dev/null || true; stop_http; rm -rf "$T_DIR"' EXIT

# push_as USER TRANSPORT ARGS...: push from $W as USER
push_as() {
	_u=$1
	_t=$2
	shift 2
	if [ "$_t" = file ]; then
		REMOTE_USER=$_u push "$W" origin "$@"
	else
		if [ "$_u" = alice ]; then _url=$ALICE_URL; else _url=$BOB_URL; fi
		push "$W" "$_url/$(basename "$R")" "$@"
	fi
}

policy() {
	printf '%s\n' "$1" >"$T_DIR/policy-$2.yaml"
	echo "policy: {files: [\"$T_DIR/policy-$2.yaml\"]}"
}

# bob fast-forwards main to the commit alice (the owner) made on a work branch
fast_forward() {
	new_case ff "$1" "$(policy 'owners: [{paths: ["clusters/prod/**"], users: [alice]}]' "ff-$1")"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
	ok "$1: base accepted" push_as alice "$1" main
	git -C "$W" checkout -q -b work
	put_file "$W" clusters/prod/web.yaml "$(valid_deployment web)" "alice's change"
	ok "$1: alice, the owner, pushes to her work branch" push_as alice "$1" work
	not_ok "$1: bob fast-forwards main to it: refused" push_as bob "$1" work:main
	like "$1: names the path and the pusher" "$(remote_lines)" "clusters/prod/web.yaml"
	like "$1: for the move" "$(remote_lines)" "bob"
	is "$1: main stays" "$(ref_of "$R" refs/heads/main)" "$(git -C "$W" rev-parse HEAD^)"
	ok "$1: alice may" push_as alice "$1" work:main
}

# the owners are a group the server config defines
config_groups() {
	new_case groups "$1" "$(policy 'owners: [{paths: ["clusters/prod/**"], groups: [platform]}]' "g-$1")" \
		'groups: {platform: [alice, carol]}'
	put_file "$W" clusters/prod/web.yaml "$(valid_deployment web)" "a change to prod"
	not_ok "$1: bob is not in platform" push_as bob "$1" main
	like "$1: says so" "$(remote_lines)" "clusters/prod/web.yaml"
	ok "$1: alice is, by the server config" push_as alice "$1" main
}

# red team: with non-fast-forward allowed, bob forces main back before alice's change
force_back() {
	new_case back "$1" "$(policy 'owners: [{paths: ["clusters/prod/**"], users: [alice]}]' "b-$1")" \
		'refs: {allow_non_fast_forward: true}'
	put_file "$W" clusters/prod/web.yaml "$(valid_deployment web)" "alice's first"
	ok "$1: alice pushes" push_as alice "$1" main
	before=$(git -C "$W" rev-parse HEAD)
	put_file "$W" clusters/prod/web.yaml "$(valid_deployment web | sed 's/replicas: 2/replicas: 4/')" "alice's fix"
	ok "$1: alice pushes her fix" push_as alice "$1" main
	not_ok "$1: bob forcing main back over it is refused" push_as bob "$1" "+$before:main"
	like "$1: names the path" "$(remote_lines)" "clusters/prod/web.yaml"
}

for t in file http; do
	fast_forward $t
	force_back $t
	config_groups $t
done

done_testing
