#!/bin/sh
# bench/hooks.sh: the pre-receive gate on a repository holding the 16-copy
# fleet (about 10,000 resources).  Runs alone or from bench/run.sh.
#   (a) a push changing one manifest, warm cache: hook time p50 and p90 of 10 pushes (target p50 <= 50 ms)
#   (b) a push creating a new gated branch with the whole fleet, cold cache (target <= 1 s)
#   (c) one push of 100 commits each changing 3 files
#   (d) a second gated branch at the same commit: the whole tree, every verdict cached
#   (e) one manifest changed with no accepted revision yet: the whole tree, every verdict cached
# Hook time is the hook's own measure (GATE_TIMING: "hint: judged in N ms
# (phase ms, ...)", from reading stdin to the verdict, without process start);
# push time is git push's wall time around it.  Each result line is followed
# by where the hook's time went (for (a), in the push at the p50).  The load
# average of the machine is printed before (b) and after (d).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GATE_SRCDIR=${GATE_SRCDIR:-$(cd "$here/.." && pwd)}
GATE_BUILDDIR=${GATE_BUILDDIR:-$(pwd)}
GATE_BIN=${GATE_BIN:-$GATE_BUILDDIR/gitops-gate}
shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}"
[ -x "$GATE_BIN" ] || { echo "bench hooks: no binary at $GATE_BIN" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/gate-bench-hooks.XXXXXX")
trap 'rm -rf "$T"' EXIT
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

loadavg "before (b)"
t0=$(now_ms)
git -C "$w" push -o gitops-gate.bypass=bench origin HEAD:refs/heads/main >"$T/b.out" 2>&1 ||
	{ cat "$T/b.out"; exit 1; }
t1=$(now_ms)
b_hook=$(hook_ms "$T/b.out")
# post-receive is not run here: record the accepted revision as it would, so
# later pushes are judged since it (the tree check of issue 10)
accept() { git -C "$repo" update-ref refs/heads/gitops/accepted/main refs/heads/main; }
accept
echo "(b) new gated branch, whole fleet ($files files), cold cache: hook ${b_hook} ms, push $((t1 - t0)) ms (target <= 1000 ms)"
phases "$T/b.out"

# (a) one manifest changed, warm cache, 10 pushes
f=$(git -C "$w" ls-files '*deployment*.yaml' | head -1)
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
