/*
 * replay: run a libFuzzer target's entry point over files without libFuzzer,
 * so that seeds and every crash once found stay regression tests in
 * `make check` (plain gcc, or under ASan/UBSan/valgrind builds).  TAP output.
 *   replay FILE|DIR...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gate/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

static void run_file(const char *path)
{
	char *buf;
	size_t len;

	if (gate_read_file(path, 64u << 20, &buf, &len) < 0) {
		printf("not ok %d - %s: cannot read\n", ++n, path);
		return;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
}

static void run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (stat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char *p;
		if (de->d_name[0] == '.')
			continue;
		p = gate_xasprintf("%s/%s", path, de->d_name);
		run_path(p);
		free(p);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("1..%d\n", n);
	return 0;
}
