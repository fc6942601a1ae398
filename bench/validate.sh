#!/bin/sh
# bench/validate.sh: `gitops-gate validate` over the 16-copy fleet
# (../shared/scripts/make-fleet 16, about 10,000 resources in 7,700 files)
# and the two real-world corpora, -strict -summary -n 2.  Each comparison
# runs its sides alternately (interleaved) in one run and prints medians of
# `BENCH_RUNS` runs (default 3) of wall time and CPU time (user+sys):
#
#   1. the fleet against the unpacked Kubernetes 1.32.2 and CRD schemas;
#   2. beside kubeconform, same flags (-strict -summary -n 2) and schemas
#      (the sets, then the built-in catalog's files, which kubeconform reads
#      without their CEL rules), when a binary is there (KUBECONFORM=/path,
#      or kubeconform on PATH);
#      otherwise beside the kubeconform figures recorded in PERF-NOTES on this
#      machine kind, labelled as such (not measured in this run);
#   3. the policy's cost (issue 4: at most x1.25);
#   4. the built-in catalog (no location) beside the schema sets;
#   5. CEL's cost (issue 12: at most +15% CPU on the corpus): the catalog
#      and the CRD schemas with their x-kubernetes-validations ("CEL on")
#      against the same schemas with the rules removed ("CEL off"), both
#      rewritten the same way (compact JSON), on the fleet, each corpus and a
#      CEL-dense set (every resource carries rules: the worst case, not the
#      target's); -stats shows how many rules were really evaluated.  The
#      short runs (corpora, CEL-dense) are repeated BENCH_SHORT_RUNS times
#      (default 9);
#   6. the share of YAML documents the native scanner (validate/yaml_scan.c)
#      takes, with tests/unit/yaml_diff when `make check` has built it.
# The load average is printed at the start and at the end.
#
# Everything is built once into $GATE_BUILDDIR/bench-data.  Needs
# /usr/bin/time (apt-get install time) and python3 (to rewrite the schemas).
set -eu
: "${GATE_SRCDIR:?}" "${GATE_BUILDDIR:?}" "${GATE_BIN:?}"
shared=${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}
dir="$GATE_BUILDDIR/bench-data"
runs=${BENCH_RUNS:-3}
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 missing" >&2; exit 1; }
mkdir -p "$dir"

# ---- data ----
if [ ! -f "$dir/.fleet.done" ]; then
	rm -rf "$dir/fleet"
	sh "$shared/scripts/make-fleet" 16 "$dir/fleet" >/dev/null
	touch "$dir/.fleet.done"
fi
for t in kubernetes-schemas-v1.32.2 crd-schemas manifests-corpus manifests-corpus-2; do
	if [ ! -f "$dir/.$t.done" ]; then
		rm -rf "${dir:?}/$t"
		mkdir -p "$dir/$t"
		tar xJf "$shared/data/$t.tar.xz" -C "$dir/$t"
		touch "$dir/.$t.done"
	fi
done
catalog=${GATE_CATALOG_DIR:-$GATE_BUILDDIR/schemas/catalog}
[ -d "$catalog" ] || { echo "bench: no built-in catalog at $catalog (run make)" >&2; exit 1; }
# the schema sets rewritten as compact JSON, with ("cel") and without ("nocel") their rules
if [ ! -f "$dir/.cel-sets.done" ]; then
	rm -rf "$dir/cel" "$dir/nocel"
	python3 - "$catalog" "$dir/crd-schemas" "$dir" <<'PY'
import json, os, shutil, sys
def strip(j):
    if isinstance(j, dict):
        return {k: strip(v) for k, v in j.items() if k != "x-kubernetes-validations"}
    if isinstance(j, list):
        return [strip(v) for v in j]
    return j
for src, name in ((sys.argv[1], "catalog"), (sys.argv[2], "crd-schemas")):
    for root, _, files in os.walk(src):
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, src)
            for mode in ("cel", "nocel"):
                q = os.path.join(sys.argv[3], mode, name, rel)
                os.makedirs(os.path.dirname(q), exist_ok=True)
                if not f.endswith(".json"):
                    shutil.copyfile(p, q)
                    continue
                with open(p) as fh:
                    j = json.load(fh)
                with open(q, "w") as fh:
                    json.dump(strip(j) if mode == "nocel" else j, fh, separators=(",", ":"))
