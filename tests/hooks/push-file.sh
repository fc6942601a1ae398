#!/bin/sh
# Pushes over file:// to a bare repository guarded by the gate: accepted,
# rejected with the exact remote: lines, every commit judged, ref rules.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
work=$(make_work w "file://$repo")

# 1. a valid first push creates main
put_file "$work" apps/web.yaml "$(valid_deployment web)" "add web"
put_file "$work" apps/svc.yaml "$(valid_service web)" "add service"
ok "valid push accepted" push "$work" origin main
is "success line" "$(remote_lines)" \
	"success: refs/heads/main: 2 commits, 2 files judged (0 from cache), 0 problems"
is "main moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"
handoffs=$(ls "$repo/gitops-gate/handoff" | wc -l)
is "one hand-over file for the update" "$handoffs" "1"
like "hand-over names the ref and is accepted" "$(cat "$repo"/gitops-gate/handoff/*.json)" \
	'"accepted":true'

# 2. an invalid manifest is rejected with exact lines, and main does not move
before=$(ref_of "$repo" refs/heads/main)
put_file "$work" apps/api.yaml "$(invalid_deployment api)" "add api"
bad=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "invalid push rejected" push "$work" origin main
is "exact remote lines" "$(remote_lines)" \
"error: refs/heads/main $bad: apps/api.yaml:6:13: Deployment/api: /spec/replicas: expected integer or null, got string
error: push rejected: 1 problem in 1 file of 1 commit
hint: check the files before pushing with: gitops-gate validate -strict -kubernetes-version 1.32.2 FILE..."
like "git reports the hook declined" "$(cat "$T_DIR/push.out")" "pre-receive hook declined"
is "main unmoved" "$(ref_of "$repo" refs/heads/main)" "$before"

# 3. fixing on top does not help: the bad middle commit stays in history
printf '%s\n' "$(valid_deployment api)" >"$work/apps/api.yaml"
git -C "$work" commit -q -am "fix api"
put_file "$work" apps/db.yaml "$(valid_service db)" "add db"
not_ok "bad middle commit rejects the push" push "$work" origin main
is "only the middle commit is named" "$(remote_lines | grep -c "^error: refs/heads/main ")" "1"
like "the middle commit is the bad one" "$(remote_lines)" "error: refs/heads/main $bad: apps/api.yaml:6:13"
like "summary counts one commit" "$(remote_lines)" "error: push rejected: 1 problem in 1 file of 1 commit"
is "main still unmoved" "$(ref_of "$repo" refs/heads/main)" "$before"

# rewrite the three commits into good ones and push: the cache serves db.yaml's twin
git -C "$work" reset -q --hard "$before"
put_file "$work" apps/api.yaml "$(valid_deployment api)" "add api, valid"
put_file "$work" apps/db.yaml "$(valid_service db)" "add db"
ok "rewritten history accepted" push "$work" origin main
like "second push counts its commits" "$(remote_lines)" "success: refs/heads/main: 2 commits, 2 files judged"

# 4. a rename is judged from the cache (same blob, same settings)
git -C "$work" mv apps/db.yaml apps/database.yaml
git -C "$work" commit -q -m "rename db"
ok "rename accepted" push "$work" origin main
like "renamed file comes from the cache" "$(remote_lines)" \
	"success: refs/heads/main: 1 commit, 1 file judged (1 from cache), 0 problems"

# 5. deletion-only commit: nothing to judge
git -C "$work" rm -q apps/database.yaml
git -C "$work" commit -q -m "remove db"
ok "deletion of a file accepted" push "$work" origin main
like "nothing judged" "$(remote_lines)" "1 commit, 0 files judged"

# 6. a new branch is judged as a whole, even when it adds no commit
git -C "$work" checkout -q -b feature
put_file "$work" apps/feature.yaml "$(valid_service feature)" "feature"
ok "new branch accepted" push "$work" origin feature
like "first commit of a new branch judged on its whole tree" "$(remote_lines)" \
	"success: refs/heads/feature: 1 commit, 4 files judged"

# an invalid state reachable only from an ungated ref cannot become a gated branch
git -C "$work" checkout -q -b scratch main
put_file "$work" apps/broken.yaml "$(invalid_deployment broken)" "broken"
ok "ungated ref takes anything" push "$work" origin scratch:refs/scratch/one
not_ok "new gated branch from it is rejected" push "$work" origin scratch:refs/heads/from-scratch
like "named as the new branch's problem" "$(remote_lines)" "error: refs/heads/from-scratch "
is "no branch created" "$(ref_of "$repo" refs/heads/from-scratch)" "none"

# 7. deleting a gated branch is refused by default
not_ok "deletion refused" push "$work" origin :feature
is "deletion line" "$(remote_lines | head -1)" \
	"error: refs/heads/feature: deleting a gated ref is not allowed"
