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
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}"
mkdir -p "$T_DIR/goldens"
tar xJf "$shared/data/kustomize-goldens.tar.xz" -C "$T_DIR/goldens" || bail "could not unpack the kustomize goldens"
sh "$shared/scripts/make-fleet" 2 "$T_DIR/fleet" >/dev/null || bail "make-fleet failed"

# yaml_diff prints TAP; fold its lines into ours
"$diff_bin" -min-native 90 "corpus=$data/manifests-corpus" "corpus-2=$data/manifests-corpus-2" \
	"fleet=$T_DIR/fleet" >"$T_DIR/out" 2>&1 || true
# the repository's own test inputs (not tests/data: the unpacked shared data)
own=
for d in "$GATE_SRCDIR"/tests/*/; do
	case $d in */tests/data/) continue ;; esac
	own="$own${own:+,}${d%/}"
done
"$diff_bin" "goldens=$T_DIR/goldens" "tests=$own" >>"$T_DIR/out" 2>&1 || true
while IFS= read -r l; do
	case $l in
	"ok "*) ok "${l#ok [0-9]* - }" true ;;
	"not ok "*) ok "${l#not ok [0-9]* - }" false ;;
	"#"*) echo "$l" ;;
	esac
done <"$T_DIR/out"
is "five sets compared" "$(grep -c '^ok\|^not ok' "$T_DIR/out")" 5
done_testing
