#!/bin/sh
# bench/run.sh: `make bench` runs this in the build folder.  A dispatcher:
# every other bench/*.sh is one benchmark, run in turn with the build and
# source folders in GATE_BUILDDIR and GATE_SRCDIR (add hooks/notify
# benchmarks as further scripts).  BENCH=name runs only bench/name.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GATE_SRCDIR=${GATE_SRCDIR:-$(cd "$here/.." && pwd)}
GATE_BUILDDIR=${GATE_BUILDDIR:-$(pwd)}
GATE_BIN=${GATE_BIN:-$GATE_BUILDDIR/gitops-gate}
export GATE_SRCDIR GATE_BUILDDIR GATE_BIN
[ -x "$GATE_BIN" ] || { echo "bench: no binary at $GATE_BIN (run make first, from the build folder)" >&2; exit 1; }
status=0
for b in "$here"/*.sh; do
	name=$(basename "$b" .sh)
	[ "$name" = run ] && continue
	[ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ] && continue
	echo "== bench $name"
	sh "$b" || { echo "bench $name failed" >&2; status=1; }
done
exit $status
