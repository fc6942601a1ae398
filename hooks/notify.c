#include "config.h"

#include "gate/notify.h"
#include "gate/curl_dl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gate/outbox.h"
#include "gate/util.h"

#define ZERO_OID "0000000000000000000000000000000000000000"

/* ---- body ---- */

#define MAX_MESSAGE 4096 /* bytes of a commit message sent */

static const char *const changes_names[] = { "commits", "summary", "none" };

const char *gate_notify_changes_name(enum gate_notify_changes c)
{
	return (size_t)c < 3 ? changes_names[c] : "unknown";
}

/* A JSON string of s; bytes of invalid UTF-8 (git data may hold any) become '?'. */
static json_t *str_or_empty(const char *s)
{
	json_t *v;
	char *copy, *p;

	if (!s)
		return json_string("");
	if ((v = json_string(s)))
		return v;
	copy = gate_xstrdup(s);
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v ? v : json_string("");
}

/* A commit message, cut at MAX_MESSAGE bytes. */
static json_t *message_json(const char *m)
{
	char *cut;
	json_t *v;

	if (!m || strlen(m) <= MAX_MESSAGE)
		return str_or_empty(m);
	cut = gate_xstrndup(m, MAX_MESSAGE);
	v = str_or_empty(cut);
	free(cut);
	return v;
}

static json_t *paths_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, str_or_empty(v[i]));
	return a;
}

/* The first line of a message (GitLab's "title"). */
static json_t *title_json(const char *m)
{
	char *t;
	json_t *v;

	if (!m)
		return json_string("");
	t = gate_xstrndup(m, strcspn(m, "\n") > MAX_MESSAGE ? MAX_MESSAGE : strcspn(m, "\n"));
	v = str_or_empty(t);
	free(t);
	return v;
}

static json_t *commit_json(const struct gate_push_commit *c, const char *html_url, int gitlab)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", str_or_empty(c->id));
	if (!gitlab) {
		json_object_set_new(o, "tree_id", json_string(""));
		json_object_set_new(o, "distinct", json_true());
	}
	json_object_set_new(o, "message", message_json(c->message));
	if (gitlab)
		json_object_set_new(o, "title", title_json(c->message));
	json_object_set_new(o, "timestamp", str_or_empty(c->timestamp));
	json_object_set_new(o, "url", html_url ?
		json_sprintf("%s/commit/%s", html_url, c->id ? c->id : "") : json_string(""));
	if (gitlab) {
		json_object_set_new(o, "author", json_pack("{s:o,s:o}",
			"name", str_or_empty(c->author_name), "email", str_or_empty(c->author_email)));
	} else {
		json_object_set_new(o, "author", json_pack("{s:o,s:o,s:s}",
			"name", str_or_empty(c->author_name), "email", str_or_empty(c->author_email),
			"username", ""));
		json_object_set_new(o, "committer", json_pack("{s:o,s:o,s:s}",
			"name", str_or_empty(c->committer_name), "email", str_or_empty(c->committer_email),
			"username", ""));
	}
	json_object_set_new(o, "added", paths_json(c->added, c->nadded));
	json_object_set_new(o, "removed", paths_json(c->removed, c->nremoved));
	json_object_set_new(o, "modified", paths_json(c->modified, c->nmodified));
	return o;
}

/* The commits of ev in form how: a new array, and the head commit (or NULL). */
static json_t *commits_json(const struct gate_push_event *ev, enum gate_notify_changes how,
	const char *html_url, int gitlab, json_t **head)
{
	json_t *a = json_array();
	size_t i;

	*head = NULL;
	if (how == GATE_CHANGES_COMMITS) {
		for (i = 0; i < ev->ncommits; i++)
			json_array_append_new(a, commit_json(&ev->commits[i], html_url, gitlab));
		if (ev->head)
			*head = commit_json(ev->head, html_url, gitlab);
	} else if (how == GATE_CHANGES_SUMMARY) {
		struct gate_push_commit s;
		char *msg;

		memset(&s, 0, sizeof(s));
		if (ev->head)
			s = *ev->head;
		s.id = ev->after;
		msg = gate_xasprintf("gitops-gate: every path changed from %.12s to %.12s "
			"(the commit list was too long to send)", ev->before ? ev->before : ZERO_OID,
			ev->after ? ev->after : "");
		s.message = msg;
		s.added = ev->diff_added;
		s.nadded = ev->ndiff_added;
		s.modified = ev->diff_modified;
		s.nmodified = ev->ndiff_modified;
		s.removed = ev->diff_removed;
		s.nremoved = ev->ndiff_removed;
		json_array_append_new(a, commit_json(&s, html_url, gitlab));
		s.nadded = s.nmodified = s.nremoved = 0; /* the paths once, not twice */
		*head = commit_json(&s, html_url, gitlab);
		free(msg);
	}
	return a;
}

