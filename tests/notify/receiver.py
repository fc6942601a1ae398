#!/usr/bin/env python3
"""A webhook receiver for the notify tests, standard library only.

It checks every request the way the real pullers do:
  - Flux notification-controller, Receiver type generic-hmac: go-github
    ValidateSignature(X-Signature, body, token): "<algo>=<hex>" with algo
    sha1, sha256 or sha512, HMAC compared in constant time.
  - Flux Receiver type github: go-github ValidatePayload: X-Hub-Signature-256
    (else X-Hub-Signature), Content-Type application/json, then the
    X-GitHub-Event must be one of the Receiver's events ("push").
  - Argo CD /api/webhook (go-playground/webhooks github.Parse): POST,
    X-GitHub-Event among push/ping, X-Hub-Signature-256 with "sha256="
    trimmed and at least 6 characters equal to the hex HMAC, then the body
    must unmarshal into a PushPayload (typed fields: strings, booleans,
    RFC 3339 timestamps, integers only where numbers are).
  - generic: X-Gitops-Gate-Signature "sha256=<hex>".
A request that fails its check is answered 400 (as Flux does), else 200.

Every request is appended to the --record file as one JSON line: port, path,
method, headers, body, delivery id, which checks ran and passed, the status
answered, the mode.

Modes (--mode-file, read at every request; default "ok"):
  ok    check and answer
  500   answer 500 without checking
  hang  sleep --hang-seconds, then close without answering
  big   check and answer as "ok", with a body of 2 MiB (a chatty receiver)
Ports: --port P (repeatable) or --count N free ports; the ports chosen are
written one per line to --port-file once the receiver listens.  --tls CERT
KEY serves HTTPS.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def go_github_validate_signature(signature, payload, secret):
    """go-github ValidateSignature: error text or None."""
    parts = signature.split("=", 1)
    if len(parts) != 2:
        return "error parsing signature %r" % signature
    algo, hexmac = parts
    funcs = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
    if algo not in funcs:
        return "unknown hash type prefix: %r" % algo
    try:
        mac = bytes.fromhex(hexmac)
    except ValueError:
        return "error decoding signature %r" % signature
    expected = hmac.new(secret, payload, funcs[algo]).digest()
    if not hmac.compare_digest(mac, expected):
        return "payload signature check failed"
    return None


def go_github_validate_payload(headers, payload, secret):
    """go-github ValidatePayload (JSON content only, as we send)."""
    signature = headers.get("X-Hub-Signature-256") or headers.get("X-Hub-Signature") or ""
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return "webhook request has unsupported Content-Type %r" % ctype
    if secret:
        return go_github_validate_signature(signature, payload, secret)
    return None


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def check_push_payload(body):
    """json.Unmarshal into go-playground/webhooks github.PushPayload (the fields we send)."""
    try:
        p = json.loads(body)
    except ValueError as e:
        return "body is not JSON: %s" % e

    def is_str(v):
        return v is None or isinstance(v, str)

    def commit_ok(c):
        if not isinstance(c, dict):
            return "commit is not an object"
        for k in ("id", "tree_id", "message", "url"):
            if k in c and not is_str(c[k]):
                return "commit.%s is not a string" % k
        if "distinct" in c and not isinstance(c["distinct"], bool):
            return "commit.distinct is not a boolean"
        ts = c.get("timestamp")
        if ts is not None and (not isinstance(ts, str) or not RFC3339.match(ts)):
            return "commit.timestamp %r is not RFC 3339 (time.Time)" % ts
        for k in ("added", "removed", "modified"):
            v = c.get(k)
            if v is not None and (not isinstance(v, list) or not all(isinstance(x, str) for x in v)):
                return "commit.%s is not a list of strings" % k
        return None

    for k in ("ref", "before", "after", "compare"):
        if k in p and not is_str(p[k]):
            return "%s is not a string" % k
    for k in ("created", "deleted", "forced"):
        if k in p and not isinstance(p[k], bool):
            return "%s is not a boolean" % k
    repo = p.get("repository")
    if not isinstance(repo, dict):
        return "repository missing"
    for k in ("name", "full_name", "html_url", "clone_url", "default_branch", "url", "master_branch"):
        if k in repo and not is_str(repo[k]):
            return "repository.%s is not a string" % k
    for k in ("created_at", "pushed_at", "id", "size"):
        if k in repo and not isinstance(repo[k], int):
            return "repository.%s is not an integer" % k
    commits = p.get("commits")
    if not isinstance(commits, list):
        return "commits missing"
    for c in commits:
        err = commit_ok(c)
        if err:
            return err
    if p.get("head_commit") is not None:
        err = commit_ok(p["head_commit"])
        if err:
            return "head_commit: " + err

    def no_floats(v):
        if isinstance(v, float):
            return False
        if isinstance(v, list):
            return all(no_floats(x) for x in v)
        if isinstance(v, dict):
            return all(no_floats(x) for x in v.values())
        return True

    if not no_floats(p):
        return "a non-integer number in the body"
    return None


def argocd_parse(method, headers, payload, secret):
    """go-playground/webhooks github.Parse(r, PushEvent, PingEvent) as Argo CD calls it."""
    if method != "POST":
        return "invalid HTTP Method"
    event = headers.get("X-GitHub-Event") or ""
    if not event:
        return "missing X-GitHub-Event Header"
    if event not in ("push", "ping"):
        return "event not defined to be parsed"
    if not payload:
        return "error parsing payload"
    if secret:
        signature = headers.get("X-Hub-Signature-256") or ""
        if not signature:
            return "missing X-Hub-Signature-256 Header"
        if signature.startswith("sha256="):
            signature = signature[len("sha256="):]
        if len(signature) < 6:
            return "Invalid Github signature"
        expected = hmac.new(secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return "HMAC verification failed"
    if event == "push":
        return check_push_payload(payload)
    return None


class State:
    def __init__(self, args):
        self.args = args
        self.secret = b""
        if args.token_file:
            with open(args.token_file, "rb") as f:
                self.secret = f.read().rstrip(b"\r\n \t")
        self.lock = threading.Lock()

    def mode(self):
        if not self.args.mode_file:
            return "ok"
        try:
            with open(self.args.mode_file) as f:
                return f.read().strip() or "ok"
        except OSError:
            return "ok"

    def record(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock:
            with open(self.args.record, "a") as f:
                f.write(line)
                f.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gate-test-receiver"

    def log_message(self, fmt, *a):
        pass

    def do_POST(self):
        st = self.server.state
        mode = st.mode()
        length = int(self.headers.get("Content-Length") or 0)
        if length > (8 << 20):
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        entry = {
            "time": time.time(),
            "port": self.server.server_address[1],
            "path": self.path,
            "method": "POST",
            "delivery": headers.get("X-Gitops-Gate-Delivery"),
            "event": headers.get("X-Gitops-Gate-Event"),
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "mode": mode,
            "checks": {},
        }
        if mode == "hang":
            entry["status"] = 0
            st.record(entry)
            time.sleep(st.args.hang_seconds)
            self.close_connection = True
            return
        if mode == "500":
            entry["status"] = 500
            st.record(entry)
            self._answer(500, b"receiver is failing on purpose\n")
            return
        checks = entry["checks"]
        if "X-GitHub-Event" in headers:
            err = go_github_validate_payload(headers, body, st.secret)
            if err is None and headers.get("X-GitHub-Event", "").lower() != "push":
                err = "the GitHub event %r is not authorised" % headers.get("X-GitHub-Event")
            checks["flux-github"] = err or "ok"
            checks["argocd"] = argocd_parse("POST", headers, body, st.secret) or "ok"
        if "X-Signature" in headers:
            checks["flux-generic-hmac"] = go_github_validate_signature(
                headers["X-Signature"], body, st.secret) or "ok"
        if "X-Gitops-Gate-Signature" in headers:
            checks["generic"] = go_github_validate_signature(
                headers["X-Gitops-Gate-Signature"], body, st.secret) or "ok"
        if not checks:
            checks["unsigned"] = "no signature header" if st.secret else "ok"
        if "X-GitHub-Event" not in headers:
            checks["payload"] = check_push_payload(body) or "ok"
        good = all(v == "ok" for v in checks.values())
        entry["status"] = 200 if good else 400
        st.record(entry)
        if good and mode == "big":
            self._answer(200, b"ok " * (700 * 1024))
            return
        self._answer(entry["status"], b"ok\n" if good else b"bad signature or payload\n")

    def _answer(self, code, text):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, action="append", default=[])
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--token-file")
    ap.add_argument("--mode-file")
    ap.add_argument("--hang-seconds", type=float, default=30.0)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()

    state = State(args)
    ports = list(args.port) + [0] * args.count
    if not ports:
        ports = [0]
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
    servers = []
    for p in ports:
        srv = Server(("127.0.0.1", p), Handler)
        if ctx:
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.state = state
        servers.append(srv)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        for s in servers:
            f.write("%d\n" % s.server_address[1])
    os.rename(tmp, args.port_file)
    threads = []
    for s in servers[1:]:
        t = threading.Thread(target=s.serve_forever, daemon=True)
        t.start()
        threads.append(t)
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
