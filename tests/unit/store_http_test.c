/*
 * store_http_test: http(s) schema locations against a real HTTP server on
 * the loopback (python3's http.server started by the test): 200, 404 ->
 * next location, 500 with retries, refused connections, the on-disk cache
 * and offline mode.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "gate/k8s.h"
#include "gate/util.h"
#include "../tap.h"

static char tmpdir[256];
static int port;
static pid_t server;

static const char server_py[] =
	"import functools, http.server, os, sys\n"
	"portfile, root, log = sys.argv[1:4]\n"
	"class H(http.server.SimpleHTTPRequestHandler):\n"
	"    def do_GET(self):\n"
	"        with open(log, 'a') as f:\n"
	"            f.write(self.path + '\\n')\n"
	"        if self.path.startswith('/err/'):\n"
	"            self.send_response(500)\n"
	"            self.send_header('Content-Length', '0')\n"
	"            self.end_headers()\n"
	"            return\n"
	"        return super().do_GET()\n"
	"    def log_message(self, *a):\n"
	"        pass\n"
	"s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(H, directory=root))\n"
	"with open(portfile + '.tmp', 'w') as f:\n"
	"    f.write(str(s.server_address[1]))\n"
	"os.rename(portfile + '.tmp', portfile)\n"
	"s.serve_forever()\n";

static void write_file(const char *rel, const char *content)
{
	char path[512], *dir;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	dir = gate_xstrdup(path);
	*strrchr(dir, '/') = '\0';
	gate_mkdir_p(dir, 0755);
	free(dir);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(2);
	}
	fputs(content, f);
	fclose(f);
}

static char *read_rel(const char *rel)
{
	char path[512], *data = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	if (gate_read_file(path, 1 << 20, &data, &len) < 0)
		return NULL;
	return data;
}

static int requests(void)
{
	char *log = read_rel("requests.log");
	int n = 0;
	char *p;

	if (!log)
		return 0;
	for (p = log; *p; p++)
		n += *p == '\n';
	free(log);
	return n;
}

static int start_server(void)
{
	char portfile[512], root[512], log[512];
	int i;

	snprintf(portfile, sizeof(portfile), "%s/port", tmpdir);
	snprintf(root, sizeof(root), "%s/www", tmpdir);
	snprintf(log, sizeof(log), "%s/requests.log", tmpdir);
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0) {
		execlp("python3", "python3", "-c", server_py, portfile, root, log, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		struct timespec ts = { 0, 50 * 1000000L };
		char *p = read_rel("port");
		int status;

		if (p) {
			port = atoi(p);
			free(p);
			return port > 0 ? 0 : -1;
		}
		if (waitpid(server, &status, WNOHANG) == server) {
			server = 0;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void stop_server(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
}

/* a loopback port nobody listens on: bound once by us, then closed */
static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p = 9;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		p = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

static void sha256_hex(const char *s, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}

static void id_of(struct gate_k8s_id *id, const char *kind, const char *group, const char *version)
{
	memset(id, 0, sizeof(*id));
	id->kind = kind;
	id->api_version = "unused";
	snprintf(id->group, sizeof(id->group), "%s", group);
	snprintf(id->version, sizeof(id->version), "%s", version);
}

static struct gate_store *store(const char **locs, size_t n, const char *cache, int offline,
	int retries)
{
	struct gate_store_opts o;
	struct gate_store *st = NULL;
	char msg[512];

	memset(&o, 0, sizeof(o));
	o.locations = locs;
	o.nlocations = n;
	o.cache_dir = cache;
	o.offline = offline;
	o.retries = retries;
	o.timeout_ms = 5000;
	if (gate_store_new(&st, &o, msg, sizeof(msg)) < 0) {
		diag("store: %s", msg);
		return NULL;
	}
	return st;
}

static const char *schema_a = "{\"type\": \"object\", \"description\": \"a\"}";
static const char *schema_b = "{\"type\": \"object\", \"description\": \"b\"}";

