#!/bin/sh
# Issue 14: deliveries that Flux's Receivers and Argo CD act on, checked by a
# receiver that verifies as they do (tests/notify/receiver.py): the token's
# bytes as they are (1), Flux's 3 MiB body limit (2), a change list that is
# never partial, so Argo CD's manifest-generate-paths refreshes every app
# concerned (3), the repository URL Argo CD matches apps on (4), the
# X-Hub-Signature (sha1) of Argo CD up to 2.12 (5), GitLab push events (6).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

# Argo CD applications: two on this repository tracking the accepted branch,
# each refreshed only for its own folder; one on another repository
cat >"$T_DIR/apps.json" <<'JSON'
[
 {"name": "web", "repoURL": "https://git.example/org/fleet.git", "targetRevision": "gitops/accepted/main",
  "path": "apps/web", "annotations": {"argocd.argoproj.io/manifest-generate-paths": "."}},
 {"name": "db", "repoURL": "git@git.example:org/fleet.git", "targetRevision": "refs/heads/gitops/accepted/main",
  "path": "apps/db", "annotations": {"argocd.argoproj.io/manifest-generate-paths": "."}},
 {"name": "elsewhere", "repoURL": "https://git.example/org/other.git", "targetRevision": "gitops/accepted/main",
  "path": "apps/web"}
]
JSON
# the token file ends in a newline, as `echo secret > token` writes it; the
# receivers' Secret is made from the same file (kubectl --from-file)
is "the shared token file ends in a newline" "$(tail -c 1 "$TOKEN" | od -An -c | tr -d ' ')" '\n'
GL_TOKEN="$T_DIR/gl-token"
printf 'gitlab-secret-%s' "$$" >"$GL_TOKEN"
chmod 600 "$GL_TOKEN"
start_receiver r --apps "$T_DIR/apps.json"
start_receiver g --apps "$T_DIR/apps.json"
# the gitlab receivers hold the token without a newline
stop_receiver g
python3 "$RECEIVER" --port-file "$T_DIR/g2.port" --record "$T_DIR/g.jsonl" --token-file "$GL_TOKEN" \
	--apps "$T_DIR/apps.json" >"$T_DIR/g.log" 2>&1 &
NT_PIDS="$NT_PIDS $!"
while [ ! -s "$T_DIR/g2.port" ]; do sleep 0.05; done
P=$(port_of r)
G=$(head -n 1 "$T_DIR/g2.port")
R="$T_DIR/r.jsonl"
GR="$T_DIR/g.jsonl"

HTML="  repository:
    html_url: https://git.example/org/fleet"
FLUX_HMAC="      - url: http://127.0.0.1:$P/hook/prod
        format: flux-generic-hmac
        token_file: $TOKEN"
FLUX_GITHUB="      - url: http://127.0.0.1:$P/hook/github-prod
        format: github
        token_file: $TOKEN"
ARGOCD="      - url: http://127.0.0.1:$P/api/webhook
        format: github
        token_file: $TOKEN"
ARGOCD_212="      - url: http://127.0.0.1:$P/api/webhook-v2.12
        format: github
        signature: sha1
        token_file: $TOKEN"
# the same receivers holding a token without a final newline (receiver g), so
# that the sections below test one thing each
FLUX_HMAC_C="      - url: http://127.0.0.1:$G/hook/prod
        format: flux-generic-hmac
        token_file: $GL_TOKEN"
FLUX_GITHUB_C="      - url: http://127.0.0.1:$G/hook/github-prod
        format: github
        token_file: $GL_TOKEN"
ARGOCD_C="      - url: http://127.0.0.1:$G/api/webhook
        format: github
        token_file: $GL_TOKEN"
GITLAB="      - url: http://127.0.0.1:$G/hook/gitlab-prod
        format: gitlab
        token_file: $GL_TOKEN
      - url: http://127.0.0.1:$G/api/webhook
        format: gitlab
        token_file: $GL_TOKEN"

# section NAME RECEIVERS [NOTIFY LINES...]: a fresh server with one cluster,
# and a work clone in $work
section() {
	_name=$1
	_recv=$2
	shift 2
	srv=$(make_server "$_name")
	notify_config "$srv" "clusters:" "  - name: prod" "    receivers:" "$_recv" \
		"notify:" "  budget_ms: 20000" "$@"
	work=$(make_work "w-$_name" "$srv")
	mark
}

