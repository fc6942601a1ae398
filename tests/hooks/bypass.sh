#!/bin/sh
# Break-glass pushes (-o gitops-gate.bypass=<reason>) and GitLab's prefix.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
write_config "$repo" "bypass: {allowed: [alice]}"
work=$(make_work w "file://$repo")
put_file "$work" apps/web.yaml "$(valid_deployment web)" "web"
ok "first push" push "$work" origin main
put_file "$work" apps/api.yaml "$(invalid_deployment api)" "bad api"
bad=$(git -C "$work" rev-parse --short=7 HEAD)

REMOTE_USER=eve
export REMOTE_USER
not_ok "bypass by a pusher not on the list is refused" push "$work" -o "gitops-gate.bypass=hotfix" origin main
is "refusal line" "$(remote_lines | head -1)" 'error: bypass refused: pusher "eve" is not allowed to bypass'
not_ok "and the push without bypass is rejected" push "$work" origin main

REMOTE_USER=alice
not_ok "bypass without a reason is refused" push "$work" -o "gitops-gate.bypass=" origin main
like "reason required" "$(remote_lines)" "error: bypass refused: give a reason"
ok "bypass by alice accepted" push "$work" -o "gitops-gate.bypass=incident 42" origin main
is "problems become warnings, with the reason" "$(remote_lines)" \
"warning: refs/heads/main $bad: apps/api.yaml:6:13: Deployment/api: /spec/replicas: expected integer or null, got string
warning: bypass by \"alice\": incident 42: accepted anyway (1 problem in 1 file of 1 commit)"
is "main moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"
h=$(cat "$repo"/gitops-gate/handoff/*.json | grep "$(git -C "$work" rev-parse HEAD)")
like "hand-over records the reason" "$h" '"bypass":"incident 42"'
like "hand-over records the pusher" "$h" '"pusher":"alice"'
like "hand-over records the problems" "$h" '"problems":1'
unset REMOTE_USER
# post-receive (not installed here: these cases read pre-receive alone) records
# a bypassed push as accepted; later pushes are judged since that revision
git -C "$repo" update-ref refs/heads/gitops/accepted/main main

# GitLab: GL_ID set, GL_USERNAME is the pusher, error lines carry GL-HOOK-ERR:
GL_ID=user-1 GL_USERNAME=bob
export GL_ID GL_USERNAME
put_file "$work" apps/db.yaml "$(invalid_deployment db)" "bad db"
not_ok "gitlab push rejected" push "$work" origin main
like "GitLab prefix on error lines" "$(remote_lines | head -1)" "GL-HOOK-ERR: error: refs/heads/main "
like "GitLab prefix on the summary" "$(remote_lines)" "GL-HOOK-ERR: error: push rejected: 1 problem"
not_ok "bob may not bypass" push "$work" -o "gitops-gate.bypass=x" origin main
like "bob named" "$(remote_lines)" 'pusher "bob" is not allowed'
unset GL_ID GL_USERNAME

# strings from the push are escaped
git -C "$work" reset -q --hard HEAD~1
tab=$(printf 'a\tb')
put_file "$work" "apps/$tab.yaml" "$(invalid_deployment tab)" "tab in name"
not_ok "push with a control character in a path rejected" push "$work" origin main
like "path escaped" "$(remote_lines)" 'apps/a\x09b.yaml:6:13'

done_testing
