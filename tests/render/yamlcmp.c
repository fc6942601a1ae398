/*
 * yamlcmp: compare two YAML streams as lists of documents (yamlcmp.h).
 *
 *   yamlcmp EXPECTED ACTUAL   exit 0 when equal, 1 with the first difference
 */
#include "config.h"

#include "yamlcmp.h"

static int load(const char *file, struct docs *d)
{
	char *buf;
	size_t len;
	int rc;

	if (gate_read_file(file, 256u << 20, &buf, &len) < 0) {
		printf("cannot read %s\n", file);
		return -1;
	}
	rc = load_buf(file, buf, len, d);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	struct docs a = { 0 }, b = { 0 };
	struct gate_buf msg = GATE_BUF_INIT;
	int ret;

	if (argc != 3) {
		fputs("usage: yamlcmp EXPECTED ACTUAL\n", stderr);
		return 2;
	}
	if (load(argv[1], &a) < 0 || load(argv[2], &b) < 0)
		return 1;
	ret = docs_diff(&a, &b, &msg);
	if (ret)
		printf("%s\n", msg.ptr);
	docs_release(&a);
	docs_release(&b);
	gate_buf_release(&msg);
	return ret;
}