# answers of the last push, by receiver kind: "kind status [refreshed apps]"
answers() {
	q "$R" '"; ".join("%s %d %s" % (x["receiver"], x["status"], ",".join(sorted(x["refreshed"]))) for x in sorted(L[int(__import__("os").environ["N0"]):], key=lambda x: x["receiver"]))'
}
ganswers() {
	q "$GR" '"; ".join("%s %d %s" % (x["receiver"], x["status"], ",".join(sorted(x["refreshed"]))) for x in sorted(L[int(__import__("os").environ["G0"]):], key=lambda x: x["receiver"]))'
}
mark() {
	N0=$(q "$R" 'len(L)')
	G0=$(q "$GR" 'len(L)')
	export N0 G0
}

# (1) the token's bytes as they are
section one "$FLUX_HMAC
$FLUX_GITHUB
$ARGOCD" "$HTML"
put_file "$work" apps/web/note.txt "one" "web: one"
ok "(1) push accepted" push "$work" origin main
unlike "(1) no delivery failed" "$(remote_lines)" "warning: delivery"
is "(1) Flux generic-hmac and github Receivers and Argo CD accept the token file's bytes; web refreshed" \
	"$(answers)" "argocd 200 web; flux-generic-hmac 200 ; flux-github 200 "

# (5) X-Hub-Signature (sha1) for Argo CD up to 2.12
section five "$ARGOCD_212
$ARGOCD" "$HTML"
put_file "$work" apps/web/note.txt "one" "web: one"
ok "(5) push accepted" push "$work" origin main
is "(5) Argo CD 2.12 accepts X-Hub-Signature; web refreshed" \
	"$(answers)" "argocd 200 web; argocd-2.12 200 web"
is "(5) the v2.12 receiver got X-Hub-Signature only" \
	"$(q "$R" '[(("X-Hub-Signature" in x["headers"]), ("X-Hub-Signature-256" in x["headers"])) for x in L if x["receiver"] == "argocd-2.12"][-1]')" \
	"(True, False)"

# (6) GitLab push events
section six "$GITLAB" "$HTML"
put_file "$work" apps/web/note.txt "one" "web: one"
ok "(6) push accepted" push "$work" origin main
is "(6) Flux's gitlab Receiver and Argo CD accept the GitLab push event; web refreshed" \
	"$(ganswers)" "argocd 200 web; flux-gitlab 200 "
is "(6) GitLab headers" \
	"$(q "$GR" '[(x["headers"]["X-Gitlab-Event"], "X-Hub-Signature-256" in x["headers"]) for x in L][-1]')" \
	"('Push Hook', False)"

# (3) 101 commits: the oldest touches apps/db, the newer 100 apps/web
section three "$FLUX_HMAC_C
$ARGOCD_C" "$HTML"
put_file "$work" apps/web/note.txt "one" "web: one"
ok "(3) first push accepted" push "$work" origin main
mark
base=$(git -C "$work" rev-parse HEAD)
blob=$(printf 'db\n' | git -C "$work" hash-object -w --stdin)
git -C "$work" read-tree "$base"
git -C "$work" update-index --add --cacheinfo "100644,$blob,apps/db/x.txt"
c=$(git -C "$work" commit-tree "$(git -C "$work" write-tree)" -p "$base" -m "db")
i=0
while [ $i -lt 100 ]; do
	i=$((i + 1))
	blob=$(printf 'web %s\n' $i | git -C "$work" hash-object -w --stdin)
	git -C "$work" update-index --add --cacheinfo "100644,$blob,apps/web/note.txt"
	c=$(git -C "$work" commit-tree "$(git -C "$work" write-tree)" -p "$c" -m "web $i")
done
git -C "$work" update-ref refs/heads/main "$c"
git -C "$work" reset -q --hard main
ok "101 commits accepted" push "$work" origin main
is "(3) Argo CD refreshes db (changed by the 101st newest commit) and web" \
	"$(ganswers)" "argocd 200 db,web; flux-generic-hmac 200 "
is "(3) one summary commit with the full diff" \
	"$(q "$GR" '[(b["gitops_gate"]["changes"], len(b["commits"]), sorted(b["commits"][0]["added"] + b["commits"][0]["modified"])) for b in [__import__("json").loads(x["body"]) for x in L[int(__import__("os").environ["G0"]):] if x["receiver"] == "argocd"]][0]')" \
	"('summary', 1, ['apps/db/x.txt', 'apps/web/note.txt'])"

