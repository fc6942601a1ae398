#!/bin/sh
# Custom resources judged again against the CRDs of the pushed tree: each
# wanted kind has its own set, used together; a file judged again keeps its
# other verdicts once (a broken document next to the custom resource counts
# once, not twice).  Real pushes over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

crd() { # crd KIND PLURAL SIZE-TYPE
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
            spec: {type: object, properties: {size: {type: $3}}}
YAML
}

repo=$(make_bare server)
work=$(make_work w "file://$repo")
mkdir -p "$work/crds"
crd Widget widgets integer >"$work/crds/widget.yaml"
crd Gizmo gizmos string >"$work/crds/gizmo.yaml"
git -C "$work" add crds
git -C "$work" commit -q -m "two CRDs"
ok "the CRDs are accepted" push "$work" origin main

# two kinds in one commit: each against its own CRD
put_file "$work" apps/widget.yaml "apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}" "a widget"
put_file "$work" apps/gizmo.yaml "apiVersion: example.com/v1
kind: Gizmo
metadata: {name: g1}
spec: {size: 3}" "a gizmo"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a gizmo with a number for a string is rejected" push "$work" origin main
is "only the gizmo, against its CRD" "$(remote_lines | sed -n 1p)" \
	"error: refs/heads/main $c: apps/gizmo.yaml:4:14: Gizmo/g1: /spec/size: expected string, got integer"
like "one problem" "$(remote_lines)" "error: push rejected: 1 problem in 1 file of 1 commit"
git -C "$work" reset -q --hard HEAD~2

# a broken document beside a widget: its error once
put_file "$work" apps/w.yaml "key: [unclosed
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}" "a widget and a broken document"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "the broken document rejects the push" push "$work" origin main
is "its error is said once" "$(remote_lines)" \
"error: refs/heads/main $c: apps/w.yaml:2:1: error: did not find expected ',' or ']' while parsing a flow sequence started at line 1
error: push rejected: 1 problem in 1 file of 1 commit
hint: check the files before pushing with: gitops-gate validate -strict -kubernetes-version 1.32.2 FILE..."

done_testing
