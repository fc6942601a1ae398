#!/usr/bin/env python3
"""A webhook receiver for the notify tests, standard library only.

It answers as the real pullers do, byte for byte, chosen by the request path:
  /hook/<name>  a Flux notification-controller Receiver (receiver_handlers.go):
      the body is read up to 3 MiB (maxRequestSizeBytes; more: 413), then by
      type (from <name>: "github..." github, "gitlab..." gitlab, "generic-..."
      generic, else generic-hmac):
      generic-hmac  go-github ValidateSignature(X-Signature, body, token):
                    "<algo>=<hex>", algo sha1|sha256|sha512
      github        go-github ValidatePayload (X-Hub-Signature-256, else
                    X-Hub-Signature; Content-Type application/json), then
                    X-GitHub-Event must be one of the Receiver's events (push)
      gitlab        X-Gitlab-Token == token (plain string compare), then
                    X-Gitlab-Event among the events (Push Hook)
      A failed check is answered 400; an unknown path 404.  The token is the
      Secret's bytes: the --token-file bytes as they are (never trimmed).
  /api/webhook  Argo CD (util/webhook/webhook.go with go-playground/webhooks
      v6.4.0): by header, X-GitHub-Event: github.Parse(push, ping) checking
      X-Hub-Signature-256; X-Gitlab-Event: gitlab.Parse(Push Hook, Tag Push
      Hook, System Hook) checking X-Gitlab-Token; then json.Unmarshal into the
      typed payload (400 on a type error).  Bodies over 50 MiB: 400.  Then
      HandleEvent: the applications of --apps (a JSON list of {name, repoURL,
      targetRevision, path, annotations}) are matched as Argo CD does
      (GetWebURLRegex on repository.html_url / project.web_url,
      sourceRevisionHasChanged on ref, manifest-generate-paths against the
      paths of commits[]) and the names refreshed are recorded.
  /api/webhook-v2.12  Argo CD up to v2.12 (go-playground/webhooks v6.3.0):
      the same, but github checks X-Hub-Signature (HMAC-SHA1) only.
  /generic      the gate's generic format: X-Gitops-Gate-Signature sha256=<hex>.

Every request is appended to the --record file as one JSON line: port, path,
headers, body, delivery id, which checks ran and their result ("ok" or the
error the real receiver gives), the status answered, the applications
refreshed, the mode.

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
import hashlib
import hmac
import json
import os
import posixpath
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLUX_MAX_BODY = 3 * 1024 * 1024          # notification-controller maxRequestSizeBytes
ARGOCD_MAX_BODY = 50 * 1024 * 1024       # argocd-server --webhook-max-payload-size default


def go_header(headers, name):
    """net/http Header.Get: the first value, leading and trailing blanks removed."""
    v = headers.get(name)
    if v is None:
        return ""
    return v.strip(" \t")


def go_github_validate_signature(signature, payload, secret):
    """go-github ValidateSignature: error text or None."""
    if signature == "":
        return "missing signature"
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
    """go-github ValidatePayload (JSON content, as we send)."""
    signature = go_header(headers, "X-Hub-Signature-256") or go_header(headers, "X-Hub-Signature")
    ctype = go_header(headers, "Content-Type").split(";")[0].strip().lower()
    if ctype != "application/json":
        return "webhook request has unsupported Content-Type %r" % ctype
    if secret:
        return go_github_validate_signature(signature, payload, secret)
    return None


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _is_str(v):
    return v is None or isinstance(v, str)


def _is_int(v):
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def _no_floats(v):
    if isinstance(v, float):
        return False
    if isinstance(v, list):
        return all(_no_floats(x) for x in v)
    if isinstance(v, dict):
        return all(_no_floats(x) for x in v.values())
    return True


def _commit_ok(c, gitlab=False):
    if not isinstance(c, dict):
        return "commit is not an object"
    for k in ("id", "tree_id", "message", "url", "title"):
        if k in c and not _is_str(c[k]):
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


def check_push_payload(body):
    """json.Unmarshal into go-playground/webhooks github.PushPayload: (payload, error)."""
    try:
        p = json.loads(body)
    except ValueError as e:
        return None, "body is not JSON: %s" % e
    if not isinstance(p, dict):
        return None, "body is not an object"
    for k in ("ref", "before", "after", "compare"):
        if k in p and not _is_str(p[k]):
            return None, "%s is not a string" % k
    for k in ("created", "deleted", "forced"):
        if k in p and not isinstance(p[k], bool):
            return None, "%s is not a boolean" % k
    repo = p.get("repository")
    if not isinstance(repo, dict):
        return None, "repository missing"
    for k in ("name", "full_name", "html_url", "clone_url", "ssh_url", "default_branch", "url",
              "master_branch"):
        if k in repo and not _is_str(repo[k]):
            return None, "repository.%s is not a string" % k
    for k in ("created_at", "pushed_at", "id", "size"):
        if k in repo and not _is_int(repo[k]):
            return None, "repository.%s is not an integer" % k
    commits = p.get("commits")
    if not isinstance(commits, list):
        return None, "commits missing"
    for c in commits:
        err = _commit_ok(c)
        if err:
            return None, err
    if p.get("head_commit") is not None:
        err = _commit_ok(p["head_commit"])
        if err:
            return None, "head_commit: " + err
    if not _no_floats(p):
        return None, "a non-integer number in the body"
    return p, None


def check_gitlab_payload(body):
    """json.Unmarshal into go-playground/webhooks gitlab.PushEventPayload: (payload, error)."""
    try:
        p = json.loads(body)
    except ValueError as e:
        return None, "body is not JSON: %s" % e
    if not isinstance(p, dict):
        return None, "body is not an object"
    for k in ("object_kind", "before", "after", "ref", "checkout_sha", "user_name",
              "user_username", "user_email", "user_avatar"):
        if k in p and not _is_str(p[k]):
            return None, "%s is not a string" % k
    for k in ("user_id", "project_id", "total_commits_count"):
        if k in p and not _is_int(p[k]):
            return None, "%s is not an integer" % k
    proj = p.get("project")
    if not isinstance(proj, dict):
        return None, "project missing"
    for k in ("name", "description", "web_url", "git_ssh_url", "git_http_url", "namespace",
              "path_with_namespace", "default_branch", "homepage", "url", "ssh_url", "http_url"):
        if k in proj and not _is_str(proj[k]):
            return None, "project.%s is not a string" % k
    for k in ("id", "visibility_level"):
        if k in proj and not _is_int(proj[k]):
            return None, "project.%s is not an integer" % k
    commits = p.get("commits")
    if not isinstance(commits, list):
        return None, "commits missing"
    for c in commits:
        err = _commit_ok(c, True)
        if err:
            return None, err
    if not _no_floats(p):
        return None, "a non-integer number in the body"
    return p, None


# ---- Argo CD ----

USERNAME_RE = r"[\w\.][\w\.-]{0,30}[\w\.\$-]?"


def go_url_host_path(url):
    """Hostname() and EscapedPath() of Go's url.Parse for the URLs we meet."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(//([^/?#]*))?([^?#]*)", url)
    if not m:
        return None, None
    auth = m.group(3) or ""
    host = auth.rsplit("@", 1)[-1]
    if host.startswith("["):
        host = host[1:host.find("]")]
    else:
        host = host.split(":", 1)[0]
    return host, m.group(4)


