#!/bin/sh
# The repository checks see each file as their own reading of it does
# (gate_tree_facts_parse()), however the judge gathered it: from the
# engine's parse when every document root was seen there, else by reading
# the file again.  Files where the two could differ: a List the engine
# expands but the checks do not (kind "list"), a List they both expand, a
# document start marker and comments before the first document, a
# kustomization (never checked by the engine), duplicate keys (refused by
# the engine under strict, read by the checks).  Real pushes over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
work=$(make_work w "file://$repo")
put_file "$work" base/svc.yaml "$(valid_service base)" "base"
ok "a clean first push is accepted" push "$work" origin main

# kind "list" (not "List"): the engine judges its item, the checks read it as one
# object without a name, so the item is no second Service "twin"
put_file "$work" a/twin.yaml "$(valid_service twin)" "twin"
cat >"$work/a/list.yaml" <<'YAML'
apiVersion: v1
kind: list
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: twin
    spec:
      ports:
        - port: 80
YAML
git -C "$work" add a/list.yaml
git -C "$work" commit -q -m "a lowercase list"
ok "an item of a lowercase list is no duplicate" push "$work" origin main
unlike "no duplicate reported" "$(remote_lines)" "defined twice"

# kind List: both expand it; its ConfigMap is defined for the folder
mkdir -p "$work/b"
cat >"$work/b/list.yaml" <<'YAML'
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      a: b
YAML
valid_deployment web | sed 's/^    spec:$/    spec:\n      volumes:\n        - name: s\n          configMap:\n            name: settings/' >"$work/b/web.yaml"
git -C "$work" add b
git -C "$work" commit -q -m "a List and its user"
ok "a ConfigMap in a List is defined" push "$work" origin main
unlike "no missing reference" "$(remote_lines)" "which no manifest"

# a start marker and comments first; the second document refers to what nothing defines
mkdir -p "$work/c"
{
	echo "---"
	echo "# the service"
	echo ""
	valid_service first
	echo "---"
	echo "  # indented comment"
	valid_deployment second | sed 's/^    spec:$/    spec:\n      serviceAccountName: robot/'
} >"$work/c/two.yaml"
git -C "$work" add c
git -C "$work" commit -q -m "two documents"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "a missing ServiceAccount only warns" push "$work" origin main
like "the warning names the second document's place" "$(remote_lines)" \
	"warning: refs/heads/main $c: c/two.yaml:29:27: Deployment/second: /spec/template/spec/serviceAccountName: refers to ServiceAccount \"robot\", which no manifest of this folder or kustomization defines [missing-reference]"

# a kustomization's generator defines the ConfigMap its folder uses
mkdir -p "$work/k"
cat >"$work/k/kustomization.yaml" <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [app.yaml]
configMapGenerator:
  - name: generated
    literals: [a=b]
YAML
valid_deployment app | sed 's/^    spec:$/    spec:\n      volumes:\n        - name: g\n          configMap:\n            name: generated/' >"$work/k/app.yaml"
git -C "$work" add k
git -C "$work" commit -q -m "kustomization"
ok "a generated ConfigMap is defined" push "$work" origin main
unlike "no missing reference for it" "$(remote_lines)" "generated"

# duplicate keys: the engine refuses the file under strict; the checks still read it
mkdir -p "$work/d"
valid_service dupe >"$work/d/one.yaml"
{ valid_service dupe; echo "metadata:"; echo "  name: dupe"; } >"$work/d/two.yaml"
git -C "$work" add d
git -C "$work" commit -q -m "duplicate keys"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a file with duplicate keys is rejected" push "$work" origin main
like "for its keys" "$(remote_lines)" "error: refs/heads/main $c: d/two.yaml"
like "and its object is still seen twice" "$(remote_lines)" \
	"Service \"dupe\" is defined twice: also at d/one.yaml:1"

# a new branch over files judged before: their verdicts and facts come from
# the cache (or the files are read again), and the checks say the same
git -C "$work" reset -q --hard HEAD~1
c=$(git -C "$work" rev-parse --short=7 HEAD)
# (k/ holds a kustomization nobody includes: a deployment root, whose two
# files are judged through its render, which the render index spares, not
# through the file verdict cache)
ok "a new branch over judged files is accepted" push "$work" origin HEAD:refs/heads/other
like "every file from the cache" "$(remote_lines)" "success: refs/heads/other: 1 commit, 8 files judged (6 from cache), 0 problems, 1 warning"
like "the same warning" "$(remote_lines)" \
	"warning: refs/heads/other $c: c/two.yaml:29:27: Deployment/second: /spec/template/spec/serviceAccountName: refers to ServiceAccount \"robot\""
unlike "no duplicate" "$(remote_lines)" "defined twice"

done_testing
