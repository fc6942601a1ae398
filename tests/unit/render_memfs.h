/*
 * tests/unit/render_memfs.h: an in-memory tree of files for the renderer's
 * loader (render_test.c, render_cache_test.c): a path is a file, a prefix of
 * one a folder ("." the top), anything else absent.
 */
#ifndef GATE_TESTS_RENDER_MEMFS_H
#define GATE_TESTS_RENDER_MEMFS_H

#include <string.h>

#include "gate/render.h"
#include "gate/util.h"

struct mfile {
	const char *path, *text;
};

struct mfs {
	const struct mfile *files;
	size_t n;
};

static inline int mem_read(void *payload, const char *path, char **buf, size_t *len)
{
	const struct mfs *fs = payload;
	size_t i, pl = strlen(path);

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->files[i].path, path)) {
			*buf = gate_xstrdup(fs->files[i].text);
			*len = strlen(fs->files[i].text);
			return 0;
		}
	for (i = 0; i < fs->n; i++)
		if ((!strcmp(path, ".") && strchr(fs->files[i].path, '/') == NULL) ||
			(!strncmp(fs->files[i].path, path, pl) && fs->files[i].path[pl] == '/'))
			return GATE_RENDER_EISDIR;
	return GATE_RENDER_ENOENT;
}

#endif
