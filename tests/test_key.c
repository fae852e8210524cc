/*
 * test_key.c - unit tests for manifest/key.h: Ed25519 generation, signing
 * and verification, PEM files on disk, raw public keys and key ids, and the
 * refusal of anything that is not an Ed25519 key.
 */
#include "trustutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "key.h"
#include "str.h"

static const char msg[] = "DSSEv1 4 test 5 hello";

static void test_generate_sign_verify(void **state)
{
	uint8_t sig[KEY_SIG_LEN];
	struct key *k = tu_key_new();
	struct key *other = tu_key_new();
	struct hs_err e;

	(void)state;
	hs_err_clear(&e);
	assert_true(key_has_private(k));
	assert_int_equal(strlen(key_id(k)), KEY_ID_LEN);
	assert_true(hs_is_sha256_hex(key_id(k)));
	assert_string_not_equal(key_id(k), key_id(other));

	assert_int_equal(key_sign(k, msg, sizeof(msg), sig, &e), 0);
	assert_int_equal(key_verify(k, msg, sizeof(msg), sig, sizeof(sig), &e),
			 0);
	/* Another key does not accept it. */
	assert_int_equal(
		key_verify(other, msg, sizeof(msg), sig, sizeof(sig), &e),
		-EKEYREJECTED);
	/* An empty message can be signed too. */
	assert_int_equal(key_sign(k, "", 0, sig, &e), 0);
	assert_int_equal(key_verify(k, "", 0, sig, sizeof(sig), &e), 0);
	key_free(other);
	key_free(k);
	key_free(NULL);
}

static void test_verify_flipped_bits(void **state)
{
	uint8_t sig[KEY_SIG_LEN];
	char m[sizeof(msg)];
	struct key *k = tu_key_new();
	struct hs_err e;
	size_t i;

	(void)state;
	hs_err_clear(&e);
	assert_int_equal(key_sign(k, msg, sizeof(msg), sig, &e), 0);

	/* Every byte of the message matters. */
	for (i = 0; i < sizeof(msg); i++) {
		memcpy(m, msg, sizeof(msg));
		m[i] ^= (char)(1u << (i % 8));
		hs_err_clear(&e);
		assert_int_equal(
			key_verify(k, m, sizeof(m), sig, sizeof(sig), &e),
			-EKEYREJECTED);
		assert_int_equal(e.code, -EKEYREJECTED);
		assert_non_null(strstr(e.msg, "bad signature"));
	}
	/* A message one byte shorter. */
	assert_int_equal(
		key_verify(k, msg, sizeof(msg) - 1, sig, sizeof(sig), &e),
		-EKEYREJECTED);

	/* Every byte of the signature matters. */
	for (i = 0; i < sizeof(sig); i++) {
		uint8_t s[KEY_SIG_LEN];

		memcpy(s, sig, sizeof(s));
		s[i] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(
			key_verify(k, msg, sizeof(msg), s, sizeof(s), &e),
			-EKEYREJECTED);
	}
	key_free(k);
}

static void test_verify_wrong_length(void **state)
{
	uint8_t sig[KEY_SIG_LEN + 1];
	struct key *k = tu_key_new();
	struct hs_err e;
	static const size_t lens[] = {0, 1, KEY_SIG_LEN - 1, KEY_SIG_LEN + 1};
	size_t i;

	(void)state;
	hs_err_clear(&e);
	assert_int_equal(key_sign(k, msg, sizeof(msg), sig, &e), 0);
	sig[KEY_SIG_LEN] = 0;
	for (i = 0; i < TU_ARRAY_SIZE(lens); i++) {
		hs_err_clear(&e);
		assert_int_equal(
			key_verify(k, msg, sizeof(msg), sig, lens[i], &e),
			-EKEYREJECTED);
		assert_non_null(strstr(e.msg, "bytes"));
	}
	key_free(k);
}

static void test_sign_without_private(void **state)
{
	uint8_t sig[KEY_SIG_LEN];
	struct key *k = tu_key_new();
	struct key *pub = NULL;
	struct hs_err e;

	(void)state;
	hs_err_clear(&e);
	assert_int_equal(key_from_raw(key_raw(k), KEY_RAW_LEN, &pub, &e), 0);
	assert_false(key_has_private(pub));
	assert_string_equal(key_id(pub), key_id(k));
	assert_memory_equal(key_raw(pub), key_raw(k), KEY_RAW_LEN);
	assert_int_equal(key_sign(pub, msg, sizeof(msg), sig, &e), -EINVAL);

	/* The public half verifies what the private half signed. */
	assert_int_equal(key_sign(k, msg, sizeof(msg), sig, &e), 0);
	assert_int_equal(
		key_verify(pub, msg, sizeof(msg), sig, sizeof(sig), &e), 0);
	key_free(pub);
	key_free(k);
}

static void test_key_id_is_sha256_of_raw(void **state)
{
	uint8_t digest[32];
	unsigned int dn = 0;
	char hex[65];
	struct key *k = tu_key_new();

	(void)state;
	assert_int_equal(EVP_Digest(key_raw(k), KEY_RAW_LEN, digest, &dn,
				    EVP_sha256(), NULL),
			 1);
	assert_int_equal(dn, sizeof(digest));
	hs_hex(digest, sizeof(digest), hex);
	assert_string_equal(key_id(k), hex);
	key_free(k);
}

