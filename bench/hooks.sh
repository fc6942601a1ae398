#!/bin/sh
# bench/hooks.sh: the pre-receive gate on a repository holding the 16-copy
# fleet (about 10,000 resources).  Runs alone or from bench/run.sh.
#   (a) a push changing one manifest, warm cache: hook time p50 and p90 of 10 pushes (target p50 <= 50 ms)
#   (b) a push creating a new gated branch with the whole fleet, cold cache (target <= 1 s)
#   (c) one push of 100 commits each changing 3 files
#   (d) a second gated branch at the same commit: the whole tree, every verdict cached
#   (e) one manifest changed with no accepted revision yet: the whole tree, every verdict cached
# Then the blob-facts index side by side, the same pushes judged with it and
# without it (GATE_NO_FACTS_INDEX=1) in turn, medians of BENCH_RUNS (7) each:
#   (f) one file changed under a base shared by BENCH_OVERLAYS (50) overlays
#       in the 16-copy fleet (target hook p50 <= 60 ms)
#   (g) one file of a kind without a built-in schema whose CRD is in the
#       repository (a ServiceMonitor) at the BENCH_BIG_COPIES (64)-copy fleet
#       (target hook p50 <= 50 ms)
#   (h) the first push of that fleet, cold cache (vs the default time budget,
#       4000 ms; the bench allows 600 s so the push finishes)
#   (i) one manifest changed in the 16-copy fleet (as (a))
# BENCH_HOOKS_ONLY=index skips (a)-(e); BENCH_BIG_COPIES=0 skips (g) and (h).
# Hook time is the hook's own measure (GATE_TIMING: "hint: judged in N ms
# (phase ms, ...); cpu N ms; N blobs read; N reads shared; ...", from reading stdin to the
# verdict, without process start; cpu is the hook process's user + sys);
# push time is git push's wall time around it.  Each result line is followed
# by where the hook's time went (for (a), in the push at the p50).  The load
# average of the machine is printed before (b) and after (d).  Never fails
# on time: it reports.  Data lives under $GATE_BUILDDIR/bench-data.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GATE_SRCDIR=${GATE_SRCDIR:-$(cd "$here/.." && pwd)}
GATE_BUILDDIR=${GATE_BUILDDIR:-$(pwd)}
GATE_BIN=${GATE_BIN:-$GATE_BUILDDIR/gitops-gate}
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}"
[ -x "$GATE_BIN" ] || { echo "bench hooks: no binary at $GATE_BIN" >&2; exit 1; }

mkdir -p "$GATE_BUILDDIR/bench-data"
T=$(mktemp -d "$GATE_BUILDDIR/bench-data/hooks.XXXXXX")
trap 'rm -rf "${T:?}"' EXIT
runs=${BENCH_RUNS:-7}
overlays=${BENCH_OVERLAYS:-50}
big=${BENCH_BIG_COPIES:-64}
export HOME="$T/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global user.name bench
git config --global user.email bench@example.com
git config --global protocol.file.allow always

now_ms() { date +%s%3N; }
# the machine is shared: say how busy it was around the measures
loadavg() { echo "bench hooks: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) ($1)"; }
hook_ms() { sed -n 's/^remote: hint: judged in \([0-9]*\) ms.*/\1/p' "$1" | tail -1; }
phases() { sed -n 's/^remote: hint: judged in [0-9]* ms (\(.*\)).*/    \1/p' "$1" | tail -1; }

echo "bench hooks: preparing the fleet and schemas in $T"
"$shared/scripts/make-fleet" 16 "$T/work/fleet" >/dev/null
mkdir -p "$T/data/k8s" "$T/data/crd"
tar xJf "$shared/data/kubernetes-schemas-v1.32.2.tar.xz" -C "$T/data/k8s"
tar xJf "$shared/data/crd-schemas.tar.xz" -C "$T/data/crd"

