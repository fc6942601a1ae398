#!/bin/sh
# Issue 13: a drain with nothing due reads the outbox's due-time index
# (outbox/next-due) and no delivery.  Shown by behaviour, not time: a due
# delivery planted in the outbox behind the index's back (no gate writer does
# that: each lowers the index first) is not seen while the index says nothing
# is due, and is sent by the first drain after the index is torn, missing,
# too early, or older than its maximum age.  New deliveries lower the index
# before their file exists; a scan sets it to the earliest due time left.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

set_mode r 500
start_receiver r
P=$(port_of r)
R="$T_DIR/r.jsonl"
srv=$(make_server srv)
OB="$srv/gitops-gate/outbox"
notify_config "$srv" \
	"clusters:" \
	"  - name: prod" \
	"    receivers:" \
	"      - name: flux" \
	"        url: http://127.0.0.1:$P/hook/prod" \
	"        token_file: $TOKEN" \
	"notify:" \
	"  budget_ms: 1000" \
	"  backoff_ms: 600000" \
	"  backoff_max_ms: 600000"
work=$(make_work w "$srv")
# index_due: the due time the index holds
index_due() {
	cut -d' ' -f1 "$OB/next-due"
}
# earliest: the earliest next_attempt_time of the queued deliveries
earliest() {
	python3 -c 'import glob, json, sys; print(min(json.load(open(f))["next_attempt_time"] for f in glob.glob(sys.argv[1] + "/*.json")))' "$OB"
}
# plant NAME: a copy of the queued delivery under a new id, due now, written
# behind the index's back; prints the id
plant() {
	python3 - "$OB" "$1" <<'PY'
import glob, hashlib, json, os, sys
src = sorted(glob.glob(sys.argv[1] + "/*.json"))[0]
d = json.load(open(src))
d["id"] = hashlib.sha256(sys.argv[2].encode()).hexdigest()[:32]
d["attempts"] = 0
d["next_attempt_time"] = 0
with open(os.path.join(sys.argv[1], d["id"] + ".json"), "w") as f:
    json.dump(d, f)
print(d["id"])
PY
}
arrived() {
	q "$R" 'len([x for x in L if x["delivery"] == "'"$1"'" and x["status"] == 200 and set(x["checks"].values()) == {"ok"}])'
}

put_file "$work" apps/a.yaml "$(valid_deployment a)" "a"
ok "push accepted while the receiver fails" push "$work" origin main
is "one delivery queued, next try in 5 to 10 minutes" "$(outbox_count "$srv")" 1
ok "post-receive lowered nothing it did not need: no index before the first drain" test ! -e "$OB/next-due"
ok "first drain: no index, so it looks at every delivery" "$GATE_BIN" notify --drain --git-dir "$srv"
like "it listed the outbox" "$(cat "$T_DIR/.out")" "notify: 0 delivered, 0 failed, 1 waiting in the outbox before this run"
is "the index holds the earliest due time" "$(index_due)" "$(earliest)"
ok "second drain" "$GATE_BIN" notify --drain --git-dir "$srv"
like "answered from the index" "$(cat "$T_DIR/.out")" "notify: nothing due before "
set_mode r ok

# the index is used: a due delivery planted behind its back is not seen
p1=$(plant p1)
n0=$(q "$R" 'len(L)')
ok "drain while the index says nothing is due" "$GATE_BIN" notify --drain --git-dir "$srv"
like "no delivery read" "$(cat "$T_DIR/.out")" "(outbox index)"
is "the planted delivery was not sent" "$(q "$R" 'len(L)')" "$n0"
ok "it is still queued" test -f "$OB/$p1.json"

# a torn index: one scan
printf 'garb' >"$OB/next-due"
ok "drain with a torn index" "$GATE_BIN" notify --drain --git-dir "$srv"
like "it scanned" "$(cat "$T_DIR/.out")" "notify: 1 delivered, 0 failed, 2 waiting"
is "the planted delivery arrived, verified" "$(arrived "$p1")" 1
is "the index is whole again, at the earliest due time" "$(index_due)" "$(earliest)"

# a missing index: one scan
p2=$(plant p2)
rm -f "${OB:?}/next-due"
ok "drain without an index" "$GATE_BIN" notify --drain --git-dir "$srv"
is "the planted delivery arrived" "$(arrived "$p2")" 1
is "the index is back" "$(index_due)" "$(earliest)"

# an index too early (as a crash after lowering it leaves it): one scan, then right again
p3=$(plant p3)
sed -i 's/^[0-9]*/1/' "$OB/next-due"
ok "drain with an index too early" "$GATE_BIN" notify --drain --git-dir "$srv"
is "the planted delivery arrived" "$(arrived "$p3")" 1
is "the index is right again" "$(index_due)" "$(earliest)"

# an index whose last scan is older than its maximum age (600 s): one scan
p4=$(plant p4)
old=$(( $(date +%s) - 700 ))
sed -i "s/ [0-9]*\$/ $old/" "$OB/next-due"
ok "drain with an old index" "$GATE_BIN" notify --drain --git-dir "$srv"
is "the planted delivery arrived" "$(arrived "$p4")" 1

# an index due later than any backoff allows (the clock was ahead): one scan
p5=$(plant p5)
sed -i 's/^[0-9]*/99999999999/' "$OB/next-due"
ok "drain with an index from a clock far ahead" "$GATE_BIN" notify --drain --git-dir "$srv"
is "the planted delivery arrived" "$(arrived "$p5")" 1

# --all does not ask the index
p6=$(plant p6)
ok "drain --all" "$GATE_BIN" notify --drain --all --git-dir "$srv"
is "the planted delivery and the waiting one arrived" "$(arrived "$p6"),$(outbox_count "$srv")" "1,0"
ok "nothing queued: the index says so" test "$(index_due)" = "-"
ok "drain with nothing queued" "$GATE_BIN" notify --drain --git-dir "$srv"
like "answered from the index" "$(cat "$T_DIR/.out")" "notify: nothing queued (outbox index)"

# a new delivery lowers the index before its file is written
set_mode r 500
t0=$(date +%s)
put_file "$work" apps/b.yaml "$(valid_deployment b)" "b"
ok "push while the receiver fails" push "$work" origin main
ok "the index was lowered to the new delivery's creation (not after $t0 + the push)" \
	test "$(index_due)" -le "$(date +%s)"
ok "and so the next drain looks" "$GATE_BIN" notify --drain --git-dir "$srv"
like "it scanned" "$(cat "$T_DIR/.out")" "1 waiting in the outbox before this run"
is "then the index is the retry time" "$(index_due)" "$(earliest)"

done_testing
