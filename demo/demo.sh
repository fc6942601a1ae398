#!/bin/sh
# demo/demo.sh: the whole gitops-gate loop on this machine, offline, in a
# throwaway folder (`make demo` runs it from the build tree).
#
#   a bare repository with the gate installed   (the git server)
#   a local webhook receiver                    (stands in for Flux / Argo CD)
#   a working clone                             (the person pushing)
#
# Then, step by step: an invalid manifest is rejected, a policy violation is
# rejected, a valid change is accepted (accepted branch moved, signed
# notification received and verified), a second one too, then rollback and
# roll-forward.
#
# Environment (all optional; `make demo` sets them):
#   GATE_BIN         the gitops-gate program (default: ./gitops-gate, else PATH)
#   GATE_SRCDIR      the source tree (default: the folder above this script)
#   GATE_SCHEMA_DIR  the folder of config.schema.json and friends
#                    (default: $GATE_SRCDIR/schemas)
#   DEMO_DIR         keep everything in this folder instead of a temp one
#
# The configuration names no schemas: the gate's built-in catalog judges,
# offline (found next to GATE_SCHEMA_DIR, installed, or in the build tree).
set -eu

: "${GATE_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${GATE_SCHEMA_DIR:=$GATE_SRCDIR/schemas}"
if [ -z "${GATE_BIN:-}" ]; then
	if [ -x ./gitops-gate ]; then
		GATE_BIN=$(pwd)/gitops-gate
	else
		GATE_BIN=$(command -v gitops-gate || true)
	fi
fi
[ -n "$GATE_BIN" ] && [ -x "$GATE_BIN" ] || {
	echo "demo: gitops-gate not found: build it first (make), or set GATE_BIN" >&2
	exit 1
}
command -v python3 >/dev/null || {
	echo "demo: python3 is needed for the stand-in cluster (apt-get install python3)" >&2
	exit 1
}
RECEIVER=$GATE_SRCDIR/tests/notify/receiver.py
[ -f "$RECEIVER" ] || {
	echo "demo: $RECEIVER is missing" >&2
	exit 1
}

# ---- a throwaway, isolated place ----
if [ -n "${DEMO_DIR:-}" ]; then
	D=$DEMO_DIR
	mkdir -p "$D"
	KEEP=1
else
	D=$(mktemp -d "${TMPDIR:-/tmp}/gitops-gate-demo.XXXXXX")
	KEEP=