static json_t *gate_object(const struct gate_push_event *ev, const char *cluster,
	const char *delivery_id, enum gate_notify_changes how)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:s}",
		"event", str_or_empty(ev->event), "source_ref", str_or_empty(ev->source_ref),
		"accepted_ref", str_or_empty(ev->accepted_ref), "cluster", str_or_empty(cluster),
		"delivery", str_or_empty(delivery_id), "changes", gate_notify_changes_name(how));
}

static json_t *github_body(const struct gate_push_event *ev, const char *cluster,
	const char *delivery_id, enum gate_notify_changes how)
{
	const struct gate_notify_config *r = ev->repo;
	const char *name = r && r->repo_name ? r->repo_name : "repository";
	const char *html_url = r && r->repo_html_url ? r->repo_html_url : NULL;
	json_t *o = json_object(), *repo, *head, *commits;

	json_object_set_new(o, "ref", str_or_empty(ev->accepted_ref));
	json_object_set_new(o, "before", str_or_empty(ev->before ? ev->before : ZERO_OID));
	json_object_set_new(o, "after", str_or_empty(ev->after));
	json_object_set_new(o, "created", json_boolean(!ev->before || !strcmp(ev->before, ZERO_OID)));
	json_object_set_new(o, "deleted", json_false());
	json_object_set_new(o, "forced", json_boolean(ev->forced));
	json_object_set_new(o, "base_ref", json_null());
	json_object_set_new(o, "compare", json_string(""));
	repo = json_object();
	json_object_set_new(repo, "name", str_or_empty(name));
	json_object_set_new(repo, "full_name",
		str_or_empty(r && r->repo_full_name ? r->repo_full_name : name));
	json_object_set_new(repo, "html_url", str_or_empty(html_url));
	json_object_set_new(repo, "clone_url", str_or_empty(r ? r->repo_clone_url : NULL));
	json_object_set_new(repo, "ssh_url", str_or_empty(r ? r->repo_ssh_url : NULL));
	json_object_set_new(repo, "url", str_or_empty(html_url));
	json_object_set_new(repo, "default_branch", str_or_empty(ev->default_branch));
	json_object_set_new(repo, "master_branch", str_or_empty(ev->default_branch));
	json_object_set_new(o, "repository", repo);
	json_object_set_new(o, "pusher", json_pack("{s:o,s:s}", "name", str_or_empty(ev->pusher),
		"email", ""));
	json_object_set_new(o, "sender", json_pack("{s:o}", "login", str_or_empty(ev->pusher)));
	commits = commits_json(ev, how, html_url, 0, &head);
	json_object_set_new(o, "commits", commits);
	json_object_set_new(o, "head_commit", head ? head : json_null());
	json_object_set_new(o, "gitops_gate", gate_object(ev, cluster, delivery_id, how));
	return o;
}

