/*
 * store: find, load and compile the schema of a resource kind, once.
 *
 * Locations are kubeconform templates tried in order.  A local location is
 * a file path; an http(s) location is fetched with libcurl, through an
 * optional on-disk cache (file name: hex SHA-256 of the URL, as kubeconform's
 * pkg/cache/ondisk.go).  What each outcome means, after kubeconform's
 * downloadSchema (pkg/validator/validator.go):
 *
 *   file missing, HTTP 404             -> try the next location
 *   not JSON, or not a usable schema   -> try the next location; when no
 *                                         later location has the schema
 *                                         either, the lookup fails with the
 *                                         parse message (a gate fails closed
 *                                         where kubeconform would report "no
 *                                         schema" and possibly skip)
 *   file unreadable, HTTP 5xx or other
 *   status, transport error            -> the lookup fails (no later location)
 *   nothing anywhere                   -> no schema (*out NULL)
 *
 * Offline: the network is never touched.  An http location is then served
 * from cache_dir when the URL was cached before, and is otherwise treated as
 * not found (try the next location).  kubeconform has no such mode; without
 * a network it would report a transport error for every kind.
 *
 * Every (kind, group, version) is resolved once per store: results, missing
 * schemas and failures alike are kept in a hash map under one mutex.  The
 * first thread asking for a key resolves it outside the lock while later
 * askers of the same key wait on a condition variable, so a schema is never
 * compiled twice.
 */
#include "gate/k8s.h"
#include "gate/curl_dl.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gate/hash.h"
#include "gate/util.h"
#include "store_int.h"

#define MAX_SCHEMA_BYTES (64u << 20)
#define MAX_LOCATION 4096

enum { ENTRY_LOADING = 0, ENTRY_DONE };

struct entry {
	struct entry *next;
	uint64_t hash;
	char *kind, *group, *version; /* one allocation, owned through kind */
	int state;
	struct gate_schema *schema;   /* NULL: none found */
	char *location;               /* where the schema came from */
	char *error;                  /* the lookup failed with this message */
	char sha[2 * 32 + 1];         /* content hash of the schema file, once computed */
	char *body;                   /* the schema file while its hash is not computed yet */
	size_t body_len;
};

/*
 * A schema file's hash is only needed by gate_store_fingerprint(), which
 * the hook asks for before any schema is resolved: the files (up to this
 * many bytes in all) are kept and hashed when a fingerprint wants them,
 * not each time one is compiled.
 */
#define PENDING_HASH_BYTES (32u << 20)

struct location {
	char *tmpl; /* "default" and "catalog" already replaced */
	int http;
	int catalog; /* the built-in catalog */
};

struct gate_store {
	struct location *locs;
	size_t nlocs;
	char *k8s_version;
	int strict, offline, insecure, retries;
	const struct gate_curl *curl; /* loaded when a location is http(s) and not offline */
	long timeout_ms;
	char *cache_dir;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry **buckets;
	size_t nbuckets, nentries;
	struct gate_store_stats stats;
	size_t pending_bytes;         /* schema files kept for their hash (entry.body) */
};

static void errno_msg(int err, char *buf, size_t size)
{
	/* XSI strerror_r: thread-safe, fills buf */
	if (strerror_r(err, buf, size) != 0)
		snprintf(buf, size, "error %d", err);
}

