/*
 * gitops-gate check-config: load the server configuration as the hooks do
 * and run every check of libgate's check list (include/gate/check.h), one
 * line per finding: "<level>: <file>:<line>: <key>: <message>".  Exit 1 when
 * an error was found, 0 otherwise (warnings included).
 *
 * Environment (as the hooks): GIT_DIR (else --git-dir or "."),
 * GATE_SCHEMA_DIR, GATE_SYSTEM_CONFIG ("" for none).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "gate/check.h"
#include "gate/config.h"
#include "gate/doc.h"
#include "gate/repo.h"
#include "gate/util.h"

static const char usage_text[] =
	"usage: gitops-gate check-config [--git-dir DIR] [--config FILE] [--quiet]\n"
	"\n"
	"Load the server configuration ($GIT_DIR/gitops-gate.yaml and the system file) as the\n"
	"hooks do and check it: receiver names (unique in their cluster; a warning for one\n"
	"format and URL twice), every receiver's URL, token file (readable, private, its bytes\n"
	"as they are, no final whitespace), CA bundle, notify.repository.html_url, and the globs\n"
	"(malformed ones, gated_refs that match no branch or tag).  A named file that is missing,\n"
	"a link to nothing or an empty file is an error.  One line\n"
	"per finding, with the file and line that set it; --quiet shows errors and warnings only.\n"
	"Exit 1 when there is an error.\n";

int cmd_check_config(int argc, char **argv)
{
	const char *git_dir = getenv("GIT_DIR"), *config_path = NULL;
	const char *schema_dir = getenv("GATE_SCHEMA_DIR"), *env = getenv("GATE_SYSTEM_CONFIG");
	const char *sys = GATE_CONFIG_SYSTEM_FILE;
	struct gate_check_report rep = GATE_CHECK_REPORT_INIT;
	struct gate_config_load_opts lo;
	struct stat st;
	struct gate_config *cfg = NULL;
	struct gate_repo *repo = NULL;
	char msg[1024], *repo_cfg = NULL;
	int i, quiet = 0, ret = 1;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--git-dir") && i + 1 < argc) {
			git_dir = argv[++i];
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config_path = argv[++i];
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else {
			fprintf(stderr, "error: unknown argument '%s'\n", argv[i]);
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (!git_dir || !*git_dir)
		git_dir = ".";
	if (!schema_dir || !*schema_dir)
		schema_dir = GATE_PKGDATADIR;
	if (env)
		sys = *env ? env : NULL;
	/* the default system file may be absent; a named one, or a link to nothing, is a finding */
	if (sys && !env && lstat(sys, &st) < 0)
		sys = NULL;
	if (gate_repo_open(&repo, git_dir, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "error: %s\n", msg);
		return 1;
	}
	memset(&lo, 0, sizeof(lo));
	lo.repo_required = config_path != NULL;
	lo.system_required = sys && env;
	if (!config_path)
		config_path = repo_cfg = gate_xasprintf("%s/%s", gate_repo_git_dir(repo), GATE_CONFIG_FILE);
	if (!lo.repo_required && lstat(config_path, &st) < 0 && errno == ENOENT)
		config_path = NULL;
	lo.system_path = sys;
	lo.repo_path = config_path;
	lo.schema_dir = schema_dir;
	lo.git_dir = gate_repo_git_dir(repo);
	if (gate_config_load(&cfg, &lo, msg, sizeof(msg)) < 0)
		gate_check_files(config_path, sys, NULL, msg, &rep);
	else
		gate_check_files(config_path, sys, gate_config_json(cfg), NULL, &rep);
	for (k = 0; k < rep.n; k++) {
		const struct gate_check_finding *f = &rep.v[k];
		struct gate_buf b = GATE_BUF_INIT;
		if (quiet && f->level[0] == 'o')
			continue;
		if (f->file)
			gate_buf_addf(&b, "%s:", f->file);
		if (f->file && f->line)
			gate_buf_addf(&b, "%u:", f->line);
		if (f->key)
			gate_buf_addf(&b, "%s%s:", b.len ? " " : "", f->key);
		printf("%s: %s%s%s\n", f->level, b.len ? b.ptr : "", b.len ? " " : "", f->message);
		gate_buf_release(&b);
	}
	printf("check-config: %zu error%s, %zu warning%s\n", rep.errors, rep.errors == 1 ? "" : "s",
		rep.warnings, rep.warnings == 1 ? "" : "s");
	ret = rep.errors ? 1 : 0;
	gate_check_report_release(&rep);
	gate_config_free(cfg);
	free(repo_cfg);
	gate_repo_free(repo);
	return ret;
}
