#!/bin/sh
# bench/notify.sh: post-receive figures.
#   (1) wall time of post-receive when every receiver is down (connection
#       refused) and when every receiver hangs: both must stay within
#       notify.budget_ms (2000 ms by default) plus the recording itself;
#   (2) fan-out of one push to 100 local receivers (one Python process, 100
#       ports): every delivery answered within 1 s.
# Run from the build folder (make bench does), or alone:
#   GATE_BIN=build/gitops-gate sh bench/notify.sh
GATE_SRCDIR=${GATE_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
GATE_BUILDDIR=${GATE_BUILDDIR:-$(pwd)}
GATE_BIN=${GATE_BIN:-$GATE_BUILDDIR/gitops-gate}
export GATE_SRCDIR GATE_BUILDDIR GATE_BIN
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# time_post_receive SRV: push one commit with post-receive held back, then
# run post-receive alone; prints its wall time in ms
time_post_receive() {
	_srv=$1
	_w=$2
	mv "$_srv/hooks/post-receive" "$T_DIR/pr.saved"
	_old=$(ref_of "$_srv" refs/heads/main)
	[ "$_old" = none ] && _old=0000000000000000000000000000000000000000
	put_file "$_w" "apps/bench-$(date +%s%N).yaml" "$(valid_deployment bench)" "bench"
	push "$_w" origin main || bail "push failed: $(cat "$T_DIR/push.out")"
	_new=$(ref_of "$_srv" refs/heads/main)
	_t0=$(ms)
	echo "$_old $_new refs/heads/main" | GIT_DIR="$_srv" "$T_DIR/pr.saved" >"$T_DIR/pr.out" 2>&1
	_t1=$(ms)
	mv "$T_DIR/pr.saved" "$_srv/hooks/post-receive"
	echo $((_t1 - _t0))
}

# clusters_yaml: one cluster with one github receiver per port in $PORTS
clusters_yaml() {
	echo "clusters:"
	_i=0
	for _p in $PORTS; do
		_i=$((_i + 1))
		echo "  - name: c$_i"
		echo "    receivers:"
		echo "      - url: http://127.0.0.1:$_p/api/webhook"
		echo "        format: github"
		echo "        token_file: $TOKEN"
	done
}

echo "# notify benchmark (2 cores shared; figures are wall times)"

# (1) every receiver down: 20 closed ports
PORTS=
for i in $(seq 1 20); do PORTS="$PORTS $(free_port)"; done
down=$(make_server down)
clusters_yaml >"$T_DIR/c.yaml"
write_config "$down" "$(cat "$T_DIR/c.yaml")"
wd=$(make_work wd "$down")
t_down=$(time_post_receive "$down" "$wd")
q_down=$(outbox_count "$down")
echo "post-receive, 20 receivers down (refused):  ${t_down} ms, ${q_down} deliveries queued (budget 2000 ms)"

# every receiver hanging: 20 ports of a receiver that never answers
set_mode hang hang
start_receiver hang --count 20 --hang-seconds 60
PORTS=$(cat "$T_DIR/hang.port")
hangs=$(make_server hangs)
clusters_yaml >"$T_DIR/c.yaml"
write_config "$hangs" "$(cat "$T_DIR/c.yaml")"
wh=$(make_work wh "$hangs")
t_hang=$(time_post_receive "$hangs" "$wh")
q_hang=$(outbox_count "$hangs")
echo "post-receive, 20 receivers hanging:         ${t_hang} ms, ${q_hang} deliveries queued (budget 2000 ms)"
stop_receiver hang

# (2) fan-out to 100 receivers
start_receiver fan --count 100
PORTS=$(cat "$T_DIR/fan.port")
fan=$(make_server fan)
clusters_yaml >"$T_DIR/c.yaml"
write_config "$fan" "$(cat "$T_DIR/c.yaml")"
wf=$(make_work wf "$fan")
t_fan=$(time_post_receive "$fan" "$wf")
n_fan=$(q "$T_DIR/fan.jsonl" 'len([x for x in L if x["status"] == 200])')
echo "fan-out of one push to 100 receivers:       ${t_fan} ms, ${n_fan}/100 delivered and verified (target <= 1000 ms)"
stop_receiver fan

status=0
[ "$t_down" -le 2500 ] || { echo "FAIL: post-receive with receivers down exceeded its budget"; status=1; }
[ "$t_hang" -le 2500 ] || { echo "FAIL: post-receive with receivers hanging exceeded its budget"; status=1; }
[ "$n_fan" -eq 100 ] && [ "$t_fan" -le 1000 ] || { echo "FAIL: fan-out to 100 receivers"; status=1; }
exit $status
