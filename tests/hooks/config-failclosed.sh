#!/bin/sh
# Configuration that silently gated less than it said (issue 10, item 10):
# each is an error at load or install time naming file:line, pre-receive
# refuses every push while it lasts, post-receive warns and records, and
# `gitops-gate check-config` lists every problem at once.  Each case has its
# own repository; pushes run over file:// and smart HTTP.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"
. "$GATE_SRCDIR/tests/hooks/lib-cases.sh"

cases_http

# refused_push NAME TRANSPORT NEEDLE: a README-only push (nothing to judge)
# is refused while the config is broken, naming NEEDLE
refused_push() {
	put_file "$W" README.md "hello $1" "docs only"
	not_ok "$1: $2: refused while the config is broken" push "$W" origin main
	like "$1: $2: says what and where" "$(remote_lines)" "$3"
	is "$1: $2: main not created" "$(ref_of "$R" refs/heads/main)" none
}

bad_glob() {
	new_case bad-glob "$1" 'gated_refs: ["refs/heads/[main"]'
	refused_push bad-glob "$1" "gitops-gate configuration: $R/gitops-gate.yaml:9:14: invalid config: gated_refs[0]: unterminated '[' at offset 11"
}

typo_glob() {
	new_case typo-glob "$1" 'gated_refs: ["refs/head/**"]'
	refused_push typo-glob "$1" "gitops-gate.yaml:9:14: invalid config: gated_refs[0]: matches no branch (refs/heads/...) and no tag"
}

empty_file() {
	new_case empty "$1"
	: >"$R/gitops-gate.yaml"
	refused_push empty "$1" "$R/gitops-gate.yaml: config file is empty (no YAML document)"
	printf '# all commented out\n# version: 1\n' >"$R/gitops-gate.yaml"
	refused_push empty-comments "$1" "config file is empty"
}

dangling_link() {
	new_case dangling "$1"
	mv "$R/gitops-gate.yaml" "$R/real.yaml"
	ln -s "$R/moved-away.yaml" "$R/gitops-gate.yaml"
	refused_push dangling "$1" "$R/gitops-gate.yaml: config file is a symbolic link to a missing file"
	# red team: the link swapped back to a good file takes effect at once
	ln -sf "$R/real.yaml" "$R/gitops-gate.yaml"
	ok "dangling: $1: a good target again: accepted" push "$W" origin main
}

# token files: missing, readable by others, a folder
token_files() {
	new_case tokens "$1" \
		'clusters:' \
		'  - name: prod' \
		'    receivers:' \
		"      - {url: \"http://127.0.0.1:9/hook\", token_file: \"$T_DIR/missing-$1.token\"}" \
		"      - {url: \"http://127.0.0.1:9/hook\", token_file: \"$T_DIR/open-$1.token\"}" \
		"      - {url: \"http://127.0.0.1:9/hook\", token_file: \"$T_DIR\"}"
	printf 'secret' >"$T_DIR/open-$1.token"
	chmod 644 "$T_DIR/open-$1.token"
	refused_push tokens "$1" "gitops-gate.yaml:12: clusters[0].receivers[0].token_file:"
	like "tokens: $1: the open one too" "$(remote_lines)" "clusters[0].receivers[1].token_file:"
	like "tokens: $1: the folder too" "$(remote_lines)" "clusters[0].receivers[2].token_file:"
	like "tokens: $1: hint" "$(remote_lines)" "hint: every push is refused until the configuration is fixed"
}

for t in file http; do
	bad_glob $t
	typo_glob $t
	empty_file $t
	dangling_link $t
	token_files $t
done

# post-receive cannot refuse: it warns and still records the accepted revision
new_case post file
put_file "$W" apps/svc.yaml "$(valid_service svc)" "base"
ok "post-receive: base accepted" push "$W" origin main
put_file "$W" apps/svc2.yaml "$(valid_service svc2)" "second"
ok "post-receive: a push the hooks did not see" ungated origin main
# the token file broke meanwhile: run post-receive as git would
write_config "$R" 'clusters: [{name: prod, receivers: [{url: "http://127.0.0.1:9/hook", token_file: "/nonexistent/token"}]}]'
old=$(git -C "$R" rev-parse main^)
new=$(git -C "$R" rev-parse main)
out=$(cd "$R" && echo "$old $new refs/heads/main" | GIT_DIR=. "$GATE_BIN" hook post-receive 2>&1 || true)
like "post-receive: warns with file and line" "$out" \
	"warning: gitops-gate post-receive: configuration: $R/gitops-gate.yaml:9: clusters[0].receivers[0].token_file:"
is "post-receive: still recorded" "$(accepted_ref)" "$new"

# named but missing: --config, GATE_SYSTEM_CONFIG
not_ok "check-config --config MISSING fails" "$GATE_BIN" check-config --git-dir "$R" --config "$T_DIR/nope.yaml"
like "check-config says it is missing" "$("$GATE_BIN" check-config --git-dir "$R" --config "$T_DIR/nope.yaml" 2>&1)" \
	"$T_DIR/nope.yaml: config file named but missing"
like "a named system file missing" "$(GATE_SYSTEM_CONFIG="$T_DIR/nosys.yaml" "$GATE_BIN" check-config --git-dir "$R" 2>&1)" \
	"$T_DIR/nosys.yaml: config file named but missing"

# check-config reports every problem at once, each at its line
new_case all file \
	'gated_refs: ["refs/heads/[main", "refs/head/**"]' \
	'manifests: {exclude: ["vendor/\\"]}' \
	"clusters: [{name: prod, receivers: [{url: \"http://127.0.0.1:9/hook\", token_file: \"$T_DIR/none.token\"}]}]"
out=$("$GATE_BIN" check-config --git-dir "$R" 2>&1 || true)
like "check-config: the first bad glob" "$out" "gitops-gate.yaml:9:14: invalid config: gated_refs[0]: unterminated '['"
like "check-config: the typo" "$out" "error: $R/gitops-gate.yaml:9: gated_refs[1]: matches no branch"
like "check-config: the exclude" "$out" "error: $R/gitops-gate.yaml:10: manifests.exclude[0]: ends in a lone backslash"
like "check-config: counted" "$out" "check-config: 3 errors"

done_testing