fi
D=$(cd "$D" && pwd)
RPID=
cleanup() {
	if [ -n "$RPID" ]; then
		kill "$RPID" 2>/dev/null || true
		wait "$RPID" 2>/dev/null || true
	fi
	[ -n "$KEEP" ] || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME="$D/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME="Dee Veloper" GIT_AUTHOR_EMAIL="dev@example.com"
export GIT_COMMITTER_NAME="Dee Veloper" GIT_COMMITTER_EMAIL="dev@example.com"
unset GIT_DIR GIT_WORK_TREE GL_ID GL_USERNAME GITEA_PUSHER_NAME REMOTE_USER 2>/dev/null || true
export GATE_SCHEMA_DIR
export GATE_SYSTEM_CONFIG=
git config --global init.defaultBranch main
git config --global advice.detachedHead false

step() {
	printf '\n== %s\n' "$*"
}
say() {
	printf '   %s\n' "$*"
}
# show CMD...: print the command, run it, indent its output; returns its status
show() {
	if [ "$1" = "$GATE_BIN" ]; then
		shift
		printf '   $ gitops-gate %s\n' "$*"
		set -- "$GATE_BIN" "$@"
	else
		printf '   $ %s\n' "$*"
	fi
	_st=0
	"$@" >"$D/.out" 2>&1 || _st=$?
	sed 's/^/     /' "$D/.out"
	return "$_st"
}
fail() {
	echo "demo: FAILED: $*" >&2
	exit 1
}
short() {
	git -C "$SRV" rev-parse --short=12 "$1" 2>/dev/null || echo "(none)"
}
# deliveries FROM: the requests the receiver got since line FROM, one line each
deliveries() {
	python3 - "$D/receiver.jsonl" "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][int(sys.argv[2]):]
if not lines:
    print("     (no request)")
for x in lines:
    b = json.loads(x["body"]) if x["body"].startswith("{") else {}
    checks = ", ".join("%s %s" % kv for kv in sorted(x["checks"].items()))
    print("     POST %s  delivery %s  event %s  revision %s  -> %d (%s)" % (
        x["path"], (x["delivery"] or "-")[:12], x["event"] or "-",
        (b.get("after") or b.get("revision") or "-")[:12], x["status"], checks))
EOF
}
received() {
	wc -l <"$D/receiver.jsonl" | tr -d ' '
}

# ---- schemas: none configured, the built-in catalog judges ----
step "0. set up: a stand-in cluster, a gated repository, a clone"
say "schemas: none configured: the built-in catalog (Kubernetes 1.36, Flux, Gateway API, ...), offline"

# the shared secret of the webhook, as a Flux Receiver's secret would hold it
TOKEN=$D/webhook-token
printf 'demo-secret-%s\n' "$$" >"$TOKEN"
chmod 600 "$TOKEN"
: >"$D/receiver.jsonl"
python3 "$RECEIVER" --port-file "$D/receiver.port" --record "$D/receiver.jsonl" \
	--token-file "$TOKEN" >"$D/receiver.log" 2>&1 &
RPID=$!
i=0
while [ ! -s "$D/receiver.port" ]; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && fail "the receiver did not start: $(cat "$D/receiver.log")"
	sleep 0.05
done
PORT=$(head -n 1 "$D/receiver.port")
say "stand-in cluster: a Flux-style webhook receiver on 127.0.0.1:$PORT"
say "  (it checks the X-Signature HMAC as Flux's generic-hmac Receiver does)"

SRV=$D/fleet.git
git init -q --bare "$SRV"
show "$GATE_BIN" install "$SRV" --schema-dir "$GATE_SCHEMA_DIR" --no-config ||
	fail "gitops-gate install"
cat >"$SRV/gitops-gate.yaml" <<EOF
# the server's configuration: never read from pushed commits
version: 1
policy:
  builtin_checks: true
clusters:
  - name: demo-cluster
    refs: ["refs/heads/main"]
    receivers:
      - url: http://127.0.0.1:$PORT/hook/demo-receiver
        format: flux-generic-hmac
        token_file: $TOKEN
notify:
  repository:
    name: fleet
EOF
say "configuration: $SRV/gitops-gate.yaml"
sed 's/^/     | /' "$SRV/gitops-gate.yaml"

WORK=$D/work
git clone -q "$SRV" "$WORK" 2>/dev/null
git -C "$WORK" checkout -q -B main
say "working clone: $WORK"

deployment() {
	# deployment NAME IMAGE [REPLICAS] [PRIVILEGED]
	cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  namespace: web
spec:
  replicas: ${3:-2}
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
          image: $2
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            privileged: ${4:-false}
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 100m, memory: 64Mi}
          livenessProbe:
            httpGet: {path: /, port: 8080}
          readinessProbe:
            httpGet: {path: /, port: 8080}
EOF
}
commit() {
	# commit PATH MESSAGE [--amend]: content on stdin
	mkdir -p "$(dirname "$WORK/$1")"
	cat >"$WORK/$1"
	git -C "$WORK" add "$1"
	if [ "${3:-}" = --amend ]; then
		printf '   $ git commit --amend -m "%s"   (the rejected commit is replaced)\n' "$2"
		git -C "$WORK" commit -q --amend -m "$2"
	else
		printf '   $ git commit -m "%s"\n' "$2"
		git -C "$WORK" commit -q -m "$2"
	fi
}
push() {
	printf '   $ git push origin main\n'
	_st=0
	git -C "$WORK" push origin main >"$D/.push" 2>&1 || _st=$?
	sed -e '/^To /d' -e 's/[[:space:]]*$//' -e 's/^/     /' "$D/.push"
	return "$_st"
}

