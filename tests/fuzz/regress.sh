#!/bin/sh
# Replays the seed corpora and every kept crash of each fuzz target.
set -eu
: "${GATE_SRCDIR:?}" "${GATE_BUILDDIR:?}"
n=0
for t in doc schema policy config stdin pushopt cel render admit yaml_scan; do
	bin="$GATE_BUILDDIR/tests/fuzz/${t}_replay"
	for d in "$GATE_SRCDIR/tests/fuzz/seeds/${t}_fuzz" "$GATE_SRCDIR/tests/fuzz/regress/${t}_fuzz"; do
		[ -d "$d" ] || continue
		for f in "$d"/*; do
			[ -f "$f" ] || continue
			n=$((n + 1))
			if $GATE_VALGRIND "$bin" "$f" >/dev/null 2>"$GATE_BUILDDIR/tests/fuzz/.err"; then
				echo "ok $n - $t: $(basename "$f")"
			else
				echo "not ok $n - $t: $(basename "$f")"
				sed 's/^/#   /' "$GATE_BUILDDIR/tests/fuzz/.err" | head -20
			fi
		done
	done
done
echo "1..$n"
