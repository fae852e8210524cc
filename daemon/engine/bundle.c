/*
 * bundle.c - unpacking a pushed bundle into the cache.
 */
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "install.h"
#include "log.h"
#include "fileio.h"
#include "str.h"
#include "unpack.h"

#define BUNDLE_MARKER_MAX 4096

static int bundle_check_marker(const char *dir, struct hs_err *e)
{
	char path[4096];
	const char *type;
	json_error_t jerr;
	json_t *j = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = hs_snprintf(path, sizeof(path), "%s/%s", dir, HS_BUNDLE_MARKER);
	if (r == 0)
		r = hs_read_file(path, BUNDLE_MARKER_MAX, &buf, &len, e);
	if (r < 0)
		return hs_err_set(e, -EBADMSG,
				  "not a haishin bundle: no %s in it",
				  HS_BUNDLE_MARKER);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	type = json_string_value(json_object_get(j, "_type"));
	if (type == NULL || strcmp(type, "bundle") != 0)
		r = hs_err_set(e, -EBADMSG,
			       "not a haishin bundle: %s is not a bundle "
			       "marker",
			       HS_BUNDLE_MARKER);
	else if (json_integer_value(json_object_get(j, "format")) !=
		 HS_BUNDLE_FORMAT)
		r = hs_err_set(e, -EBADMSG,
			       "bundle format %lld is not %d: made by a newer "
			       "haishin-publish?",
			       (long long)json_integer_value(
				       json_object_get(j, "format")),
			       HS_BUNDLE_FORMAT);
	json_decref(j);
	return r;
}

int bundle_unpack(int fd, const char *cache, char *dir, size_t n,
		  struct hs_err *e)
{
	int r;

	r = hs_snprintf(dir, n, "%s/bundle.XXXXXX", cache);
	if (r < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	if (mkdtemp(dir) == NULL)
		return hs_err_set(e, -errno, "cannot create '%s': %s", dir,
				  strerror(errno));
	r = unpack_fd(fd, dir, NULL, NULL, e);
	if (r == 0)
		r = bundle_check_marker(dir, e);
	if (r < 0) {
		hs_err_prefix(e, "bundle: ");
		bundle_remove(dir);
	}
	return r;
}

int bundle_url(const char *dir, char *url, size_t n, struct hs_err *e)
{
	if (hs_snprintf(url, n, "file://%s/", dir) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "bundle path too long");
	return 0;
}

void bundle_remove(const char *dir)
{
	struct hs_err e;

	if (install_rmtree(dir, &e) < 0)
		log_warn("%s", e.msg);
}
