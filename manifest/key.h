/*
 * key.h - Ed25519 keys through OpenSSL's EVP API.
 *
 * A key id is the lowercase hex SHA-256 of the raw 32-byte public key.  On
 * disk a private key is PKCS#8 PEM (mode 0600) and a public key is PEM
 * SubjectPublicKeyInfo; in root.json a public key is the base64 of its raw
 * 32 bytes.  Private key material is wiped when a key is freed.
 */
#ifndef HAISHIN_KEY_H
#define HAISHIN_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

#define KEY_RAW_LEN 32
#define KEY_SIG_LEN 64
#define KEY_ID_LEN 64 /* hex digits */

struct key;

/* Makes a new random key pair.  The caller frees *ret_k. */
int key_generate(struct key **ret_k, struct hs_err *e);

/* Loads a PKCS#8 PEM private key (Ed25519 only). */
int key_load_private(const char *path, struct key **ret_k, struct hs_err *e);

/* Loads a PEM public key (Ed25519 only). */
int key_load_public(const char *path, struct key **ret_k, struct hs_err *e);

/* Makes a public key from its raw 32 bytes. */
int key_from_raw(const uint8_t *raw, size_t n, struct key **ret_k,
		 struct hs_err *e);

/*
 * Writes PREFIX.key (private, mode 0600) and PREFIX.pub (public, 0644).
 * Refuses with -EEXIST to overwrite either: a key is never lost by mistake.
 */
int key_save_pair(const struct key *k, const char *prefix, struct hs_err *e);

/* The key id: 64 lowercase hex digits, owned by k. */
const char *key_id(const struct key *k);

/* The raw public key, KEY_RAW_LEN bytes, owned by k. */
const uint8_t *key_raw(const struct key *k);

bool key_has_private(const struct key *k);

/* Signs msg; writes KEY_SIG_LEN bytes.  -EINVAL without a private key. */
int key_sign(const struct key *k, const void *msg, size_t n,
	     uint8_t sig[static KEY_SIG_LEN], struct hs_err *e);

/* Returns 0 when sig is a valid signature of msg by k, else -EKEYREJECTED. */
int key_verify(const struct key *k, const void *msg, size_t n,
	       const uint8_t *sig, size_t sig_len, struct hs_err *e);

/* Releases k (wiping private material); NULL is allowed. */
void key_free(struct key *k);

#endif
