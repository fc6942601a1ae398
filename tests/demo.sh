#!/bin/sh
# make demo's script, run in a temp folder: its key lines are there, in order,
# and it leaves the state it claims (refs, journal, deliveries).
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || skip_all "gitops-gate not built"
command -v python3 >/dev/null || skip_all "python3 not installed"

D="$T_DIR/demo"
st=0
start=$(date +%s)
DEMO_DIR=$D GATE_SCHEMA_DIR="$GATE_SRCDIR/schemas" \
	timeout 120 sh "$GATE_SRCDIR/demo/demo.sh" >"$T_DIR/demo.out" 2>&1 || st=$?
took=$(($(date +%s) - start))
out=$(cat "$T_DIR/demo.out")
is "demo exits 0" "$st" 0
[ "$st" = 0 ] || sed 's/^/#   /' "$T_DIR/demo.out" | tail -40
# its time is reported, not asserted (timeout 120 above only stops a hang)
echo "# demo took $took s"

like "no schema configuration: the built-in catalog" "$out" "schemas: none configured: the built-in catalog"
unlike "the configuration names no schemas" "$(cat "$D/fleet.git/gitops-gate.yaml")" "schemas:"
like "installs the gate" "$out" "fleet.git/hooks/pre-receive: installed"
like "schema error shown to the pusher" "$out" \
	"remote: error: refs/heads/main "
like "schema error names file, line, pointer" "$out" \
	"apps/web/deploy.yaml:7:13: Deployment/web: /spec/replicas: expected integer"
like "policy: privileged container refused" "$out" \
	'/spec/template/spec/containers/0/securityContext/privileged: container "web" is privileged'
like "policy: latest tag refused" "$out" 'uses the latest tag'
like "rejection summary" "$out" "remote: error: push rejected: 2 problems in 1 file of 1 commit"
like "hook declined" "$out" "! [remote rejected] main -> main (pre-receive hook declined)"
like "valid change accepted" "$out" "remote: success: refs/heads/main: 1 commit, 1 file judged"
like "accepted branch moved" "$out" "is now refs/heads/gitops/accepted/main (1 notification to 1 cluster queued)"
like "notification verified as Flux does" "$out" "-> 200 (flux-generic-hmac ok)"
like "rollback moves the accepted ref" "$out" "rollback: refs/heads/gitops/accepted/main moved from"
like "rollforward moves it back" "$out" "rollforward: refs/heads/gitops/accepted/main moved from"
like "rollback notification" "$out" "event rollback"
like "rollforward notification" "$out" "event rollforward"
like "closing line" "$out" "demo: done: 2 pushes rejected, 2 accepted, every notification signed and verified"
unlike "no failure line" "$out" "demo: FAILED"

# the headings, in order
heads=$(sed -n 's/^== \([0-9]\)\..*/\1/p' "$T_DIR/demo.out" | tr -d '\n')
is "steps 0 to 7 in order" "$heads" "01234567"

# the state left behind agrees with what was printed
SRV="$D/fleet.git"
main=$(git -C "$SRV" rev-parse refs/heads/main 2>/dev/null || echo none)
acc=$(git -C "$SRV" rev-parse refs/heads/gitops/accepted/main 2>/dev/null || echo none)
is "accepted branch ends at main (after roll-forward)" "$acc" "$main"
is "two commits on main" "$(git -C "$SRV" rev-list --count main 2>/dev/null)" 2
events=$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["event"] for l in open(sys.argv[1]) if l.strip()))' "$SRV/gitops-gate/journal")
is "journal: accepted twice, rollback, rollforward" "$events" "accepted accepted rollback rollforward"
n=$(python3 -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(len(L), sorted(set(x["status"] for x in L)), sorted(set(x["event"] for x in L)))' "$D/receiver.jsonl")
is "four deliveries, all verified" "$n" "4 [200] ['accepted', 'rollback', 'rollforward']"
is "nothing left in the outbox" \
	"$(find "$SRV/gitops-gate/outbox" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l | tr -d ' ')" 0

# the receiver is gone once the demo ends
pid_alive=$(ps -eo args | grep -c "[r]eceiver.py --port-file $D/" || true)
is "the stand-in receiver was stopped" "$pid_alive" 0

done_testing
