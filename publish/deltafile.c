/*
 * deltafile.c - the publisher's delta files (deltafile.h), and the verb
 * that makes one for a pair of packages or tars:
 *
 *	haishin-publish delta OLD NEW -o OUT [--method zstd|sufdiff|best]
 *
 * A delta is made from uncompressed tars; packages are decompressed into
 * unlinked temporary files first (the delta code maps its inputs, so they
 * must be regular files, not pipes).
 */
#include "deltafile.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "hs_limits.h"
#include "publish.h"
#include "fileio.h"
#include "str.h"

/* An unlinked temporary file under dir, open for reading and writing. */
static int deltafile_tmp(const char *dir, const char *what, int *ret_fd,
			 struct hs_err *e)
{
	char tmp[PATH_MAX];
	int fd;

	if (hs_snprintf(tmp, sizeof(tmp), "%s/.%s-XXXXXX", dir, what) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create a file in '%s': %s",
				  dir, strerror(errno));
	(void)unlink(tmp);
	*ret_fd = fd;
	return 0;
}

/* Whether fd (at offset 0) opens with the zstd magic; leaves it at 0. */
static int deltafile_is_zstd(int fd, const char *path, bool *ret,
			     struct hs_err *e)
{
	char magic[4];
	ssize_t n;

	n = pread(fd, magic, sizeof(magic), 0);
	if (n < 0)
		return hs_err_set(e, -errno, "cannot read '%s': %s", path,
				  strerror(errno));
	*ret = n == (ssize_t)sizeof(magic) &&
	       memcmp(magic, DELTAFILE_ZSTD_MAGIC, sizeof(magic)) == 0;
	return 0;
}

/* Decompresses the package in pkg_fd into an unlinked file under tmpdir. */
static int deltafile_unpack(int pkg_fd, const char *path, const char *tmpdir,
			    int *ret_fd, struct tarball_info *ret,
			    struct hs_err *e)
{
	int fd = -1;
	int r;