# (2) one commit whose change list alone would make a 3.6 MB body
section two "$FLUX_HMAC_C
$FLUX_GITHUB_C
$ARGOCD_C" "$HTML"
put_file "$work" apps/web/note.txt "one" "web: one"
ok "(2) first push accepted" push "$work" origin main
mark
base=$(git -C "$work" rev-parse HEAD)
git -C "$work" read-tree "$base"
seg=$(python3 -c 'print("d" * 250)')
blob=$(printf 'db\n' | git -C "$work" hash-object -w --stdin)
python3 - "$blob" "$seg" <<'PY' | git -C "$work" update-index --index-info
import sys
blob, seg = sys.argv[1], sys.argv[2]
for i in range(1000):
    print("100644 %s\tapps/db/%s/%s/%s/%s/%s/%s/%s/f%04d.txt" % ((blob,) + (seg,) * 7 + (i,)))
PY
c=$(git -C "$work" commit-tree "$(git -C "$work" write-tree)" -p "$base" -m "many long paths")
git -C "$work" update-ref refs/heads/main "$c"
git -C "$work" reset -q --hard main
ok "push of 1000 long paths accepted" push "$work" origin main
is "(2) every receiver answered 200 (no 413), Argo CD refreshes db only" \
	"$(ganswers)" "argocd 200 db; flux-generic-hmac 200 ; flux-github 200 "
is "(2) every body within 3 MiB minus the margin" \
	"$(q "$GR" 'max(x["size"] for x in L[int(__import__("os").environ["G0"]):]) <= 3080192')" True
is "(2) the summary form was used" \
	"$(q "$GR" 'sorted(set(__import__("json").loads(x["body"])["gitops_gate"]["changes"] for x in L[int(__import__("os").environ["G0"]):] if x["body"]))')" \
	"['summary']"

# (2) a smaller configured limit: no commits at all, every app refreshed
notify_config "$srv" "clusters:" "  - name: prod" "    receivers:" "$FLUX_HMAC_C" "$FLUX_GITHUB_C" "$ARGOCD_C" \
	"notify:" "  budget_ms: 20000" "  max_body_bytes: 200000" "$HTML"
mark
put_file "$work" apps/web/note.txt "two" "web: two"
git -C "$work" rm -q -r apps/db
git -C "$work" commit -q -m "drop db"
ok "push under a 200000-byte limit accepted" push "$work" origin main
is "(2) bodies under 200000 bytes" "$(q "$GR" 'max(x["size"] for x in L[int(__import__("os").environ["G0"]):]) <= 200000')" True
is "(2, 3) no commits: Argo CD refreshes every app of the repository" \
	"$(ganswers)" "argocd 200 db,web; flux-generic-hmac 200 ; flux-github 200 "

# (4) html_url is required with github and gitlab receivers, checked at load
section four "$FLUX_HMAC_C
$ARGOCD_C"
put_file "$work" apps/web/note.txt "three" "web: three"
not_ok "push refused without html_url (the configuration is broken)" push "$work" origin main
like "(4) pre-receive says html_url is required" "$(remote_lines)" \
	"notify.repository.html_url: required with the github receiver clusters[0].receivers[1]"
is "(4) nobody was told" "$(ganswers)" ""
err=$("$GATE_BIN" notify --drain --git-dir "$srv" 2>&1 || true)
like "(4) notify --drain refuses the configuration" "$err" "notify.repository.html_url: required"
notify_config "$srv" "clusters:" "  - name: prod" "    receivers:" "$FLUX_HMAC_C" "$ARGOCD_C" \
	"notify:" "  repository:" "    html_url: https://git.example"
err=$("$GATE_BIN" notify --drain --git-dir "$srv" 2>&1 || true)
like "(4) a URL Argo CD cannot match on is refused" "$err" "notify.repository.html_url: "
notify_config "$srv" "clusters:" "  - name: prod" "    receivers:" "$FLUX_HMAC_C" "$ARGOCD_C" \
	"notify:" "  repository:" "    html_url: https://git.example/org/other"
mark
put_file "$work" apps/web/note.txt "four" "web: four"
ok "push with another repository's html_url" push "$work" origin main
is "(4) Argo CD refreshes only the app of that repository" \
	"$(ganswers)" "argocd 200 elsewhere; flux-generic-hmac 200 "

done_testing
