#!/bin/sh
# tests/soak/soak.sh [PUSHES [CLIENTS]]: load test of the whole gate (not part
# of make check; `make soak` runs it with 1000 pushes from 8 clients).
#
# A bare repository with both hooks, a receiver that answers 500 to every
# tenth request, and CLIENTS clones pushing at once, PUSHES rounds in all.
# Half of the clients push to main (so they race: a push that loses is
# rebased and pushed again), the others each to their own branch.  Every
# tenth round of a client is an invalid manifest that must be rejected (the
# client then drops it).  Each hook run goes through GNU time (max RSS) and a
# sampler records the most file descriptors each gitops-gate process held.
#
# Then it checks: every accepted push is recorded exactly once in the journal
# and no rejected one is; after notify --drain every delivery of the journal
# reached the receiver and was verified, and the outbox is empty; the verdict
# cache holds one intact record per judged blob; reconcile finds nothing to
# repair; the accepted refs equal the branch tips; max RSS and fd counts of
# the last hook runs are no higher than those of the first ones (within a
# margin).  The figures are printed as TAP comments.
#
# Environment: GATE_BIN, GATE_SRCDIR, GATE_BUILDDIR, GATE_SHARED_DIR as in
# make check; SOAK_KEEP=1 keeps the work folder.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/hooks/lib-git.sh"

PUSHES=${1:-1000}
CLIENTS=${2:-8}
TIME=/usr/bin/time
[ -x "$TIME" ] || skip_all "GNU time is needed (apt-get install time)"
command -v python3 >/dev/null || skip_all "python3 not installed"

S=$T_DIR/soak
mkdir -p "$S"
PIDS=
soak_cleanup() {
	touch "$S/stop"
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "${SOAK_KEEP:-}" ]; then
		echo "# kept: $T_DIR"
	else
		rm -rf "$T_DIR"
	fi
}
trap soak_cleanup EXIT

# ---- the receiver: one failure in ten ----
TOKEN=$S/token
printf 'soak-secret-%s\n' "$$" >"$TOKEN"
chmod 600 "$TOKEN"
: >"$S/received.jsonl"
python3 "$GATE_SRCDIR/tests/soak/flaky_receiver.py" --port-file "$S/port" \
	--record "$S/received.jsonl" --token-file "$TOKEN" >"$S/receiver.log" 2>&1 &
PIDS="$PIDS $!"
i=0
while [ ! -s "$S/port" ]; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && bail "receiver did not start: $(cat "$S/receiver.log")"
	sleep 0.05
done
PORT=$(head -n 1 "$S/port")

# ---- the server: both hooks, each run measured ----
SRV=$S/fleet.git
git init -q --bare "$SRV"
"$GATE_BIN" install "$SRV" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
for h in pre-receive post-receive; do
	cat >"$SRV/hooks/$h" <<EOF
#!/bin/sh
GATE_SCHEMA_DIR='$GATE_SCHEMA_DIR'
export GATE_SCHEMA_DIR
exec $TIME -a -o '$S/time.$h' -f '%M %e %x' '$GATE_BIN' hook $h
EOF
	chmod +x "$SRV/hooks/$h"
done
write_config "$SRV" \
	"policy:" \
	"  builtin_checks: true" \
	"clusters:" \
	"  - name: soak" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$PORT/hook/soak" \
	"        format: flux-generic-hmac" \
	"        token_file: $TOKEN" \
	"notify:" \
	"  backoff_ms: 0" \
	"  backoff_max_ms: 0" \
	"  max_attempts: 20"

# seed main so that every client starts from a common history
seed=$(make_work seed "$SRV")
put_file "$seed" README.md "fleet" "seed"
git -C "$seed" push -q origin main 2>"$S/seed.err" || bail "seed push failed: $(cat "$S/seed.err")"
# (README.md is judged too: secret scanning reads every pushed file)
echo "seed refs/heads/main $(git -C "$seed" rev-parse HEAD) $(git -C "$seed" rev-parse HEAD:README.md)" >"$S/c-seed.log"

# ---- the fd sampler: most fds of each gitops-gate process ----
python3 - "$S/fds" "$S/stop" <<'EOF' &
import os, sys, time
out, stop = sys.argv[1], sys.argv[2]
seen = {}
while not os.path.exists(stop):
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % p) as f:
                if f.read().strip() != "gitops-gate":
                    continue
            with open("/proc/%s/cmdline" % p, "rb") as f:
                args = f.read().split(b"\0")
            n = len(os.listdir("/proc/%s/fd" % p))
            st = os.stat("/proc/%s" % p).st_ctime_ns
        except OSError:
            continue
        kind = "other"
        for a in args:
            if a in (b"pre-receive", b"post-receive"):
                kind = a.decode()
        key = (p, st)
        if key not in seen:
            seen[key] = [time.time(), kind, n]
        elif n > seen[key][2]:
            seen[key][2] = n
    time.sleep(0.005)
