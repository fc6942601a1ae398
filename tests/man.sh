#!/bin/sh
# The man page keeps up with the program: a section per subcommand of
# `gitops-gate --help`, every option each command's --help names, and it
# renders without warnings.
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || skip_all "gitops-gate not built"
MAN="$GATE_SRCDIR/man/gitops-gate.1"
# the page as plain text with roff's escaped dashes made plain
page=$(sed 's/\\-/-/g' "$MAN")

ok "--version names the program and version" sh -c '"$GATE_BIN" --version | grep -q "^gitops-gate [0-9]"'
cmds=$("$GATE_BIN" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || bail "gitops-gate --help lists no command"
for c in $cmds; do
	like "man: a section for $c" "$page" ".SS \"gitops-gate $c"
	st=0
	"$GATE_BIN" "$c" --help >"$T_DIR/help" 2>&1 || st=$?
	is "$c --help exits 0" "$st" 0
	like "$c --help shows its usage" "$(cat "$T_DIR/help")" "usage: gitops-gate $c"
	for o in $(grep -o -- '\(^\|[[ ,]\)--*[a-z][a-z-]*' "$T_DIR/help" | sed 's/^[[ ,]*//' | sort -u); do
		like "man: $c option $o" "$page" "$o"
	done
done
for h in pre-receive post-receive cache-check; do
	like "man: a section for hook $h" "$page" ".SS \"gitops-gate hook $h"
done

if command -v groff >/dev/null; then
	warn=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	is "groff renders it without warnings" "$warn" ""
fi
done_testing