static void test_from_raw_wrong_length(void **state)
{
	uint8_t raw[KEY_RAW_LEN + 1];
	static const size_t lens[] = {0, 16, KEY_RAW_LEN - 1, KEY_RAW_LEN + 1};
	struct hs_err e;
	size_t i;

	(void)state;
	memset(raw, 0x42, sizeof(raw));
	for (i = 0; i < TU_ARRAY_SIZE(lens); i++) {
		struct key *k = NULL;

		hs_err_clear(&e);
		assert_int_equal(key_from_raw(raw, lens[i], &k, &e),
				 -EKEYREJECTED);
		assert_null(k);
		assert_true(strlen(e.msg) > 0);
	}
}

/* The paths of a key pair "k" in the test's directory (tu_dir_setup). */
struct pair {
	const char *dir;
	char prefix[PATH_MAX]; /* dir/k */
	char priv[PATH_MAX]; /* dir/k.key */
	char pub[PATH_MAX]; /* dir/k.pub */
};

static void pair_paths(void **state, struct pair *p)
{
	p->dir = *state;
	assert_int_equal(
		hs_snprintf(p->prefix, sizeof(p->prefix), "%s/k", p->dir), 0);
	assert_int_equal(
		hs_snprintf(p->priv, sizeof(p->priv), "%s.key", p->prefix), 0);
	assert_int_equal(
		hs_snprintf(p->pub, sizeof(p->pub), "%s.pub", p->prefix), 0);
}

static void test_save_and_load_pair(void **state)
{
	struct pair p;
	uint8_t sig[KEY_SIG_LEN];
	const mode_t old_umask = umask(0);
	struct key *k = tu_key_new();
	struct key *lk = NULL;
	struct key *lp = NULL;
	struct hs_err e;
	char *text;
	size_t n;

	pair_paths(state, &p);
	hs_err_clear(&e);
	assert_int_equal(key_save_pair(k, p.prefix, &e), 0);
	(void)umask(old_umask);
	assert_int_equal(tu_mode(p.dir, "k.key"), 0600);
	assert_int_equal(tu_mode(p.dir, "k.pub"), 0644);

	text = tu_read(p.priv, &n);
	assert_non_null(strstr(text, "-----BEGIN PRIVATE KEY-----"));
	free(text);
	text = tu_read(p.pub, &n);
	assert_non_null(strstr(text, "-----BEGIN PUBLIC KEY-----"));
	free(text);

	assert_int_equal(key_load_private(p.priv, &lk, &e), 0);
	assert_true(key_has_private(lk));
	assert_string_equal(key_id(lk), key_id(k));
	assert_int_equal(key_load_public(p.pub, &lp, &e), 0);
	assert_false(key_has_private(lp));
	assert_string_equal(key_id(lp), key_id(k));

	/* What the loaded private key signs, the loaded public key accepts. */
	assert_int_equal(key_sign(lk, msg, sizeof(msg), sig, &e), 0);
	assert_int_equal(key_verify(lp, msg, sizeof(msg), sig, sizeof(sig), &e),
			 0);
	assert_int_equal(key_verify(k, msg, sizeof(msg), sig, sizeof(sig), &e),
			 0);

	key_free(lp);
	key_free(lk);
	key_free(k);
}

static void test_save_refuses_overwrite(void **state)
{
	struct pair p;
	const mode_t old_umask = umask(077);
	struct key *k1 = tu_key_new();
	struct key *k2 = tu_key_new();
	struct key *back = NULL;
	struct hs_err e;

	pair_paths(state, &p);
	hs_err_clear(&e);
	/* The modes are exact under a strict umask too. */
	assert_int_equal(key_save_pair(k1, p.prefix, &e), 0);
	(void)umask(old_umask);
	assert_int_equal(tu_mode(p.dir, "k.key"), 0600);
	assert_int_equal(tu_mode(p.dir, "k.pub"), 0644);

	/* Both files exist. */
	tu_assert_err(key_save_pair(k2, p.prefix, &e), &e, -EEXIST, "exists");

	/* Only the private file exists. */
	assert_int_equal(remove(p.pub), 0);
	assert_int_equal(key_save_pair(k2, p.prefix, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "exists"));

	/* Only the public file exists. */
	assert_int_equal(key_load_private(p.priv, &back, &e), 0);
	assert_string_equal(key_id(back), key_id(k1));
	key_free(back);
	assert_int_equal(remove(p.priv), 0);
	tu_write(p.dir, "k.pub", "placeholder", 11, 0644);
	assert_int_equal(key_save_pair(k2, p.prefix, &e), -EEXIST);
	assert_int_equal(access(p.priv, F_OK), -1);

	key_free(k2);
	key_free(k1);
}

