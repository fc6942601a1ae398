/*
 * libFuzzer target: the hook's stdin parser ("<old> <new> <ref>" lines) over
 * an empty bare repository made once in a temporary folder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <git2.h>

#include "gate/judge.h"
#include "gate/repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gate_repo *repo;
	struct gate_ref_update *u = NULL;
	size_t n = 0;
	char msg[512];

	if (!repo) {
		char tmpl[] = "/tmp/gate-stdin-fuzz.XXXXXX";
		git_repository *g;
		if (!mkdtemp(tmpl))
			abort();
		git_libgit2_init();
		if (git_repository_init(&g, tmpl, 1) < 0)
			abort();
		git_repository_free(g);
		if (gate_repo_open(&repo, tmpl, msg, sizeof(msg)) < 0)
			abort();
	}
	if (gate_ref_updates_parse(repo, (const char *)data, size, &u, &n, msg, sizeof(msg)) == 0)
		gate_ref_updates_free(u, n);
	return 0;
}
