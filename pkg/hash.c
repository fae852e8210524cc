/*
 * hash.c - SHA-256 through OpenSSL's EVP interface, fed in pieces.
 *
 * A struct hash wraps one EVP_MD_CTX.  hash_fd() reads through one heap
 * buffer of HASH_BUF_SIZE bytes, so memory use does not depend on the size of
 * what is hashed.  OpenSSL failures become -EIO with OpenSSL's own text.
 */
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "str.h"

/* Read size of hash_fd(): large enough that syscalls do not dominate. */
#define HASH_BUF_SIZE (128u * 1024)

struct hash {
	EVP_MD_CTX *ctx;
};

/* The one place OpenSSL's error queue becomes a struct hs_err. */
static int hash_from_openssl(const char *what, struct hs_err *e)
{
	char text[256];
	const unsigned long code = ERR_get_error();

	if (code == 0)
		return hs_err_set(e, -EIO, "sha256: %s failed", what);
	ERR_error_string_n(code, text, sizeof(text));
	ERR_clear_error();
	return hs_err_set(e, -EIO, "sha256: %s failed: %s", what, text);
}

int hash_new(struct hash **ret_h, struct hs_err *e)
{
	struct hash *h;
	int r;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return hs_err_set(e, -ENOMEM, "sha256: out of memory");
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL) {
		r = hs_err_set(e, -ENOMEM, "sha256: out of memory");
		goto out_free;
	}
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		r = hash_from_openssl("init", e);
		goto out_free;
	}
	*ret_h = h;
	return 0;
out_free:
	hash_free(h);
	return r;
}

int hash_update(struct hash *h, const void *p, size_t n, struct hs_err *e)
{
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(h->ctx, p, n) != 1)
		return hash_from_openssl("update", e);
	return 0;
}

int hash_final_hex(struct hash *h, char hex[static HASH_SHA256_HEX_LEN + 1],
		   struct hs_err *e)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1)
		return hash_from_openssl("final", e);
	if (len != HASH_SHA256_LEN)
		return hs_err_set(e, -EIO, "sha256: digest of %u bytes", len);
	hs_hex(md, len, hex);
	return 0;
}

void hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

/* Feeds everything from fd's offset to its end into h. */
static int hash_feed_fd(struct hash *h, int fd, uint8_t *buf,
			uint64_t *ret_size, struct hs_err *e)
{
	uint64_t size = 0;
	int r;

	for (;;) {
		const ssize_t n = read(fd, buf, HASH_BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hs_err_set(e, -errno, "sha256: read failed: %s",
					  strerror(errno));
		if (n == 0)
			break;
		r = hash_update(h, buf, (size_t)n, e);
		if (r < 0)
			return r;
		size += (uint64_t)n;
	}
	*ret_size = size;
	return 0;
}

int hash_fd(int fd, char hex[static HASH_SHA256_HEX_LEN + 1],
	    uint64_t *ret_size, struct hs_err *e)
{
	struct hash *h = NULL;
	uint8_t *buf;
	uint64_t size = 0;
	int r;

	buf = malloc(HASH_BUF_SIZE);
	if (buf == NULL)
		return hs_err_set(e, -ENOMEM, "sha256: out of memory");
	r = hash_new(&h, e);
	if (r < 0)
		goto out_free_buf;
	r = hash_feed_fd(h, fd, buf, &size, e);
	if (r < 0)
		goto out_free_hash;
	r = hash_final_hex(h, hex, e);
	if (r < 0)
		goto out_free_hash;
	if (ret_size != NULL)
		*ret_size = size;
out_free_hash:
	hash_free(h);
out_free_buf:
	free(buf);
	return r;
}

int hash_buf(const void *p, size_t n, char hex[static HASH_SHA256_HEX_LEN + 1],
	     struct hs_err *e)
{
	struct hash *h = NULL;
	int r;

	r = hash_new(&h, e);
	if (r < 0)
		return r;
	r = hash_update(h, p, n, e);
	if (r == 0)
		r = hash_final_hex(h, hex, e);
	hash_free(h);
	return r;
}
