/*
 * validate_find: the inputs of `gitops-gate validate`.  See validate_find.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gate/util.h"
#include "commands.h"
#include "process.h"
#include "validate_find.h"

#define MAX_WALK_DEPTH 256
#define MAX_INPUTS 1000000

void gate_cli_strv_push(struct strv *sv, const char *s)
{
	GATE_ALLOC_GROW(sv->v, sv->n + 1, sv->alloc);
	sv->v[sv->n++] = gate_xstrdup(s);
}

void gate_cli_strv_release(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* Split a comma list, dropping empty items (kubeconform's splitCSV). */
void gate_cli_strv_push_csv(struct strv *sv, const char *csv)
{
	const char *p = csv;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len) {
			char *item = gate_xstrndup(p, len);
			gate_cli_strv_push(sv, item);
			free(item);
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

static int has_ext(const char *name)
{
	size_t n = strlen(name);

	return (n >= 5 && !strcasecmp(name + n - 5, ".yaml")) ||
		(n >= 4 && !strcasecmp(name + n - 4, ".yml")) ||
		(n >= 5 && !strcasecmp(name + n - 5, ".json"));
}

static int ignored(struct finder *fd, const char *path)
{
	size_t i;

	for (i = 0; i < fd->nignore; i++)
		if (pcre2_match(fd->ignore[i], (PCRE2_SPTR)path, strlen(path), 0, 0, fd->md, NULL) >= 0)
			return 1;
	return 0;
}

static struct gate_input *add_input(struct finder *fd, const char *path)
{
	struct gate_input *in;

	GATE_ALLOC_GROW(fd->inputs, fd->n + 1, fd->alloc);
	GATE_ALLOC_GROW(fd->scan_only, fd->n + 1, fd->scan_alloc);
	fd->scan_only[fd->n] = 0;
	in = &fd->inputs[fd->n++];
	memset(in, 0, sizeof(*in));
	in->filename = gate_xstrdup(path);
	in->path = in->filename;
	return in;
}

/* An input that is only an error result (unreadable folder, missing file). */
static void add_error(struct finder *fd, const char *path, const char *what, int err)
{
	struct gate_input *in = add_input(fd, path);
	struct gate_result *r;

	in->path = NULL;
	r = gate_results_add(&in->results);
	r->filename = gate_xstrdup(path);
	r->status = GATE_STATUS_ERROR;
	r->msg = gate_xasprintf("%s: %s", what, strerror(err));
	in->error = -1;
}

/* Go's filepath.Join(dir, name) for the paths we build. */
static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '.')
		return gate_xstrdup(name);
	while (n >= 2 && dir[0] == '.' && dir[1] == '/') {
		dir += 2;
		n -= 2;
		while (n && dir[0] == '/') {
			dir++;
			n--;
		}
	}
	if (!n)
		return gate_xstrdup(name);
	if (n == 1 && dir[0] == '/')
		return gate_xasprintf("/%s", name);
	return gate_xasprintf("%.*s/%s", (int)n, dir, name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_git_dir(const char *path)
{
	const char *b = strrchr(path, '/');

	return !strcmp(b ? b + 1 : path, ".git");
}

int gate_cli_find_walk(struct finder *fd, const char *path, int is_root, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	struct strv names = { NULL, 0, 0 };
	size_t i;
	int error = 0;

	if ((is_root ? stat(path, &st) : lstat(path, &st)) < 0) {
		add_error(fd, path, "could not read", errno);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		/*
		 * With -policy every file is read, as the hook reads every
		 * pushed file: manifests are judged, the others (keys, .env,
		 * logs) scanned for secrets.  Links inside folders are not
		 * followed (lstat); only regular files are read.
		 */
		if ((!has_ext(path) && !(fd->all_files && S_ISREG(st.st_mode))) || ignored(fd, path))
			return 0;
		if (fd->n >= MAX_INPUTS) {
			fprintf(stderr, "error: more than %d files to validate\n", MAX_INPUTS);
			return -1;
		}
		add_input(fd, path);
		fd->scan_only[fd->n - 1] = !has_ext(path);
		return 0;
	}
	if (!is_root && fd->all_files && is_git_dir(path))
		return 0; /* a repository's own store is not content */
	if (depth > MAX_WALK_DEPTH) {
		add_error(fd, path, "folder nesting too deep", ELOOP);
		return 0;
	}
	if (!(d = opendir(path))) {
		add_error(fd, path, "could not open folder", errno);
		return 0;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			gate_cli_strv_push(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (i = 0; i < names.n && !error; i++) {
		char *p = join(path, names.v[i]);
		error = gate_cli_find_walk(fd, p, 0, depth + 1);
		free(p);
	}
	gate_cli_strv_release(&names);
	return error;
}

void gate_cli_find_release(struct finder *fd)
{
	size_t i;

	for (i = 0; i < fd->nignore; i++)
		pcre2_code_free(fd->ignore[i]);
	free(fd->ignore);
	pcre2_match_data_free(fd->md);
	free(fd->scan_only);
	for (i = 0; i < fd->n; i++) {
		free((char *)fd->inputs[i].filename);
		if (!fd->inputs[i].path && fd->inputs[i].buf)
			free((char *)fd->inputs[i].buf);
		gate_results_release(&fd->inputs[i].results);
	}
	free(fd->inputs);
}

int gate_cli_find_stdin(struct finder *fd, size_t max)
{
	struct gate_input *in;
	char *buf;
	size_t len;

	if (gate_cli_read_stdin(max, &buf, &len) < 0) {
		add_error(fd, "stdin", "could not read", errno);
		return 0;
	}
	in = add_input(fd, "stdin");
	in->path = NULL;
	in->buf = buf;
	in->len = len;
	return 0;
}

/* -render: the folder's kustomize build is the input, named after the folder */
void gate_cli_find_render(struct finder *fd, const char *dir)
{
	struct gate_buf out = GATE_BUF_INIT, err = GATE_BUF_INIT;
	struct gate_input *in;

	if (gate_cli_render(dir, 0, 0, &out, &err) < 0) {
		struct gate_result *r;

		in = add_input(fd, dir);
		in->path = NULL;
		r = gate_results_add(&in->results);
		r->filename = gate_xstrdup(dir);
		r->status = GATE_STATUS_ERROR;
		r->msg = gate_xasprintf("render: %s", err.ptr ? err.ptr : "failed");
		in->error = -1;
		gate_buf_release(&out);
		gate_buf_release(&err);
		return;
	}
	in = add_input(fd, dir);
	in->path = NULL;
	in->len = out.len;
	in->buf = out.ptr ? gate_buf_detach(&out) : gate_xstrdup("");
	gate_buf_release(&err);
}
