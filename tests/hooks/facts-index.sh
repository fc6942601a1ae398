#!/bin/sh
# The blob-facts index (<git dir>/gitops-gate/cache/facts-index and
# facts-index.delta): derived data that spares the hook reading unchanged
# blobs, and never changes a verdict.
#
# - a one-file push reads the same number of blobs however many unchanged
#   files, CRDs and kustomizations the tree holds (the pushed blob and the
#   files that may name a deployment root) (the count is the one
#   GATE_TIMING's hint reports: gate_repo_blob_reads()); without the index
#   the same push reads every manifest;
# - a push that needs the facts of unchanged files (a custom resource
#   against the CRD of the tree, a duplicate of an unchanged object, a
#   missing reference, a Flux root named by an unchanged blob, a
#   kustomization nobody includes found through the per-tree root
#   summaries) says the same
#   with the index, without it (GATE_NO_FACTS_INDEX), and after its files are
#   corrupted, truncated, stamped by another build or deleted: the bad file
#   is counted, ignored and written again.
# Real pushes over file:// (the environment reaches the hook as it is).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"
. "$GATE_SRCDIR/tests/hooks/lib-cases.sh"

command -v perl >/dev/null || skip_all "perl not installed"

crd() { # crd KIND PLURAL
	cat <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $2.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: $1, plural: $2}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
YAML
}

widget() { # widget SIZE
	printf '%s\n' "apiVersion: example.com/v1" "kind: Widget" "metadata: {name: w1}" "spec: {size: $1}"
}

# hint_field WORDS: the number before WORDS in the last push's timing hint
# ("...; 2 blobs read; facts index used: 31 loaded, 9 hits, 0 misses, 0 bad")
hint_field() {
	remote_lines | sed -n "s/^hint: judged in .*[;,:] \([0-9][0-9]*\) $1\(;.*\|,.*\)\{0,1\}\$/\1/p"
}

# verdict_lines: the last push's lines without the timing hint
verdict_lines() {
	remote_lines | grep -v '^hint: judged in '
}

new_case idx file
work=$W
cache="$R/gitops-gate/cache"
export GATE_TIMING=1

mkdir -p "$work/crds" "$work/apps/web" "$work/clusters/prod"
crd Widget widgets >"$work/crds/widget.yaml"
for i in 1 2 3 4; do
	mkdir -p "$work/apps/a$i"
	valid_service "s$i" >"$work/apps/a$i/svc.yaml"
	valid_deployment "d$i" >"$work/apps/a$i/dep.yaml"
done
widget 3 >"$work/apps/a1/w.yaml"
valid_deployment web >"$work/apps/web/deploy.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - deploy.yaml" \
	>"$work/apps/web/kustomization.yaml"
{ flux_ks web ./apps/web; printf '%s\n' "  postBuild:" "    substitute:" "      TAG: latest"; } \
	>"$work/clusters/prod/web.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "base"
ok "the base is accepted" push "$work" origin main
is "the accepted ref is recorded" "$(accepted_ref)" "$(git -C "$work" rev-parse HEAD)"
ok "the index is written beside the verdict cache" test -s "$cache/facts-index"

# --- a one-file push reads no unchanged blob: the count does not grow with the tree
valid_service s4 | sed 's/port: 80/port: 81/' >"$work/apps/a4/svc.yaml"
git -C "$work" commit -q -am "one service"
ok "a one-file push is accepted" push "$work" origin main
plain1=$(hint_field "blobs read")
like "the index is used" "$(remote_lines)" "facts index used: "
widget 4 >"$work/apps/a1/w.yaml"
git -C "$work" commit -q -am "one widget"
ok "a one-file custom resource push is accepted" push "$work" origin main
cr1=$(hint_field "blobs read")

# the tree grows: more folders, a CRD of another kind, a kustomization
for i in 5 6 7 8 9 10 11 12; do
	mkdir -p "$work/more/m$i"
	valid_service "s$i" >"$work/more/m$i/svc.yaml"
	valid_deployment "d$i" >"$work/more/m$i/dep.yaml"
done
crd Gadget gadgets >"$work/crds/gadget.yaml"
printf '%s\n' "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:" "  - svc.yaml" "  - dep.yaml" \
	>"$work/more/m5/kustomization.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "17 more files"
ok "the larger tree is accepted" push "$work" origin main

valid_service s4 | sed 's/port: 80/port: 82/' >"$work/apps/a4/svc.yaml"
git -C "$work" commit -q -am "one service again"
ok "the next one-file push is accepted" push "$work" origin main
plain2=$(hint_field "blobs read")
widget 5 >"$work/apps/a1/w.yaml"
git -C "$work" commit -q -am "one widget again"
ok "the next custom resource push is accepted" push "$work" origin main
# the CRD search reads once the unchanged files only a render judged so far
# (more/m5 is a kustomization nobody includes: a root): count the next push
widget 6 >"$work/apps/a1/w.yaml"
git -C "$work" commit -q -am "one widget once more"
ok "and the one after" push "$work" origin main
cr2=$(hint_field "blobs read")
ok "blob reads are counted ($plain1, $cr1)" test -n "$plain1" -a -n "$cr1"
is "a one-file push reads as many blobs in the larger tree" "$plain2" "$plain1"
is "a custom resource push too (the pushed file and its CRD)" "$cr2" "$cr1"
# the pushed blob, scanned and judged, and the one file that names a root (scanned each push)
ok "at most the pushed blob twice and the Flux object ($plain2)" test "$plain2" -le 3
ok "at most one more for the CRD, and the resource judged again ($cr2)" test "$cr2" -le 5