with open(out, "w") as f:
    for (p, st), (t, kind, n) in sorted(seen.items(), key=lambda kv: kv[1][0]):
        f.write("%.3f %s %s %d\n" % (t, p, kind, n))
EOF
SAMPLER=$!
PIDS="$PIDS $SAMPLER"

# ---- the clients ----
# client N ROUNDS: pushes ROUNDS rounds; logs "<result> <ref> <sha> <blob>" lines
client() {
	_n=$1
	_rounds=$2
	_w=$S/c$_n
	_log=$S/c$_n.log
	git clone -q "$SRV" "$_w" 2>/dev/null
	if [ $((_n % 2)) -eq 0 ]; then
		_ref=main
	else
		_ref=team-$_n
		git -C "$_w" checkout -q -b "$_ref"
	fi
	_k=1
	while [ "$_k" -le "$_rounds" ]; do
		_f=apps/c$_n/deploy-$((_k % 7)).yaml
		mkdir -p "$_w/apps/c$_n"
		if [ $((_k % 10)) -eq 0 ]; then
			invalid_deployment "c$_n-$((_k % 7))" | sed "s/replicas: \"three\"/replicas: \"r$_k\"/" >"$_w/$_f"
		else
			valid_deployment "c$_n-$((_k % 7))" | sed "s/replicas: 2/replicas: $_k/" >"$_w/$_f"
		fi
		git -C "$_w" add "$_f"
		git -C "$_w" commit -q -m "c$_n round $_k"
		_tries=0
		while :; do
			_tries=$((_tries + 1))
			_sha=$(git -C "$_w" rev-parse HEAD)
			_blob=$(git -C "$_w" rev-parse "HEAD:$_f")
			if git -C "$_w" push origin "$_ref" >"$S/c$_n.out" 2>&1; then
				echo "accepted refs/heads/$_ref $_sha $_blob $(sed -n 's/.*judged (\([0-9]*\) from cache).*/\1/p' "$S/c$_n.out" | head -1)" >>"$_log"
				break
			fi
			if grep -q 'pre-receive hook declined' "$S/c$_n.out"; then
				echo "rejected refs/heads/$_ref $_sha $_blob" >>"$_log"
				if [ $((_k % 10)) -ne 0 ]; then
					echo "unexpected-rejection refs/heads/$_ref $_sha $_blob" >>"$_log"
					sed 's/^/#  c'"$_n"': /' "$S/c$_n.out" >>"$S/unexpected.txt"
				fi
				git -C "$_w" reset -q --hard HEAD~1
				break
			fi
			# lost a race (fetch first, cannot lock the ref): rebase, push again
			echo "retry refs/heads/$_ref $_sha $_blob" >>"$_log"
			if [ "$_tries" -gt 50 ]; then
				echo "gave-up refs/heads/$_ref $_sha $_blob" >>"$_log"
				sed 's/^/#  c'"$_n"': /' "$S/c$_n.out" >>"$S/unexpected.txt"
				break
			fi
			git -C "$_w" pull -q --rebase origin "$_ref" >/dev/null 2>&1 ||
				{ git -C "$_w" rebase --abort >/dev/null 2>&1 || true; }
		done
		_k=$((_k + 1))
	done
}

per=$((PUSHES / CLIENTS))
extra=$((PUSHES - per * CLIENTS))
start=$(date +%s.%N)
CPIDS=
c=0
want_rej=0
while [ "$c" -lt "$CLIENTS" ]; do
	r=$per
	[ "$c" -lt "$extra" ] && r=$((r + 1))
	want_rej=$((want_rej + r / 10))
	client "$c" "$r" &
	CPIDS="$CPIDS $!"
	c=$((c + 1))
done
for p in $CPIDS; do
	wait "$p" || true
done
end=$(date +%s.%N)

# ---- drain what failed ----
drains=0
outbox_n() {
	find "$SRV/gitops-gate/outbox" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l | tr -d ' '
}
queued_before_drain=$(outbox_n)
while [ "$(outbox_n)" != 0 ] && [ "$drains" -lt 20 ]; do
	drains=$((drains + 1))
	GATE_SCHEMA_DIR=$GATE_SCHEMA_DIR "$GATE_BIN" notify --drain --all --quiet --git-dir "$SRV" \
		>>"$S/drain.out" 2>&1 || true
done
touch "$S/stop"
wait "$SAMPLER" 2>/dev/null || true