int gate_store_new(struct gate_store **out, const struct gate_store_opts *opts,
	char *msg, size_t msgsize)
{
	static const char *const def[] = { "default" };
	const char *const *locs = opts->locations;
	size_t nlocs = opts->nlocations, i;
	struct gate_store *st;
	int need_curl = 0;

	*out = NULL;
	if (!locs || !nlocs) {
		locs = def;
		nlocs = 1;
	}
	st = gate_xcalloc(1, sizeof(*st));
	st->locs = gate_xcalloc(nlocs, sizeof(*st->locs));
	st->k8s_version = gate_xstrdup(opts->kubernetes_version && *opts->kubernetes_version ?
		opts->kubernetes_version : "master");
	st->strict = !!opts->strict;
	st->offline = !!opts->offline;
	st->insecure = !!opts->insecure_skip_tls;
	st->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
	st->retries = opts->retries < 0 ? 0 : opts->retries > 10 ? 10 : opts->retries;
	st->cache_dir = gate_xstrdup(opts->cache_dir && *opts->cache_dir ? opts->cache_dir : NULL);
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	st->nbuckets = 64;
	st->buckets = gate_xcalloc(st->nbuckets, sizeof(*st->buckets));

	for (i = 0; i < nlocs; i++) {
		char probe[MAX_LOCATION], tmpl[MAX_LOCATION];
		const char *l = locs[i];

		if (!l || !*l) {
			snprintf(msg, msgsize, "failed initialising schema location registry: empty location");
			goto fail;
		}
		if (!strcmp(l, GATE_K8S_CATALOG)) {
			struct stat cs;
			if (!opts->catalog_dir || stat(opts->catalog_dir, &cs) < 0 || !S_ISDIR(cs.st_mode)) {
				snprintf(msg, msgsize, "failed initialising schema location registry: "
					"the built-in schema catalog is not installed (no folder %.200s)",
					opts->catalog_dir ? opts->catalog_dir : "given");
				goto fail;
			}
		}
		if (gate_k8s_location_template(tmpl, sizeof(tmpl), l, opts->catalog_dir) < 0) {
			snprintf(msg, msgsize, "failed initialising schema location registry: "
				"location too long '%.200s'", l);
			goto fail;
		}
		l = tmpl;
		/* kubeconform checks each template once, with a sample resource */
		if (gate_k8s_expand_location(probe, sizeof(probe), l, "Deployment", "apps", "v1",
				"master", 1) < 0) {
			snprintf(msg, msgsize, "failed initialising schema location registry: "
				"bad template '%.200s'", l);
			goto fail;
		}
		st->locs[i].tmpl = gate_xstrdup(l);
		st->locs[i].http = !strncmp(l, "http://", 7) || !strncmp(l, "https://", 8);
		st->locs[i].catalog = !strcmp(locs[i], GATE_K8S_CATALOG);
		st->nlocs++;
		if (st->locs[i].http && !st->offline)
			need_curl = 1;
	}

	if (st->cache_dir) {
		struct stat sb;
		if (gate_mkdir_p(st->cache_dir, 0755) < 0 || stat(st->cache_dir, &sb) < 0) {
			char e[128];
			errno_msg(errno, e, sizeof(e));
			snprintf(msg, msgsize, "failed opening cache folder %.200s: %s", st->cache_dir, e);
			goto fail;
		}
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(msg, msgsize, "cache folder %.200s is not a directory", st->cache_dir);
			goto fail;
		}
	}
	if (need_curl && gate_curl_load(&st->curl, msg, msgsize) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	gate_store_free(st);
	return -1;
}

void gate_store_free(struct gate_store *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->nbuckets; i++) {
		struct entry *e = st->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			gate_schema_free(e->schema);
			free(e->kind);
			free(e->body);
			free(e->location);
			free(e->error);
			free(e);
		}
	}
	free(st->buckets);
	for (i = 0; i < st->nlocs; i++)
		free(st->locs[i].tmpl);
	free(st->locs);
	free(st->k8s_version);
	free(st->cache_dir);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st);
}

