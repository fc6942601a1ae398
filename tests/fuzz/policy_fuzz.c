/*
 * libFuzzer target: the policy file parser and the policy checks.  The input
 * is a policy file and a manifest separated by the first NUL byte: the policy
 * is loaded (validated against its schema, compiled), then every document of
 * the manifest is identified and checked, and its raw bytes are scanned for
 * secrets.
 */
#include <stdint.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/result.h"

struct ctx {
	const struct gate_policy *policy;
};

static int on_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct ctx *c = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_result res;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;
	struct gate_k8s_id id;
	char msg[256];

	lim.max_nodes = 100000;
	lim.max_alias_nodes = 10000;
	if (gate_doc_parse(&doc, part, len, line, &lim, 0, &err) < 0)
		return 0;
	if (doc->root && doc->root->type == GATE_NODE_OBJECT &&
	    gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) == 0) {
		memset(&res, 0, sizeof(res));
		gate_policy_check(c->policy, "fuzz.yaml", &id, doc->root, &res);
		gate_result_release(&res);
	}
	gate_doc_free(doc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *nul = memchr(buf, '\0', size);
	size_t plen = nul ? (size_t)(nul - buf) : size;
	struct gate_policy_opts opts;
	struct gate_policy *p = NULL;
	struct gate_result res;
	struct ctx c;
	char msg[512];

	memset(&opts, 0, sizeof(opts));
	if (gate_policy_new(&p, &opts, msg, sizeof(msg)) < 0)
		return 0;
	gate_policy_load_buffer(p, "policy.yaml", buf, plen, msg, sizeof(msg));
	if (nul) {
		c.policy = p;
		gate_doc_split(nul + 1, size - plen - 1, on_part, &c);
		memset(&res, 0, sizeof(res));
		gate_policy_scan_secrets(p, "fuzz.yaml", nul + 1, size - plen - 1, &res);
		gate_result_release(&res);
	}
	gate_policy_free(p);
	return 0;
}