PY
	touch "$dir/.cel-sets.done"
fi
# CEL-dense: the catalog test documents (a Deployment, a HelmRelease, an HTTPRoute), 2,000 copies
if [ ! -f "$dir/.cel-dense.done" ]; then
	rm -rf "$dir/cel-dense"
	mkdir -p "$dir/cel-dense"
	i=1
	while [ "$i" -le 2000 ]; do
		{ cat "$GATE_SRCDIR/tests/cli/admission/catalog.yaml"; printf '\n# copy %s\n' "$i"; } >"$dir/cel-dense/c$i.yaml"
		i=$((i + 1))
	done
	touch "$dir/.cel-dense.done"
fi
k8s="$dir/kubernetes-schemas-v1.32.2/{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json"
crd="$dir/crd-schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"

echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

# ---- measuring ----
# Commands are held in variables and word-split: the build path must hold no
# spaces (the templates are written without any).
# run1 NAME CMD...: one timed run, "wall user sys peak-KiB" appended to times.NAME;
# the command must end with status 0 or 1 and print a Summary line.
run1() {
	name=$1
	shift
	set +e
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.$name" "$@" >"$dir/out.$name" 2>"$dir/err.$name"
	rc=$?
	set -e
	if [ "$rc" -gt 1 ]; then
		echo "bench: $name failed with status $rc:" >&2
		head -5 "$dir/err.$name" >&2
		exit 1
	fi
	grep -q '^Summary:' "$dir/out.$name" ||
		{ echo "bench: $name gave no summary:" >&2; head -5 "$dir/err.$name" >&2; exit 1; }
	tail -n 1 "$dir/time.$name" >>"$dir/times.$name"
}
# interleave NAME... : reset their times, then run each NAME's command (cmd_NAME) in turn, runs times
interleave() {
	for n in "$@"; do : >"$dir/times.$n"; done
	i=1
	while [ "$i" -le "$runs" ]; do
		for n in "$@"; do
			eval "run1 $n \$cmd_$n"
		done
		i=$((i + 1))
	done
}
# med NAME: "wall cpu peak-MiB", the median of each measure on its own
med() {
	awk -v n="$runs" '
		{ w[NR] = $1; c[NR] = $2 + $3; r[NR] = $4 }
		END {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
				if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
				if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
				if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
			}
			m = int((n + 1) / 2)
			printf "%.2f %.2f %.1f\n", w[m], c[m], r[m] / 1024
		}' "$dir/times.$1"
}
summary() { grep '^Summary:' "$dir/out.$1" | head -n 1; }
cel_evals() { sed -n 's/^stats: \([0-9]*\) CEL rule evaluations$/\1/p' "$dir/err.$1"; }

# ---- 1 and 2: the fleet, schema sets; beside kubeconform ----
gate_sets="$GATE_BIN validate -strict -summary -n 2 -kubernetes-version 1.32.2 -schema-location $k8s -schema-location $crd"
kc=${KUBECONFORM:-$(command -v kubeconform || true)}
cmd_gate="$gate_sets -stats $dir/fleet"
# the built-in catalog: ours with no location; kubeconform reads the same files
# through two templates (the catalog keeps the core kinds under core/)
cmd_gatecat="$GATE_BIN validate -strict -summary -n 2 -stats $dir/fleet"
if [ -n "$kc" ]; then
	[ -x "$kc" ] || { echo "bench: KUBECONFORM=$kc is not an executable" >&2; exit 1; }
	cmd_kubeconform="$kc -strict -summary -n 2 -kubernetes-version 1.32.2 -schema-location $k8s -schema-location $crd $dir/fleet"
	cmd_kccat="$kc -strict -summary -n 2 -schema-location $catalog/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json -schema-location $catalog/core/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json $dir/fleet"
	interleave gate kubeconform gatecat kccat
