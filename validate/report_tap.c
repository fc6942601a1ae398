/*
 * report_tap: kubeconform's TAP (version 13), each problem's place as a
 * comment.
 */
#include "report_int.h"

void gate_report_tap_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	struct gate_buf msg = GATE_BUF_INIT;
	size_t i;

	/* kubeconform 0.6's lines: "ok N - path (version/kind/namespace/name)" */
	if (!rep->index++)
		gate_buf_adds(out, "TAP version 13\n");
	gate_buf_addf(out, "%s %zu - ", r->status == GATE_STATUS_INVALID ||
		r->status == GATE_STATUS_ERROR ? "not ok" : "ok", rep->index);
	add_esc(out, nz(r->filename));
	switch (r->status) {
	case GATE_STATUS_VALID:
	case GATE_STATUS_INVALID:
	case GATE_STATUS_SKIPPED:
		gate_buf_adds(out, " (");
		add_esc(out, nz(r->api_version));
		gate_buf_addc(out, '/');
		add_esc(out, nz(r->kind));
		gate_buf_addc(out, '/');
		add_esc(out, nz(r->namespace_));
		gate_buf_addc(out, '/');
		add_esc(out, nz(r->name));
		gate_buf_adds(out, r->status == GATE_STATUS_INVALID ? "): " :
			r->status == GATE_STATUS_SKIPPED ? ") # skip" : ")");
		break;
	case GATE_STATUS_EMPTY:
		gate_buf_adds(out, " (empty)");
		break;
	case GATE_STATUS_ERROR:
		gate_buf_adds(out, ": ");
		break;
	}
	if (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR) {
		gate_report_result_msg(&msg, r);
		if (msg.len)
			gate_buf_add_escaped(out, msg.ptr, msg.len);
	}
	gate_buf_addc(out, '\n');
	/* places of the problems as TAP comments */
	for (i = 0; i < r->nproblems; i++) {
		gate_buf_adds(out, "# ");
		gate_report_problem_line(out, r, &r->problems[i]);
		gate_buf_addc(out, '\n');
		if (r->problems[i].suppressed)
			rep->c.suppressed++;
		else
			rep->c.problems++;
	}
	gate_buf_release(&msg);
}
