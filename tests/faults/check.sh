#!/bin/sh
# The fault scenarios of issue 13 that pass today and take seconds, as a guard
# against regressions: a clean run, and kill -9 of post-receive at points named
# by what they hit (before the outbox file exists, inside the journal append,
# inside the note's object writes, at the gate log ref's lock and its
# rename), and the
# findings fixed since (issue 13): stale ref, notes and gate log locks, a
# kill between the outbox file and the log entry, reconcile running while post-receive is
# paused before or after the ref move, reconcile's ref pass racing it, gc
# --prune=now while the note's objects are not yet referenced, rollback past
# 64 MiB of journal, the journal's flock held by another process; a
# receiver's URL fixed, or the receiver replaced, in the config while a
# delivery to it was queued.  Each case
# pushes for real, recovers with reconcile and notify --drain, and runs
# tests/faults/check-invariants.  The failing scenarios run in `make faults`
# (tests/faults/run.sh); their state today is tests/faults/FINDINGS.md.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"
. "$GATE_SRCDIR/tests/faults/lib-faults.sh"

fx_setup
set +e
sc_baseline
sc_point kill-outbox-open kill open 'gitops-gate/outbox/*.tmp.*'
sc_point kill-journal-write kill write gitops-gate/journal
sc_point kill-note-object kill link 'objects/*'
sc_point kill-log-rename kill rename 'refs/gitops-gate/log.lock'
sc_point kill-outbox-rename kill rename 'gitops-gate/outbox/*.tmp.*'
sc_point kill-log-lock kill open 'refs/gitops-gate/log.lock'
sc_stale_lock ref refs/heads/gitops/accepted/main
sc_stale_lock notes refs/notes/gitops-gate
sc_stale_lock log refs/gitops-gate/log
sc_pause pause-before-ref any "$T_DIR/c/pause-before-ref/srv.git/refs/heads/gitops/accepted/main.lock" fx_reconcile
sc_pause pause-after-ref open "$T_DIR/c/pause-after-ref/srv.git/gitops-gate/journal" fx_reconcile
sc_reconcile_race
sc_pause gc-notes any "$T_DIR/c/gc-notes/srv.git/refs/notes/gitops-gate.lock" fx_gc
sc_long_journal
sc_journal_flock
sc_config_url_fixed
sc_config_receiver_removed
set -e
# one TAP line per case, named by the case; the checker's verdict as diagnostics
while IFS= read -r line; do
	name=${line#* }
	name=${name%%[ :]*}
	case $line in
	PASS*) ok "$name" true ;;
	*) ok "$name" sh -c 'printf "%s\n" "$1"; cat "$2"' - "$line" "$T_DIR/c/$name/check.out" ;;
	esac
done <"$FX_RESULTS"
is "every scenario ran" "$(wc -l <"$FX_RESULTS" | tr -d ' ')" 18
done_testing