def argocd_web_url_regex(web_url):
    """GetWebURLRegex: None where Argo CD fails (or panics on an empty path)."""
    host, path = go_url_host_path(web_url)
    if host is None or not path:
        return None
    pat = r"^((https?|ssh)://)?(%s@)?((alt)?ssh\.)?%s(:\d+)?[:/]%s(\.git)?$" % (
        USERNAME_RE, re.escape(host), re.escape(path[1:]))
    return re.compile(pat, re.IGNORECASE | re.ASCII)


def parse_revision(ref):
    return ref.split("/", 2)[-1]


def source_revision_has_changed(target_revision, revision, touched_head):
    target_rev = parse_revision(target_revision)
    if target_rev in ("HEAD", ""):
        return touched_head
    for prefix in ("refs/heads/", "refs/tags/"):
        if target_revision.startswith(prefix):
            return revision == target_rev
    return target_revision == revision


def go_path_match(pattern, name):
    """filepath.Match for the patterns we meet: * and ? do not cross '/'."""
    rx = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            rx += "[^/]*"
        elif ch == "?":
            rx += "[^/]"
        elif ch == "[":
            j = pattern.find("]", i)
            if j < 0:
                return False
            cls = pattern[i + 1:j]
            if cls.startswith("^"):
                cls = "^" + cls[1:]
            rx += "[" + cls.replace("\\", "\\\\") + "]"
            i = j
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            rx += re.escape(pattern[i])
        else:
            rx += re.escape(ch)
        i += 1
    return re.fullmatch(rx, name) is not None


