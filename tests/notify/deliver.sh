#!/bin/sh
# An accepted push is recorded (accepted ref, journal, note agree) and each
# affected cluster gets one signed delivery per receiver, verified as Flux and
# Argo CD verify them; unaffected clusters get none.  status, rollback (refused
# for a never-accepted commit) and rollforward.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

start_receiver r
P=$(port_of r)
srv=$(make_server srv)
notify_config "$srv" \
	"clusters:" \
	"  - name: prod" \
	"    refs: [\"refs/heads/main\"]" \
	"    paths: [\"clusters/prod/**\"]" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$P/hook/prod-digest" \
	"        format: flux-generic-hmac" \
	"        token_file: $TOKEN" \
	"      - url: http://127.0.0.1:$P/api/webhook" \
	"        format: github" \
	"        token_file: $TOKEN" \
	"  - name: staging" \
	"    refs: [\"refs/heads/main\"]" \
	"    paths: [\"clusters/staging/**\"]" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$P/hook/staging-digest" \
	"        format: flux-generic-hmac" \
	"        token_file: $TOKEN" \
	"  - name: other" \
	"    paths: [\"clusters/**\"]" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$P/generic" \
	"        format: generic" \
	"        token_file: $TOKEN" \
	"notify:" \
	"  repository:" \
	"    name: fleet" \
	"    html_url: https://git.example/org/fleet"

work=$(make_work w "$srv")
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "prod: add web"
ok "first push accepted" push "$work" origin main
c1=$(git -C "$work" rev-parse HEAD)
out=$(remote_lines)
like "post-receive says where the accepted ref is" "$out" \
	"success: refs/heads/main: accepted revision $(echo "$c1" | cut -c1-12) is now refs/heads/gitops/accepted/main (3 notifications to 2 clusters queued)"
unlike "no delivery failed" "$out" "warning: delivery"
unlike "nothing left to reconcile" "$out" "reconcile"
is "accepted ref is the pushed commit" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c1"

J=$(journal_of "$srv")
is "one journal line" "$(q "$J" 'len(L)')" 1
is "journal line: event, ref, target, moved" \
	"$(q "$J" 'L[0]["event"], L[0]["ref"], L[0]["target"], L[0]["moved"], L[0]["accepted_ref"]')" \
	"('accepted', 'refs/heads/main', '$c1', True, 'refs/heads/gitops/accepted/main')"
is "journal line: old is zero, new is the commit" "$(q "$J" 'L[0]["old"] == "0"*40 and L[0]["new"]')" "$c1"
is "journal line: verdict from pre-receive, no problems" \
	"$(q "$J" 'L[0]["verdict"]["judged_by"], L[0]["verdict"]["problems"], len(L[0]["verdict"]["fingerprint"])')" \
	"('pre-receive', 0, 64)"
is "journal time is RFC 3339 UTC" "$(q "$J" '__import__("re").match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", L[0]["time"]) is not None')" True
note=$(git -C "$srv" notes --ref gitops-gate show "$c1" 2>&1)
like "note on the accepted commit" "$note" '"gitops-gate": "accepted"'
like "note carries the fingerprint of the journal" "$note" "$(q "$J" 'L[0]["verdict"]["fingerprint"]')"

R="$T_DIR/r.jsonl"
is "three requests reached the receiver" "$(q "$R" 'len(L)')" 3
is "paths of the affected clusters only" "$(q "$R" 'sorted(x["path"] for x in L)')" \
	"['/api/webhook', '/generic', '/hook/prod-digest']"
is "every check passed (Flux generic-hmac, Argo CD, generic)" \
	"$(q "$R" 'sorted((k, v) for x in L for k, v in x["checks"].items())')" \
	"[('argocd', 'ok'), ('flux-generic-hmac', 'ok'), ('generic', 'ok')]"
is "every delivery answered 200" "$(q "$R" 'sorted(set(x["status"] for x in L))')" "[200]"
is "delivery ids are the journal's" "$(q "$R" 'sorted(x["delivery"] for x in L)')" "$(q "$J" 'sorted(L[0]["deliveries"])')"
is "body: accepted ref, after, added path" \
	"$(q "$R" '[(b["ref"], b["after"], b["commits"][-1]["added"], b["repository"]["html_url"]) for b in [__import__("json").loads(x["body"]) for x in L if x["path"] == "/api/webhook"]][0]')" \
	"('refs/heads/gitops/accepted/main', '$c1', ['clusters/prod/web.yaml'], 'https://git.example/org/fleet')"