static json_t *gitlab_body(const struct gate_push_event *ev, const char *cluster,
	const char *delivery_id, enum gate_notify_changes how)
{
	const struct gate_notify_config *r = ev->repo;
	const char *name = r && r->repo_name ? r->repo_name : "repository";
	const char *html_url = r && r->repo_html_url ? r->repo_html_url : NULL;
	const char *http_url = r && r->repo_clone_url ? r->repo_clone_url : NULL;
	const char *ssh_url = r && r->repo_ssh_url ? r->repo_ssh_url : NULL;
	const char *full = r && r->repo_full_name ? r->repo_full_name : name;
	json_t *o = json_object(), *p, *head, *commits;
	size_t total = ev->total_commits ? ev->total_commits : ev->ncommits;

	json_object_set_new(o, "object_kind", json_string("push"));
	json_object_set_new(o, "event_name", json_string("push"));
	json_object_set_new(o, "before", str_or_empty(ev->before ? ev->before : ZERO_OID));
	json_object_set_new(o, "after", str_or_empty(ev->after));
	json_object_set_new(o, "ref", str_or_empty(ev->accepted_ref));
	json_object_set_new(o, "checkout_sha", str_or_empty(ev->after));
	json_object_set_new(o, "user_id", json_integer(0));
	json_object_set_new(o, "user_name", str_or_empty(ev->pusher));
	json_object_set_new(o, "user_username", str_or_empty(ev->pusher));
	json_object_set_new(o, "user_email", json_string(""));
	json_object_set_new(o, "user_avatar", json_string(""));
	json_object_set_new(o, "project_id", json_integer(0));
	p = json_object();
	json_object_set_new(p, "id", json_integer(0));
	json_object_set_new(p, "name", str_or_empty(name));
	json_object_set_new(p, "description", json_string(""));
	json_object_set_new(p, "web_url", str_or_empty(html_url));
	json_object_set_new(p, "git_ssh_url", str_or_empty(ssh_url));
	json_object_set_new(p, "git_http_url", str_or_empty(http_url));
	json_object_set_new(p, "namespace", json_string(""));
	json_object_set_new(p, "visibility_level", json_integer(0));
	json_object_set_new(p, "path_with_namespace", str_or_empty(full));
	json_object_set_new(p, "default_branch", str_or_empty(ev->default_branch));
	json_object_set_new(p, "homepage", str_or_empty(html_url));
	json_object_set_new(p, "url", str_or_empty(ssh_url ? ssh_url : http_url));
	json_object_set_new(p, "ssh_url", str_or_empty(ssh_url));
	json_object_set_new(p, "http_url", str_or_empty(http_url));
	json_object_set_new(o, "project", p);
	commits = commits_json(ev, how, html_url, 1, &head);
	json_decref(head);
	json_object_set_new(o, "commits", commits);
	json_object_set_new(o, "total_commits_count", json_integer((json_int_t)total));
	json_object_set_new(o, "repository", json_pack("{s:o,s:o,s:s,s:o,s:o,s:o,s:i}",
		"name", str_or_empty(name), "url", str_or_empty(ssh_url ? ssh_url : http_url),
		"description", "", "homepage", str_or_empty(html_url),
		"git_http_url", str_or_empty(http_url), "git_ssh_url", str_or_empty(ssh_url),
		"visibility_level", 0));
	json_object_set_new(o, "gitops_gate", gate_object(ev, cluster, delivery_id, how));
	return o;
}

/* 1 when the commit list of ev is complete (every commit, every path). */
static int commits_complete(const struct gate_push_event *ev)
{
	size_t i;

	if (ev->more_commits || ev->ncommits > GATE_NOTIFY_MAX_COMMITS)
		return 0;
	for (i = 0; i < ev->ncommits; i++)
		if (ev->commits[i].truncated)
			return 0;
	return 1;
}

size_t gate_notify_body_shared(const char *body, size_t len)
{
	static const char key[] = ",\"gitops_gate\":{";
	size_t klen = sizeof(key) - 1, i;

	/*
	 * The "gitops_gate" object is the body's last member and the only one
	 * that names the cluster and the delivery; inside JSON strings a quote
	 * is escaped, so the last match is that member.
	 */
	for (i = len >= klen ? len - klen + 1 : 0; i-- > 0;)
		if (!memcmp(body + i, key, klen))
			return i;
	return 0;
}

char *gate_notify_body(const struct gate_push_event *ev, enum gate_notify_format format,
	const char *cluster, const char *delivery_id, size_t max_body, size_t *len,
	enum gate_notify_changes *how)
{
	enum gate_notify_changes h = GATE_CHANGES_COMMITS;
	char *text = NULL;

	if (!max_body)
		max_body = GATE_NOTIFY_MAX_BODY_DEFAULT;
	if (!commits_complete(ev))
		h = ev->diff_complete ? GATE_CHANGES_SUMMARY : GATE_CHANGES_NONE;
	if (how && *how > h && *how <= GATE_CHANGES_NONE)
		h = *how; /* a form that did not fit for another receiver is not tried again */
	for (; h <= GATE_CHANGES_NONE; h++) {
		json_t *o = format == GATE_FORMAT_GITLAB ? gitlab_body(ev, cluster, delivery_id, h) :
			github_body(ev, cluster, delivery_id, h);

		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		json_decref(o);
		if (text && strlen(text) <= max_body)
			break;
		free(text);
		text = NULL;
		if (h == GATE_CHANGES_COMMITS && !ev->diff_complete)
			h = GATE_CHANGES_SUMMARY; /* the loop moves on to none */
	}
	if (!text)
		return NULL;
	if (how)
		*how = h;
	*len = strlen(text);
	return text;
}

/* ---- signing and tokens ---- */

static int hmac_hex(const EVP_MD *md_type, size_t mdsize, const void *key, size_t keylen,
	const void *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (keylen > GATE_NOTIFY_MAX_TOKEN ||
	    !HMAC(md_type, key, (int)keylen, data, len, md, &mdlen) || mdlen != mdsize)
		return -1;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int gate_notify_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
	char out[65])
{
	return hmac_hex(EVP_sha256(), 32, key, keylen, data, len, out);
}

