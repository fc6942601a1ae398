#!/bin/sh
# The gate log ref refs/gitops-gate/log, driven by real pushes: one commit per
# event with the accepted revision as second parent, entry/state/index in its
# tree; pushes to it refused; rollback to the oldest accepted revision through
# its index; reconcile idempotent; notes with fan-out; the number of objects
# the gate writes per push does not grow with history; a repository recorded
# before the log existed (journal only) is seeded once.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

LOG=refs/gitops-gate/log
srv=$(make_server log)
work=$(make_work w "$srv")

# gate_objects SRV OLDLOG OLDNOTES NEWREV: objects the gate wrote for one push
gate_objects() {
	git -C "$1" rev-list --objects $LOG refs/notes/gitops-gate --not "$2" "$3" "$4" | wc -l | tr -d ' '
}

put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "web 0"
ok "first push accepted" push "$work" origin main
first=$(ref_of "$srv" refs/heads/main)
is "log: seed then the push" "$(git -C "$srv" log --first-parent --format=%s $LOG | sed 's/ [0-9a-f]\{12\} / X /')" \
"gitops-gate: accepted refs/heads/gitops/accepted/main X (seq 2)
gitops-gate: seed - - (seq 1)"
is "log commit's second parent is the accepted revision" "$(git -C "$srv" rev-parse $LOG^2)" "$first"
is "entry.json: event, ref, target, moved, seq" \
	"$(git -C "$srv" show $LOG:entry.json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["event"], e["ref"], e["target"], e["moved"], e["seq"], e["pusher"] is not None, e["intent"] is not None)')" \
	"accepted refs/heads/main $first True 2 True True"
is "state.json: the accepted ref's target" \
	"$(git -C "$srv" show $LOG:state.json | python3 -c 'import json,sys; s=json.load(sys.stdin)["refs"]["refs/heads/gitops/accepted/main"]; print(s["target"], s["newest"], s["event"])')" \
	"$first $first accepted"
idx=$(printf '%s' "$first" | sed 's|^\(..\)\(..\)\(.*\)|accepted/\1/\2/\3|')
ok "index: the accepted revision at accepted/ab/cd/<36>" git -C "$srv" cat-file -e "$LOG:$idx"
is "journal line carries the log's seq" "$(q "$srv/gitops-gate/journal" 'L[0]["seq"], L[0]["event"]')" "(2, 'accepted')"
note_path=$(git -C "$srv" ls-tree -r --name-only refs/notes/gitops-gate)
is "note written with fan-out ab/cd/<36>" "$note_path" "$(printf '%s' "$first" | sed 's|^\(..\)\(..\)\(.*\)|\1/\2/\3|')"
like "git reads the fanned-out note" "$(git -C "$srv" notes --ref gitops-gate show "$first")" '"gitops-gate": "accepted"'

# pushes to the gate's log are refused like pushes to the accepted prefix
git -C "$work" update-ref refs/gitops-gate/log HEAD
not_ok "a push to the gate log is refused" push "$work" origin +refs/gitops-gate/log:refs/gitops-gate/log
like "refusal says why" "$(remote_lines)" "the gate's log (refs/gitops-gate/): written by the gate only"
not_ok "a push to another ref under refs/gitops-gate/ too" push "$work" origin HEAD:refs/gitops-gate/other

# objects per push: the same after 3 and after 20 pushes
counts=
i=1
while [ $i -le 20 ]; do
	ol=$(ref_of "$srv" $LOG)
	on=$(ref_of "$srv" refs/notes/gitops-gate)
	put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)
# $i" "web $i"
	push "$work" origin main || echo "# push $i failed"
	if [ $i -eq 3 ] || [ $i -eq 20 ]; then
		counts="$counts $(gate_objects "$srv" "$ol" "$on" "$(ref_of "$srv" refs/heads/main)")"
	fi
	i=$((i + 1))
done
is "gate objects per push: 8 log + 5 note, at push 3 and at push 20" "$counts" " 13 13"
is "21 accepted entries in the log" "$(git -C "$srv" log --first-parent --format=%s $LOG | grep -c '^gitops-gate: accepted ')" 21
is "21 journal lines" "$(q "$srv/gitops-gate/journal" 'len(L)')" 21

# rollback to the oldest accepted revision: one index lookup
ok "rollback to the first accepted revision" "$GATE_BIN" rollback --git-dir "$srv" main "$first"
is "accepted ref rolled back" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$first"
is "log: rollback entry" "$(git -C "$srv" show $LOG:entry.json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["event"], e["moved"], e["force"])')" "rollback True True"
not_ok "rollback to a commit never accepted is refused" "$GATE_BIN" rollback --git-dir "$srv" main "$(git -C "$srv" rev-parse "$first"^{tree})"
like "status reads the log" "$("$GATE_BIN" status --json --git-dir "$srv")" '"source": "refs/gitops-gate/log"'
ok "rollforward" "$GATE_BIN" rollforward --git-dir "$srv" main
is "accepted ref back at the newest" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$(ref_of "$srv" refs/heads/main)"

