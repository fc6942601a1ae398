# tests/faults/lib-faults.sh: the fault scenarios of issue 13, shared by
# tests/faults/run.sh (make faults: every scenario) and tests/faults/check.sh
# (make check: the ones that pass today and are cheap).  Source after
# tests/lib.sh and tests/notify/lib-notify.sh.
#
# Every case runs on its own copy of one template: a bare repository with the
# gate installed, a cluster whose receiver is tests/notify/receiver.py on
# loopback (path /hook/<case>), one accepted push already recorded and
# delivered, core.logAllRefUpdates=always (the reflogs are the ground truth of
# what git accepted and how the accepted ref moved).  A case pushes for real
# with a fault injected into post-receive only (tests/faults/shim.c through a
# hook wrapper), pushes once more normally, and then check-invariants lets the
# gate's own tools recover (reconcile, notify --drain) and checks.
#
#   fx_setup                      # receiver and template, once
#   fx_case NAME                  # $C (case folder), $SRV, $WORK
#   fx_commit [TAG]               # a new valid manifest committed in $WORK
#   fx_push [VAR=VALUE...]        # push $WORK; the VARs go to post-receive only
#   fx_check [DETAIL]             # run the checker; a PASS/FAIL/SKIP line in $FX_RESULTS

SHIM=${GATE_FAULT_SHIM:-$GATE_BUILDDIR/tests/faults/gate-fault-shim.so}
CHECK="$GATE_SRCDIR/tests/faults/check-invariants"
FAKETIME_LIB=
for _f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
	/usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -f "$_f" ] && FAKETIME_LIB=$_f && break
done
FX_RESULTS="$T_DIR/results"
: >"$FX_RESULTS"
FX_SEQ=0
FX_TIMES=${FX_TIMES:-}
FX_FAIL=
# a bound on any one push or tool run (against hangs; nothing asserts time)
FX_TIMEOUT=${FX_TIMEOUT:-120}

[ -f "$SHIM" ] || bail "fault shim not built: $SHIM (make tests/faults/gate-fault-shim.so)"

fx_setup() {
	# a token the receiver does not hold: its deliveries are refused (400)
	FX_BAD_TOKEN="$T_DIR/bad-token"
	printf 'not-the-secret' >"$FX_BAD_TOKEN"
	chmod 600 "$FX_BAD_TOKEN"
	start_receiver r
	FX_PORT=$(port_of r)
	FX_REC="$T_DIR/r.jsonl"
	FX_TMPL="$T_DIR/tmpl"
	mkdir -p "$FX_TMPL" "$T_DIR/c"
	git init -q --bare "$FX_TMPL/srv.git"
	"$GATE_BIN" install "$FX_TMPL/srv.git" --schema-dir "$GATE_SCHEMA_DIR" --no-config >/dev/null
	write_config "$FX_TMPL/srv.git" \
		"clusters:" \
		"  - name: prod" \
		"    receivers:" \
		"      - url: http://127.0.0.1:$FX_PORT/hook/tmpl" \
		"        format: flux-generic-hmac" \
		"        token_file: $TOKEN" \
		"notify:" \
		"  backoff_ms: 0" \
		"  budget_ms: 3000"
	git -C "$FX_TMPL/srv.git" config core.logAllRefUpdates always
	git -C "$FX_TMPL/srv.git" config gc.reflogExpire never
	git -C "$FX_TMPL/srv.git" config gc.reflogExpireUnreachable never
	git -C "$FX_TMPL/srv.git" config gc.auto 0
	git -C "$FX_TMPL/srv.git" config receive.autogc false
	# post-receive gets the fault environment, nothing else does
	mv "$FX_TMPL/srv.git/hooks/post-receive" "$FX_TMPL/srv.git/hooks/post-receive.gate"
	cat >"$FX_TMPL/srv.git/hooks/post-receive" <<'EOF'
#!/bin/sh
# fault suite: post-receive alone runs with the shim (and libfaketime)
if [ -n "${FX_PR_PRELOAD:-}" ]; then
	LD_PRELOAD=$FX_PR_PRELOAD
	# an ASan build of the gate wants its runtime first; the shim goes before it
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export LD_PRELOAD ASAN_OPTIONS
fi
if [ -n "${FX_PR_FAKETIME:-}" ]; then
	# the clock jumps; files keep the times they were written with
	FAKETIME=$FX_PR_FAKETIME
	NO_FAKE_STAT=1
	export FAKETIME NO_FAKE_STAT
fi
exec "$(dirname "$0")/post-receive.gate" "$@"
EOF
	chmod 755 "$FX_TMPL/srv.git/hooks/post-receive"
	git clone -q "$FX_TMPL/srv.git" "$FX_TMPL/work" 2>/dev/null
	git -C "$FX_TMPL/work" checkout -q -B main
	put_file "$FX_TMPL/work" clusters/prod/web.yaml "$(valid_deployment web)" "seed"
	git -C "$FX_TMPL/work" push -q origin main 2>"$T_DIR/seed.out" || bail "seed push failed: $(cat "$T_DIR/seed.out")"
	[ "$(ref_of "$FX_TMPL/srv.git" refs/heads/gitops/accepted/main)" = "$(ref_of "$FX_TMPL/srv.git" refs/heads/main)" ] ||
		bail "seed push not recorded: $(cat "$T_DIR/seed.out")"
	[ "$(outbox_count "$FX_TMPL/srv.git")" = 0 ] || bail "seed delivery not sent"
}

