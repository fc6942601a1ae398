#!/bin/sh
# bench/validate.sh: `gitops-gate validate` over the 16-copy fleet
# (../shared/scripts/make-fleet 16, about 10,000 resources in 7,700 files),
# -strict -summary -n 2 against the unpacked Kubernetes and CRD schemas.
# Prints the median of 3 runs: wall time, CPU time, peak RSS, resources and
# resources per second.  Then the policy's cost, both in one run: the median
# of `runs` alternating runs with all built-in checks (-policy of a policy
# file that changes nothing) against schema validation alone, and their ratio (issue 4:
# at most 1.25).  Then the built-in catalog: the same fleet with no schema
# location (the catalog, strict), against the two schema sets of the first
# run.  The fleet and the schemas are built once into
# $GATE_BUILDDIR/bench-data.  Needs /usr/bin/time (apt-get install time).
set -eu
: "${GATE_SRCDIR:?}" "${GATE_BUILDDIR:?}" "${GATE_BIN:?}"
shared=${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}
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

# the policy's cost: built-in checks on (-policy of a file that changes nothing) against
# schema alone, runs alternating so both see the same machine state
echo 'checks: {}' >"$dir/policy.yaml"
: >"$dir/times.schema"
: >"$dir/times.policy"
i=1
while [ "$i" -le "$runs" ]; do
	for mode in schema policy; do
		set --
		[ "$mode" = policy ] && set -- -policy "$dir/policy.yaml"
		set +e
		/usr/bin/time -f '%e %U %S %M' -o "$dir/time.$mode" "$GATE_BIN" validate -strict -summary \
			-kubernetes-version 1.32.2 -schema-location "$k8s" -schema-location "$crd" -n 2 \
			"$@" "$dir/fleet" >"$dir/out.$mode" 2>"$dir/err.$mode"
		rc=$?
		set -e
		if [ "$rc" -gt 1 ]; then
			echo "bench: $mode run $i failed with status $rc:" >&2
			head -5 "$dir/err.$mode" >&2
			exit 1
		fi
		grep -q '^Summary:' "$dir/out.$mode" ||
			{ echo "bench: $mode run $i gave no summary:" >&2; head -5 "$dir/err.$mode" >&2; exit 1; }
		tail -n 1 "$dir/time.$mode" >>"$dir/times.$mode"
	done
	i=$((i + 1))
done
med() { awk '{ print $1, $2 + $3 }' "$1" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }'; }
s=$(med "$dir/times.schema")
p=$(med "$dir/times.policy")
echo "$s $p" | awk -v n="$runs" '{
	printf "validate fleet, schema alone (median of %d): wall %.2f s, cpu %.2f s\n", n, $1, $2
	printf "validate fleet, all built-in checks (median of %d): wall %.2f s, cpu %.2f s\n", n, $3, $4
	printf "policy cost: wall x%.2f, cpu x%.2f (target <= x1.25)\n", ($1 > 0 ? $3 / $1 : 0), ($2 > 0 ? $4 / $2 : 0)
}'

# the built-in catalog (no -schema-location) against the Kubernetes and CRD sets, alternating
: >"$dir/times.sets"
: >"$dir/times.catalog"
i=1
while [ "$i" -le "$runs" ]; do
	for mode in sets catalog; do
		set --
		[ "$mode" = sets ] && set -- -kubernetes-version 1.32.2 -schema-location "$k8s" -schema-location "$crd"
		set +e
		/usr/bin/time -f '%e %U %S %M' -o "$dir/time.$mode" "$GATE_BIN" validate -strict -summary -n 2 \
			"$@" "$dir/fleet" >"$dir/out.$mode" 2>"$dir/err.$mode"
		rc=$?
		set -e
		if [ "$rc" -gt 1 ]; then
			echo "bench: $mode run $i failed with status $rc:" >&2
			head -5 "$dir/err.$mode" >&2
			exit 1
		fi
		tail -n 1 "$dir/time.$mode" >>"$dir/times.$mode"
	done
	i=$((i + 1))
done
s=$(med "$dir/times.sets")
c=$(med "$dir/times.catalog")
echo "$s $c" | awk -v n="$runs" '{
	printf "validate fleet, Kubernetes 1.32.2 + CRD sets (median of %d): wall %.2f s, cpu %.2f s\n", n, $1, $2
	printf "validate fleet, built-in catalog, no location (median of %d): wall %.2f s, cpu %.2f s (cpu x%.2f)\n", n, $3, $4, ($2 > 0 ? $4 / $2 : 0)
}'
grep '^Summary:' "$dir/out.catalog" | sed 's/^/catalog: /'