int gate_notify_hmac_sha1_hex(const void *key, size_t keylen, const void *data, size_t len,
	char out[41])
{
	return hmac_hex(EVP_sha1(), 20, key, keylen, data, len, out);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

const char *gate_notify_token_problem(const char *tok, size_t len, enum gate_notify_format format,
	int *fatal)
{
	size_t i;

	*fatal = 0;
	if (format == GATE_FORMAT_GITLAB) {
		*fatal = 1;
		if (len && (is_space(tok[0]) || is_space(tok[len - 1])))
			return "the token begins or ends in whitespace, which an HTTP header cannot carry "
				"(receivers strip it): X-Gitlab-Token would never match";
		for (i = 0; i < len; i++)
			if ((unsigned char)tok[i] < 0x20 || tok[i] == 0x7f)
				return "the token holds control characters, which the X-Gitlab-Token header cannot carry";
		*fatal = 0;
	}
	if (len && is_space(tok[len - 1]))
		return "the token file ends in whitespace (a newline?): the token is every byte of the file, "
			"so the receiver's secret must end in it too (printf '%s' to write a token without one)";
	return NULL;
}

int gate_notify_read_token(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat st;
	char buf[GATE_NOTIFY_MAX_TOKEN + 2];
	size_t n = 0;
	int fd;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open token file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "token file \"%s\" is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 0007) {
		snprintf(err, errlen, "token file \"%s\" is accessible to others (mode %03o): refusing it, chmod o-rwx it",
			path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read token file \"%s\": %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > GATE_NOTIFY_MAX_TOKEN) {
			snprintf(err, errlen, "token file \"%s\" is larger than %d bytes", path,
				GATE_NOTIFY_MAX_TOKEN);
			goto fail;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "token file \"%s\" is empty", path);
		goto fail;
	}
	close(fd);
	*out = gate_xmalloc(n + 1);
	memcpy(*out, buf, n);
	(*out)[n] = '\0';
	*outlen = n;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
fail:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return -1;
}

/* ---- sending ---- */

struct xfer {
	struct gate_send *s;
	const struct gate_curl *cu;
	CURL *easy;
	struct curl_slist *headers;
	char answer[160]; /* start of the answer body, for error messages */
	size_t answer_len;
	size_t received;
	char curl_err[CURL_ERROR_SIZE];
	int running;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;

	if (x->answer_len + 1 < sizeof(x->answer)) {
		size_t take = sizeof(x->answer) - 1 - x->answer_len;
		if (take > n)
			take = n;
		memcpy(x->answer + x->answer_len, ptr, take);
		x->answer_len += take;
		x->answer[x->answer_len] = '\0';
	}
	/*
	 * The answer beyond what we keep is read and dropped: a delivery is judged
	 * by its status, whatever the size of the body (aborting here made a 200
	 * with a large body a failure, sent again and again).  The transfer's
	 * timeout bounds a receiver that never stops talking.
	 */
	x->received += n;
	return n;
}

static struct curl_slist *add_header(const struct gate_curl *cu, struct curl_slist *h,
	const char *fmt, const char *v)
{
	char *line = gate_xasprintf(fmt, v);
	struct curl_slist *n = cu->slist_append(h, line);

	free(line);
	return n ? n : h;
}

