#!/bin/sh
# cases.sh: `gitops-gate render` of the small kustomizations under
# tests/render/cases/, one folder per case: tree/ (the files), DIR (the
# folder to build, from tree/), and either expected.yaml (plus
# expected-reorder-none.yaml when --reorder none differs) or expected-error
# (the first line render prints, exit status 1).
#
# Every expected.yaml and expected-reorder-none.yaml was produced on the
# development machine by `kubectl kustomize --load-restrictor=LoadRestrictionsNone
# [--reorder=none] DIR` (kubectl v1.32.4, kustomize v5.5.0) and committed: this
# test never runs kubectl.  The expected-error files are gitops-gate's own
# messages, kustomize's wording at the source line (kubectl fails these builds
# too).
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
cases="$GATE_SRCDIR/tests/render/cases"
[ -d "$cases" ] || bail "no cases in $cases"

for c in "$cases"/*/; do
	c=${c%/}
	name=${c##*/}
	dir=$(cat "$c/DIR")
	(cd "$c/tree" && "$GATE_BIN" render "$dir") >"$T_DIR/out" 2>"$T_DIR/err" && rc=0 || rc=$?
	if [ -f "$c/expected-error" ]; then
		is "$name: the build fails" "$rc" 1
		is "$name: with kustomize's error at its source" "$(head -n 1 "$T_DIR/err")" \
			"$(cat "$c/expected-error")"
		continue
	fi
	is "$name: render exits 0, nothing on stderr" "$rc:$(cat "$T_DIR/err")" "0:"
	ok "$name: the bytes kubectl kustomize printed" cmp "$c/expected.yaml" "$T_DIR/out"
	want="$c/expected-reorder-none.yaml"
	[ -f "$want" ] || want="$c/expected.yaml"
	(cd "$c/tree" && "$GATE_BIN" render --reorder none "$dir") >"$T_DIR/none" 2>&1 || true
	ok "$name: --reorder none prints kustomize's input order" cmp "$want" "$T_DIR/none"
done
done_testing
