#!/bin/sh
# Regression tests for the gate-bypass findings of the security review: each
# case pushes for real and checks that the gate holds.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

# 1. a commit first parked on an ungated ref is judged when it reaches a gated one
repo=$(make_bare server)
work=$(make_work w "file://$repo")
put_file "$work" apps/web.yaml "$(valid_deployment web)" "web"
ok "first push" push "$work" origin main
put_file "$work" apps/api.yaml "$(invalid_deployment api)" "bad api"
bad=$(git -C "$work" rev-parse --short=7 HEAD)
ok "bad commit pushed to a tag (ungated) is accepted" push "$work" origin HEAD:refs/tags/parked
not_ok "the same commit pushed to main is rejected" push "$work" origin main
is "exact problem line" "$(remote_lines | head -1)" \
	"error: refs/heads/main $bad: apps/api.yaml:6:13: Deployment/api: /spec/replicas: expected integer or null, got string"
is "main did not move" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD~1)"

write_config "$repo" "gated_refs: [refs/heads/main]"
ok "bad commit pushed to an ungated branch is accepted" push "$work" origin HEAD:refs/heads/scratch
not_ok "then fast-forwarding main onto it is rejected" push "$work" origin main
is "exact problem line (ungated branch)" "$(remote_lines | head -1)" \
	"error: refs/heads/main $bad: apps/api.yaml:6:13: Deployment/api: /spec/replicas: expected integer or null, got string"
is "main still did not move" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD~1)"
# a gated ref's own history stays hidden: a good commit on top of judged main judges one commit
git -C "$work" reset -q --hard HEAD~1
put_file "$work" apps/svc.yaml "$(valid_service svc)" "svc"
ok "a good commit on main is accepted" push "$work" origin main
write_config "$repo"

# 2. a symbolic link at a manifest path is denied: its target may lie outside the globs
printf '%s\n' "$(invalid_deployment evil)" >"$work/evil.txt"
ln -s evil.txt "$work/d.yaml"
git -C "$work" add evil.txt d.yaml
git -C "$work" commit -q -m "link to a file outside the manifest globs"
link=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "symlink at a manifest path rejected" push "$work" origin main
is "symlink error line" "$(remote_lines | head -1)" \
	"error: refs/heads/main $link: d.yaml: error: symbolic link at a manifest path: commit the file itself"
is "main did not move (symlink)" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD~1)"
git -C "$work" reset -q --hard HEAD~1

# 3. leading components of the accepted prefix and the verdict notes are the gate's
for r in refs/heads/gitops refs/heads/gitops/accepted; do
	not_ok "push to $r refused" push "$work" origin "main:$r"
	is "$r line" "$(remote_lines | head -1)" \
		"error: $r: a leading part of refs/heads/gitops/accepted/, where the gate writes accepted refs: written by the gate only"
	is "$r not created" "$(ref_of "$repo" "$r")" "none"
done
not_ok "push to refs/heads/gitops/accepted/main still refused" push "$work" origin main:refs/heads/gitops/accepted/main
like "namespace line" "$(remote_lines | head -1)" "refs under refs/heads/gitops/accepted/ are written by the gate only"
ok "a branch that only shares a prefix string is a plain branch" push "$work" origin main:refs/heads/gitop
for r in refs/notes/gitops-gate refs/notes/gitops-gate/x; do
	not_ok "push to $r refused" push "$work" origin "main:$r"
	is "$r line" "$(remote_lines | head -1)" \
		"error: $r: the gate's verdict notes (refs/notes/gitops-gate): written by the gate only"
	is "$r not created" "$(ref_of "$repo" "$r")" "none"
done
ok "other notes refs pass" push "$work" origin main:refs/notes/mine

# 4. a gated branch may not share the accepted ref of a gated tag
write_config "$repo" "refs: {gate_tags: true}"
not_ok "branch refs/heads/tags/v1 refused while tags are gated" push "$work" origin main:refs/heads/tags/v1
is "clash line" "$(remote_lines | head -1)" \
	"error: refs/heads/tags/v1: this branch would share its accepted ref refs/heads/gitops/accepted/tags/v1 with the gated ref refs/tags/v1: use another branch name"
is "refs/heads/tags/v1 not created" "$(ref_of "$repo" refs/heads/tags/v1)" "none"
ok "the tag itself is accepted" push "$work" origin main:refs/tags/v1
ok "a branch named like a tag without a gated counterpart passes" push "$work" origin main:refs/heads/release/v1
write_config "$repo"
ok "with tags ungated the branch refs/heads/tags/v1 is a plain branch" push "$work" origin main:refs/heads/tags/v1

# 5. a schema file edited in place makes cached verdicts stale
schemas="$T_DIR/schemas-copy"
mkdir -p "$schemas"
cp -R "$HK_DATA/kubernetes-schemas-v1.32.2/." "$schemas/"
repo5=$(make_bare cache)
write_config "$repo5"
sed -i "s|$HK_DATA/kubernetes-schemas-v1.32.2/|$schemas/|" "$repo5/gitops-gate.yaml"
like "config uses the copy" "$(cat "$repo5/gitops-gate.yaml")" "$schemas/"
work5=$(make_work w5 "file://$repo5")
put_file "$work5" apps/web.yaml "$(valid_deployment web)" "web"
ok "valid deployment accepted (verdict cached)" push "$work5" origin main
ok "the same blob on a new branch is accepted from the cache" push "$work5" origin main:refs/heads/again
sch="$schemas/v1.32.2-standalone-strict/deployment-apps-v1.json"
[ -f "$sch" ] || sch=$(ls "$schemas"/v1.32.2-standalone-strict/deployment-apps-v1*.json | head -1)
ino=$(stat -c %i "$sch")
# rewrite in place (same inode, folder untouched), keeping the mtime
cp -p "$sch" "$T_DIR/ref.json"
printf '%s\n' '{"type": "object", "required": ["gateReviewField"]}' >"$sch"
touch -r "$T_DIR/ref.json" "$sch"
is "schema edited in place" "$(stat -c %i "$sch")" "$ino"
not_ok "after the edit the same blob is judged again and rejected" push "$work5" origin main:refs/heads/third
like "problem from the edited schema" "$(remote_lines)" "apps/web.yaml:1:1: Deployment/web: missing required property \"gateReviewField\""
is "third not created" "$(ref_of "$repo5" refs/heads/third)" "none"

# 6. post-receive removes hand-over files older than an hour
repo6="$T_DIR/post.git"
git init -q --bare "$repo6"
"$GATE_BIN" install "$repo6" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
write_config "$repo6"
mkdir -p "$repo6/gitops-gate/handoff"
echo '{}' >"$repo6/gitops-gate/handoff/stale.json"
touch -d '2 hours ago' "$repo6/gitops-gate/handoff/stale.json"
echo '{}' >"$repo6/gitops-gate/handoff/recent.json"
touch -d '10 minutes ago' "$repo6/gitops-gate/handoff/recent.json"
work6=$(make_work w6 "file://$repo6")
put_file "$work6" apps/web.yaml "$(valid_deployment web)" "web"
ok "push with post-receive accepted" push "$work6" origin main
is "accepted ref written by post-receive" "$(ref_of "$repo6" refs/heads/gitops/accepted/main)" \
	"$(git -C "$work6" rev-parse HEAD)"
is "stale hand-over removed" "$(ls "$repo6/gitops-gate/handoff/")" "recent.json"

done_testing
