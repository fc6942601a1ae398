/*
 * facts_index: the persistent blob-facts index.  See include/gate/facts_index.h.
 */
#include "gate/facts_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/util.h"

#define MAGIC "gitops-gate-facts 2\n"
#define ENTRY_BYTES 36
#define MAX_INDEX_BYTES ((size_t)1 << 31)
#define MAX_ENTRIES ((size_t)1 << 24)
#define DELTA_MAX 4096  /* a delta past this (or past 1/8 of the base) is merged into the base */

/*
 * An entry of the delta.  One loaded from the delta file borrows its text
 * from the mapped file and is verified against its sum when first used
 * (checked; dead when it failed: as if absent); one added or changed owns
 * its text.
 */
struct dent {
	unsigned char id[GATE_FACTS_ID_BYTES];
	unsigned flags;
	char *text;
	size_t len;
	uint32_t sum;
	unsigned owned : 1, checked : 1, dead : 1;
};

/* A file's bytes: mapped, or read when it cannot be mapped. */
struct fbytes {
	char *ptr;
	size_t len;
	int mapped;
};

struct gate_facts_index {
	char *base_path, *delta_path, *stamp;
	struct fbytes bfile, dfile; /* the base and delta files as loaded */
	char *bbuf;                 /* the base file's bytes, NULL: none usable */
	const unsigned char *btab;  /* its table */
	const char *bdata;
	size_t bn, bdatalen;
	unsigned char *bok;         /* a bit per base entry: its text was checked good */
	struct dent *d;             /* the delta: loaded and added entries */
	size_t nd, ad;
	size_t *slots;              /* index + 1 into d, 0 empty */
	size_t nslots;
	size_t pending;
	struct gate_facts_index_stats st;
};

static uint64_t fnv64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

/*
 * The table's sum: FNV-1a over 64-bit words (then the last bytes), so the
 * whole table is checked on each load at a fraction of a byte-wise sum's cost.
 */
static uint64_t table_sum(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ull, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		h = (h ^ w) * 1099511628211ull;
		h ^= h >> 29;
	}
	return h ^ fnv64(s + i, n - i);
}

static uint32_t fnv32(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static size_t id_slot(const struct gate_facts_index *idx, const unsigned char *id)
{
	size_t h;

	memcpy(&h, id, sizeof(h));
	h &= idx->nslots - 1;
	while (idx->slots[h] && memcmp(idx->d[idx->slots[h] - 1].id, id, GATE_FACTS_ID_BYTES))
		h = (h + 1) & (idx->nslots - 1);
	return h;
}

static struct dent *delta_find(const struct gate_facts_index *idx, const unsigned char *id)
{
	size_t s;

	if (!idx->nd)
		return NULL;
	s = id_slot(idx, id);
	return idx->slots[s] ? &idx->d[idx->slots[s] - 1] : NULL;
}

static struct dent *delta_add(struct gate_facts_index *idx, const unsigned char *id)
{
	struct dent *e;
	size_t i;

	if ((idx->nd + 1) * 2 > idx->nslots) {
		free(idx->slots);
		idx->nslots = idx->nslots ? idx->nslots * 2 : 256;
		idx->slots = gate_xcalloc(idx->nslots, sizeof(*idx->slots));
		for (i = 0; i < idx->nd; i++)
			idx->slots[id_slot(idx, idx->d[i].id)] = i + 1;
	}
	GATE_ALLOC_GROW(idx->d, idx->nd + 1, idx->ad);
	e = &idx->d[idx->nd];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, GATE_FACTS_ID_BYTES);
	idx->slots[id_slot(idx, id)] = ++idx->nd;
	return e;
}

/*
 * Check a file's header, stamp and table; on success returns the number of
 * entries with *tab and *data (into buf) and *datalen set; -1 when unusable.
 */
