#!/bin/sh
# The fault scenarios that pass today and take a few seconds (issue 13):
# guards against regressions.  The others run in `make faults`
# (tests/faults/run.sh; their state today is in tests/faults/FINDINGS.md).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"
. "$GATE_SRCDIR/tests/faults/lib-faults.sh"

fx_setup
for sc in baseline; do
	set +e
	case $sc in
	baseline) sc_baseline ;;
	esac
	set -e
done
while IFS= read -r line; do
	case $line in
	PASS*) ok "${line#PASS }" true ;;
	*) ok "${line#FAIL }" false ;;
	esac
done <"$FX_RESULTS"
done_testing