# fx_case NAME: a fresh copy of the template
fx_case() {
	FX_NAME=$1
	C="$T_DIR/c/$1"
	rm -rf "$C"
	mkdir -p "$C"
	cp -a "$FX_TMPL/srv.git" "$C/srv.git"
	cp -a "$FX_TMPL/work" "$C/work"
	SRV="$C/srv.git"
	WORK="$C/work"
	sed -i "s|/hook/tmpl|/hook/$1|" "$SRV/gitops-gate.yaml"
	git -C "$WORK" remote set-url origin "$SRV"
}

fx_commit() {
	FX_SEQ=$((FX_SEQ + 1))
	_app=app${1:-}$FX_SEQ
	put_file "$WORK" "clusters/prod/$_app.yaml" "$(valid_deployment "$_app")" "add $_app"
}

# fx_push [VAR=VALUE...]: push main; FX_* variables reach the post-receive wrapper
fx_push() {
	env "$@" timeout "$FX_TIMEOUT" git -C "$WORK" push origin main >"$C/push.out" 2>&1
}

# fx_fault ACTION N [OP] [PATH]: the variables for one injected fault in post-receive
fx_fault() {
	echo "FX_PR_PRELOAD=$SHIM GATE_FAULT_PROG=gitops-gate GATE_FAULT_ARGV=post-receive" \
		"GATE_FAULT_ACTION=$1 GATE_FAULT_N=$2 GATE_FAULT_OP=${3:-any}" \
		"GATE_FAULT_PATH=${4:-$SRV/*} GATE_FAULT_TRACE=$C/trace"
}

