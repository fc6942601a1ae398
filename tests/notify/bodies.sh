#!/bin/sh
# Issue 13: one body per push, not per receiver.  The part of a push's body
# every receiver shares is stored once in outbox/bodies/<sha256>, written
# before any delivery naming it; each delivery file keeps its own tail (the
# "gitops_gate" member: cluster and delivery id).  Deliveries sent from them
# verify as Flux and Argo CD verify; a body no delivery names goes once a
# drain has seen every delivery and it is older than an hour; a body that is
# missing or altered sends its deliveries to the dead letters as corrupt.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

start_receiver r
P=$(port_of r)
R="$T_DIR/r.jsonl"
NOBODY=$(free_port)
srv=$(make_server srv)
OB="$srv/gitops-gate/outbox"
# cfg PORT: three clusters, four named receivers of three formats, at PORT
cfg() {
	notify_config "$srv" \
		"clusters:" \
		"  - name: prod" \
		"    receivers:" \
		"      - name: flux" \
		"        url: http://127.0.0.1:$1/hook/prod" \
		"        token_file: $TOKEN" \
		"      - name: argocd" \
		"        url: http://127.0.0.1:$1/api/webhook" \
		"        format: github" \
		"        token_file: $TOKEN" \
		"  - name: staging" \
		"    receivers:" \
		"      - name: flux" \
		"        url: http://127.0.0.1:$1/hook/github-staging" \
		"        format: github" \
		"        token_file: $TOKEN" \
		"  - name: lab" \
		"    receivers:" \
		"      - name: flux" \
		"        url: http://127.0.0.1:$1/hook/gitlab-lab" \
		"        format: gitlab" \
		"        token_file: $GL_TOKEN" \
		"notify:" \
		"  budget_ms: 1000" \
		"  backoff_ms: 0" \
		"  repository:" \
		"    html_url: https://git.example/org/fleet"
}
# gitlab receivers compare the token as a header: one without a final newline
GL_TOKEN="$T_DIR/gl-token"
printf 'gitlab-secret-%s' "$$" >"$GL_TOKEN"
chmod 600 "$GL_TOKEN"
stop_receiver r
start_receiver r --port "$P" --token-file "$TOKEN"
start_receiver g --token-file "$GL_TOKEN"
G=$(port_of g)
bodies() {
	ls "$OB/bodies" 2>/dev/null | grep -c '^[0-9a-f]\{64\}$'
}

cfg "$NOBODY"
work=$(make_work w "$srv")
# a long commit message makes the shared part large beside each tail
msg=$(python3 -c 'print("x" * 4000)')
put_file "$work" apps/a.yaml "$(valid_deployment a)" "$msg"
ok "push accepted while every receiver is down" push "$work" origin main
is "four deliveries queued" "$(outbox_count "$srv")" 4
is "two bodies: one GitHub-like (three receivers, three formats), one GitLab" "$(bodies)" 2
is "no delivery file holds a body of its own; each names a stored one" \
	"$(python3 -c 'import glob, json, os, sys
fs = glob.glob(sys.argv[1] + "/*.json")
print(sorted(set(("body" in json.load(open(f)), os.path.exists(sys.argv[1] + "/bodies/" + json.load(open(f))["body_shared"])) for f in fs)))' "$OB")" \
	"[(False, True)]"
is "each delivery file is small beside the body it names" \
	"$(python3 -c 'import glob, json, os, sys
print(all(os.path.getsize(f) * 2 < os.path.getsize(sys.argv[1] + "/bodies/" + json.load(open(f))["body_shared"]) for f in glob.glob(sys.argv[1] + "/*.json")))' "$OB")" \
	"True"
is "the bodies are named by their digest" \
	"$(cd "$OB/bodies" && for f in *; do [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$f" ] && echo ok; done | sort -u)" ok

