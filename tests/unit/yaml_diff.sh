#!/bin/sh
# yaml_diff.sh: the native YAML scanner (validate/yaml_scan.c) against
# libyaml on every YAML and JSON file we have: both real-world corpora, the
# kustomize goldens, two copies of the benchmark fleet
# (../shared/scripts/make-fleet) and this repository's tests.  Every
# document is parsed by both and the full dumps compared (tests/unit/
# doc_compare.h); any difference fails.  The share taken by the native
# scanner is printed, and must stay above 90% on the corpora and the fleet
# (the speed of `gitops-gate validate` depends on it, see README).
. "$GATE_SRCDIR/tests/lib.sh"

diff_bin="$GATE_BUILDDIR/tests/unit/yaml_diff"
[ -x "$diff_bin" ] || bail "no $diff_bin"
data=$(gate_data)
gate_diff_inputs

# yaml_diff prints TAP; fold its lines into ours
"$diff_bin" -min-native 90 "corpus=$data/manifests-corpus" "corpus-2=$data/manifests-corpus-2" \
	"fleet=$T_DIR/fleet" >"$T_DIR/out" 2>&1 || true
"$diff_bin" "goldens=$T_DIR/goldens" "tests=$gate_own" >>"$T_DIR/out" 2>&1 || true
gate_fold_tap "$T_DIR/out"
is "five sets compared" "$(grep -c '^ok\|^not ok' "$T_DIR/out")" 5
done_testing
