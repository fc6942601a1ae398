/*
 * libFuzzer target: push-option parsing.  The input is split at NUL bytes:
 * the first part is GIT_PUSH_OPTION_COUNT, the others the options.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/push_options.h"
#include "gate/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *opts[GATE_PUSH_OPTIONS_MAX];
	char *copy = gate_xstrndup((const char *)data, size);
	char *p = copy, *end = copy + size, *count = copy;
	size_t n = 0, want;

	/* copy holds NULs of its own; walk the parts by length */
	p += strlen(p) + 1;
	while (p <= end && n < GATE_PUSH_OPTIONS_MAX) {
		opts[n++] = p;
		p += strlen(p) + 1;
	}
	if (gate_push_option_count(count, &want) == 0 && want <= n) {
		const char *reason = gate_push_option_bypass(opts, want);
		gate_push_option_reason_ok(reason);
	}
	gate_push_option_bypass(opts, n);
	free(copy);
	return 0;
}
