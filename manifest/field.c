/*
 * field.c - bounded, typed access to JSON fields for the metadata parsers.
 */
#include "field.h"

#include <errno.h>
#include <string.h>

#include "str.h"

int field_string(json_t *obj, const char *key, char *out, size_t n,
		 struct hs_err *e)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return hs_err_set(e, -EBADMSG, "'%s' is missing", key);
	if (!json_is_string(v))
		return hs_err_set(e, -EBADMSG, "'%s' is not a string", key);
	if (json_string_length(v) >= n)
		return hs_err_set(e, -EBADMSG, "'%s' is longer than %zu bytes",
				  key, n - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return hs_err_set(e, -EBADMSG, "'%s' contains a NUL byte", key);
	(void)hs_strlcpy(out, json_string_value(v), n);
	return 0;
}

int field_u64(json_t *obj, const char *key, uint64_t max, uint64_t *ret,
	      struct hs_err *e)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL)
		return hs_err_set(e, -EBADMSG, "'%s' is missing", key);
	if (!json_is_integer(v))
		return hs_err_set(e, -EBADMSG, "'%s' is not an integer", key);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return hs_err_set(e, -EBADMSG,
				  "'%s' is out of range (0 to %llu)", key,
				  (unsigned long long)max);
	*ret = (uint64_t)i;
	return 0;
}

int field_time(json_t *obj, const char *key, int64_t *ret, struct hs_err *e)
{
	char buf[32];
	int r;

	r = field_string(obj, key, buf, sizeof(buf), e);
	if (r < 0)
		return r;
	if (hs_time_parse(buf, ret) < 0)
		return hs_err_set(e, -EBADMSG,
				  "'%s' is not an RFC 3339 UTC time like "
				  "2026-01-31T00:00:00Z",
				  key);
	return 0;
}

int field_object(json_t *obj, const char *key, json_t **ret, struct hs_err *e)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return hs_err_set(e, -EBADMSG, "'%s' is missing", key);
	if (!json_is_object(v))
		return hs_err_set(e, -EBADMSG, "'%s' is not an object", key);
	*ret = v;
	return 0;
}

int field_check_type(json_t *obj, const char *type, struct hs_err *e)
{
	char buf[32];
	int r;

	r = field_string(obj, "_type", buf, sizeof(buf), e);
	if (r < 0)
		return r;
	if (strcmp(buf, type) != 0)
		return hs_err_set(e, -EBADMSG, "'_type' is '%s', not '%s'", buf,
				  type);
	return 0;
}

int field_load(const uint8_t *p, size_t n, json_t **ret, struct hs_err *e)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return hs_err_set(e, -EBADMSG,
				  "malformed JSON at line %d column %d: %s",
				  jerr.line, jerr.column, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return hs_err_set(e, -EBADMSG, "payload is not a JSON object");
	}
	*ret = j;
	return 0;
}