# fx_check: recover with the gate's tools and check; one result line
fx_check() {
	_extra=${1:-}
	python3 "$CHECK" --git-dir "$SRV" --gate "$GATE_BIN" --record "$FX_REC" \
		--paths "/hook/tmpl,/hook/$FX_NAME" --scratch "$C" \
		${FX_EXPECT_DEAD:+--expect-dead "$FX_EXPECT_DEAD"} >"$C/check.out" 2>&1
	_rc=$?
	FX_EXPECT_DEAD=
	if [ "$_rc" = 2 ]; then
		printf 'SKIP %s%s: %s\n' "$FX_NAME" "${_extra:+ $_extra}" "$(grep '^SKIP' "$C/check.out" | sed 's/^SKIP //')" >>"$FX_RESULTS"
		return 0
	fi
	if [ -n "${FX_FAIL:-}" ]; then
		grep -q '^FAIL' "$C/check.out" || _rc=1
		printf 'FAIL %s\n' "$FX_FAIL" >>"$C/check.out"
		FX_FAIL=
		_rc=1
	fi
	if [ "$_rc" = 0 ]; then
		echo "PASS $FX_NAME${_extra:+ $_extra}" >>"$FX_RESULTS"
	else
		printf 'FAIL %s%s: %s | %s\n' "$FX_NAME" "${_extra:+ $_extra}" \
			"$(grep '^FAIL' "$C/check.out" | sed 's/^FAIL //' | tr '\n' '|' | sed 's/|$//')" \
			"$(grep '^left before' "$C/check.out")" >>"$FX_RESULTS"
	fi
	return "$_rc"
}

# the call that faulted in a trace: "<op> <path>" (paths relative to the repository)
fx_fault_step() {
	awk '$NF == "FAULT" { $1 = ""; $2 = ""; $NF = ""; sub(/^ +/, ""); sub(/ +$/, ""); print; f = 1; exit }
	     $NF == "NOFAULT" && !n { $1 = ""; $2 = ""; $NF = ""; sub(/^ +/, ""); sub(/ +$/, ""); n = $0 " (made: it cannot fail so)" }
	     END { if (!f && n) print n }' "$1" | sed "s|$SRV/||g"
}

# fx_count: the file operations of one normal post-receive (counting mode);
# sets FX_TOTAL and keeps the trace in $T_DIR/count.trace
fx_count() {
	fx_case count
	fx_commit
	# shellcheck disable=SC2046
	fx_push $(fx_fault count 0) || bail "counting push failed: $(cat "$C/push.out")"
	cp "$C/trace" "$T_DIR/count.trace"
	FX_TOTAL=$(awk '$2 == "total" { print $3; exit }' "$T_DIR/count.trace")
	[ -n "$FX_TOTAL" ] || bail "no total in the counting trace"
}

# fx_stopped_pid PIDFILE: wait (bounded) until the process named in PIDFILE is stopped
fx_stopped_pid() {
	_i=0
	while :; do
		if [ -s "$1" ]; then
			_p=$(cat "$1")
			if [ "$(awk '{ print $3 }' "/proc/$_p/stat" 2>/dev/null)" = T ]; then
				echo "$_p"
				return 0
			fi
		fi
		_i=$((_i + 1))
		[ "$_i" -gt 600 ] && return 1
		sleep 0.05
	done
}

# ---- scenarios ----

# sweep ACTION [push-first]: the fault at every file operation of post-receive,
# one case each.  After the faulted push, reconcile runs (as a timer on the
# server would) before the next push; with push-first, the next push comes
# before any reconcile.
sc_sweep() {
	_act=$1
	_order=${2:-reconcile-first}
	_max=${FAULTS_MAX_N:-0}
	_steps=${FAULTS_STEPS:-$(seq 1 "$FX_TOTAL")}
	for _step in $_steps; do
		if [ "$_max" -gt 0 ] && [ "$_step" -gt "$_max" ]; then
			break
		fi
		if [ "$_order" = push-first ]; then
			fx_case "$_act-push-first-$_step"
		elif [ "$_order" = disk-full ]; then
			fx_case "disk-full-$_step"
		else
			fx_case "$_act-$_step"
		fi
		fx_commit
		# shellcheck disable=SC2046
		fx_push $(fx_fault "$_act" "$_step") ${FX_TIMES:+GATE_FAULT_TIMES=$FX_TIMES}
		[ "$_order" = push-first ] || timeout "$FX_TIMEOUT" "$GATE_BIN" reconcile --git-dir "$SRV" >"$C/reconcile.out" 2>&1
		fx_commit
		fx_push
		fx_check "[$(fx_fault_step "$C/trace")]" || true
	done
}

