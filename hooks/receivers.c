#include "gate/receivers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate/util.h"

#define MAX_CLUSTERS 1024
#define MAX_RECEIVERS 32
#define MAX_GLOBS 256
#define MAX_STRING 4096

static const char *const format_names[] = {
	[GATE_FORMAT_FLUX_GENERIC_HMAC] = "flux-generic-hmac",
	[GATE_FORMAT_GITHUB] = "github",
	[GATE_FORMAT_GENERIC] = "generic",
	[GATE_FORMAT_GITLAB] = "gitlab",
};

static const char *const signature_names[] = {
	[GATE_SIGNATURE_SHA256] = "sha256",
	[GATE_SIGNATURE_SHA1] = "sha1",
	[GATE_SIGNATURE_BOTH] = "both",
};

const char *gate_notify_signature_name(enum gate_notify_signature s)
{
	if ((size_t)s < sizeof(signature_names) / sizeof(signature_names[0]))
		return signature_names[s];
	return "unknown";
}

const char *gate_notify_format_name(enum gate_notify_format f)
{
	if ((size_t)f < sizeof(format_names) / sizeof(format_names[0]))
		return format_names[f];
	return "unknown";
}

int gate_notify_format_parse(const char *name, enum gate_notify_format *f)
{
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (name && !strcmp(name, format_names[i])) {
			*f = (enum gate_notify_format)i;
			return 0;
		}
	return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A bounded string without control characters; *out is a new copy. */
static int get_string(const json_t *v, const char *where, char **out, char *err, size_t errlen)
{
	const char *s;
	size_t i, n;

	if (!json_is_string(v))
		return fail(err, errlen, "%s: expected a string", where);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > MAX_STRING)
		return fail(err, errlen, "%s: expected 1 to %d characters", where, MAX_STRING);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, errlen, "%s: control character in string", where);
	*out = gate_xstrndup(s, n);
	return 0;
}

static int get_globs(const json_t *v, const char *where, char ***out, size_t *n,
	char *err, size_t errlen)
{
	size_t i;
	char name[128];

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return fail(err, errlen, "%s: expected a list of globs", where);
	if (json_array_size(v) > MAX_GLOBS)
		return fail(err, errlen, "%s: more than %d globs", where, MAX_GLOBS);
	*out = gate_xcalloc(json_array_size(v) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(v); i++) {
		snprintf(name, sizeof(name), "%s[%zu]", where, i);
		if (get_string(json_array_get(v, i), name, &(*out)[i], err, errlen) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int get_long(const json_t *obj, const char *key, long min, long max, long *out,
	char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(err, errlen, "notify.%s: expected an integer from %ld to %ld", key, min, max);
	*out = (long)json_integer_value(v);
	return 0;
}

static int check_keys(const json_t *obj, const char *where, const char *const *allowed,
	char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i])
			return fail(err, errlen, "%s: unknown key \"%.64s\"", where, key);
	}
	return 0;
}

static int valid_cluster_name(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 128 || *s == '.')
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int parse_receiver(struct gate_receiver *r, const json_t *v, const char *where,
	char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "url", "format", "token_file", "ca_bundle",
		"signature", NULL };
	char name[192];
	char *fmt = NULL;

	if (!json_is_object(v))
		return fail(err, errlen, "%s: expected a mapping", where);
	if (check_keys(v, where, keys, err, errlen) < 0)
		return -1;
	if (json_object_get(v, "name")) {
		snprintf(name, sizeof(name), "%s.name", where);
		if (get_string(json_object_get(v, "name"), name, &r->name, err, errlen) < 0)
			return -1;
		if (!valid_cluster_name(r->name))
			return fail(err, errlen, "%s: \"%.64s\" is not a valid receiver name (letters, digits, . _ -)",
				name, r->name);
	}
	snprintf(name, sizeof(name), "%s.url", where);
	if (get_string(json_object_get(v, "url"), name, &r->url, err, errlen) < 0)
		return -1;
	if (strncasecmp(r->url, "https://", 8) && strncasecmp(r->url, "http://", 7))
		return fail(err, errlen, "%s: expected an http:// or https:// URL", name);
	r->format = GATE_FORMAT_FLUX_GENERIC_HMAC;
	if (json_object_get(v, "format")) {
		snprintf(name, sizeof(name), "%s.format", where);
		if (get_string(json_object_get(v, "format"), name, &fmt, err, errlen) < 0)
			return -1;
		if (gate_notify_format_parse(fmt, &r->format) < 0) {
			fail(err, errlen, "%s: unknown format \"%.64s\" (expected flux-generic-hmac, github, gitlab or generic)",
				name, fmt);
			free(fmt);
			return -1;
		}
		free(fmt);
	}
	if (json_object_get(v, "token_file")) {
		snprintf(name, sizeof(name), "%s.token_file", where);
		if (get_string(json_object_get(v, "token_file"), name, &r->token_file, err, errlen) < 0)
			return -1;
	} else if (r->format != GATE_FORMAT_GENERIC) {
		return fail(err, errlen, "%s: token_file is required for format %s", where,
			gate_notify_format_name(r->format));
	}
	if (json_object_get(v, "ca_bundle")) {
		snprintf(name, sizeof(name), "%s.ca_bundle", where);
		if (get_string(json_object_get(v, "ca_bundle"), name, &r->ca_bundle, err, errlen) < 0)
			return -1;
	}
	r->signature = GATE_SIGNATURE_SHA256;
	if (json_object_get(v, "signature")) {
		size_t i;
		snprintf(name, sizeof(name), "%s.signature", where);
		if (get_string(json_object_get(v, "signature"), name, &fmt, err, errlen) < 0)
			return -1;
		for (i = 0; i < sizeof(signature_names) / sizeof(signature_names[0]); i++)
			if (!strcmp(fmt, signature_names[i]))
				break;
		if (i == sizeof(signature_names) / sizeof(signature_names[0])) {
			fail(err, errlen, "%s: unknown signature \"%.64s\" (expected sha1, sha256 or both)",
				name, fmt);
			free(fmt);
			return -1;
		}
		free(fmt);
		r->signature = (enum gate_notify_signature)i;
		if (r->format != GATE_FORMAT_GITHUB)
			return fail(err, errlen, "%s: only a github receiver takes a signature choice", name);
	}
	return 0;
}

