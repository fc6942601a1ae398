#!/bin/sh
# goldens.sh: render every case of ../shared/data/kustomize-goldens.tar.xz
# (real builds from public GitOps repositories, with kustomize v5.5.0's
# output) in both orders with the renderer library and compare with kustomize's output as lists of
# YAML documents (tests/render/yamlcmp.h: document order, key order, values
# and their types; layout aside).  No kustomize binary is needed.
#
# tests/render/golden_run prints one TAP line per case and order.  `--reorder legacy` is compared with
# expected.yaml; `--reorder none` with expected-reorder-none.yaml, or with
# expected.yaml when the case has none (the two orders agree).  Cases we do
# not pass yet are listed in tests/render/known-failing.txt ("case order
# reason", one per line): they run as TAP TODO, so the count stays honest,
# a listed case that starts passing shows as an unexpected pass, and every
# unlisted failure fails the test.  A diagnostic line counts the outputs
# that are byte for byte kustomize's.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BUILDDIR/tests/render/golden_run" ] || bail "no golden_run in $GATE_BUILDDIR/tests/render (make check builds it)"
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}/data/kustomize-goldens.tar.xz"
[ -f "$shared" ] || bail "shared data missing: expected $shared"
known="$GATE_SRCDIR/tests/render/known-failing.txt"

dst="$GATE_BUILDDIR/tests/data"
mkdir -p "$dst"
(
	flock 9
	if [ ! -f "$dst/.kustomize-goldens.done" ]; then
		rm -rf "$dst/kustomize-goldens"
		tar xJf "$shared" -C "$dst" || exit 1
		touch "$dst/.kustomize-goldens.done"
	fi
) 9>"$dst/.lock" || bail "could not unpack $shared"
root="$dst/kustomize-goldens"

"$GATE_BUILDDIR/tests/render/golden_run" "$root" "$known"
