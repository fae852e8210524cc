/*
 * bundle.c - the bundle format (bundle.h): writing one from members
 * gathered in a stage directory, and unpacking one with its marker checked.
 *
 * Invariants:
 *  - a member's name is a plain relative path, never the marker's: what a
 *    writer is given cannot land outside the stage or pass for the marker;
 *  - the stage holds only hard links and copies, so removing it never
 *    touches the files the members came from;
 *  - the bundle's path gets the whole bundle or nothing (rename);
 *  - unpacking is unpack_fd()'s, with its policy and caps; the marker is
 *    read with a cap and must name this format.
 */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fileio.h"
#include "pack.h"
#include "str.h"
#include "unpack.h"

#define BUNDLE_STR_(x) #x
#define BUNDLE_STR(x) BUNDLE_STR_(x)
#define BUNDLE_MARKER_JSON \
	"{\"_type\": \"bundle\", \"format\": " BUNDLE_STR(BUNDLE_FORMAT) "}\n"
#define BUNDLE_COPY_BLOCK 65536

struct bundle_writer {
	char path[PATH_MAX]; /* the bundle */
	char stage[PATH_MAX]; /* its members, until it is packed */
};

int bundle_writer_new(const char *path, struct bundle_writer **ret_w,
		      struct hs_err *e)
{
	struct bundle_writer *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (hs_strlcpy(w->path, path, sizeof(w->path)) < 0 ||
	    hs_snprintf(w->stage, sizeof(w->stage), "%s.stage.XXXXXX", path) <
		    0) {
		free(w);
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  path);
	}
	if (mkdtemp(w->stage) == NULL) {
		r = hs_err_set(e, -errno, "cannot create '%s': %s", w->stage,
			       strerror(errno));
		free(w);
		return r;
	}
	*ret_w = w;
	return 0;
}

/* A plain relative path: no empty, "." or ".." component, not the marker. */
static bool bundle_member_is_plain(const char *rel)
{
	const char *p = rel;
	size_t n;

	if (strcmp(rel, BUNDLE_MARKER) == 0)
		return false;
	do {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	} while (*p++ == '/');
	return true;
}

/* Makes the directories of rel under the stage. */
static int bundle_mkdirs(const struct bundle_writer *w, const char *rel,
			 struct hs_err *e)
{
	char path[PATH_MAX];
	char *slash;

	if (hs_snprintf(path, sizeof(path), "%s/%s", w->stage, rel) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", rel);
	for (slash = strchr(path + strlen(w->stage) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return hs_err_set(e, -errno, "cannot create '%s': %s",
					  path, strerror(errno));
		*slash = '/';
	}
	return 0;
}

/* Copies in to out (both open) in blocks: packages may be gigabytes. */
static int bundle_copy_fd(int in, int out, const char *from, const char *to,
			  struct hs_err *e)
{
	char buf[BUNDLE_COPY_BLOCK];
	ssize_t n;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return hs_err_set(e, -errno, "cannot read '%s': %s",
					  from, strerror(errno));
		if (write(out, buf, (size_t)n) != n)
			return hs_err_set(e, -EIO, "cannot write '%s'", to);
	}
}

static int bundle_copy(const char *from, const char *to, struct hs_err *e)
{
	int in;
	int out;
	int r;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", from,
				  strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		r = hs_err_set(e, -errno, "cannot create '%s': %s", to,
			       strerror(errno));
		(void)close(in);
		return r;
	}
	r = bundle_copy_fd(in, out, from, to, e);
	(void)close(in);
	if (close(out) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", to,
			       strerror(errno));
	return r;
}

int bundle_writer_add(struct bundle_writer *w, const char *dir, const char *rel,
		      struct hs_err *e)
{
	char from[PATH_MAX];
	char to[PATH_MAX];
	int r;

	if (!bundle_member_is_plain(rel))
		return hs_err_set(e, -EINVAL,
				  "'%s' cannot be a member of a bundle", rel);
	if (hs_snprintf(from, sizeof(from), "%s/%s", dir, rel) < 0 ||
	    hs_snprintf(to, sizeof(to), "%s/%s", w->stage, rel) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", rel);
	r = bundle_mkdirs(w, rel, e);
	if (r < 0 || link(from, to) == 0)
		return r;
	if (errno != EXDEV && errno != EPERM)
		return hs_err_set(e, -errno, "cannot take '%s': %s", from,
				  strerror(errno));
	return bundle_copy(from, to, e);
}

/* Packs the stage into a temporary file beside the bundle, then renames. */
static int bundle_pack(const struct bundle_writer *w, struct hs_err *e)
{
	char tmp[PATH_MAX];
	int fd;
	int r;

	if (hs_snprintf(tmp, sizeof(tmp), "%s.XXXXXX", w->path) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  w->path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create '%s': %s", tmp,
				  strerror(errno));
	r = pack_dir_level(w->stage, fd, BUNDLE_ZSTD_LEVEL, e);
	if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = hs_err_set(e, -errno, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (close(fd) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (r == 0 && rename(tmp, w->path) < 0)
		r = hs_err_set(e, -errno, "cannot rename to '%s': %s", w->path,
			       strerror(errno));
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int bundle_writer_finish(struct bundle_writer *w, struct hs_err *e)
{
	char path[PATH_MAX];
	int r;

	if (hs_snprintf(path, sizeof(path), "%s/%s", w->stage, BUNDLE_MARKER) <
	    0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	r = hs_write_file_atomic(path, BUNDLE_MARKER_JSON,
				 strlen(BUNDLE_MARKER_JSON), 0644, e);
	if (r == 0)
		r = bundle_pack(w, e);
	return r;
}

static int bundle_unlink(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int bundle_writer_close(struct bundle_writer *w, struct hs_err *e)
{
	int r = 0;

	if (w == NULL)
		return 0;
	if (nftw(w->stage, bundle_unlink, 16, FTW_DEPTH | FTW_PHYS) < 0)
		r = hs_err_set(e, -errno, "cannot remove '%s': %s", w->stage,
			       strerror(errno));
	free(w);
	return r;
}

/* The marker of the bundle unpacked into dir names this format. */
static int bundle_check_marker(const char *dir, struct hs_err *e)
{
	char path[PATH_MAX];
	const char *type;
	json_error_t jerr;
	json_t *j = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = hs_snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MARKER);
	if (r == 0)
		r = hs_read_file(path, BUNDLE_MARKER_MAX, &buf, &len, e);
	if (r < 0)
		return hs_err_set(e, -EBADMSG,
				  "not a haishin bundle: no %s in it",
				  BUNDLE_MARKER);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	type = json_string_value(json_object_get(j, "_type"));
	if (type == NULL || strcmp(type, "bundle") != 0)
		r = hs_err_set(e, -EBADMSG,
			       "not a haishin bundle: %s is not a bundle "
			       "marker",
			       BUNDLE_MARKER);
	else if (json_integer_value(json_object_get(j, "format")) !=
		 BUNDLE_FORMAT)
		r = hs_err_set(e, -EBADMSG,
			       "bundle format %lld is not %d: made by a newer "
			       "haishin-publish?",
			       (long long)json_integer_value(
				       json_object_get(j, "format")),
			       BUNDLE_FORMAT);
	json_decref(j);
	return r;
}

int bundle_unpack(int fd, const char *dir, struct hs_err *e)
{
	int r;

	r = unpack_fd(fd, dir, NULL, NULL, e);
	if (r == 0)
		r = bundle_check_marker(dir, e);
	return r;
}
