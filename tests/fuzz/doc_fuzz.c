/*
 * libFuzzer target: the YAML/JSON loader on arbitrary bytes, both duplicate
 * key modes, every split part; each parsed document is also serialised.
 */
#include <stdint.h>
#include <stdlib.h>

#include "gate/doc.h"

struct ctx {
	int flags;
};

static int on_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct ctx *c = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;

	lim.max_nodes = 100000;
	lim.max_alias_nodes = 10000;
	if (gate_doc_parse(&doc, part, len, line, &lim, c->flags, &err) == 0) {
		if (doc->root)
			free(gate_node_to_json(doc->root));
		gate_doc_free(doc);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;

	c.flags = (size && (data[0] & 1)) ? GATE_DOC_DUPKEYS_ERROR : 0;
	gate_doc_split((const char *)data, size, on_part, &c);
	return 0;
}
