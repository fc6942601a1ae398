/*
 * libFuzzer target: the server configuration loader (YAML, validated against
 * schemas/config.schema.json and the schemas it references, then typed).  The
 * input is written to a file that is loaded as the repository's config.  The
 * schema folder is GATE_SCHEMA_DIR, else the source tree's schemas/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gate/config.h"
#include "gate/util.h"

#ifndef GATE_FUZZ_SCHEMA_DIR
#define GATE_FUZZ_SCHEMA_DIR GATE_PKGDATADIR
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct gate_config_load_opts opts = { NULL, NULL, NULL, NULL, 0, 0 };
	struct gate_config *cfg = NULL;
	const char *dir = getenv("GATE_SCHEMA_DIR");
	char msg[512];
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/gate-config-fuzz.%ld.yaml", (long)getpid());
	if (!(f = fopen(path, "wb")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	opts.repo_path = path;
	opts.schema_dir = dir && *dir ? dir : GATE_FUZZ_SCHEMA_DIR;
	opts.git_dir = "/nonexistent.git";
	if (gate_config_load(&cfg, &opts, msg, sizeof(msg)) == 0) {
		size_t n, i;
		gate_config_groups(cfg, &n);
		for (i = 0; i < 4; i++)
			gate_config_group_for(cfg, i & 1 ? "clusters/prod/app.yaml" : "a.json");
		gate_config_ref_is_gated(cfg, "refs/heads/main");
		gate_config_path_is_manifest(cfg, "x/y.yaml");
		gate_config_free(cfg);
	}
	unlink(path);
	return 0;
}
