#!/bin/sh
# Policy at push time beyond one resource: credentials in any pushed file,
# path ownership, repository-wide checks (duplicate objects, references
# nothing defines, CRDs committed in the repository as schemas) and the
# ratchet.  Real pushes over file://.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
# with post-receive: the accepted ref it records is what later pushes are judged against
"$GATE_BIN" install "$repo" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
work=$(make_work w "file://$repo")
put_file "$work" apps/svc.yaml "$(valid_service svc)" "base"
ok "a clean first push is accepted" push "$work" origin main
base=$(git -C "$work" rev-parse HEAD)

# ---- secrets in files that are not manifests ----
key_body=MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB
aws=AKIAQYLPMN5HHHFPZAM2
put_file "$work" deploy/id_rsa "-----BEGIN RSA PRIVATE KEY-----
$key_body
-----END RSA PRIVATE KEY-----" "a key"
put_file "$work" scripts/ci.sh "#!/bin/sh
export AWS_ACCESS_KEY_ID=$aws" "ci script"
c=$(git -C "$work" rev-parse --short=7 HEAD~1)
c2=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a private key and an aws key in non-manifest files are rejected" push "$work" origin main
is "main did not move" "$(ref_of "$repo" refs/heads/main)" "$base"
like "the private key is named by place and rule" "$(remote_lines)" \
	"error: refs/heads/main $c: deploy/id_rsa:1:1: private key block [secret-private-key]"
like "the aws key is named by place and rule" "$(remote_lines)" \
	"error: refs/heads/main $c2: scripts/ci.sh:2:26: aws access key id [secret-aws-access-key]"
unlike "the key material never appears" "$(cat "$T_DIR/push.out")" "$key_body"
unlike "the aws key never appears" "$(cat "$T_DIR/push.out")" "$aws"
git -C "$work" reset -q --hard "$base"

# ---- ownership ----
cat >"$repo/owners.yaml" <<'YAML'
owners:
- paths: ['clusters/prod/**']
  groups: [platform]
  users: [root-admin]
YAML
write_config "$repo" "policy:" "  files: [owners.yaml]"
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "prod web"
c=$(git -C "$work" rev-parse --short=7 HEAD)
REMOTE_USER=alice not_ok "a pusher outside the owners may not change clusters/prod" push "$work" origin main
like "the refusal names the path, the pusher and the owners" "$(remote_lines)" \
	"error: refs/heads/main $c: clusters/prod/web.yaml: user \"alice\" may not change this path: it is owned by user \"root-admin\", group \"platform\" [ownership]"
REMOTE_USER=alice GATE_PUSHER_GROUPS="dev, platform" ok "a member of an owning group may" push "$work" origin main
git -C "$work" rm -q clusters/prod/web.yaml
git -C "$work" commit -q -m "remove prod web"
REMOTE_USER=alice not_ok "deleting an owned file is a change too" push "$work" origin main
like "the deletion is refused" "$(remote_lines)" "clusters/prod/web.yaml: user \"alice\" may not change this path"
REMOTE_USER=root-admin ok "a listed user may delete it" push "$work" origin main
put_file "$work" apps/free.yaml "$(valid_service free)" "free path"
REMOTE_USER=alice ok "paths no owners entry matches are free" push "$work" origin main
write_config "$repo"
base=$(git -C "$work" rev-parse HEAD)

# ---- duplicate objects, missing references ----
valid_deployment dup >"$T_DIR/dup.yaml"
put_file "$work" apps/dup.yaml "$(cat "$T_DIR/dup.yaml")" "dup"
put_file "$work" apps/dup-copy.yaml "$(cat "$T_DIR/dup.yaml")" "dup again"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "the same object in two files of one folder is rejected" push "$work" origin main
like "the duplicate names the other place" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/dup-copy.yaml:1:1: Deployment/dup: Deployment \"dup\" is defined twice: also at apps/dup.yaml:1 [duplicate-object]"
git -C "$work" reset -q --hard HEAD~1
put_file "$work" other/dup.yaml "$(cat "$T_DIR/dup.yaml")" "same name, other folder"
ok "the same object in another folder (another unit) is accepted" push "$work" origin main

valid_deployment cfg | sed 's/^      containers:/      serviceAccountName: runner\n      volumes:\n        - name: conf\n          configMap: {name: cfg-settings}\n      containers:/' >"$T_DIR/cfg.yaml"
put_file "$work" apps/cfg.yaml "$(cat "$T_DIR/cfg.yaml")" "cfg with references"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "references nothing defines only warn" push "$work" origin main
like "the missing ServiceAccount is a warning" "$(remote_lines)" \
	"warning: refs/heads/main $c: apps/cfg.yaml:15:27: Deployment/cfg: /spec/template/spec/serviceAccountName: refers to ServiceAccount \"runner\", which no manifest of this folder or kustomization defines [missing-reference]"