static void test_save_public_only_refused(void **state)
{
	struct pair p;
	struct key *k = tu_key_new();
	struct key *pub = NULL;
	struct hs_err e;

	pair_paths(state, &p);
	hs_err_clear(&e);
	assert_int_equal(key_from_raw(key_raw(k), KEY_RAW_LEN, &pub, &e), 0);
	assert_int_equal(key_save_pair(pub, p.prefix, &e), -EINVAL);
	key_free(pub);
	key_free(k);
}

static void test_load_not_pem(void **state)
{
	static const struct {
		const char *name;
		const char *content;
	} cases[] = {
		{"empty", ""},
		{"text", "this is not a key\n"},
		{"json", "{\"keytype\": \"ed25519\"}\n"},
		{"broken-pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
			       "-----END PRIVATE KEY-----\n"},
	};
	const char *dir = *state;
	struct hs_err e;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *path = tu_path(dir, cases[i].name);
		struct key *k = NULL;

		tu_write(dir, cases[i].name, cases[i].content,
			 strlen(cases[i].content), 0600);
		hs_err_clear(&e);
		assert_int_equal(key_load_private(path, &k, &e), -EKEYREJECTED);
		assert_null(k);
		/* The message names the file. */
		assert_non_null(strstr(e.msg, path));
		assert_int_equal(key_load_public(path, &k, &e), -EKEYREJECTED);
		assert_null(k);
		free(path);
	}
}

static void test_load_missing(void **state)
{
	struct pair p;
	struct key *k = NULL;
	struct hs_err e;

	pair_paths(state, &p);
	hs_err_clear(&e);
	assert_int_equal(key_load_private(p.priv, &k, &e), -ENOENT);
	assert_null(k);
	assert_non_null(strstr(e.msg, p.priv));
}

/* The public key of an Ed25519 pair does not load as a private key. */
static void test_load_wrong_half(void **state)
{
	struct pair p;
	struct key *k = tu_key_new();
	struct key *back = NULL;
	struct hs_err e;

	pair_paths(state, &p);
	hs_err_clear(&e);
	assert_int_equal(key_save_pair(k, p.prefix, &e), 0);
	assert_int_equal(key_load_private(p.pub, &back, &e), -EKEYREJECTED);
	assert_null(back);
	assert_int_equal(key_load_public(p.priv, &back, &e), -EKEYREJECTED);
	assert_null(back);
	key_free(k);
}

/* Writes pkey's private and public PEM into dir/NAME.key and NAME.pub. */
static void write_foreign_pem(const char *dir, const char *name, EVP_PKEY *pkey)
{
	char file[64];
	BIO *bio;
	char *data = NULL;
	long len;

	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(
		PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL),
		1);
	len = BIO_get_mem_data(bio, &data);
	assert_true(len > 0);
	assert_int_equal(hs_snprintf(file, sizeof(file), "%s.key", name), 0);
	tu_write(dir, file, data, (size_t)len, 0600);
	BIO_free(bio);

	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	len = BIO_get_mem_data(bio, &data);
	assert_true(len > 0);
	assert_int_equal(hs_snprintf(file, sizeof(file), "%s.pub", name), 0);
	tu_write(dir, file, data, (size_t)len, 0644);
	BIO_free(bio);
}

static void check_refused_as_not_ed25519(const char *dir, const char *name)
{
	static const struct {
		const char *ext;
		int (*load)(const char *path, struct key **ret_k,
			    struct hs_err *e);
	} halves[] = {{"key", key_load_private}, {"pub", key_load_public}};
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(halves); i++) {
		char file[64];
		char *path;
		struct key *k = NULL;
		struct hs_err e;

		assert_int_equal(hs_snprintf(file, sizeof(file), "%s.%s", name,
					     halves[i].ext),
				 0);
		path = tu_path(dir, file);
		hs_err_clear(&e);
		tu_assert_err(halves[i].load(path, &k, &e), &e, -EKEYREJECTED,
			      "not an Ed25519 key");
		assert_null(k);
		free(path);
	}
}

static void test_load_ec_and_rsa_refused(void **state)
{
	const char *dir = *state;
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");

	assert_non_null(ec);
	assert_non_null(rsa);
	assert_non_null(x25519);
	write_foreign_pem(dir, "ec", ec);
	write_foreign_pem(dir, "rsa", rsa);
	/* Same curve family and key length, but not a signing key. */
	write_foreign_pem(dir, "x25519", x25519);
	check_refused_as_not_ed25519(dir, "ec");
	check_refused_as_not_ed25519(dir, "rsa");
	check_refused_as_not_ed25519(dir, "x25519");
	EVP_PKEY_free(x25519);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_sign_verify),
		cmocka_unit_test(test_verify_flipped_bits),
		cmocka_unit_test(test_verify_wrong_length),
		cmocka_unit_test(test_sign_without_private),
		cmocka_unit_test(test_key_id_is_sha256_of_raw),
		cmocka_unit_test(test_from_raw_wrong_length),
		tu_dir_test(test_save_and_load_pair),
		tu_dir_test(test_save_refuses_overwrite),
		tu_dir_test(test_save_public_only_refused),
		tu_dir_test(test_load_not_pem),
		tu_dir_test(test_load_missing),
		tu_dir_test(test_load_wrong_half),
		tu_dir_test(test_load_ec_and_rsa_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