static int setup(struct xfer *x, long timeout_ms)
{
	struct gate_send *s = x->s;
	const struct gate_curl *cu = x->cu;
	size_t toklen = s->token ? (s->token_len ? s->token_len : strlen(s->token)) : 0;
	char sig[65], sig1[41];
	int fatal = 0;

	x->easy = cu->easy_init();
	if (!x->easy)
		return -1;
	x->headers = cu->slist_append(NULL, "Content-Type: application/json");
	x->headers = cu->slist_append(x->headers, "Expect:");
	x->headers = add_header(cu, x->headers, "X-Gitops-Gate-Delivery: %s", s->id ? s->id : "");
	x->headers = add_header(cu, x->headers, "X-Gitops-Gate-Event: %s", s->event ? s->event : "accepted");
	sig[0] = sig1[0] = '\0';
	if (s->token && s->format != GATE_FORMAT_GITLAB) {
		if (gate_notify_hmac_hex(s->token, toklen, s->body, s->body_len, sig) < 0 ||
		    gate_notify_hmac_sha1_hex(s->token, toklen, s->body, s->body_len, sig1) < 0) {
			snprintf(s->error, sizeof(s->error), "cannot compute the HMAC signature");
			return -1;
		}
	}
	switch (s->format) {
	case GATE_FORMAT_FLUX_GENERIC_HMAC:
		if (s->token)
			x->headers = add_header(cu, x->headers, "X-Signature: sha256=%s", sig);
		break;
	case GATE_FORMAT_GITHUB:
		x->headers = cu->slist_append(x->headers, "X-GitHub-Event: push");
		x->headers = add_header(cu, x->headers, "X-GitHub-Delivery: %s", s->id ? s->id : "");
		if (s->token && s->signature != GATE_SIGNATURE_SHA1)
			x->headers = add_header(cu, x->headers, "X-Hub-Signature-256: sha256=%s", sig);
		if (s->token && s->signature != GATE_SIGNATURE_SHA256)
			x->headers = add_header(cu, x->headers, "X-Hub-Signature: sha1=%s", sig1);
		break;
	case GATE_FORMAT_GITLAB:
		x->headers = cu->slist_append(x->headers, "X-Gitlab-Event: Push Hook");
		x->headers = add_header(cu, x->headers, "X-Gitlab-Event-UUID: %s", s->id ? s->id : "");
		if (s->token) {
			const char *why = gate_notify_token_problem(s->token, toklen, s->format, &fatal);
			char *line;
			struct curl_slist *h;
			if (fatal) {
				snprintf(s->error, sizeof(s->error), "%s", why);
				return -1;
			}
			line = gate_xasprintf("X-Gitlab-Token: %s", s->token);
			h = cu->slist_append(x->headers, line);
			OPENSSL_cleanse(line, strlen(line));
			free(line);
			if (h)
				x->headers = h;
		}
		break;
	case GATE_FORMAT_GENERIC:
		if (s->token)
			x->headers = add_header(cu, x->headers, "X-Gitops-Gate-Signature: sha256=%s", sig);
		break;
	}
	OPENSSL_cleanse(sig, sizeof(sig));
	OPENSSL_cleanse(sig1, sizeof(sig1));
	cu->easy_setopt(x->easy, CURLOPT_URL, s->url);
	cu->easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(x->easy, CURLOPT_POST, 1L);
	cu->easy_setopt(x->easy, CURLOPT_POSTFIELDS, s->body);
	cu->easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len);
	cu->easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	cu->easy_setopt(x->easy, CURLOPT_USERAGENT, "gitops-gate/" PACKAGE_VERSION);
	cu->easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	cu->easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	cu->easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_bundle)
		cu->easy_setopt(x->easy, CURLOPT_CAINFO, s->ca_bundle);
	cu->easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	cu->easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->curl_err);
	cu->easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish(struct xfer *x, CURLcode rc)
{
	struct gate_send *s = x->s;
	struct gate_buf b = GATE_BUF_INIT;
	long status = 0;
	size_t len;

	x->cu->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	s->http_status = status;
	len = x->answer_len > 80 ? 80 : x->answer_len;
	while (len && (x->answer[len - 1] == '\n' || x->answer[len - 1] == '\r'))
		len--; /* http.Error's final newline */
	gate_buf_add_escaped(&b, x->answer, len);
	snprintf(s->answer, sizeof(s->answer), "%s", b.len ? b.ptr : "");
	gate_buf_release(&b);
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		s->delivered = 1;
		return;
	}
	if (rc != CURLE_OK) {
		snprintf(s->error, sizeof(s->error), "%s",
			x->curl_err[0] ? x->curl_err : x->cu->easy_strerror(rc));
		return;
	}
	snprintf(s->error, sizeof(s->error), "HTTP %ld%s%s", status, s->answer[0] ? ": " : "",
		s->answer);
}

