#!/bin/sh
# kill -9 of post-receive at each step, then reconcile and notify --drain:
# nothing is lost (accepted ref, journal, note agree; every delivery arrives
# exactly once).  A push whose post-receive never ran, and one whose
# pre-receive never ran (hooks bypassed): judged again, never accepted when
# invalid.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

start_receiver r
P=$(port_of r)
R="$T_DIR/r.jsonl"

setup() {
	srv=$(make_server "$1")
	notify_config "$srv" \
		"clusters:" \
		"  - name: prod" \
		"    receivers:" \
		"      - url: http://127.0.0.1:$P/hook/$1" \
		"        format: flux-generic-hmac" \
		"        token_file: $TOKEN" \
		"notify:" \
		"  backoff_ms: 0"
	work=$(make_work "w-$1" "$srv")
}

# state SRV: accepted-ref-moved journal-lines note pending outbox
state() {
	_head=$(ref_of "$1" refs/heads/main)
	_acc=$(ref_of "$1" refs/heads/gitops/accepted/main)
	_j=0
	[ -f "$1/gitops-gate/journal" ] && _j=$(q "$1/gitops-gate/journal" 'len(L)')
	_n=no
	git -C "$1" notes --ref gitops-gate show "$_head" >/dev/null 2>&1 && _n=yes
	_p=$(find "$1/gitops-gate/pending" -name '*.json' 2>/dev/null | wc -l | tr -d ' ')
	_l=$(git -C "$1" log --first-parent --format=%s refs/gitops-gate/log 2>/dev/null | grep -c '^gitops-gate: accepted ' || :)
	echo "moved=$([ "$_head" = "$_acc" ] && echo yes || echo no) log=$_l journal=$_j note=$_n pending=$_p outbox=$(outbox_count "$1")"
}

# the steps in their order: outbox, gate log (the commit point), ref, note, journal line
for step in after-outbox after-log after-ref after-note after-journal; do
	setup "$step"
	put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "web"
	GATE_TEST_CRASH_AT=$step
	export GATE_TEST_CRASH_AT
	ok "$step: push accepted although post-receive is killed" push "$work" origin main
	unset GATE_TEST_CRASH_AT
	case $step in
	after-outbox) want="moved=no log=0 journal=0 note=no pending=0 outbox=1" ;;
	after-log) want="moved=no log=1 journal=0 note=no pending=0 outbox=1" ;;
	after-ref) want="moved=yes log=1 journal=0 note=no pending=0 outbox=1" ;;
	after-note) want="moved=yes log=1 journal=0 note=yes pending=0 outbox=1" ;;
	after-journal) want="moved=yes log=1 journal=1 note=yes pending=0 outbox=1" ;;
	esac
	is "$step: state left by the crash" "$(state "$srv")" "$want"
	ok "$step: reconcile" "$GATE_BIN" reconcile --git-dir "$srv"
	is "$step: record complete after reconcile" "$(state "$srv")" \
		"moved=yes log=1 journal=1 note=yes pending=0 outbox=1"
	is "$step: journal line is the accepted push" \
		"$(q "$srv/gitops-gate/journal" 'L[0]["event"], L[0]["target"], L[0]["moved"]')" \
		"('accepted', '$(ref_of "$srv" refs/heads/main)', True)"
	ok "$step: drain" "$GATE_BIN" notify --drain --git-dir "$srv"
	is "$step: delivered exactly once" \
		"$(q "$R" 'len([x for x in L if x["path"] == "/hook/'$step'" and x["status"] == 200])')" 1
	is "$step: outbox empty" "$(outbox_count "$srv")" 0
	ok "$step: a second reconcile has nothing to do" \
		sh -c "'$GATE_BIN' reconcile --git-dir '$srv' | grep -q 'the record is consistent'"
	put_file "$work" clusters/prod/api.yaml "$(valid_deployment api)" "api"
	ok "$step: the next push works normally" push "$work" origin main
	is "$step: next push recorded" "$(state "$srv")" "moved=yes log=2 journal=2 note=yes pending=0 outbox=0"
done

# post-receive never ran: the pre-receive verdict waits; reconcile records it
setup norun
mv "$srv/hooks/post-receive" "$T_DIR/post-receive.saved"
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "web"
ok "push without post-receive" push "$work" origin main
is "nothing recorded yet" "$(state "$srv")" "moved=no log=0 journal=0 note=no pending=0 outbox=0"
out=$("$GATE_BIN" reconcile --git-dir "$srv")
like "reconcile records the push" "$out" "reconcile: recorded-push refs/heads/main"
is "recorded by reconcile" "$(state "$srv")" "moved=yes log=1 journal=1 note=yes pending=0 outbox=1"
ok "drain" "$GATE_BIN" notify --drain --git-dir "$srv"
is "delivered once" "$(q "$R" 'len([x for x in L if x["path"] == "/hook/norun" and x["status"] == 200])')" 1
mv "$T_DIR/post-receive.saved" "$srv/hooks/post-receive"

# pre-receive bypassed on the server: post-receive judges again
setup bypassed
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "web"
ok "valid push" push "$work" origin main
good=$(ref_of "$srv" refs/heads/main)
rm "$srv/hooks/pre-receive"
put_file "$work" clusters/prod/web.yaml "$(invalid_deployment web)" "break web"
ok "invalid push gets in without pre-receive" push "$work" origin main
out=$(remote_lines)
like "post-receive notices the missing verdict" "$out" "no pre-receive verdict (were the hooks bypassed?): judging again"
like "and refuses to accept the invalid commit" "$out" "not accepted on re-judging (1 problems): the accepted ref stays"
is "accepted ref stays on the valid commit" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$good"
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "fix web"
ok "fixed push, still without pre-receive" push "$work" origin main
like "judged again and accepted" "$(remote_lines)" "success: refs/heads/main: accepted revision"
is "accepted ref advanced to the fixed commit" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" \
	"$(ref_of "$srv" refs/heads/main)"
is "journal says who judged" "$(q "$srv/gitops-gate/journal" 'L[-1]["verdict"]["judged_by"]')" "post-receive"

# an accepted ref moved back behind the gate's back is brought forward to the log's revision
git -C "$srv" update-ref refs/heads/gitops/accepted/main "$good"
out=$("$GATE_BIN" reconcile --git-dir "$srv")
like "reconcile brings it forward to the gate log's revision" "$out" "reconcile: moved-forward refs/heads/gitops/accepted/main"
is "accepted ref restored" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$(ref_of "$srv" refs/heads/main)"

done_testing
