# tests/hooks/lib-git.sh: helpers for tests that push for real.  Source after
# tests/lib.sh:
#
#   . "$GATE_SRCDIR/tests/lib.sh"
#   . "$GATE_SRCDIR/tests/hooks/lib-git.sh"
#   repo=$(make_bare server)           # bare repo with the gate installed and configured
#   work=$(make_work w "$repo")        # a clone to commit in
#   put_file "$work" apps/web.yaml "$(valid_deployment web)" "add web"
#   push "$work" origin main           # status in $?, output in $T_DIR/push.out
#   remote_lines                       # the remote: lines of the last push, prefix removed
#   start_http "$T_DIR"                # lighttpd + git http-backend; URL in $HTTP_URL

[ -x "$GATE_BIN" ] || skip_all "gitops-gate not built"

HK_DATA=$(gate_data)
HK_K8S=$(gate_k8s_location "$HK_DATA")
HK_CRD=$(gate_crd_location "$HK_DATA")
HTTP_PID=
HTTP_URL=

trap 'stop_http; rm -rf "$T_DIR"' EXIT

# The folder of the config schemas.  While the schemas config.schema.json
# refers to are not written yet, a temp folder holds minimal stand-ins.
hk_schema_dir() {
	if [ -f "$GATE_SRCDIR/schemas/notify.schema.json" ] &&
	   [ -f "$GATE_SRCDIR/schemas/policy-config.schema.json" ]; then
		echo "$GATE_SRCDIR/schemas"
		return
	fi
	_d="$T_DIR/schemas"
	if [ ! -d "$_d" ]; then
		mkdir -p "$_d"
		cp "$GATE_SRCDIR/schemas/config.schema.json" "$_d/"
		for _f in notify.schema.json policy-config.schema.json; do
			if [ -f "$GATE_SRCDIR/schemas/$_f" ]; then
				cp "$GATE_SRCDIR/schemas/$_f" "$_d/"
			else
				printf '%s\n' '{"definitions": {"clusters": {}, "notify": {}, "policy": {}}}' >"$_d/$_f"
			fi
		done
	fi
	echo "$_d"
}
GATE_SCHEMA_DIR=$(hk_schema_dir)
GATE_SYSTEM_CONFIG=
export GATE_SCHEMA_DIR GATE_SYSTEM_CONFIG

# write_config REPO [YAML...]: the base test config plus extra top-level YAML
write_config() {
	_repo=$1
	shift
	{
		echo "version: 1"
		echo "schemas:"
		echo "  - paths: [\"**\"]"
		echo "    kubernetes_version: 1.32.2"
		echo "    strict: true"
		echo "    locations:"
		echo "      - \"$HK_K8S\""
		echo "      - \"$HK_CRD\""
		for _l in "$@"; do
			printf '%s\n' "$_l"
		done
	} >"$_repo/gitops-gate.yaml"
}

# make_bare NAME [install args]: a bare repository with the gate; prints its path
make_bare() {
	_r="$T_DIR/$1.git"
	shift
	git init -q --bare "$_r"
	git -C "$_r" config http.receivepack true
	"$GATE_BIN" install "$_r" --schema-dir "$GATE_SCHEMA_DIR" --no-config "$@" >/dev/null
	write_config "$_r"
	# these tests read pre-receive's output alone; post-receive is tested on its own
	rm -f "$_r/hooks/post-receive"
	echo "$_r"
}

# make_work NAME URL: a clone to work in; prints its path
make_work() {
	_w="$T_DIR/$1"
	git clone -q "$2" "$_w" 2>/dev/null
	git -C "$_w" checkout -q -B main 2>/dev/null || true
	echo "$_w"
}

# put_file WORK PATH CONTENT MESSAGE: write, add and commit
put_file() {
	mkdir -p "$(dirname "$1/$2")"
	printf '%s\n' "$3" >"$1/$2"
	git -C "$1" add "$2"
	git -C "$1" commit -q -m "$4"
}