int gate_notify_check_html_url(const char *url, const char **warn, char *err, size_t errlen)
{
	const char *host, *end, *path;
	size_t n;

	if (warn)
		*warn = NULL;
	if (!strncasecmp(url, "https://", 8))
		host = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		host = url + 7;
	else
		return fail(err, errlen, "expected an http:// or https:// URL (the repository's web page)");
	path = host + strcspn(host, "/?#");
	end = memchr(host, '@', (size_t)(path - host));
	if (end)
		host = end + 1;
	if (host == path || *host == ':')
		return fail(err, errlen, "the URL has no host name");
	if (*path != '/' || path[1] == '\0' || path[1] == '?' || path[1] == '#')
		return fail(err, errlen, "the URL has no path (Argo CD matches apps on host and path)");
	if (strpbrk(path, "?#"))
		return fail(err, errlen, "the URL has a query or fragment, which Argo CD does not match");
	n = strlen(path);
	if (warn && path[n - 1] == '/')
		*warn = "ends in \"/\": Argo CD then matches only repoURLs that end in \"/\" too";
	else if (warn && n > 4 && !strcasecmp(path + n - 4, ".git"))
		*warn = "ends in \".git\": Argo CD then matches only repoURLs that end in \".git\" or \".git.git\"";
	return 0;
}

/*
 * Receiver i of c against the ones before it: a name used twice is refused.
 * (The same format and URL twice is a check-config warning: their
 * deliveries share ids, and such configs worked before names existed.)
 */
static int duplicate_receiver(const struct gate_cluster *c, size_t i, const char *where,
	char *err, size_t errlen)
{
	const struct gate_receiver *rv = &c->receivers[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct gate_receiver *o = &c->receivers[j];
		if (rv->name && o->name && !strcmp(rv->name, o->name))
			return fail(err, errlen, "%s.name: duplicate receiver name \"%s\" in cluster \"%s\" "
				"(receivers[%zu] has it too)", where, rv->name, c->name, j);
	}
	return 0;
}