int main(void)
{
	char la[256], lb[256], lerr[256], ldead[256], cache[512], url[512], hex[65], rel[600];
	const char *locs[2];
	const struct gate_schema *s;
	struct gate_store_stats stats;
	struct gate_store *st;
	struct gate_k8s_id id;
	const char *where;
	char msg[2048], *c;
	int before, rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s/store_http_test.XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	write_file("www/a/deployment-apps-v1.json", schema_a);
	write_file("www/a/broken-v1.json", "<html>not json</html>");
	write_file("www/b/broken-v1.json", schema_b);
	write_file("www/b/configmap-v1.json", schema_b);
	write_file("www/b/service-v1.json", schema_b);
	if (start_server() < 0) {
		printf("1..0 # SKIP could not start python3 -m http.server\n");
		stop_server();
		return 0;
	}
	snprintf(la, sizeof(la), "http://127.0.0.1:%d/a/{{ .ResourceKind }}{{ .KindSuffix }}.json", port);
	snprintf(lb, sizeof(lb), "http://127.0.0.1:%d/b/{{ .ResourceKind }}{{ .KindSuffix }}.json", port);
	snprintf(lerr, sizeof(lerr), "http://127.0.0.1:%d/err/{{ .ResourceKind }}{{ .KindSuffix }}.json", port);
	snprintf(cache, sizeof(cache), "%s/cache", tmpdir);

	/* online, with a cache folder (created by the store) */
	locs[0] = la;
	locs[1] = lb;
	st = store(locs, 2, cache, 0, 0);
	ok(st != NULL, "store with two http locations and a cache");
	if (!st)
		goto out;
	id_of(&id, "Deployment", "apps", "v1");
	msg[0] = '\0';
	rc = gate_store_lookup_ex(st, &id, &s, &where, msg, sizeof(msg));
	ok(rc == 0 && s && where && strstr(where, "/a/deployment-apps-v1.json") &&
		!strncmp(where, "http://", 7), "200 from the first location: %s", where ? where : msg);
	id_of(&id, "ConfigMap", "", "v1");
	ok(gate_store_lookup_ex(st, &id, &s, &where, msg, sizeof(msg)) == 0 && s &&
		where && strstr(where, "/b/configmap-v1.json"), "404, then the next location");
	id_of(&id, "Broken", "", "v1");
	ok(gate_store_lookup_ex(st, &id, &s, &where, msg, sizeof(msg)) == 0 && s &&
		where && strstr(where, "/b/broken-v1.json"), "a response that is not JSON: next location");
	id_of(&id, "Nothing", "", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && !s, "404 everywhere: no schema");
	gate_store_stats(st, &stats);
	ok(stats.http_gets == 7 && stats.cache_hits == 0, "7 requests made (%lu)", stats.http_gets);
	gate_store_free(st);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a/deployment-apps-v1.json", port);
	sha256_hex(url, hex);
	snprintf(rel, sizeof(rel), "cache/%s", hex);
	c = read_rel(rel);
	ok(c && !strcmp(c, schema_a), "cache file named by the URL's SHA-256 holds the schema");
	free(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/b/configmap-v1.json", port);
	sha256_hex(url, hex);
	snprintf(rel, sizeof(rel), "cache/%s", hex);
	c = read_rel(rel);
	ok(c && !strcmp(c, schema_b), "second schema cached too");
	free(c);

	/* offline: only the cache */
	before = requests();
	st = store(locs, 2, cache, 1, 0);
	if (!st)
		goto out;
	id_of(&id, "Deployment", "apps", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s, "offline: served from the cache");
	id_of(&id, "ConfigMap", "", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s, "offline: second location from the cache");
	id_of(&id, "Service", "", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && !s,
		"offline: a schema never cached is not found");
	gate_store_stats(st, &stats);
	ok(stats.http_gets == 0 && stats.cache_hits >= 2, "offline: no request (%lu), cache hits %lu",
		stats.http_gets, stats.cache_hits);
	ok(requests() == before, "offline: the server saw nothing");
	gate_store_free(st);

	/* online again: the cache is read first */
	before = requests();
	st = store(locs, 2, cache, 0, 0);
	id_of(&id, "Deployment", "apps", "v1");
	ok(st && gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s && requests() == before,
		"online with a warm cache: no request");
	gate_store_free(st);

	/* 500: an error, retried, and no fallback to the next location */
	before = requests();
	locs[0] = lerr;
	locs[1] = la;
	st = store(locs, 2, NULL, 0, 1);
	id_of(&id, "Deployment", "apps", "v1");
	msg[0] = '\0';
	ok(st && gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 &&
		strstr(msg, "received HTTP status 500"), "HTTP 500 is an error: %s", msg);
	if (st) {
		gate_store_stats(st, &stats);
		ok(stats.http_gets == 2 && requests() == before + 2, "retried once (%lu requests)",
			stats.http_gets);
	}
	gate_store_free(st);

	/* a refused connection */
	snprintf(ldead, sizeof(ldead), "http://127.0.0.1:%d/{{ .ResourceKind }}.json", free_port());
	locs[0] = ldead;
	st = store(locs, 1, NULL, 0, 0);
	msg[0] = '\0';
	ok(st && gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 &&
		strstr(msg, "failed downloading schema at"), "transport error: %s", msg);
	gate_store_free(st);

	/* no cache folder: nothing written */
	locs[0] = lb;
	st = store(locs, 1, NULL, 0, 0);
	id_of(&id, "Service", "", "v1");
	ok(st && gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s, "without a cache folder");
	gate_store_free(st);

out:
	stop_server();
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
