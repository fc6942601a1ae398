#!/bin/sh
# HTTPS receivers: verified against a local CA given as ca_bundle; without
# the CA the certificate is refused (verification is always on).
. "$GATE_SRCDIR/tests/lib.sh"
. "$GATE_SRCDIR/tests/notify/lib-notify.sh"

command -v openssl >/dev/null || skip_all "openssl not installed"
C="$T_DIR/ca"
mkdir -p "$C"
(
	cd "$C"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=gitops-gate test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
		-days 2 -extfile ext
) >"$T_DIR/openssl.log" 2>&1 || bail "openssl could not make the test CA: $(cat "$T_DIR/openssl.log")"

start_receiver r --tls "$C/srv.pem" "$C/srv.key"
P=$(port_of r)
R="$T_DIR/r.jsonl"
srv=$(make_server srv)
notify_config "$srv" \
	"clusters:" \
	"  - name: trusted" \
	"    receivers:" \
	"      - url: https://127.0.0.1:$P/hook/trusted" \
	"        format: flux-generic-hmac" \
	"        token_file: $TOKEN" \
	"        ca_bundle: $C/ca.pem" \
	"      - url: https://127.0.0.1:$P/api/webhook" \
	"        format: github" \
	"        token_file: $TOKEN" \
	"        ca_bundle: $C/ca.pem" \
	"  - name: untrusted" \
	"    receivers:" \
	"      - url: https://127.0.0.1:$P/hook/untrusted" \
	"        format: flux-generic-hmac" \
	"        token_file: $TOKEN" \
	"notify:" \
	"  backoff_ms: 0" \
	"  repository:" \
	"    html_url: https://git.example/org/fleet"
work=$(make_work w "$srv")
put_file "$work" clusters/prod/web.yaml "$(valid_deployment web)" "web"
ok "push accepted" push "$work" origin main
out=$(remote_lines)
like "three notifications queued" "$out" "(3 notifications to 2 clusters queued)"
like "the receiver without the CA is refused" "$out" "to cluster \"untrusted\" failed: SSL certificate problem"
is "the trusted receiver got both deliveries over TLS, verified" \
	"$(q "$R" 'sorted((x["path"], x["status"], sorted(x["checks"].values())) for x in L)')" \
	"[('/api/webhook', 200, ['ok']), ('/hook/trusted', 200, ['ok'])]"
is "the untrusted delivery stays queued" "$(outbox_count "$srv")" 1
not_ok "drain still refuses the unknown CA" "$GATE_BIN" notify --drain --git-dir "$srv"
is "nothing reached the receiver without verification" \
	"$(q "$R" 'len([x for x in L if x["path"] == "/hook/untrusted"])')" 0
done_testing
