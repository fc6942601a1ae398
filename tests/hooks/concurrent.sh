#!/bin/sh
# Eight pushers at once to eight branches of one repository: every verdict
# right, the shared verdict cache consistent (no torn or foreign records).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
seed=$(make_work seed "file://$repo")
put_file "$seed" base/svc.yaml "$(valid_service base)" "base"
ok "seed push" push "$seed" origin main

# Branches 1..8 share most files (the same blobs: the same cache records are
# written by several pushers at once); odd branches carry one invalid file.
i=1
while [ $i -le 8 ]; do
	w=$(make_work "w$i" "file://$repo")
	git -C "$w" checkout -q -b "b$i"
	mkdir -p "$w/apps"
	j=0
	while [ $j -lt 12 ]; do
		printf '%s\n' "$(valid_deployment "shared$j")" >"$w/apps/shared$j.yaml"
		j=$((j + 1))
	done
	printf '%s\n' "$(valid_service "own$i")" >"$w/apps/own$i.yaml"
	if [ $((i % 2)) -eq 1 ]; then
		printf '%s\n' "$(invalid_deployment "bad$i")" >"$w/apps/bad.yaml"
	fi
	git -C "$w" add apps
	git -C "$w" commit -q -m "branch $i"
	i=$((i + 1))
done

i=1
while [ $i -le 8 ]; do
	(
		if git -C "$T_DIR/w$i" push origin "b$i" >"$T_DIR/push$i.out" 2>&1; then
			echo 0 >"$T_DIR/push$i.rc"
		else
			echo 1 >"$T_DIR/push$i.rc"
		fi
	) &
	i=$((i + 1))
done
wait

i=1
while [ $i -le 8 ]; do
	rc=$(cat "$T_DIR/push$i.rc")
	if [ $((i % 2)) -eq 1 ]; then
		is "pusher $i (invalid) rejected" "$rc" "1"
		is "b$i not created" "$(ref_of "$repo" "refs/heads/b$i")" "none"
		like "pusher $i told why" "$(cat "$T_DIR/push$i.out")" \
			"remote: error: refs/heads/b$i $(git -C "$T_DIR/w$i" rev-parse --short=7 HEAD): apps/bad.yaml:6:13: Deployment/bad$i: /spec/replicas"
	else
		is "pusher $i (valid) accepted" "$rc" "0"
		is "b$i points at its commit" "$(ref_of "$repo" "refs/heads/b$i")" \
			"$(git -C "$T_DIR/w$i" rev-parse HEAD)"
		like "pusher $i judged 14 files" "$(cat "$T_DIR/push$i.out")" \
			"remote: success: refs/heads/b$i: 1 commit, 14 files judged"
	fi
	i=$((i + 1))
done

out=$("$GATE_BIN" hook cache-check "$repo")
ok "cache-check finds no bad record" "$GATE_BIN" hook cache-check "$repo"
like "no temporary files left" "$out" ", 0 bad, 0 temporary"

# once warm, every shared verdict comes from the cache
w=$T_DIR/w2
git -C "$w" checkout -q -b again
git -C "$w" commit -q --allow-empty -m "again"
printf '%s\n' "$(valid_service extra)" >"$w/apps/extra.yaml"
git -C "$w" add apps
git -C "$w" commit -q -m "extra"
ok "warm push accepted" push "$w" origin again
like "new branch: 15 files, 14 of them from the cache" "$(remote_lines)" \
	"success: refs/heads/again: 2 commits, 15 files judged (14 from cache), 0 problems"

done_testing
