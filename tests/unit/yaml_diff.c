/*
 * yaml_diff: the differential test of the native YAML scanner
 * (validate/yaml_scan.c) against libyaml, over real files.
 *
 *   yaml_diff [-declined] [-min-native PERCENT] LABEL=PATH[,PATH...]...
 *
 * Every .yaml, .yml and .json file under each PATH is split as gitops-gate
 * validate splits it, and every part parsed by libyaml alone, by the native
 * scanner alone and by the default path, in both duplicate-key modes (see
 * doc_compare.h).  One TAP line per LABEL: ok when no document differs; its
 * counts as a diagnostic.  -min-native: fail a LABEL whose share of
 * documents taken by the native scanner is below PERCENT.  -declined: name
 * every part the native scanner gave up on (on stderr).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doc_compare.h"
#include "../tap.h"

static int wanted(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
		(n > 5 && !strcmp(name + n - 5, ".json"));
}

static void walk(struct dc_stats *st, const char *path, size_t *files)
{
	struct stat sb;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (!d)
			return;
		while ((e = readdir(d)) != NULL) {
			char sub[4096];
			if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			walk(st, sub, files);
		}
		closedir(d);
		return;
	}
	if (S_ISREG(sb.st_mode) && wanted(path)) {
		char *buf = NULL;
		size_t len = 0;
		if (gate_read_file(path, lim.max_bytes, &buf, &len) == 0) {
			(*files)++;
			dc_compare_file(st, buf, len, path, &lim);
		}
		free(buf);
	}
}

int main(int argc, char **argv)
{
	double min_native = -1;
	int i = 1, list = 0;

	if (argc > 1 && !strcmp(argv[1], "-declined")) {
		list = 1;
		argv++;
		argc--;
	}
	if (argc > 2 && !strcmp(argv[1], "-min-native")) {
		min_native = strtod(argv[2], NULL);
		i = 3;
	}
	for (; i < argc; i++) {
		struct dc_stats st;
		const char *eq = strchr(argv[i], '=');
		char label[256];
		size_t files = 0;
		double share;

		memset(&st, 0, sizeof(st));
		st.declined_to = list ? stderr : NULL;
		snprintf(label, sizeof(label), "%.*s", eq ? (int)(eq - argv[i]) : 0, argv[i]);
		{
			char *paths = strdup(eq ? eq + 1 : argv[i]), *one = paths, *comma;
			for (; one; one = comma ? comma + 1 : NULL) {
				if ((comma = strchr(one, ',')) != NULL)
					*comma = '\0';
				walk(&st, one, &files);
			}
			free(paths);
		}
		share = st.docs ? 100.0 * (double)st.native / (double)st.docs : 0;
		ok(st.differ == 0 && files > 0 && (min_native < 0 || share >= min_native),
			"%s: %zu files, %zu parses: %zu native (%.2f%%), %zu declined (%zu libyaml errors), %zu differ",
			label, files, st.docs, st.native, share, st.declined, st.errors, st.differ);
		if (st.first[0])
			diag("%s", st.first);
	}
	return tap_done();
}
