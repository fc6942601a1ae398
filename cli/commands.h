/*
 * commands: one entry point per subcommand of gitops-gate.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the exit
 * code.  Only these and main() touch the process: stdio, environment, exit.
 */
#ifndef GATE_COMMANDS_H
#define GATE_COMMANDS_H

int cmd_validate(int argc, char **argv);    /* cli/cmd_validate.c */
int cmd_hook(int argc, char **argv);        /* cli/cmd_hook.c: pre-receive, post-receive */
int cmd_install(int argc, char **argv);     /* cli/cmd_install.c */
int gate_post_receive_main(int argc, char **argv); /* cli/cmd_post_receive.c: hook post-receive */
int cmd_notify(int argc, char **argv);      /* cli/cmd_operate.c */
int cmd_status(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_rollforward(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);

#endif
