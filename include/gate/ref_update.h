/*
 * ref_update: one ref update of a push, the one structure that carries it
 * from the hook's stdin through judging, the hand-over, recording and
 * notification (as git carries one struct command through receive-pack and
 * both hooks): ids parsed once, their hex kept beside them.
 */
#ifndef GATE_REF_UPDATE_H
#define GATE_REF_UPDATE_H

#include <stddef.h>
#include <git2.h>

#include "gate/repo.h"

#define GATE_REF_UPDATE_MAX 10000 /* ref updates in one push */
#define GATE_REF_MAX 1024         /* bytes of a ref name */

/* One "<old> <new> <ref>" line of a hook's stdin. */
struct gate_ref_update {
	char *ref;
	git_oid old_id, new_id;
	int old_zero, new_zero;               /* creation / deletion */
	char old_hex[GIT_OID_HEXSZ + 1];      /* the ids as given, lowercase hex */
	char new_hex[GIT_OID_HEXSZ + 1];
};

/*
 * Parse a hook's stdin (every line "<old-hex> <new-hex> <ref>").  *out is a
 * new array (release with gate_ref_updates_free()).  Returns 0, or -1 with a
 * message for a malformed line (its number and escaped text).
 */
int gate_ref_updates_parse(struct gate_repo *repo, const char *input, size_t len,
	struct gate_ref_update **out, size_t *n, char *msg, size_t msgsize);
void gate_ref_updates_free(struct gate_ref_update *u, size_t n);

/*
 * Fill u from a ref name and two hex ids kept elsewhere (a hand-over file).
 * u->ref is a new string (release with gate_ref_update_release()).  Returns
 * 0, or -1 when an id is not one this repository can use or ref is too long.
 */
int gate_ref_update_init(struct gate_ref_update *u, struct gate_repo *repo, const char *ref,
	const char *old_hex, const char *new_hex);
void gate_ref_update_release(struct gate_ref_update *u);

#endif
