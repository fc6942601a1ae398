/*
 * git_dl: libgit2, loaded on first use.  gitops-gate does not link libgit2:
 * loading it and the libraries it needs (mbedTLS, libssh2, http-parser, ...)
 * costs about 2.5 ms at every process start, while `render`, `validate` and
 * `extract` never read a repository.  hooks/git_dl.c defines every libgit2
 * function the gate calls (same names and prototypes as <git2.h>, checked by
 * the compiler); each forwards to libgit2, which is dlopen()ed once, by the
 * first call.  Callers keep calling libgit2 as usual.
 *
 * gate_repo_open() calls gate_git_load() first, so a missing libgit2 is an
 * ordinary error of the command that needs a repository.  A libgit2 call
 * made before any gate_git_load() when the library cannot be loaded ends the
 * process with "fatal: cannot load libgit2: ..." and status 128, as a missing
 * linked library would at start-up (and as running out of memory does,
 * util.h).
 */
#ifndef GATE_GIT_DL_H
#define GATE_GIT_DL_H

#include <stddef.h>

/*
 * Loads libgit2 once per process (thread-safe; later calls return the first
 * outcome).  Returns 0, or -1 with err saying what is missing.
 */
int gate_git_load(char *err, size_t errsize);

#endif
