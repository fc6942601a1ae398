/*
 * report_json: the JSON documents: kubeconform's json (resources[] with
 * places) and SARIF 2.1.0.
 */
#include "report_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define TOOL_URI "https://github.com/gitops-gate/gitops-gate"

/* A new JSON string; bytes that are not UTF-8 become the text \xNN. */
static json_t *jstr(const char *s)
{
	struct gate_buf b = GATE_BUF_INIT;
	const unsigned char *p = (const unsigned char *)nz(s);
	size_t n = strlen((const char *)p), i = 0;
	json_t *j;

	if ((j = json_stringn((const char *)p, n)))
		return j;
	while (i < n) {
		size_t l = gate_report_utf8_seq(p + i, n - i);
		if (l) {
			gate_buf_add(&b, p + i, l);
			i += l;
		} else {
			gate_buf_addf(&b, "\\x%02x", p[i]);
			i++;
		}
	}
	j = json_stringn(b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
	return j;
}

/* First problem with a place, for the resource's line/column in json. */
static void result_place(const struct gate_result *r, uint32_t *line, uint32_t *col)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].line && !r->problems[i].suppressed) {
			*line = r->problems[i].line;
			*col = r->problems[i].col ? r->problems[i].col : 1;
			return;
		}
	*line = r->line;
	*col = r->line ? 1 : 0;
}

/* ---- json ---- */

int gate_report_json_add(struct gate_report *rep, const struct gate_result *r)
{
	struct gate_buf msg = GATE_BUF_INIT;
	json_t *o, *errs = NULL, *sup = NULL;
	uint32_t line, col;
	size_t i, nsup = 0;

	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].suppressed)
			nsup++;
	/* a resource with suppressions is listed, so every suppression shows */
	if (!rep->o.verbose && !nsup && (r->status == GATE_STATUS_VALID ||
	    r->status == GATE_STATUS_SKIPPED || r->status == GATE_STATUS_EMPTY))
		return 0;
	if (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR)
		gate_report_result_msg(&msg, r);
	result_place(r, &line, &col);
	o = json_object();
	if (!o)
		goto oom;
	json_object_set_new(o, "filename", jstr(r->filename));
	json_object_set_new(o, "kind", jstr(r->kind));
	json_object_set_new(o, "name", jstr(r->name));
	json_object_set_new(o, "version", jstr(r->api_version));
	/* kubeconform lists an empty resource with an empty status */
	json_object_set_new(o, "status", json_string(r->status == GATE_STATUS_EMPTY ? "" :
		gate_status_name(r->status)));
	json_object_set_new(o, "msg", jstr(msg.ptr));
	json_object_set_new(o, "line", json_integer(line));
	json_object_set_new(o, "column", json_integer(col));
	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		json_t *e, **into = p->suppressed ? &sup : &errs;
		if (!*into && !(*into = json_array()))
			goto oom;
		if (!(e = json_object()))
			goto oom;
		json_object_set_new(e, "path", jstr(p->pointer));
		json_object_set_new(e, "msg", jstr(p->message));
		json_object_set_new(e, "line", json_integer(p->line ? p->line : r->line));
		json_object_set_new(e, "column", json_integer(p->line ? (p->col ? p->col : 1) : (r->line ? 1 : 0)));
		if (p->rule)
			json_object_set_new(e, "rule", jstr(p->rule));
		if (p->severity == GATE_SEV_WARN)
			json_object_set_new(e, "severity", json_string("warning"));
		if (p->suppressed) {
			json_object_set_new(e, "reason", jstr(p->suppressed));
			rep->c.suppressed++;
		}
		json_array_append_new(*into, e);
	}
	if (errs)
		json_object_set_new(o, "validationErrors", errs);
	if (sup)
		json_object_set_new(o, "suppressions", sup);
	errs = sup = NULL;
	if (json_array_append_new(rep->resources, o) < 0)
		goto oom;
	gate_buf_release(&msg);
	return 0;
oom:
	json_decref(errs);
	json_decref(sup);
	json_decref(o);
	gate_buf_release(&msg);
	return -1;
}

static int dump_json(json_t *root, struct gate_buf *out)
{
	char *s = json_dumps(root, JSON_INDENT(2));

	if (!s)
		return -1;
	gate_buf_adds(out, s);
	gate_buf_addc(out, '\n');
	free(s);
	return 0;
}

int gate_report_json_finish(struct gate_report *rep, struct gate_buf *out)
{
	json_t *root = json_object();
	int error;

	if (!root)
		return -1;
	json_object_set(root, "resources", rep->resources);
	if (rep->o.summary)
		json_object_set_new(root, "summary", json_pack("{s:I,s:I,s:I,s:I}",
			"valid", (json_int_t)rep->c.valid, "invalid", (json_int_t)rep->c.invalid,
			"errors", (json_int_t)rep->c.errors, "skipped", (json_int_t)rep->c.skipped));
	error = dump_json(root, out);
	json_decref(root);
	return error;
}

/* ---- sarif ---- */