	r = deltafile_tmp(tmpdir, "tar", &fd, e);
	if (r < 0)
		return r;
	r = tarball_from_package(pkg_fd, fd, HS_PACKAGE_MAX_BYTES, ret, e);
	if (r < 0) {
		hs_err_prefix(e, "'%s': ", path);
		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int deltafile_open_tar(const char *path, const char *tmpdir, int *ret_fd,
		       struct tarball_info *ret, bool *ret_is_package,
		       struct hs_err *e)
{
	struct tarball_info info;
	struct stat st;
	bool is_zstd = false;
	int tar_fd = -1;
	int fd;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0)
		r = hs_err_set(e, -errno, "cannot stat '%s': %s", path,
			       strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = hs_err_set(e, -EINVAL, "'%s' is not a regular file", path);
	else if ((uint64_t)st.st_size > HS_PACKAGE_MAX_BYTES)
		r = hs_err_set(e, -EFBIG, "'%s' is over %llu bytes", path,
			       (unsigned long long)HS_PACKAGE_MAX_BYTES);
	else
		r = deltafile_is_zstd(fd, path, &is_zstd, e);
	if (r == 0 && is_zstd) {
		r = deltafile_unpack(fd, path, tmpdir, &tar_fd, &info, e);
		(void)close(fd);
		fd = tar_fd;
	} else if (r == 0) {
		r = hash_fd(fd, info.sha256, &info.size, e);
	}
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	*ret = info;
	if (ret_is_package != NULL)
		*ret_is_package = is_zstd;
	return 0;
}

/* The delta into fd, then its size and SHA-256; fd stays open. */
static int deltafile_write(int base_fd, int tar_fd,
			   const struct deltafile_opts *o, int fd,
			   struct deltafile *ret, struct hs_err *e)
{
	enum delta_method m = o->method;
	int r;

	if (o->best)
		r = delta_make_best(base_fd, tar_fd, fd, &m, e);
	else
		r = delta_make(m, base_fd, tar_fd, fd, e);
	if (r < 0)
		return r;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return hs_err_set(e, -errno, "cannot write the delta: %s",
				  strerror(errno));
	ret->method = m;
	return hash_fd(fd, ret->sha256, &ret->size, e);
}

int deltafile_make(int base_fd, int tar_fd, const struct deltafile_opts *o,
		   const char *dir, const char *out, struct deltafile *ret,
		   struct hs_err *e)
{
	char final[PATH_MAX];
	char tmp[PATH_MAX];
	struct deltafile d;
	bool keep;
	int fd;
	int r;

	if (hs_snprintf(tmp, sizeof(tmp), "%s/.delta-XXXXXX", dir) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create a file in '%s': %s",
				  dir, strerror(errno));
	memset(&d, 0, sizeof(d));
	r = deltafile_write(base_fd, tar_fd, o, fd, &d, e);
	if (close(fd) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", tmp,
			       strerror(errno));
	keep = o->keep_below == 0 || d.size < o->keep_below;
	if (r == 0 && keep && out == NULL &&
	    hs_snprintf(final, sizeof(final), "%s/%s.delta", dir, d.sha256) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
	if (r == 0 && keep) {
		const char *to = out != NULL ? out : final;

		d.created = access(to, F_OK) < 0;
		r = hs_rename_durable(tmp, to, e);
	}
	if (r < 0 || !keep)
		(void)unlink(tmp);
	if (r < 0)
		return r;
	*ret = d;
	return keep ? 0 : 1;
}

struct delta_opts {
	const char *out;
	struct deltafile_opts make;
	char dir[PATH_MAX]; /* OUT's directory: its temporary files */
};

/* --method zstd|sufdiff|best into a deltafile_opts. */
static int delta_parse_method(void *field, const char *arg, struct hs_err *e)
{
	struct deltafile_opts *make = field;

	make->best = strcmp(arg, "best") == 0;
	if (!make->best && delta_method_parse(arg, &make->method) < 0)
		return hs_err_set(e, -EINVAL,
				  "--method '%s' is not zstd, sufdiff or best",
				  arg);
	return 0;
}

/* OUT's directory, where the temporary files go. */
static int delta_out_dir(void *opts, struct hs_err *e)
{
	struct delta_opts *o = opts;
	const char *slash = strrchr(o->out, '/');

	if (slash == NULL)
		return hs_strlcpy(o->dir, ".", sizeof(o->dir));
	if (hs_snprintf(o->dir, sizeof(o->dir), "%.*s",
			slash == o->out ? 1 : (int)(slash - o->out),
			o->out) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  o->out);
	return 0;
}

static const struct publish_opt delta_opts[] = {
	{PUBLISH_OPT("output", STRING, struct delta_opts, out),
	 .required = true, .letter = 'o'},
	{PUBLISH_OPT("method", PARSE, struct delta_opts, make),
	 .parse = delta_parse_method},
};

/* What was made, one "key value" line each (docs/repository.md). */
static void delta_print(const struct delta_opts *o, const struct deltafile *d,
			const struct tarball_info *base,
			const struct tarball_info *tar, const char *new_path,
			bool new_is_package)
{
	struct stat st;

	printf("delta   %s\n", o->out);
	printf("method  %s\n", delta_method_name(d->method));
	printf("size    %llu\n", (unsigned long long)d->size);
	printf("sha256  %s\n", d->sha256);
	printf("base    %llu-byte tar, sha256 %s\n",
	       (unsigned long long)base->size, base->sha256);
	printf("result  %llu-byte tar, sha256 %s\n",
	       (unsigned long long)tar->size, tar->sha256);
	if (new_is_package && stat(new_path, &st) == 0 && st.st_size > 0)
		printf("package %llu bytes (the delta is %.2f%% of it)\n",
		       (unsigned long long)st.st_size,
		       100.0 * (double)d->size / (double)st.st_size);
}

/* delta OLD NEW */
static int delta_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct delta_opts *o = opts;
	struct tarball_info base;
	struct tarball_info tar;
	struct deltafile d;
	bool new_is_package = false;
	int base_fd = -1;
	int tar_fd = -1;
	int r;

	r = deltafile_open_tar(args[0], o->dir, &base_fd, &base, NULL, e);
	if (r == 0)
		r = deltafile_open_tar(args[1], o->dir, &tar_fd, &tar,
				       &new_is_package, e);
	if (r == 0)
		r = deltafile_make(base_fd, tar_fd, &o->make, o->dir, o->out,
				   &d, e);
	if (r == 0)
		delta_print(o, &d, &base, &tar, args[1], new_is_package);
	if (tar_fd >= 0)
		(void)close(tar_fd);
	if (base_fd >= 0)
		(void)close(base_fd);
	return r;
}

static const struct publish_cmd delta_cmd = {
	.verb = "delta",
	.opts = delta_opts,
	.n_opts = ARRAY_SIZE(delta_opts),
	.n_args = 2,
	.check = delta_out_dir,
	.run = delta_run,
};

int cmd_delta(int argc, char **argv, struct hs_err *e)
{
	struct delta_opts o;

	memset(&o, 0, sizeof(o));
	o.make.best = true;
	return publish_cmd_run(&delta_cmd, argc, argv, &o, e);
}