# push WORK ARGS...: git push; output in $T_DIR/push.out, status returned
push() {
	_w=$1
	shift
	git -C "$_w" push "$@" >"$T_DIR/push.out" 2>&1
}

# remote_lines: the remote: lines of the last push, without the prefix
remote_lines() {
	sed -n 's/^remote: //p' "$T_DIR/push.out" | sed 's/[[:space:]]*$//'
}

# ref_of REPO REF: where REF points, or "none"
ref_of() {
	git -C "$1" rev-parse -q --verify "$2" 2>/dev/null || echo none
}

valid_deployment() {
	cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
spec:
  replicas: 2
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      labels:
        app: $1
    spec:
      containers:
        - name: $1
          image: nginx:1.25
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 100m, memory: 64Mi}
          livenessProbe:
            httpGet: {path: /, port: 80}
          readinessProbe:
            httpGet: {path: /, port: 80}
EOF
}

# a Deployment whose replicas is a string (line 6, column 13)
invalid_deployment() {
	valid_deployment "$1" | sed 's/replicas: 2/replicas: "three"/'
}

valid_service() {
	cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $1
spec:
  selector:
    app: $1
  ports:
    - port: 80
EOF
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_http ROOT [REMOTE_USER]: serve the repositories under ROOT with git
# http-backend behind lighttpd on a loopback port; sets HTTP_URL.
start_http() {
	_root=$1
	_user=${2:-}
	command -v lighttpd >/dev/null || skip_all "lighttpd not installed"
	_backend=$(git --exec-path)/git-http-backend
	_port=$(free_port)
	_conf="$T_DIR/lighttpd.conf"
	{
		echo "server.document-root = \"$_root\""
		echo "server.bind = \"127.0.0.1\""
		echo "server.port = $_port"
		echo "server.errorlog = \"$T_DIR/lighttpd.err\""
		echo "server.modules = (\"mod_alias\", \"mod_setenv\", \"mod_cgi\")"
		echo "alias.url = (\"/git\" => \"$_backend\")"
		echo "\$HTTP[\"url\"] =~ \"^/git\" {"
		echo "  cgi.assign = (\"\" => \"\")"
		echo "  setenv.add-environment = ("
		echo "    \"GIT_PROJECT_ROOT\" => \"$_root\","
		echo "    \"GIT_HTTP_EXPORT_ALL\" => \"1\","
		echo "    \"GATE_SCHEMA_DIR\" => \"$GATE_SCHEMA_DIR\","
		echo "    \"GATE_SYSTEM_CONFIG\" => \"\","
		[ -n "$_user" ] && echo "    \"REMOTE_USER\" => \"$_user\","
		[ -n "${GATE_NO_FACTS_INDEX:-}" ] && echo "    \"GATE_NO_FACTS_INDEX\" => \"1\","
		echo "    \"HOME\" => \"$HOME\""
		echo "  )"
		echo "}"
	} >"$_conf"
	lighttpd -D -f "$_conf" >"$T_DIR/lighttpd.out" 2>&1 &
	HTTP_PID=$!
	HTTP_URL="http://127.0.0.1:$_port/git"
	_i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$_port/" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -gt 100 ] && bail "lighttpd did not start: $(cat "$T_DIR/lighttpd.err" "$T_DIR/lighttpd.out" 2>/dev/null)"
		sleep 0.05
	done
}

stop_http() {
	if [ -n "$HTTP_PID" ]; then
		kill "$HTTP_PID" 2>/dev/null || true
		wait "$HTTP_PID" 2>/dev/null || true
		HTTP_PID=
	fi
}

# flux_ks NAME PATH: a Flux Kustomization (GitRepository flux-system) on stdout;
# callers append further spec lines.
flux_ks() {
	cat <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: $1
  namespace: flux-system
spec:
  interval: 10m0s
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: $2
  prune: true
YAML
}
