/*
 * doc_throughput: measure the document loader against libyaml's bare event
 * parser on real files (not a test: it prints figures, asserts nothing).
 *
 *   tests/unit/doc_throughput [-n ROUNDS] DIR|FILE...
 *
 * Every *.yaml, *.yml and *.json file under the arguments is read into memory
 * first; then each round (a) runs libyaml's event parser over every file and
 * (b) splits every file as kubeconform does and builds a gate_doc per part.
 * Prints MB/s of each and the ratio.
 */
#include "gate/doc.h"
#include "gate/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

struct file {
	char *data;
	size_t len;
};

static struct file *files;
static size_t nfiles, afiles, total;

static int wanted(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
		(n > 5 && !strcmp(name + n - 5, ".json"));
}

static void add_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (stat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		if (!(d = opendir(path)))
			return;
		while ((e = readdir(d))) {
			char *sub;
			if (e->d_name[0] == '.')
				continue;
			sub = gate_xasprintf("%s/%s", path, e->d_name);
			if (stat(sub, &st) == 0 && (S_ISDIR(st.st_mode) || wanted(e->d_name)))
				add_path(sub);
			free(sub);
		}
		closedir(d);
		return;
	}
	GATE_ALLOC_GROW(files, nfiles + 1, afiles);
	if (gate_read_file(path, (size_t)1 << 30, &files[nfiles].data, &files[nfiles].len) == 0) {
		total += files[nfiles].len;
		nfiles++;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t events_only(const struct file *f)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t n = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)f->data, f->len);
	for (;;) {
		int type;
		if (!yaml_parser_parse(&p, &ev))
			break;
		type = ev.type;
		yaml_event_delete(&ev);
		n++;
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return n;
}

struct counts {
	size_t docs, errors;
};

static int part(const char *p, size_t len, uint32_t line, void *payload)
{
	struct counts *c = payload;
	struct gate_doc *doc;
	struct gate_doc_error err;

	if (gate_doc_parse(&doc, p, len, line, NULL, 0, &err) < 0) {
		c->errors++;
		return 0;
	}
	c->docs++;
	gate_doc_free(doc);
	return 0;
}

int main(int argc, char **argv)
{
	int i, r, rounds = 3;
	double t, best_ev = 1e9, best_doc = 1e9;
	struct counts c = { 0, 0 };
	size_t k, events = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
			continue;
		}
		add_path(argv[i]);
	}
	if (!nfiles) {
		fprintf(stderr, "usage: doc_throughput [-n ROUNDS] DIR|FILE...\n");
		return 2;
	}
	for (r = 0; r < rounds; r++) {
		t = now();
		for (k = 0; k < nfiles; k++)
			events += events_only(&files[k]);
		t = now() - t;
		if (t < best_ev)
			best_ev = t;
		t = now();
		for (k = 0; k < nfiles; k++)
			gate_doc_split(files[k].data, files[k].len, part, &c);
		t = now() - t;
		if (t < best_doc)
			best_doc = t;
	}
	printf("%zu files, %.1f MB, %zu documents per round (%zu with errors)\n", nfiles,
		(double)total / 1e6, c.docs / (size_t)rounds, c.errors / (size_t)rounds);
	printf("libyaml events only: %.3f s, %.0f MB/s, %zu events per round\n", best_ev,
		(double)total / 1e6 / best_ev, events / (size_t)rounds);
	printf("gate_doc split+parse: %.3f s, %.0f MB/s (%.2fx the event parser's time)\n", best_doc,
		(double)total / 1e6 / best_doc, best_doc / best_ev);
	for (k = 0; k < nfiles; k++)
		free(files[k].data);
	free(files);
	return 0;
}
