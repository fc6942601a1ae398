#include "verdict_pack.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_BYTES (sizeof(GATE_VPACK_MAGIC) - 1 + 8)
#define ENTRY_BYTES 40
#define KEY_BYTES 32

struct gate_vpack_map {
	char *path;
	const unsigned char *data;
	size_t size;
	size_t count;
};

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 lowercase hex digits to 32 bytes; -1 when not such. */
static int key_bin(const char *key, unsigned char out[KEY_BYTES])
{
	size_t i;

	for (i = 0; i < KEY_BYTES; i++) {
		int h = hexval((unsigned char)key[2 * i]), l;
		if (h < 0 || (l = hexval((unsigned char)key[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(h << 4 | l);
	}
	return 0;
}

static void key_hex(const unsigned char *bin, char out[GATE_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < KEY_BYTES; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 15];
	}
	out[2 * KEY_BYTES] = '\0';
}

/* A pack's header and table are sound: magic, count, sorted keys, records inside the file. */
static int map_ok(const unsigned char *d, size_t size, size_t *count)
{
	size_t n, i, ml = sizeof(GATE_VPACK_MAGIC) - 1;

	if (size < HEAD_BYTES || memcmp(d, GATE_VPACK_MAGIC, ml))
		return 0;
	n = get_u32(d + ml);
	if (n > (size - HEAD_BYTES) / ENTRY_BYTES)
		return 0;
	for (i = 0; i < n; i++) {
		const unsigned char *e = d + HEAD_BYTES + i * ENTRY_BYTES;
		size_t off = get_u32(e + KEY_BYTES), len = get_u32(e + KEY_BYTES + 4);
		if (off < HEAD_BYTES + n * ENTRY_BYTES || off > size || len > size - off)
			return 0;
		if (i && memcmp(e - ENTRY_BYTES, e, KEY_BYTES) >= 0)
			return 0;
	}
	*count = n;
	return 1;
}

/* Map path; 1 mapped (m set), 0 not a sound pack, -1 unreadable. */
static int map_pack(const char *path, struct gate_vpack_map *m)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	m->data = p;
	m->size = (size_t)st.st_size;
	if (!map_ok(m->data, m->size, &m->count)) {
		munmap(p, m->size);
		return 0;
	}
	return 1;
}

static int is_pack_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".pack") && !strstr(name, ".tmp.");
}

void gate_vpacks_load(struct gate_vpacks *ps, const char *dir)
{
	char *pd;
	DIR *d;
	struct dirent *e;
	size_t alloc = 0;

	if (ps->loaded)
		return;
	ps->loaded = 1;
	pd = gate_xasprintf("%s/" GATE_VPACK_DIR, dir);
	d = opendir(pd);
	while (d && (e = readdir(d))) {
		struct gate_vpack_map m;
		char *path;
		if (!is_pack_name(e->d_name))
			continue;
		path = gate_xasprintf("%s/%s", pd, e->d_name);
		if (map_pack(path, &m) == 1) {
			m.path = path;
			GATE_ALLOC_GROW(ps->v, ps->n + 1, alloc);
			ps->v[ps->n++] = m;
		} else {
			free(path);
		}
	}
	if (d)
		closedir(d);
	free(pd);
}