# the config schemas: the source folder, with stand-ins for files not written yet
sd="$T/schemas"
mkdir -p "$sd"
cp "$GATE_SRCDIR"/schemas/*.json "$sd/"
for f in notify.schema.json policy-config.schema.json; do
	[ -f "$sd/$f" ] || echo '{"definitions": {"clusters": {}, "notify": {}, "policy": {}}}' >"$sd/$f"
done

repo="$T/server.git"
git init -q --bare "$repo"
"$GATE_BIN" install "$repo" --schema-dir "$sd" --no-config >/dev/null
rm -f "$repo/hooks/post-receive"
cat >"$repo/gitops-gate.yaml" <<EOF
version: 1
schemas:
  - kubernetes_version: 1.32.2
    strict: true
    ignore_missing_schemas: true
    locations:
      - "$T/data/k8s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
      - "$T/data/crd/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
limits: {time_budget_ms: 120000, max_problems_shown: 5}
bypass: {allowed: [bench]}
EOF
# The fleet is real-world input with some invalid files: the bench pushes with
# a bypass so every push is accepted after the full evaluation.
export REMOTE_USER=bench GATE_TIMING=1
w="$T/work"
git -C "$w" init -q
git -C "$w" remote add origin "file://$repo"
git -C "$w" add -A
git -C "$w" commit -q -m fleet
files=$(git -C "$w" ls-files | wc -l)
# send the objects under an ungated ref first, so (b) measures judging, not transfer
git -C "$w" push -q origin HEAD:refs/bench/base 2>/dev/null

# settle REPO: wait (at most 300 s) while a process works in REPO (the
# hook's detached child that writes many verdicts after answering), so that
# it neither races a cold start nor loads the next measure
settle() {
	_r=$(cd "$1" && pwd -P)
	_n=0
	while [ $_n -lt 3000 ]; do
		_busy=0
		for _p in /proc/[0-9]*; do
			if [ "$(readlink "$_p/cwd" 2>/dev/null)" = "$_r" ]; then
				_busy=1
				break
			fi
		done
		[ $_busy = 0 ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
}
loadavg "before (b)"
t0=$(now_ms)
git -C "$w" push -o gitops-gate.bypass=bench origin HEAD:refs/heads/main >"$T/b.out" 2>&1 ||
	{ cat "$T/b.out"; exit 1; }
t1=$(now_ms)
b_hook=$(hook_ms "$T/b.out")
# post-receive is not run here: record the accepted revision as it would, so
# later pushes are judged since it (the tree check of issue 10)
accept() { git -C "${1:-$repo}" update-ref refs/heads/gitops/accepted/main refs/heads/main; }
accept
echo "(b) new gated branch, whole fleet ($files files), cold cache: hook ${b_hook} ms, push $((t1 - t0)) ms (target <= 1000 ms)"
# the verdicts are written by the hook's detached child: let it finish first
settle "$repo"
phases "$T/b.out"

f=$(git -C "$w" ls-files '*deployment*.yaml' | head -1)
if [ "${BENCH_HOOKS_ONLY:-}" != index ]; then
# (a) one manifest changed, warm cache, 10 pushes
: >"$T/a.times"
i=1
while [ $i -le 10 ]; do
	printf '# change %d\n' "$i" >>"$w/$f"
	git -C "$w" commit -q -am "change $i"
	t0=$(now_ms)
	git -C "$w" push -o gitops-gate.bypass=bench origin HEAD:refs/heads/main >"$T/a.out" 2>&1 ||
		{ cat "$T/a.out"; exit 1; }
	t1=$(now_ms)
	accept
	echo "$(hook_ms "$T/a.out") $((t1 - t0)) $(phases "$T/a.out" | sed "s/^ *//" | tr " " ":")" >>"$T/a.times"
	i=$((i + 1))
done
# p50 and p90 of 10: the 5th and 9th value in order
a_hook=$(cut -d' ' -f1 "$T/a.times" | sort -n | sed -n 5p)
a_hook90=$(cut -d' ' -f1 "$T/a.times" | sort -n | sed -n 9p)
a_push=$(cut -d' ' -f2 "$T/a.times" | sort -n | sed -n 5p)
a_push90=$(cut -d' ' -f2 "$T/a.times" | sort -n | sed -n 9p)
echo "(a) one manifest changed, warm cache: hook p50 ${a_hook} ms p90 ${a_hook90} ms, push p50 ${a_push} ms p90 ${a_push90} ms (target p50 <= 50 ms)"
echo "    $(sort -n "$T/a.times" | sed -n 5p | cut -d' ' -f3 | tr ":" " ")"