# ---- figures and checks ----
cat "$S"/c*.log >"$S/all.log"
python3 - "$S" "$SRV" "$start" "$end" "$PUSHES" "$CLIENTS" "$drains" "$queued_before_drain" >"$S/report" <<'EOF'
import collections, json, os, statistics, sys
S, SRV, start, end, pushes, clients, drains, queued = sys.argv[1:]
start, end = float(start), float(end)
log = [l.split() for l in open(os.path.join(S, "all.log")) if l.strip()]
acc = [(x[1], x[2]) for x in log if x[0] == "accepted"]
rej = [(x[1], x[2]) for x in log if x[0] == "rejected"]
retries = sum(1 for x in log if x[0] == "retry")
unexpected = sum(1 for x in log if x[0] in ("unexpected-rejection", "gave-up"))
blobs = set(x[3] for x in log if x[0] in ("seed", "accepted", "rejected", "retry"))
J = [json.loads(l) for l in open(os.path.join(SRV, "gitops-gate", "journal")) if l.strip()]
R = [json.loads(l) for l in open(os.path.join(S, "received.jsonl")) if l.strip()]
seeds = set((x[1], x[2]) for x in log if x[0] == "seed")
jacc = collections.Counter((e["ref"], e["new"]) for e in J
                           if e["event"] == "accepted" and (e["ref"], e["new"]) not in seeds)
ids = [d for e in J for d in (e.get("deliveries") or [])]
ok200 = collections.Counter(x["delivery"] for x in R if x["status"] == 200)
bad_checks = sum(1 for x in R if x["status"] == 400)
fails500 = sum(1 for x in R if x["status"] == 500)

def times(h):
    p = os.path.join(S, "time." + h)
    rows = [l.split() for l in open(p)] if os.path.exists(p) else []
    return [(int(r[0]), float(r[1]), int(r[2])) for r in rows if len(r) == 3]

def fds(h):
    p = os.path.join(S, "fds")
    rows = [l.split() for l in open(p)] if os.path.exists(p) else []
    return [int(r[3]) for r in rows if r[2] == h]