def app_refresh_paths(app):
    ann = (app.get("annotations") or {}).get("argocd.argoproj.io/manifest-generate-paths", "")
    paths = []
    for item in ann.split(";") if ann else []:
        if item == "":
            continue
        if item.startswith("/"):
            paths.append(item[1:])
        else:
            paths.append(posixpath.normpath(posixpath.join(app.get("path", ""), item)))
    return paths


def _abs(p):
    return p if p.startswith("/") else "/" + p


def _under_root(root, requested):
    root = posixpath.normpath(root)
    d = posixpath.normpath(posixpath.dirname(requested))
    if root == "/" or root == d:
        return True
    return (d.rstrip("/") + "/").startswith(root.rstrip("/") + "/")


def app_files_have_changed(refresh_paths, changed):
    if not changed or not refresh_paths:
        return True
    for f in changed:
        f = _abs(f)
        for item in refresh_paths:
            item = _abs(item)
            if f == item or _under_root(item, f) or go_path_match(item, f):
                return True
    return False


def argocd_handle_event(apps, web_url, ref, default_branch, commits):
    """HandleEvent for one push payload: the names of the apps refreshed."""
    revision = parse_revision(ref or "")
    touched_head = default_branch == revision
    changed = []
    for c in commits or []:
        changed += (c.get("added") or []) + (c.get("modified") or []) + (c.get("removed") or [])
    rx = argocd_web_url_regex(web_url or "")
    if rx is None:
        return []
    out = []
    for app in apps:
        if not source_revision_has_changed(app.get("targetRevision", ""), revision, touched_head):
            continue
        if not rx.match(app.get("repoURL", "")):
            continue
        if app_files_have_changed(app_refresh_paths(app), changed):
            out.append(app["name"])
    return out


