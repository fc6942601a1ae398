/*
 * k8s_meta: the API server's metadata rules; see include/gate/k8s_meta.h.
 * The wording follows apimachinery's validation messages and field errors
 * ("<path>: Invalid value: \"<value>\": <detail>").
 */
#include "gate/k8s_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

#define SUBDOMAIN_MAX 253
#define LABEL_MAX 63

#define SUBDOMAIN_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
#define LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1035_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define KEY_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

static const char subdomain_msg[] = "a lowercase RFC 1123 subdomain must consist of lower case "
	"alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
	"(e.g. 'example.com', regex used for validation is '" SUBDOMAIN_FMT "')";
static const char label_msg[] = "a lowercase RFC 1123 label must consist of lower case "
	"alphanumeric characters or '-', and must start and end with an alphanumeric character "
	"(e.g. 'my-name',  or '123-abc', regex used for validation is '" LABEL_FMT "')";
static const char dns1035_msg[] = "a DNS-1035 label must consist of lower case alphanumeric "
	"characters or '-', start with an alphabetic character, and end with an alphanumeric "
	"character (e.g. 'my-name',  or 'abc-123', regex used for validation is '" DNS1035_FMT "')";
static const char key_msg[] = "must consist of alphanumeric characters, '-', '_' or '.', and "
	"must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
	"'123-abc', regex used for validation is '" KEY_FMT "')";
static const char value_msg[] = "a valid label must be an empty string or consist of "
	"alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
	"character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
	"'(" KEY_FMT ")?')";

