#!/bin/sh
# secrets_diff.sh: the secret scan's fast passes against the plain ones
# (tests/unit/secrets_diff_test.c) on random inputs and on every file we
# have: both real-world corpora, the kustomize goldens, a copy of the
# benchmark fleet (../shared/scripts/make-fleet) and this repository's tests.
. "$GATE_SRCDIR/tests/lib.sh"

bin="$GATE_BUILDDIR/tests/unit/secrets_diff_test"
[ -x "$bin" ] || bail "no $bin"
data=$(gate_data)
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}"
mkdir -p "$T_DIR/goldens"
tar xJf "$shared/data/kustomize-goldens.tar.xz" -C "$T_DIR/goldens" || bail "could not unpack the kustomize goldens"
sh "$shared/scripts/make-fleet" 2 "$T_DIR/fleet" >/dev/null || bail "make-fleet failed"

# the repository's own test inputs (not tests/data: the unpacked shared data)
own=
for d in "$GATE_SRCDIR"/tests/*/; do
	case $d in */tests/data/) continue ;; esac
	own="$own${own:+,}${d%/}"
done
"$bin" "corpus=$data/manifests-corpus" "corpus-2=$data/manifests-corpus-2" "goldens=$T_DIR/goldens" \
	"fleet=$T_DIR/fleet" "tests=$own" >"$T_DIR/out" 2>&1 || true
while IFS= read -r l; do
	case $l in
	"ok "*) ok "${l#ok [0-9]* - }" true ;;
	"not ok "*) ok "${l#not ok [0-9]* - }" false ;;
	"#"*) echo "$l" ;;
	esac
done <"$T_DIR/out"
is "eight checks made" "$(grep -c '^ok\|^not ok' "$T_DIR/out")" 8
done_testing