def first_last(v, n=100):
    n = min(n, max(1, len(v) // 4))
    return v[:n], v[-n:]

out = {}
out["wall_s"] = round(end - start, 1)
out["pushes_per_s"] = round((len(acc) + len(rej)) / (end - start), 1)
out["push_attempts"] = len(acc) + len(rej) + retries
out["accepted"] = len(acc)
out["rejected"] = len(rej)
out["race_retries"] = retries
out["unexpected"] = unexpected
out["journal_accepted_lines"] = sum(jacc.values())
out["journal_lines"] = len(J)
out["accepted_missing_in_journal"] = sum(1 for a in acc if jacc[a] == 0)
out["accepted_recorded_twice"] = sum(1 for a in acc if jacc[a] > 1)
out["journal_lines_not_pushed"] = sum(1 for k in jacc if k not in set(acc))
out["rejected_in_journal"] = sum(1 for r in rej if jacc[r] > 0)
out["moved_false"] = sum(1 for e in J if e["event"] == "accepted" and not e.get("moved"))
out["deliveries"] = len(ids)
out["deliveries_unique"] = len(set(ids))
out["deliveries_not_arrived"] = sum(1 for d in set(ids) if ok200[d] == 0)
out["deliveries_arrived_twice"] = sum(1 for d in set(ids) if ok200[d] > 1)
out["requests"] = len(R)
out["answered_500"] = fails500
out["failed_signature_checks"] = bad_checks
out["queued_before_drain"] = int(queued)
out["drain_runs"] = int(drains)
out["distinct_blobs"] = len(blobs)
out["verdict_fingerprints"] = len(set((e.get("verdict") or {}).get("fingerprint") for e in J))
out["handoffs_left"] = len([f for f in os.listdir(os.path.join(SRV, "gitops-gate", "handoff"))
                            if f.endswith(".json")]) if os.path.isdir(os.path.join(SRV, "gitops-gate", "handoff")) else 0
out["accepted_with_cache_hits"] = sum(1 for x in log if x[0] == "accepted" and len(x) > 4 and x[4] != "0")
for h in ("pre-receive", "post-receive"):
    t = times(h)
    if not t:
        continue
    rss = [r[0] for r in t]
    a, b = first_last(rss)
    out[h + "_runs"] = len(t)
    out[h + "_nonzero_exit"] = sum(1 for r in t if r[2] != 0)
    out[h + "_rss_kb_first_median"] = int(statistics.median(a))
    out[h + "_rss_kb_last_median"] = int(statistics.median(b))
    out[h + "_rss_kb_max"] = max(rss)
    out[h + "_wall_s_median"] = round(statistics.median([r[1] for r in t]), 3)
    out[h + "_wall_s_max"] = round(max(r[1] for r in t), 3)
    f = fds(h)
    if f:
        a, b = first_last(f)
        out[h + "_fds_sampled"] = len(f)
        out[h + "_fds_first_max"] = max(a)
        out[h + "_fds_last_max"] = max(b)
        out[h + "_fds_max"] = max(f)
for k, v in out.items():
    print("%s %s" % (k, v))
EOF
sed 's/^/# /' "$S/report"
v() {
	sed -n "s/^$1 //p" "$S/report"
}
[ -s "$S/unexpected.txt" ] && head -40 "$S/unexpected.txt"

is "no unexpected rejection, no client gave up" "$(v unexpected)" 0
is "every round pushed: accepted + rejected = $PUSHES" "$(($(v accepted) + $(v rejected)))" "$PUSHES"
is "one in ten rounds rejected (the invalid ones)" "$(v rejected)" "$want_rej"
is "every accepted push is in the journal" "$(v accepted_missing_in_journal)" 0
is "none is recorded twice" "$(v accepted_recorded_twice)" 0
is "the journal holds nothing else that was accepted" "$(v journal_lines_not_pushed)" 0
is "no rejected push is in the journal" "$(v rejected_in_journal)" 0
is "journal: one accepted line per accepted push" "$(v journal_accepted_lines)" "$(v accepted)"
ok "the receiver failed some requests on purpose" test "$(v answered_500)" -gt 0
is "every signed request passed the receiver's checks" "$(v failed_signature_checks)" 0
is "after notify --drain every delivery arrived" "$(v deliveries_not_arrived)" 0
is "outbox empty" "$(outbox_n)" 0
is "no dead letters" "$(find "$SRV/gitops-gate/outbox/dead" -name '*.json' 2>/dev/null | wc -l | tr -d ' ')" 0
is "no pending record intents" "$(find "$SRV/gitops-gate/pending" -name '*.json' 2>/dev/null | wc -l | tr -d ' ')" 0

cc=$("$GATE_BIN" hook cache-check "$SRV" 2>&1 || true)
echo "# $cc"
is "verdict cache: every record intact, none temporary" "$(echo "$cc" | sed 's/[0-9]* good/N good/')" \
	"verdict cache: N good, 0 bad, 0 temporary"
good=$(echo "$cc" | sed -n 's/verdict cache: \([0-9]*\) good.*/\1/p')
is "verdict cache: one record per distinct judged blob" "$good" "$(v distinct_blobs)"

is "one verdict fingerprint for the whole run" "$(v verdict_fingerprints)" 1

# pre-receive leaves a hand-over for every update it accepts; when the ref
# update then loses a race, nothing but reconcile removes it (after 60 s)
rc=$(GATE_SCHEMA_DIR=$GATE_SCHEMA_DIR "$GATE_BIN" reconcile --git-dir "$SRV" 2>&1 || true)
echo "$rc" | grep -v 'stale pre-receive verdict' | sed 's/^/# /'
is "reconcile repairs nothing (it may only drop stale hand-overs of lost races)" \
	"$(echo "$rc" | grep -v -e 'stale pre-receive verdict: the ref never took this update' \
		-e '^reconcile: the record is consistent$' || true)" ""
echo "# reconcile dropped $(echo "$rc" | grep -c 'stale pre-receive verdict' || true) stale hand-overs"
rc=$(GATE_SCHEMA_DIR=$GATE_SCHEMA_DIR "$GATE_BIN" reconcile --git-dir "$SRV" 2>&1 || true)
like "a second reconcile finds the record consistent" "$rc" "reconcile: the record is consistent"
for r in $(git -C "$SRV" for-each-ref --format='%(refname)' refs/heads/ | grep -v '^refs/heads/gitops/'); do
	b=${r#refs/heads/}
	is "accepted ref of $b is its tip" \
		"$(git -C "$SRV" rev-parse "refs/heads/gitops/accepted/$b" 2>/dev/null || echo none)" \
		"$(git -C "$SRV" rev-parse "$r")"
done

for h in pre-receive post-receive; do
	a=$(v "${h}_rss_kb_first_median")
	b=$(v "${h}_rss_kb_last_median")
	ok "$h: max RSS flat (last median $b KiB <= first median $a KiB + 20%)" \
		test "$b" -le $((a + a / 5))
	a=$(v "${h}_fds_first_max")
	b=$(v "${h}_fds_last_max")
	if [ -n "$a" ]; then
		ok "$h: fds flat (most held: first runs $a, last runs $b)" test "$b" -le "$((a + 2))"
	fi
	is "$h: every run exited as expected" "$(v "${h}_nonzero_exit")" \
		"$([ "$h" = pre-receive ] && v rejected || echo 0)"
done
done_testing