static long parse_file(const char *buf, size_t len, const char *stamp,
	const unsigned char **tab, const char **data, size_t *datalen)
{
	const char *p = buf, *end = buf + len, *nl;
	unsigned long long n, dl;
	char sum[17], want[17];
	size_t ml = sizeof(MAGIC) - 1, sl = strlen(stamp), i;

	if (len < ml || memcmp(p, MAGIC, ml))
		return -1;
	p += ml;
	if ((size_t)(end - p) < 6 + sl + 1 || memcmp(p, "stamp ", 6) || memcmp(p + 6, stamp, sl) ||
	    p[6 + sl] != '\n')
		return -1;
	p += 6 + sl + 1;
	if (!(nl = memchr(p, '\n', (size_t)(end - p))) || nl - p > 80)
		return -1;
	{
		char line[96];
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if (sscanf(line, "count %llu %llu %16s", &n, &dl, sum) != 3 || strlen(sum) != 16)
			return -1;
	}
	p = nl + 1;
	if (n > MAX_ENTRIES || (size_t)(end - p) < n * ENTRY_BYTES ||
	    (size_t)(end - p) - n * ENTRY_BYTES != dl)
		return -1;
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)table_sum(p, (size_t)n * ENTRY_BYTES));
	if (strcmp(want, sum))
		return -1;
	*tab = (const unsigned char *)p;
	*data = p + n * ENTRY_BYTES;
	*datalen = (size_t)dl;
	/* sorted, strictly, and every text inside the data */
	for (i = 0; i < n; i++) {
		const unsigned char *e = *tab + i * ENTRY_BYTES;
		uint32_t off = get_u32(e + 24), l = get_u32(e + 28);
		if ((uint64_t)off + l > dl || (i && memcmp(e - ENTRY_BYTES, e, GATE_FACTS_ID_BYTES) >= 0))
			return -1;
	}
	return (long)n;
}

/* The text of table entry e verified against its sum: 1, or 0 when it fails. */
static int entry_ok(const char *data, const unsigned char *e)
{
	return fnv32(data + get_u32(e + 24), get_u32(e + 28)) == get_u32(e + 32);
}

/*
 * Load file path: mapped (only the pages used are read; the files are
 * replaced by renaming, never written in place), else read.  -1 with errno.
 */
static int load_file(const char *path, struct fbytes *fb)
{
	struct stat st;
	void *m;
	int fd;

	memset(fb, 0, sizeof(*fb));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_INDEX_BYTES ||
	    st.st_size <= 0 || (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return gate_read_file(path, MAX_INDEX_BYTES, &fb->ptr, &fb->len);
	}
	close(fd);
	fb->ptr = m;
	fb->len = (size_t)st.st_size;
	fb->mapped = 1;
	return 0;
}

static void release_file(struct fbytes *fb)
{
	if (fb->mapped)
		munmap(fb->ptr, fb->len);
	else
		free(fb->ptr);
	memset(fb, 0, sizeof(*fb));
}

/* The delta's entries, their texts borrowed from the file and checked when used. */
static void load_delta(struct gate_facts_index *idx)
{
	const unsigned char *tab;
	const char *data;
	size_t dl, i;
	long n;

	if (load_file(idx->delta_path, &idx->dfile) < 0) {
		if (errno != ENOENT)
			idx->st.bad++;
		return;
	}
	if ((n = parse_file(idx->dfile.ptr, idx->dfile.len, idx->stamp, &tab, &data, &dl)) < 0) {
		idx->st.bad++;
		release_file(&idx->dfile);
		return;
	}
	for (i = 0; i < (size_t)n; i++) {
		const unsigned char *e = tab + i * ENTRY_BYTES;
		struct dent *d = delta_add(idx, e);
		d->flags = get_u32(e + 20);
		d->len = get_u32(e + 28);
		d->text = (char *)data + get_u32(e + 24);
		d->sum = get_u32(e + 32);
	}
	idx->st.loaded += (size_t)n;
}

/* Is delta entry d good to use (checked against its sum on first use)? */
static int dent_live(struct gate_facts_index *idx, struct dent *d)
{
	if (!d->owned && !d->checked) {
		d->checked = 1;
		if (fnv32(d->text, d->len) != d->sum) {
			idx->st.bad++;
			d->dead = 1;
		}
	}
	return !d->dead;
}

static void dent_set_text(struct dent *d, const char *text, size_t len)
{
	char *t = gate_xmalloc(len + 1);

	if (len)
		memcpy(t, text, len);
	t[len] = '\0';
	if (d->owned)
		free(d->text);
	d->text = t;
	d->len = len;
	d->owned = 1;
}