static const char *rule_text(const char *id)
{
	if (!strcmp(id, "schema"))
		return "Resource is invalid against its schema";
	if (!strcmp(id, "yaml"))
		return "Document could not be parsed";
	if (!strcmp(id, "error"))
		return "Error processing resource";
	if (!strcmp(id, "valid"))
		return "Resource is valid";
	if (!strcmp(id, "skipped"))
		return "Resource validation was skipped";
	return "Policy check";
}

static void sarif_rule(struct gate_report *rep, const char *id, const char *level)
{
	size_t v = json_array_size(rep->rules);

	if (gate_report_strmap_get_or_put(&rep->rule_ids, id, &v))
		return;
	json_array_append_new(rep->rules, json_pack("{s:o,s:{s:s},s:{s:s}}",
		"id", jstr(id), "shortDescription", "text", rule_text(id),
		"defaultConfiguration", "level", level));
}

static int sarif_result(struct gate_report *rep, const struct gate_result *r,
	const struct gate_problem *p, const char *rule, const char *level)
{
	struct gate_buf msg = GATE_BUF_INIT, uri = GATE_BUF_INIT;
	const unsigned char *s;
	json_t *res, *phys, *loc;
	uint32_t line = 0, col = 0;

	sarif_rule(rep, rule, level);
	/* message: "Kind/name: pointer: message" (places live in the location) */
	if (r->kind && *r->kind) {
		gate_buf_adds(&msg, r->kind);
		if (r->name && *r->name)
			gate_buf_addf(&msg, "/%s", r->name);
		gate_buf_adds(&msg, ": ");
	}
	if (p) {
		if (p->pointer && *p->pointer)
			gate_buf_addf(&msg, "%s: ", p->pointer);
		gate_buf_adds(&msg, nz(p->message));
		line = p->line;
		col = p->col;
	} else if (r->status == GATE_STATUS_VALID) {
		gate_buf_adds(&msg, "is valid");
	} else if (r->status == GATE_STATUS_SKIPPED) {
		gate_buf_adds(&msg, "skipped");
	} else {
		gate_report_result_msg(&msg, r);
	}
	if (!line) {
		line = r->line;
		col = line ? 1 : 0;
	}
	/* artifact URI: a relative reference, unsafe bytes percent-encoded */
	for (s = (const unsigned char *)nz(r->filename); *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~/", *s))
			gate_buf_addc(&uri, (char)*s);
		else
			gate_buf_addf(&uri, "%%%02X", *s);
	}
	phys = json_pack("{s:{s:s#}}", "artifactLocation", "uri", uri.ptr ? uri.ptr : "", uri.len);
	if (phys && line)
		json_object_set_new(phys, "region", json_pack("{s:I,s:I}", "startLine", (json_int_t)line,
			"startColumn", (json_int_t)(col ? col : 1)));
	loc = json_pack("{s:o}", "physicalLocation", phys);
	if (loc && p && p->pointer && *p->pointer)
		json_object_set_new(loc, "logicalLocations", json_pack("[{s:o}]", "name", jstr(p->pointer)));
	res = json_pack("{s:o,s:s,s:{s:o},s:[o]}", "ruleId", jstr(rule), "level", level,
		"message", "text", jstr(msg.ptr), "locations", loc);
	gate_buf_release(&msg);
	gate_buf_release(&uri);
	if (!res)
		return -1;
	if (p && p->suppressed)
		json_object_set_new(res, "suppressions", json_pack("[{s:s,s:o}]", "kind",
			!strncmp(p->suppressed, "annotation:", 11) ? "inSource" : "external",
			"justification", jstr(p->suppressed)));
	return json_array_append_new(rep->resources, res);
}

int gate_report_sarif_add(struct gate_report *rep, const struct gate_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		const char *level = p->severity == GATE_SEV_WARN ? "warning" : "error";
		if (sarif_result(rep, r, p, p->rule ? p->rule : "schema", level) < 0)
			return -1;
		if (p->severity == GATE_SEV_DENY)
			n++;
	}
	switch (r->status) {
	case GATE_STATUS_INVALID:
	case GATE_STATUS_ERROR:
		if (!n)
			return sarif_result(rep, r, NULL, "error", "error");
		break;
	case GATE_STATUS_VALID:
		if (rep->o.verbose)
			return sarif_result(rep, r, NULL, "valid", "note");
		break;
	case GATE_STATUS_SKIPPED:
		if (rep->o.verbose)
			return sarif_result(rep, r, NULL, "skipped", "note");
		break;
	case GATE_STATUS_EMPTY:
		break;
	}
	return 0;
}

int gate_report_sarif_finish(struct gate_report *rep, struct gate_buf *out)
{
	json_t *driver, *root;
	int error;

	driver = json_pack("{s:s,s:s,s:O}", "name", "gitops-gate", "informationUri", TOOL_URI,
		"rules", rep->rules);
	if (!driver)
		return -1;
	if (rep->o.tool_version)
		json_object_set_new(driver, "version", jstr(rep->o.tool_version));
	root = json_pack("{s:s,s:s,s:[{s:{s:o},s:O}]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
		"runs", "tool", "driver", driver, "results", rep->resources);
	if (!root)
		return -1;
	error = dump_json(root, out);
	json_decref(root);
	return error;
}
