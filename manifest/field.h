/*
 * field.h - typed, bounded reads of JSON object fields (jansson), each
 * failing with -EBADMSG and a message naming the field: "'serial' is
 * missing", "'version' is longer than 64 bytes".
 */
#ifndef HAISHIN_FIELD_H
#define HAISHIN_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hs_err.h"

/* Copies string field key of obj into out (size n, so at most n-1 bytes). */
int field_string(json_t *obj, const char *key, char *out, size_t n,
		 struct hs_err *e);

/* Reads a non-negative integer field no larger than max. */
int field_u64(json_t *obj, const char *key, uint64_t max, uint64_t *ret,
	      struct hs_err *e);

/* Reads an RFC 3339 UTC time field ("2026-11-25T08:00:00Z"). */
int field_time(json_t *obj, const char *key, int64_t *ret, struct hs_err *e);

/* Finds the object field key (borrowed reference, owned by obj). */
int field_object(json_t *obj, const char *key, json_t **ret, struct hs_err *e);

/* Checks the "_type" field equals type. */
int field_check_type(json_t *obj, const char *type, struct hs_err *e);

/* Parses a payload as one JSON object (duplicate keys are refused). */
int field_load(const uint8_t *p, size_t n, json_t **ret, struct hs_err *e);

#endif
