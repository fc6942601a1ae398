#!/bin/sh
# bench/validate.sh: `gitops-gate validate` over the 16-copy fleet
# (../shared/scripts/make-fleet 16, about 10,000 resources in 7,700 files),
# -strict -summary -n 2 against the unpacked Kubernetes and CRD schemas.
# Prints the median of 3 runs: wall time, CPU time, peak RSS, resources and
# resources per second.  The fleet and the schemas are built once into
# $GATE_BUILDDIR/bench-data.  Needs /usr/bin/time (apt-get install time).
set -eu
: "${GATE_SRCDIR:?}" "${GATE_BUILDDIR:?}" "${GATE_BIN:?}"
shared="$GATE_SRCDIR/../shared"
dir="$GATE_BUILDDIR/bench-data"
runs=${BENCH_RUNS:-3}
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
mkdir -p "$dir"
if [ ! -f "$dir/.fleet.done" ]; then
	rm -rf "$dir/fleet"
	sh "$shared/scripts/make-fleet" 16 "$dir/fleet" >/dev/null
	touch "$dir/.fleet.done"
fi
for t in kubernetes-schemas-v1.32.2 crd-schemas; do
	if [ ! -f "$dir/.$t.done" ]; then
		rm -rf "${dir:?}/$t"
		mkdir -p "$dir/$t"
		tar xJf "$shared/data/$t.tar.xz" -C "$dir/$t"
		touch "$dir/.$t.done"
	fi
done
k8s="$dir/kubernetes-schemas-v1.32.2/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
crd="$dir/crd-schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"

i=1
: >"$dir/times"
while [ "$i" -le "$runs" ]; do
	set +e
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.$i" "$GATE_BIN" validate -strict -summary \
		-kubernetes-version 1.32.2 -schema-location "$k8s" -schema-location "$crd" -n 2 \
		"$dir/fleet" >"$dir/out.$i" 2>"$dir/err.$i"
	rc=$?
	set -e
	if [ "$rc" -gt 1 ]; then
		echo "bench: run $i failed with status $rc:" >&2
		head -5 "$dir/err.$i" >&2
		exit 1
	fi
	tail -n 1 "$dir/time.$i" >>"$dir/times"
	i=$((i + 1))
done
summary=$(grep '^Summary:' "$dir/out.1" || true)
resources=$(echo "$summary" | sed -n 's/^Summary: \([0-9]*\) resource.*/\1/p')
[ -n "$resources" ] || { echo "bench: no summary line in the output" >&2; exit 1; }
sort -n "$dir/times" | awk -v n="$runs" -v res="$resources" '
	{ wall[NR] = $1; cpu[NR] = $2 + $3; rss[NR] = $4 }
	END {
		m = int((n + 1) / 2)
		# medians of each measure on its own
		for (i = 1; i <= n; i++) { c[i] = cpu[i]; r[i] = rss[i] }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
			if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
			if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		}
		printf "validate fleet (median of %d): wall %.2f s, cpu %.2f s, peak %.1f MiB, %d resources, %.0f resources/s\n",
			n, wall[m], c[m], r[m] / 1024, res, (wall[m] > 0 ? res / wall[m] : 0)
	}'
echo "$summary"
