#!/bin/sh
# Concurrent pushes: 8 pushers to 8 branches at once (journal lines whole,
# notes all written, every delivery once), and two post-receives of the same
# branch finishing out of order (the accepted ref never goes backwards).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

start_receiver r
P=$(port_of r)
R="$T_DIR/r.jsonl"
srv=$(make_server srv)
notify_config "$srv" \
	"clusters:" \
	"  - name: all" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$P/hook/github-all" \
	"        format: github" \
	"        token_file: $TOKEN" \
	"notify:" \
	"  repository:" \
	"    html_url: https://git.example/org/fleet"
seed=$(make_work seed "$srv")
put_file "$seed" base/ns.yaml "$(valid_service base)" "base"
ok "seed push" push "$seed" origin main

# every clone is made before any push starts: a local clone copies the
# server's object files and can fail while a concurrent push writes them
for i in 1 2 3 4 5 6 7 8; do
	w=$(make_work "w$i" "$srv")
	[ -d "$w/.git" ] || bail "could not clone $srv into $w"
	git -C "$w" checkout -q -b "b$i"
	put_file "$w" "apps/app$i.yaml" "$(valid_deployment "app$i")" "app$i"
done
pids=
for i in 1 2 3 4 5 6 7 8; do
	git -C "$T_DIR/w$i" push origin "b$i" >"$T_DIR/push$i.out" 2>&1 &
	pids="$pids $!"
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
is "8 concurrent pushes accepted" "$fails" 0
J=$(journal_of "$srv")
is "9 whole journal lines" "$(q "$J" 'len(L)')" 9
agree=0
for i in 1 2 3 4 5 6 7 8; do
	h=$(ref_of "$srv" "refs/heads/b$i")
	[ "$h" = "$(ref_of "$srv" "refs/heads/gitops/accepted/b$i")" ] &&
		git -C "$srv" notes --ref gitops-gate show "$h" >/dev/null 2>&1 &&
		[ "$(q "$J" 'len([x for x in L if x["target"] == "'"$h"'" and x["moved"]])')" = 1 ] &&
		agree=$((agree + 1))
done
is "accepted ref, note and journal agree for every branch" "$agree" 8
is "9 deliveries, each once, all verified" \
	"$(q "$R" '(len(L), len(set(x["delivery"] for x in L)), sorted(set(x["status"] for x in L)))')" \
	"(9, 9, [200])"
is "no intent left, outbox empty" \
	"$(find "$srv/gitops-gate/pending" -name '*.json' | wc -l | tr -d ' '),$(outbox_count "$srv")" "0,0"

# two pushes to main whose post-receives finish in reverse order
mv "$srv/hooks/post-receive" "$T_DIR/post-receive.saved"
a0=$(ref_of "$srv" refs/heads/main)
put_file "$seed" apps/x.yaml "$(valid_deployment appx)" "x"
ok "push A" push "$seed" origin main
a1=$(ref_of "$srv" refs/heads/main)
put_file "$seed" apps/y.yaml "$(valid_deployment appy)" "y"
ok "push B" push "$seed" origin main
a2=$(ref_of "$srv" refs/heads/main)
ok "post-receive of B first" sh -c "echo '$a1 $a2 refs/heads/main' | GIT_DIR='$srv' '$T_DIR/post-receive.saved'"
is "accepted ref at B" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$a2"
out=$(echo "$a0 $a1 refs/heads/main" | GIT_DIR="$srv" "$T_DIR/post-receive.saved" 2>&1)
like "post-receive of A second: superseded" "$out" "a newer accepted commit is already recorded"
is "accepted ref still at B" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$a2"
is "journal: A recorded as not moved, superseded" \
	"$(q "$J" '[(x["moved"], x.get("reason")) for x in L if x["target"] == "'"$a1"'"]')" "[(False, 'superseded')]"
ok "reconcile agrees" sh -c "'$GATE_BIN' reconcile --git-dir '$srv' | grep -q 'the record is consistent'"
ok "rollforward stays at B" sh -c "'$GATE_BIN' rollforward --git-dir '$srv' main | grep -q 'already at'"
done_testing