else
	interleave gate gatecat
fi
set -- $(med gate)
res=$(summary gate | sed -n 's/^Summary: \([0-9]*\) resource.*/\1/p')
printf 'validate fleet, Kubernetes 1.32.2 + CRD sets (median of %d): wall %s s, cpu %s s, peak %s MiB, %s resources, %.0f resources/s, %s CEL rule evaluations\n' \
	"$runs" "$1" "$2" "$3" "$res" "$(echo "$res $1" | awk '{ print ($2 > 0 ? $1 / $2 : 0) }')" "$(cel_evals gate)"
echo "gitops-gate: $(summary gate)"
gw=$1 gc=$2
if [ -n "$kc" ]; then
	set -- $(med kubeconform)
	printf 'kubeconform %s, same flags and schemas, interleaved (median of %d): wall %s s, cpu %s s, peak %s MiB\n' \
		"$("$kc" -v 2>/dev/null || echo '?')" "$runs" "$1" "$2" "$3"
	echo "kubeconform: $(summary kubeconform)"
	echo "$gw $gc $1 $2" | awk '{ printf "gitops-gate vs kubeconform, measured in this run: cpu %.1fx less, wall %.1fx less (target: cpu >= 10x)\n",
		($2 > 0 ? $4 / $2 : 0), ($1 > 0 ? $3 / $1 : 0) }'
	echo "$(med gatecat) $(med kccat)" | awk -v n="$runs" -v e="$(cel_evals gatecat)" '{
		printf "validate fleet, built-in catalog (CEL on, %s rule evaluations), interleaved (median of %d): wall %.2f s, cpu %.2f s\n", e, n, $1, $2
		printf "kubeconform, the same catalog files (no CEL), interleaved (median of %d): wall %.2f s, cpu %.2f s\n", n, $4, $5
		printf "gitops-gate vs kubeconform on the catalog, measured in this run: cpu %.1fx less, wall %.1fx less (target: cpu >= 10x)\n",
			($2 > 0 ? $5 / $2 : 0), ($1 > 0 ? $4 / $1 : 0) }'
	echo "gitops-gate: $(summary gatecat)"
	echo "kubeconform: $(summary kccat)"
else
	echo "kubeconform: no binary (set KUBECONFORM=/path or put kubeconform on PATH); NOT measured in this run."
	echo "$gw $gc" | awk '{ printf "gitops-gate vs kubeconform 0.6.7 -strict -n 2 on the same fleet as RECORDED in PERF-NOTES on this machine kind (not this run): cpu 10.7 s -> %.1fx less, 14.2 s (later, loaded) -> %.1fx less; wall 6.0 s -> %.1fx less (target: cpu >= 10x)\n",
		($2 > 0 ? 10.7 / $2 : 0), ($2 > 0 ? 14.2 / $2 : 0), ($1 > 0 ? 6.0 / $1 : 0) }'
	echo "$(med gatecat)" | awk -v n="$runs" -v e="$(cel_evals gatecat)" '{
		printf "validate fleet, built-in catalog (CEL on, %s rule evaluations), interleaved (median of %d): wall %.2f s, cpu %.2f s; beside the RECORDED kubeconform cpu 10.7 s: %.1fx less (not measured in this run)\n", e, n, $1, $2, ($2 > 0 ? 10.7 / $2 : 0) }'
fi

# ---- 3: the policy's cost: built-in checks on (-policy of a file that changes nothing) against schema alone ----
echo 'checks: {}' >"$dir/policy.yaml"
cmd_schema="$gate_sets $dir/fleet"
cmd_policy="$gate_sets -policy $dir/policy.yaml $dir/fleet"
interleave schema policy
echo "$(med schema) $(med policy)" | awk -v n="$runs" '{
	printf "validate fleet, schema alone (median of %d): wall %.2f s, cpu %.2f s\n", n, $1, $2
	printf "validate fleet, all built-in checks (median of %d): wall %.2f s, cpu %.2f s\n", n, $4, $5
	printf "policy cost: wall x%.2f, cpu x%.2f (target <= x1.25)\n", ($1 > 0 ? $4 / $1 : 0), ($2 > 0 ? $5 / $2 : 0)
}'

