/*
 * git_dl: the libgit2 functions the gate calls, each forwarding to libgit2
 * loaded at the first call (see include/gate/git_dl.h).  The list is every
 * git_* function named in cli/, hooks/ and validate/: a call to a function
 * missing here is a link error (the program does not link libgit2), so the
 * list cannot silently fall behind the code.  Prototypes as in libgit2 1.5's
 * headers; <git2.h> is included, so a prototype that differs does not
 * compile.
 */
#include "config.h"
#include "gate/git_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#ifndef GATE_LIBGIT2_SONAME
#define GATE_LIBGIT2_SONAME "libgit2.so.1.5"
#endif

/* GATE_GIT_FN(return type, name, (parameters), (arguments)); GATE_GIT_VOID without a result */
#define GATE_GIT_FUNCTIONS \
	GATE_GIT_FN(int, git_blob_create_from_buffer, (git_oid *id, git_repository *repo, const void *buffer, size_t len), (id, repo, buffer, len)) \
	GATE_GIT_VOID(git_blob_free, (git_blob *blob), (blob)) \
	GATE_GIT_FN(int, git_blob_lookup, (git_blob **blob, git_repository *repo, const git_oid *id), (blob, repo, id)) \
	GATE_GIT_FN(const void *, git_blob_rawcontent, (const git_blob *blob), (blob)) \
	GATE_GIT_FN(git_object_size_t, git_blob_rawsize, (const git_blob *blob), (blob)) \
	GATE_GIT_FN(int, git_commit_create, (git_oid *id, git_repository *repo, const char *update_ref, const git_signature *author, const git_signature *committer, const char *message_encoding, const char *message, const git_tree *tree, size_t parent_count, const git_commit *parents[]), (id, repo, update_ref, author, committer, message_encoding, message, tree, parent_count, parents)) \
	GATE_GIT_FN(int, git_error_set_str, (int error_class, const char *string), (error_class, string)) \
	GATE_GIT_VOID(git_note_free, (git_note *note), (note)) \
	GATE_GIT_FN(const char *, git_note_message, (const git_note *note), (note)) \
	GATE_GIT_FN(int, git_note_read, (git_note **out, git_repository *repo, const char *notes_ref, const git_oid *oid), (out, repo, notes_ref, oid)) \
	GATE_GIT_FN(git_object_t, git_odb_object_type, (git_odb_object *object), (object)) \
	GATE_GIT_FN(int, git_odb_write, (git_oid *out, git_odb *odb, const void *data, size_t len, git_object_t type), (out, odb, data, len, type)) \
	GATE_GIT_FN(int, git_tree_create_updated, (git_oid *out, git_repository *repo, git_tree *baseline, size_t nupdates, const git_tree_update *updates), (out, repo, baseline, nupdates, updates)) \
	GATE_GIT_VOID(git_buf_dispose, (git_buf *buffer), (buffer)) \
	GATE_GIT_FN(const git_signature *, git_commit_author, (const git_commit *commit), (commit)) \
	GATE_GIT_FN(const git_signature *, git_commit_committer, (const git_commit *commit), (commit)) \
	GATE_GIT_VOID(git_commit_free, (git_commit *commit), (commit)) \
	GATE_GIT_FN(const git_oid *, git_commit_id, (const git_commit *commit), (commit)) \
	GATE_GIT_FN(int, git_commit_lookup, (git_commit **commit, git_repository *repo, const git_oid *id), (commit, repo, id)) \
	GATE_GIT_FN(const char *, git_commit_message, (const git_commit *commit), (commit)) \
	GATE_GIT_FN(int, git_commit_parent, (git_commit **out, const git_commit *commit, unsigned int n), (out, commit, n)) \
	GATE_GIT_FN(const git_oid *, git_commit_parent_id, (const git_commit *commit, unsigned int n), (commit, n)) \
	GATE_GIT_FN(unsigned int, git_commit_parentcount, (const git_commit *commit), (commit)) \
	GATE_GIT_FN(git_time_t, git_commit_time, (const git_commit *commit), (commit)) \
	GATE_GIT_FN(int, git_commit_tree, (git_tree **tree_out, const git_commit *commit), (tree_out, commit)) \
	GATE_GIT_FN(const git_oid *, git_commit_tree_id, (const git_commit *commit), (commit)) \
	GATE_GIT_VOID(git_config_entry_free, (git_config_entry *entry), (entry)) \
	GATE_GIT_VOID(git_config_free, (git_config *cfg), (cfg)) \
	GATE_GIT_FN(int, git_config_get_bool, (int *out, const git_config *cfg, const char *name), (out, cfg, name)) \
	GATE_GIT_FN(int, git_config_get_entry, (git_config_entry **out, const git_config *cfg, const char *name), (out, cfg, name)) \
	GATE_GIT_FN(int, git_config_get_string_buf, (git_buf *out, const git_config *cfg, const char *name), (out, cfg, name)) \
	GATE_GIT_FN(int, git_config_set_bool, (git_config *cfg, const char *name, int value), (cfg, name, value)) \
	GATE_GIT_VOID(git_diff_free, (git_diff *diff), (diff)) \
	GATE_GIT_FN(const git_diff_delta *, git_diff_get_delta, (const git_diff *diff, size_t idx), (diff, idx)) \
	GATE_GIT_FN(size_t, git_diff_num_deltas, (const git_diff *diff), (diff)) \
	GATE_GIT_FN(int, git_diff_options_init, (git_diff_options *opts, unsigned int version), (opts, version)) \
	GATE_GIT_FN(int, git_diff_tree_to_tree, (git_diff **diff, git_repository *repo, git_tree *old_tree, git_tree *new_tree, const git_diff_options *opts), (diff, repo, old_tree, new_tree, opts)) \
	GATE_GIT_VOID(git_error_clear, (void), ()) \
	GATE_GIT_FN(const git_error *, git_error_last, (void), ()) \
	GATE_GIT_FN(int, git_graph_descendant_of, (git_repository *repo, const git_oid *commit, const git_oid *ancestor), (repo, commit, ancestor)) \
	GATE_GIT_FN(int, git_libgit2_features, (void), ()) \
	GATE_GIT_FN(int, git_libgit2_init, (void), ()) \
	GATE_GIT_FN(int, git_libgit2_shutdown, (void), ()) \
	GATE_GIT_FN(int, git_note_create, (git_oid *out, git_repository *repo, const char *notes_ref, const git_signature *author, const git_signature *committer, const git_oid *oid, const char *note, int force), (out, repo, notes_ref, author, committer, oid, note, force)) \
	GATE_GIT_VOID(git_object_free, (git_object *object), (object)) \
	GATE_GIT_FN(const git_oid *, git_object_id, (const git_object *obj), (obj)) \
	GATE_GIT_FN(int, git_object_lookup, (git_object **object, git_repository *repo, const git_oid *id, git_object_t type), (object, repo, id, type)) \
	GATE_GIT_FN(int, git_object_peel, (git_object **peeled, const git_object *object, git_object_t target_type), (peeled, object, target_type)) \
	GATE_GIT_FN(git_object_t, git_object_type, (const git_object *obj), (obj)) \
	GATE_GIT_FN(const char *, git_object_type2string, (git_object_t type), (type)) \
	GATE_GIT_FN(int, git_odb_exists, (git_odb *db, const git_oid *id), (db, id)) \
	GATE_GIT_VOID(git_odb_free, (git_odb *db), (db)) \
	GATE_GIT_FN(int, git_odb_hash, (git_oid *out, const void *data, size_t len, git_object_t type), (out, data, len, type)) \
	GATE_GIT_FN(const void *, git_odb_object_data, (git_odb_object *object), (object)) \
	GATE_GIT_VOID(git_odb_object_free, (git_odb_object *object), (object)) \
	GATE_GIT_FN(size_t, git_odb_object_size, (git_odb_object *object), (object)) \
	GATE_GIT_FN(int, git_odb_read, (git_odb_object **out, git_odb *db, const git_oid *id), (out, db, id)) \
	GATE_GIT_FN(int, git_odb_read_header, (size_t *len_out, git_object_t *type_out, git_odb *db, const git_oid *id), (len_out, type_out, db, id)) \
	GATE_GIT_FN(int, git_oid_cpy, (git_oid *out, const git_oid *src), (out, src)) \
	GATE_GIT_FN(int, git_oid_equal, (const git_oid *a, const git_oid *b), (a, b)) \
	GATE_GIT_FN(int, git_oid_fromstr, (git_oid *out, const char *str), (out, str)) \
	GATE_GIT_FN(int, git_oid_fromstrn, (git_oid *out, const char *str, size_t length), (out, str, length)) \
	GATE_GIT_FN(int, git_oid_is_zero, (const git_oid *id), (id)) \
	GATE_GIT_FN(char *, git_oid_tostr, (char *out, size_t n, const git_oid *id), (out, n, id)) \
	GATE_GIT_FN(int, git_reference_create, (git_reference **out, git_repository *repo, const char *name, const git_oid *id, int force, const char *log_message), (out, repo, name, id, force, log_message)) \
	GATE_GIT_FN(int, git_reference_create_matching, (git_reference **out, git_repository *repo, const char *name, const git_oid *id, int force, const git_oid *current_id, const char *log_message), (out, repo, name, id, force, current_id, log_message)) \
	GATE_GIT_VOID(git_reference_free, (git_reference *ref), (ref)) \
	GATE_GIT_VOID(git_reference_iterator_free, (git_reference_iterator *iter), (iter)) \
	GATE_GIT_FN(int, git_reference_iterator_new, (git_reference_iterator **out, git_repository *repo), (out, repo)) \
	GATE_GIT_FN(int, git_reference_lookup, (git_reference **out, git_repository *repo, const char *name), (out, repo, name)) \
	GATE_GIT_FN(const char *, git_reference_name, (const git_reference *ref), (ref)) \
	GATE_GIT_FN(int, git_reference_name_is_valid, (int *valid, const char *refname), (valid, refname)) \
	GATE_GIT_FN(int, git_reference_name_to_id, (git_oid *out, git_repository *repo, const char *name), (out, repo, name)) \
	GATE_GIT_FN(int, git_reference_next, (git_reference **out, git_reference_iterator *iter), (out, iter)) \
	GATE_GIT_FN(int, git_reference_peel, (git_object **out, const git_reference *ref, git_object_t type), (out, ref, type)) \
	GATE_GIT_FN(int, git_reference_remove, (git_repository *repo, const char *name), (repo, name)) \
	GATE_GIT_FN(const char *, git_reference_symbolic_target, (const git_reference *ref), (ref)) \
	GATE_GIT_FN(git_reference_t, git_reference_type, (const git_reference *ref), (ref)) \
	GATE_GIT_FN(const git_reflog_entry *, git_reflog_entry_byindex, (const git_reflog *reflog, size_t idx), (reflog, idx)) \
	GATE_GIT_FN(const git_oid *, git_reflog_entry_id_new, (const git_reflog_entry *entry), (entry)) \
	GATE_GIT_FN(size_t, git_reflog_entrycount, (git_reflog *reflog), (reflog)) \
	GATE_GIT_VOID(git_reflog_free, (git_reflog *reflog), (reflog)) \
	GATE_GIT_FN(int, git_reflog_read, (git_reflog **out, git_repository *repo, const char *name), (out, repo, name)) \
	GATE_GIT_FN(int, git_repository_config, (git_config **out, git_repository *repo), (out, repo)) \
	GATE_GIT_FN(int, git_repository_config_snapshot, (git_config **out, git_repository *repo), (out, repo)) \
	GATE_GIT_VOID(git_repository_free, (git_repository *repo), (repo)) \
	GATE_GIT_FN(int, git_repository_is_bare, (const git_repository *repo), (repo)) \
	GATE_GIT_FN(int, git_repository_odb, (git_odb **out, git_repository *repo), (out, repo)) \
	GATE_GIT_FN(int, git_repository_open_ext, (git_repository **out, const char *path, unsigned int flags, const char *ceiling_dirs), (out, path, flags, ceiling_dirs)) \
	GATE_GIT_FN(const char *, git_repository_path, (const git_repository *repo), (repo)) \
	GATE_GIT_FN(const char *, git_repository_workdir, (const git_repository *repo), (repo)) \
	GATE_GIT_FN(int, git_revparse_single, (git_object **out, git_repository *repo, const char *spec), (out, repo, spec)) \
	GATE_GIT_VOID(git_revwalk_free, (git_revwalk *walk), (walk)) \
	GATE_GIT_FN(int, git_revwalk_hide, (git_revwalk *walk, const git_oid *commit_id), (walk, commit_id)) \
	GATE_GIT_FN(int, git_revwalk_new, (git_revwalk **out, git_repository *repo), (out, repo)) \
	GATE_GIT_FN(int, git_revwalk_next, (git_oid *out, git_revwalk *walk), (out, walk)) \
	GATE_GIT_FN(int, git_revwalk_push, (git_revwalk *walk, const git_oid *id), (walk, id)) \
	GATE_GIT_FN(int, git_revwalk_sorting, (git_revwalk *walk, unsigned int sort_mode), (walk, sort_mode)) \
	GATE_GIT_VOID(git_signature_free, (git_signature *sig), (sig)) \
	GATE_GIT_FN(int, git_signature_now, (git_signature **out, const char *name, const char *email), (out, name, email)) \
	GATE_GIT_FN(int, git_tree_dup, (git_tree **out, git_tree *source), (out, source)) \
	GATE_GIT_FN(const git_tree_entry *, git_tree_entry_byindex, (const git_tree *tree, size_t idx), (tree, idx)) \
	GATE_GIT_FN(const git_tree_entry *, git_tree_entry_byname, (const git_tree *tree, const char *filename), (tree, filename)) \
	GATE_GIT_FN(int, git_tree_entry_bypath, (git_tree_entry **out, const git_tree *root, const char *path), (out, root, path)) \
	GATE_GIT_FN(int, git_tree_entry_cmp, (const git_tree_entry *e1, const git_tree_entry *e2), (e1, e2)) \
	GATE_GIT_FN(git_filemode_t, git_tree_entry_filemode, (const git_tree_entry *entry), (entry)) \
	GATE_GIT_FN(git_filemode_t, git_tree_entry_filemode_raw, (const git_tree_entry *entry), (entry)) \
	GATE_GIT_VOID(git_tree_entry_free, (git_tree_entry *entry), (entry)) \
	GATE_GIT_FN(const git_oid *, git_tree_entry_id, (const git_tree_entry *entry), (entry)) \
	GATE_GIT_FN(const char *, git_tree_entry_name, (const git_tree_entry *entry), (entry)) \
	GATE_GIT_FN(git_object_t, git_tree_entry_type, (const git_tree_entry *entry), (entry)) \
	GATE_GIT_FN(size_t, git_tree_entrycount, (const git_tree *tree), (tree)) \
	GATE_GIT_VOID(git_tree_free, (git_tree *tree), (tree)) \
	GATE_GIT_FN(const git_oid *, git_tree_id, (const git_tree *tree), (tree)) \
	GATE_GIT_FN(int, git_tree_lookup, (git_tree **out, git_repository *repo, const git_oid *id), (out, repo, id))

