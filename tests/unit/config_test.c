/*
 * config_test: configuration that would gate less than it says fails to
 * load (issue 10, item 10): malformed globs, gated_refs matching no branch
 * and no tag, empty files, links to nothing, named files missing; and the
 * keys groups and allow_submodules; and the globs underneath
 * (gate_glob_check(), gate_glob_may_match_under()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/config.h"
#include "gate/util.h"
#include "../tap.h"

static char tmp[512];
static const char *schema_dir;

/* Load text written to tmp/name (NULL: no file); 0 or -1 with msg. */
static int load(const char *name, const char *text, int required, struct gate_config **cfg,
	char *msg, size_t msgsize)
{
	struct gate_config_load_opts lo;
	char *p = gate_xasprintf("%s/%s", tmp, name);
	int rc;

	if (text && gate_write_file_atomic(p, text, strlen(text), 0644) < 0) {
		perror(p);
		exit(99);
	}
	memset(&lo, 0, sizeof(lo));
	lo.repo_path = p;
	lo.repo_required = required;
	lo.schema_dir = schema_dir;
	lo.git_dir = tmp;
	*msg = '\0';
	rc = gate_config_load(cfg, &lo, msg, msgsize);
	free(p);
	return rc;
}

static int fails_with(const char *name, const char *text, const char *needle)
{
	struct gate_config *cfg = NULL;
	char msg[1024];
	int rc = load(name, text, 0, &cfg, msg, sizeof(msg));

	gate_config_free(cfg);
	if (rc == 0 || !strstr(msg, needle))
		diag("%s: rc %d, msg %s", name, rc, msg);
	return rc < 0 && strstr(msg, needle) != NULL;
}

int main(void)
{
	const char *src = getenv("GATE_SRCDIR");
	struct gate_config *cfg = NULL;
	char why[256], msg[1024], *link, *sd;
	const char **g;
	size_t n;

	if (!src) {
		printf("1..0 # SKIP GATE_SRCDIR not set (run through make check)\n");
		return 0;
	}
	ok(gate_glob_check("refs/heads/**", why, sizeof(why)) == 0, "a good glob");
	ok(gate_glob_check("refs/heads/[main", why, sizeof(why)) < 0 && strstr(why, "unterminated"),
		"unterminated [: %s", why);
	ok(gate_glob_check("a/[]b", why, sizeof(why)) < 0, "empty bracket");
	ok(gate_glob_check("a\\", why, sizeof(why)) < 0, "lone backslash");
	ok(gate_glob_check("a/***", why, sizeof(why)) < 0, "***");
	ok(gate_glob_check("", why, sizeof(why)) < 0, "empty pattern");
	ok(gate_glob_check("refs/heads/[mM]ain", why, sizeof(why)) == 0, "a good bracket");
	ok(gate_glob_may_match_under("refs/heads/**", "refs/heads"), "** below");
	ok(gate_glob_may_match_under("refs/heads/main", "refs/heads"), "a literal below");
	ok(gate_glob_may_match_under("**", "refs/heads"), "** alone");
	ok(gate_glob_may_match_under("refs/*/main", "refs/heads"), "* for the namespace");
	ok(!gate_glob_may_match_under("refs/head/**", "refs/heads"), "refs/head/** is not below refs/heads");
	ok(!gate_glob_may_match_under("refs/*", "refs/heads"), "refs/* matches no branch");
	ok(!gate_glob_may_match_under("refs/heads", "refs/heads"), "the folder itself is not below it");
	ok(gate_glob_may_match_under("**/*.yaml", "apps/vendor"), "a manifest glob below any folder");
	ok(!gate_glob_may_match_under("apps/*.yaml", "apps/vendor"), "* does not cross /");

	schema_dir = sd = gate_xasprintf("%s/schemas", src);
	snprintf(tmp, sizeof(tmp), "%s/config-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 99;

	ok(fails_with("bad.yaml", "version: 1\ngated_refs: [\"refs/heads/[main\"]\n",
		"bad.yaml:2:14: invalid config: gated_refs[0]: unterminated '['"), "a bad gated_refs glob");
	ok(fails_with("typo.yaml", "version: 1\ngated_refs:\n  - refs/heads/main\n  - refs/head/**\n",
		"typo.yaml:4:5: invalid config: gated_refs[1]: matches no branch"), "a typo in gated_refs");
	ok(fails_with("inc.yaml", "version: 1\nmanifests: {exclude: [\"[x\"]}\n",
		"manifests.exclude[0]: unterminated"), "a bad exclude glob");
	ok(fails_with("sch.yaml", "version: 1\nschemas:\n  - paths: [\"a/***\"]\n",
		"schemas[0].paths[0]: '***'"), "a bad schemas path glob");
	ok(fails_with("empty.yaml", "", "empty.yaml: config file is empty"), "an empty file");
	ok(fails_with("comments.yaml", "# version: 1\n\n# nothing else\n", "config file is empty"),
		"a file of comments only");
	link = gate_xasprintf("%s/link.yaml", tmp);
	{
		char *target = gate_xasprintf("%s/gone.yaml", tmp);
		ok(symlink(target, link) == 0, "make a dangling link");
		free(target);
	}
	ok(fails_with("link.yaml", NULL, "link.yaml: config file is a symbolic link to a missing file"),
		"a link to nothing");
	ok(load("absent.yaml", NULL, 0, &cfg, msg, sizeof(msg)) == 0, "an absent file not named: defaults");
	gate_config_free(cfg);
	cfg = NULL;
	ok(load("absent.yaml", NULL, 1, &cfg, msg, sizeof(msg)) < 0 &&
		strstr(msg, "absent.yaml: config file named but missing"), "a named file missing: %s", msg);
	gate_config_free(cfg);
	cfg = NULL;

	ok(load("good.yaml", "version: 1\ngroups: {platform: [alice, bob], ops: [bob]}\n"
		"allow_submodules: true\nmanifests: {exclude: [\"vendor/**\"]}\n", 0, &cfg, msg, sizeof(msg)) == 0,
		"groups and allow_submodules load: %s", msg);
	g = gate_config_groups_of(cfg, "bob", &n);
	ok(n == 2 && g && !strcmp(g[0], "platform") && !strcmp(g[1], "ops"), "bob is in platform and ops");
	free(g);
	g = gate_config_groups_of(cfg, "carol", &n);
	ok(n == 0 && !g, "carol is in none");
	ok(gate_config_allow_submodules(cfg), "allow_submodules read");
	ok(gate_config_dir_may_hold_manifests(cfg, "apps/vendor"), "manifests may lie under apps/vendor");
	ok(!gate_config_dir_may_hold_manifests(cfg, "vendor/lib"), "not under an excluded folder");
	gate_config_free(cfg);
	cfg = NULL;
	ok(load("dflt.yaml", "version: 1\n", 0, &cfg, msg, sizeof(msg)) == 0 &&
		!gate_config_allow_submodules(cfg), "allow_submodules is off by default");
	gate_config_free(cfg);

	unlink(link);
	free(link);
	{
		char *cmd = gate_xasprintf("rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			diag("could not remove %s", tmp);
		free(cmd);
	}
	free(sd);
	return tap_done();
}
