#!/bin/sh
# bench/record.sh: the record's cost against the length of its history.
# For 10,000 and 100,000 accepted pushes (synthetic), the median of RUNS runs,
# wall and CPU (user+sys), of `status`, `rollback` to the oldest accepted
# revision, `rollforward`, and `reconcile` with nothing to do (target: each
# under 100 ms); and the repository objects the gate writes for one real
# push (gate log + notes) at both sizes (must be equal).
#
# How the history is made (not 100,000 real pushes): a real push seeds the
# gate log, then `git fast-import` writes, in two passes, N commits (the
# accepted revisions, a chain of empty commits) and N gate log commits on
# top of the real log, each with the entry.json, state.json and
# accepted/ab/cd/<36> index blob gitops-gate itself writes (see
# include/gate/gate_log.h) and the accepted revision as second parent; the
# journal gets the N matching lines, the accepted ref the last revision.
# Timings are reported, never asserted (the machine may be loaded); the bench
# fails only when a command fails or the object counts differ.
#   GATE_BIN=build/gitops-gate SIZES="10000 100000" RUNS=5 sh bench/record.sh
GATE_SRCDIR=${GATE_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
GATE_BUILDDIR=${GATE_BUILDDIR:-$(pwd)}
GATE_BIN=${GATE_BIN:-$GATE_BUILDDIR/gitops-gate}
export GATE_SRCDIR GATE_BUILDDIR GATE_BIN
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"
RUNS=${RUNS:-5}
SIZES=${SIZES:-10000 100000}
LOG=refs/gitops-gate/log
AREF=refs/heads/gitops/accepted/main
status=0

# timed CMD...: "<wall ms> <cpu ms>" of CMD (cpu: user+sys of CMD and its children)
timed() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
t1 = time.monotonic()
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode != 0:
    sys.stderr.write(p.stderr.decode(errors="replace"))
    sys.exit(1)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("%.1f %.1f" % ((t1 - t0) * 1000, cpu * 1000))
PY
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# synth SRV N: N accepted pushes written straight into the gate log (see above)
synth() {
	python3 - "$1" "$2" <<'PY'
import json, os, subprocess, sys
srv, n = sys.argv[1], int(sys.argv[2])
aref = "refs/heads/gitops/accepted/main"
def git(*a, **kw):
    return subprocess.run(["git", "--git-dir", srv] + list(a), check=True, **kw)
# pass 1: the accepted revisions
marks = os.path.join(srv, "bench-marks")
p = subprocess.Popen(["git", "--git-dir", srv, "fast-import", "--quiet", "--export-marks=" + marks],
                     stdin=subprocess.PIPE)
w = p.stdin.write
for i in range(1, n + 1):
    w(b"commit refs/bench/history\nmark :%d\ncommitter B <b@example.com> %d +0000\ndata 0\n" % (i, 1700000000 + i))
    if i > 1:
        w(b"from :%d\n" % (i - 1))
    w(b"\n")
p.stdin.close()
assert p.wait() == 0
hexes = {}
for line in open(marks):
    m, h = line.split()
    hexes[int(m[1:])] = h
# pass 2: the log, on top of the real one
head = git("rev-parse", "refs/gitops-gate/log", capture_output=True, text=True).stdout.strip()
state = json.loads(git("show", "refs/gitops-gate/log:state.json", capture_output=True, text=True).stdout)
seq0 = state["seq"]
p = subprocess.Popen(["git", "--git-dir", srv, "fast-import", "--quiet"], stdin=subprocess.PIPE)
w = p.stdin.write
def blob(path, obj):
    data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    w(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
jl = open(os.path.join(srv, "gitops-gate", "journal"), "a")
for i in range(1, n + 1):
    seq = seq0 + i
    t, old = hexes[i], hexes[i - 1] if i > 1 else None
    entry = {"event": "accepted", "ref": "refs/heads/main", "old": old or "0" * 40, "new": t,
             "target": t, "accepted_ref": aref, "previous": old, "moved": True, "pusher": "bench",
             "bypass": None, "verdict": {"problems": 0}, "deliveries": [], "clusters": [],
             "intent": "%024x" % i, "time": "2026-01-01T00:00:00Z", "seq": seq}
    st = {"ref": "refs/heads/main", "target": t, "newest": t, "seq": seq, "last_seq": seq,
          "event": "accepted", "time": entry["time"], "pusher": "bench", "bypass": None,
          "previous": old, "intent": entry["intent"]}
    state["seq"] = seq
    state["refs"][aref] = st
    msg = b"gitops-gate: accepted %s %s (seq %d)\n" % (aref.encode(), t[:12].encode(), seq)
    w(b"commit refs/gitops-gate/log\ncommitter gitops-gate <gitops-gate@localhost> 1700000000 +0000\n")
    w(b"data %d\n%s" % (len(msg), msg))
    if i == 1:  # later commits follow the branch's own tip inside fast-import
        w(b"from %s\n" % head.encode())
    w(b"merge %s\n" % t.encode())
    blob("entry.json", entry)
    blob("state.json", state)
    blob("accepted/%s/%s/%s" % (t[:2], t[2:4], t[4:]),
         {aref: {"seq": seq, "intent": entry["intent"], "time": entry["time"], "pusher": "bench",
                 "ref": "refs/heads/main"}})
    w(b"\n")
    jl.write(json.dumps(entry, separators=(",", ":")) + "\n")
p.stdin.close()
assert p.wait() == 0
jl.close()
git("update-ref", aref, hexes[n])
os.unlink(marks)
print(hexes[1])
PY
}

# gate_objects SRV OLDLOG OLDNOTES NEWREV: objects the gate wrote for one push
gate_objects() {
	git -C "$1" rev-list --objects $LOG refs/notes/gitops-gate --not "$2" "$3" "$4" | wc -l | tr -d ' '
}

counts=
for n in $SIZES; do
	srv=$(make_server "s$n")
	work=$(make_work "w$n" "$srv")
	put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "web"
	push "$work" origin main || { cat "$T_DIR/push.out" >&2; bail "first push failed"; }
	t0=$(date +%s)
	oldest=$(synth "$srv" "$n") || bail "synthetic history of $n failed"
	echo "history: $n accepted pushes written in $(($(date +%s) - t0)) s (fast-import); log $(git -C "$srv" rev-list --first-parent --count $LOG) commits, journal $(wc -c <"$srv/gitops-gate/journal") bytes"
	for cmd in status rollback rollforward reconcile; do
		: >"$T_DIR/wall"
		: >"$T_DIR/cpu"
		r=0
		while [ $r -lt "$RUNS" ]; do
			case $cmd in
			status) set -- status ;;
			# each rollback run starts from the newest: rollforward (untimed) in between
			rollback) set -- rollback main "$oldest" ;;
			rollforward) "$GATE_BIN" rollback --git-dir "$srv" main "$oldest" >/dev/null; set -- rollforward main ;;
			reconcile) set -- reconcile ;;
			esac
			out=$(timed "$GATE_BIN" "$@" --git-dir "$srv") || { echo "bench record: $cmd failed at $n" >&2; status=1; break; }
			[ "$cmd" = rollback ] && "$GATE_BIN" rollforward --git-dir "$srv" main >/dev/null
			echo "${out% *}" >>"$T_DIR/wall"
			echo "${out#* }" >>"$T_DIR/cpu"
			r=$((r + 1))
		done
		printf '%s at %7d pushes: median wall %6s ms, cpu %6s ms (%d runs)\n' "$cmd" "$n" \
			"$(median <"$T_DIR/wall")" "$(median <"$T_DIR/cpu")" "$RUNS"
	done
	reco=$("$GATE_BIN" reconcile --git-dir "$srv")
	case $reco in *"the record is consistent"*) ;; *) echo "bench record: reconcile had work at $n: $reco" >&2; status=1 ;; esac
	ol=$(ref_of "$srv" $LOG)
	on=$(ref_of "$srv" refs/notes/gitops-gate)
	put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)
# after $n" "after $n"
	push "$work" origin main || { cat "$T_DIR/push.out" >&2; bail "push after $n failed"; }
	c=$(gate_objects "$srv" "$ol" "$on" "$(ref_of "$srv" refs/heads/main)")
	echo "objects written by the gate for one push after $n: $c"
	counts="$counts $c"
	rm -rf "$srv" "$work"
done
set -- $counts
first=$1
for c in "$@"; do
	[ "$c" = "$first" ] || { echo "bench record: objects per push differ across sizes:$counts" >&2; status=1; }
done
echo "objects per push across sizes:$counts"
exit $status
