#!/bin/sh
# Data-driven policy cases: one folder per case under tests/policy/cases with
#   input.yaml     the file judged (its name in output is input.yaml, or
#                  what args gives with --name)
#   policy.yaml    optional policy file
#   args           optional extra arguments of policy-run (one line)
#   expected.txt   the exact output of tests/policy/policy-run
#   secrets        optional: values (one a line) the output must never show
. "$GATE_SRCDIR/tests/lib.sh"

run="$GATE_BUILDDIR/tests/policy/policy-run"
[ -x "$run" ] || bail "missing $run (make check builds it)"
cases="$GATE_SRCDIR/tests/policy/cases"
for dir in "$cases"/*/; do
	dir=${dir%/}
	name=${dir##*/}
	set --
	[ -f "$dir/policy.yaml" ] && set -- --policy "$dir/policy.yaml"
	args=
	[ -f "$dir/args" ] && args=$(cat "$dir/args")
	# shellcheck disable=SC2086 # args is a word list, never globbed
	set -f
	got=$(cd "$dir" && "$run" "$@" $args input.yaml 2>&1) || got="$got
exit status $?"
	set +f
	is "$name" "$got" "$(cat "$dir/expected.txt")"
	if [ -f "$dir/secrets" ]; then
		while IFS= read -r secret; do
			[ -n "$secret" ] && unlike "$name: the secret is not echoed" "$got" "$secret"
		done <"$dir/secrets"
	fi
done
done_testing