void gate_facts_index_open(struct gate_facts_index **out, const char *dir, const char *stamp)
{
	struct gate_facts_index *idx = gate_xcalloc(1, sizeof(*idx));
	size_t len;
	long n;

	idx->base_path = gate_xasprintf("%s/facts-index", dir);
	idx->delta_path = gate_xasprintf("%s/facts-index.delta", dir);
	idx->stamp = gate_xstrdup(stamp);
	if (strchr(idx->stamp, '\n'))
		*strchr(idx->stamp, '\n') = '\0';
	if (load_file(idx->base_path, &idx->bfile) == 0) {
		idx->bbuf = idx->bfile.ptr;
		len = idx->bfile.len;
		if ((n = parse_file(idx->bbuf, len, idx->stamp, &idx->btab, &idx->bdata, &idx->bdatalen)) < 0) {
			idx->st.bad++;
			release_file(&idx->bfile);
			idx->bbuf = NULL;
		} else {
			idx->bn = (size_t)n;
			idx->st.loaded += idx->bn;
		}
	} else if (errno != ENOENT) {
		idx->st.bad++;
	}
	load_delta(idx);
	*out = idx;
}

void gate_facts_index_free(struct gate_facts_index *idx)
{
	size_t i;

	if (!idx)
		return;
	for (i = 0; i < idx->nd; i++)
		if (idx->d[i].owned)
			free(idx->d[i].text);
	free(idx->d);
	free(idx->slots);
	free(idx->bok);
	release_file(&idx->bfile);
	release_file(&idx->dfile);
	free(idx->base_path);
	free(idx->delta_path);
	free(idx->stamp);
	free(idx);
}

/* Base entry e's text checked against its sum, once per entry. */
static int base_ok(struct gate_facts_index *idx, const unsigned char *e)
{
	size_t i = (size_t)(e - idx->btab) / ENTRY_BYTES;

	if (!idx->bok)
		idx->bok = gate_xcalloc(idx->bn / 8 + 1, 1);
	if (idx->bok[i / 8] & (1u << (i % 8)))
		return 1;
	if (!entry_ok(idx->bdata, e))
		return 0;
	idx->bok[i / 8] |= (unsigned char)(1u << (i % 8));
	return 1;
}

