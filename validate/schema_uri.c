/*
 * schema_uri.c: URI references as the schema compiler resolves "$ref" and
 * "id" (RFC 3986 section 5.2).  Private to the schema module.
 */
#include "schema_int.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

/* ---- URI references (RFC 3986 section 5.2) ----------------------------- */

void gate_schema__uri_release(struct uri *u)
{
	free(u->scheme);
	free(u->auth);
	free(u->path);
	free(u->query);
	free(u->frag);
	memset(u, 0, sizeof(*u));
}

void gate_schema__uri_parse(struct uri *u, const char *s)
{
	const char *p = s, *e;

	memset(u, 0, sizeof(*u));
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	for (e = s; *e && (((*e | 0x20) >= 'a' && (*e | 0x20) <= 'z') ||
			(e > s && ((*e >= '0' && *e <= '9') || *e == '+' || *e == '-' || *e == '.'))); e++)
		;
	if (e > s && *e == ':') {
		u->scheme = gate_xstrndup(s, (size_t)(e - s));
		p = e + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		e = p + strcspn(p, "/?#");
		u->auth = gate_xstrndup(p, (size_t)(e - p));
		p = e;
	}
	e = p + strcspn(p, "?#");
	u->path = gate_xstrndup(p, (size_t)(e - p));
	p = e;
	if (*p == '?') {
		p++;
		e = p + strcspn(p, "#");
		u->query = gate_xstrndup(p, (size_t)(e - p));
		p = e;
	}
	if (*p == '#')
		u->frag = gate_xstrdup(p + 1);
}

/* remove "." and ".." segments; a relative path keeps leading ".." */
static char *remove_dots(const char *path)
{
	struct gate_buf out = GATE_BUF_INIT;
	const char **seg = NULL;
	size_t *seglen = NULL, nseg = 0, aseg = 0, aseglen = 0, i;
	int absolute = path[0] == '/', trailing = 0;
	const char *p = path + absolute;

	while (1) {
		size_t l = strcspn(p, "/");
		trailing = 0;
		if (l == 1 && p[0] == '.') {
			trailing = 1;
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			trailing = 1;
			if (nseg && !(seglen[nseg - 1] == 2 && !memcmp(seg[nseg - 1], "..", 2)))
				nseg--;
			else if (!absolute)
				goto push;
		} else {
push:
			GATE_ALLOC_GROW(seg, nseg + 1, aseg);
			GATE_ALLOC_GROW(seglen, nseg + 1, aseglen);
			seg[nseg] = p;
			seglen[nseg++] = l;
		}
		if (!p[l])
			break;
		p += l + 1;
	}
	if (absolute)
		gate_buf_addc(&out, '/');
	for (i = 0; i < nseg; i++) {
		if (i)
			gate_buf_addc(&out, '/');
		gate_buf_add(&out, seg[i], seglen[i]);
	}
	if (trailing && nseg)
		gate_buf_addc(&out, '/');
	free(seg);
	free(seglen);
	if (!out.ptr)
		return gate_xstrdup("");
	return gate_buf_detach(&out);
}

static char *uri_format(const struct uri *u)
{
	struct gate_buf b = GATE_BUF_INIT;

	if (u->scheme)
		gate_buf_addf(&b, "%s:", u->scheme);
	if (u->auth)
		gate_buf_addf(&b, "//%s", u->auth);
	gate_buf_adds(&b, u->path ? u->path : "");
	if (u->query)
		gate_buf_addf(&b, "?%s", u->query);
	if (u->frag)
		gate_buf_addf(&b, "#%s", u->frag);
	if (!b.ptr)
		return gate_xstrdup("");
	return gate_buf_detach(&b);
}

/* resolve ref against base; a new string */
char *gate_schema__uri_resolve(const char *base, const char *ref)
{
	struct uri b, r, t;
	char *out;

	gate_schema__uri_parse(&b, base ? base : "");
	gate_schema__uri_parse(&r, ref);
	memset(&t, 0, sizeof(t));
	if (r.scheme) {
		t.scheme = gate_xstrdup(r.scheme);
		t.auth = gate_xstrdup(r.auth);
		t.path = remove_dots(r.path);
		t.query = gate_xstrdup(r.query);
	} else {
		if (r.auth) {
			t.auth = gate_xstrdup(r.auth);
			t.path = remove_dots(r.path);
			t.query = gate_xstrdup(r.query);
		} else {
			if (!r.path[0]) {
				t.path = gate_xstrdup(b.path);
				t.query = gate_xstrdup(r.query ? r.query : b.query);
			} else {
				if (r.path[0] == '/') {
					t.path = remove_dots(r.path);
				} else {
					struct gate_buf m = GATE_BUF_INIT;
					const char *slash = strrchr(b.path, '/');
					if (b.auth && !b.path[0])
						gate_buf_addc(&m, '/');
					else if (slash)
						gate_buf_add(&m, b.path, (size_t)(slash - b.path + 1));
					gate_buf_adds(&m, r.path);
					t.path = remove_dots(m.ptr);
					gate_buf_release(&m);
				}
				t.query = gate_xstrdup(r.query);
			}
			t.auth = gate_xstrdup(b.auth);
		}
		t.scheme = gate_xstrdup(b.scheme);
	}
	t.frag = gate_xstrdup(r.frag);
	out = uri_format(&t);
	gate_schema__uri_release(&b);
	gate_schema__uri_release(&r);
	gate_schema__uri_release(&t);
	return out;
}

/* split "uri#frag": returns the part before '#' (new) and points *frag into s */
char *gate_schema__uri_split(const char *s, const char **frag)
{
	const char *h = strchr(s, '#');

	if (!h) {
		*frag = "";
		return gate_xstrdup(s);
	}
	*frag = h + 1;
	return gate_xstrndup(s, (size_t)(h - s));
}
