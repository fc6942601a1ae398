#!/bin/sh
# Compile every Kubernetes JSON schema (v1.32.2-standalone-strict) and every
# CRD schema of the shared data: all must compile.  schema_test --compile
# prints the TAP lines (one per folder) and the total compile time.
. "$GATE_SRCDIR/tests/lib.sh"
data=$(gate_data)
"$GATE_BUILDDIR/tests/unit/schema_test" --compile \
	"$data/kubernetes-schemas-v1.32.2/v1.32.2-standalone-strict" \
	"$data/crd-schemas"
