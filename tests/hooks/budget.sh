#!/bin/sh
# The time budget (limits.time_budget_ms): past it the push is refused, the
# verdicts made before are kept, and each push again goes further until one
# passes, with the verdicts an unbudgeted push gives.  The budget is met at
# a count (GATE_TEST_STOP_AFTER_FILES=N: judging stops as out of time once N
# files were started, through the same path as the clock), so nothing here
# depends on the machine's speed.  The large case goes through the verdict
# pack the detached writer makes (256 records or more).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

# services WORK N: N valid Services apps/sNNN.yaml, committed
services() {
	_i=0
	mkdir -p "$1/apps"
	while [ $_i -lt "$2" ]; do
		valid_service "s$_i" >"$1/apps/s$_i.yaml"
		_i=$((_i + 1))
	done
	git -C "$1" add apps
	git -C "$1" commit -q -m "$2 services"
}

# wait_pack REPO: until a verdict pack is written (by the detached writer), at most 30 s
wait_pack() {
	_n=0
	while [ -z "$(ls "$1/gitops-gate/cache/packs" 2>/dev/null)" ] && [ $_n -lt 600 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}

# small: 12 files, one of them invalid, 5 files per push
repo=$(make_bare server)
work=$(make_work w "file://$repo")
services "$work" 11
put_file "$work" apps/bad.yaml "$(invalid_deployment bad)" "a bad one"
ref=$(make_bare reference)
git -C "$work" remote add reference "file://$ref"
not_ok "without a budget the push is refused for its problem" push "$work" reference main
want=$(remote_lines)

export GATE_TEST_STOP_AFTER_FILES=5
not_ok "1st push: out of budget" push "$work" origin main
like "after 5 of 12 files" "$(remote_lines)" "error: gitops-gate ran out of its time budget (4000 ms) after judging 5 of 12 files"
is "main not created" "$(ref_of "$repo" refs/heads/main)" "none"
not_ok "2nd push: out of budget again" push "$work" origin main
like "it went further: 10 of 12 files (5 kept)" "$(remote_lines)" "after judging 10 of 12 files"
not_ok "3rd push: judged whole, refused for its problem" push "$work" origin main
is "the same lines as without a budget" "$(remote_lines)" "$want"
valid_deployment bad >"$work/apps/bad.yaml"
git -C "$work" commit -q --amend -am "a good one"
ok "the fixed push passes within the budget" push "$work" origin main
like "12 files of which 11 from cache" "$(remote_lines)" "success: refs/heads/main: 2 commits, 12 files judged (11 from cache), 0 problems"
unset GATE_TEST_STOP_AFTER_FILES

# large: 300 files, 270 judged by the first push (a verdict pack), 30 by the second
repo=$(make_bare big)
work=$(make_work wb "file://$repo")
services "$work" 300
GATE_TEST_STOP_AFTER_FILES=270
export GATE_TEST_STOP_AFTER_FILES
not_ok "300 files: out of budget" push "$work" origin main
like "after 270 of 300 files" "$(remote_lines)" "after judging 270 of 300 files"
wait_pack "$repo"
is "the 270 verdicts are written as one pack" "$(ls "$repo/gitops-gate/cache/packs" | grep -c '\.pack$')" 1
is "and not as record files" "$(find "$repo/gitops-gate/cache" -path '*/packs' -prune -o -type f -name '??????????????????????????????*' -print | grep -vc facts-index)" 0
ok "the 2nd push passes" push "$work" origin main
like "with 270 verdicts from the pack" "$(remote_lines)" "success: refs/heads/main: 1 commit, 300 files judged (270 from cache), 0 problems"
unset GATE_TEST_STOP_AFTER_FILES
# the 2nd push's records (and index entries) may be written after its answer too
_n=0
while [ "$("$GATE_BIN" hook cache-check "$repo")" != "verdict cache: 300 good, 0 bad, 0 temporary" ] && [ $_n -lt 600 ]; do
	sleep 0.05
	_n=$((_n + 1))
done
is "cache-check: 300 good records" "$("$GATE_BIN" hook cache-check "$repo")" "verdict cache: 300 good, 0 bad, 0 temporary"

done_testing