static uint64_t key_hash(const char *kind, const char *group, const char *version)
{
	uint64_t h = 1469598103934665603ull;
	const char *parts[3] = { kind, group, version };
	int i;

	for (i = 0; i < 3; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];
		for (; *p; p++)
			h = (h ^ *p) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

static void grow_map(struct gate_store *st)
{
	size_t n = st->nbuckets * 2, i;
	struct entry **b = gate_xcalloc(n, sizeof(*b));

	for (i = 0; i < st->nbuckets; i++) {
		struct entry *e = st->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(st->buckets);
	st->buckets = b;
	st->nbuckets = n;
}

/*
 * Names that may go into a path or URL.  Kubernetes kinds, groups and
 * versions are alphanumerics, '.', '-' (and '_' in a few CRDs); anything
 * else (a '/', "..", '?', spaces) cannot have a schema and must not be
 * allowed to walk the file system or change a URL.
 */
static int safe_name(const char *s, int may_be_empty)
{
	if (!*s)
		return may_be_empty;
	if (*s == '.')
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

struct sink {
	struct gate_buf buf;
	size_t max;
	int too_large;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (s->buf.len + n > s->max) {
		s->too_large = 1;
		return 0;
	}
	gate_buf_add(&s->buf, ptr, n);
	return n;
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		return 0;
	default:
		return 1;
	}
}

static void backoff(int attempt)
{
	long ms = 250L << (attempt < 5 ? attempt : 5);
	struct timespec ts;

	if (ms > 8000)
		ms = 8000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * GET url into body.  Returns 0 on 200, 1 on 404, -1 with a message in err
 * otherwise.  Transport errors, 429 and 5xx (but 501) are retried with
 * exponential backoff, like kubeconform's retryablehttp client.
 */
static int http_get(struct gate_store *st, const char *url, struct gate_buf *body,
	unsigned long *gets, char *err, size_t errsize)
{
	char cerr[CURL_ERROR_SIZE];
	struct sink sk = { GATE_BUF_INIT, MAX_SCHEMA_BYTES, 0 };
	const struct gate_curl *cu = st->curl;
	CURL *c;
	int attempt, ret = -1;

	if (!cu || !(c = cu->easy_init())) {
		snprintf(err, errsize, "failed downloading schema at %s: could not start libcurl", url);
		return -1;
	}
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, st->timeout_ms);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, st->timeout_ms);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "gitops-gate");
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &sk);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (st->insecure) {
		cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}

	for (attempt = 0;; attempt++) {
		CURLcode rc;
		long code = 0;

		gate_buf_reset(&sk.buf);
		sk.too_large = 0;
		cerr[0] = '\0';
		rc = cu->easy_perform(c);
		(*gets)++;
		if (rc == CURLE_OK) {
			cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			if (code == 200) {
				ret = 0;
				break;
			}
			if (code == 404) {
				ret = 1;
				break;
			}
			if ((code == 429 || (code >= 500 && code != 501)) && attempt < st->retries) {
				backoff(attempt);
				continue;
			}
			snprintf(err, errsize, "error while downloading schema at %s - received HTTP status %ld",
				url, code);
			break;
		}
		if (sk.too_large) {
			snprintf(err, errsize, "failed downloading schema at %s: larger than %u bytes",
				url, MAX_SCHEMA_BYTES);
			break;
		}
		if (retryable_curl(rc) && attempt < st->retries) {
			backoff(attempt);
			continue;
		}
		snprintf(err, errsize, "failed downloading schema at %s: %s", url,
			cerr[0] ? cerr : cu->easy_strerror(rc));
		break;
	}
	cu->easy_cleanup(c);
	if (ret == 0) {
		gate_buf_release(body);
		*body = sk.buf;
		if (!body->ptr)
			gate_buf_add(body, "", 0);
	} else {
		gate_buf_release(&sk.buf);
	}
	return ret;
}

/* what a location gave */
enum fetch { F_FOUND, F_NOTFOUND, F_FAILED };

static enum fetch fetch_http(struct gate_store *st, const char *url, struct gate_buf *body,
	struct gate_store_stats *stats, char *err, size_t errsize)
{
	char *cpath = NULL;
	char hex[65];
	enum fetch f = F_FAILED;
	int r;

	if (st->cache_dir) {
		char *data;
		size_t len;

		gate_sha256_hex(url, strlen(url), hex);
		cpath = gate_xasprintf("%s/%s", st->cache_dir, hex);
		if (gate_read_file(cpath, MAX_SCHEMA_BYTES, &data, &len) == 0) {
			gate_buf_release(body);
			body->ptr = data;
			body->len = len;
			body->alloc = len + 1;
			stats->cache_hits++;
			f = F_FOUND;
			goto done;
		}
	}
	if (st->offline) {
		f = F_NOTFOUND;
		goto done;
	}
	r = http_get(st, url, body, &stats->http_gets, err, errsize);
	if (r == 1) {
		f = F_NOTFOUND;
		goto done;
	}
	if (r < 0)
		goto done;
	if (cpath && gate_write_file_atomic(cpath, body->ptr, body->len, 0644) < 0) {
		char e[128];
		errno_msg(errno, e, sizeof(e));
		snprintf(err, errsize, "failed to write cache to disk: %s: %s", cpath, e);
		goto done;
	}
	f = F_FOUND;
done:
	free(cpath);
	return f;
}

static enum fetch fetch_file(const char *path, struct gate_buf *body, char *err, size_t errsize)
{
	char *data;
	size_t len;
	char e[128];

	if (gate_read_file(path, MAX_SCHEMA_BYTES, &data, &len) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return F_NOTFOUND;
		if (errno == EFBIG) {
			snprintf(err, errsize, "failed to read schema at %s: larger than %u bytes",
				path, MAX_SCHEMA_BYTES);
			return F_FAILED;
		}
		errno_msg(errno, e, sizeof(e));
		snprintf(err, errsize, "failed to open schema at %s: %s", path, e);
		return F_FAILED;
	}
	gate_buf_release(body);
	body->ptr = data;
	body->len = len;
	body->alloc = len + 1;
	return F_FOUND;
}

