/*
 * libFuzzer target: the schema engine.  The input is a schema and an
 * instance separated by the first NUL byte: the schema is parsed as JSON and
 * compiled, the instance loaded as YAML and validated against it.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "gate/doc.h"
#include "gate/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *nul = memchr(buf, '\0', size);
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_schema *schema = NULL;
	struct gate_doc_error derr;
	struct gate_doc *doc = NULL;
	json_error_t jerr;
	json_t *root;
	char msg[256];
	size_t slen = nul ? (size_t)(nul - buf) : size;

	root = json_loadb(buf, slen, JSON_DECODE_ANY, &jerr);
	if (!root)
		return 0;
	/* base NULL: relative file $refs cannot be resolved, so nothing is read from disk */
	if (gate_schema_compile(&schema, root, NULL, 0, msg, sizeof(msg)) == 0 && nul) {
		lim.max_nodes = 100000;
		lim.max_alias_nodes = 10000;
		if (gate_doc_parse(&doc, nul + 1, size - slen - 1, 1, &lim, 0, &derr) == 0) {
			if (doc->root)
				gate_schema_validate(schema, doc->root, &errs, 50);
			gate_doc_free(doc);
		}
	}
	gate_schema_errors_release(&errs);
	gate_schema_free(schema);
	json_decref(root);
	return 0;
}