def argocd(method, headers, payload, secret, apps, old):
    """ArgoCDWebhookHandler.Handler: (status, error or None, apps refreshed)."""
    if len(payload) > ARGOCD_MAX_BODY:
        return 400, "error parsing payload", []
    if go_header(headers, "X-GitHub-Event"):
        event = go_header(headers, "X-GitHub-Event")
        if method != "POST":
            return 405, "invalid HTTP Method", []
        if event not in ("push", "ping"):
            return 400, "event not defined to be parsed", []
        if not payload:
            return 400, "error parsing payload", []
        if secret:
            if old:
                sig = go_header(headers, "X-Hub-Signature")
                if not sig:
                    return 400, "missing X-Hub-Signature Header", []
                expected = hmac.new(secret, payload, hashlib.sha1).hexdigest()
                if not hmac.compare_digest(sig[5:].encode(), expected.encode()):
                    return 400, "HMAC verification failed", []
            else:
                sig = go_header(headers, "X-Hub-Signature-256")
                if not sig:
                    return 400, "missing X-Hub-Signature-256 Header", []
                if sig.startswith("sha256="):
                    sig = sig[len("sha256="):]
                if len(sig) < 6:
                    return 400, "Invalid Github signature", []
                expected = hmac.new(secret, payload, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(sig.encode(), expected.encode()):
                    return 400, "HMAC verification failed", []
        if event == "ping":
            return 200, None, []
        p, err = check_push_payload(payload)
        if err:
            return 400, err, []
        repo = p.get("repository") or {}
        return 200, None, argocd_handle_event(apps, repo.get("html_url"), p.get("ref"),
                                              repo.get("default_branch"), p.get("commits"))
    if go_header(headers, "X-Gitlab-Event"):
        if method != "POST":
            return 405, "invalid HTTP Method", []
        if secret and go_header(headers, "X-Gitlab-Token").encode() != secret:
            return 400, "X-Gitlab-Token validation failed", []
        event = go_header(headers, "X-Gitlab-Event")
        if event not in ("Push Hook", "Tag Push Hook", "System Hook"):
            return 400, "event not defined to be parsed", []
        if not payload:
            return 400, "error parsing payload", []
        p, err = check_gitlab_payload(payload)
        if err:
            return 400, err, []
        proj = p.get("project") or {}
        return 200, None, argocd_handle_event(apps, proj.get("web_url"), p.get("ref"),
                                              proj.get("default_branch"), p.get("commits"))
    return 400, "Unknown webhook event", []


def flux(name, headers, payload, secret):
    """A Flux Receiver named by its path: (status, error or None)."""
    if len(payload) > FLUX_MAX_BODY:
        return 413, "request body exceeds the maximum size of %d bytes" % FLUX_MAX_BODY
    token = secret.decode("utf-8", "surrogateescape")
    if name.startswith("github"):
        err = go_github_validate_payload(headers, payload, secret)
        if err:
            return 400, "the GitHub signature header is invalid, err: " + err
        event = go_header(headers, "X-GitHub-Event")
        if event.lower() != "push":
            return 400, "the GitHub event '%s' is not authorised" % event
        return 200, None
    if name.startswith("gitlab"):
        if go_header(headers, "X-Gitlab-Token") != token:
            return 400, "the X-Gitlab-Token header value does not match the receiver token"
        event = go_header(headers, "X-Gitlab-Event")
        if event.lower() != "push hook":
            return 400, "the GitLab event '%s' is not authorised" % event
        return 200, None
    if name.startswith("generic-"):
        return 200, None
    err = go_github_validate_signature(go_header(headers, "X-Signature"), payload, secret)
    if err:
        return 400, "unable to validate HMAC signature: " + err
    return 200, None


class State:
    def __init__(self, args):
        self.args = args
        self.secret = b""
        if args.token_file:
            with open(args.token_file, "rb") as f:
                self.secret = f.read()        # the Secret's bytes, as they are
        self.apps = []
        if args.apps:
            with open(args.apps) as f:
                self.apps = json.load(f)
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
            "body": body.decode("utf-8", "replace") if len(body) <= (4 << 20) else "",
            "size": len(body),
            "mode": mode,
            "checks": {},
            "refreshed": [],
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
        path = self.path.split("?", 1)[0]
        if path.startswith("/hook/"):
            name = path[len("/hook/"):]
            kind = "flux-" + ("github" if name.startswith("github") else "gitlab"
                              if name.startswith("gitlab") else "generic"
                              if name.startswith("generic-") else "generic-hmac")
            status, err = flux(name, headers, body, st.secret)
        elif path in ("/api/webhook", "/api/webhook-v2.12"):
            kind = "argocd" if path == "/api/webhook" else "argocd-2.12"
            status, err, refreshed = argocd("POST", headers, body, st.secret, st.apps,
                                            path.endswith("-v2.12"))
            entry["refreshed"] = refreshed
        elif path == "/generic":
            kind = "generic"
            sig = go_header(headers, "X-Gitops-Gate-Signature")
            err = go_github_validate_signature(sig, body, st.secret) if st.secret else None
            if err is None:
                err = check_push_payload(body)[1]
            status = 400 if err else 200
        else:
            kind, status, err = "none", 404, "no receiver at %s" % path
        entry["receiver"] = kind
        entry["checks"][kind] = err or "ok"
        entry["status"] = status
        st.record(entry)
        if status == 200 and mode == "big":
            self._answer(200, b"ok " * (700 * 1024))
            return
        self._answer(status, b"ok\n" if status == 200 else (err or "error").encode() + b"\n")

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
    ap.add_argument("--apps", help="Argo CD applications (JSON list)")
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
    for s in servers[1:]:
        t = threading.Thread(target=s.serve_forever, daemon=True)
        t.start()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
