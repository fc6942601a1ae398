#!/bin/sh
# Issue 13: a queued delivery names its receiver (cluster and name, else
# format and URL), and notify --drain sends it as the configuration is when it
# sends: a corrected URL or token file fixes deliveries already queued (same
# delivery id, signed with the current token, checked as Flux checks it); a
# receiver or cluster taken out of the configuration sends its deliveries to
# the dead letters with the reason, never to the old URL; outbox files of
# earlier versions (URL and token file inside, no receiver) still drain.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

TOKEN2="$T_DIR/token2"
printf 'second-secret-%s' "$$" >"$TOKEN2"
chmod 600 "$TOKEN2"
# receiver n holds the second token; nobody listens on $NOBODY and $STALE (yet)
start_receiver n --token-file "$TOKEN2"
N=$(port_of n)
NR="$T_DIR/n.jsonl"
NOBODY=$(free_port)
STALE=$(free_port)
srv=$(make_server srv)
J=$(journal_of "$srv")
work=$(make_work w "$srv")
# cfg RECEIVER-LINES...: one cluster prod (clusters/prod/**), one staging (staging/**)
cfg() {
	notify_config "$srv" \
		"clusters:" \
		"  - name: prod" \
		"    paths: [\"clusters/prod/**\"]" \
		"    receivers:" \
		"$@" \
		"  - name: staging" \
		"    paths: [\"staging/**\"]" \
		"    receivers:" \
		"      - url: http://127.0.0.1:$NOBODY/hook/staging" \
		"        token_file: $TOKEN" \
		"notify:" \
		"  budget_ms: 1000" \
		"  backoff_ms: 0" \
		"  repository:" \
		"    html_url: https://git.example/org/fleet"
}
only_id() {
	ls "$srv/gitops-gate/outbox/" | grep '\.json$' | sed 's/\.json$//'
}
field() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2"
}

# (1) a named receiver whose URL and token were wrong: fixed in the config, the
# queued delivery goes to the new URL, signed with the new token, under its id
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$NOBODY/hook/prod" \
	"        token_file: $TOKEN"
put_file "$work" clusters/prod/a.yaml "$(valid_deployment a)" "a"
ok "push accepted while the receiver's URL is wrong" push "$work" origin main
is "one delivery queued" "$(outbox_count "$srv")" 1
id=$(only_id)
is "the delivery names its receiver" \
	"$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["receiver"])' "$srv/gitops-gate/outbox/$id.json")" \
	"{'name': 'flux'}"
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN2"
ok "check-config accepts the named receiver" "$GATE_BIN" check-config --git-dir "$srv"
like "and names it" "$(cat "$T_DIR/.out")" "cluster \"prod\", receiver \"flux\": http://127.0.0.1:$N/hook/prod"
ok "drain after the config was fixed" "$GATE_BIN" notify --drain --git-dir "$srv"
is "outbox empty" "$(outbox_count "$srv")" 0
is "delivered to the new URL under the journal's delivery id, verified with the new token" \
	"$(q "$NR" '[(x["delivery"], x["path"], x["status"], sorted(set(x["checks"].values()))) for x in L]')" \
	"[('$id', '/hook/prod', 200, ['ok'])]"
is "that id is the one the journal recorded" "$(q "$J" 'L[-1]["deliveries"]')" "['$id']"

# (2) an outbox file of an earlier version (URL and token file inside, no
# receiver): still drained, by its format and URL, with the current token
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN"
put_file "$work" clusters/prod/b.yaml "$(valid_deployment b)" "b"
ok "push accepted while the token is the wrong one" push "$work" origin main
like "the receiver refused the signature" "$(remote_lines)" "failed: HTTP 400"
id=$(only_id)
python3 - "$srv/gitops-gate/outbox/$id.json" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
# as versions before receiver identities and shared bodies wrote it
del d["receiver"]
shared = open(os.path.join(os.path.dirname(sys.argv[1]), "bodies", d.pop("body_shared"))).read()
d["body"] = shared + d.pop("body_tail")
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
is "the file is as older versions wrote it" "$(field "$srv/gitops-gate/outbox/$id.json" receiver)" "None"
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN2"
ok "drain of the old-format file" "$GATE_BIN" notify --drain --git-dir "$srv"
is "outbox empty again" "$(outbox_count "$srv")" 0
is "delivered once under its id, signed with the current token" \
	"$(q "$NR" '[(x["status"], set(x["checks"].values()) == {"ok"}) for x in L if x["delivery"] == "'"$id"'"]')" \
	"[(400, False), (200, True)]"

