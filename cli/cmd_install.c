/*
 * gitops-gate install REPO.git: put the hook wrappers in place.
 *
 * Layouts:
 *   plain   <hooks>/pre-receive and <hooks>/post-receive, where <hooks> is
 *           core.hooksPath when the repository sets it (relative to the git
 *           dir of a bare repository, to the work tree otherwise), else
 *           $GIT_DIR/hooks.  A hook that is already there and is not ours is
 *           kept as <name>.chained-<n> (the first free n) and our wrapper
 *           runs every <name>.chained-1, -2, ... first with the same standard
 *           input; for pre-receive, a chained hook that fails rejects the push.
 *           --force replaces a foreign hook instead.
 *   gitlab  $GIT_DIR/custom_hooks/<name>.d/gitops-gate, or with --tar FILE
 *           (no REPO needed) the same files in a tar archive for GitLab
 *           15.11+'s `gitaly hooks set` (cli/install_tar.c)
 *   gitea   $GIT_DIR/hooks/<name>.d/gitops-gate
 *           (these servers run every file of <name>.d themselves; a foreign
 *           file named gitops-gate there is replaced only with --force).
 *
 * The wrapper execs this program by absolute path.  Installing again with
 * the same result changes nothing ("already installed").  install also sets
 * receive.advertisePushOptions (for -o gitops-gate.bypass=...) and writes a
 * commented default $GIT_DIR/gitops-gate.yaml when there is none, so the
 * configuration is easy to find (--no-config skips it).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "gate/config.h"
#include "gate/repo.h"
#include "gate/util.h"

#define MARKER "# gitops-gate hook wrapper"

enum layout { LAYOUT_PLAIN, LAYOUT_GITLAB, LAYOUT_GITEA };

static const char default_config[] =
	"# gitops-gate server configuration (validated against config.schema.json).\n"
	"# Never read from pushed commits.  Every key is optional; the defaults are shown.\n"
	"version: 1\n"
	"# gated_refs: [\"refs/heads/**\"]          # refs whose new commits are judged\n"
	"# manifests:\n"
	"#   include: [\"**/*.yaml\", \"**/*.yml\", \"**/*.json\"]\n"
	"#   exclude: []\n"
	"# schemas:                                # first entry matching a path wins\n"
	"#   - paths: [\"**\"]\n"
	"#     kubernetes_version: master\n"
	"#     locations: [catalog]                # the built-in catalog; or kubeconform templates, paths\n"
	"#     strict: false\n"
	"#     ignore_missing_schemas: false\n"
	"#     skip_kinds: []\n"
	"#     reject_kinds: []\n"
	"# offline: true                           # never download schemas during a push\n"
	"# limits: {max_blob_bytes: 4194304, max_commits: 10000, max_problems_shown: 50, time_budget_ms: 4000}\n"
	"# refs: {allow_delete: false, allow_non_fast_forward: false, gate_tags: false}\n"
	"# bypass: {allowed: []}                   # who may push with -o gitops-gate.bypass=<reason>\n"
	"# accepted: {prefix: \"refs/heads/gitops/accepted/\"}\n";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gitops-gate install REPO.git [--layout plain|gitlab|gitea] [--force]\n"
		"                           [--schema-dir DIR] [--no-config]\n"
		"       gitops-gate install --layout gitlab --tar FILE [--schema-dir DIR]\n"
		"\n"
		"Writes pre-receive and post-receive hooks that run gitops-gate.\n"
		"  --layout       plain (hooks/ or core.hooksPath), gitlab (custom_hooks/*.d),\n"
		"                 gitea (hooks/*.d); default plain\n"
		"  --force        replace a hook that is not ours instead of chaining it\n"
		"  --schema-dir   the wrappers export GATE_SCHEMA_DIR=DIR (an uninstalled build)\n"
		"  --no-config    do not write a default gitops-gate.yaml\n"
		"  --tar FILE     write the gitlab hooks as a tar for `gitaly hooks set` instead:\n"
		"                 gitaly hooks set --storage S --repository R --config C < FILE\n");
}

/* Append s single-quoted for sh. */
static void add_quoted(struct gate_buf *b, const char *s)
{
	gate_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			gate_buf_adds(b, "'\\''");
		else
			gate_buf_addc(b, *s);
	}
	gate_buf_addc(b, '\'');
}

