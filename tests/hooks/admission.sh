#!/bin/sh
# Admission semantics in the hook: CEL rules (x-kubernetes-validations) and
# list topology of CRD schemas are judged at push time, as the API server
# will judge them.  The real Flux HelmRelease schema of the catalog refuses a
# release with both chart and chartRef; a pushed CRD's own rule and list-map
# keys apply to its custom resources.  Real pushes over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
catalog="$HK_DATA/flux-schema-catalog/catalog/latest/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
write_config "$repo"
sed -i "s|^      - \"$HK_CRD\"|&\n      - \"$catalog\"|" "$repo/gitops-gate.yaml"
work=$(make_work w "file://$repo")

release() { # release EXTRA: a HelmRelease with a chart template and EXTRA lines under spec
	cat <<YAML
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: default}
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef: {kind: HelmRepository, name: podinfo}
$1
YAML
}

put_file "$work" apps/release.yaml "$(release "  chartRef: {kind: OCIRepository, name: podinfo}")" "chart and chartRef"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a HelmRelease with both chart and chartRef is rejected" push "$work" origin main
is "with the CRD's message, at spec" "$(remote_lines | sed -n 1p)" \
	"error: refs/heads/main $c: apps/release.yaml:5:3: HelmRelease/podinfo: /spec: Invalid value: \"object\": either chart or chartRef must be set"
rm -rf "$work"
work=$(make_work w "file://$repo")

put_file "$work" apps/release.yaml "$(release "  install: {strategy: {name: RemediateOnFailure, retryInterval: 5m}}")" "install strategy"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a rule on a nested object is judged too" push "$work" origin main
is "the nested rule's message" "$(remote_lines | sed -n 1p)" \
	"error: refs/heads/main $c: apps/release.yaml:10:23: HelmRelease/podinfo: /spec/install/strategy: Invalid value: \"object\": .retryInterval cannot be set when .name is 'RemediateOnFailure'"
rm -rf "$work"
work=$(make_work w "file://$repo")

put_file "$work" apps/release.yaml "$(release "  install: {strategy: {name: RetryOnFailure, retryInterval: 5m}}")" "a good release"
ok "a release that keeps the rules is accepted" push "$work" origin main

# a pushed CRD: its CEL rule and its list-map keys
put_file "$work" crds/widget.yaml "apiVersion: apiextensions.k8s.io/v1
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
            spec:
              type: object
              x-kubernetes-validations:
                - rule: self.min <= self.max
                  message: min must not exceed max
              properties:
                min: {type: integer}
                max: {type: integer}
                ports:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items:
                    type: object
                    required: [name]
                    properties: {name: {type: string}, port: {type: integer}}" "a CRD with a rule"
ok "the CRD is accepted" push "$work" origin main
put_file "$work" apps/widget.yaml "apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec:
  min: 5
  max: 2
  ports:
    - {name: http, port: 80}
    - {name: http, port: 8080}" "a bad widget"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a custom resource breaking its CRD's rule and list keys is rejected" push "$work" origin main
is "the rule, at spec" "$(remote_lines | grep 'Invalid value')" \
	"error: refs/heads/main $c: apps/widget.yaml:5:3: Widget/w1: /spec: Invalid value: \"object\": min must not exceed max"
is "the duplicate key" "$(remote_lines | grep 'Duplicate value')" \
	"error: refs/heads/main $c: apps/widget.yaml:9:7: Widget/w1: /spec/ports/1: Duplicate value: {\"name\":\"http\"}"
done_testing
