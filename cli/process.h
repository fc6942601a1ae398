/*
 * process: what the programs take from the process for the library, once
 * for every command: stdin (the hooks' ref updates, validate's "-"), the
 * pusher's identity (name and groups) and the build's identity.
 * Program layer only (reads stdin, the environment and /proc).
 *
 * Environment: the pusher's name from GL_USERNAME, GITEA_PUSHER_NAME,
 * GITHUB_USER_LOGIN or REMOTE_USER, else the Unix user; the groups from
 * GATE_PUSHER_GROUPS (comma separated), else, when no hosting identity is
 * set, the Unix groups of the account running the hook.
 */
#ifndef GATE_CLI_PROCESS_H
#define GATE_CLI_PROCESS_H

#include <stddef.h>

#include "gate/judge.h"

#define GATE_CLI_MAX_STDIN (16u << 20)

/*
 * Read all of stdin (at most max bytes; the hooks' ref updates:
 * GATE_CLI_MAX_STDIN) into a new NUL-terminated buffer (caller frees).
 * Returns 0, or -1 with errno (EFBIG when over the bound).
 */
int gate_cli_read_stdin(size_t max, char **out, size_t *len);

/* The pusher (static storage, computed on the first call). */
const struct gate_pusher *gate_cli_pusher(void);

/*
 * 1 when running as a GitLab server hook: Gitaly sets GL_ID, GL_PROTOCOL and
 * GL_REPOSITORY for every hook it runs (doc/administration/server_hooks.md).
 */
int gate_cli_under_gitlab(void);

/* The build's identity: version plus the program file, so a rebuilt engine re-judges. */
void gate_cli_engine_id(char *buf, size_t size);

#endif