int gate_notify_send(struct gate_send *v, size_t n, long budget_ms, long timeout_ms)
{
	const struct gate_curl *cu;
	struct xfer *xs;
	CURLM *multi;
	char err[sizeof(v->error)];
	long long deadline;
	size_t i;
	int running = 0;

	for (i = 0; i < n; i++) {
		v[i].delivered = 0;
		v[i].http_status = 0;
		v[i].error[0] = '\0';
		v[i].answer[0] = '\0';
	}
	if (n == 0)
		return 0;
	if (timeout_ms <= 0 || timeout_ms > budget_ms)
		timeout_ms = budget_ms;
	if (timeout_ms < 1)
		timeout_ms = 1;
	if (gate_curl_load(&cu, err, sizeof(err)) < 0 || !(multi = cu->multi_init())) {
		for (i = 0; i < n; i++)
			snprintf(v[i].error, sizeof(v[i].error), "%s", cu ? "cannot set up libcurl" : err);
		return -1;
	}
	cu->multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 256L);
	xs = gate_xcalloc(n, sizeof(*xs));
	deadline = now_ms() + budget_ms;
	for (i = 0; i < n; i++) {
		xs[i].s = &v[i];
		xs[i].cu = cu;
		if (setup(&xs[i], timeout_ms) < 0) {
			if (!v[i].error[0])
				snprintf(v[i].error, sizeof(v[i].error), "cannot set up the request");
			continue;
		}
		if (cu->multi_add_handle(multi, xs[i].easy) != CURLM_OK) {
			snprintf(v[i].error, sizeof(v[i].error), "cannot start the request");
			continue;
		}
		xs[i].running = 1;
	}
	for (;;) {
		CURLMsg *msg;
		int left;
		long long rest;

		if (cu->multi_perform(multi, &running) != CURLM_OK)
			break;
		while ((msg = cu->multi_info_read(multi, &left))) {
			struct xfer *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (!x)
				continue;
			finish(x, msg->data.result);
			cu->multi_remove_handle(multi, x->easy);
			x->running = 0;
		}
		if (!running)
			break;
		rest = deadline - now_ms();
		if (rest <= 0)
			break;
		if (cu->multi_poll(multi, NULL, 0, rest > 100 ? 100 : (int)rest, NULL) != CURLM_OK)
			break;
	}
	for (i = 0; i < n; i++) {
		if (xs[i].running) {
			snprintf(v[i].error, sizeof(v[i].error), "no answer within the budget of %ld ms",
				budget_ms);
			cu->multi_remove_handle(multi, xs[i].easy);
		}
		if (xs[i].easy)
			cu->easy_cleanup(xs[i].easy);
		cu->slist_free_all(xs[i].headers);
	}
	free(xs);
	cu->multi_cleanup(multi);
	return 0;
}

long gate_notify_backoff_ms(unsigned attempts, long base, long max, uint32_t rnd)
{
	long delay = base;
	unsigned i;

	if (base <= 0)
		return 0;
	for (i = 1; i < attempts && delay < max; i++)
		delay = delay > max / 2 ? max : delay * 2;
	if (delay > max)
		delay = max;
	return delay / 2 + (long)(rnd % (uint32_t)(delay / 2 + 1));
}

/* ---- outbox delivery ---- */

struct pending {
	char *id;
	struct gate_outbox_claim claim;
	struct gate_delivery d;
	char *token;
	size_t token_len;
	int claimed, sent_index;
	const char *status;
	char error[256];
};

static uint32_t random32(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)now_ms() * 2654435761u;
	return r;
}

static enum gate_notify_signature signature_of(const char *name)
{
	if (name && !strcmp(name, "sha1"))
		return GATE_SIGNATURE_SHA1;
	if (name && !strcmp(name, "both"))
		return GATE_SIGNATURE_BOTH;
	return GATE_SIGNATURE_SHA256;
}

static void replace_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? gate_xstrdup(src) : NULL;
}

/*
 * The receiver of claimed delivery d as the configuration has it now: 0 with
 * d's url, format, signature, token file and CA bundle set from it, or -1
 * (p->error says why) when it is gone, or now wants another kind of body.
 */
static int resolve(struct pending *p, const struct gate_receivers *rcv)
{
	struct gate_delivery *d = &p->d;
	const struct gate_receiver *rv;
	enum gate_notify_format was;

	rv = gate_receivers_find(rcv, d->cluster, d->receiver_name, d->format, d->url, p->error,
		sizeof(p->error));
	if (!rv)
		return -1;
	if (gate_notify_format_parse(d->format, &was) == 0 &&
	    (was == GATE_FORMAT_GITLAB) != (rv->format == GATE_FORMAT_GITLAB)) {
		snprintf(p->error, sizeof(p->error), "receiver \"%s\" of cluster \"%s\" is now of format "
			"%s; the queued body is a %s push event and is not made again", rv->name ? rv->name : "?",
			d->cluster, gate_notify_format_name(rv->format),
			was == GATE_FORMAT_GITLAB ? "GitLab" : "GitHub");
		return -1;
	}
	replace_str(&d->url, rv->url);
	replace_str(&d->format, gate_notify_format_name(rv->format));
	replace_str(&d->signature, rv->format == GATE_FORMAT_GITHUB ?
		gate_notify_signature_name(rv->signature) : NULL);
	replace_str(&d->token_file, rv->token_file);
	replace_str(&d->ca_bundle, rv->ca_bundle);
	return 0;
}