is "feature still there" "$(ref_of "$repo" refs/heads/feature)" "$(git -C "$work" rev-parse feature)"
write_config "$repo" "refs: {allow_delete: true}"
ok "deletion allowed when configured" push "$work" origin :feature
is "feature gone" "$(ref_of "$repo" refs/heads/feature)" "none"
write_config "$repo"

# 8. force push (non-fast-forward) is refused by default
git -C "$work" checkout -q main
main_before=$(ref_of "$repo" refs/heads/main)
git -C "$work" reset -q --hard HEAD~1
put_file "$work" apps/other.yaml "$(valid_service other)" "diverge"
not_ok "force push refused" push "$work" origin +main
like "non-fast-forward line" "$(remote_lines)" \
	"error: refs/heads/main: non-fast-forward update of a gated ref is not allowed"
is "main unmoved by force push" "$(ref_of "$repo" refs/heads/main)" "$main_before"
write_config "$repo" "refs: {allow_non_fast_forward: true}"
ok "force push allowed when configured" push "$work" origin +main
is "main moved by force push" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"
write_config "$repo"

# 9. --atomic multi-ref push: one bad ref rejects both
git -C "$work" checkout -q -b a main
put_file "$work" apps/a.yaml "$(valid_service a)" "a"
git -C "$work" checkout -q -b b main
put_file "$work" apps/b.yaml "$(invalid_deployment b)" "b"
not_ok "atomic push with one bad ref rejected" push "$work" --atomic origin a b
is "a not created" "$(ref_of "$repo" refs/heads/a)" "none"
is "b not created" "$(ref_of "$repo" refs/heads/b)" "none"
like "b named" "$(remote_lines)" "error: refs/heads/b "
not_ok "plain multi-ref push is all-or-nothing too" push "$work" origin a b
is "a still not created" "$(ref_of "$repo" refs/heads/a)" "none"

# 10. the accepted namespace belongs to the gate
not_ok "push to the accepted namespace refused" push "$work" origin a:refs/heads/gitops/accepted/main
is "accepted namespace line" "$(remote_lines | head -1)" \
	"error: refs/heads/gitops/accepted/main: refs under refs/heads/gitops/accepted/ are written by the gate only"

# 11. tags pass unless gate_tags
ok "tag of a bad commit passes by default" push "$work" origin b:refs/tags/v-bad
write_config "$repo" "refs: {gate_tags: true}"
git -C "$work" tag v-bad2 b
not_ok "with gate_tags the tag is judged" push "$work" origin v-bad2
write_config "$repo"

# 12. binary, oversized and symlinked manifests
git -C "$work" checkout -q main
git -C "$work" reset -q --hard "$(ref_of "$repo" refs/heads/main)"
printf 'kind: x\0binary' >"$work/apps/bin.yaml"
git -C "$work" add apps/bin.yaml
git -C "$work" commit -q -m binary
not_ok "binary manifest rejected" push "$work" origin main
like "binary named" "$(remote_lines)" "apps/bin.yaml: error: binary file"
git -C "$work" reset -q --hard HEAD~1
write_config "$repo" "limits: {max_blob_bytes: 100}"
put_file "$work" apps/big.yaml "$(valid_deployment big)" "big"
not_ok "oversized manifest rejected" push "$work" origin main
like "size named" "$(remote_lines)" "apps/big.yaml: error: file too large"
write_config "$repo"
git -C "$work" reset -q --hard HEAD~1
ln -s web.yaml "$work/apps/link.yaml"
git -C "$work" add apps/link.yaml
git -C "$work" commit -q -m link
not_ok "symlink at a manifest path rejected" push "$work" origin main
like "symlink gets an error" "$(remote_lines)" "error: refs/heads/main"
like "symlink error text" "$(remote_lines)" "apps/link.yaml: error: symbolic link at a manifest path: commit the file itself"
git -C "$work" reset -q --hard HEAD~1

# 13. non-manifest files and excluded paths are not judged
put_file "$work" README.md "hello" "docs"
put_file "$work" ci/pipeline.yaml "not: [a manifest" "ci"
write_config "$repo" "manifests: {exclude: [\"ci/**\"]}"
ok "excluded and non-manifest files pass" push "$work" origin main
like "nothing judged in them" "$(remote_lines)" "2 commits, 0 files judged"
# as post-receive (not installed here) records the accepted revision: the
# excluded file stays out of later judgements while it does not change
git -C "$repo" update-ref refs/heads/gitops/accepted/main main
write_config "$repo"

# 14. policy checks run in the gate too: a deny rule rejects
put_file "$work" apps/latest.yaml "$(valid_deployment latest | sed 's/nginx:1.25/nginx:latest/')" "latest tag"
not_ok "policy deny rejects" push "$work" origin main
like "the image line is named" "$(remote_lines)" "apps/latest.yaml:17:18: Deployment/latest: "
like "one problem" "$(remote_lines)" "error: push rejected: 1 problem in 1 file of 1 commit"
git -C "$work" reset -q --hard HEAD~1

# 15. the verdict cache holds only good records
ok "cache records all intact" "$GATE_BIN" hook cache-check "$repo"

done_testing
