#!/bin/sh
# Issue 14 (8): the gate under GitLab.  `install --layout gitlab --tar FILE`
# makes the archive `gitaly hooks set` takes; a runner that behaves as
# Gitaly's custom hook runner (internal/gitaly/hook/custom.go: only an
# allow-list of the environment, GIT_DIR, GIT_OBJECT_DIRECTORY,
# GIT_ALTERNATE_OBJECT_DIRECTORIES, push options and GL_*; no
# GIT_QUARANTINE_PATH, no GATE_*) runs custom_hooks/<hook>.d/* in order.
# The gate must judge the quarantined objects and record accepted pushes,
# and every line of a rejection must carry GL-HOOK-ERR: for GitLab's UI.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

TAR="$T_DIR/custom_hooks.tar"
ok "install --layout gitlab --tar" "$GATE_BIN" install --layout gitlab --tar "$TAR" --schema-dir "$GATE_SCHEMA_DIR"
is "the archive holds custom_hooks/<hook>.d/gitops-gate, executable" \
	"$(python3 -c 'import sys, tarfile; print([(m.name, oct(m.mode & 0o777)) for m in tarfile.open(sys.argv[1]) if m.isfile()])' "$TAR")" \
	"[('custom_hooks/pre-receive.d/gitops-gate', '0o755'), ('custom_hooks/post-receive.d/gitops-gate', '0o755')]"
not_ok "--tar refuses a repository argument" "$GATE_BIN" install "$T_DIR/x.git" --layout gitlab --tar "$TAR"

srv="$T_DIR/srv.git"
git init -q --bare "$srv"
write_config "$srv"
# what `gitaly hooks set` does with the archive: unpack it into the repository
# (without an archive, as before --tar existed, the same files are put in place,
# so that the rest still tests the environment and the prefixes)
if [ -f "$TAR" ]; then
	tar -xf "$TAR" -C "$srv"
else
	git -C "$srv" config gitlab.fullpath org/fleet
	"$GATE_BIN" install "$srv" --layout gitlab --no-config --schema-dir "$GATE_SCHEMA_DIR" >/dev/null
fi
# a hook of the repository's own that records the environment it was given
mkdir -p "$srv/custom_hooks/pre-receive.d"
cat >"$srv/custom_hooks/pre-receive.d/0-env" <<EOF2
#!/bin/sh
env | sort >"$T_DIR/hook-env"
EOF2
chmod 755 "$srv/custom_hooks/pre-receive.d/0-env"

# Gitaly's runner: the allow-listed environment only, each hook of <hook>.d in order
mkdir -p "$T_DIR/gitaly"
for h in pre-receive post-receive; do
	cat >"$T_DIR/gitaly/$h" <<EOF2
#!/bin/sh
input=\$(cat; echo x)
input=\${input%x}
dir=\$(pwd -P)
set -- PATH="\$PATH" HOME="\$HOME" LANG=C.UTF-8 GIT_DIR="\$dir" \\
	GL_ID=user-1 GL_USERNAME=alice GL_PROTOCOL=ssh GL_REPOSITORY=project-1 GL_PROJECT_PATH=org/fleet
[ -n "\${GIT_OBJECT_DIRECTORY:-}" ] && set -- "\$@" GIT_OBJECT_DIRECTORY="\$GIT_OBJECT_DIRECTORY"
[ -n "\${GIT_ALTERNATE_OBJECT_DIRECTORIES:-}" ] && set -- "\$@" GIT_ALTERNATE_OBJECT_DIRECTORIES="\$GIT_ALTERNATE_OBJECT_DIRECTORIES"
[ -n "\${GIT_PUSH_OPTION_COUNT:-}" ] && set -- "\$@" GIT_PUSH_OPTION_COUNT="\$GIT_PUSH_OPTION_COUNT"
for f in "\$dir/custom_hooks/$h.d/"*; do
	[ -x "\$f" ] || continue
	printf '%s' "\$input" | env -i "\$@" "\$f" || exit \$?
done
EOF2
	chmod 755 "$T_DIR/gitaly/$h"
done
git -C "$srv" config core.hooksPath "$T_DIR/gitaly"

work=$(make_work w "$srv")
put_file "$work" apps/web.yaml "$(invalid_deployment web)" "bad replicas"
not_ok "a bad manifest is rejected under Gitaly's environment" push "$work" origin main
out=$(remote_lines)
like "the problem is named" "$out" "GL-HOOK-ERR: error: refs/heads/main "
like "the hint: line carries the prefix too" "$out" "GL-HOOK-ERR: hint: "
is "every line of the hook carries GL-HOOK-ERR:" \
	"$(printf '%s\n' "$out" | grep -v '^GL-HOOK-ERR: ' | wc -l | tr -d ' ')" 0
is "main did not move" "$(ref_of "$srv" refs/heads/main)" none
is "the hook had no GIT_QUARANTINE_PATH and no GATE_* variable" \
	"$(grep -c '^GIT_QUARANTINE_PATH=\|^GATE_' "$T_DIR/hook-env" || true)" 0
like "the quarantine came through GIT_OBJECT_DIRECTORY" "$(cat "$T_DIR/hook-env")" "GIT_OBJECT_DIRECTORY=$srv/./objects/tmp_objdir-incoming-"

git -C "$work" update-ref -d refs/heads/main
put_file "$work" apps/web.yaml "$(valid_deployment web)" "good"
ok "a good manifest is accepted (judged from the quarantine)" push "$work" origin main
c=$(git -C "$work" rev-parse HEAD)
is "main moved" "$(ref_of "$srv" refs/heads/main)" "$c"
is "post-receive recorded the accepted revision" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c"
is "journaled with GitLab's user as pusher" "$(q "$(journal_of "$srv")" 'L[-1]["pusher"]')" alice

done_testing