/* Resolve e (state LOADING, owned by this thread) by trying every location. */
/*
 * The catalog's schemas made from CRDs leave their root open (Flux Schema's
 * choice); strict closes it, as the API server's strict field validation
 * refuses an unknown top-level field ("sepc:").  Built-in kinds are closed
 * already.
 */
static void close_root(json_t *root)
{
	if (json_is_object(json_object_get(root, "properties")) &&
	    !json_object_get(root, "additionalProperties") &&
	    !json_is_true(json_object_get(root, "x-kubernetes-preserve-unknown-fields")))
		json_object_set_new(root, "additionalProperties", json_false());
}

/* e's schema file: kept for a later hash while the bound allows, else hashed now */
static void keep_body(struct gate_store *st, struct entry *e, struct gate_buf *body)
{
	int keep;

	pthread_mutex_lock(&st->mu);
	keep = st->pending_bytes + body->len <= PENDING_HASH_BYTES;
	if (keep)
		st->pending_bytes += body->len;
	pthread_mutex_unlock(&st->mu);
	if (!keep) {
		gate_sha256_hex(body->ptr ? body->ptr : "", body->len, e->sha);
		return;
	}
	e->body_len = body->len;
	e->body = body->ptr ? gate_buf_detach(body) : gate_xstrdup("");
}

static void resolve(struct gate_store *st, struct entry *e, struct gate_store_stats *stats)
{
	struct gate_buf body = GATE_BUF_INIT;
	char loc[MAX_LOCATION], err[MAX_LOCATION + 1024], parse_err[MAX_LOCATION + 1024] = "";
	size_t i;

	if (!safe_name(e->kind, 0) || !safe_name(e->group, 1) || !safe_name(e->version, 0))
		return;
	for (i = 0; i < st->nlocs; i++) {
		struct gate_schema *schema = NULL;
		json_error_t jerr;
		json_t *root;
		enum fetch f;
		char cmsg[512];

		if (gate_k8s_expand_location(loc, sizeof(loc), st->locs[i].tmpl, e->kind, e->group,
				e->version, st->k8s_version, st->strict) < 0)
			continue;
		err[0] = '\0';
		if (st->locs[i].http)
			f = fetch_http(st, loc, &body, stats, err, sizeof(err));
		else
			f = fetch_file(loc, &body, err, sizeof(err));
		if (f == F_NOTFOUND)
			continue;
		if (f == F_FAILED) {
			e->error = gate_xstrdup(err);
			break;
		}
		root = gate_store_json_fast(body.ptr, body.len);
		if (!root)
			root = json_loadb(body.ptr, body.len, 0, &jerr);
		if (root && st->strict && st->locs[i].catalog)
			close_root(root);
		if (!root) {
			if (!parse_err[0])
				snprintf(parse_err, sizeof(parse_err), "could not parse schema at %s: "
					"%s (line %d)", loc, jerr.text, jerr.line);
			continue;
		}
		cmsg[0] = '\0';
		if (gate_schema_compile(&schema, root, loc, 0, cmsg, sizeof(cmsg)) < 0) {
			json_decref(root);
			if (!parse_err[0])
				snprintf(parse_err, sizeof(parse_err), "could not compile schema at %s: %s",
					loc, cmsg[0] ? cmsg : "invalid schema");
			continue;
		}
		json_decref(root);
		stats->compiles++;
		e->schema = schema;
		e->location = gate_xstrdup(loc);
		keep_body(st, e, &body);
		break;
	}
	if (!e->schema && !e->error && parse_err[0])
		e->error = gate_xstrdup(parse_err);
	gate_buf_release(&body);
}