like "so is the missing ConfigMap" "$(remote_lines)" "/spec/template/spec/volumes/0/configMap/name: refers to ConfigMap \"cfg-settings\""
put_file "$work" apps/cfg-settings.yaml "apiVersion: v1
kind: ConfigMap
metadata: {name: cfg-settings}
data: {a: b}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}" "define them"
printf '# touched\n' >>"$work/apps/cfg.yaml"
git -C "$work" commit -q -am "touch cfg"
ok "once defined in the folder" push "$work" origin main
unlike "no warning remains" "$(remote_lines)" "missing-reference"

# ---- a CRD in the repository is the schema of its custom resources ----
put_file "$work" crds/widgets.yaml "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
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
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                port: {x-kubernetes-int-or-string: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}" "widget crd"
put_file "$work" apps/widget.yaml "apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec:
  size: 3
  port: http
  extra: {anything: [1, 2]}" "a valid widget"
ok "a custom resource valid against the repository's CRD is accepted" push "$work" origin main
put_file "$work" apps/widget2.yaml "apiVersion: example.com/v1
kind: Widget
metadata: {name: w2}
spec:
  size: big" "an invalid widget"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "an invalid one is rejected" push "$work" origin main
like "with the pointer and place" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/widget2.yaml:5:9: Widget/w2: /spec/size: expected integer, got string"
git -C "$work" reset -q --hard HEAD~1
put_file "$work" apps/gadget.yaml "apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1}" "a kind no CRD defines"
not_ok "a custom resource no CRD describes still has no schema" push "$work" origin main
like "and says so" "$(remote_lines)" "could not find schema for Gadget"
git -C "$work" reset -q --hard HEAD~1

# ---- the ratchet ----
# the repository already holds a privileged container and a duplicate,
# pushed while the policy let them through
cat >"$repo/lax.yaml" <<'YAML'
checks:
  privileged: warn
YAML
write_config "$repo" "policy:" "  files: [lax.yaml]" "  repository_checks: false"
valid_deployment old | sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: true\n            privileged: true/' >"$T_DIR/old.yaml"
put_file "$work" legacy/old.yaml "$(cat "$T_DIR/old.yaml")" "legacy privileged"
put_file "$work" legacy/twin-a.yaml "$(valid_service twin)" "twin a"
put_file "$work" legacy/twin-b.yaml "$(valid_service twin)" "twin b"
ok "the lax policy lets them in" push "$work" origin main

write_config "$repo" "policy:" "  ratchet: true"
put_file "$work" apps/unrelated.yaml "$(valid_service unrelated)" "an unrelated file"
ok "with the ratchet on, an unrelated change is accepted" push "$work" origin main
sed 's/replicas: 2/replicas: 3/' "$T_DIR/old.yaml" >"$work/legacy/old.yaml"
git -C "$work" commit -q -am "scale the legacy app"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "a change to the violating object that does not add a problem is accepted" push "$work" origin main
like "the old problem is listed as grandfathered" "$(remote_lines)" \
	"warning: refs/heads/main $c: legacy/old.yaml:21:25: Deployment/old: /spec/template/spec/containers/0/securityContext/privileged: container \"old\" is privileged (grandfathered: already in"
printf '# touched\n' >>"$work/legacy/twin-b.yaml"
git -C "$work" commit -q -am "touch a twin"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "touching a file of an old duplicate is accepted" push "$work" origin main
like "the duplicate is grandfathered" "$(remote_lines)" \
	"warning: refs/heads/main $c: legacy/twin-b.yaml:1:1: Service/twin: Service \"twin\" is defined twice: also at legacy/twin-a.yaml:1 (grandfathered: already in"
before=$(git -C "$work" rev-parse HEAD)
sed 's/replicas: 3/replicas: 3\n  # x/; s/^    spec:$/    spec:\n      hostNetwork: true/' "$T_DIR/old.yaml" >"$work/legacy/old.yaml"
git -C "$work" commit -q -am "legacy on the host network"
not_ok "a new problem on the same object is rejected" push "$work" origin main
like "it is the new problem" "$(remote_lines)" "/spec/template/spec/hostNetwork: pod uses the host network"
is "main did not move" "$(ref_of "$repo" refs/heads/main)" "$before"
git -C "$work" reset -q --hard "$before"
put_file "$work" apps/priv.yaml "$(sed 's/name: old/name: priv/; s/app: old/app: priv/' "$T_DIR/old.yaml")" "a new privileged app"
not_ok "a new object with a deny problem is rejected" push "$work" origin main
like "not grandfathered" "$(remote_lines)" "error: refs/heads/main"
write_config "$repo" "policy:" "  ratchet: false"
git -C "$work" reset -q --hard "$before"
printf '# again\n' >>"$work/legacy/old.yaml"
git -C "$work" commit -q -am "touch legacy again"
not_ok "without the ratchet the old problem rejects a change to its file" push "$work" origin main

done_testing
