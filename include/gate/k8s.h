/*
 * k8s: Kubernetes resource identity and the schema store.
 *
 * The store finds a resource's schema through kubeconform-compatible location
 * templates, tried in order: local paths, or http(s) URLs fetched with libcurl
 * into an optional on-disk cache.  Each schema is loaded and compiled at most
 * once per store; the store is safe to use from several threads.
 */
#ifndef GATE_K8S_H
#define GATE_K8S_H

#include <stddef.h>
#include "gate/doc.h"
#include "gate/schema.h"

/* kubeconform's default location (its upstream URL) */
#define GATE_K8S_DEFAULT_LOCATION \
	"https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/" \
	"{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/" \
	"{{ .ResourceKind }}{{ .KindSuffix }}.json"

/*
 * The built-in catalog (schemas/catalog.tar.xz, installed under
 * $(pkgdatadir)/catalog): the location name "catalog" reads
 * <catalog_dir>/<group or "core">/<kind>_<version>.json.  {{ .GroupOrCore }}
 * is a gitops-gate extension of kubeconform's template fields.
 */
#define GATE_K8S_CATALOG "catalog"
#define GATE_K8S_CATALOG_LAYOUT \
	"{{ .GroupOrCore }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"

struct gate_k8s_id {
	const char *api_version; /* borrowed from the document */
	const char *kind;
	const char *name;        /* NULL when absent */
	const char *namespace_;  /* NULL when absent */
	char group[254];         /* "" for the core group */
	char version[64];
};

/*
 * Read apiVersion, kind, metadata.name and metadata.namespace of a resource.
 * Returns 0, or -1 with a kubeconform-like message in msg ("missing 'kind' key").
 */
int gate_k8s_id_read(struct gate_k8s_id *id, const struct gate_node *root,
	char *msg, size_t msgsize);

/*
 * What the tools that apply manifests make of a document's top-level
 * `items` (gate_k8s_list_kind()):
 *  - GATE_K8S_LIST: a kind ending in "List" (`List`, `DeploymentList`,
 *    `FooList`, any case for `list`).  kubectl, kustomize (so Flux) and
 *    Argo CD apply its items, not the list; an item with neither kind nor
 *    apiVersion becomes an object of the list's kind minus "List" and the
 *    list's apiVersion (apimachinery's unstructured list decoder).
 *  - GATE_K8S_ITEMS_ON_OBJECT: any other kind with an `items` sequence.
 *    kubectl's decoder and Argo CD (`IsList()`: an items array) apply its
 *    items and drop the object; kustomize and Flux apply the object.
 *  - GATE_K8S_NOT_LIST: neither.
 */
enum gate_k8s_list {
	GATE_K8S_NOT_LIST = 0,
	GATE_K8S_LIST,
	GATE_K8S_ITEMS_ON_OBJECT
};
enum gate_k8s_list gate_k8s_list_kind(const struct gate_node *root);

/* The items of a GATE_K8S_LIST with an items sequence, else NULL (borrowed from root). */
const struct gate_node *gate_k8s_list_items(const struct gate_node *root);

/*
 * Like gate_k8s_id_read() for an item of the list `list`: an item with
 * neither kind nor apiVersion takes the list's apiVersion and its kind
 * minus "List" (written into kindbuf, which must outlive id).  *inherited
 * is set to 1 when it did.
 */
int gate_k8s_item_id_read(struct gate_k8s_id *id, const struct gate_node *item,
	const struct gate_node *list, char *kindbuf, size_t kindsize, int *inherited,
	char *msg, size_t msgsize);

/*
 * Fill the identity fields of r that are still NULL (api_version, kind,
 * name, namespace_; strings are copied) from a document root read the
 * lenient way kubeconform's Resource.Signature() reads it for its output:
 * string values only, and a non-empty metadata.generateName wins over the
 * name as "<generateName>{{ generateName }}".  A root that is not a mapping
 * leaves r unchanged.  Results that could not be judged still name their
 * resource this way.
 */
struct gate_result;
void gate_k8s_identity_lenient(struct gate_result *r, const struct gate_node *root);

struct gate_store_opts {
	const char *const *locations; /* templates, "default" or "catalog"; none: default */
	size_t nlocations;
	const char *kubernetes_version; /* "1.32.2" or "master"; NULL: master */
	int strict;                     /* {{ .StrictSuffix }} = "-strict" */
	const char *cache_dir;          /* NULL: no on-disk cache */
	int offline;                    /* never touch the network */
	int insecure_skip_tls;          /* skip TLS verification (discouraged) */
	long timeout_ms;                /* per HTTP request; 0: 30 s */
	int retries;                    /* HTTP retries on transient failure */
	const char *catalog_dir;        /* the built-in catalog's folder; NULL: none */
};

struct gate_store;

/*
 * The template a location name stands for, into buf: "default" is
 * kubeconform's upstream URL, "catalog" the built-in catalog under
 * catalog_dir (-1 when catalog_dir is NULL); anything else is itself.
 * Returns 0, or -1 (no catalog, or too long).
 */
int gate_k8s_location_template(char *buf, size_t bufsize, const char *location,
	const char *catalog_dir);

int gate_store_new(struct gate_store **out, const struct gate_store_opts *opts,
	char *msg, size_t msgsize);
void gate_store_free(struct gate_store *st);

/*
 * Find the compiled schema of (id->kind, id->group, id->version).  On success
 * returns 0 and sets *out to the schema (borrowed: valid while st lives), or
 * to NULL when no location has one (kubeconform: "could not find schema").
 * Returns -1 with a message when a location failed in another way (HTTP 500,
 * unparsable schema after all locations, ...).
 */
int gate_store_lookup(struct gate_store *st, const struct gate_k8s_id *id,
	const struct gate_schema **out, char *msg, size_t msgsize);

/*
 * Like gate_store_lookup(), and also sets *location (when location is not
 * NULL) to the path or URL the schema was read from: borrowed, valid while
 * st lives, NULL when *out is NULL.
 */
int gate_store_lookup_ex(struct gate_store *st, const struct gate_k8s_id *id,
	const struct gate_schema **out, const char **location, char *msg, size_t msgsize);

/* Counters of a store's work since gate_store_new() (for tests and debugging). */
struct gate_store_stats {
	unsigned long lookups;    /* gate_store_lookup() calls */
	unsigned long resolves;   /* (kind, group, version) keys resolved: each once */
	unsigned long compiles;   /* schemas compiled */
	unsigned long http_gets;  /* HTTP requests made, retries included */
	unsigned long cache_hits; /* schemas read from cache_dir instead of the network */
};
void gate_store_stats(struct gate_store *st, struct gate_store_stats *out);

/*
 * A stable fingerprint of what the store would answer: locations, version,
 * strictness and the content of local schema files used so far.  Used to key
 * verdict caches.  Writes a hex string into buf.
 */
void gate_store_fingerprint(struct gate_store *st, char *buf, size_t bufsize);

/* Expand a template for one resource into buf; returns 0 or -1 (too long / bad template). */
int gate_k8s_expand_location(char *buf, size_t bufsize, const char *tmpl,
	const char *kind, const char *group, const char *version,
	const char *k8s_version, int strict);

#endif