int gate_store_lookup_ex(struct gate_store *st, const struct gate_k8s_id *id,
	const struct gate_schema **out, const char **location, char *msg, size_t msgsize)
{
	const char *kind = id->kind ? id->kind : "", *group = id->group, *version = id->version;
	uint64_t h = key_hash(kind, group, version);
	struct entry *e;
	int ret = 0;

	*out = NULL;
	if (location)
		*location = NULL;
	pthread_mutex_lock(&st->mu);
	st->stats.lookups++;
	for (e = st->buckets[h & (st->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && !strcmp(e->kind, kind) && !strcmp(e->group, group) &&
			!strcmp(e->version, version))
			break;
	if (!e) {
		struct gate_store_stats local = { 0 };
		size_t kl = strlen(kind), gl = strlen(group), vl = strlen(version);

		e = gate_xcalloc(1, sizeof(*e));
		e->hash = h;
		e->kind = gate_xmalloc(kl + gl + vl + 3);
		memcpy(e->kind, kind, kl + 1);
		e->group = e->kind + kl + 1;
		memcpy(e->group, group, gl + 1);
		e->version = e->group + gl + 1;
		memcpy(e->version, version, vl + 1);
		e->state = ENTRY_LOADING;
		if (st->nentries + 1 > st->nbuckets / 4 * 3)
			grow_map(st);
		e->next = st->buckets[h & (st->nbuckets - 1)];
		st->buckets[h & (st->nbuckets - 1)] = e;
		st->nentries++;
		st->stats.resolves++;
		pthread_mutex_unlock(&st->mu);

		resolve(st, e, &local);

		pthread_mutex_lock(&st->mu);
		st->stats.compiles += local.compiles;
		st->stats.http_gets += local.http_gets;
		st->stats.cache_hits += local.cache_hits;
		e->state = ENTRY_DONE;
		pthread_cond_broadcast(&st->cv);
	} else {
		while (e->state != ENTRY_DONE)
			pthread_cond_wait(&st->cv, &st->mu);
	}
	if (e->error) {
		snprintf(msg, msgsize, "%s", e->error);
		ret = -1;
	} else {
		*out = e->schema;
		if (location)
			*location = e->location;
	}
	pthread_mutex_unlock(&st->mu);
	return ret;
}

int gate_store_lookup(struct gate_store *st, const struct gate_k8s_id *id,
	const struct gate_schema **out, char *msg, size_t msgsize)
{
	return gate_store_lookup_ex(st, id, out, NULL, msg, msgsize);
}

void gate_store_stats(struct gate_store *st, struct gate_store_stats *out)
{
	pthread_mutex_lock(&st->mu);
	*out = st->stats;
	pthread_mutex_unlock(&st->mu);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	int c;

	if ((c = strcmp(x->kind, y->kind)))
		return c;
	if ((c = strcmp(x->group, y->group)))
		return c;
	return strcmp(x->version, y->version);
}

/*
 * SHA-256 over the store's configuration and, sorted by key, every answer
 * given so far: where each schema came from and the hash of its content, or
 * that there was none (or a failure).
 */
void gate_store_fingerprint(struct gate_store *st, char *buf, size_t bufsize)
{
	char hex[GATE_SHA256_HEX];
	struct entry **v = NULL;
	size_t n = 0, j;
	struct gate_buf b = GATE_BUF_INIT;

	if (!bufsize)
		return;
	buf[0] = '\0';
	gate_buf_addf(&b, "gitops-gate schema store 1\nversion %s\nstrict %d\noffline %d\n",
		st->k8s_version, st->strict, st->offline);
	for (j = 0; j < st->nlocs; j++)
		gate_buf_addf(&b, "location %s\n", st->locs[j].tmpl);

	pthread_mutex_lock(&st->mu);
	v = gate_xcalloc(st->nentries ? st->nentries : 1, sizeof(*v));
	for (j = 0; j < st->nbuckets; j++) {
		struct entry *e;
		for (e = st->buckets[j]; e; e = e->next)
			if (e->state == ENTRY_DONE)
				v[n++] = e;
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	for (j = 0; j < n; j++) {
		struct entry *e = v[j];
		gate_buf_addf(&b, "schema %s %s %s ", e->kind, e->group, e->version);
		if (e->error)
			gate_buf_addf(&b, "error %s\n", e->error);
		else if (e->schema) {
			if (e->body) {
				gate_sha256_hex(e->body, e->body_len, e->sha);
				st->pending_bytes -= e->body_len;
				free(e->body);
				e->body = NULL;
			}
			gate_buf_addf(&b, "at %s sha256 %s\n", e->location, e->sha);
		}
		else
			gate_buf_adds(&b, "none\n");
	}
	pthread_mutex_unlock(&st->mu);
	free(v);

	gate_sha256_hex(b.ptr, b.len, hex);
	gate_buf_release(&b);
	gate_sha256_copy_hex(buf, bufsize, hex);
}