# point NAME ACTION OP PATH [N]: one fault at the Nth call of OP on PATH (a
# pattern under the repository), named by what it hits rather than by its
# place in the sequence, so that it keeps its meaning when the sequence changes
sc_point() {
	fx_case "$1"
	fx_commit
	# shellcheck disable=SC2046
	fx_push $(fx_fault "$2" "${5:-1}" "$3" "$SRV/$4")
	timeout "$FX_TIMEOUT" "$GATE_BIN" reconcile --git-dir "$SRV" >"$C/reconcile.out" 2>&1
	fx_commit
	fx_push
	_hit=$(fx_fault_step "$C/trace")
	fx_check "[$2 at ${_hit:-nothing: no call matched}]" || true
	[ -n "$_hit" ] || sed -i "\$s/^PASS \([^ ]*\)/FAIL \1: no call matched/" "$FX_RESULTS"
}

sc_baseline() {
	fx_case baseline
	fx_commit
	fx_push
	fx_commit
	fx_push
	fx_check
}

# a lock file left by a process killed while holding it
sc_stale_lock() {
	fx_case "stale-lock-$1"
	mkdir -p "$(dirname "$SRV/$2.lock")"
	: >"$SRV/$2.lock"
	fx_commit
	fx_push
	fx_commit
	fx_push
	fx_check "[$2.lock left by a killed process]"
}

# the journal's flock held by another process (a stuck reconcile) during a push
sc_journal_flock() {
	fx_case journal-flock
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))' "$SRV/gitops-gate/journal" "$C/held" "$FX_TIMEOUT" &
	_holder=$!
	_i=0
	while [ ! -f "$C/held" ] && [ "$_i" -lt 200 ]; do
		_i=$((_i + 1))
		sleep 0.05
	done
	fx_commit
	env FX_PR_PRELOAD="$SHIM" GATE_FAULT_PROG=gitops-gate GATE_FAULT_ARGV=post-receive \
		GATE_FAULT_PIDFILE="$C/pr.pid" timeout "$FX_TIMEOUT" git -C "$WORK" push origin main \
		>"$C/push.out" 2>&1 &
	_push=$!
	_blocked=no
	_i=0
	while kill -0 "$_push" 2>/dev/null && [ "$_i" -lt 1200 ]; do
		if [ -s "$C/pr.pid" ] &&
		   [ "$(cut -d' ' -f1 "/proc/$(cat "$C/pr.pid")/syscall" 2>/dev/null)" = 73 ]; then
			_blocked=yes # in flock(2), waiting for the holder
			break
		fi
		_i=$((_i + 1))
		sleep 0.05
	done
	kill "$_holder" 2>/dev/null || true
	wait "$_holder" 2>/dev/null || true
	wait "$_push" 2>/dev/null || true
	fx_commit
	fx_push
	[ "$_blocked" = yes ] &&
		FX_FAIL="liveness: post-receive sat in flock(2) on the journal until the holder was killed"
	fx_check "[journal flock held by another process during the push]" || true
}

# pause post-receive at its first call matching OP/PATH, run CMD, let it go on
sc_pause() {
	_name=$1 _op=$2 _path=$3
	shift 3
	fx_case "$_name"
	fx_commit
	rm -f "$C/stop.pid"
	env FX_PR_PRELOAD="$SHIM" GATE_FAULT_PROG=gitops-gate GATE_FAULT_ARGV=post-receive \
		GATE_FAULT_ACTION=stop GATE_FAULT_N=1 GATE_FAULT_OP="$_op" GATE_FAULT_PATH="$_path" \
		GATE_FAULT_PIDFILE="$C/stop.pid" GATE_FAULT_TRACE="$C/trace" \
		timeout "$FX_TIMEOUT" git -C "$WORK" push origin main >"$C/push.out" 2>&1 &
	_push=$!
	if _p=$(fx_stopped_pid "$C/stop.pid"); then
		"$@" >"$C/between.out" 2>&1 || true
		kill -CONT "$_p"
	else
		echo "FAIL $_name: post-receive never reached $_op $_path" >>"$FX_RESULTS"
		wait "$_push" || true
		return 0
	fi
	wait "$_push" || true
	fx_commit
	fx_push
	fx_check "[$*, while post-receive paused at $_op $(basename "$_path")]" || true
}

