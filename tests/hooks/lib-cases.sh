# tests/hooks/lib-cases.sh: one block per case, each with a repository of
# its own, run over file:// and smart HTTP.  Source after lib-git.sh:
#
#   cases_http                   # lighttpd + git http-backend over $T_DIR/srv
#   new_case NAME file|http      # $R: a bare repo with both hooks (the accepted
#                                # ref is recorded), $W: a clone, $URL: its URL
#   accepted_ref                 # where refs/heads/gitops/accepted/main points, or "none"

mkdir -p "$T_DIR/srv"

cases_http() {
	start_http "$T_DIR/srv" "${1:-}"
}

# new_case NAME TRANSPORT [CONFIG LINES...]: fresh repository and clone
new_case() {
	_cn="$1-$2"
	_ct=$2
	shift 2
	R=$(make_bare "srv/$_cn")
	write_config "$R" "$@"
	# make_bare drops post-receive: these cases need the accepted ref it records
	"$GATE_BIN" install "$R" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
	if [ "$_ct" = file ]; then
		URL="file://$R"
	else
		URL="$HTTP_URL/$_cn.git"
	fi
	W=$(make_work "w-$_cn" "$URL")
}

# ungated PUSH-ARGS...: push from $W with the gate's hooks out of the way
# (content that was there before `install`)
ungated() {
	mv "$R/hooks" "$R/hooks.off"
	mkdir "$R/hooks"
	_rc=0
	push "$W" "$@" || _rc=$?
	rm -rf "$R/hooks"
	mv "$R/hooks.off" "$R/hooks"
	return $_rc
}

accepted_ref() {
	ref_of "$R" refs/heads/gitops/accepted/${1:-main}
}

privileged_deployment() {
	valid_deployment "$1" | sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: true\n            privileged: true/'
}
