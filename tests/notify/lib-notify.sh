# tests/notify/lib-notify.sh: helpers for the post-receive and notify tests.
# Source after tests/lib.sh:
#
#   . "$GATE_SRCDIR/tests/lib.sh"
#   . "$GATE_SRCDIR/tests/notify/lib-notify.sh"
#   start_receiver r1 [receiver.py args]   # port in $(port_of r1), requests in $T_DIR/r1.jsonl
#   srv=$(make_server srv)                 # bare repo, gate installed (pre- and post-receive)
#   notify_config "$srv" "<clusters yaml>" # write gitops-gate.yaml with clusters/notify
#   work=$(make_work w "$srv")

. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"
RECEIVER="$GATE_SRCDIR/tests/notify/receiver.py"
NT_PIDS=

nt_cleanup() {
	for _p in $NT_PIDS; do
		kill "$_p" 2>/dev/null || true
	done
	stop_http
	rm -rf "$T_DIR"
}
trap nt_cleanup EXIT

# the shared secret of the test receivers, not readable by others
TOKEN="$T_DIR/token"
printf 'test-secret-%s\n' "$$" >"$TOKEN"
chmod 600 "$TOKEN"

# start_receiver NAME [ARGS...]: a receiver on loopback; waits until it listens
start_receiver() {
	_n=$1
	shift
	rm -f "$T_DIR/$_n.port"
	[ -f "$T_DIR/$_n.mode" ] || echo ok >"$T_DIR/$_n.mode"
	python3 "$RECEIVER" --port-file "$T_DIR/$_n.port" --record "$T_DIR/$_n.jsonl" \
		--token-file "$TOKEN" --mode-file "$T_DIR/$_n.mode" "$@" \
		>"$T_DIR/$_n.log" 2>&1 &
	echo $! >"$T_DIR/$_n.pid"
	NT_PIDS="$NT_PIDS $!"
	_i=0
	while [ ! -s "$T_DIR/$_n.port" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 200 ] && bail "receiver $_n did not start: $(cat "$T_DIR/$_n.log")"
		sleep 0.05
	done
	touch "$T_DIR/$_n.jsonl"
}

stop_receiver() {
	if [ -f "$T_DIR/$1.pid" ]; then
		kill "$(cat "$T_DIR/$1.pid")" 2>/dev/null || true
		wait "$(cat "$T_DIR/$1.pid")" 2>/dev/null || true
		rm -f "$T_DIR/$1.pid"
	fi
}

port_of() {
	head -n 1 "$T_DIR/$1.port"
}

# set_mode NAME ok|500|hang
set_mode() {
	echo "$2" >"$T_DIR/$1.mode"
}

# make_server NAME: a bare repository with both hooks installed; prints its path
make_server() {
	_r="$T_DIR/$1.git"
	git init -q --bare "$_r"
	"$GATE_BIN" install "$_r" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
	write_config "$_r"
	echo "$_r"
}

# notify_config REPO YAML...: the base config plus clusters/notify lines
notify_config() {
	write_config "$@"
}

# q FILE PYTHON-EXPR: evaluate an expression over the JSON lines of FILE (as list L)
q() {
	python3 -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$@"
}

journal_of() {
	echo "$1/gitops-gate/journal"
}

outbox_count() {
	find "$1/gitops-gate/outbox" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l | tr -d ' '
}

dead_count() {
	find "$1/gitops-gate/outbox/dead" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l | tr -d ' '
}

# now_ms: wall clock in milliseconds
now_ms() {
	python3 -c 'import time; print(int(time.time() * 1000))'
}
