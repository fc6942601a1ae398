#!/bin/sh
# Pushes over smart HTTP: git http-backend behind lighttpd on a loopback
# port, the authenticated user in REMOTE_USER.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

mkdir -p "$T_DIR/srv"
repo=$(make_bare srv/server)
write_config "$repo" "bypass: {allowed: [carol]}"
start_http "$T_DIR/srv" carol
url="$HTTP_URL/server.git"

work=$(make_work w "$url")
put_file "$work" apps/web.yaml "$(valid_deployment web)" "web"
ok "valid push over http accepted" push "$work" origin main
is "success line over http" "$(remote_lines)" \
	"success: refs/heads/main: 1 commit, 1 file judged (0 from cache), 0 problems"
is "main moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"

before=$(ref_of "$repo" refs/heads/main)
put_file "$work" apps/api.yaml "$(invalid_deployment api)" "bad api"
bad=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "invalid push over http rejected" push "$work" origin main
is "exact remote lines over http" "$(remote_lines)" \
"error: refs/heads/main $bad: apps/api.yaml:6:13: Deployment/api: /spec/replicas: expected integer or null, got string
error: push rejected: 1 problem in 1 file of 1 commit
hint: check the files before pushing with: gitops-gate validate -strict -kubernetes-version 1.32.2 FILE..."
is "main unmoved" "$(ref_of "$repo" refs/heads/main)" "$before"

# the web server's REMOTE_USER is the pusher: carol may bypass
ok "bypass by the authenticated user" push "$work" -o "gitops-gate.bypass=rollback drill" origin main
like "bypass names carol" "$(remote_lines)" 'warning: bypass by "carol": rollback drill'
like "hand-over records carol" "$(cat "$repo"/gitops-gate/handoff/*.json)" '"pusher":"carol"'

done_testing