/* The base's table entry of id, or NULL. */
static const unsigned char *base_find(const struct gate_facts_index *idx, const unsigned char *id)
{
	size_t lo = 0, hi = idx->bn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(idx->btab + mid * ENTRY_BYTES, id, GATE_FACTS_ID_BYTES);
		if (!c)
			return idx->btab + mid * ENTRY_BYTES;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int gate_facts_index_get(struct gate_facts_index *idx, const unsigned char *id,
	unsigned *flags, const char **text, size_t *len)
{
	struct dent *d = delta_find(idx, id);
	const unsigned char *e;

	if (d && !dent_live(idx, d))
		d = NULL;
	*flags = 0;
	if (text)
		*text = NULL;
	if (len)
		*len = 0;
	if (d) {
		*flags = d->flags;
		if (text && (d->flags & GATE_FACTS_HAS_TEXT)) {
			*text = d->text;
			*len = d->len;
		}
		idx->st.hits++;
		return 1;
	}
	if (idx->bn && (e = base_find(idx, id))) {
		/* the flags are under the table's sum; the text under its own */
		if (text && !base_ok(idx, e)) {
			idx->st.bad++;
			idx->st.misses++;
			return 0;
		}
		*flags = get_u32(e + 20);
		if (text && (*flags & GATE_FACTS_HAS_TEXT)) {
			*text = idx->bdata + get_u32(e + 24);
			*len = get_u32(e + 28);
		}
		idx->st.hits++;
		return 1;
	}
	idx->st.misses++;
	return 0;
}

void gate_facts_index_put(struct gate_facts_index *idx, const unsigned char *id, unsigned flags,
	const char *text, size_t len)
{
	struct dent *d = delta_find(idx, id);
	const unsigned char *e;
	int has_text = (flags & GATE_FACTS_HAS_TEXT) && text, changed = 0;

	if (!has_text)
		flags &= ~GATE_FACTS_HAS_TEXT;
	if (len > UINT32_MAX / 2)
		return;
	if (!d || !dent_live(idx, d)) {
		if (!d)
			d = delta_add(idx, id);
		d->dead = 0;
		d->flags = 0;
		/* what the base knows of it, when it verifies */
		if (idx->bn && (e = base_find(idx, id)) && base_ok(idx, e)) {
			d->flags = get_u32(e + 20);
			dent_set_text(d, idx->bdata + get_u32(e + 24), get_u32(e + 28));
		} else {
			dent_set_text(d, "", 0);
			changed = 1;
		}
	}
	if ((d->flags | flags) != d->flags)
		changed = 1;
	d->flags |= flags;
	if (has_text && (d->len != len || (len && memcmp(d->text, text, len)))) {
		dent_set_text(d, text, len);
		changed = 1;
	}
	if (changed)
		idx->pending++;
}

size_t gate_facts_index_pending(const struct gate_facts_index *idx)
{
	return idx ? idx->pending : 0;
}

static int cmp_dent(const void *a, const void *b)
{
	return memcmp(((const struct dent *)a)->id, ((const struct dent *)b)->id, GATE_FACTS_ID_BYTES);
}

static void put_entry(struct gate_buf *tab, struct gate_buf *data, const unsigned char *id,
	uint32_t flags, const char *text, size_t len)
{
	uint32_t v[4];

	v[0] = flags;
	v[1] = (uint32_t)data->len;
	v[2] = (uint32_t)len;
	v[3] = fnv32(text, len);
	gate_buf_add(tab, id, GATE_FACTS_ID_BYTES);
	gate_buf_add(tab, v, sizeof(v));
	gate_buf_add(data, text, len);
}

/* Write a file of the delta entries, merged with the base's when with_base. */
static int write_file(struct gate_facts_index *idx, const char *path, int with_base)
{
	struct gate_buf tab = GATE_BUF_INIT, data = GATE_BUF_INIT, out = GATE_BUF_INIT;
	size_t i = 0, k = 0, n = 0, bn = with_base ? idx->bn : 0;
	int rc;

	while (i < bn || k < idx->nd) {
		const unsigned char *e = i < bn ? idx->btab + i * ENTRY_BYTES : NULL;
		const struct dent *d = k < idx->nd ? &idx->d[k] : NULL;
		int c = !e ? 1 : !d ? -1 : memcmp(e, d->id, GATE_FACTS_ID_BYTES);

		if (d && d->dead) {
			/* failed its sum: as if absent */
			k++;
			continue;
		}
		if (c < 0) {
			/* only base entries that verify are carried over */
			if (base_ok(idx, e)) {
				put_entry(&tab, &data, e, get_u32(e + 20), idx->bdata + get_u32(e + 24),
					get_u32(e + 28));
				n++;
			}
			i++;
			continue;
		}
		if (!c)
			i++;
		put_entry(&tab, &data, d->id, d->flags, d->text, d->len);
		n++;
		k++;
	}
	gate_buf_addf(&out, "%sstamp %s\ncount %zu %zu %016llx\n", MAGIC, idx->stamp, n, data.len,
		(unsigned long long)table_sum(tab.ptr ? tab.ptr : "", tab.len));
	gate_buf_add(&out, tab.ptr ? tab.ptr : "", tab.len);
	gate_buf_add(&out, data.ptr ? data.ptr : "", data.len);
	rc = data.len > UINT32_MAX ? -1 : gate_write_file_replace(path, out.ptr, out.len, 0666, 0);
	if (rc == 0)
		idx->st.written = n;
	gate_buf_release(&tab);
	gate_buf_release(&data);
	gate_buf_release(&out);
	return rc;
}

int gate_facts_index_save(struct gate_facts_index *idx)
{
	size_t i;
	int rc;

	if (!idx || !idx->pending)
		return 0;
	/* every loaded text checked before it is written under a new sum */
	for (i = 0; i < idx->nd; i++)
		dent_live(idx, &idx->d[i]);
	if (idx->nd)
		qsort(idx->d, idx->nd, sizeof(*idx->d), cmp_dent);
	/* the slots are stale after sorting: rebuilt */
	memset(idx->slots, 0, idx->nslots * sizeof(*idx->slots));
	for (i = 0; i < idx->nd; i++)
		idx->slots[id_slot(idx, idx->d[i].id)] = i + 1;
	if (!idx->bbuf || idx->nd > DELTA_MAX || idx->nd * 8 > idx->bn) {
		rc = write_file(idx, idx->base_path, 1);
		/* the base holds the delta now; a delta left by a crash here repeats entries */
		if (rc == 0 && unlink(idx->delta_path) < 0 && errno != ENOENT)
			rc = -1;
	} else {
		rc = write_file(idx, idx->delta_path, 0);
	}
	if (rc == 0)
		idx->pending = 0;
	return rc;
}

void gate_facts_index_get_stats(const struct gate_facts_index *idx,
	struct gate_facts_index_stats *st)
{
	*st = idx->st;
}