# reconcile paused just before it reads the journal in its ref pass (no intent
# pending then), while a post-receive moves the ref and pauses before its
# journal line; reconcile goes on first, then post-receive
sc_reconcile_race() {
	fx_case reconcile-race
	fx_commit
	rm -f "$C/rec.pid" "$C/stop.pid"
	env LD_PRELOAD="$SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		GATE_FAULT_PROG=gitops-gate GATE_FAULT_ARGV=reconcile GATE_FAULT_ACTION=stop \
		GATE_FAULT_N=1 GATE_FAULT_OP=open GATE_FAULT_PATH="$SRV/gitops-gate/journal" \
		GATE_FAULT_PIDFILE="$C/rec.pid" timeout "$FX_TIMEOUT" "$GATE_BIN" reconcile --git-dir "$SRV" \
		>"$C/rec.out" 2>&1 &
	_rec=$!
	_rp=$(fx_stopped_pid "$C/rec.pid") || { echo "FAIL reconcile-race: reconcile never reached the journal" >>"$FX_RESULTS"; return 0; }
	env FX_PR_PRELOAD="$SHIM" GATE_FAULT_PROG=gitops-gate GATE_FAULT_ARGV=post-receive \
		GATE_FAULT_ACTION=stop GATE_FAULT_N=1 GATE_FAULT_OP=open \
		GATE_FAULT_PATH="$SRV/gitops-gate/journal" GATE_FAULT_PIDFILE="$C/stop.pid" \
		timeout "$FX_TIMEOUT" git -C "$WORK" push origin main >"$C/push.out" 2>&1 &
	_push=$!
	if _pp=$(fx_stopped_pid "$C/stop.pid"); then
		kill -CONT "$_rp"
		wait "$_rec" || true
		kill -CONT "$_pp"
	else
		kill -CONT "$_rp"
		wait "$_rec" || true
	fi
	wait "$_push" || true
	fx_commit
	fx_push
	fx_check "[reconcile's ref pass between post-receive's ref move and its journal line]" || true
}

fx_reconcile() {
	"$GATE_BIN" reconcile --git-dir "$SRV"
}

fx_gc() {
	git -C "$SRV" gc -q --prune=now
}

# clock jumps of post-receive (libfaketime): a delivery queued a year ahead
sc_clock_ahead_queue() {
	fx_case clock-ahead-queue
	set_mode r 500
	fx_commit
	fx_push FX_PR_PRELOAD="$FAKETIME_LIB" FX_PR_FAKETIME="+365d"
	set_mode r ok
	fx_commit
	fx_push
	fx_check "[post-receive a year ahead while the receiver failed]" || true
}

# a push whose post-receive died, then a post-receive two hours ahead
sc_clock_ahead_prune() {
	fx_case clock-ahead-prune
	fx_commit
	# shellcheck disable=SC2046
	fx_push $(fx_fault kill 1)
	fx_commit
	fx_push FX_PR_PRELOAD="$FAKETIME_LIB" FX_PR_FAKETIME="+2h"
	fx_check "[post-receive killed at its first step; the next one two hours ahead]" || true
}

sc_clock_behind() {
	fx_case clock-behind
	set_mode r 500
	fx_commit
	fx_push FX_PR_PRELOAD="$FAKETIME_LIB" FX_PR_FAKETIME="-365d"
	set_mode r ok
	fx_commit
	fx_push
	fx_check "[post-receive a year behind while the receiver failed]" || true
}