widget 8 >"$work/apps/a1/w.yaml"
git -C "$work" commit -q -am "a widget without the index"
GATE_NO_FACTS_INDEX=1 push "$work" origin main || true
like "GATE_NO_FACTS_INDEX judges without the index" "$(remote_lines)" "facts index unused"
noidx=$(hint_field "blobs read")
ok "without it the same push reads the tree's manifests ($noidx)" test "${noidx:-0}" -ge 30

# --- one push that needs the facts of unchanged files
widget '"big"' >"$work/apps/a1/w.yaml"
valid_service s2 >"$work/apps/a2/dup.yaml"
valid_deployment robot | sed 's/^    spec:$/    spec:\n      serviceAccountName: robot/' >"$work/apps/a3/robot.yaml"
valid_deployment web | sed 's/nginx:1.25/nginx:${TAG:=1.25}/' >"$work/apps/web/deploy.yaml"
valid_deployment d5 | sed 's/nginx:1.25/nginx:latest/' >"$work/more/m5/dep.yaml"
git -C "$work" add -A
git -C "$work" commit -q -m "five problems"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "the push is rejected" push "$work" origin main
want=$(verdict_lines)
like "the custom resource against the tree's CRD" "$want" \
	"error: refs/heads/main $c: apps/a1/w.yaml:4:14: Widget/w1: /spec/size: expected integer, got string"
like "the duplicate of an unchanged file" "$want" "also at apps/a2/svc.yaml:1"
like "the missing reference" "$want" "apps/a3/robot.yaml"
like "the Flux root an unchanged file names" "$want" \
	"error: refs/heads/main $c: apps/web: apps/web/deploy.yaml:17:18: Deployment/web: /spec/template/spec/containers/0/image: "
like "the kustomization nobody includes (a root found through the per-tree summaries)" "$want" \
	"error: refs/heads/main $c: more/m5: more/m5/dep.yaml:17:18: Deployment/d5: /spec/template/spec/containers/0/image: "
is "the ref did not move" "$(ref_of "$R" refs/heads/main)" "$(git -C "$work" rev-parse HEAD~1)"

GATE_NO_FACTS_INDEX=1 push "$work" origin main || true
is "the same without the index" "$(verdict_lines)" "$want"

# damage MODE: break the index files as MODE says
damage() {
	for _f in "$cache/facts-index" "$cache/facts-index.delta"; do
		[ -f "$_f" ] || continue
		_size=$(wc -c <"$_f")
		# the table starts after three header lines
		_hdr=$(head -n 3 "$_f" | wc -c)
		case $1 in
		table) printf 'XXXXXXXX' | dd of="$_f" bs=1 seek=$((_hdr + 4)) conv=notrunc 2>/dev/null ;;
		texts) # every text fails its sum (the table's own sum still holds)
			_dl=$(sed -n '3s/^count [0-9]* \([0-9]*\) .*/\1/p' "$_f")
			head -c "$_dl" /dev/zero | tr '\0' X | dd of="$_f" bs=1 seek=$((_size - _dl)) conv=notrunc 2>/dev/null ;;
		truncated) head -c $((_size / 2)) "$_f" >"$T_DIR/half" && mv "$T_DIR/half" "$_f" ;;
		stamp) perl -pi -e 's/^stamp facts /stamp other /' "$_f" ;;
		header) printf 'not an index\n' >"$_f" ;;
		deleted) rm -f "$_f" ;;
		esac
	done
}

# index_sum: a sum of both index files (to see them written again)
index_sum() {
	cat "$cache/facts-index" "$cache/facts-index.delta" 2>/dev/null | cksum
}

# wait_rewritten SUM: until the index differs from SUM (a push with many new
# records writes them from a detached child after answering), at most 10 s
wait_rewritten() {
	_n=0
	while [ "$(index_sum)" = "$1" ] && [ $_n -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}

for mode in table texts truncated stamp header deleted; do
	ok "$mode: the index files exist" test -f "$cache/facts-index"
	damage "$mode"
	damaged=$(index_sum)
	push "$work" origin main || true
	wait_rewritten "$damaged"
	ok "$mode: the index is written again" test "$(index_sum)" != "$damaged"
	is "$mode: the same verdicts" "$(verdict_lines)" "$want"
	bad=$(hint_field bad)
	case $mode in
	deleted) ;;
	*) ok "$mode: the bad file is counted ($bad)" test "${bad:-0}" -ge 1 ;;
	esac
	push "$work" origin main || true
	is "$mode: the same verdicts again" "$(verdict_lines)" "$want"
	is "$mode: the rewritten index is good" "$(hint_field bad)" "0"
	ok "$mode: and used ($(hint_field loaded) loaded)" test "$(hint_field loaded)" -ge 10
done
is "no push got in" "$(ref_of "$R" refs/heads/main)" "$(git -C "$work" rev-parse HEAD~1)"

done_testing
