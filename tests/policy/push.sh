#!/bin/sh
# Policy on real pushes: built-in deny checks reject, warn checks print
# warnings and accept, annotation suppressions are off unless the server grants
# them and then need a reason and an expiry, custom rules
# come from server-side policy files named in the config, plaintext Secrets
# are rejected without echoing their values.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
# with post-receive: the accepted ref it records is what later pushes are judged against
"$GATE_BIN" install "$repo" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
work=$(make_work w "file://$repo")
put_file "$work" apps/svc.yaml "$(valid_service svc)" "base"
ok "a clean first push is accepted" push "$work" origin main
base=$(git -C "$work" rev-parse HEAD)

# a privileged container: denied by the built-in check
valid_deployment web | sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: true\n            privileged: true/' >"$T_DIR/web.yaml"
put_file "$work" apps/web.yaml "$(cat "$T_DIR/web.yaml")" "privileged web"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a privileged container is rejected" push "$work" origin main
like "the problem names place and check" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/web.yaml:21:25: Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: container \"web\" is privileged"
is "main did not move" "$(ref_of "$repo" refs/heads/main)" "$base"

# an annotation with a reason and an expiry, under the default config:
# in-content waivers are off, so still rejected, and it says why
git -C "$work" reset -q --hard "$base"
sed 's/^  name: web$/  name: web\n  annotations:\n    gitops-gate.io\/ignore: privileged\n    gitops-gate.io\/ignore-reason: the node agent needs raw devices\n    gitops-gate.io\/ignore-expires: "2099-12-31"/' "$T_DIR/web.yaml" >"$T_DIR/web3.yaml"
put_file "$work" apps/web.yaml "$(cat "$T_DIR/web3.yaml")" "privileged web, waived in the file"
not_ok "by default an annotation waives nothing" push "$work" origin main
like "it says waivers are off" "$(remote_lines)" "(annotation suppressions are off on this server)"
is "main did not move" "$(ref_of "$repo" refs/heads/main)" "$base"

# the server grants privileged waivers under apps/: without a reason, not honoured
write_config "$repo" "policy:" "  suppressions:" "    annotations:" \
	"      - {checks: [privileged], paths: ['apps/**']}"
git -C "$work" reset -q --hard "$base"
grep -v ignore-reason "$T_DIR/web3.yaml" >"$T_DIR/web2.yaml"
put_file "$work" apps/web.yaml "$(cat "$T_DIR/web2.yaml")" "privileged web, no reason"
not_ok "an annotation without a reason does not suppress" push "$work" origin main
like "it says what is missing" "$(remote_lines)" "(suppression not honoured: it needs a gitops-gate.io/ignore-reason annotation)"
git -C "$work" reset -q --hard "$base"

# with a reason and an expiry, where granted: accepted
put_file "$work" apps/web.yaml "$(cat "$T_DIR/web3.yaml")" "with a reason"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "a granted annotation with a reason and an expiry suppresses" push "$work" origin main
like "the suppression is listed, with the check id" "$(remote_lines)" \
	"hint: refs/heads/main $c: apps/web.yaml:25:25: Deployment/web: /spec/template/spec/containers/0/securityContext/privileged: suppressed: container \"web\" is privileged (annotation until 2099-12-31: the node agent needs raw devices) [privileged]"
is "main moved" "$(ref_of "$repo" refs/heads/main)" "$(git -C "$work" rev-parse HEAD)"
write_config "$repo"

# warn checks: printed as warnings, never reject
valid_deployment api | sed '/livenessProbe:/,+1d' >"$T_DIR/api.yaml"
put_file "$work" apps/api.yaml "$(cat "$T_DIR/api.yaml")" "api without liveness probe"
c=$(git -C "$work" rev-parse --short=7 HEAD)
ok "a warn problem does not reject" push "$work" origin main
like "it is printed as a warning" "$(remote_lines)" \
	"warning: refs/heads/main $c: apps/api.yaml:16:11: Deployment/api: /spec/template/spec/containers/0: container \"api\" has no liveness probe [liveness-probe]"

# server-side policy file: a custom rule, deny
cat >"$repo/policy.yaml" <<'YAML'
rules:
- id: team-label
  message: deployments carry a team label
  match: {kinds: [Deployment], paths: ['apps/**']}
  field: metadata.labels.team
  exists: true
YAML
write_config "$repo" "policy:" "  files: [policy.yaml]"
valid_deployment shop >"$T_DIR/shop.yaml"
put_file "$work" apps/shop.yaml "$(cat "$T_DIR/shop.yaml")" "shop"
c=$(git -C "$work" rev-parse --short=7 HEAD)
not_ok "a custom rule from the server policy rejects" push "$work" origin main
like "with its message" "$(remote_lines)" \
	"error: refs/heads/main $c: apps/shop.yaml:4:3: Deployment/shop: /metadata: deployments carry a team label"
git -C "$work" reset -q --hard HEAD~1
sed 's/^  name: shop$/  name: shop\n  labels: {team: shop}/' "$T_DIR/shop.yaml" >"$T_DIR/shop2.yaml"
put_file "$work" apps/shop.yaml "$(cat "$T_DIR/shop2.yaml")" "shop with team"
ok "with the label, the push is accepted" push "$work" origin main

# a plaintext Secret is rejected, its value never shown
put_file "$work" apps/db.yaml "apiVersion: v1
kind: Secret
metadata: {name: db, labels: {team: shop}}
stringData:
  password: hunter2-hunter2" "db secret"
not_ok "a plaintext Secret is rejected" push "$work" origin main
like "the Secret is named" "$(remote_lines)" 'Secret/db: /stringData: secret "db" holds plaintext values in stringData'
unlike "the value is not echoed" "$(cat "$T_DIR/push.out")" "hunter2"

# a broken policy file fails closed
git -C "$work" reset -q --hard HEAD~1
echo "rules: 5" >"$repo/policy.yaml"
put_file "$work" apps/x.yaml "$(valid_service x)" "service"
not_ok "a broken policy file rejects the push" push "$work" origin main
like "and says why" "$(remote_lines)" "policy.yaml:1:8: /rules: expected array, got integer"

done_testing
