/*
 * ratchet_test: the part of an object a problem is about
 * (gate_ratchet_part()) and whether it is the same in two versions of a file
 * (gate_ratchet_same_part()).
 */
#include <stdlib.h>
#include <string.h>

#include "gate/ratchet.h"
#include "../tap.h"

static int part_is(const char *ptr, const char *want)
{
	char *got = gate_ratchet_part(ptr);
	int same = !strcmp(got, want);

	if (!same)
		diag("part of %s: got %s, want %s", ptr ? ptr : "(null)", got, want);
	free(got);
	return same;
}

static const char base[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata: {name: web, namespace: prod}\n"
	"spec:\n"
	"  replicas: 2\n"
	"  template:\n"
	"    spec:\n"
	"      hostNetwork: true\n"
	"      containers:\n"
	"        - name: web\n"
	"          image: nginx:1.25\n"
	"          securityContext: {privileged: true}\n"
	"        - name: side\n"
	"          image: busybox:1.36\n";

static int same(const char *a, const char *b, const char *ptr)
{
	return gate_ratchet_same_part(a, strlen(a), b, strlen(b), "Deployment", "web", "prod", ptr);
}

/* base with the first occurrence of from replaced by to (static buffer) */
static const char *edit(const char *from, const char *to)
{
	static char buf[4096];
	const char *at = strstr(base, from);
	size_t pre = (size_t)(at - base);

	memcpy(buf, base, pre);
	strcpy(buf + pre, to);
	strcat(buf, at + strlen(from));
	return buf;
}

int main(void)
{
	const char *priv = "/spec/template/spec/containers/0/securityContext/privileged";

	ok(part_is(priv, "/spec/template/spec/containers/0"), "a container's field: the container");
	ok(part_is("/spec/template/spec/initContainers/3/image", "/spec/template/spec/initContainers/3"),
		"init containers too");
	ok(part_is("/spec/template/spec/hostNetwork", "/spec/template/spec"),
		"a pod field: the pod spec");
	ok(part_is("/spec/template/spec/volumes/0/hostPath/path", "/spec/template/spec/volumes/0/hostPath"),
		"a volume's path: its hostPath");
	ok(part_is("/spec/containers/0", "/spec/containers/0"), "a container itself");
	ok(part_is("", ""), "the object: the object");
	ok(part_is(NULL, ""), "no pointer: the object");
	ok(part_is("/spec/a~1b/containers/1/x", "/spec/a~1b/containers/1"), "escaped segments kept");

	ok(same(base, base, priv), "unchanged: same");
	ok(same(base, edit("replicas: 2", "replicas: 5"), priv), "another field of the object: same part");
	ok(same(base, edit("busybox:1.36", "busybox:1.37"), priv), "another container: same part");
	ok(!same(base, edit("nginx:1.25", "evil/miner:latest"), priv), "its image switched: differs");
	ok(!same(base, edit("busybox:1.36", "busybox:1.37"), "/spec/template/spec/hostNetwork"),
		"pod-level problem: any container change differs");
	ok(!same(base, edit("name: web, namespace: prod", "name: web2, namespace: prod"), priv),
		"the object renamed: not found, differs");
	ok(!same(base, "kind: [unclosed\n", priv), "unreadable new version: differs");
	{
		char two[4096];
		strcpy(two, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n");
		strcat(two, base);
		ok(same(base, two, priv), "found in another document of the file");
	}
	{
		const char *list = "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
			"- metadata: {name: web, namespace: prod}\n"
			"  spec: {template: {spec: {containers: [{name: web, image: a}]}}}\n";
		const char *list2 = "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
			"- metadata: {name: web, namespace: prod}\n"
			"  spec: {template: {spec: {containers: [{name: web, image: b}]}}}\n";
		ok(!gate_ratchet_same_part(list, strlen(list), list2, strlen(list2), "Deployment", "web",
			"prod", "/spec/template/spec/containers/0/image"), "list items are looked into");
		ok(gate_ratchet_same_part(list, strlen(list), list, strlen(list), "Deployment", "web",
			"prod", "/spec/template/spec/containers/0/image"), "list items: same");
	}
	return tap_done();
}
