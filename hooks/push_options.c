#include "gate/push_options.h"

#include <string.h>

int gate_push_option_count(const char *s, size_t *n)
{
	size_t v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (size_t)(*s - '0');
		if (v > GATE_PUSH_OPTIONS_MAX)
			return -1;
	}
	*n = v;
	return 0;
}

const char *gate_push_option_bypass(const char *const *opts, size_t n)
{
	static const char prefix[] = GATE_PUSH_OPTION_BYPASS;
	const char *found = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (opts[i] && !strncmp(opts[i], prefix, sizeof(prefix) - 1))
			found = opts[i] + sizeof(prefix) - 1;
	return found;
}

int gate_push_option_reason_ok(const char *reason)
{
	size_t len;

	if (!reason)
		return 0;
	len = strnlen(reason, GATE_BYPASS_REASON_MAX + 1);
	return len >= 1 && len <= GATE_BYPASS_REASON_MAX;
}
