#!/bin/sh
# bench/render.sh: `gitops-gate render` of every build of
# ../shared/data/kustomize-goldens.tar.xz (488 kustomizations from 7 GitOps
# repositories), one process per build as a CI job or a hook would run it.
# Prints the median of BENCH_RUNS (default 3) runs: wall time and CPU time
# (user + sys) for all builds, and per build; then the same builds with one
# process per repository (`gitops-gate render DIR...`), which shows the cost
# of the renderer without the process start-up (about 2.4 ms of CPU: the
# program links 7 shared libraries; libgit2 and libcurl are loaded only by
# the commands that use them).  When kubectl is installed,
# `kubectl kustomize --load-restrictor=LoadRestrictionsNone` runs the same
# builds in the same run, interleaved, and the CPU ratio is printed (issue 11:
# ours at most 1/20 of kustomize's; PERF-NOTES.md measured kubectl at about
# 37 CPU-s here).  Needs /usr/bin/time (apt-get install time).
set -eu
: "${GATE_SRCDIR:?}" "${GATE_BUILDDIR:?}" "${GATE_BIN:?}"
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}"
shared="${shared:-$GATE_SRCDIR/../shared}/data/kustomize-goldens.tar.xz"
dir="$GATE_BUILDDIR/bench-data"
runs=${BENCH_RUNS:-3}
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -f "$shared" ] || { echo "bench: $shared missing" >&2; exit 1; }
mkdir -p "$dir"
if [ ! -f "$dir/.kustomize-goldens.done" ]; then
	rm -rf "$dir/kustomize-goldens"
	tar xJf "$shared" -C "$dir"
	touch "$dir/.kustomize-goldens.done"
fi
root="$dir/kustomize-goldens"
: >"$dir/render-cases"
for c in "$root"/*/cases/*; do
	[ -f "$c/DIR" ] || continue
	printf '%s\t%s\n' "${c%/cases/*}/tree" "$(cat "$c/DIR")" >>"$dir/render-cases"
done
builds=$(wc -l <"$dir/render-cases")

# all builds, one process each; prints "wall user sys"
run_all() {
	/usr/bin/time -f '%e %U %S' -o "$dir/render-time" sh -c '
		bin=$1; shift
		while IFS="	" read -r tree d; do
			(cd "$tree" && "$@" "$d") >/dev/null 2>&1 || { echo "build failed: $tree $d" >&2; exit 1; }
		done <"$0"' "$dir/render-cases" "$@"
	tail -n 1 "$dir/render-time"
}

# all builds, one process per repository
run_batched() {
	/usr/bin/time -f '%e %U %S' -o "$dir/render-time" sh -c '
		for t in $(cut -f1 "$0" | sort -u); do
			(cd "$t" && awk -F "	" -v t="$t" "\$1 == t { print \$2 }" "$0" | xargs "$1" render) \
				>/dev/null || { echo "build failed in $t" >&2; exit 1; }
		done' "$dir/render-cases" "$GATE_BIN"
	tail -n 1 "$dir/render-time"
}

kubectl=$(command -v kubectl || true)
: >"$dir/render-batched"
: >"$dir/render-ours"
: >"$dir/render-kubectl"
i=1
while [ "$i" -le "$runs" ]; do
	run_all x "$GATE_BIN" render >>"$dir/render-ours"
	run_batched >>"$dir/render-batched"
	if [ -n "$kubectl" ]; then
		run_all x "$kubectl" kustomize --load-restrictor=LoadRestrictionsNone >>"$dir/render-kubectl"
	fi
	i=$((i + 1))
done

median() {
	awk '{ print $1, $2 + $3 }' "$1" | sort -n -k2 | awk -v n="$runs" -v b="$builds" -v who="$2" '
		{ wall[NR] = $1; cpu[NR] = $2 }
		END {
			m = int((n + 1) / 2)
			printf "%s: %d builds, median of %d runs: CPU %.2f s (%.2f ms a build), wall %.2f s\n",
				who, b, n, cpu[m], 1000 * cpu[m] / b, wall[m]
			print cpu[m] > "/dev/stderr"
		}'
}
median "$dir/render-ours" "gitops-gate render, a process per build" 2>"$dir/render-ours.cpu"
median "$dir/render-batched" "gitops-gate render, a process per repository" 2>/dev/null
if [ -n "$kubectl" ]; then
	median "$dir/render-kubectl" "kubectl kustomize" 2>"$dir/render-kubectl.cpu"
	awk -v a="$(cat "$dir/render-ours.cpu")" -v b="$(cat "$dir/render-kubectl.cpu")" \
		'BEGIN { printf "CPU ratio: gitops-gate uses 1/%.1f of kubectl kustomize (goal: 1/20 or less)\n", b / a }'
else
	awk -v a="$(cat "$dir/render-ours.cpu")" \
		'BEGIN { printf "kubectl not installed; against the 37 CPU-s of PERF-NOTES.md: 1/%.1f (goal: 1/20 or less)\n", 37 / a }'
fi
