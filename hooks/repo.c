#include "gate/repo.h"
#include "gate/blob_memo.h"
#include "gate/git_dl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

struct gate_repo {
	git_repository *git;
	git_odb *odb;      /* taken at open: libgit2's odb is safe to read from several threads */
	char *git_dir;
	atomic_size_t blob_reads; /* blobs read whole from the object database by gate_repo_read_blob() */
	int threads;       /* libgit2 was built thread-safe */
	pthread_mutex_t memo_mu;    /* the memo is read and filled from the engine's threads */
	struct gate_blob_memo memo; /* what it read, for the next read of the same blob */
	int no_sharing;             /* gate_repo_set_sharing(r, 0) */
};

void gate_repo_error(char *msg, size_t msgsize, const char *what)
{
	const git_error *e = git_error_last();

	if (!msg || !msgsize)
		return;
	snprintf(msg, msgsize, "%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

int gate_repo_open(struct gate_repo **out, const char *path, char *msg, size_t msgsize)
{
	struct gate_repo *r;
	const char *gd;
	size_t len;
	int error;

	*out = NULL;
	if (gate_git_load(msg, msgsize) < 0)
		return -1;
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	r = gate_xcalloc(1, sizeof(*r));
	if (path)
		error = git_repository_open_ext(&r->git, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	else
		error = git_repository_open_ext(&r->git, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (error < 0) {
		gate_repo_error(msg, msgsize, "cannot open the repository");
		free(r);
		git_libgit2_shutdown();
		return -1;
	}
	if (git_repository_odb(&r->odb, r->git) < 0) {
		gate_repo_error(msg, msgsize, "cannot open the object database");
		git_repository_free(r->git);
		free(r);
		git_libgit2_shutdown();
		return -1;
	}
	atomic_init(&r->blob_reads, 0);
	pthread_mutex_init(&r->memo_mu, NULL);
	r->threads = (git_libgit2_features() & GIT_FEATURE_THREADS) != 0;
	gd = git_repository_path(r->git);
	len = strlen(gd);
	while (len > 1 && gd[len - 1] == '/')
		len--;
	r->git_dir = gate_xstrndup(gd, len);
	*out = r;
	return 0;
}

void gate_repo_free(struct gate_repo *r)
{
	if (!r)
		return;
	git_odb_free(r->odb);
	git_repository_free(r->git);
	free(r->git_dir);
	gate_blob_memo_release(&r->memo);
	pthread_mutex_destroy(&r->memo_mu);
	free(r);
	git_libgit2_shutdown();
}

const char *gate_repo_git_dir(const struct gate_repo *r)
{
	return r->git_dir;
}

git_repository *gate_repo_git(struct gate_repo *r)
{
	return r->git;
}

int gate_repo_parse_oid(const struct gate_repo *r, git_oid *out, int *is_zero,
	const char *hex, size_t len)
{
	size_t i;

	(void)r;
	*is_zero = 1;
	for (i = 0; i < len; i++) {
		char c = hex[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		if (c != '0')
			*is_zero = 0;
	}
	if (len != GIT_OID_HEXSZ)
		return -1;
	if (git_oid_fromstrn(out, hex, len) < 0)
		return -1;
	return 0;
}

static int is_kept(const char *name, const char *const *keep, size_t nkeep)
{
	size_t i;

	for (i = 0; i < nkeep; i++)
		if (!strcmp(keep[i], name))
			return 1;
	return 0;
}

static int hide_existing_refs(git_repository *repo, git_revwalk *walk,
	gate_repo_ref_pred judged, void *payload,
	const char *const *keep, size_t nkeep, char *msg, size_t msgsize)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int error;

	if ((error = git_reference_iterator_new(&it, repo)) < 0) {
		gate_repo_error(msg, msgsize, "cannot list refs");
		return error;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		git_object *obj = NULL;
		const char *name = git_reference_name(ref);
		if (!is_kept(name, keep, nkeep) && judged(name, payload) == 1 &&
		    git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
			if ((error = git_revwalk_hide(walk, git_object_id(obj))) < 0) {
				gate_repo_error(msg, msgsize, "cannot walk history");
				git_object_free(obj);
				git_reference_free(ref);
				break;
			}
		}
		git_object_free(obj);
		git_reference_free(ref);
		ref = NULL;
	}
	git_reference_iterator_free(it);
	if (error == GIT_ITEROVER)
		return 0;
	if (error < 0 && msg && !*msg)
		gate_repo_error(msg, msgsize, "cannot list refs");
	return error;
}

int gate_repo_new_commits(struct gate_repo *r, const git_oid *tip,
	const git_oid *hide, size_t nhide, gate_repo_ref_pred judged, void *payload,
	const char *const *keep, size_t nkeep,
	size_t max, git_oid **out, size_t *n, char *msg, size_t msgsize)
{
	git_revwalk *walk = NULL;
	git_oid id, *v = NULL;
	size_t i, cnt = 0, alloc = 0;
	int error;

	*out = NULL;
	*n = 0;
	if (msg && msgsize)
		*msg = '\0';
	if ((error = git_revwalk_new(&walk, r->git)) < 0) {
		gate_repo_error(msg, msgsize, "cannot walk history");
		goto done;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	if ((error = git_revwalk_push(walk, tip)) < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		char what[96];
		git_oid_tostr(hex, sizeof(hex), tip);
		snprintf(what, sizeof(what), "cannot read commit %s", hex);
		gate_repo_error(msg, msgsize, what);
		goto done;
	}
	for (i = 0; i < nhide; i++) {
		/* an old tip that is not a commit (or missing) hides nothing */
		if (git_revwalk_hide(walk, &hide[i]) < 0)
			git_error_clear();
	}
	if (judged && (error = hide_existing_refs(r->git, walk, judged, payload,
			keep, nkeep, msg, msgsize)) < 0)
		goto done;
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		if (cnt >= max) {
			error = GATE_REPO_ETOOMANY;
			if (msg && msgsize)
				snprintf(msg, msgsize, "more than %zu new commits", max);
			goto done;
		}
		GATE_ALLOC_GROW(v, cnt + 1, alloc);
		git_oid_cpy(&v[cnt++], &id);
	}
	if (error != GIT_ITEROVER) {
		gate_repo_error(msg, msgsize, "cannot walk history");
		goto done;
	}
	error = 0;
	*out = v;
	*n = cnt;
	v = NULL;
done:
	free(v);
	git_revwalk_free(walk);
	return error;
}

int gate_repo_descends(struct gate_repo *r, const git_oid *commit, const git_oid *ancestor,
	char *msg, size_t msgsize)
{
	int d;

	if (git_oid_equal(commit, ancestor))
		return 1;
	d = git_graph_descendant_of(r->git, commit, ancestor);
	if (d < 0)
		gate_repo_error(msg, msgsize, "cannot compare history");
	return d < 0 ? -1 : d;
}

int gate_repo_is_commit(struct gate_repo *r, const git_oid *id)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size;
	int ret;

	if (git_repository_odb(&odb, r->git) < 0)
		return -1;
	ret = git_odb_read_header(&size, &type, odb, id);
	git_odb_free(odb);
	if (ret < 0)
		return -1;
	return type == GIT_OBJECT_COMMIT;
}

static int diff_trees(struct gate_repo *r, git_tree *ptree, git_tree *tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize);

int gate_repo_commit_changes(struct gate_repo *r, const git_oid *commit, int whole_tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	git_tree *tree = NULL, *ptree = NULL;
	int error;

	if ((error = gate_repo_commit_trees(r, commit, whole_tree, &tree, &ptree, msg, msgsize)) < 0)
		return error;
	error = diff_trees(r, ptree, tree, fn, payload, msg, msgsize);
	git_tree_free(ptree);
	git_tree_free(tree);
	return error;
}

int gate_repo_commits_diff(struct gate_repo *r, const git_oid *from, const git_oid *to,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	git_tree *tree = NULL, *ptree = NULL, *none = NULL;
	int error;

	if ((error = gate_repo_commit_trees(r, to, 1, &tree, &none, msg, msgsize)) < 0)
		return error;
	if (from && (error = gate_repo_commit_trees(r, from, 1, &ptree, &none, msg, msgsize)) < 0) {
		git_tree_free(tree);
		return error;
	}
	error = diff_trees(r, ptree, tree, fn, payload, msg, msgsize);
	git_tree_free(ptree);
	git_tree_free(tree);
	return error;
}

static int diff_trees(struct gate_repo *r, git_tree *ptree, git_tree *tree,
	gate_repo_change_fn fn, void *payload, char *msg, size_t msgsize)
{
	git_diff_options opts;
	git_diff *diff = NULL;
	size_t i, nd;
	int error;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_SKIP_BINARY_CHECK | GIT_DIFF_INCLUDE_TYPECHANGE |
		GIT_DIFF_INCLUDE_TYPECHANGE_TREES;
	if ((error = git_diff_tree_to_tree(&diff, r->git, ptree, tree, &opts)) < 0) {
		gate_repo_error(msg, msgsize, "cannot diff trees");
		goto done;
	}
	nd = git_diff_num_deltas(diff);
	for (i = 0; i < nd; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		struct gate_repo_change ch;

		memset(&ch, 0, sizeof(ch));
		switch (d->status) {
		case GIT_DELTA_DELETED:
			ch.status = GATE_CHANGE_DELETED;
			ch.path = d->old_file.path;
			break;
		case GIT_DELTA_ADDED:
		case GIT_DELTA_RENAMED:
		case GIT_DELTA_COPIED:
			ch.status = GATE_CHANGE_ADDED;
			break;
		case GIT_DELTA_TYPECHANGE:
			ch.status = GATE_CHANGE_TYPECHANGE;
			break;
		default:
			ch.status = GATE_CHANGE_MODIFIED;
			break;
		}
		if (ch.status != GATE_CHANGE_DELETED) {
			ch.path = d->new_file.path;
			git_oid_cpy(&ch.id, &d->new_file.id);
			ch.mode = d->new_file.mode;
		}
		if ((error = fn(&ch, payload)) != 0)
			goto done;
	}
	error = 0;
done:
	git_diff_free(diff);
	return error;
}

int gate_repo_blob_size(struct gate_repo *r, const git_oid *id, size_t *size,
	char *msg, size_t msgsize)
{
	git_object_t type;
	int error;

	*size = 0;
	if ((error = git_odb_read_header(size, &type, r->odb, id)) < 0) {
		gate_repo_error(msg, msgsize, "cannot read object");
		return error;
	}
	if (type != GIT_OBJECT_BLOB) {
		snprintf(msg, msgsize, "object is a %s, not a blob", git_object_type2string(type));
		return -1;
	}
	return 0;
}

/* known: the blob's size as gate_repo_blob_size() told, NULL: not known */
static int read_blob(struct gate_repo *r, const git_oid *id, const size_t *known, size_t max,
	char **out, size_t *len, char *msg, size_t msgsize)
{
	git_odb_object *obj = NULL;
	const char *kept = NULL;
	size_t size;
	int error;

	*out = NULL;
	*len = 0;
	if (!r->no_sharing) {
		pthread_mutex_lock(&r->memo_mu);
		if ((kept = gate_blob_memo_get(&r->memo, id, &size)) != NULL) {
			*len = size;
			if (size <= max) {
				*out = gate_xmalloc(size + 1);
				memcpy(*out, kept, size + 1);
			}
		}
		pthread_mutex_unlock(&r->memo_mu);
		if (kept)
			return size > max ? GATE_REPO_ETOOBIG : 0;
	}
	/* the header first (type and size: a large blob is not inflated), unless it was read before */
	if (known)
		size = *known;
	else if ((error = gate_repo_blob_size(r, id, &size, msg, msgsize)) < 0)
		return error;
	if (size > max) {
		*len = size;
		return GATE_REPO_ETOOBIG;
	}
	if ((error = git_odb_read(&obj, r->odb, id)) < 0) {
		gate_repo_error(msg, msgsize, "cannot read object");
		return error;
	}
	size = git_odb_object_size(obj);
	*out = gate_xmalloc(size + 1);
	memcpy(*out, git_odb_object_data(obj), size);
	(*out)[size] = '\0';
	*len = size;
	atomic_fetch_add(&r->blob_reads, 1);
	if (!r->no_sharing) {
		pthread_mutex_lock(&r->memo_mu);
		gate_blob_memo_put(&r->memo, id, *out, size);
		pthread_mutex_unlock(&r->memo_mu);
	}
	git_odb_object_free(obj);
	return 0;
}

int gate_repo_read_blob(struct gate_repo *r, const git_oid *id, size_t max,
	char **out, size_t *len, char *msg, size_t msgsize)
{
	return read_blob(r, id, NULL, max, out, len, msg, msgsize);
}

int gate_repo_read_blob_sized(struct gate_repo *r, const git_oid *id, size_t size, size_t max,
	char **out, size_t *len, char *msg, size_t msgsize)
{
	return read_blob(r, id, &size, max, out, len, msg, msgsize);
}

int gate_repo_reads_in_threads(const struct gate_repo *r)
{
	return r->threads;
}

size_t gate_repo_blob_reads(const struct gate_repo *r)
{
	return atomic_load(&((struct gate_repo *)r)->blob_reads);
}

size_t gate_repo_blob_reads_shared(const struct gate_repo *r)
{
	return r->memo.hits;
}

void gate_repo_set_sharing(struct gate_repo *r, int on)
{
	r->no_sharing = !on;
}

int gate_repo_sharing(const struct gate_repo *r)
{
	return !r->no_sharing;
}

int gate_repo_config_has(struct gate_repo *r, const char *key)
{
	git_config *cfg = NULL;
	git_config_entry *e = NULL;
	int has = 0;

	if (git_repository_config_snapshot(&cfg, r->git) == 0 && git_config_get_entry(&e, cfg, key) == 0)
		has = 1;
	git_config_entry_free(e);
	git_config_free(cfg);
	git_error_clear();
	return has;
}
