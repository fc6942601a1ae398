/*
 * gitops-gate: dispatch to a subcommand.  All logic lives in libgate.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "validate", cmd_validate, "validate Kubernetes manifests (a drop-in for kubeconform)" },
	{ "render", cmd_render, "print what kustomize builds from a folder (native kustomize)" },
	{ "hook", cmd_hook, "run as a git hook: pre-receive (the gate), post-receive" },
	{ "install", cmd_install, "install the hooks into a repository" },
	{ "notify", cmd_notify, "notify --drain: send the queued notifications; --test: ask each receiver" },
	{ "status", cmd_status, "desired revision per accepted ref, pending and dead notifications" },
	{ "rollback", cmd_rollback, "move an accepted ref back to an earlier accepted commit" },
	{ "rollforward", cmd_rollforward, "move an accepted ref to its newest accepted commit" },
	{ "reconcile", cmd_reconcile, "repair the record of accepted revisions after a crash" },
	{ "extract", cmd_extract, "extract crd: JSON schemas from CustomResourceDefinitions" },
	{ "check-config", cmd_check_config, "check the server configuration (receivers, tokens, URLs)" },
	{ NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: gitops-gate <command> [<args>]\n\ncommands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\n'gitops-gate <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("gitops-gate %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2) {
			for (c = commands; c->name; c++)
				if (!strcmp(c->name, argv[2])) {
					char *help[] = { argv[2], (char *)"--help", NULL };
					return c->fn(2, help);
				}
		}
		usage(stdout);
		return 0;
	}
	for (c = commands; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