# the receivers come back: each delivery is the shared part and its own tail,
# signed as a whole, checked as the real receivers check
notify_config_port() { cfg "$P"; sed -i "s|127.0.0.1:$P/hook/gitlab-lab|127.0.0.1:$G/hook/gitlab-lab|" "$srv/gitops-gate.yaml"; }
notify_config_port
ok "drain" "$GATE_BIN" notify --drain --git-dir "$srv"
is "outbox empty" "$(outbox_count "$srv")" 0
is "Flux generic-hmac, Flux github, Argo CD: verified, 200, each its own id in its body" \
	"$(q "$R" 'sorted((x["path"], x["status"], set(x["checks"].values()) == {"ok"}, __import__("json").loads(x["body"])["gitops_gate"]["delivery"] == x["delivery"]) for x in L)')" \
	"[('/api/webhook', 200, True, True), ('/hook/github-staging', 200, True, True), ('/hook/prod', 200, True, True)]"
is "Flux gitlab: verified, 200" \
	"$(q "$T_DIR/g.jsonl" '[(x["path"], x["status"], set(x["checks"].values()) == {"ok"}, __import__("json").loads(x["body"])["object_kind"]) for x in L]')" \
	"[('/hook/gitlab-lab', 200, True, 'push')]"
is "the commit message arrived whole" "$(q "$R" 'len(__import__("json").loads(L[0]["body"])["commits"][0]["message"].rstrip("\n"))')" 4000
is "the delivery ids are the journal's" \
	"$(cat "$R" "$T_DIR/g.jsonl" >"$T_DIR/all.jsonl"; q "$T_DIR/all.jsonl" 'sorted(x["delivery"] for x in L)')" \
	"$(q "$(journal_of "$srv")" 'sorted(L[0]["deliveries"])')"

# the bodies stay for the grace (an hour), then a drain that sees every delivery removes them
is "bodies kept within the grace" "$(bodies)" 2
ok "drain --all (it sees every delivery)" "$GATE_BIN" notify --drain --all --git-dir "$srv"
is "still kept: younger than an hour" "$(bodies)" 2
# one body still named by a queued delivery, one orphan (a crash before its deliveries)
cfg "$NOBODY"
put_file "$work" apps/b.yaml "$(valid_deployment b)" "b"
ok "push while the receivers are down" push "$work" origin main
named=$(python3 -c 'import glob, json, sys; print("\n".join(sorted(set(json.load(open(f))["body_shared"] for f in glob.glob(sys.argv[1] + "/*.json")))))' "$OB")
printf 'an orphan' >"$OB/bodies/$(printf 'an orphan' | sha256sum | cut -d' ' -f1)"
printf 'partial' >"$OB/bodies/0000.tmp.12345"
touch -d '2 hours ago' "$OB"/bodies/*
is "six body files before: two of each push, an orphan, a temp file" "$(ls "$OB/bodies" | wc -l)" 6
not_ok "a drain that sees every delivery (they still fail)" "$GATE_BIN" notify --drain --all --git-dir "$srv"
is "left: the two bodies the queued deliveries name" "$(ls "$OB/bodies")" "$named"

# a body altered or missing: its deliveries can never be sent as written
for b in $named; do
	printf 'tampered' >>"$OB/bodies/$b"
done
notify_config_port
not_ok "drain with an altered body" "$GATE_BIN" notify --drain --all --git-dir "$srv"
like "it says so" "$(cat "$T_DIR/.out")" "does not have that digest"
is "its deliveries moved to the dead letters as corrupt" \
	"$(outbox_count "$srv"),$(ls "$OB/dead" | grep -c '\.corrupt$')" "0,$(q "$(journal_of "$srv")" 'len(L[-1]["deliveries"])')"
cat "$R" "$T_DIR/g.jsonl" >"$T_DIR/all.jsonl"
is "nothing was sent from them" "$(q "$T_DIR/all.jsonl" 'len([x for x in L if "b.yaml" in x["body"]])')" 0

done_testing