static char *wrapper(enum layout lay, const char *hook, const char *exe, const char *schema_dir)
{
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_addf(&b, "#!/bin/sh\n" MARKER " (%s): written by `gitops-gate install`; "
		"install again to update.\n", hook);
	if (schema_dir) {
		gate_buf_adds(&b, "GATE_SCHEMA_DIR=");
		add_quoted(&b, schema_dir);
		gate_buf_adds(&b, "\nexport GATE_SCHEMA_DIR\n");
	}
	if (lay == LAYOUT_PLAIN) {
		gate_buf_addf(&b,
			"# Hooks found here before are kept as %s.chained-<n>; they run first, with the same input.\n"
			"dir=$(dirname \"$0\")\n"
			"if [ -f \"$dir/%s.chained-1\" ]; then\n"
			"\tinput=$(cat; echo x)\n"
			"\tinput=${input%%x}\n"
			"\tn=1\n"
			"\twhile [ -f \"$dir/%s.chained-$n\" ]; do\n"
			"\t\tprintf '%%s' \"$input\" | \"$dir/%s.chained-$n\" \"$@\" || %s\n"
			"\t\tn=$((n + 1))\n"
			"\tdone\n"
			"\tprintf '%%s' \"$input\" | exec ",
			hook, hook, hook, hook,
			!strcmp(hook, "pre-receive") ? "exit $?" : "echo \"warning: $dir/post-receive.chained-$n failed\" >&2");
		add_quoted(&b, exe);
		gate_buf_addf(&b, " hook %s\nfi\nexec ", hook);
	} else {
		gate_buf_adds(&b, "exec ");
	}
	add_quoted(&b, exe);
	gate_buf_addf(&b, " hook %s\n", hook);
	return gate_buf_detach(&b);
}