enum {
#define GATE_GIT_FN(ret, name, params, args) FN_##name,
#define GATE_GIT_VOID(name, params, args) FN_##name,
	GATE_GIT_FUNCTIONS
	FN_git_libgit2_opts,
	FN_COUNT
#undef GATE_GIT_FN
#undef GATE_GIT_VOID
};

static const char *const fn_names[FN_COUNT] = {
#define GATE_GIT_FN(ret, name, params, args) #name,
#define GATE_GIT_VOID(name, params, args) #name,
	GATE_GIT_FUNCTIONS
	"git_libgit2_opts",
#undef GATE_GIT_FN
#undef GATE_GIT_VOID
};

typedef void (*any_fn)(void);

static any_fn fns[FN_COUNT];
static char load_error[512];
static int load_status = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *lib = dlopen(GATE_LIBGIT2_SONAME, RTLD_LAZY | RTLD_LOCAL);
	const char *e;
	size_t i;

	if (!lib) {
		e = dlerror();
		snprintf(load_error, sizeof(load_error), "cannot load libgit2: %s (apt-get install libgit2-1.5)",
			e ? e : GATE_LIBGIT2_SONAME);
		return;
	}
	for (i = 0; i < FN_COUNT; i++) {
		void *p = dlsym(lib, fn_names[i]);

		if (!p) {
			snprintf(load_error, sizeof(load_error), "cannot load libgit2: %s has no %s",
				GATE_LIBGIT2_SONAME, fn_names[i]);
			return;
		}
		/* POSIX: a pointer from dlsym() converts to a function pointer */
		*(void **)&fns[i] = p;
	}
	/* loaded for the life of the process: never dlclose() */
	load_status = 0;
}

