/*
 * commands: one entry point per subcommand of gitops-gate.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the exit
 * code.  Only these and main() touch the process: stdio, environment, exit.
 */
#ifndef GATE_COMMANDS_H
#define GATE_COMMANDS_H

#include <stddef.h>

int cmd_validate(int argc, char **argv);    /* cli/cmd_validate.c */
int cmd_render(int argc, char **argv);      /* cli/cmd_render.c */
int cmd_hook(int argc, char **argv);        /* cli/cmd_hook.c: pre-receive, post-receive */
int cmd_install(int argc, char **argv);     /* cli/cmd_install.c */
int gate_post_receive_main(int argc, char **argv); /* cli/cmd_post_receive.c: hook post-receive */
int cmd_notify(int argc, char **argv);      /* cli/cmd_operate.c */
int cmd_status(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_rollforward(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_extract(int argc, char **argv);     /* cli/cmd_extract.c: extract crd */

/*
 * The built-in schema catalog's folder (GATE_CATALOG_DIR, else
 * $GATE_SCHEMA_DIR/catalog, $(pkgdatadir)/catalog, the build tree's); it may
 * not exist (the store then says so).  Borrowed, valid for the process.
 */
const char *gate_cli_catalog_dir(void);  /* cli/catalog_dir.c */

struct gate_buf;
/*
 * Render the kustomization in dir from disk and append the YAML stream to
 * out (cli/cmd_render.c); flags are GATE_RENDER_* (what was skipped is
 * printed as warnings).  Returns 0, or -1 with a one-line message
 * ("file:line:col: what", escaped) appended to errmsg.
 */
int gate_cli_render(const char *dir, int order, unsigned flags, struct gate_buf *out,
	struct gate_buf *errmsg);
int cmd_check_config(int argc, char **argv); /* cli/cmd_check_config.c */
/* Write hooks[i] (contents[i]) as custom_hooks/<hook>.d/gitops-gate in a tar (cli/install_tar.c). */
int gate_install_tar(const char *path, const char *const *hooks, const char *const *contents,
	size_t n);
/* notify --test (cli/cmd_notify_test.c); git_dir, config, cluster may be NULL. */
int cmd_notify_test(const char *git_dir, const char *config, const char *cluster);

#endif
