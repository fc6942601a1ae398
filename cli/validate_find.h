/*
 * validate_find: what `gitops-gate validate` judges: the files and folders
 * of its command line (folders walked in name order), stdin and -render
 * builds, each one struct gate_input; plus the small string vector of its
 * flags.  Program layer (reads the disk and stdin).
 */
#ifndef GATE_CLI_VALIDATE_FIND_H
#define GATE_CLI_VALIDATE_FIND_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gate/engine.h"
#include "gate/result.h"

struct strv {
	char **v;
	size_t n, alloc;
};

void gate_cli_strv_push(struct strv *sv, const char *s);
void gate_cli_strv_release(struct strv *sv);
/* Split a comma list, dropping empty items (kubeconform's splitCSV). */
void gate_cli_strv_push_csv(struct strv *sv, const char *csv);

/* The inputs found so far; release with gate_cli_find_release(). */
struct finder {
	pcre2_code **ignore;
	size_t nignore;
	pcre2_match_data *md;
	struct gate_input *inputs;
	size_t n, alloc;
	struct gate_results errors; /* discovery errors, each tied to an input slot */
	int all_files;              /* -policy: every file is scanned for secrets */
	char *scan_only;            /* per input: not a manifest, only scanned */
	size_t scan_alloc;
};

/*
 * Add path: a file (when it is a manifest by name, or any regular file with
 * all_files), or a folder walked recursively (depth: 0 for a command-line
 * argument).  An unreadable path becomes an input holding an error result.
 * Returns 0, or -1 (message printed) when there are too many files.
 */
int gate_cli_find_walk(struct finder *fd, const char *path, int is_root, int depth);
/* Add stdin, read whole (at most max bytes); an unreadable stdin is an error result. */
int gate_cli_find_stdin(struct finder *fd, size_t max);
/* -render: the kustomize build of dir is one input named after the folder. */
void gate_cli_find_render(struct finder *fd, const char *dir);
void gate_cli_find_release(struct finder *fd);

#endif
