/*
 * policy_waivers: how a problem is reported, and whether a server-side
 * exception or an in-content waiver (annotations, only where the server
 * grants them) suppresses it.  See include/gate/policy.h, "Suppressions".
 */
#include "policy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int policy_parse_date(const char *s, time_t *end)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm;
	int y, mo, d, i;

	/* exactly YYYY-MM-DD, optionally followed by a time: "2026-1-5" or "2026-02-30" are no dates */
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return -1;
	if (s[10] && s[10] != 'T' && s[10] != ' ')
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || y < 1970 ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d + 1;
	*end = timegm(&tm);
	return *end == (time_t)-1 ? -1 : 0;
}

int policy_strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

/* Is rule named in the comma- or space-separated list s? */
static int list_names(const char *s, const char *rule)
{
	size_t rl = strlen(rule);

	while (*s) {
		const char *e;

		while (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n')
			s++;
		e = s;
		while (*e && *e != ',' && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if ((size_t)(e - s) == rl && !strncmp(s, rule, rl))
			return 1;
		s = e;
	}
	return 0;
}

/* The grant that lets an annotation waive rule in this file, or NULL. */
static const struct gate_policy_grant *granted(const struct pctx *c, const char *rule)
{
	const struct gate_policy *p = c->p;
	size_t i;

	for (i = 0; i < p->opts.nannotation_grants; i++) {
		const struct gate_policy_grant *g = &p->opts.annotation_grants[i];
		struct strlist checks = { (const char **)g->checks, g->nchecks };
		struct strlist paths = { (const char **)g->paths, g->npaths };

		if ((policy_strlist_has(&checks, rule) || policy_strlist_has(&checks, "*")) &&
		    policy_match_path(&paths, c->filename))
			return g;
	}
	return NULL;
}

/*
 * An annotation suppression for rule, if honoured: writes the reason or a
 * note saying why not.  Off unless the server grants it for this check and
 * path; then it needs a reason and an expiry date that has not passed and is
 * within the grant's max_days.
 */
static int annotation_suppression(const struct pctx *c, const char *rule, char *supp,
	size_t suppsize, char *note, size_t notesize)
{
	const char *ignore, *reason, *expires;
	const struct gate_policy *p = c->p;
	const struct gate_policy_grant *g;
	time_t end;

	if (!c->annotations || c->annotations->type != GATE_NODE_OBJECT)
		return 0;
	ignore = gate_node_get_str(c->annotations, GATE_POLICY_ANNOTATION_IGNORE);
	if (!ignore || !list_names(ignore, rule))
		return 0;
	if (!strncmp(rule, "secret-", 7)) {
		snprintf(note, notesize, " (secret checks cannot be suppressed by annotation)");
		return 0;
	}
	if (p->opts.no_annotation_suppressions || !p->opts.nannotation_grants) {
		snprintf(note, notesize, " (annotation suppressions are off on this server)");
		return 0;
	}
	if (!(g = granted(c, rule))) {
		snprintf(note, notesize, " (this server does not let an annotation suppress "
			"\"%.60s\" in this path)", rule);
		return 0;
	}
	reason = gate_node_get_str(c->annotations, GATE_POLICY_ANNOTATION_REASON);
	while (reason && (*reason == ' ' || *reason == '\t' || *reason == '\n'))
		reason++;
	if (!reason || !*reason) {
		snprintf(note, notesize, " (suppression not honoured: it needs a "
			GATE_POLICY_ANNOTATION_REASON " annotation)");
		return 0;
	}
	expires = gate_node_get_str(c->annotations, GATE_POLICY_ANNOTATION_EXPIRES);
	if (!expires) {
		snprintf(note, notesize, " (suppression not honoured: it needs a "
			GATE_POLICY_ANNOTATION_EXPIRES " annotation, a date YYYY-MM-DD)");
		return 0;
	}
	if (policy_parse_date(expires, &end) < 0) {
		snprintf(note, notesize, " (suppression not honoured: "
			GATE_POLICY_ANNOTATION_EXPIRES " \"%.40s\" is not a date YYYY-MM-DD)", expires);
		return 0;
	}
	if (p->now >= end) {
		snprintf(note, notesize, " (suppression expired on %.10s)", expires);
		return 0;
	}
	if (g->max_days > 0 && end - p->now > (time_t)(g->max_days + 1) * 86400) {
		snprintf(note, notesize, " (suppression not honoured: it expires on %.10s, more "
			"than %d days ahead)", expires, g->max_days);
		return 0;
	}
	snprintf(supp, suppsize, "annotation until %.10s: %.300s", expires, reason);
	return 1;
}

static int exception_names(const struct exception *e, const char *rule)
{
	return policy_strlist_has(&e->checks, rule) || policy_strlist_has(&e->checks, "*");
}

void policy_report(struct pctx *c, const char *rule, enum gate_severity sev,
	const struct gate_node *at, const char *pointer, const char *fmt, ...)
{
	char msg[1024], note[320] = "", supp[400];
	const struct gate_policy *p = c->p;
	struct gate_problem *pb;
	int suppressed = 0;
	size_t i, len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; i < p->nexceptions; i++) {
		const struct exception *e = &p->exceptions[i];

		if (!exception_names(e, rule))
			continue;
		if (c->id ? !policy_match(&e->m, c) : !(e->m.only_paths && policy_match(&e->m, c)))
			continue;
		if (e->expired) {
			if (!note[0])
				snprintf(note, sizeof(note), " (exception expired on %.10s)", e->expires);
			continue;
		}
		snprintf(supp, sizeof(supp), "policy exception: %.300s", e->reason);
		suppressed = 1;
		break;
	}
	if (!suppressed && c->id) {
		char note2[160] = "";
		size_t nl = strlen(note);

		suppressed = annotation_suppression(c, rule, supp, sizeof(supp), note2, sizeof(note2));
		snprintf(note + nl, sizeof(note) - nl, "%s", note2);
	}
	len = strlen(msg);
	if (!suppressed && note[0])
		snprintf(msg + len, sizeof(msg) - len, "%s", note);
	pb = gate_result_add_problem(c->res, pointer, at ? at->line : 0, at ? at->col : 0,
		rule, sev, msg);
	if (suppressed)
		pb->suppressed = gate_xstrdup(supp);
	else if (sev == GATE_SEV_DENY && (c->res->status == GATE_STATUS_VALID ||
		 c->res->status == GATE_STATUS_SKIPPED))
		/* a resource without a schema is still refused for its policy problems */
		c->res->status = GATE_STATUS_INVALID;
}