# git gc --prune=now in a loop while pushes go on
sc_gc_loop() {
	fx_case gc-loop
	_stop="$C/gc.stop"
	(
		_i=0
		while [ ! -f "$_stop" ] && [ "$_i" -lt 200 ]; do
			git -C "$SRV" gc -q --prune=now >/dev/null 2>&1 || true
			_i=$((_i + 1))
		done
	) &
	_gc=$!
	_k=0
	while [ "$_k" -lt "${FAULTS_GC_PUSHES:-12}" ]; do
		fx_commit
		fx_push || true
		_k=$((_k + 1))
	done
	touch "$_stop"
	wait "$_gc" || true
	fx_check "[${FAULTS_GC_PUSHES:-12} pushes, gc --prune=now in a loop]" || true
}

# 16 pushers on one branch, reconcile and notify --drain in loops alongside
sc_concurrent() {
	_np=${FAULTS_PUSHERS:-16}
	fx_case concurrent
	_stop="$C/loops.stop"
	(
		_i=0
		while [ ! -f "$_stop" ] && [ "$_i" -lt 300 ]; do
			timeout "$FX_TIMEOUT" "$GATE_BIN" reconcile --git-dir "$SRV" >>"$C/reconcile-loop.out" 2>&1 || true
			_i=$((_i + 1))
			sleep 0.1
		done
	) &
	_l1=$!
	(
		_i=0
		while [ ! -f "$_stop" ] && [ "$_i" -lt 300 ]; do
			timeout "$FX_TIMEOUT" "$GATE_BIN" notify --drain --quiet --git-dir "$SRV" >>"$C/drain-loop.out" 2>&1 || true
			_i=$((_i + 1))
			sleep 0.1
		done
	) &
	_l2=$!
	_pids=
	_k=1
	while [ "$_k" -le "$_np" ]; do
		cp -a "$WORK" "$C/w$_k"
		(
			_w="$C/w$_k"
			_j=0
			while [ "$_j" -lt "${FAULTS_PUSHES_EACH:-2}" ]; do
				put_file "$_w" "clusters/prod/p$_k-$_j.yaml" "$(valid_deployment "p$_k-$_j")" "p$_k-$_j"
				_t=0
				until timeout "$FX_TIMEOUT" git -C "$_w" push -q origin main >>"$_w.push.out" 2>&1; do
					_t=$((_t + 1))
					[ "$_t" -ge 20 ] && break
					git -C "$_w" pull -q --rebase origin main >>"$_w.push.out" 2>&1 || true
				done
				_j=$((_j + 1))
			done
		) &
		_pids="$_pids $!"
		_k=$((_k + 1))
	done
	for _p in $_pids; do
		wait "$_p" || true
	done
	touch "$_stop"
	wait "$_l1" "$_l2" || true
	fx_check "[$_np pushers x ${FAULTS_PUSHES_EACH:-2} pushes, reconcile and drain loops]" || true
}

# a receiver that answers 200 with a body over 1 MiB
sc_big_answer() {
	fx_case big-answer
	set_mode r big
	fx_commit
	fx_push
	fx_commit
	fx_push
	fx_check "[receiver answers 200 with 2 MiB, also during recovery]" || true
	set_mode r ok
}

# a torn outbox file (a disk error under the rename): the rest must flow
sc_corrupt_outbox() {
	fx_case corrupt-outbox
	printf '{"id": "0123456789abcdef0123456789abcdef", "url": ' >"$SRV/gitops-gate/outbox/0123456789abcdef0123456789abcdef.json"
	fx_commit
	fx_push
	fx_check "[one torn outbox file]" || true
}

