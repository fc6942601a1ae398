/*
 * judge_int.h: the judge's own tree walk, visible to its unit test
 * (tests/unit/walk_test.c).  Private to the judge.
 */
#ifndef GATE_JUDGE_INT_H
#define GATE_JUDGE_INT_H

#include <stddef.h>
#include <git2.h>

#include "gate/repo.h"

/*
 * What commit changes against its first parent, as gate_repo_commit_changes()
 * reports it without deletions (renames as additions), or every entry of its
 * tree when whole_tree is set or it has no parent.  A subtree whose id did
 * not change is not read.  Entries come in the order of their full paths;
 * modes are normalised (git_tree_entry_filemode()).  Stops and returns fn's
 * value when it is not 0.
 */
int gate_judge_tree_changes(struct gate_repo *r, const git_oid *commit, int whole_tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

#endif