# ---- 1. an invalid manifest ----
step "1. push a manifest that breaks its schema (replicas is a string)"
deployment web nginxinc/nginx-unprivileged:1.27 '"two"' | commit apps/web/deploy.yaml "web: add"
push && fail "the invalid push was accepted"
say "=> rejected; main on the server: $(short refs/heads/main)"
[ "$(short refs/heads/main)" = "(none)" ] || fail "main moved"

# ---- 2. a policy violation ----
step "2. fix the schema error, but ask for a privileged container with a :latest image"
deployment web nginxinc/nginx-unprivileged:latest 2 true | commit apps/web/deploy.yaml "web: add" --amend
push && fail "the policy violation was accepted"
say "=> rejected by policy; main on the server: $(short refs/heads/main)"
[ "$(short refs/heads/main)" = "(none)" ] || fail "main moved"

# ---- 3. a valid change ----
step "3. push a valid change"
deployment web nginxinc/nginx-unprivileged:1.27 | commit apps/web/deploy.yaml "web: add" --amend
seen=$(received)
push || fail "the valid push was rejected"
C1=$(git -C "$WORK" rev-parse HEAD)
say "=> accepted"
say "main:                          $(short refs/heads/main)"
say "gitops/accepted/main (deploy): $(short refs/heads/gitops/accepted/main)"
[ "$(git -C "$SRV" rev-parse refs/heads/gitops/accepted/main)" = "$C1" ] || fail "accepted branch did not move"
say "signed notifications the cluster received:"
deliveries "$seen"
[ "$(received)" -gt "$seen" ] || fail "no notification arrived"

# ---- 4. a second valid change ----
step "4. push a second valid change (scale to 3)"
deployment web nginxinc/nginx-unprivileged:1.27 3 | commit apps/web/deploy.yaml "web: scale to 3"
seen=$(received)
push || fail "the second valid push was rejected"
C2=$(git -C "$WORK" rev-parse HEAD)
say "gitops/accepted/main (deploy): $(short refs/heads/gitops/accepted/main)"
say "signed notifications the cluster received:"
deliveries "$seen"
show "$GATE_BIN" status --git-dir "$SRV" || fail "status"

# ---- 5. rollback ----
step "5. roll the cluster back to the first accepted revision"
seen=$(received)
show "$GATE_BIN" rollback main "$C1" --git-dir "$SRV" || fail "rollback"
say "gitops/accepted/main (deploy): $(short refs/heads/gitops/accepted/main)   (main stays at $(short refs/heads/main))"
[ "$(git -C "$SRV" rev-parse refs/heads/gitops/accepted/main)" = "$C1" ] || fail "rollback did not move the accepted branch"
say "signed notifications the cluster received:"
deliveries "$seen"

# ---- 6. roll-forward ----
step "6. roll forward to the newest accepted revision"
seen=$(received)
show "$GATE_BIN" rollforward main --git-dir "$SRV" || fail "rollforward"
say "gitops/accepted/main (deploy): $(short refs/heads/gitops/accepted/main)"
[ "$(git -C "$SRV" rev-parse refs/heads/gitops/accepted/main)" = "$C2" ] || fail "rollforward did not move the accepted branch"
say "signed notifications the cluster received:"
deliveries "$seen"

step "7. the record"
show "$GATE_BIN" status --git-dir "$SRV" || fail "status"
say "journal ($SRV/gitops-gate/journal):"
python3 - "$SRV/gitops-gate/journal" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    if l.strip():
        e = json.loads(l)
        print("     %-11s %s -> %s  by %s" % (e.get("event"), e.get("accepted_ref"),
              (e.get("target") or "-")[:12], e.get("pusher")))
EOF
bad=$(python3 -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for x in L if x["status"] != 200))' "$D/receiver.jsonl")
[ "$bad" = 0 ] || fail "$bad notifications failed their signature check"

printf '\ndemo: done: 2 pushes rejected, 2 accepted, every notification signed and verified\n'
[ -n "$KEEP" ] && printf 'demo: everything is in %s\n' "$D"
exit 0