static int parse_cluster(struct gate_receivers *out, size_t idx, const json_t *v,
	char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "refs", "paths", "receivers", NULL };
	struct gate_cluster *c = &out->clusters[idx];
	char where[64], name[160];
	const json_t *recv;
	size_t i;

	snprintf(where, sizeof(where), "clusters[%zu]", idx);
	if (!json_is_object(v))
		return fail(err, errlen, "%s: expected a mapping", where);
	if (check_keys(v, where, keys, err, errlen) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.name", where);
	if (get_string(json_object_get(v, "name"), name, &c->name, err, errlen) < 0)
		return -1;
	if (!valid_cluster_name(c->name))
		return fail(err, errlen, "%s: \"%.64s\" is not a valid cluster name (letters, digits, . _ -)",
			name, c->name);
	for (i = 0; i < idx; i++)
		if (!strcmp(out->clusters[i].name, c->name))
			return fail(err, errlen, "%s: duplicate cluster name \"%s\"", name, c->name);
	snprintf(name, sizeof(name), "%s.refs", where);
	if (get_globs(json_object_get(v, "refs"), name, &c->refs, &c->nrefs, err, errlen) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.paths", where);
	if (get_globs(json_object_get(v, "paths"), name, &c->paths, &c->npaths, err, errlen) < 0)
		return -1;
	recv = json_object_get(v, "receivers");
	if (!json_is_array(recv) || json_array_size(recv) == 0 ||
	    json_array_size(recv) > MAX_RECEIVERS)
		return fail(err, errlen, "%s.receivers: expected a list of 1 to %d receivers",
			where, MAX_RECEIVERS);
	c->receivers = gate_xcalloc(json_array_size(recv), sizeof(*c->receivers));
	for (i = 0; i < json_array_size(recv); i++) {
		snprintf(name, sizeof(name), "%s.receivers[%zu]", where, i);
		c->nreceivers++;
		if (parse_receiver(&c->receivers[i], json_array_get(recv, i), name, err, errlen) < 0)
			return -1;
		if (duplicate_receiver(c, i, name, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int parse_notify(struct gate_notify_config *n, const json_t *v, char *err, size_t errlen)
{
	static const char *const keys[] = { "budget_ms", "timeout_ms", "max_attempts",
		"backoff_ms", "backoff_max_ms", "max_body_bytes", "repository", NULL };
	static const char *const rkeys[] = { "name", "full_name", "html_url", "clone_url", "ssh_url",
		"default_branch", NULL };
	const json_t *repo;
	char msg[160];
	long attempts = n->max_attempts, body = (long)n->max_body_bytes;

	if (!v)
		return 0;
	if (!json_is_object(v))
		return fail(err, errlen, "notify: expected a mapping");
	if (check_keys(v, "notify", keys, err, errlen) < 0)
		return -1;
	if (get_long(v, "budget_ms", 0, 600000, &n->budget_ms, err, errlen) < 0 ||
	    get_long(v, "timeout_ms", 100, 600000, &n->timeout_ms, err, errlen) < 0 ||
	    get_long(v, "max_attempts", 1, 1000, &attempts, err, errlen) < 0 ||
	    get_long(v, "backoff_ms", 0, 86400000, &n->backoff_ms, err, errlen) < 0 ||
	    get_long(v, "backoff_max_ms", 0, 604800000, &n->backoff_max_ms, err, errlen) < 0 ||
	    get_long(v, "max_body_bytes", (long)GATE_NOTIFY_MAX_BODY_MIN, 64L << 20, &body, err, errlen) < 0)
		return -1;
	n->max_attempts = (unsigned)attempts;
	n->max_body_bytes = (size_t)body;
	if (n->backoff_max_ms < n->backoff_ms)
		n->backoff_max_ms = n->backoff_ms;
	repo = json_object_get(v, "repository");
	if (!repo)
		return 0;
	if (!json_is_object(repo))
		return fail(err, errlen, "notify.repository: expected a mapping");
	if (check_keys(repo, "notify.repository", rkeys, err, errlen) < 0)
		return -1;
	if ((json_object_get(repo, "name") &&
	     get_string(json_object_get(repo, "name"), "notify.repository.name", &n->repo_name, err, errlen) < 0) ||
	    (json_object_get(repo, "full_name") &&
	     get_string(json_object_get(repo, "full_name"), "notify.repository.full_name", &n->repo_full_name, err, errlen) < 0) ||
	    (json_object_get(repo, "html_url") &&
	     get_string(json_object_get(repo, "html_url"), "notify.repository.html_url", &n->repo_html_url, err, errlen) < 0) ||
	    (json_object_get(repo, "clone_url") &&
	     get_string(json_object_get(repo, "clone_url"), "notify.repository.clone_url", &n->repo_clone_url, err, errlen) < 0) ||
	    (json_object_get(repo, "ssh_url") &&
	     get_string(json_object_get(repo, "ssh_url"), "notify.repository.ssh_url", &n->repo_ssh_url, err, errlen) < 0) ||
	    (json_object_get(repo, "default_branch") &&
	     get_string(json_object_get(repo, "default_branch"), "notify.repository.default_branch", &n->repo_default_branch, err, errlen) < 0))
		return -1;
	if (n->repo_html_url && gate_notify_check_html_url(n->repo_html_url, NULL, msg, sizeof(msg)) < 0)
		return fail(err, errlen, "notify.repository.html_url: %s", msg);
	return 0;
}

/* A github or gitlab receiver needs html_url: Argo CD matches apps on it and nothing else. */
static int check_repository(const struct gate_receivers *r, char *err, size_t errlen)
{
	size_t i, j;

	if (r->notify.repo_html_url)
		return 0;
	for (i = 0; i < r->nclusters; i++)
		for (j = 0; j < r->clusters[i].nreceivers; j++) {
			enum gate_notify_format f = r->clusters[i].receivers[j].format;
			if (f == GATE_FORMAT_GITHUB || f == GATE_FORMAT_GITLAB)
				return fail(err, errlen, "notify.repository.html_url: required with the %s receiver "
					"clusters[%zu].receivers[%zu] (Argo CD matches applications on it; "
					"e.g. https://git.example/org/fleet)", gate_notify_format_name(f), i, j);
		}
	return 0;
}

int gate_receivers_parse(struct gate_receivers *out, const json_t *root, char *err, size_t errlen)
{
	struct gate_receivers init = GATE_RECEIVERS_INIT;
	const json_t *clusters;
	size_t i;

	*out = init;
	if (err && errlen)
		err[0] = '\0';
	if (!root)
		return 0;
	if (!json_is_object(root)) {
		fail(err, errlen, "config: expected a mapping at the top");
		goto fail;
	}
	if (parse_notify(&out->notify, json_object_get(root, "notify"), err, errlen) < 0)
		goto fail;
	clusters = json_object_get(root, "clusters");
	if (!clusters)
		return 0;
	if (!json_is_array(clusters) || json_array_size(clusters) > MAX_CLUSTERS) {
		fail(err, errlen, "clusters: expected a list of at most %d clusters", MAX_CLUSTERS);
		goto fail;
	}
	out->clusters = gate_xcalloc(json_array_size(clusters) + 1, sizeof(*out->clusters));
	for (i = 0; i < json_array_size(clusters); i++) {
		out->nclusters++;
		if (parse_cluster(out, i, json_array_get(clusters, i), err, errlen) < 0)
			goto fail;
	}
	if (check_repository(out, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	gate_receivers_release(out);
	return -1;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void gate_receivers_release(struct gate_receivers *r)
{
	struct gate_receivers init = GATE_RECEIVERS_INIT;
	size_t i, j;

	if (!r)
		return;
	for (i = 0; i < r->nclusters; i++) {
		struct gate_cluster *c = &r->clusters[i];
		free(c->name);
		free_strv(c->refs, c->nrefs);
		free_strv(c->paths, c->npaths);
		for (j = 0; j < c->nreceivers; j++) {
			free(c->receivers[j].name);
			free(c->receivers[j].url);
			free(c->receivers[j].token_file);
			free(c->receivers[j].ca_bundle);
		}
		free(c->receivers);
	}
	free(r->clusters);
	free(r->notify.repo_name);
	free(r->notify.repo_full_name);
	free(r->notify.repo_html_url);
	free(r->notify.repo_clone_url);
	free(r->notify.repo_default_branch);
	free(r->notify.repo_ssh_url);
	*r = init;
}

int gate_cluster_wants_ref(const struct gate_cluster *c, const char *ref, const char *accepted_ref)
{
	size_t i;

	if (c->nrefs == 0)
		return 1;
	for (i = 0; i < c->nrefs; i++)
		if ((ref && gate_glob_match(c->refs[i], ref)) ||
		    (accepted_ref && gate_glob_match(c->refs[i], accepted_ref)))
			return 1;
	return 0;
}

int gate_cluster_wants_paths(const struct gate_cluster *c, const char *const *paths, size_t n,
	int all_changed)
{
	size_t i, j;

	if (c->npaths == 0 || all_changed)
		return 1;
	for (i = 0; i < n; i++)
		for (j = 0; j < c->npaths; j++)
			if (gate_glob_match(c->paths[j], paths[i]))
				return 1;
	return 0;
}

const struct gate_receiver *gate_receivers_find(const struct gate_receivers *r,
	const char *cluster, const char *name, const char *format, const char *url,
	char *why, size_t whylen)
{
	const struct gate_cluster *c = NULL;
	enum gate_notify_format f;
	size_t i;

	for (i = 0; cluster && i < r->nclusters; i++)
		if (!strcmp(r->clusters[i].name, cluster))
			c = &r->clusters[i];
	if (!c) {
		fail(why, whylen, "cluster \"%.128s\" is no longer in the configuration",
			cluster ? cluster : "");
		return NULL;
	}
	for (i = 0; i < c->nreceivers; i++) {
		const struct gate_receiver *rv = &c->receivers[i];
		if (name ? rv->name && !strcmp(rv->name, name) :
		    format && url && gate_notify_format_parse(format, &f) == 0 && rv->format == f &&
		    !strcmp(rv->url, url))
			return rv;
	}
	if (name)
		fail(why, whylen, "cluster \"%s\" has no receiver named \"%.128s\" any more", c->name,
			name);
	else
		fail(why, whylen, "cluster \"%s\" has no %.32s receiver at %.512s any more (to change "
			"a receiver's URL while deliveries are queued, give it a name:)", c->name,
			format ? format : "?", url ? url : "?");
	return NULL;
}