# (3) a receiver without a name is its format and URL: with the URL changed it
# is another receiver; the queued delivery goes to the dead letters, with the
# reason, and nothing reaches the old URL (a receiver now listens there)
cfg "      - url: http://127.0.0.1:$STALE/hook/prod" \
	"        token_file: $TOKEN"
put_file "$work" clusters/prod/c.yaml "$(valid_deployment c)" "c"
ok "push accepted while nobody listens" push "$work" origin main
id=$(only_id)
cfg "      - url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN2"
start_receiver stale --port "$STALE"
n0=$(q "$NR" 'len(L)')
not_ok "drain reports the delivery it could not send" "$GATE_BIN" notify --drain --git-dir "$srv"
like "it says where the delivery went and why" "$(cat "$T_DIR/.out")" \
	"delivery $id to cluster \"prod\" moved to the dead letters, not sent: cluster \"prod\" has no flux-generic-hmac receiver at http://127.0.0.1:$STALE/hook/prod any more"
is "outbox empty, one dead letter" "$(outbox_count "$srv"),$(dead_count "$srv")" "0,1"
like "the dead letter keeps the reason" "$(field "$srv/gitops-gate/outbox/dead/$id.json" last_error)" \
	"has no flux-generic-hmac receiver at"
is "the dead letter holds its whole body, not a shared one" \
	"$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("body" in d, "body_shared" in d, json.loads(d["body"])["gitops_gate"]["delivery"])' "$srv/gitops-gate/outbox/dead/$id.json")" \
	"True False $id"
is "nothing reached the old URL" "$(q "$T_DIR/stale.jsonl" 'len(L)')" 0
is "nothing reached the new one either" "$(q "$NR" 'len(L)')" "$n0"
ok "the next drain has nothing to do" "$GATE_BIN" notify --drain --git-dir "$srv"
like "status counts it" "$("$GATE_BIN" status --git-dir "$srv")" "cluster prod: 0 pending, 1 dead"

# (4) a cluster taken out of the configuration
put_file "$work" staging/x.yaml "$(valid_service x)" "staging"
ok "push for staging while its receiver is down" push "$work" origin main
id=$(only_id)
notify_config "$srv" \
	"clusters:" \
	"  - name: prod" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN2" \
	"notify:" \
	"  backoff_ms: 0"
not_ok "drain with the cluster gone" "$GATE_BIN" notify --drain --git-dir "$srv"
like "the cluster is named" "$(cat "$T_DIR/.out")" "cluster \"staging\" is no longer in the configuration"
is "dead-lettered, not retried" "$(outbox_count "$srv"),$(dead_count "$srv")" "0,2"
is "under its own id" "$(ls "$srv/gitops-gate/outbox/dead/" | grep -c "^$id.json$")" 1

# (5) a named receiver now wanting the other kind of body (GitLab)
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$NOBODY/hook/prod" \
	"        token_file: $TOKEN"
put_file "$work" clusters/prod/d.yaml "$(valid_deployment d)" "d"
ok "push while the receiver is down" push "$work" origin main
id=$(only_id)
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$N/hook/gitlab-prod" \
	"        format: gitlab" \
	"        token_file: $TOKEN2"
not_ok "drain with the receiver now of format gitlab" "$GATE_BIN" notify --drain --git-dir "$srv"
like "the body is not made again" "$(cat "$T_DIR/.out")" \
	"receiver \"flux\" of cluster \"prod\" is now of format gitlab; the queued body is a GitHub push event"
is "dead-lettered" "$(outbox_count "$srv"),$(dead_count "$srv")" "0,3"

# (6) names are unique within a cluster
cfg "      - name: flux" \
	"        url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN2" \
	"      - name: flux" \
	"        url: http://127.0.0.1:$N/hook/github-prod" \
	"        format: github" \
	"        token_file: $TOKEN2"
not_ok "check-config refuses a name used twice" "$GATE_BIN" check-config --git-dir "$srv"
like "at the second one's key" "$(cat "$T_DIR/.out")" "receivers[1].name"
like "saying why" "$(cat "$T_DIR/.out")" "duplicate receiver name \"flux\" in cluster \"prod\""
# the same format and URL twice: one delivery for both (one id), a warning
cfg "      - url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN2" \
	"      - name: again" \
	"        url: http://127.0.0.1:$N/hook/prod" \
	"        token_file: $TOKEN"
ok "check-config accepts the same format and URL twice" "$GATE_BIN" check-config --git-dir "$srv"
like "with a warning at the second one" "$(cat "$T_DIR/.out")" \
	"clusters[0].receivers[1].url: receivers[0] of cluster \"prod\" has the same format and URL"

done_testing
