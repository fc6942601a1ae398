#!/bin/sh
# parity.sh: kubeconform behaviours the corpus does not show: error results
# named from a lenient parse, empty files in the summary and in -verbose JSON,
# TAP's header and lines, and `format: duration` with the API server's
# meaning (Go durations) rather than ISO 8601's.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
command -v python3 >/dev/null || skip_all "python3 not installed"
data=$(gate_data)
K=$(gate_k8s_location "$data")
cd "$T_DIR"
v() { "$GATE_BIN" validate -kubernetes-version 1.32.2 -schema-location "$K" "$@" 2>&1; }
fields() { # the resources of a JSON report as "filename kind name version status" lines
	python3 -c 'import json, sys
for r in json.load(sys.stdin)["resources"]:
    print(" ".join([r["filename"], r["kind"] or "-", r["name"] or "-", r["version"] or "-", r["status"] or "-"]))'
}

# ---- error results name their resource (kubeconform's Resource.Signature) ----
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: "1", a: "2"}\n' >dup.yaml
printf 'kind: ConfigMap\nmetadata: {name: noversion}\n' >noversion.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: gen-}\ndata: {a: [}\n' >broken.yaml
printf -- '- just\n- a list\n' >list.yaml
out=$(v -strict -output json dup.yaml noversion.yaml broken.yaml list.yaml | fields)
is "error results carry kind, name and version when a lenient parse finds them" "$out" \
"dup.yaml ConfigMap dup v1 statusError
noversion.yaml ConfigMap noversion - statusError
broken.yaml - - - statusError
list.yaml - - - statusError"

# ---- empty files: counted and listed ----
: >empty.yaml
printf '# only a comment\n' >comment.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' >cm.yaml
out=$(v -summary empty.yaml comment.yaml cm.yaml)
is "an empty file counts as a file in the summary" "$out" \
	"Summary: 1 resource found in 3 files - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0"
out=$(v -verbose -output json empty.yaml comment.yaml cm.yaml | fields)
is "-verbose JSON lists empty files with kubeconform's empty status" "$out" \
"empty.yaml - - - -
comment.yaml - - - -
cm.yaml ConfigMap c v1 statusValid"
out=$(v -output json empty.yaml)
unlike "without -verbose empty files are not listed" "$out" "empty.yaml"

# ---- TAP ----
out=$(v -output tap cm.yaml empty.yaml dup.yaml -skip Secret)
is "tap: header, kubeconform's lines, plan" "$(printf '%s\n' "$out" | grep -v '^#')" "TAP version 13
ok 1 - cm.yaml (v1/ConfigMap//c)
ok 2 - empty.yaml (empty)
ok 3 - dup.yaml (v1/ConfigMap//dup)
1..3"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: prod}\n' >secret.yaml
out=$(v -output tap -skip Secret secret.yaml)
like "tap: skipped resources end with the skip directive" "$out" "ok 1 - secret.yaml (v1/Secret/prod/s) # skip"

# ---- format: duration, as the API server reads it ----
printf '{"type": "object", "properties": {"every": {"type": "string", "format": "duration"}}}' >dur.json
for d in 10m 1h30m 300ms "2 days" "1h 30min" 0; do
	printf 'every: "%s"\n' "$d" >d.yaml
	out=$("$GATE_BIN" validate -schema dur.json d.yaml 2>&1) && st=0 || st=$?
	is "format duration accepts \"$d\"" "$st" 0
done
for d in PT1H P1D 1x "10 fortnights" -1d; do
	printf 'every: "%s"\n' "$d" >d.yaml
	out=$("$GATE_BIN" validate -schema dur.json d.yaml 2>&1) && st=0 || st=$?
	is "format duration refuses \"$d\"" "$st" 1
done
like "the message names the format" "$out" "/every"
# a real schema with format duration: Grafana operator's resyncPeriod (kubeconform 0.6 refused 1h30m)
printf 'apiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaFolder\nmetadata: {name: f}\nspec:\n  instanceSelector: {matchLabels: {dashboards: grafana}}\n  resyncPeriod: 1h30m\n' >folder.yaml
out=$(v -strict -summary folder.yaml) && st=0 || st=$?
is "GrafanaFolder with resyncPeriod 1h30m is valid" "$st" 0
sed 's/1h30m/PT90M/' folder.yaml >folder-iso.yaml
out=$(v -strict folder-iso.yaml) || true
like "GrafanaFolder with an ISO 8601 resyncPeriod is not" "$out" "GrafanaFolder/f: /spec/resyncPeriod: "

done_testing
