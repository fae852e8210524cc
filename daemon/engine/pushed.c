/*
 * pushed.c - a pushed bundle on the terminal: where it is unpacked (a new
 * directory of the cache), the URL the cycle reads it from, and its
 * removal.  The format and its checks are pkg/bundle.c's.
 */
#include "pushed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "install.h"
#include "log.h"
#include "str.h"

int pushed_unpack(int fd, const char *cache, char *dir, size_t n,
		  struct hs_err *e)
{
	int r;

	r = hs_snprintf(dir, n, "%s/bundle.XXXXXX", cache);
	if (r < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	if (mkdtemp(dir) == NULL)
		return hs_err_set(e, -errno, "cannot create '%s': %s", dir,
				  strerror(errno));
	r = bundle_unpack(fd, dir, e);
	if (r < 0) {
		hs_err_prefix(e, "bundle: ");
		pushed_remove(dir);
	}
	return r;
}

int pushed_url(const char *dir, char *url, size_t n, struct hs_err *e)
{
	if (hs_snprintf(url, n, "file://%s/", dir) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "bundle path too long");
	return 0;
}

void pushed_remove(const char *dir)
{
	struct hs_err e;

	if (install_rmtree(dir, &e) < 0)
		log_warn("%s", e.msg);
}