# reconcile: nothing to do, twice, nothing written
snap() { git -C "$srv" for-each-ref --format='%(refname) %(objectname)'; sha256sum <"$srv/gitops-gate/journal"; }
before=$(snap)
like "reconcile: consistent" "$("$GATE_BIN" reconcile --git-dir "$srv")" "the record is consistent"
"$GATE_BIN" reconcile --git-dir "$srv" >/dev/null
is "reconcile twice changed nothing" "$(snap)" "$before"

# the log is the truth: an accepted ref left behind it moves forward; never backwards
git -C "$srv" update-ref refs/heads/gitops/accepted/main "$first"
like "reconcile moves it forward" "$("$GATE_BIN" reconcile --git-dir "$srv")" "moved-forward refs/heads/gitops/accepted/main"
is "at the log's target" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$(ref_of "$srv" refs/heads/main)"
# a journal lost: reconcile writes it again from the log
mv "$srv/gitops-gate/journal" "$T_DIR/journal.saved"
ok "reconcile with the journal gone" "$GATE_BIN" reconcile --git-dir "$srv"
is "journal written again from the log, line for line" "$(grep -v '"seed"' "$srv/gitops-gate/journal" | sha256sum)" \
	"$(sha256sum <"$T_DIR/journal.saved")"

# migration: a repository recorded by an earlier version (journal, no log)
old=$(make_server old)
owork=$(make_work ow "$old")
put_file "$owork" clusters/prod/web.yaml "$(valid_deployment web)" "old 1"
push "$owork" origin main || echo "# old push 1 failed"
o1=$(ref_of "$old" refs/heads/main)
put_file "$owork" clusters/prod/api.yaml "$(valid_deployment api)" "old 2"
push "$owork" origin main || echo "# old push 2 failed"
o2=$(ref_of "$old" refs/heads/main)
# make it look like an earlier version: no log ref, journal lines without seq
git -C "$old" update-ref -d $LOG
python3 - "$old/gitops-gate/journal" <<'EOF'
import json, sys
p = sys.argv[1]
L = [json.loads(l) for l in open(p) if l.strip()]
with open(p, "w") as f:
    for e in L:
        e.pop("seq", None)
        f.write(json.dumps(e) + "\n")
EOF
like "status falls back to the journal" "$("$GATE_BIN" status --json --git-dir "$old")" '"source": "journal"'
like "status: desired revision from the journal" "$("$GATE_BIN" status --git-dir "$old")" "desired revision: $o2"
ok "rollback finds an accepted revision in the journal" "$GATE_BIN" rollback --git-dir "$old" main "$o1"
is "the first write seeded the log once" "$(git -C "$old" log --first-parent --format=%s $LOG | grep -c ': seed ')" 1
is "seed entry counts the journal's lines" "$(git -C "$old" show $LOG~1:entry.json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["event"], e["journal_lines"], e["revisions"])')" "seed 2 2"
ok "seeded index knows the second accepted revision" git -C "$old" cat-file -e "$LOG:$(printf '%s' "$o2" | sed 's|^\(..\)\(..\)\(.*\)|accepted/\1/\2/\3|')"
ok "rollforward from the seeded state" "$GATE_BIN" rollforward --git-dir "$old" main
is "back at the newest" "$(ref_of "$old" refs/heads/gitops/accepted/main)" "$o2"
is "journal: old lines kept, the seed, then the log's" "$(q "$old/gitops-gate/journal" '[e.get("seq") for e in L]')" "[None, None, 1, 2, 3]"
put_file "$owork" clusters/prod/db.yaml "$(valid_deployment db)" "old 3"
ok "a push after migration" push "$owork" origin main
before=$(git -C "$old" for-each-ref --format='%(refname) %(objectname)')
"$GATE_BIN" reconcile --git-dir "$old" >/dev/null
is "reconcile after migration changes nothing" "$(git -C "$old" for-each-ref --format='%(refname) %(objectname)')" "$before"

# lines without seq appended after the log's (another tool, an older gate on
# another server): the cursor is found behind them, nothing is written twice
python3 - "$old/gitops-gate/journal" <<'EOF'
import json, sys
line = json.dumps({"event": "accepted", "ref": "refs/heads/other", "pad": "x" * 400}) + "\n"
with open(sys.argv[1], "a") as f:
    f.write(line * 3000)
EOF
"$GATE_BIN" reconcile --git-dir "$old" >/dev/null
put_file "$owork" clusters/prod/db.yaml "$(valid_deployment db)
# 4" "old 4"
ok "a push after 1.3 MB of foreign lines" push "$owork" origin main
is "each seq once in the journal" "$(q "$old/gitops-gate/journal" '[e["seq"] for e in L if "seq" in e]')" "[1, 2, 3, 4, 5]"

done_testing
