/*
 * libFuzzer target: the native YAML scanner (validate/yaml_scan.c) against
 * libyaml.  For the whole input and for every part gate_doc_split() makes,
 * in both duplicate-key modes: the native scanner must give up or produce
 * exactly libyaml's document (or libyaml's error), and the default path must
 * always equal libyaml alone (tests/unit/doc_compare.h).  A difference
 * aborts, with the first difference on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/doc_compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct dc_stats st;

	lim.max_nodes = 20000;
	lim.max_alias_nodes = 5000;
	lim.max_depth = 64;
	memset(&st, 0, sizeof(st));
	dc_compare(&st, (const char *)data, size, 1, &lim, "input");
	dc_compare_file(&st, (const char *)data, size, "input", &lim);
	if (st.differ) {
		fprintf(stderr, "yaml_scan_fuzz: %s\n", st.first);
		abort();
	}
	return 0;
}