/*
 * Claim delivery id, find its receiver in the configuration and read its
 * token: 1 when it is to be sent (*s filled, borrowing from p), 0 when not
 * (p->status says why: "gone" when the receiver is no longer configured).
 */
static int prepare(struct pending *p, const char *dir, char *id, int only_due, long long now,
	long long max_wait_s, const struct gate_receivers *rcv, struct gate_send *s)
{
	struct gate_delivery init = GATE_DELIVERY_INIT;
	enum gate_notify_format fmt;
	int r;

	p->id = id;
	p->d = init;
	p->claim.fd = -1;
	p->sent_index = -1;
	r = gate_outbox_claim(dir, id, &p->claim, &p->d, p->error, sizeof(p->error));
	if (r <= 0) {
		p->status = r < 0 ? "error" : "busy";
		return 0;
	}
	p->claimed = 1;
	/*
	 * Due, or written while the clock was ahead: no backoff puts a retry
	 * further out than backoff_max_ms, so a later time can only come from a
	 * clock jump and must not stall the delivery until the clock catches up.
	 */
	if (only_due && p->d.next_attempt_time > now &&
	    p->d.next_attempt_time <= now + max_wait_s) {
		p->status = "not-due";
		return 0;
	}
	if (resolve(p, rcv) < 0) {
		p->status = "gone";
		return 0;
	}
	if (gate_outbox_claim_body(dir, &p->claim, &p->d, p->error, sizeof(p->error)) < 0) {
		p->status = "error"; /* moved to the dead letters as corrupt */
		p->claimed = 0;
		return 0;
	}
	if (gate_notify_format_parse(p->d.format, &fmt) < 0) {
		snprintf(p->error, sizeof(p->error), "unknown format");
		p->status = "failed";
		return 0;
	}
	if (p->d.token_file &&
	    gate_notify_read_token(p->d.token_file, &p->token, &p->token_len, p->error,
		sizeof(p->error)) < 0) {
		p->status = "failed";
		return 0;
	}
	s->id = p->d.id;
	s->url = p->d.url;
	s->event = p->d.event;
	s->format = fmt;
	s->body = p->d.body;
	s->body_len = p->d.body_len;
	s->token = p->token;
	s->token_len = p->token_len;
	s->signature = signature_of(p->d.signature);
	s->ca_bundle = p->d.ca_bundle;
	return 1;
}

/* The report object of one delivery (see gate_notify_deliver). */
static json_t *report_of(const struct pending *p, const struct gate_send *sends)
{
	int gone = !strcmp(p->status, "gone");
	json_t *o = json_pack("{s:s,s:s}", "id", p->id, "status", gone ? "dead" : p->status);

	if (gone)
		json_object_set_new(o, "removed", json_true());
	/* still queued: when it is due next, and its shared body (a drain's index and clean-up) */
	if (!strcmp(p->status, "retry") || !strcmp(p->status, "not-due")) {
		json_object_set_new(o, "next_attempt_time", json_integer(p->d.next_attempt_time));
		if (p->d.body_sha[0])
			json_object_set_new(o, "body_shared", json_string(p->d.body_sha));
	}
	if (p->d.cluster)
		json_object_set_new(o, "cluster", json_string(p->d.cluster));
	if (p->d.url)
		json_object_set_new(o, "url", json_string(p->d.url));
	if (p->sent_index >= 0)
		json_object_set_new(o, "http_status", json_integer(sends[p->sent_index].http_status));
	if (p->claimed)
		json_object_set_new(o, "attempts", json_integer(p->d.attempts));
	if (p->error[0])
		json_object_set_new(o, "error", json_string(p->error));
	if (p->token && p->sent_index >= 0 && strcmp(p->status, "delivered")) {
		long st = sends[p->sent_index].http_status;
		int fatal = 0;
		const char *why = gate_notify_token_problem(p->token, p->token_len,
			sends[p->sent_index].format, &fatal);
		if (why && st >= 400 && st < 500)
			json_object_set_new(o, "token_warning", json_string(why));
	}
	return o;
}

long long gate_notify_max_wait_s(const struct gate_notify_config *cfg)
{
	return ((cfg->backoff_max_ms > cfg->backoff_ms ? cfg->backoff_max_ms : cfg->backoff_ms) +
		999) / 1000 + 1;
}

