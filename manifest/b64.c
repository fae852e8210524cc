/*
 * b64.c - base64 (RFC 4648, with padding) for the envelopes and keys of the
 * signed metadata, on OpenSSL's EVP block codec, with the alphabet and
 * padding checked first (EVP_DecodeBlock alone accepts too much).
 */
#include "b64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

char *hs_b64_encode(const uint8_t *p, size_t n)
{
	char *out;

	if (n > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (out == NULL)
		return NULL;
	(void)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static bool b64_char_is_valid(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int hs_b64_decode(const char *s, size_t len, uint8_t **ret_p, size_t *ret_n)
{
	size_t pad = 0;
	size_t i;
	uint8_t *out;
	int n;

	if (len % 4 != 0 || len > (size_t)INT32_MAX / 2)
		return -EBADMSG;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (!b64_char_is_valid(s[i]))
			return -EBADMSG;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return -ENOMEM;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(out);
		return -EBADMSG;
	}
	*ret_p = out;
	*ret_n = (size_t)n - pad;
	return 0;
}