# (c) 100 commits each changing 3 files
git -C "$w" ls-files '*.yaml' | head -300 >"$T/c.files"
i=1
while [ $i -le 100 ]; do
	sed -n "$((3 * i - 2)),$((3 * i))p" "$T/c.files" | while read -r p; do
		printf '# commit %d\n' "$i" >>"$w/$p"
	done
	git -C "$w" commit -q -am "c$i"
	i=$((i + 1))
done
t0=$(now_ms)
git -C "$w" push -o gitops-gate.bypass=bench origin HEAD:refs/heads/main >"$T/c.out" 2>&1 ||
	{ cat "$T/c.out"; exit 1; }
t1=$(now_ms)
echo "(c) 100 commits x 3 files: hook $(hook_ms "$T/c.out") ms, push $((t1 - t0)) ms"
phases "$T/c.out"

# (e) one manifest changed with nothing accepted yet (the first push after
# install to a branch with history): the whole tree is judged, every verdict cached
git -C "$repo" update-ref -d refs/heads/gitops/accepted/main
printf '# change e\n' >>"$w/$f"
git -C "$w" commit -q -am "change e"
t0=$(now_ms)
git -C "$w" push -o gitops-gate.bypass=bench origin HEAD:refs/heads/main >"$T/e.out" 2>&1 ||
	{ cat "$T/e.out"; exit 1; }
t1=$(now_ms)
accept
echo "(e) one manifest changed, nothing accepted yet (whole tree, warm cache): hook $(hook_ms "$T/e.out") ms, push $((t1 - t0)) ms"
phases "$T/e.out"

# (d) a second gated branch at the same commit: the whole tree again, every verdict cached
t0=$(now_ms)
git -C "$w" push -o gitops-gate.bypass=bench origin HEAD:refs/heads/other >"$T/d.out" 2>&1 ||
	{ cat "$T/d.out"; exit 1; }
t1=$(now_ms)
echo "(d) new gated branch over judged blobs (whole tree, warm cache): hook $(hook_ms "$T/d.out") ms, push $((t1 - t0)) ms"
phases "$T/d.out"
loadavg "after (d)"
fi

