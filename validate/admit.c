/*
 * admit: schema, SOPS and metadata rules in one step; see include/gate/admit.h.
 */
#include "gate/admit.h"

#include "gate/k8s_meta.h"
#include "gate/sops.h"

int gate_admit_validate(const struct gate_schema *schema, const struct gate_node *root,
	const char *group, const char *kind, struct gate_schema_errors *errs, size_t max_errors)
{
	struct gate_node view;
	const struct gate_node *judged = root;
	int sops = gate_sops_encrypted(root), rc;
	size_t before = errs->n;

	if (sops) {
		gate_sops_view(&view, root);
		judged = &view;
	}
	/* errors on encrypted values are dropped: leave room for the others */
	rc = gate_schema_validate(schema, judged, errs, sops && max_errors ? max_errors * 4 : max_errors);
	if (rc >= 0 && sops && gate_sops_filter_errors(judged, errs) == before)
		rc = 1;
	if (rc >= 0 && kind && gate_k8s_meta_check(judged, group, kind, errs))
		rc = 0;
	if (sops)
		gate_sops_view_release(&view);
	return rc;
}
