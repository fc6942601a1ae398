/*
 * gitops-gate render: print what `kubectl kustomize
 * --load-restrictor=LoadRestrictionsNone DIR` prints, from the native
 * renderer (validate/render_*.c) reading the files from disk.
 *
 *   gitops-gate render [--reorder legacy|none] [--skip-unreachable] DIR...
 *
 * Several folders print their streams one after another ("---" between
 * them), as consecutive kubectl runs would.  Exit status: 0 rendered, 1 a
 * build failed (the error on stderr, like kustomize's), 2 a command line
 * that cannot be used.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gate/render.h"
#include "gate/util.h"
#include "commands.h"

static const char usage_text[] =
"usage: gitops-gate render [--reorder legacy|none] [--skip-unreachable] DIR...\n"
"\n"
"Build the kustomization in DIR as kubectl kustomize does (with no load\n"
"restrictions) and print the YAML stream.\n"
"Several folders print their streams one after another, '---' between.\n"
"\n"
"  --reorder legacy   kustomize's default order (kinds first: Namespace,\n"
"                     CustomResourceDefinition, ServiceAccount, ...)\n"
"  --reorder none     input order (what Flux applies)\n"
"  --skip-unreachable skip remote resources, helm charts and plugins with a\n"
"                     warning instead of failing the build\n"
"\n"
"Remote resources, helmCharts and plugins are errors.  Exit status: 0\n"
"rendered, 1 the build failed, 2 a wrong command line.\n";

static int disk_read(void *payload, const char *path, char **buf, size_t *len)
{
	struct stat st;

	(void)payload;
	if (stat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? GATE_RENDER_ENOENT : -1;
	if (S_ISDIR(st.st_mode))
		return GATE_RENDER_EISDIR;
	if (gate_read_file(path, 64u << 20, buf, len) < 0)
		return errno == ENOENT ? GATE_RENDER_ENOENT : -1;
	return 0;
}

static void format_error(const char *dir, const struct gate_render_error *err,
	struct gate_buf *b)
{
	if (err->file[0]) {
		gate_buf_add_escaped(b, err->file, strlen(err->file));
		if (err->line)
			gate_buf_addf(b, ":%u:%u", err->line, err->col);
	} else {
		gate_buf_add_escaped(b, dir, strlen(dir));
	}
	gate_buf_adds(b, ": ");
	gate_buf_add_escaped(b, err->message, strlen(err->message));
}

int gate_cli_render(const char *dir, int order, unsigned flags, struct gate_buf *out,
	struct gate_buf *errmsg)
{
	struct gate_render_loader ldr = { disk_read, NULL };
	struct gate_render_options opts = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_error err;
	struct gate_render *r = NULL;
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		gate_buf_adds(errmsg, "must build at directory: not a valid directory: '");
		gate_buf_add_escaped(errmsg, dir, strlen(dir));
		gate_buf_adds(errmsg, "'");
		return -1;
	}
	opts.order = order;
	opts.flags = flags;
	if (gate_render_build(&r, dir, &ldr, &opts, &err) < 0) {
		format_error(dir, &err, errmsg);
		return -1;
	}
	if (gate_render_warning_count(r)) {
		size_t i;
		struct gate_buf w = GATE_BUF_INIT;

		for (i = 0; i < gate_render_warning_count(r); i++) {
			gate_buf_adds(&w, "warning: ");
			format_error(dir, gate_render_warning(r, i), &w);
			gate_buf_adds(&w, ": skipped\n");
		}
		fputs(w.ptr, stderr);
		gate_buf_release(&w);
	}
	gate_render_emit(r, out);
	gate_render_free(r);
	return 0;
}

int cmd_render(int argc, char **argv)
{
	struct gate_buf out = GATE_BUF_INIT, err = GATE_BUF_INIT;
	const char **dirs = gate_xcalloc((size_t)argc + 1, sizeof(*dirs));
	size_t ndirs = 0, i;
	int order = GATE_RENDER_ORDER_LEGACY, ret = 0, a, dashdash = 0;
	unsigned flags = 0;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = NULL;

		if (dashdash || arg[0] != '-' || !arg[1]) {
			dirs[ndirs++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			dashdash = 1;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage_text, stdout);
			free(dirs);
			return 0;
		}
		if (!strcmp(arg, "--skip-unreachable")) {
			flags |= GATE_RENDER_SKIP_UNREACHABLE;
			continue;
		}
		if (!strcmp(arg, "--reorder") || !strcmp(arg, "-reorder")) {
			if (++a >= argc) {
				fputs("error: --reorder needs a value (legacy or none)\n", stderr);
				free(dirs);
				return 2;
			}
			val = argv[a];
		} else if (!strncmp(arg, "--reorder=", 10)) {
			val = arg + 10;
		} else {
			fprintf(stderr, "error: unknown flag '%s'\n%s", arg, usage_text);
			free(dirs);
			return 2;
		}
		if (!strcmp(val, "legacy")) {
			order = GATE_RENDER_ORDER_LEGACY;
		} else if (!strcmp(val, "none")) {
			order = GATE_RENDER_ORDER_NONE;
		} else {
			fputs("error: --reorder must be legacy or none\n", stderr);
			free(dirs);
			return 2;
		}
	}
	if (!ndirs)
		dirs[ndirs++] = ".";
	for (i = 0; i < ndirs; i++) {
		size_t before = out.len;

		if (i && out.len)
			gate_buf_adds(&out, "---\n");
		if (gate_cli_render(dirs[i], order, flags, &out, &err) < 0) {
			out.len = before;
			if (out.ptr)
				out.ptr[before] = 0;
			fprintf(stderr, "error: %s\n", err.ptr);
			gate_buf_reset(&err);
			ret = 1;
		}
	}
	if (out.len && fwrite(out.ptr, 1, out.len, stdout) != out.len)
		ret = 1;
	if (fflush(stdout))
		ret = 1;
	gate_buf_release(&out);
	gate_buf_release(&err);
	free(dirs);
	return ret;
}