static int file_has(const char *path, const char *content, int *exists, int *ours)
{
	char *buf = NULL;
	size_t len = 0;
	int same;

	*exists = *ours = 0;
	if (gate_read_file(path, 1u << 20, &buf, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		*exists = 1;
		return 0;
	}
	*exists = 1;
	*ours = strstr(buf, MARKER) != NULL;
	same = len == strlen(content) && !memcmp(buf, content, len);
	free(buf);
	return same;
}

static int write_hook(const char *path, const char *content)
{
	if (gate_write_file_atomic(path, content, strlen(content), 0755) < 0)
		return -1;
	return chmod(path, 0755);
}

static int install_one(enum layout lay, const char *dir, const char *hook, const char *exe,
	const char *schema_dir, int force)
{
	char *path, *content = wrapper(lay, hook, exe, schema_dir);
	int exists, ours, ret = 1;

	if (lay == LAYOUT_PLAIN)
		path = gate_xasprintf("%s/%s", dir, hook);
	else
		path = gate_xasprintf("%s/%s.d/gitops-gate", dir, hook);
	{
		char *parent = gate_xstrdup(path);
		*strrchr(parent, '/') = '\0';
		if (gate_mkdir_p(parent, 0777) < 0) {
			fprintf(stderr, "error: cannot create %s: %s\n", parent, strerror(errno));
			free(parent);
			goto done;
		}
		free(parent);
	}
	if (file_has(path, content, &exists, &ours)) {
		printf("%s: already installed\n", path);
		ret = 0;
		goto done;
	}
	if (exists && !ours && !force) {
		char *chained = NULL;
		int n;
		if (lay != LAYOUT_PLAIN) {
			fprintf(stderr, "error: %s exists and was not written by gitops-gate; "
				"use --force to replace it\n", path);
			goto done;
		}
		for (n = 1; n < 1000; n++) {
			struct stat st;
			free(chained);
			chained = gate_xasprintf("%s/%s.chained-%d", dir, hook, n);
			if (lstat(chained, &st) < 0 && errno == ENOENT)
				break;
		}
		if (n == 1000 || rename(path, chained) < 0) {
			fprintf(stderr, "error: cannot keep the existing %s as %s: %s\n", path,
				chained, strerror(errno));
			free(chained);
			goto done;
		}
		printf("%s: existing hook kept as %s, run first\n", path, chained);
		free(chained);
	}
	if (write_hook(path, content) < 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		goto done;
	}
	printf("%s: %s\n", path, exists ? (ours ? "updated" : "installed") : "installed");
	ret = 0;
done:
	free(content);
	free(path);
	return ret;
}

/* Where hooks go for the plain layout: core.hooksPath or $GIT_DIR/hooks (new string). */
static char *hooks_dir(struct gate_repo *repo)
{
	git_repository *g = gate_repo_git(repo);
	git_config *cfg = NULL;
	git_buf val = { NULL, 0, 0 };
	char *dir = NULL;

	if (git_repository_config_snapshot(&cfg, g) == 0 &&
	    git_config_get_string_buf(&val, cfg, "core.hooksPath") == 0 && val.ptr && *val.ptr) {
		if (val.ptr[0] == '/')
			dir = gate_xstrdup(val.ptr);
		else if (val.ptr[0] == '~' && val.ptr[1] == '/' && getenv("HOME"))
			dir = gate_xasprintf("%s/%s", getenv("HOME"), val.ptr + 2);
		else if (git_repository_is_bare(g) || !git_repository_workdir(g))
			dir = gate_xasprintf("%s/%s", gate_repo_git_dir(repo), val.ptr);
		else
			dir = gate_xasprintf("%s%s", git_repository_workdir(g), val.ptr);
	}
	git_error_clear();
	git_buf_dispose(&val);
	git_config_free(cfg);
	if (!dir)
		dir = gate_xasprintf("%s/hooks", gate_repo_git_dir(repo));
	return dir;
}

static int set_push_options(struct gate_repo *repo)
{
	git_config *cfg = NULL;
	int on = 0, ret = 0;

	if (git_repository_config(&cfg, gate_repo_git(repo)) < 0)
		return -1;
	if (git_config_get_bool(&on, cfg, "receive.advertisePushOptions") < 0 || !on) {
		git_error_clear();
		ret = git_config_set_bool(cfg, "receive.advertisePushOptions", 1);
		if (ret == 0)
			printf("receive.advertisePushOptions: set to true (for -o gitops-gate.bypass=...)\n");
	}
	git_config_free(cfg);
	return ret;
}

/* install --tar: the wrappers in an archive for `gitaly hooks set`; the exit code. */
static int write_tar(const char *tar, enum layout lay, const char *exe, const char *schema_dir)
{
	const char *hooks[] = { "pre-receive", "post-receive" };
	char *content[2];
	int ret;

	content[0] = wrapper(lay, hooks[0], exe, schema_dir);
	content[1] = wrapper(lay, hooks[1], exe, schema_dir);
	ret = gate_install_tar(tar, hooks, (const char *const *)content, 2);
	if (ret < 0)
		fprintf(stderr, "error: cannot write %s: %s\n", tar, strerror(errno));
	else
		printf("%s: hooks for `gitaly hooks set` written\n", tar);
	free(content[0]);
	free(content[1]);
	return ret < 0 ? 1 : 0;
}

/* Does the executable hook file run every file of <hook>.d (Gitea's multiplexer)? */
static int runs_hook_dir(const char *git_dir, const char *hook)
{
	char *path = gate_xasprintf("%s/hooks/%s", git_dir, hook), *buf = NULL, *dname;
	size_t len = 0;
	int ok;

	ok = access(path, X_OK) == 0 && gate_read_file(path, 1u << 20, &buf, &len) == 0;
	dname = gate_xasprintf("%s.d", hook);
	ok = ok && (strstr(buf, "${hookname}.d") || strstr(buf, "$hookname.d") || strstr(buf, dname));
	free(dname);
	free(buf);
	free(path);
	return ok;
}

/*
 * The forge layouts put the hooks where only the forge's multiplexer runs
 * them: without it, "installed" would be a gate that never runs.  Gitea and
 * Forgejo: hooks/pre-receive and post-receive run every file of <hook>.d.
 * GitLab: Gitaly runs custom_hooks/; a repository of it has gitlab.fullpath
 * in its config (or lies under @hashed/).  Returns 0, or -1 (said).
 */
static int check_forge(enum layout lay, struct gate_repo *repo)
{
	const char *gd = gate_repo_git_dir(repo);

	if (lay == LAYOUT_GITEA) {
		if (runs_hook_dir(gd, "pre-receive") && runs_hook_dir(gd, "post-receive"))
			return 0;
		fprintf(stderr, "error: %s: not a Gitea/Forgejo repository: hooks/pre-receive and "
			"hooks/post-receive do not run the files of pre-receive.d/ and post-receive.d/, so the "
			"gate would never run (Gitea writes them; \"Resynchronize hooks\" in its admin panel "
			"restores them); for a plain repository use --layout plain\n", gd);
		return -1;
	}
	if (lay != LAYOUT_GITLAB)
		return 0;
	if (gate_repo_config_has(repo, "gitlab.fullpath") || strstr(gd, "/@hashed/"))
		return 0;
	fprintf(stderr, "error: %s: not a GitLab (Gitaly) repository: no gitlab.fullpath in its "
		"config and not under @hashed/, so nothing would run custom_hooks/ and the gate would "
		"never run; for a plain repository use --layout plain, for GitLab use --tar and "
		"gitaly hooks set\n", gd);
	return -1;
}

int cmd_install(int argc, char **argv)
{
	const char *path = NULL, *schema_dir = NULL, *tar = NULL;
	enum layout lay = LAYOUT_PLAIN;
	struct gate_repo *repo = NULL;
	char exe[PATH_MAX], msg[512], abs_schema[PATH_MAX];
	char *dir = NULL, *cfg_path = NULL;
	int i, force = 0, no_config = 0, ret = 1;
	ssize_t n;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "--no-config")) {
			no_config = 1;
		} else if (!strcmp(argv[i], "--layout") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "plain"))
				lay = LAYOUT_PLAIN;
			else if (!strcmp(argv[i], "gitlab"))
				lay = LAYOUT_GITLAB;
			else if (!strcmp(argv[i], "gitea"))
				lay = LAYOUT_GITEA;
			else {
				fprintf(stderr, "error: unknown layout '%s' (plain, gitlab or gitea)\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--schema-dir") && i + 1 < argc) {
			schema_dir = argv[++i];
		} else if (!strcmp(argv[i], "--tar") && i + 1 < argc) {
			tar = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (tar && (lay != LAYOUT_GITLAB || path)) {
		fprintf(stderr, "error: --tar goes with --layout gitlab and no repository\n");
		return 2;
	}
	if (!path && !tar) {
		usage(stderr);
		return 2;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "error: cannot find the path of this program: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	if (schema_dir) {
		if (!realpath(schema_dir, abs_schema)) {
			fprintf(stderr, "error: %s: %s\n", schema_dir, strerror(errno));
			return 1;
		}
		schema_dir = abs_schema;
	}
	if (tar)
		return write_tar(tar, lay, exe, schema_dir);
	if (gate_repo_open(&repo, path, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "error: %s: %s\n", path, msg);
		return 1;
	}
	if (check_forge(lay, repo) < 0)
		goto done;
	switch (lay) {
	case LAYOUT_PLAIN:
		dir = hooks_dir(repo);
		break;
	case LAYOUT_GITLAB:
		dir = gate_xasprintf("%s/custom_hooks", gate_repo_git_dir(repo));
		break;
	case LAYOUT_GITEA:
		dir = gate_xasprintf("%s/hooks", gate_repo_git_dir(repo));
		break;
	}
	if (install_one(lay, dir, "pre-receive", exe, schema_dir, force) ||
	    install_one(lay, dir, "post-receive", exe, schema_dir, force))
		goto done;
	if (set_push_options(repo) < 0) {
		gate_repo_error(msg, sizeof(msg), "cannot set receive.advertisePushOptions");
		fprintf(stderr, "error: %s\n", msg);
		goto done;
	}
	cfg_path = gate_xasprintf("%s/%s", gate_repo_git_dir(repo), GATE_CONFIG_FILE);
	if (!no_config && access(cfg_path, F_OK) < 0 && errno == ENOENT) {
		if (gate_write_file_atomic(cfg_path, default_config, sizeof(default_config) - 1, 0644) < 0) {
			fprintf(stderr, "error: cannot write %s: %s\n", cfg_path, strerror(errno));
			goto done;
		}
		printf("%s: default configuration written\n", cfg_path);
	}
	ret = 0;
done:
	free(cfg_path);
	free(dir);
	gate_repo_free(repo);
	return ret;
}
