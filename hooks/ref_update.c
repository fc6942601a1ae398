#include "gate/ref_update.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

static void set_hex(struct gate_ref_update *u)
{
	git_oid_tostr(u->old_hex, sizeof(u->old_hex), &u->old_id);
	git_oid_tostr(u->new_hex, sizeof(u->new_hex), &u->new_id);
}

void gate_ref_updates_free(struct gate_ref_update *u, size_t n)
{
	size_t i;

	for (i = 0; u && i < n; i++)
		free(u[i].ref);
	free(u);
}

int gate_ref_updates_parse(struct gate_repo *repo, const char *input, size_t len,
	struct gate_ref_update **out, size_t *n, char *msg, size_t msgsize)
{
	struct gate_ref_update *v = NULL;
	size_t cnt = 0, alloc = 0, lineno = 0;
	const char *p = input, *end = input + len;

	*out = NULL;
	*n = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *sp1, *sp2;
		struct gate_ref_update *u;
		size_t rlen;

		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			goto next;
		sp1 = memchr(p, ' ', (size_t)(le - p));
		sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1)) : NULL;
		if (!sp1 || !sp2 || sp2 + 1 >= le)
			goto bad;
		rlen = (size_t)(le - sp2 - 1);
		if (rlen > GATE_REF_MAX || memchr(sp2 + 1, '\0', rlen))
			goto bad;
		if (cnt >= GATE_REF_UPDATE_MAX) {
			gate_set_msg(msg, msgsize, "more than %d ref updates in one push", GATE_REF_UPDATE_MAX);
			goto fail;
		}
		GATE_ALLOC_GROW(v, cnt + 1, alloc);
		u = &v[cnt];
		memset(u, 0, sizeof(*u));
		if (gate_repo_parse_oid(repo, &u->old_id, &u->old_zero, p, (size_t)(sp1 - p)) < 0 ||
		    gate_repo_parse_oid(repo, &u->new_id, &u->new_zero, sp1 + 1,
			    (size_t)(sp2 - sp1 - 1)) < 0)
			goto bad;
		u->ref = gate_xstrndup(sp2 + 1, rlen);
		set_hex(u);
		cnt++;
	next:
		p = eol ? eol + 1 : end;
	}
	*out = v;
	*n = cnt;
	return 0;
bad: {
	struct gate_buf e = GATE_BUF_INIT;
	const char *le = memchr(p, '\n', (size_t)(end - p));
	size_t l = le ? (size_t)(le - p) : (size_t)(end - p);
	gate_buf_add_escaped(&e, p, l > 200 ? 200 : l);
	gate_set_msg(msg, msgsize, "line %zu of the ref updates is not \"<old-id> <new-id> <ref>\" "
		"with ids of %d hex digits: \"%s\"", lineno, GIT_OID_HEXSZ, e.ptr ? e.ptr : "");
	gate_buf_release(&e);
	}
fail:
	gate_ref_updates_free(v, cnt);
	return -1;
}

int gate_ref_update_init(struct gate_ref_update *u, struct gate_repo *repo, const char *ref,
	const char *old_hex, const char *new_hex)
{
	memset(u, 0, sizeof(*u));
	if (strlen(ref) > GATE_REF_MAX ||
	    gate_repo_parse_oid(repo, &u->old_id, &u->old_zero, old_hex, strlen(old_hex)) < 0 ||
	    gate_repo_parse_oid(repo, &u->new_id, &u->new_zero, new_hex, strlen(new_hex)) < 0)
		return -1;
	u->ref = gate_xstrdup(ref);
	set_hex(u);
	return 0;
}

void gate_ref_update_release(struct gate_ref_update *u)
{
	free(u->ref);
	u->ref = NULL;
}