# ---- 4: the built-in catalog (no -schema-location) against the Kubernetes and CRD sets ----
cmd_sets="$gate_sets $dir/fleet"
cmd_catalog="$GATE_BIN validate -strict -summary -n 2 -stats $dir/fleet"
interleave sets catalog
echo "$(med sets) $(med catalog)" | awk -v n="$runs" '{
	printf "validate fleet, Kubernetes 1.32.2 + CRD sets (median of %d): wall %.2f s, cpu %.2f s\n", n, $1, $2
	printf "validate fleet, built-in catalog, no location (median of %d): wall %.2f s, cpu %.2f s (cpu x%.2f)\n", n, $4, $5, ($2 > 0 ? $5 / $2 : 0)
}'
echo "catalog: $(summary catalog), $(cel_evals catalog) CEL rule evaluations"

# ---- 5: CEL's cost: the same schemas with and without their rules, interleaved ----
# "catalog": no location (GATE_CATALOG_DIR selects the copy); "sets": Kubernetes 1.32.2 + CRD schemas
cel_case() {
	label=$1 set=$2 input=$3 saved_runs=$runs
	runs=${4:-$runs}
	for mode in cel nocel; do
		if [ "$set" = catalog ]; then
			eval "cmd_$mode=\"env GATE_CATALOG_DIR=$dir/$mode/catalog $GATE_BIN validate -strict -summary -n 2 -stats $input\""
		else
			eval "cmd_$mode=\"$GATE_BIN validate -strict -summary -n 2 -stats -kubernetes-version 1.32.2 -schema-location $k8s -schema-location $dir/$mode/crd-schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json $input\""
		fi
	done
	interleave cel nocel
	[ "$(summary cel | sed 's/ - .*//')" = "$(summary nocel | sed 's/ - .*//')" ] ||
		{ echo "bench: $label: CEL on and off saw different inputs" >&2; exit 1; }
	echo "$(med cel) $(med nocel) $(cel_evals cel) $(cel_evals nocel)" | awk -v l="$label" -v n="$runs" '{
		printf "CEL %s (median of %d): on cpu %.2f s (%d rule evaluations), off cpu %.2f s (%d): cpu %+.1f%%, wall %.2f vs %.2f s (target <= +15%%)\n",
			l, n, $2, $7, $5, $8, ($5 > 0 ? ($2 / $5 - 1) * 100 : 0), $1, $4 }'
	echo "  on:  $(summary cel)"
	echo "  off: $(summary nocel)"
	runs=$saved_runs
}
cel_case "fleet, catalog" catalog "$dir/fleet"
cel_case "fleet, CRD sets" sets "$dir/fleet"
# the short runs more often: a tenth of a second is within the noise of three
short=${BENCH_SHORT_RUNS:-9}
cel_case "corpus 1, catalog" catalog "$dir/manifests-corpus" "$short"
cel_case "corpus 1, CRD sets" sets "$dir/manifests-corpus" "$short"
cel_case "corpus 2, catalog" catalog "$dir/manifests-corpus-2" "$short"
cel_case "CEL-dense (tests/cli/admission/catalog.yaml x 2000), catalog" catalog "$dir/cel-dense" "$short"

# ---- the YAML loader: how many documents the native scanner takes ----
# (validate/yaml_scan.c; the rest go to libyaml, the reference).  Uses the
# differential test program, built by `make check`.
yd="$GATE_BUILDDIR/tests/unit/yaml_diff"
if [ -x "$yd" ]; then
	echo "YAML documents parsed by the native scanner (each part in both duplicate-key modes, compared with libyaml):"
	"$yd" "fleet copy 1=$dir/fleet/cluster-01" "corpus 1=$dir/manifests-corpus" \
		"corpus 2=$dir/manifests-corpus-2" | sed -n 's/^ok [0-9]* - /  /p; s/^not ok [0-9]* - /  DIFFERENT: /p'
else
	echo "YAML native scanner share: build $yd (make check) to see it"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