is "github format headers" "$(q "$R" '[(x["headers"]["X-GitHub-Event"], x["headers"]["X-GitHub-Delivery"] == x["delivery"]) for x in L if x["path"] == "/api/webhook"][0]')" \
	"('push', True)"
is "outbox empty after delivery" "$(outbox_count "$srv")" 0

# a change in staging only: staging and the catch-all, not prod
put_file "$work" clusters/staging/web.yaml "$(valid_deployment web)" "staging: add web"
ok "second push accepted" push "$work" origin main
c2=$(git -C "$work" rev-parse HEAD)
is "accepted ref advanced" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c2"
is "second push reached staging and the catch-all only" \
	"$(q "$R" 'sorted(x["path"] for x in L[3:])')" "['/generic', '/hook/staging-digest']"
is "before is the previous accepted commit" \
	"$(q "$R" 'sorted(set(__import__("json").loads(x["body"])["before"] for x in L[3:]))')" "['$c1']"

# a change outside every cluster's paths: recorded, nobody notified
put_file "$work" docs/readme.yaml "$(valid_service docs)" "docs"
ok "third push accepted" push "$work" origin main
c3=$(git -C "$work" rev-parse HEAD)
is "accepted ref advanced again" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c3"
is "no notification for an unconcerned path" "$(q "$R" 'len(L)')" 5
is "journal and ref agree after three pushes" "$(q "$J" '[x["target"] for x in L if x["moved"]][-1]')" "$c3"

# status
st=$("$GATE_BIN" status --git-dir "$srv")
like "status names the ref pair" "$st" "refs/heads/main -> refs/heads/gitops/accepted/main"
like "status shows the desired revision" "$st" "desired revision: $c3"
like "status shows who accepted it" "$st" "accepted "
like "status lists the clusters" "$st" "cluster prod: 0 pending, 0 dead"
stj=$("$GATE_BIN" status --json --git-dir "$srv")
is "status --json" "$(printf '%s' "$stj" | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["refs"][0]; print(r["commit"], r["in_sync"], sorted(r["clusters"]))')" \
	"$c3 True ['other', 'prod', 'staging']"

# rollback: refused for a commit never accepted on main
git -C "$work" checkout -q -b feature
put_file "$work" clusters/prod/api.yaml "$(valid_deployment api)" "feature work"
ok "feature branch accepted (for refs/heads/feature)" push "$work" origin feature
cf=$(git -C "$work" rev-parse HEAD)
not_ok "rollback to a commit never accepted on main is refused" \
	"$GATE_BIN" rollback --git-dir "$srv" main "$cf"
err=$("$GATE_BIN" rollback --git-dir "$srv" main "$cf" 2>&1 || true)
like "refusal says why" "$err" "was never accepted for refs/heads/main: refusing to roll back to it"
not_ok "rollback to an unknown revision is refused" "$GATE_BIN" rollback --git-dir "$srv" main deadbeef
is "accepted ref unmoved by refusals" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c3"

# rollback to the first accepted commit: moved, journaled, notified
ok "rollback to an earlier accepted commit" "$GATE_BIN" rollback --git-dir "$srv" refs/heads/main "$c1"
is "accepted ref rolled back" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c1"
is "main itself untouched" "$(ref_of "$srv" refs/heads/main)" "$c3"
is "journal: rollback line" "$(q "$J" 'L[-1]["event"], L[-1]["target"], L[-1]["previous"], L[-1]["moved"]')" \
	"('rollback', '$c1', '$c3', True)"
is "rollback notified staging (its file goes away) and the catch-all" \
	"$(q "$R" 'sorted(x["path"] for x in L if x["event"] == "rollback")')" "['/generic', '/hook/staging-digest']"
is "rollback body lists the removed path" \
	"$(q "$R" '[__import__("json").loads(x["body"])["commits"][-1]["removed"] for x in L if x["path"] == "/hook/staging-digest" and x["event"] == "rollback"][0]')" \
	"['clusters/staging/web.yaml', 'docs/readme.yaml']"
st=$("$GATE_BIN" status --git-dir "$srv")
like "status after rollback" "$st" "desired revision: $c1"
like "status says rollback" "$st" "rollback "

ok "rollforward" "$GATE_BIN" rollforward --git-dir "$srv" main
is "accepted ref back at the newest accepted commit" "$(ref_of "$srv" refs/heads/gitops/accepted/main)" "$c3"
is "journal: rollforward line" "$(q "$J" 'L[-1]["event"], L[-1]["target"]')" "('rollforward', '$c3')"
ok "reconcile finds nothing to do" sh -c "'$GATE_BIN' reconcile --git-dir '$srv' | grep -q 'the record is consistent'"

done_testing
