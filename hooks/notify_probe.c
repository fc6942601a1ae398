/* notify --test: one signed test event to every receiver, sent as deliveries are. */
#include "gate/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gate/util.h"

struct probe {
	const struct gate_cluster *c;
	const struct gate_receiver *rv;
	char *token, *body, id[64];
	size_t token_len, body_len;
	const char *warning;
	char error[256];
	int sent;
};

int gate_notify_probe(const struct gate_receivers *rcv, const struct gate_push_event *ev,
	const char *cluster, long budget_ms, json_t **report, size_t *failed)
{
	struct probe *p = NULL;
	struct gate_send *s = NULL;
	size_t i, j, n = 0, ns = 0, k;
	int ret = 0;

	*report = json_array();
	*failed = 0;
	for (i = 0; i < rcv->nclusters; i++)
		if (!cluster || !strcmp(cluster, rcv->clusters[i].name))
			n += rcv->clusters[i].nreceivers;
	if (!n)
		return 0;
	p = gate_xcalloc(n, sizeof(*p));
	s = gate_xcalloc(n, sizeof(*s));
	for (i = 0, k = 0; i < rcv->nclusters; i++) {
		const struct gate_cluster *c = &rcv->clusters[i];
		if (cluster && strcmp(cluster, c->name))
			continue;
		for (j = 0; j < c->nreceivers; j++, k++) {
			int fatal = 0;
			p[k].c = c;
			p[k].rv = &c->receivers[j];
			snprintf(p[k].id, sizeof(p[k].id), "test-%zu-%zu", i, j);
			if (p[k].rv->token_file &&
			    gate_notify_read_token(p[k].rv->token_file, &p[k].token, &p[k].token_len,
				p[k].error, sizeof(p[k].error)) < 0)
				continue;
			if (p[k].token)
				p[k].warning = gate_notify_token_problem(p[k].token, p[k].token_len,
					p[k].rv->format, &fatal);
			p[k].body = gate_notify_body(ev, p[k].rv->format, c->name, p[k].id,
				rcv->notify.max_body_bytes, &p[k].body_len, NULL);
			if (!p[k].body) {
				snprintf(p[k].error, sizeof(p[k].error), "the test body does not fit in max_body_bytes");
				continue;
			}
			s[ns].id = p[k].id;
			s[ns].url = p[k].rv->url;
			s[ns].event = "test";
			s[ns].format = p[k].rv->format;
			s[ns].body = p[k].body;
			s[ns].body_len = p[k].body_len;
			s[ns].token = p[k].token;
			s[ns].token_len = p[k].token_len;
			s[ns].ca_bundle = p[k].rv->ca_bundle;
			s[ns].signature = p[k].rv->signature;
			p[k].sent = (int)++ns;
		}
	}
	if (ns && gate_notify_send(s, ns, budget_ms, budget_ms) < 0)
		ret = -1;
	for (k = 0; k < n; k++) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "cluster", p[k].c->name, "url", p[k].rv->url,
			"format", gate_notify_format_name(p[k].rv->format));
		const struct gate_send *x = p[k].sent ? &s[p[k].sent - 1] : NULL;
		int ok = x && x->delivered;

		json_object_set_new(o, "status", json_string(ok ? "ok" : "failed"));
		if (x) {
			json_object_set_new(o, "http_status", json_integer(x->http_status));
			json_object_set_new(o, "answer", json_string(x->answer));
			if (!ok)
				json_object_set_new(o, "error", json_string(ret < 0 && !x->error[0] ?
					"cannot set up libcurl" : x->error));
		} else {
			json_object_set_new(o, "error", json_string(p[k].error));
		}
		if (p[k].warning)
			json_object_set_new(o, "token_warning", json_string(p[k].warning));
		*failed += !ok;
		json_array_append_new(*report, o);
		if (p[k].token) {
			OPENSSL_cleanse(p[k].token, p[k].token_len);
			free(p[k].token);
		}
		free(p[k].body);
	}
	free(p);
	free(s);
	return ret;
}