# ---- the blob-facts index, side by side
cpu_ms() { sed -n 's/^remote: hint: judged in .*; cpu \([0-9]*\) ms;.*/\1/p' "$1" | tail -1; }
blob_reads() { sed -n 's/^remote: hint: judged in .*; \([0-9]*\) blobs read;.*/\1/p' "$1" | tail -1; }
# reads the blob memo answered (0 from a build that does not print them)
blob_shared() { sed -n 's/^remote: hint: judged in .*; \([0-9]*\) reads shared;.*/\1/p' "$1" | tail -1 | grep . || echo 0; }
# median FILE COLUMN: the middle value of a column of numbers
median() {
	_n=$(wc -l <"$1")
	cut -d' ' -f"$2" "$1" | sort -n | sed -n "$(((_n + 1) / 2))p"
}
# gate_push WORK REPO INDEX(on|off) OUT [REF]: one bypassed push, its line of
# "hook-ms cpu-ms blobs push-ms background-ms shared-reads" appended to OUT.times, then
# accepted (background: until the hook's detached child is done)
gate_push() {
	_t0=$(now_ms)
	if [ "$3" = on ]; then
		git -C "$1" push -o gitops-gate.bypass=bench origin "HEAD:${5:-refs/heads/main}" >"$4.out" 2>&1 ||
			{ cat "$4.out"; exit 1; }
	else
		GATE_NO_FACTS_INDEX=1 git -C "$1" push -o gitops-gate.bypass=bench origin "HEAD:${5:-refs/heads/main}" \
			>"$4.out" 2>&1 || { cat "$4.out"; exit 1; }
	fi
	_t1=$(now_ms)
	accept "$2"
	settle "$2"
	echo "$(hook_ms "$4.out") $(cpu_ms "$4.out") $(blob_reads "$4.out") $((_t1 - _t0)) $(($(now_ms) - _t1)) $(blob_shared "$4.out")" >>"$4.times"
	# where the time went, kept per push: the one at the median is shown
	echo "$(hook_ms "$4.out") $(phases "$4.out" | sed 's/^ *//')" >>"$4.phases"
}
# side LABEL TARGET: the medians of $T/on and $T/off, side by side
side() {
	_on_hook=$(median "$T/on.times" 1)
	echo "$1:"
	echo "    index:    hook p50 ${_on_hook} ms wall, $(median "$T/on.times" 2) ms CPU, $(median "$T/on.times" 3) blobs read ($(median "$T/on.times" 6) reads shared); push p50 $(median "$T/on.times" 4) ms"
	echo "    no index: hook p50 $(median "$T/off.times" 1) ms wall, $(median "$T/off.times" 2) ms CPU, $(median "$T/off.times" 3) blobs read ($(median "$T/off.times" 6) reads shared); push p50 $(median "$T/off.times" 4) ms"
	if [ -n "$2" ]; then
		if [ "$(median "$T/on.times" 2)" -le "$2" ] && [ "$_on_hook" -le "$2" ]; then
			echo "    target hook p50 <= $2 ms: met (wall and CPU)"
		elif [ "$(median "$T/on.times" 2)" -le "$2" ]; then
			echo "    target hook p50 <= $2 ms: met in CPU, not in wall (load $(cut -d' ' -f1 /proc/loadavg))"
		else
			echo "    target hook p50 <= $2 ms: OVER"
		fi
	fi
	echo "    index, at the median: $(sort -n "$T/on.phases" | sed -n "$(((runs + 1) / 2))p" | cut -d' ' -f2-)"
}
# one_file LABEL WORK REPO FILE TARGET: runs pushes changing FILE, with and
# without the index in turn (which goes first alternates)
one_file() {
	: >"$T/on.times"
	: >"$T/off.times"
	: >"$T/on.phases"
	: >"$T/off.phases"
	_i=1
	while [ $_i -le "$runs" ]; do
		if [ $((_i % 2)) = 1 ]; then _order="on off"; else _order="off on"; fi
		for _m in $_order; do
			printf '# %s %d\n' "$_m" "$_i" >>"$2/$4"
			git -C "$2" commit -q -am "$_m $_i"
			gate_push "$2" "$3" "$_m" "$T/$_m"
		done
		_i=$((_i + 1))
	done
	side "$1" "$5"
}

# (f) a base shared by 50 overlays (each a deployment root), in the 16-copy fleet
ob="$w/overlay-bench"
mkdir -p "$ob/base"
cat >"$ob/base/deploy.yaml" <<'__YAML__'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 100m, memory: 64Mi}
          livenessProbe:
            httpGet: {path: /, port: 80}
          readinessProbe:
            httpGet: {path: /, port: 80}
__YAML__
printf '%s\n' "apiVersion: v1" "kind: Service" "metadata:" "  name: web" "spec:" "  selector: {app: web}" \
	"  ports: [{port: 80}]" >"$ob/base/service.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources: [deploy.yaml, service.yaml]" \
	>"$ob/base/kustomization.yaml"
