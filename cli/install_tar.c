/*
 * install --layout gitlab --tar FILE: the hooks as a tar archive for GitLab's
 * `gitaly hooks set` (GitLab 15.11 and later), which takes the archive on
 * stdin and expects a custom_hooks/ folder at its root:
 *   custom_hooks/pre-receive.d/gitops-gate   (mode 0755)
 *   custom_hooks/post-receive.d/gitops-gate  (mode 0755)
 * A plain POSIX ustar archive, owner 0, time 0, so the same build gives the
 * same bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "gate/util.h"

/* One ustar header for name (a folder when content is NULL). */
static void tar_header(struct gate_buf *b, const char *name, size_t size, int dir)
{
	unsigned char h[512];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0755u);
	snprintf((char *)h + 108, 8, "%07o", 0u);
	snprintf((char *)h + 116, 8, "%07o", 0u);
	{
		char num[32];
		snprintf(num, sizeof(num), "%011lo", (unsigned long)size & 077777777777ul);
		memcpy(h + 124, num, 12);
	}
	snprintf((char *)h + 136, 12, "%011lo", 0ul);
	memset(h + 148, ' ', 8);
	h[156] = dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	snprintf((char *)h + 265, 32, "root");
	snprintf((char *)h + 297, 32, "root");
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	gate_buf_add(b, (const char *)h, sizeof(h));
}

int gate_install_tar(const char *path, const char *const *hooks, const char *const *contents,
	size_t n)
{
	static const char zeros[1024];
	struct gate_buf b = GATE_BUF_INIT;
	size_t i;
	int ret;

	tar_header(&b, "custom_hooks/", 0, 1);
	for (i = 0; i < n; i++) {
		char *dir = gate_xasprintf("custom_hooks/%s.d/", hooks[i]);
		char *file = gate_xasprintf("custom_hooks/%s.d/gitops-gate", hooks[i]);
		size_t len = strlen(contents[i]);
		tar_header(&b, dir, 0, 1);
		tar_header(&b, file, len, 0);
		gate_buf_add(&b, contents[i], len);
		if (len % 512)
			gate_buf_add(&b, zeros, 512 - len % 512);
		free(dir);
		free(file);
	}
	gate_buf_add(&b, zeros, sizeof(zeros));
	ret = gate_write_file_atomic(path, b.ptr, b.len, 0644);
	gate_buf_release(&b);
	return ret;
}
