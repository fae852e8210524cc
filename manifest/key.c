/*
 * key.c - Ed25519 keys: generation, PEM files, raw public keys, key ids,
 * signing and verification, all through EVP_PKEY.  OpenSSL's errors are
 * translated here, once, into struct hs_err with the library's own text.
 */
#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hs_limits.h"
#include "fileio.h"
#include "str.h"

struct key {
	EVP_PKEY *pkey;
	bool has_private;
	uint8_t raw[KEY_RAW_LEN];
	char id[KEY_ID_LEN + 1];
};

/* Turns the OpenSSL error queue into e, keeping the library's text. */
static int key_from_openssl(struct hs_err *e, int code, const char *what)
{
	char buf[256];
	const unsigned long err = ERR_get_error();

	ERR_clear_error();
	if (err == 0)
		return hs_err_set(e, code, "%s", what);
	ERR_error_string_n(err, buf, sizeof(buf));
	return hs_err_set(e, code, "%s: %s", what, buf);
}

/* Fills raw and id from pkey; takes ownership of pkey. */
static int key_wrap(EVP_PKEY *pkey, bool has_private, struct key **ret_k,
		    struct hs_err *e)
{
	uint8_t digest[32];
	size_t n = KEY_RAW_LEN;
	struct key *k;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return hs_err_set(e, -EKEYREJECTED, "not an Ed25519 key");
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return hs_err_set(e, -ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->has_private = has_private;
	if (EVP_PKEY_get_raw_public_key(pkey, k->raw, &n) != 1 ||
	    n != KEY_RAW_LEN ||
	    EVP_Digest(k->raw, n, digest, NULL, EVP_sha256(), NULL) != 1) {
		key_free(k);
		return key_from_openssl(e, -EKEYREJECTED,
					"cannot read the public key");
	}
	hs_hex(digest, sizeof(digest), k->id);
	*ret_k = k;
	return 0;
}

int key_generate(struct key **ret_k, struct hs_err *e)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (pkey == NULL)
		return key_from_openssl(e, -EIO, "cannot generate a key");
	return key_wrap(pkey, true, ret_k, e);
}

static int key_load_pem(const char *path, bool private, struct key **ret_k,
			struct hs_err *e)
{
	EVP_PKEY *pkey;
	char *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int r;

	r = hs_read_file(path, HS_SMALL_FILE_MAX, &buf, &len, e);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		r = key_from_openssl(e, -ENOMEM, "out of memory");
		goto out_free;
	}
	pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
		       : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		r = key_from_openssl(e, -EKEYREJECTED, "not a PEM key");
		goto out_free;
	}
	r = key_wrap(pkey, private, ret_k, e);
out_free:
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (r < 0)
		hs_err_prefix(e, "key '%s': ", path);
	return r;
}

int key_load_private(const char *path, struct key **ret_k, struct hs_err *e)
{
	return key_load_pem(path, true, ret_k, e);
}

int key_load_public(const char *path, struct key **ret_k, struct hs_err *e)
{
	return key_load_pem(path, false, ret_k, e);
}

int key_from_raw(const uint8_t *raw, size_t n, struct key **ret_k,
		 struct hs_err *e)
{
	EVP_PKEY *pkey;

	if (n != KEY_RAW_LEN)
		return hs_err_set(e, -EKEYREJECTED,
				  "an Ed25519 public key has %d bytes, not %zu",
				  KEY_RAW_LEN, n);
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n);
	if (pkey == NULL)
		return key_from_openssl(e, -EKEYREJECTED, "bad public key");
	return key_wrap(pkey, false, ret_k, e);
}

/* Writes the PEM that write_fn puts into a memory BIO to a new file. */
static int key_write_new(const char *path, unsigned mode, const struct key *k,
			 bool private, struct hs_err *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len = 0;
	int ok;
	int fd;
	int r = 0;

	if (bio == NULL)
		return key_from_openssl(e, -ENOMEM, "out of memory");
	ok = private ? PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL,
						     0, NULL, NULL)
		     : PEM_write_bio_PUBKEY(bio, k->pkey);
	if (ok != 1) {
		r = key_from_openssl(e, -EIO, "cannot encode the key");
		goto out_bio;
	}
	len = BIO_get_mem_data(bio, &data);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0) {
		r = hs_err_set(e, -errno, "cannot create '%s': %s", path,
			       strerror(errno));
		goto out_bio;
	}
	if (fchmod(fd, mode) < 0 || write(fd, data, (size_t)len) != len ||
	    fsync(fd) < 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", path,
			       strerror(errno));
	if (close(fd) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", path,
			       strerror(errno));
	if (r < 0)
		(void)unlink(path);
out_bio:
	if (data != NULL)
		OPENSSL_cleanse(data, (size_t)len);
	BIO_free(bio);
	return r;
}

int key_save_pair(const struct key *k, const char *prefix, struct hs_err *e)
{
	char priv[PATH_MAX];
	char pub[PATH_MAX];
	int r;

	if (!k->has_private)
		return hs_err_set(e, -EINVAL, "no private key to save");
	if (hs_snprintf(priv, sizeof(priv), "%s.key", prefix) < 0 ||
	    hs_snprintf(pub, sizeof(pub), "%s.pub", prefix) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "key prefix too long");
	if (access(pub, F_OK) == 0)
		return hs_err_set(e, -EEXIST, "'%s' exists: not overwritten",
				  pub);
	r = key_write_new(priv, 0600, k, true, e);
	if (r == -EEXIST)
		return hs_err_set(e, r, "'%s' exists: not overwritten", priv);
	if (r < 0)
		return r;
	r = key_write_new(pub, 0644, k, false, e);
	if (r < 0)
		(void)unlink(priv);
	return r;
}

const char *key_id(const struct key *k)
{
	return k->id;
}

const uint8_t *key_raw(const struct key *k)
{
	return k->raw;
}

bool key_has_private(const struct key *k)
{
	return k->has_private;
}

int key_sign(const struct key *k, const void *msg, size_t n,
	     uint8_t sig[static KEY_SIG_LEN], struct hs_err *e)
{
	EVP_MD_CTX *ctx;
	size_t sig_len = KEY_SIG_LEN;
	int r = 0;

	if (!k->has_private)
		return hs_err_set(e, -EINVAL, "key %.16s has no private part",
				  k->id);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return key_from_openssl(e, -ENOMEM, "out of memory");
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg, n) != 1 ||
	    sig_len != KEY_SIG_LEN)
		r = key_from_openssl(e, -EIO, "cannot sign");
	EVP_MD_CTX_free(ctx);
	return r;
}

int key_verify(const struct key *k, const void *msg, size_t n,
	       const uint8_t *sig, size_t sig_len, struct hs_err *e)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (sig_len != KEY_SIG_LEN)
		return hs_err_set(
			e, -EKEYREJECTED,
			"signature by key %.16s has %zu bytes, not %d", k->id,
			sig_len, KEY_SIG_LEN);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return key_from_openssl(e, -ENOMEM, "out of memory");
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return hs_err_set(e, -EKEYREJECTED,
				  "bad signature by key %.16s", k->id);
	return 0;
}

void key_free(struct key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL wipes the private part */
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}
