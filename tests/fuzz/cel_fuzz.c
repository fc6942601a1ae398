/*
 * libFuzzer target: the CEL module.  The input is an expression and a JSON
 * or YAML value for self, separated by the first NUL byte: the expression is
 * compiled and, when a value follows, evaluated with a small cost budget (so
 * an expensive expression ends with the budget error, never a hang).
 */
#include <stdint.h>
#include <string.h>

#include "gate/cel.h"
#include "gate/doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *nul = memchr(buf, '\0', size);
	size_t elen = nul ? (size_t)(nul - buf) : size;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_cel_program *p = NULL;
	struct gate_doc *doc = NULL;
	struct gate_doc_error derr;
	char msg[256];

	if (gate_cel_compile(&p, buf, elen, msg, sizeof(msg)) < 0)
		return 0;
	lim.max_nodes = 10000;
	lim.max_alias_nodes = 1000;
	if (!nul || gate_doc_parse(&doc, nul + 1, size - elen - 1, 1, &lim, 0, &derr) == 0) {
		struct gate_cel_var var = { "self", doc ? doc->root : NULL, NULL, 0 };
		struct gate_cel_env env = { &var, 1, NULL, 20000 };
		struct gate_cel_result res = GATE_CEL_RESULT_INIT;
		(void)gate_cel_eval(p, &env, &res);
		gate_cel_result_release(&res);
		gate_doc_free(doc);
	}
	gate_cel_program_free(p);
	return 0;
}