# a journal over the 64 MiB read window: rollback to the first accepted push
sc_long_journal() {
	fx_case long-journal
	python3 - "$SRV/gitops-gate/journal" <<'EOF'
import json, sys
line = json.dumps({"time": "2024-01-01T00:00:00Z", "event": "accepted", "ref": "refs/heads/other",
                   "accepted_ref": "refs/heads/gitops/accepted/other", "target": "0" * 40,
                   "moved": False, "reason": "superseded", "pad": "x" * 400}) + "\n"
with open(sys.argv[1], "a") as f:
    f.write(line * (65 * 1024 * 1024 // len(line) + 1))
EOF
	fx_commit
	fx_push
	fx_check "[journal grown past 64 MiB by another branch]" || true
}

# The receiver's config changes while a delivery is queued.  fx_receiver
# [NAME] URL-PATH TOKEN-FILE: the cluster's one receiver (named NAME when
# given) at URL-PATH of the test receiver, signing with TOKEN-FILE
fx_receiver() {
	_name=
	[ $# -eq 3 ] && { _name=$1; shift; }
	python3 - "$SRV/gitops-gate.yaml" "$_name" "http://127.0.0.1:$FX_PORT$1" "$2" <<'EOF'
import sys
path, name, url, token = sys.argv[1:]
text = open(path).read()
head, rest = text.split("    receivers:\n", 1)
tail = rest[rest.index("notify:"):]
rcv = ("      - name: %s\n        url: %s\n" % (name, url)) if name else "      - url: %s\n" % url
rcv += "        format: flux-generic-hmac\n        token_file: %s\n" % token
open(path, "w").write(head + "    receivers:\n" + rcv + tail)
EOF
}

fx_queued_ids() {
	ls "$SRV/gitops-gate/outbox/" | sed -n 's/^\([0-9a-f]\{32\}\)\.json$/\1/p' | tr '\n' ' '
}

# config-url-fixed [kill]: a named receiver's URL and token are wrong when the
# push is recorded (its receiver refuses the signature at another path); the
# config is fixed; recovery sends the queued delivery to the new URL, signed
# with the new token, under its one id.  With kill, post-receive is also
# killed at its journal write (the intent completes in reconcile).
sc_config_url_fixed() {
	fx_case "config-url-fixed${1:+-$1}"
	fx_receiver flux "/hook/$FX_NAME-old" "$FX_BAD_TOKEN"
	fx_commit
	if [ -n "${1:-}" ]; then
		# shellcheck disable=SC2046
		fx_push $(fx_fault kill 1 write "$SRV/gitops-gate/journal")
	else
		fx_push
	fi
	[ -n "$(fx_queued_ids)" ] || FX_FAIL="$FX_NAME: nothing was queued while the receiver refused"
	fx_receiver flux "/hook/$FX_NAME" "$TOKEN"
	fx_commit
	fx_push
	fx_check "[receiver URL and token fixed in the config while a delivery was queued]" || true
}

# config-receiver-removed: an unnamed receiver is replaced by another URL while
# a delivery to it is queued: that delivery goes to the dead letters with the
# reason, and is not sent to the old URL again; later pushes reach the new one
sc_config_receiver_removed() {
	fx_case config-receiver-removed
	fx_receiver "/hook/$FX_NAME-old" "$FX_BAD_TOKEN"
	fx_commit
	fx_push
	_ids=$(fx_queued_ids)
	[ -n "$_ids" ] || FX_FAIL="$FX_NAME: nothing was queued while the receiver refused"
	fx_receiver "/hook/$FX_NAME" "$TOKEN"
	fx_commit
	fx_push
	FX_EXPECT_DEAD=
	for _id in $_ids; do
		_n=$(grep -c "\"$_id\"" "$FX_REC")
		FX_EXPECT_DEAD="${FX_EXPECT_DEAD:+$FX_EXPECT_DEAD,}$_id=$_n"
	done
	fx_check "[receiver replaced in the config while a delivery to it was queued]" || true
}

# FAULTS_KEEP=1: leave the cases on disk (their folder is printed)
if [ -n "${FAULTS_KEEP:-}" ]; then
	trap 'for _p in $NT_PIDS; do kill "$_p" 2>/dev/null || true; done; echo "# cases kept in $T_DIR" >&2' EXIT
fi