# each overlay is deployed by a Flux Kustomization of its own
mkdir -p "$ob/clusters"
k=1
while [ $k -le "$overlays" ]; do
	o=$(printf 'o%02d' "$k")
	mkdir -p "$ob/overlays/$o"
	printf '%s\n' "apiVersion: kustomize.toolkit.fluxcd.io/v1" "kind: Kustomization" "metadata:" "  name: $o" \
		"  namespace: flux-system" "spec:" "  interval: 10m0s" "  sourceRef: {kind: GitRepository, name: flux-system}" \
		"  path: ./overlay-bench/overlays/$o" "  prune: true" >"$ob/clusters/$o.yaml"
	printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources: [../../base]" \
		"namePrefix: $o-" "namespace: team-$o" "commonLabels: {overlay: $o}" \
		"images: [{name: nginx, newTag: \"1.25.$k\"}]" >"$ob/overlays/$o/kustomization.yaml"
	k=$((k + 1))
done
git -C "$w" add overlay-bench
git -C "$w" commit -q -m "a base and $overlays overlays"
: >"$T/setup.times"
: >"$T/setup.phases"
gate_push "$w" "$repo" on "$T/setup"
echo "(f) setup: the base and $overlays overlays pushed: hook $(hook_ms "$T/setup.out") ms, $(cpu_ms "$T/setup.out") ms CPU"
sed -n 's/^remote: \(success: refs\/heads\/main: .*\)/    \1/p' "$T/setup.out"
loadavg "before (f)"
one_file "(f) one file under a base shared by $overlays overlays, 16-copy fleet ($runs pushes each)" \
	"$w" "$repo" overlay-bench/base/deploy.yaml 60

# (i) one manifest changed, no root reaches it
one_file "(i) one manifest changed, 16-copy fleet ($runs pushes each)" "$w" "$repo" "$f" ""
loadavg "after (i)"

[ "$big" -gt 0 ] || exit 0
# (h) the first push of the big fleet, cold cache, then (g) on it
echo "bench hooks: preparing the $big-copy fleet"
bw="$T/big"
"$shared/scripts/make-fleet" "$big" "$bw" >/dev/null
brepo="$T/big.git"
git init -q --bare "$brepo"
"$GATE_BIN" install "$brepo" --schema-dir "$sd" --no-config >/dev/null
rm -f "$brepo/hooks/post-receive"
# no CRD catalog: custom resources are judged against the CRDs of the tree
cat >"$brepo/gitops-gate.yaml" <<EOF
version: 1
schemas:
  - kubernetes_version: 1.32.2
    strict: true
    ignore_missing_schemas: true
    locations:
      - "$T/data/k8s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
limits: {time_budget_ms: 600000, max_problems_shown: 5}
bypass: {allowed: [bench]}
EOF
git -C "$bw" init -q
git -C "$bw" remote add origin "file://$brepo"
git -C "$bw" add -A
git -C "$bw" commit -q -m fleet
bfiles=$(git -C "$bw" ls-files | wc -l)
git -C "$bw" push -q origin HEAD:refs/bench/base 2>/dev/null
: >"$T/on.times"
: >"$T/off.times"
: >"$T/on.phases"
: >"$T/off.phases"
loadavg "before (h)"
for m in off on; do
	# a cold start: no verdicts, no index, no branch
	rm -rf "${brepo:?}/gitops-gate/cache"
	git -C "$brepo" update-ref -d refs/heads/main 2>/dev/null || true
	git -C "$brepo" update-ref -d refs/heads/gitops/accepted/main 2>/dev/null || true
	gate_push "$bw" "$brepo" "$m" "$T/$m"
done
echo "(h) first push of the $big-copy fleet ($bfiles files), cold cache (one push each):"
for m in on off; do
	read -r hk cpu rd pw bg shr <"$T/$m.times"
	if [ "$hk" -le 4000 ]; then verdict="within"; else verdict="OVER"; fi
	echo "    $(if [ $m = on ]; then echo "index:   "; else echo "no index:"; fi) hook ${hk} ms wall, ${cpu} ms CPU, $rd blobs read ($shr reads shared); push ${pw} ms, then ${bg} ms writing verdicts in the background; $verdict the default budget (4000 ms)"
done
echo "    index: $(cut -d' ' -f2- "$T/on.phases")"
loadavg "after (h)"

# (g) a ServiceMonitor: no built-in schema, its CRD in the tree (64 copies of it)
sm=$(git -C "$bw" ls-files 'cluster-01/*serviceMonitor*.yaml' | head -1)
[ -n "$sm" ] || { echo "bench hooks: no ServiceMonitor in the fleet" >&2; exit 1; }
one_file "(g) one custom resource ($sm), its CRD in the tree, $big-copy fleet ($runs pushes each)" \
	"$bw" "$brepo" "$sm" 50
loadavg "after (g)"
