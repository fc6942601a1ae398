#!/bin/sh
# The gate fails closed: a broken config, missing schemas, bad input, the
# time budget: each rejects the push with a message that says what failed.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

repo=$(make_bare server)
work=$(make_work w "file://$repo")
put_file "$work" apps/web.yaml "$(valid_deployment web)" "web"

# malformed YAML in the config
printf 'version: 1\nschemas: [\n' >"$repo/gitops-gate.yaml"
not_ok "malformed config rejects" push "$work" origin main
like "message names the config file" "$(remote_lines | head -1)" \
	"error: gitops-gate configuration: $repo/gitops-gate.yaml:"
is "main not created" "$(ref_of "$repo" refs/heads/main)" "none"

# a config that breaks its schema: the line, column and key are named
printf 'version: 1\nlimits:\n  time_budget_ms: "soon"\n' >"$repo/gitops-gate.yaml"
not_ok "config against its schema rejects" push "$work" origin main
like "place and pointer named" "$(remote_lines | head -1)" \
	"$repo/gitops-gate.yaml:3:19: invalid config: /limits/time_budget_ms:"
printf 'version: 1\nunknown_key: 1\n' >"$repo/gitops-gate.yaml"
not_ok "unknown key rejects" push "$work" origin main
like "unknown key named" "$(remote_lines | head -1)" "invalid config"

# an unreadable config
write_config "$repo"
chmod 000 "$repo/gitops-gate.yaml"
if [ "$(id -u)" != 0 ]; then
	not_ok "unreadable config rejects" push "$work" origin main
	like "cannot read named" "$(remote_lines | head -1)" "cannot read config file"
else
	echo "ok - # SKIP root reads any file"
	echo "ok - # SKIP root reads any file"
	T_N=$((T_N + 2))
fi
chmod 644 "$repo/gitops-gate.yaml"

# the config schema folder is missing
not_ok "missing config schema rejects" \
	sh -c "GATE_SCHEMA_DIR='$T_DIR/no-such-dir'; export GATE_SCHEMA_DIR; sed -i '/GATE_SCHEMA_DIR/d' '$repo/hooks/pre-receive'; git -C '$work' push origin main >'$T_DIR/push.out' 2>&1"
like "schema named" "$(remote_lines | head -1)" "cannot load the config schema $T_DIR/no-such-dir/config.schema.json"
"$GATE_BIN" install "$repo" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
rm -f "$repo/hooks/post-receive"

# schema locations that do not exist: nothing can be judged, so nothing passes
cat >"$repo/gitops-gate.yaml" <<CFG
version: 1
schemas:
  - locations: ["$T_DIR/missing/{{ .ResourceKind }}.json"]
CFG
not_ok "missing schemas reject" push "$work" origin main
like "the resource is named" "$(remote_lines | head -1)" "apps/web.yaml"
like "the missing schema is said" "$(remote_lines)" "could not find schema for Deployment"
is "main not created" "$(ref_of "$repo" refs/heads/main)" "none"
# (the blob-facts index may be written: what a blob holds does not depend on the schemas)
ok "...and such verdicts are not cached" sh -c "[ -z \"\$(find '$repo/gitops-gate/cache' -type f ! -name 'facts-index*' 2>/dev/null)\" ]"

# the time budget
write_config "$repo" "limits: {time_budget_ms: 1}"
i=0
while [ $i -lt 60 ]; do
	printf '%s\n' "$(valid_service "s$i")" >"$work/apps/s$i.yaml"
	i=$((i + 1))
done
git -C "$work" add apps
git -C "$work" commit -q -m "many"
not_ok "past the time budget the push is rejected" push "$work" origin main
like "budget named" "$(remote_lines | head -1)" "error: gitops-gate ran out of its time budget (1 ms) after judging"
write_config "$repo"
ok "with the budget restored the same push passes" push "$work" origin main

# input git would never send: reject, never crash
not_ok "malformed stdin rejects" sh -c "echo 'garbage' | GIT_DIR='$repo' '$GATE_BIN' hook pre-receive 2>'$T_DIR/err'"
like "malformed line named" "$(cat "$T_DIR/err")" "line 1 of the ref updates is not"
z=0000000000000000000000000000000000000000
not_ok "sha256-length ids refused" sh -c "echo '${z}${z}${z}${z}aaaa $z$z refs/heads/x' | GIT_DIR='$repo' '$GATE_BIN' hook pre-receive 2>'$T_DIR/err'"
not_ok "unknown new object rejects" sh -c "echo '$z 1111111111111111111111111111111111111111 refs/heads/x' | GIT_DIR='$repo' '$GATE_BIN' hook pre-receive 2>'$T_DIR/err'"
like "unreadable object named" "$(cat "$T_DIR/err")" "cannot read object 1111111111111111111111111111111111111111"
ok "an empty push (no updates) is fine" sh -c "printf '' | GIT_DIR='$repo' '$GATE_BIN' hook pre-receive"
not_ok "bad arguments reject" sh -c "echo | GIT_DIR='$repo' '$GATE_BIN' hook pre-receive --bogus 2>/dev/null"

done_testing
