#!/bin/sh
# limits.max_problems_shown: the lines past the cap are counted in one last
# line, an error only when a rejecting problem was left out (a push with
# warnings alone succeeds and says "warning:").
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
write_config "$repo" "limits: {max_problems_shown: 2}"
work=$(make_work w "file://$repo")

# three Deployments without probes: six warnings, nothing rejecting
noprobe() {
	valid_deployment "$1" | sed '/Probe:$/,+1d'
}
{ noprobe a; echo ---; noprobe b; echo ---; noprobe c; } >"$T_DIR/np.yaml"
put_file "$work" apps/np.yaml "$(cat "$T_DIR/np.yaml")" "no probes"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "warnings alone: accepted" push "$work" origin main
is "two warnings shown, the rest counted as warnings" "$(remote_lines)" \
"warning: refs/heads/main $c: apps/np.yaml:16:11: Deployment/a: /spec/template/spec/containers/0: container \"a\" has no liveness probe [liveness-probe]
warning: refs/heads/main $c: apps/np.yaml:16:11: Deployment/a: /spec/template/spec/containers/0: container \"a\" has no readiness probe [readiness-probe]
warning: ... and 4 more warnings not shown (limits.max_problems_shown is 2)
success: refs/heads/main: 1 commit, 1 file judged (0 from cache), 0 problems, 6 warnings"
unlike "no error line" "$(remote_lines)" "error:"

# the same with a rejecting problem past the cap: an error line
git -C "$work" rm -q apps/np.yaml
{ noprobe d; echo ---; invalid_deployment e; } >"$T_DIR/bad.yaml"
put_file "$work" apps/bad.yaml "$(cat "$T_DIR/bad.yaml")" "no probes, then a bad one"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a rejecting problem: rejected" push "$work" origin main
is "the problem past the cap is counted as an error" "$(remote_lines)" \
"warning: refs/heads/main $c: apps/bad.yaml:16:11: Deployment/d: /spec/template/spec/containers/0: container \"d\" has no liveness probe [liveness-probe]
warning: refs/heads/main $c: apps/bad.yaml:16:11: Deployment/d: /spec/template/spec/containers/0: container \"d\" has no readiness probe [readiness-probe]
error: ... and 1 more problem not shown (limits.max_problems_shown is 2)
error: push rejected: 1 problem in 1 file of 1 commit
hint: check the files before pushing with: gitops-gate validate -strict -kubernetes-version 1.32.2 FILE..."

done_testing