struct mctx {
	struct gate_schema_errors *errs;
	size_t added;
};

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static int dns_label(const char *s, size_t n)
{
	size_t i;

	if (!n || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int dns_subdomain(const char *s, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!dns_label(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int qualified_part(const char *s, size_t n)
{
	size_t i;

	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

/*
 * A value not known until deploy time: encrypted by SOPS (ENC[...]), or
 * holding a ${VAR} that Flux's post-build substitution replaces.
 */
static int is_enc(const struct gate_node *v)
{
	return v && v->type == GATE_NODE_STRING && ((v->len >= 5 && !strncmp(v->u.str, "ENC[", 4) &&
		v->u.str[v->len - 1] == ']') || strstr(v->u.str, "${"));
}

/* kinds the API server stores without a namespace (kubectl drops one given) */
static int cluster_scoped(const char *group, const char *kind)
{
	static const char *const k[] = {
		"/Namespace", "/Node", "/PersistentVolume", "/ComponentStatus",
		"rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
		"storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode",
		"storage.k8s.io/VolumeAttachment", "scheduling.k8s.io/PriorityClass",
		"apiextensions.k8s.io/CustomResourceDefinition", "apiregistration.k8s.io/APIService",
		"admissionregistration.k8s.io/MutatingWebhookConfiguration",
		"admissionregistration.k8s.io/ValidatingWebhookConfiguration",
		"admissionregistration.k8s.io/ValidatingAdmissionPolicy",
		"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
		"admissionregistration.k8s.io/MutatingAdmissionPolicy",
		"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
		"networking.k8s.io/IngressClass", "node.k8s.io/RuntimeClass",
		"certificates.k8s.io/CertificateSigningRequest",
		"flowcontrol.apiserver.k8s.io/FlowSchema",
		"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
		"gateway.networking.k8s.io/GatewayClass",
		NULL
	};
	size_t gl = strlen(group), i;

	for (i = 0; k[i]; i++)
		if (!strncmp(k[i], group, gl) && k[i][gl] == '/' && !strcmp(k[i] + gl + 1, kind))
			return 1;
	return 0;
}

#define MAX_QUOTED 256 /* bytes of a value shown in a message (a line stays bounded) */

/*
 * A Go %q of s, enough for messages: quotes, backslashes and control
 * characters escaped; a value longer than MAX_QUOTED bytes is cut, with
 * "..." after the closing quote (the API server shows it whole).
 */
static void add_quoted(struct gate_buf *b, const char *s)
{
	const char *end = s + strnlen(s, MAX_QUOTED + 1);
	int cut = end - s > MAX_QUOTED;

	if (cut) /* not inside a UTF-8 sequence */
		for (end = s + MAX_QUOTED; end > s && ((unsigned char)*end & 0xc0) == 0x80; end--)
			;
	gate_buf_adds(b, "\"");
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			gate_buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			gate_buf_addf(b, "\\x%02x", c);
		else
			gate_buf_add(b, s, 1);
	}
	gate_buf_adds(b, cut ? "\"..." : "\"");
}

static void add_err(struct mctx *m, const char *pointer, const struct gate_node *at,
	const char *field, const char *value, const char *detail)
{
	struct gate_schema_errors *e = m->errs;
	struct gate_schema_error *x;
	struct gate_buf msg = GATE_BUF_INIT;

	gate_buf_addf(&msg, "%s: ", field);
	if (value) {
		gate_buf_adds(&msg, "Invalid value: ");
		add_quoted(&msg, value);
		gate_buf_addf(&msg, ": %s", detail);
	} else {
		gate_buf_adds(&msg, detail);
	}
	GATE_ALLOC_GROW(e->v, e->n + 1, e->alloc);
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->pointer = gate_xstrdup(pointer);
	x->line = at ? at->line : 0;
	x->col = at ? at->col : 0;
	x->keyword = gate_xstrdup("metadata");
	x->message = gate_buf_detach(&msg);
	m->added++;
}

enum name_rule { SUBDOMAIN, LABEL, DNS1035, PATH_SEGMENT };

/* The messages a name breaks under rule (prefix: a generateName, whose trailing '-' is fine). */
static void check_name(struct mctx *m, const char *pointer, const struct gate_node *at,
	const char *field, const char *name, enum name_rule rule, int prefix)
{
	size_t n = strlen(name), maxlen = rule == SUBDOMAIN ? SUBDOMAIN_MAX : LABEL_MAX;
	char *masked = gate_xstrdup(name);
	char lenmsg[64];

	/* apimachinery's maskTrailingDash: a generated suffix follows the dash */
	if (prefix && n > 1 && masked[n - 1] == '-')
		masked[n - 1] = 'a';
	if (rule == PATH_SEGMENT) {
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			add_err(m, pointer, at, field, name, !strcmp(name, ".") ?
				"may not be '.'" : "may not be '..'");
		else if (strchr(name, '/'))
			add_err(m, pointer, at, field, name, "may not contain '/'");
		else if (strchr(name, '%'))
			add_err(m, pointer, at, field, name, "may not contain '%'");
		free(masked);
		return;
	}
	if (n > maxlen) {
		snprintf(lenmsg, sizeof(lenmsg), "must be no more than %zu bytes", maxlen);
		add_err(m, pointer, at, field, name, lenmsg);
	}
	switch (rule) {
	case SUBDOMAIN:
		if (!dns_subdomain(masked, n))
			add_err(m, pointer, at, field, name, subdomain_msg);
		break;
	case LABEL:
		if (!dns_label(masked, n))
			add_err(m, pointer, at, field, name, dns_subdomain(masked, n) ?
				"must not contain dots" : label_msg);
		break;
	default:
		if (!dns_label(masked, n) || (masked[0] >= '0' && masked[0] <= '9'))
			add_err(m, pointer, at, field, name, dns1035_msg);
		break;
	}
	free(masked);
}

static enum name_rule rule_of(const char *group, const char *kind)
{
	if (!*group && !strcmp(kind, "Namespace"))
		return LABEL;
	if (!*group && !strcmp(kind, "Service"))
		return DNS1035;
	if (!strcmp(group, "rbac.authorization.k8s.io"))
		return PATH_SEGMENT;
	return SUBDOMAIN;
}

/* label keys and annotation keys: [prefix/]name */
static void check_key(struct mctx *m, const char *pointer, const struct gate_node *at,
	const char *field, const char *key, int lower)
{
	char *k = gate_xstrdup(key), *slash, *name = k, buf[512];
	size_t i;

	if (lower)
		for (i = 0; k[i]; i++)
			if (k[i] >= 'A' && k[i] <= 'Z')
				k[i] = (char)(k[i] - 'A' + 'a');
	slash = strchr(k, '/');
	if (slash && strchr(slash + 1, '/')) {
		snprintf(buf, sizeof(buf), "a valid label key %s with an optional DNS subdomain prefix "
			"and '/' (e.g. 'example.com/MyName')", key_msg);
		add_err(m, pointer, at, field, key, buf);
		free(k);
		return;
	}
	if (slash) {
		size_t pl = (size_t)(slash - k);
		name = slash + 1;
		if (!pl) {
			add_err(m, pointer, at, field, key, "prefix part must be non-empty");
		} else {
			if (pl > SUBDOMAIN_MAX)
				add_err(m, pointer, at, field, key, "prefix part must be no more than 253 bytes");
			if (!dns_subdomain(k, pl)) {
				snprintf(buf, sizeof(buf), "prefix part %s", subdomain_msg);
				add_err(m, pointer, at, field, key, buf);
			}
		}
	}
	if (!*name)
		add_err(m, pointer, at, field, key, "name part must be non-empty");
	else if (strlen(name) > LABEL_MAX)
		add_err(m, pointer, at, field, key, "name part must be no more than 63 bytes");
	if (!qualified_part(name, strlen(name))) {
		snprintf(buf, sizeof(buf), "name part %s", key_msg);
		add_err(m, pointer, at, field, key, buf);
	}
	free(k);
}

static void ptr_child(char *out, size_t size, const char *base, const char *key)
{
	size_t n = (size_t)snprintf(out, size, "%s/", base);

	for (; *key && n + 3 < size; key++) {
		if (*key == '~' || *key == '/') {
			out[n++] = '~';
			out[n++] = *key == '~' ? '0' : '1';
		} else {
			out[n++] = *key;
		}
	}
	out[n < size ? n : size - 1] = '\0';
}

static void check_labels(struct mctx *m, const struct gate_node *labels)
{
	char ptr[512];
	uint32_t i;

	if (!labels || labels->type != GATE_NODE_OBJECT)
		return;
	for (i = 0; i < labels->len; i++) {
		const struct gate_member *mb = &labels->u.members[i];
		const struct gate_node *v = &mb->value;

		ptr_child(ptr, sizeof(ptr), "/metadata/labels", mb->key);
		check_key(m, ptr, v, "metadata.labels", mb->key, 0);
		if (v->type != GATE_NODE_STRING || is_enc(v))
			continue;
		if (v->len > LABEL_MAX)
			add_err(m, ptr, v, "metadata.labels", v->u.str, "must be no more than 63 bytes");
		if (v->len && !qualified_part(v->u.str, v->len))
			add_err(m, ptr, v, "metadata.labels", v->u.str, value_msg);
	}
}

static void check_annotations(struct mctx *m, const struct gate_node *ann)
{
	char ptr[512], detail[64];
	size_t total = 0;
	uint32_t i;

	if (!ann || ann->type != GATE_NODE_OBJECT)
		return;
	for (i = 0; i < ann->len; i++) {
		const struct gate_member *mb = &ann->u.members[i];

		ptr_child(ptr, sizeof(ptr), "/metadata/annotations", mb->key);
		/* case does not matter in annotation keys */
		check_key(m, ptr, &mb->value, "metadata.annotations", mb->key, 1);
		total += mb->key_len;
		if (mb->value.type == GATE_NODE_STRING)
			total += mb->value.len;
	}
	if (total > GATE_K8S_META_ANNOTATIONS_MAX) {
		snprintf(detail, sizeof(detail), "Too long: may not be more than %u bytes",
			GATE_K8S_META_ANNOTATIONS_MAX);
		add_err(m, "/metadata/annotations", ann, "metadata.annotations", NULL, detail);
	}
}

/* CustomResourceDefinition: the name is spec.names.plural + "." + spec.group */
static void check_crd_name(struct mctx *m, const struct gate_node *root, const struct gate_node *nn)
{
	const struct gate_node *spec = gate_node_get(root, "spec"), *names;
	const char *plural, *group;
	char *want;

	if (!spec || spec->type != GATE_NODE_OBJECT)
		return;
	names = gate_node_get(spec, "names");
	plural = names && names->type == GATE_NODE_OBJECT ? gate_node_get_str(names, "plural") : NULL;
	group = gate_node_get_str(spec, "group");
	if (!plural || !group)
		return;
	want = gate_xasprintf("%s.%s", plural, group);
	if (strcmp(want, nn->u.str))
		add_err(m, "/metadata/name", nn, "metadata.name", nn->u.str,
			"must be spec.names.plural+\".\"+spec.group");
	free(want);
}

size_t gate_k8s_meta_check(const struct gate_node *root, const char *group,
	const char *kind, struct gate_schema_errors *errs)
{
	const struct gate_node *meta, *nn, *gn, *ns;
	struct mctx m = { errs, 0 };
	enum name_rule rule;
	size_t kl;

	if (!root || root->type != GATE_NODE_OBJECT || !kind || !errs)
		return 0;
	if (!group)
		group = "";
	kl = strlen(kind);
	if (kl > 4 && !strcmp(kind + kl - 4, "List"))
		return 0;
	rule = rule_of(group, kind);
	meta = gate_node_get(root, "metadata");
	if (meta && meta->type != GATE_NODE_OBJECT)
		return 0; /* the schema says what is wrong with it */
	nn = meta ? gate_node_get(meta, "name") : NULL;
	gn = meta ? gate_node_get(meta, "generateName") : NULL;
	if (gn && gn->type == GATE_NODE_STRING && gn->len && !is_enc(gn))
		check_name(&m, "/metadata/generateName", gn, "metadata.generateName", gn->u.str, rule, 1);
	if ((!nn || nn->type == GATE_NODE_NULL || (nn->type == GATE_NODE_STRING && !nn->len)) &&
	    !(gn && gn->type == GATE_NODE_STRING && gn->len)) {
		add_err(&m, meta ? "/metadata" : "", meta ? meta : root, "metadata.name", NULL,
			"Required value: name or generateName is required");
	} else if (nn && nn->type == GATE_NODE_STRING && nn->len && !is_enc(nn)) {
		check_name(&m, "/metadata/name", nn, "metadata.name", nn->u.str, rule, 0);
		if (!strcmp(group, "batch") && !strcmp(kind, "CronJob") && nn->len > 52)
			add_err(&m, "/metadata/name", nn, "metadata.name", nn->u.str,
				"must be no more than 52 characters");
		if (!strcmp(group, "apiextensions.k8s.io") && !strcmp(kind, "CustomResourceDefinition"))
			check_crd_name(&m, root, nn);
	}
	ns = meta ? gate_node_get(meta, "namespace") : NULL;
	if (ns && ns->type == GATE_NODE_STRING && ns->len && !is_enc(ns) && !cluster_scoped(group, kind))
		check_name(&m, "/metadata/namespace", ns, "metadata.namespace", ns->u.str, LABEL, 0);
	if (meta) {
		check_labels(&m, gate_node_get(meta, "labels"));
		check_annotations(&m, gate_node_get(meta, "annotations"));
	}
	return m.added;
}
