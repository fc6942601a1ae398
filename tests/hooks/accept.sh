#!/bin/sh
# One accept path: pre-receive, post-receive's re-judge (its hand-over from
# pre-receive missing) and reconcile judge a push with the same setup, the
# pusher's groups included.  Real pushes over file:// with both hooks.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

q() {
	python3 -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$@"
}

repo="$T_DIR/server.git"
git init -q --bare "$repo"
"$GATE_BIN" install "$repo" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
write_config "$repo" "policy:" "  files: [owners.yaml]"
cat >"$repo/owners.yaml" <<'YAML'
owners:
- paths: ['clusters/prod/**']
  groups: [platform]
  users: [root-admin]
YAML
work=$(make_work w "file://$repo")
put_file "$work" apps/svc.yaml "$(valid_service svc)" "base"
REMOTE_USER=alice ok "a first push outside the owned paths is accepted" push "$work" origin main
is "post-receive recorded it" "$(ref_of "$repo" refs/heads/gitops/accepted/main)" \
	"$(ref_of "$repo" refs/heads/main)"
is "judged by pre-receive" "$(q "$repo/gitops-gate/journal" 'L[-1]["verdict"]["judged_by"]')" "pre-receive"
fp_pre=$(q "$repo/gitops-gate/journal" 'L[-1]["verdict"]["fingerprint"]')

# pre-receive judges, then its hand-over to post-receive goes missing
mv "$repo/hooks/pre-receive" "$repo/hooks/pre-receive.gate"
cat >"$repo/hooks/pre-receive" <<'HOOK'
#!/bin/sh
"$(dirname "$0")/pre-receive.gate" || exit 1
rm -rf gitops-gate/handoff
HOOK
chmod +x "$repo/hooks/pre-receive"

put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "prod web"
REMOTE_USER=alice GATE_PUSHER_GROUPS=platform ok "alice, in group platform, may change clusters/prod" \
	push "$work" origin main
out=$(remote_lines)
like "post-receive finds no hand-over" "$out" "no pre-receive verdict (were the hooks bypassed?): judging again"
unlike "the re-judge keeps alice's groups" "$out" "not accepted on re-judging"
like "and records the revision" "$out" "success: refs/heads/main: accepted revision"
is "the accepted ref follows main" "$(ref_of "$repo" refs/heads/gitops/accepted/main)" \
	"$(ref_of "$repo" refs/heads/main)"
is "judged by post-receive" "$(q "$repo/gitops-gate/journal" 'L[-1]["verdict"]["judged_by"]')" "post-receive"
is "with the fingerprint pre-receive uses (same engine, config and policy)" \
	"$(q "$repo/gitops-gate/journal" 'L[-1]["verdict"]["fingerprint"]')" "$fp_pre"

# the re-judge still refuses what the pusher may not do (pre-receive gone)
rm "$repo/hooks/pre-receive"
accepted=$(ref_of "$repo" refs/heads/gitops/accepted/main)
put_file "$work" clusters/prod/api.yaml "$(valid_deployment api)" "prod api"
REMOTE_USER=bob ok "bob's push gets in without pre-receive" push "$work" origin main
like "post-receive's re-judge refuses bob's change of an owned path" "$(remote_lines)" \
	"not accepted on re-judging (1 problems): the accepted ref stays"
is "the accepted ref stays" "$(ref_of "$repo" refs/heads/gitops/accepted/main)" "$accepted"
done_testing
