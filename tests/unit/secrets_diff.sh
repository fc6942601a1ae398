#!/bin/sh
# secrets_diff.sh: the secret scan's fast passes against the plain ones
# (tests/unit/secrets_diff_test.c) on random inputs and on every file we
# have: both real-world corpora, the kustomize goldens, a copy of the
# benchmark fleet (../shared/scripts/make-fleet) and this repository's tests.
. "$GATE_SRCDIR/tests/lib.sh"

bin="$GATE_BUILDDIR/tests/unit/secrets_diff_test"
[ -x "$bin" ] || bail "no $bin"
data=$(gate_data)
gate_diff_inputs

"$bin" "corpus=$data/manifests-corpus" "corpus-2=$data/manifests-corpus-2" "goldens=$T_DIR/goldens" \
	"fleet=$T_DIR/fleet" "tests=$gate_own" >"$T_DIR/out" 2>&1 || true
gate_fold_tap "$T_DIR/out"
is "eight checks made" "$(grep -c '^ok\|^not ok' "$T_DIR/out")" 8
done_testing
