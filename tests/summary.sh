#!/bin/sh
# summary.sh BUILDDIR: count the TAP results Automake's driver recorded and
# print the closing line "N passed, N failed, N skipped".
dir=${1:-.}
p=0 f=0 s=0
for t in $(find "$dir" -name '*.trs' 2>/dev/null); do
	p=$((p + $(grep -c '^:test-result: PASS' "$t")))
	s=$((s + $(grep -c '^:test-result: SKIP' "$t")))
	f=$((f + $(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$t")))
done
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