static int find_in(const struct gate_vpack_map *m, const unsigned char *key, const char **rec, size_t *len)
{
	size_t lo = 0, hi = m->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const unsigned char *e = m->data + HEAD_BYTES + mid * ENTRY_BYTES;
		int c = memcmp(e, key, KEY_BYTES);
		if (!c) {
			*rec = (const char *)m->data + get_u32(e + KEY_BYTES);
			*len = get_u32(e + KEY_BYTES + 4);
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int gate_vpacks_find(const struct gate_vpacks *ps, const char *key, const char **rec, size_t *len)
{
	unsigned char kb[KEY_BYTES];
	size_t i;

	if (!ps->n || key_bin(key, kb) < 0)
		return 0;
	for (i = 0; i < ps->n; i++)
		if (find_in(&ps->v[i], kb, rec, len))
			return 1;
	return 0;
}

size_t gate_vpacks_count(const struct gate_vpacks *ps)
{
	size_t i, n = 0;

	for (i = 0; i < ps->n; i++)
		n += ps->v[i].count;
	return n;
}

void gate_vpacks_release(struct gate_vpacks *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		munmap((void *)ps->v[i].data, ps->v[i].size);
		free(ps->v[i].path);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

void gate_vpacks_take_all(const struct gate_vpacks *ps, struct gate_vpack_rec **recs, size_t *n, size_t *alloc)
{
	size_t i, k;

	for (i = 0; i < ps->n; i++)
		for (k = 0; k < ps->v[i].count; k++) {
			const unsigned char *e = ps->v[i].data + HEAD_BYTES + k * ENTRY_BYTES;
			struct gate_vpack_rec *r;
			GATE_ALLOC_GROW(*recs, *n + 1, *alloc);
			r = &(*recs)[(*n)++];
			memset(r, 0, sizeof(*r));
			key_hex(e, r->key);
			gate_buf_add(&r->rec, ps->v[i].data + get_u32(e + KEY_BYTES), get_u32(e + KEY_BYTES + 4));
		}
}

void gate_vpacks_remove(const struct gate_vpacks *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		unlink(ps->v[i].path);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct gate_vpack_rec *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int gate_vpack_write(const char *dir, struct gate_vpack_rec *recs, size_t n)
{
	struct gate_buf out = GATE_BUF_INIT;
	unsigned char *table;
	size_t i, k = 0, total;
	char sum[GATE_SHA256_HEX], *pd, *path;
	int ret = -1;

	if (!n)
		return 0;
	qsort(recs, n, sizeof(*recs), cmp_rec);
	/* the keys kept (the first of each), and where their records go */
	total = HEAD_BYTES;
	for (i = 0; i < n; i++) {
		if (i && !strcmp(recs[i].key, recs[i - 1].key))
			continue;
		k++;
	}
	total += k * ENTRY_BYTES;
	table = gate_xcalloc(HEAD_BYTES + k * ENTRY_BYTES, 1);
	memcpy(table, GATE_VPACK_MAGIC, sizeof(GATE_VPACK_MAGIC) - 1);
	put_u32(table + sizeof(GATE_VPACK_MAGIC) - 1, (uint32_t)k);
	for (i = 0, k = 0; i < n; i++) {
		unsigned char *e;
		if (i && !strcmp(recs[i].key, recs[i - 1].key))
			continue;
		e = table + HEAD_BYTES + k++ * ENTRY_BYTES;
		if (key_bin(recs[i].key, e) < 0 || total > UINT32_MAX - recs[i].rec.len)
			goto done;
		put_u32(e + KEY_BYTES, (uint32_t)total);
		put_u32(e + KEY_BYTES + 4, (uint32_t)recs[i].rec.len);
		total += recs[i].rec.len;
	}
	gate_buf_grow(&out, total);
	gate_buf_add(&out, table, HEAD_BYTES + k * ENTRY_BYTES);
	for (i = 0; i < n; i++)
		if (!i || strcmp(recs[i].key, recs[i - 1].key))
			gate_buf_add(&out, recs[i].rec.ptr ? recs[i].rec.ptr : "", recs[i].rec.len);
	/* named by its table: two writers of the same records make the same file */
	gate_sha256_hex(table, HEAD_BYTES + k * ENTRY_BYTES, sum);
	pd = gate_xasprintf("%s/" GATE_VPACK_DIR, dir);
	path = gate_xasprintf("%s/%.40s.pack", pd, sum);
	if (gate_mkdir_p(pd, 0777) == 0 && gate_write_file_replace(path, out.ptr, out.len, 0666, 0) == 0)
		ret = 0;
	free(path);
	free(pd);
done:
	free(table);
	gate_buf_release(&out);
	return ret;
}

void gate_vpacks_check(const char *dir, int (*check)(const char *key, const char *rec, size_t len),
	size_t *good, size_t *bad, size_t *tmp)
{
	char *pd = gate_xasprintf("%s/" GATE_VPACK_DIR, dir);
	DIR *d = opendir(pd);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		struct gate_vpack_map m;
		char *path;
		size_t i;
		if (e->d_name[0] == '.')
			continue;
		if (!is_pack_name(e->d_name)) {
			if (strstr(e->d_name, ".tmp."))
				(*tmp)++;
			else
				(*bad)++;
			continue;
		}
		path = gate_xasprintf("%s/%s", pd, e->d_name);
		if (map_pack(path, &m) != 1) {
			(*bad)++;
			free(path);
			continue;
		}
		for (i = 0; i < m.count; i++) {
			const unsigned char *en = m.data + HEAD_BYTES + i * ENTRY_BYTES;
			char key[GATE_SHA256_HEX];
			key_hex(en, key);
			if (check(key, (const char *)m.data + get_u32(en + KEY_BYTES), get_u32(en + KEY_BYTES + 4)))
				(*good)++;
			else
				(*bad)++;
		}
		munmap((void *)m.data, m.size);
		free(path);
	}
	if (d)
		closedir(d);
	free(pd);
}
