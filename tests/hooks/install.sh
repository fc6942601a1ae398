#!/bin/sh
# gitops-gate install: layouts, core.hooksPath, idempotence, chaining, --force.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

r="$T_DIR/plain.git"
git init -q --bare "$r"
ok "install into a bare repository" "$GATE_BIN" install "$r"
ok "pre-receive wrapper is executable" test -x "$r/hooks/pre-receive"
ok "post-receive wrapper is executable" test -x "$r/hooks/post-receive"
like "wrapper execs this program by absolute path" "$(cat "$r/hooks/pre-receive")" \
	"exec '$(readlink -f "$GATE_BIN")' hook pre-receive"
ok "default config written" test -f "$r/gitops-gate.yaml"
is "push options advertised" "$(git -C "$r" config receive.advertisePushOptions)" "true"
out=$("$GATE_BIN" install "$r" 2>&1)
is "second install changes nothing" "$out" \
"$r/hooks/pre-receive: already installed
$r/hooks/post-receive: already installed"
echo "custom: true" >>"$r/gitops-gate.yaml"
"$GATE_BIN" install "$r" >/dev/null
like "an existing config is left alone" "$(cat "$r/gitops-gate.yaml")" "custom: true"

# a foreign hook is chained, runs first with the same input, and can reject
r2="$T_DIR/chained.git"
git init -q --bare "$r2"
cat >"$r2/hooks/pre-receive" <<'HOOK'
#!/bin/sh
cat >"$(dirname "$0")/../chained-saw"
[ ! -f "$(dirname "$0")/../deny" ] || { echo "chained hook says no" >&2; exit 1; }
HOOK
chmod +x "$r2/hooks/pre-receive"
out=$("$GATE_BIN" install "$r2" --schema-dir "$GATE_SCHEMA_DIR" --no-config)
like "install reports the chaining" "$out" "existing hook kept as $r2/hooks/pre-receive.chained-1"
ok "foreign hook kept" test -x "$r2/hooks/pre-receive.chained-1"
write_config "$r2"
w=$(make_work w2 "file://$r2")
put_file "$w" apps/web.yaml "$(valid_deployment web)" "web"
ok "push through both hooks" push "$w" origin main
is "chained hook saw the ref update" "$(cat "$r2/chained-saw")" \
	"0000000000000000000000000000000000000000 $(git -C "$w" rev-parse HEAD) refs/heads/main"
touch "$r2/deny"
put_file "$w" apps/svc.yaml "$(valid_service web)" "svc"
not_ok "a chained hook that fails rejects the push" push "$w" origin main
like "its message reaches the pusher" "$(remote_lines)" "chained hook says no"
out=$("$GATE_BIN" install "$r2" --schema-dir "$GATE_SCHEMA_DIR" --no-config)
like "reinstall after chaining is a no-op" "$out" "pre-receive: already installed"
ok "no second chained copy" test ! -e "$r2/hooks/pre-receive.chained-2"

# --force replaces a foreign hook
r3="$T_DIR/force.git"
git init -q --bare "$r3"
printf '#!/bin/sh\nexit 0\n' >"$r3/hooks/pre-receive"
"$GATE_BIN" install "$r3" --force --no-config >/dev/null
ok "--force does not chain" test ! -e "$r3/hooks/pre-receive.chained-1"
like "--force writes our wrapper" "$(cat "$r3/hooks/pre-receive")" "gitops-gate hook wrapper"

# core.hooksPath
r4="$T_DIR/hookspath.git"
git init -q --bare "$r4"
git -C "$r4" config core.hooksPath custom-hooks
"$GATE_BIN" install "$r4" --no-config >/dev/null
ok "core.hooksPath respected (relative to the git dir)" test -x "$r4/custom-hooks/pre-receive"
ok "hooks/ left alone" test ! -e "$r4/hooks/pre-receive"

# GitLab and Gitea layouts
r5="$T_DIR/gitlab.git"
git init -q --bare "$r5"
"$GATE_BIN" install "$r5" --layout gitlab --no-config >/dev/null
ok "gitlab: custom_hooks/pre-receive.d" test -x "$r5/custom_hooks/pre-receive.d/gitops-gate"
ok "gitlab: custom_hooks/post-receive.d" test -x "$r5/custom_hooks/post-receive.d/gitops-gate"
r6="$T_DIR/gitea.git"
git init -q --bare "$r6"
"$GATE_BIN" install "$r6" --layout gitea --no-config >/dev/null
ok "gitea: hooks/pre-receive.d" test -x "$r6/hooks/pre-receive.d/gitops-gate"
printf '#!/bin/sh\nexit 0\n' >"$r6/hooks/pre-receive.d/gitops-gate"
not_ok "gitea: a foreign file of our name needs --force" "$GATE_BIN" install "$r6" --layout gitea --no-config
ok "gitea: --force replaces it" "$GATE_BIN" install "$r6" --layout gitea --no-config --force
not_ok "unknown layout refused" "$GATE_BIN" install "$r6" --layout svn
not_ok "not a repository refused" "$GATE_BIN" install "$T_DIR/nowhere"

done_testing
