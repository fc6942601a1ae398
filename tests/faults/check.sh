#!/bin/sh
# The fault scenarios of issue 13 that pass today and take seconds, as a guard
# against regressions: a clean run, and kill -9 of post-receive at points named
# by what they hit (before the outbox file exists, inside the journal append,
# inside the note's object writes, at the removal of the intent).  Each case
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
sc_point kill-intent-unlink kill unlink 'gitops-gate/pending/*'
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
is "every scenario ran" "$(wc -l <"$FX_RESULTS" | tr -d ' ')" 5
done_testing
