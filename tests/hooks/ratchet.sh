#!/bin/sh
# The ratchet (issue 10, item 9): with `ratchet: true` a problem an object
# already had in the accepted revision stays grandfathered only while the
# part of the object it is about is otherwise unchanged: switching the image
# of a grandfathered privileged container is refused.  Each case has its own
# repository and runs over file:// and smart HTTP.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"
. "$GATE_SRCDIR/tests/hooks/lib-cases.sh"

cases_http

# the privileged container came in while the check was off; then it is turned on
grandfathered() {
	pol="$T_DIR/policy-$1.yaml"
	echo 'checks: {privileged: "off"}' >"$pol"
	new_case ratchet "$1" "policy: {ratchet: true, files: [\"$pol\"]}"
	put_file "$W" apps/web.yaml "$(privileged_deployment web)" "privileged, allowed then"
	ok "$1: accepted while the check was off" push "$W" origin main
	echo 'checks: {}' >"$pol"
	put_file "$W" apps/web.yaml "$(privileged_deployment web | sed 's/replicas: 2/replicas: 3/')" "scale"
	ok "$1: scaling keeps it grandfathered" push "$W" origin main
	like "$1: said as a warning" "$(remote_lines)" "is privileged (grandfathered: already in"
	is "$1: accepted" "$(accepted_ref)" "$(git -C "$W" rev-parse HEAD)"
	put_file "$W" apps/web.yaml "$(privileged_deployment web | sed 's/replicas: 2/replicas: 3/; s|nginx:1.25|evil.example/miner:1.0|')" "switch the image"
	not_ok "$1: switching its image is refused" push "$W" origin main
	like "$1: says why" "$(remote_lines)" \
		"container \"web\" is privileged (not grandfathered: /spec/template/spec/containers/0 changed since"
	is "$1: accepted stays" "$(accepted_ref)" "$(git -C "$W" rev-parse HEAD^)"
	# red team: the same switch made across two commits of one push, the
	# first unchanged in the part, the second an unrelated file
	git -C "$W" reset -q --hard HEAD^
	put_file "$W" apps/web.yaml "$(privileged_deployment web | sed 's/replicas: 2/replicas: 4/; s|nginx:1.25|evil.example/miner:1.0|')" "switch, hidden"
	put_file "$W" apps/svc.yaml "$(valid_service svc)" "unrelated"
	not_ok "$1: hidden in an earlier commit of the push: refused" push "$W" origin main
}

for t in file http; do
	grandfathered $t
done

done_testing
