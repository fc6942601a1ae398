#!/bin/sh
# summary.sh BUILDDIR [TRS...]: count the TAP results Automake's driver
# recorded for the given .trs files (every .trs under BUILDDIR when none is
# given) and print the closing line "N passed, N failed, N skipped".  Exits
# non-zero when a result failed or a test of the list left no .trs at all.
dir=${1:-.}
[ $# -gt 0 ] && shift
p=0 f=0 s=0 missing=0
if [ $# -eq 0 ]; then
	set -- $(find "$dir" -name '*.trs' 2>/dev/null)
fi
for t in "$@"; do
	case $t in /*) ;; *) t=$dir/$t ;; esac
	if [ ! -f "$t" ]; then
		echo "no result: ${t%.trs}" >&2
		missing=$((missing + 1))
		continue
	fi
	p=$((p + $(grep -c '^:test-result: PASS' "$t")))
	s=$((s + $(grep -c '^:test-result: SKIP' "$t")))
	f=$((f + $(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$t")))
done
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ] && [ "$missing" -eq 0 ]
