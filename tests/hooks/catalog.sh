#!/bin/sh
# A gate installed with its default configuration (no schema location at
# all) judges pushes against the built-in catalog, offline: Kubernetes, Flux
# and Gateway API kinds accepted or refused, the API server's metadata rules
# and SOPS-encrypted manifests.  Real pushes over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

A="$GATE_SRCDIR/tests/cli/admission"
repo=$(make_bare server)
# the default configuration: nothing about schemas, and nothing else
rm -f "$repo/gitops-gate.yaml"
work=$(make_work w "file://$repo")

mkdir -p "$work/apps"
cp "$A/catalog.yaml" "$work/apps/shop.yaml"
git -C "$work" add apps
git -C "$work" commit -q -m "shop: Deployment, HelmRelease, HTTPRoute"
ok "Deployment, HelmRelease and HTTPRoute accepted by the catalog" push "$work" origin main
like "judged, not skipped" "$(remote_lines)" "success: refs/heads/main: 1 commit, 1 file judged"

cp "$A/catalog-bad.yaml" "$work/apps/shop.yaml"
git -C "$work" commit -q -a -m "break all three"
not_ok "broken resources refused" push "$work" origin main
out=$(remote_lines)
like "Deployment refused with the catalog's schema" "$out" \
	"apps/shop.yaml:6:13: Deployment/web: /spec/replicas: expected integer"
like "HelmRelease refused: unknown field" "$out" \
	'HelmRelease/podinfo: /spec/chartz: additional property "chartz" is not allowed'
like "HTTPRoute refused" "$out" "HTTPRoute/web: /spec/rules/0/backendRefs/0/port: "
unlike "no schema is missing" "$out" "could not find schema"
git -C "$work" reset -q --hard HEAD~1

put_file "$work" apps/svc.yaml "apiVersion: v1
kind: Service
metadata:
  name: 1web
spec:
  ports: [{port: 80}]" "a Service the API server refuses"
not_ok "metadata rules refuse a bad Service name" push "$work" origin main
like "the API server's message reaches the pusher" "$(remote_lines)" \
	'apps/svc.yaml:4:9: Service/1web: /metadata/name: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of'
git -C "$work" reset -q --hard HEAD~1

cp "$A/sops.yaml" "$work/apps/sops.yaml"
git -C "$work" add apps
git -C "$work" commit -q -m "SOPS-encrypted Secret and Deployment"
push "$work" origin main && st=0 || st=$?
is "SOPS-encrypted manifests accepted" "$st" 0
[ "$st" = 0 ] || remote_lines | sed "s/^/#   /"
unlike "the policy does not take the SOPS Secret for plaintext" "$(remote_lines)" "secret-plaintext"
is "main moved to the SOPS commit" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"

# a custom kind the catalog lacks: judged against its CRD pushed in the repository
cat >"$work/apps/widget-crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
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
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big}\n' >"$work/apps/widget.yaml"
git -C "$work" add apps
git -C "$work" commit -q -m "a CRD and a bad Widget"
not_ok "a custom resource against its pushed CRD, next to the catalog" push "$work" origin main
like "the Widget is refused by its CRD's schema" "$(remote_lines)" "apps/widget.yaml:4:14: Widget/w: /spec/size: expected integer, got string"

done_testing
