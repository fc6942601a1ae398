/*
 * check: `gitops-gate check-config`, a list of checks over the server
 * configuration, each reporting findings at file:line.
 *
 * A check is a function over one struct gate_check_input (the files, their
 * parsed documents for line numbers, the merged configuration) that appends
 * findings to a report.  Checks read the files the configuration names
 * (token files, CA bundles) but never the environment, and never print: the
 * command renders the report.  Add a check by adding a row to gate_checks
 * (check.c) or by calling gate_check_add() from a new check function.
 *
 * Levels: "error" (deliveries or pushes will fail), "warning" (works, but
 * likely not as intended), "ok" (what was checked and found right).
 */
#ifndef GATE_CHECK_H
#define GATE_CHECK_H

#include <stddef.h>
#include <jansson.h>

#include "gate/doc.h"

struct gate_check_finding {
	const char *level;  /* static: "error", "warning" or "ok" */
	char *file;         /* the file that sets key, or NULL */
	unsigned line;      /* 0 when unknown */
	char *key;          /* "clusters[0].receivers[1].token_file", or NULL */
	char *message;
};

struct gate_check_report {
	struct gate_check_finding *v;
	size_t n, alloc;
	size_t errors, warnings;
};
#define GATE_CHECK_REPORT_INIT { NULL, 0, 0, 0, 0 }
void gate_check_report_release(struct gate_check_report *r);

struct gate_check_input {
	const char *repo_path, *system_path;          /* may be NULL */
	const struct gate_doc *repo_doc, *system_doc; /* parsed files (borrowed); may be NULL */
	const json_t *config;     /* merged configuration (borrowed); NULL when it did not load */
	const char *load_error;   /* why it did not load, else NULL */
};

typedef void (*gate_check_fn)(const struct gate_check_input *in, struct gate_check_report *out);

struct gate_check {
	const char *name;  /* "config", "notify", ... */
	gate_check_fn fn;
};

/* Every check, in order, ending with { NULL, NULL }. */
extern const struct gate_check gate_checks[];

/* Run every check of gate_checks into out.  Returns the number of errors. */
size_t gate_check_run(const struct gate_check_input *in, struct gate_check_report *out);

/*
 * Append a finding about key (a dotted path with [i] indexes, or NULL): the
 * file and line are those of the deepest part of key found in the
 * repository's file, else the system file.
 */
void gate_check_add(struct gate_check_report *r, const struct gate_check_input *in,
	const char *level, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Run every check over the configuration files repo_path and system_path
 * (either may be NULL; read here for line numbers), as merged into config
 * (NULL with load_error when it did not load).  Returns the number of errors.
 */
size_t gate_check_files(const char *repo_path, const char *system_path, const json_t *config,
	const char *load_error, struct gate_check_report *out);

/* The notify settings: receivers' URLs, token files, CA bundles, html_url. */
void gate_check_notify(const struct gate_check_input *in, struct gate_check_report *out);

#endif