int gate_git_load(char *err, size_t errsize)
{
	pthread_once(&once, load);
	if (load_status < 0) {
		if (errsize)
			snprintf(err, errsize, "%s", load_error);
		return -1;
	}
	return 0;
}

/* the function of index i; ends the process when libgit2 cannot be loaded */
static any_fn fn(int i)
{
	pthread_once(&once, load);
	if (load_status < 0) {
		(void)!write(2, "fatal: ", 7);
		(void)!write(2, load_error, strnlen(load_error, sizeof(load_error)));
		(void)!write(2, "\n", 1);
		_exit(128);
	}
	return fns[i];
}

#define GATE_GIT_FN(ret, name, params, args) \
	ret name params \
	{ \
		return ((ret (*) params)fn(FN_##name)) args; \
	}
#define GATE_GIT_VOID(name, params, args) \
	void name params \
	{ \
		((void (*) params)fn(FN_##name)) args; \
	}
GATE_GIT_FUNCTIONS
#undef GATE_GIT_FN
#undef GATE_GIT_VOID

/*
 * git_libgit2_opts() is variadic: a C function cannot pass its variable
 * arguments on, so this one knows the options that take one int (the only
 * kind the gate sets) and refuses the others with -1.
 */
int git_libgit2_opts(int option, ...)
{
	int (*real)(int, ...) = (int (*)(int, ...))fn(FN_git_libgit2_opts);
	va_list ap;
	int value;

	switch (option) {
	case GIT_OPT_ENABLE_CACHING:
	case GIT_OPT_ENABLE_STRICT_OBJECT_CREATION:
	case GIT_OPT_ENABLE_STRICT_SYMBOLIC_REF_CREATION:
	case GIT_OPT_ENABLE_OFS_DELTA:
	case GIT_OPT_ENABLE_FSYNC_GITDIR:
	case GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION:
	case GIT_OPT_ENABLE_UNSAVED_INDEX_SAFETY:
	case GIT_OPT_DISABLE_PACK_KEEP_FILE_CHECKS:
	case GIT_OPT_ENABLE_HTTP_EXPECT_CONTINUE:
	case GIT_OPT_SET_OWNER_VALIDATION:
		va_start(ap, option);
		value = va_arg(ap, int);
		va_end(ap);
		return real(option, value);
	default:
		return -1;
	}
}
