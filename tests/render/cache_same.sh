#!/bin/sh
# cache_same.sh: the parse cache the hook shares between the renders of one
# push (gate_render_cache_new()) changes nothing: every case of
# ../shared/data/kustomize-goldens.tar.xz, in both orders, rendered without
# it and twice with one cache per repository (the second time every file is
# copied from the cache) gives byte for byte the same YAML, node origins,
# warnings and errors.  Driven by tests/render/golden_run --cache.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BUILDDIR/tests/render/golden_run" ] || bail "no golden_run in $GATE_BUILDDIR/tests/render (make check builds it)"
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}/data/kustomize-goldens.tar.xz"
[ -f "$shared" ] || bail "shared data missing: expected $shared"

dst="$GATE_BUILDDIR/tests/data"
mkdir -p "$dst"
(
	flock 9
	if [ ! -f "$dst/.kustomize-goldens.done" ]; then
		rm -rf "${dst:?}/kustomize-goldens"
		tar xJf "$shared" -C "$dst" || exit 1
		touch "$dst/.kustomize-goldens.done"
	fi
) 9>"$dst/.lock" || bail "could not unpack $shared"

"$GATE_BUILDDIR/tests/render/golden_run" --cache "$dst/kustomize-goldens"
