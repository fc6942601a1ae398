#!/bin/sh
# Issue 14 (7): an operator's first hour, as README's walk-throughs tell it:
# check-config points at each notify setting by file:line, notify --test asks
# each receiver (Flux Receiver, Argo CD) and prints its answer, then a push
# reaches both.  The receivers verify as Flux and Argo CD do.
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

cat >"$T_DIR/apps.json" <<'JSON'
[{"name": "fleet", "repoURL": "https://git.example/org/fleet.git", "targetRevision": "gitops/accepted/main",
  "path": "clusters/prod"}]
JSON
# README: printf '%s' "$(openssl rand -hex 32)" > /etc/gitops-gate/prod.token (no final newline)
printf '%s' "0123456789abcdef0123456789abcdef" >"$TOKEN"
chmod 600 "$TOKEN"
start_receiver r --apps "$T_DIR/apps.json"
P=$(port_of r)
srv=$(make_server srv)
cfg="$srv/gitops-gate.yaml"
notify_config "$srv" \
	"clusters:" \
	"  - name: prod" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$P/hook/prod" \
	"        format: flux-generic-hmac" \
	"        token_file: $TOKEN" \
	"      - url: http://127.0.0.1:$P/api/webhook" \
	"        format: github" \
	"        token_file: $TOKEN" \
	"notify:" \
	"  repository:" \
	"    html_url: https://git.example/org/fleet"

out=$("$GATE_BIN" check-config --git-dir "$srv" || true)
ok "check-config passes" "$GATE_BIN" check-config --git-dir "$srv"
like "check-config names each receiver at its line" "$out" \
	"ok: $cfg:12: clusters[0].receivers[0].url: cluster \"prod\": http://127.0.0.1:$P/hook/prod (flux-generic-hmac)"
like "check-config checked the token file" "$out" \
	"ok: $cfg:14: clusters[0].receivers[0].token_file: $TOKEN: readable, private, 32 bytes used as they are"
like "check-config explains html_url" "$out" \
	"ok: $cfg:20: notify.repository.html_url: https://git.example/org/fleet: Argo CD refreshes applications whose repoURL has this host and path"
like "check-config summary" "$out" "check-config: 0 errors, 0 warnings"

ok "notify --test passes" sh -c "'$GATE_BIN' notify --test --git-dir '$srv' >'$T_DIR/nt.out'"
out=$(cat "$T_DIR/nt.out")
like "Flux's Receiver answered" "$out" "ok: cluster \"prod\": http://127.0.0.1:$P/hook/prod (flux-generic-hmac): HTTP 200: ok"
like "Argo CD answered" "$out" "ok: cluster \"prod\": http://127.0.0.1:$P/api/webhook (github): HTTP 200: ok"
is "the test events were verified as Flux and Argo CD verify" \
	"$(q "$T_DIR/r.jsonl" 'sorted((x["receiver"], x["status"], x["event"]) for x in L)')" \
	"[('argocd', 200, 'test'), ('flux-generic-hmac', 200, 'test')]"
is "nothing queued by the test" "$(outbox_count "$srv")" 0

work=$(make_work w "$srv")
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "prod: web"
ok "first push accepted" push "$work" origin main
is "the push reached Flux and Argo CD; Argo CD refreshed the app" \
	"$(q "$T_DIR/r.jsonl" '[(x["receiver"], x["status"], x["refreshed"]) for x in sorted(L[2:], key=lambda x: x["receiver"])]')" \
	"[('argocd', 200, ['fleet']), ('flux-generic-hmac', 200, [])]"

# what goes wrong in the first hour, and how the tools say it
printf '%s\n' "0123456789abcdef0123456789abcdef" >"$TOKEN"
chmod 644 "$TOKEN"
out=$("$GATE_BIN" check-config --git-dir "$srv" || true)
not_ok "check-config fails on a token file others can read" "$GATE_BIN" check-config --git-dir "$srv"
like "the error points at the token_file line" "$out" \
	"error: $cfg:14: clusters[0].receivers[0].token_file: token file \"$TOKEN\" is accessible to others (mode 644)"
chmod 600 "$TOKEN"
out=$("$GATE_BIN" check-config --git-dir "$srv" || true)
like "a final newline is a warning at the token_file line" "$out" \
	"warning: $cfg:14: clusters[0].receivers[0].token_file: $TOKEN: the token file ends in whitespace (a newline?)"
not_ok "notify --test fails when the receivers hold other bytes" sh -c "'$GATE_BIN' notify --test --cluster prod --git-dir '$srv' >'$T_DIR/nt.out'"
out=$(cat "$T_DIR/nt.out")
like "Flux's answer is shown" "$out" "error: cluster \"prod\": http://127.0.0.1:$P/hook/prod (flux-generic-hmac): HTTP 400: unable to validate HMAC signature: payload signature check failed"
like "with the likely cause" "$out" "hint: the token file ends in whitespace"
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web2)" "prod: web2"
ok "a push while the token bytes differ is accepted" push "$work" origin main
like "post-receive names the refusal" "$(remote_lines)" "HTTP 400: unable to validate HMAC signature: payload signature check failed: queued for retry"
like "and the likely cause" "$(remote_lines)" "hint: the token file ends in whitespace"
not_ok "notify --test for an unknown cluster" "$GATE_BIN" notify --test --cluster nope --git-dir "$srv"

notify_config "$srv" \
	"clusters:" \
	"  - name: prod" \
	"    receivers:" \
	"      - url: http://127.0.0.1:$P/api/webhook" \
	"        format: github" \
	"        token_file: $TOKEN"
out=$("$GATE_BIN" check-config --git-dir "$srv" || true)
like "check-config: html_url is required with a github receiver" "$out" \
	"error: $cfg: notify.repository.html_url: required with the github receiver clusters[0].receivers[0]"
notify_config "$srv" "clusters: 3"
out=$("$GATE_BIN" check-config --git-dir "$srv" || true)
like "check-config: a schema error with its line" "$out" "error: $cfg:9:11: invalid config: /clusters: expected array, got integer"

done_testing
