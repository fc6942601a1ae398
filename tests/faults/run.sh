#!/bin/sh
# tests/faults/run.sh [SCENARIO...]: the fault-injection suite of issue 13
# (`make faults`, `make faults FAULTS="kill stale-ref-lock"`).  Not part of
# make check: a full run takes minutes.
#
# Scenarios: baseline; kill, enospc, eio, erofs (the fault at every file
# operation of post-receive in turn, N from the counting mode; reconcile runs
# before the next push), kill-push-first (the next push before reconcile),
# disk-full (ENOSPC at every call from N on, the disk freed before recovery);
# stale-ref-lock, stale-notes-lock, journal-flock; pause-before-ref,
# pause-after-ref, pause-first-step (reconcile run while post-receive is paused
# there), reconcile-race (reconcile's ref pass between post-receive's ref move
# and its journal line); gc-notes (gc --prune=now while post-receive is paused inside the note
# write), gc-loop; clock-ahead-queue, clock-ahead-prune, clock-behind
# (libfaketime); concurrent (16 pushers, reconcile and drain loops);
# big-answer, corrupt-outbox, long-journal; config-url-fixed (-kill: with
# post-receive killed at its journal write), config-receiver-removed (the
# receiver's config changed while a delivery was queued).
#
# Prints one line per case (PASS/FAIL, which invariant, what was left; SKIP
# when git itself lost a pushed commit, which gc-loop can cause), one per
# scenario, and "N passed, N failed" (scenarios).  Exit 1 while any fails.
# FAULTS_MAX_N caps the steps of a sweep (development); FAULTS_OUT names a
# copy of the case lines (default tests/faults/results.txt in the build tree).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"
. "$GATE_SRCDIR/tests/faults/lib-faults.sh"
set +e

ALL="baseline kill kill-push-first enospc eio erofs disk-full stale-ref-lock stale-notes-lock journal-flock
pause-before-ref pause-after-ref pause-first-step reconcile-race gc-notes gc-loop
clock-ahead-queue clock-ahead-prune clock-behind concurrent big-answer
corrupt-outbox long-journal config-url-fixed config-url-fixed-kill config-receiver-removed"
want=${*:-$ALL}
FAULTS_OUT=${FAULTS_OUT:-$GATE_BUILDDIR/tests/faults/results.txt}

fx_setup
fx_count
echo "# post-receive makes $FX_TOTAL state-changing file operations on a normal push:"
grep -v ' total ' "$T_DIR/count.trace" | awk '{ $1 = ""; print "#  " $0 }' | sed "s|$T_DIR/c/count/srv.git/||g"
grep ' total ' "$T_DIR/count.trace" | sed 's/^[0-9]* /# /'

passed=0
failed=0
skipped=0
for sc in $want; do
	before=$(wc -l <"$FX_RESULTS")
	case $sc in
	baseline) sc_baseline ;;
	kill) sc_sweep kill ;;
	kill-push-first) sc_sweep kill push-first ;;
	enospc) sc_sweep ENOSPC ;;
	eio) sc_sweep EIO ;;
	erofs) sc_sweep EROFS ;;
	disk-full)
		FX_TIMES=0
		sc_sweep ENOSPC disk-full
		FX_TIMES=
		;;
	stale-ref-lock) sc_stale_lock ref refs/heads/gitops/accepted/main ;;
	stale-notes-lock) sc_stale_lock notes refs/notes/gitops-gate ;;
	journal-flock) sc_journal_flock ;;
	pause-before-ref) sc_pause pause-before-ref any "$T_DIR/c/pause-before-ref/srv.git/refs/heads/gitops/accepted/main.lock" fx_reconcile ;;
	pause-after-ref) sc_pause pause-after-ref open "$T_DIR/c/pause-after-ref/srv.git/gitops-gate/journal" fx_reconcile ;;
	pause-first-step) sc_pause pause-first-step any "$T_DIR/c/pause-first-step/srv.git/*" fx_reconcile ;;
	reconcile-race) sc_reconcile_race ;;
	gc-notes) sc_pause gc-notes any "$T_DIR/c/gc-notes/srv.git/refs/notes/gitops-gate.lock" fx_gc ;;
	gc-loop) sc_gc_loop ;;
	clock-ahead-queue) sc_clock_ahead_queue ;;
	clock-ahead-prune) sc_clock_ahead_prune ;;
	clock-behind) sc_clock_behind ;;
	concurrent) sc_concurrent ;;
	big-answer) sc_big_answer ;;
	corrupt-outbox) sc_corrupt_outbox ;;
	long-journal) sc_long_journal ;;
	config-url-fixed) sc_config_url_fixed ;;
	config-url-fixed-kill) sc_config_url_fixed kill ;;
	config-receiver-removed) sc_config_receiver_removed ;;
	*) echo "unknown scenario $sc" >>"$FX_RESULTS" ;;
	esac
	tail -n +"$((before + 1))" "$FX_RESULTS" | sed "s|$T_DIR/c/[^/]*/srv.git/||g"
	cases=$(tail -n +"$((before + 1))" "$FX_RESULTS" | wc -l)
	bad=$(tail -n +"$((before + 1))" "$FX_RESULTS" | grep -vc '^PASS\|^SKIP')
	skip=$(tail -n +"$((before + 1))" "$FX_RESULTS" | grep -c '^SKIP')
	if [ "$cases" -gt 0 ] && [ "$skip" -eq "$cases" ]; then
		echo "== SKIP $sc (git itself lost a pushed commit: see the line above)"
		skipped=$((skipped + 1))
	elif [ "$cases" -gt 0 ] && [ "$bad" -eq 0 ]; then
		echo "== PASS $sc ($cases cases)"
		passed=$((passed + 1))
	else
		echo "== FAIL $sc ($bad of $cases cases failed)"
		failed=$((failed + 1))
	fi
done
mkdir -p "$(dirname "$FAULTS_OUT")"
sed "s|$T_DIR/c/[^/]*/srv.git/||g" "$FX_RESULTS" >"$FAULTS_OUT"
[ "$skipped" -eq 0 ] || echo "# $skipped scenario(s) skipped: git lost a pushed commit (gc --prune=now racing receive-pack)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