int gate_notify_deliver(const char *dir, char *const *ids, size_t n,
	const struct gate_receivers *rcv, long budget_ms, int only_due,
	long long now, json_t **report)
{
	const struct gate_notify_config *cfg = &rcv->notify;
	struct pending *p;
	struct gate_send *sends;
	struct gate_delivery *retry = NULL;
	size_t i, nsend = 0, nretry = 0, aretry = 0, *retry_of = NULL;
	int ret = 0;

	long long max_wait_s = gate_notify_max_wait_s(cfg);

	*report = json_array();
	if (n == 0)
		return 0;
	p = gate_xcalloc(n, sizeof(*p));
	sends = gate_xcalloc(n, sizeof(*sends));
	for (i = 0; i < n; i++)
		if (prepare(&p[i], dir, ids[i], only_due, now, max_wait_s, rcv, &sends[nsend]) == 1)
			p[i].sent_index = (int)nsend++;
	if (nsend && gate_notify_send(sends, nsend, budget_ms, cfg->timeout_ms) < 0) {
		ret = -1;
		for (i = 0; i < nsend; i++)
			if (!sends[i].error[0])
				snprintf(sends[i].error, sizeof(sends[i].error), "cannot set up libcurl");
	}
	retry_of = gate_xcalloc(n, sizeof(*retry_of));
	for (i = 0; i < n; i++) {
		if (p[i].sent_index >= 0) {
			struct gate_send *s = &sends[p[i].sent_index];
			if (s->delivered) {
				p[i].status = gate_outbox_done(&p[i].claim) < 0 ? "error" : "delivered";
				if (!strcmp(p[i].status, "error"))
					snprintf(p[i].error, sizeof(p[i].error),
						"delivered but cannot remove the outbox file: %s", strerror(errno));
			} else {
				p[i].status = "failed";
				snprintf(p[i].error, sizeof(p[i].error), "%s", s->error);
			}
		}
		if (p[i].claimed && !strcmp(p[i].status, "gone")) {
			/* its receiver left the configuration: never sent to a stale URL, never retried */
			if (gate_outbox_bury(dir, &p[i].claim, &p[i].d, p[i].error) < 0) {
				size_t used = strnlen(p[i].error, sizeof(p[i].error));
				snprintf(p[i].error + used, sizeof(p[i].error) - used,
					"; and cannot move it to the dead letters: %s", strerror(errno));
				p[i].status = "error";
			}
		}
		if (p[i].claimed && !strcmp(p[i].status, "failed")) {
			int dead = 0;
			long delay = gate_notify_backoff_ms(p[i].d.attempts + 1, cfg->backoff_ms,
				cfg->backoff_max_ms, random32());
			if (cfg->max_attempts && p[i].d.attempts + 1 < cfg->max_attempts) {
				/* rewritten below, all at once */
				p[i].d.attempts++;
				free(p[i].d.last_error);
				p[i].d.last_error = gate_xstrndup(p[i].error, strnlen(p[i].error, 1024));
				p[i].d.next_attempt_time = now + (delay + 999) / 1000;
				p[i].status = "retry";
				GATE_ALLOC_GROW(retry, nretry + 1, aretry);
				retry[nretry] = p[i].d;
				retry_of[nretry++] = i;
			} else if (gate_outbox_failed(dir, &p[i].claim, &p[i].d, p[i].error, now, delay,
				cfg->max_attempts, &dead) < 0) {
				size_t used = strnlen(p[i].error, sizeof(p[i].error));
				snprintf(p[i].error + used, sizeof(p[i].error) - used,
					"; and cannot update the outbox file: %s", strerror(errno));
				p[i].status = "error";
			} else {
				p[i].status = dead ? "dead" : "retry";
			}
		}
	}
	/* the failed attempts recorded together: one fsync each and one of the folder */
	if (gate_outbox_rewrite_many(dir, retry, nretry) < 0) {
		for (i = 0; i < nretry; i++) {
			struct pending *q = &p[retry_of[i]];
			size_t used = strnlen(q->error, sizeof(q->error));
			snprintf(q->error + used, sizeof(q->error) - used,
				"; and cannot update the outbox file: %s", strerror(errno));
			q->status = "error";
		}
	}
	free(retry);
	free(retry_of);
	for (i = 0; i < n; i++) {
		json_array_append_new(*report, report_of(&p[i], sends));
		if (p[i].token) {
			OPENSSL_cleanse(p[i].token, p[i].token_len);
			free(p[i].token);
		}
		gate_delivery_release(&p[i].d);
		gate_outbox_unclaim(&p[i].claim);
	}
	free(p);
	free(sends);
	return ret;
}
