#!/bin/sh
# Every distinct CEL rule of the schema catalog (flux-schema-catalog.tar.xz,
# unpacked into the build tree) has a case in tests/cel/catalog/ that passes
# it and one that fails it, judged through the real catalog schema.
. "$GATE_SRCDIR/tests/lib.sh"
data=$(gate_data)
exec "$GATE_BUILDDIR/tests/unit/cel_catalog_test" "$data/flux-schema-catalog/catalog/latest" \
	"$GATE_SRCDIR/tests/cel/catalog"
