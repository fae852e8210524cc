/*
 * fileio_posix.c - fileio.h on POSIX: whole-file reads with a cap, and
 * durable writes: a file replaced by rename(2) after its data reached the
 * disk, and the rename itself made durable by an fsync(2) of its directory
 * (open with O_DIRECTORY).  Every fsync of a directory and every replacing
 * rename of haishin's own files is made here.
 */
#include "fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "str.h"

int hs_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
		 struct hs_err *e)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = hs_err_set(e, -errno, "cannot stat '%s': %s", path,
			       strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = hs_err_set(e, -EINVAL, "'%s' is not a regular file", path);
		goto out_close;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory reading '%s'", path);
		goto out_close;
	}
	for (;;) {
		/* Read one byte past max to learn that the file is too big. */
		const ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hs_err_set(e, -errno, "cannot read '%s': %s", path,
				       strerror(errno));
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = hs_err_set(e, -EFBIG,
				       "'%s' is larger than %zu bytes", path,
				       max);
			goto out_free;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out_free:
	free(buf);
out_close:
	(void)close(fd);
	return r;
}

/* Opens and fsyncs directory dir: 0, or a negative errno with *ret_opened
 * saying which of the two failed. */
static int dir_sync(const char *dir, bool *ret_opened)
{
	const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	*ret_opened = fd >= 0;
	if (fd < 0)
		return -errno;
	r = fsync(fd) < 0 ? -errno : 0;
	(void)close(fd);
	return r;
}

int hs_fsync_dir(const char *path, struct hs_err *e)
{
	bool opened;
	const int r = dir_sync(path, &opened);

	if (r < 0 && !opened)
		return hs_err_set(e, r, "cannot open '%s': %s", path,
				  strerror(-r));
	if (r < 0)
		return hs_err_set(e, r, "cannot fsync '%s': %s", path,
				  strerror(-r));
	return 0;
}

int hs_err_short(struct hs_err *e, uint64_t got, uint64_t want, const char *fmt,
		 ...)
{
	char what[HS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), dgettext(HAISHIN_TEXTDOMAIN, fmt),
			ap);
	va_end(ap);
	return hs_err_set(e, -ENODATA,
			  "%s ended after %" PRIu64 " of %" PRIu64 " bytes",
			  what, got, want);
}

int hs_pread_full(int fd, void *buf, size_t n, uint64_t off, const char *path,
		  struct hs_err *e)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = pread(fd, (uint8_t *)buf + got, n - got,
			  (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return hs_err_set(e, -errno, "cannot read '%s': %s",
					  path, strerror(errno));
		if (k == 0)
			return hs_err_short(e, off + got, off + n, "'%s'",
					    path);
		got += (size_t)k;
	}
	return 0;
}

int hs_fsync_parent(const char *path, struct hs_err *e)
{
	char copy[PATH_MAX];
	bool opened;
	int r;

	if (hs_strlcpy(copy, path, sizeof(copy)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  path);
	r = dir_sync(dirname(copy), &opened);
	if (r < 0 && !opened)
		return hs_err_set(e, r, "cannot open directory of '%s': %s",
				  path, strerror(-r));
	if (r < 0)
		return hs_err_set(e, r, "cannot fsync directory of '%s': %s",
				  path, strerror(-r));
	return 0;
}

int hs_rename_durable(const char *from, const char *to, struct hs_err *e)
{
	if (rename(from, to) < 0)
		return hs_err_set(e, -errno, "cannot rename '%s' to '%s': %s",
				  from, to, strerror(errno));
	return hs_fsync_parent(to, e);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		const ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hs_write_file_atomic(const char *path, const void *buf, size_t len,
			 unsigned mode, struct hs_err *e)
{
	char tmp[PATH_MAX];
	int fd;
	int r;

	if (hs_snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) <
	    0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create '%s': %s", tmp,
				  strerror(errno));
	r = write_all(fd, buf, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return hs_err_set(e, r, "cannot write '%s': %s", path,
				  strerror(-r));
	}
	return hs_fsync_parent(path, e);
}
