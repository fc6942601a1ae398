#include "gate/hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static void fatal(void)
{
	static const char m[] = "fatal: sha256 unavailable\n";
	(void)!write(2, m, sizeof(m) - 1);
	_exit(128);
}

/*
 * SHA-256 fetched once per process: EVP_sha256() makes OpenSSL 3 look the
 * implementation up again at every init, a cost that shows when thousands
 * of small keys are hashed per push.
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched;

static void md_fetch(void)
{
	md_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void gate_sha256_init(struct gate_sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	pthread_once(&md_once, md_fetch);
	if (!c || EVP_DigestInit_ex(c, md_fetched ? md_fetched : EVP_sha256(), NULL) != 1)
		fatal();
	h->ctx = c;
}

void gate_sha256_update(struct gate_sha256 *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		fatal();
}

void gate_sha256_update_str(struct gate_sha256 *h, const char *s)
{
	gate_sha256_update(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

void gate_sha256_final(struct gate_sha256 *h, char hex[GATE_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		fatal();
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void gate_sha256_hex(const void *data, size_t len, char hex[GATE_SHA256_HEX])
{
	struct gate_sha256 h;

	gate_sha256_init(&h);
	gate_sha256_update(&h, data, len);
	gate_sha256_final(&h, hex);
}

void gate_sha256_copy_hex(char *buf, size_t bufsize, const char hex[GATE_SHA256_HEX])
{
	size_t n;

	if (!bufsize)
		return;
	n = (bufsize - 1) & ~(size_t)1;
	if (n > GATE_SHA256_HEX - 1)
		n = GATE_SHA256_HEX - 1;
	memcpy(buf, hex, n);
	buf[n] = '\0';
}
