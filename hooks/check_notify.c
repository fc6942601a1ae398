/* check-config: the notify settings (clusters, receivers, notify.repository). */
#include "gate/check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gate/notify.h"
#include "gate/receivers.h"
#include "gate/util.h"

/* The host of an http(s) URL is loopback. */
static int is_loopback(const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	return !strncmp(h, "127.", 4) || !strncasecmp(h, "localhost", 9) || !strncmp(h, "[::1]", 5);
}

static void check_token(const struct gate_check_input *in, struct gate_check_report *out,
	const char *key, const struct gate_receiver *rv)
{
	char err[512], *tok = NULL;
	size_t len = 0;
	struct stat st;
	const char *why;
	int fatal = 0;

	if (!rv->token_file) {
		gate_check_add(out, in, "warning", key, "no token_file: deliveries are not signed");
		return;
	}
	if (gate_notify_read_token(rv->token_file, &tok, &len, err, sizeof(err)) < 0) {
		gate_check_add(out, in, "error", key, "%s", err);
		return;
	}
	why = gate_notify_token_problem(tok, len, rv->format, &fatal);
	OPENSSL_cleanse(tok, len);
	free(tok);
	if (why)
		gate_check_add(out, in, fatal ? "error" : "warning", key, "%s: %s", rv->token_file, why);
	if (stat(rv->token_file, &st) == 0 && (st.st_mode & 0070))
		gate_check_add(out, in, "warning", key, "%s is readable by its group (mode %03o): chmod 600 it",
			rv->token_file, (unsigned)(st.st_mode & 0777));
	else if (!why)
		gate_check_add(out, in, "ok", key, "%s: readable, private, %zu bytes used as they are",
			rv->token_file, len);
}

static void check_receiver(const struct gate_check_input *in, struct gate_check_report *out,
	const struct gate_cluster *c, size_t ci, size_t ri)
{
	const struct gate_receiver *rv = &c->receivers[ri];
	char key[96];
	size_t j;

	snprintf(key, sizeof(key), "clusters[%zu].receivers[%zu].url", ci, ri);
	if (!strncasecmp(rv->url, "http://", 7) && !is_loopback(rv->url))
		gate_check_add(out, in, "warning", key, "%s: plain HTTP to another host: the body and "
			"its signature travel unencrypted", rv->url);
	else
		gate_check_add(out, in, "ok", key, "cluster \"%s\"%s%s%s: %s (%s%s%s)", c->name,
			rv->name ? ", receiver \"" : "", rv->name ? rv->name : "", rv->name ? "\"" : "",
			rv->url,
			gate_notify_format_name(rv->format),
			rv->format == GATE_FORMAT_GITHUB ? ", signature " : "",
			rv->format == GATE_FORMAT_GITHUB ? gate_notify_signature_name(rv->signature) : "");
	for (j = 0; j < ri; j++)
		if (c->receivers[j].format == rv->format && !strcmp(c->receivers[j].url, rv->url))
			gate_check_add(out, in, "warning", key, "receivers[%zu] of cluster \"%s\" has the same "
				"format and URL: a push makes one delivery for both (one delivery id), sent as "
				"receivers[%zu] is configured", j, c->name, j);
	snprintf(key, sizeof(key), "clusters[%zu].receivers[%zu].token_file", ci, ri);
	check_token(in, out, key, rv);
	if (rv->ca_bundle && access(rv->ca_bundle, R_OK) < 0) {
		snprintf(key, sizeof(key), "clusters[%zu].receivers[%zu].ca_bundle", ci, ri);
		gate_check_add(out, in, "error", key, "cannot read %s: %s", rv->ca_bundle, strerror(errno));
	}
}

/* A parse error "clusters[0].receivers[1].format: ..." reported at its key. */
static void parse_error(const struct gate_check_input *in, struct gate_check_report *out,
	const char *err)
{
	const char *colon = strstr(err, ": ");
	char *key = colon ? gate_xstrndup(err, (size_t)(colon - err)) : NULL;

	if (key && strpbrk(key, " \""))
		key[0] = '\0';
	gate_check_add(out, in, "error", key && *key ? key : NULL, "%s",
		key && *key ? colon + 2 : err);
	free(key);
}

void gate_check_notify(const struct gate_check_input *in, struct gate_check_report *out)
{
	struct gate_receivers r = GATE_RECEIVERS_INIT;
	const char *warn = NULL;
	char err[512];
	size_t i, j, n = 0;
	int styled = 0;

	if (!in->config)
		return;
	if (gate_receivers_parse(&r, in->config, err, sizeof(err)) < 0) {
		parse_error(in, out, err);
		return;
	}
	for (i = 0; i < r.nclusters; i++)
		for (j = 0; j < r.clusters[i].nreceivers; j++) {
			check_receiver(in, out, &r.clusters[i], i, j);
			styled |= r.clusters[i].receivers[j].format == GATE_FORMAT_GITHUB ||
				r.clusters[i].receivers[j].format == GATE_FORMAT_GITLAB;
			n++;
		}
	if (!n)
		gate_check_add(out, in, "ok", NULL, "no clusters configured: accepted revisions are "
			"recorded, nobody is notified");
	if (r.notify.repo_html_url) {
		gate_notify_check_html_url(r.notify.repo_html_url, &warn, err, sizeof(err));
		if (warn)
			gate_check_add(out, in, "warning", "notify.repository.html_url", "%s %s",
				r.notify.repo_html_url, warn);
		else if (styled)
			gate_check_add(out, in, "ok", "notify.repository.html_url", "%s: Argo CD refreshes "
				"applications whose repoURL has this host and path (any scheme, user, port, "
				"optional .git)", r.notify.repo_html_url);
	}
	gate_receivers_release(&r);
}
