#!/bin/sh
# corpus.sh: per-resource verdicts on the real-world corpus (../shared/data
# manifests-corpus and manifests-corpus-2) against an independent reference.
#
# tests/cli/expected/corpus-verdicts.txt holds filename, kind, name, status per
# resource as derived by tests/reference/kubeconform_ref.py (Debian's python3
# with python3-yaml and python3-jsonschema; it mirrors kubeconform 0.6.x, not
# our code).  Regenerate it after changing the reference or the data:
#
#   cd <build>/tests/data &&
#   /usr/bin/python3 $SRC/tests/reference/kubeconform_ref.py -strict \
#       -kubernetes-version 1.32.2 -schema-location "$K" -schema-location "$C" \
#       manifests-corpus manifests-corpus-2 | cut -f1-4 \
#       > $SRC/tests/cli/expected/corpus-verdicts.txt
#
# with K and C the templates of gate_k8s_location/gate_crd_location (absolute
# paths under <build>/tests/data).  Deliberate differences between gitops-gate
# and the reference are listed, each with its reason, in
# tests/cli/expected/corpus-differences.md (the "-"/"+" lines of its diff
# blocks); every other difference fails this test.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
data=$(gate_data)
exp="$GATE_SRCDIR/tests/cli/expected"
cd "$data"

set +e
"$GATE_BIN" validate -strict -kubernetes-version 1.32.2 -n 2 -output json -verbose -summary \
	-schema-location "$(gate_k8s_location "$data")" -schema-location "$(gate_crd_location "$data")" \
	manifests-corpus manifests-corpus-2 >"$T_DIR/out.json" 2>"$T_DIR/err"
rc=$?
set -e
is "exit status 1: the corpus holds invalid resources" "$rc" 1
is "nothing on stderr" "$(cat "$T_DIR/err")" ""

python3 - "$T_DIR/out.json" >"$T_DIR/ours.txt" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["resources"]:
    # kubeconform lists an empty resource with status ""; the reference says statusEmpty
    print("\t".join([r["filename"], r["kind"], r["name"], r["status"] or "statusEmpty"]))
PY
ok "json output lists every resource" test -s "$T_DIR/ours.txt"

# the reference with our recorded deliberate differences applied
python3 - "$exp/corpus-verdicts.txt" "$exp/corpus-differences.md" >"$T_DIR/want.txt" <<'PY'
import sys
ref = [l.rstrip("\n") for l in open(sys.argv[1])]
minus, plus, indiff = [], [], False
for l in open(sys.argv[2]):
    l = l.rstrip("\n")
    if l.startswith("```diff"):
        indiff = True
    elif l.startswith("```"):
        indiff = False
    elif indiff and l[:1] in "-+":
        (minus if l[0] == "-" else plus).append(l[1:])
for m in minus:
    if m not in ref:
        sys.exit("corpus-differences.md removes a line the reference does not have: %r" % m)
    ref.remove(m)
for l in sorted(ref + plus):
    print(l)
PY
sort "$T_DIR/ours.txt" >"$T_DIR/ours.sorted"
is "verdicts equal the reference plus recorded differences" "$(diff "$T_DIR/want.txt" "$T_DIR/ours.sorted" | head -60)" ""

total=$(wc -l <"$T_DIR/ours.txt")
ndiff=$(grep -c "^-manifests" "$exp/corpus-differences.md" || true)
echo "# resources: $total (reference: $(wc -l <"$exp/corpus-verdicts.txt"))"
for s in statusValid statusInvalid statusError statusSkipped statusEmpty; do
	echo "# $s: ours $(grep -c "	$s\$" "$T_DIR/ours.txt" || true), reference $(grep -c "	$s\$" "$exp/corpus-verdicts.txt" || true)"
done
echo "# recorded differences: $ndiff"
done_testing
