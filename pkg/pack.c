/*
 * pack.c - a directory tree to a deterministic .tar.zst.
 *
 * Two passes.  The walk looks at every name with lstat semantics (fstatat
 * with AT_SYMLINK_NOFOLLOW, directories opened with O_NOFOLLOW) and collects
 * each entry's archive name, type and symlink target, refusing what
 * unpack_fd() would refuse with its default limits.  The list is then sorted
 * with strcmp and written.  Archive names carry no "./"; a directory's name
 * ends in "/", so it sorts right before its own contents.
 *
 * A header holds only what pack.h promises (name, type, 0644/0755/0777, size,
 * symlink target, uid/gid 0, mtime PACK_MTIME), and the last block is not
 * padded whatever out_fd is.  libarchive writes in this thread's "C" locale
 * whatever the caller's: ASCII names fit plain ustar headers, and a
 * non-ASCII name cannot be converted, so it is stored as raw bytes in a pax
 * header marked hdrcharset=BINARY (libarchive warns; that is expected).  So
 * the output depends on nothing else.  Files stream through one
 * PACK_BUF_SIZE heap buffer.  Hard links are not looked for: every name of a
 * file becomes a separate regular file.
 */
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fileio.h"
#include "hs_limits.h"
#include "str.h"
#include "unpack.h"

/* Copy buffer for file contents. */
#define PACK_BUF_SIZE (128u * 1024)

struct pack_entry {
	char *name; /* archive name; a directory's ends in '/' */
	char *target; /* a symlink's target, else NULL */
	mode_t type; /* S_IFREG, S_IFDIR or S_IFLNK */
};

struct pack_list {
	struct pack_entry *v;
	size_t n;
	size_t cap;
	uint64_t bytes; /* sum of regular file sizes */
};

static void pack_list_clear(struct pack_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].target);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

/* Appends an entry; takes ownership of name and target, even on failure. */
static int pack_list_add(struct pack_list *l, char *name, mode_t type,
			 char *target, struct hs_err *e)
{
	struct pack_entry *v;
	size_t cap;

	if (l->n >= HS_ARCHIVE_MAX_ENTRIES) {
		free(name);
		free(target);
		return hs_err_set(e, -EFBIG, "more than %u entries",
				  (unsigned)HS_ARCHIVE_MAX_ENTRIES);
	}
	if (l->n == l->cap) {
		cap = l->cap == 0 ? 64 : l->cap * 2;
		v = reallocarray(l->v, cap, sizeof(*v));
		if (v == NULL) {
			free(name);
			free(target);
			return hs_err_set(e, -ENOMEM, "out of memory");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = name;
	l->v[l->n].target = target;
	l->v[l->n].type = type;
	l->n++;
	return 0;
}

static const char *pack_type_name(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "FIFOs";
	if (S_ISCHR(mode))
		return "character devices";
	if (S_ISBLK(mode))
		return "block devices";
	if (S_ISSOCK(mode))
		return "sockets";
	return "files of this type";
}

/* Reads and checks the target of the symlink name (archive name rel). */
static int pack_read_link(int dfd, const char *name, const char *rel,
			  char **ret_target, struct hs_err *e)
{
	char buf[HS_ARCHIVE_MAX_PATH + 2];
	ssize_t n;
	char *target;

	n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return hs_err_set(e, -errno, "'%s': cannot read symlink: %s",
				  rel, strerror(errno));
	if ((size_t)n > HS_ARCHIVE_MAX_PATH)
		return hs_err_set(e, -ENAMETOOLONG,
				  "'%s': symlink target longer than %u bytes",
				  rel, (unsigned)HS_ARCHIVE_MAX_PATH);
	buf[n] = '\0';
	if (buf[0] == '/')
		return hs_err_set(e, -EINVAL,
				  "'%s': symlink target '%s' is absolute", rel,
				  buf);
	if (!unpack_symlink_is_contained(rel, buf))
		return hs_err_set(e, -EINVAL,
				  "'%s': symlink target '%s' leaves the tree",
				  rel, buf);
	target = strdup(buf);
	if (target == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*ret_target = target;
	return 0;
}

/* The archive name of name in the directory prefix: prefix + name [+ '/']. */
static int pack_name(const char *prefix, const char *name, bool is_dir,
		     char **ret_rel, struct hs_err *e)
{
	const size_t n = strlen(prefix) + strlen(name) + (is_dir ? 1 : 0);
	char *rel;

	if (n > HS_ARCHIVE_MAX_PATH)
		return hs_err_set(e, -ENAMETOOLONG,
				  "'%s%s': path longer than %u bytes", prefix,
				  name, (unsigned)HS_ARCHIVE_MAX_PATH);
	rel = malloc(n + 1);
	if (rel == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (hs_snprintf(rel, n + 1, "%s%s%s", prefix, name, is_dir ? "/" : "") <
	    0) {
		free(rel);
		return hs_err_set(e, -ENAMETOOLONG, "'%s%s': path too long",
				  prefix, name);
	}
	*ret_rel = rel;
	return 0;
}

static int pack_walk_dir(int dfd, const char *prefix, unsigned depth,
			 struct pack_list *l, struct hs_err *e);

/* Adds a regular file after checking the size caps. */
static int pack_add_file(const struct stat *st, char *rel, struct pack_list *l,
			 struct hs_err *e)
{
	const uint64_t size = (uint64_t)st->st_size;

	if (size > HS_ARCHIVE_MAX_FILE_BYTES ||
	    l->bytes + size > HS_ARCHIVE_MAX_TOTAL_BYTES) {
		(void)hs_err_set(e, -EFBIG, "'%s': file too large", rel);
		free(rel);
		return -EFBIG;
	}
	l->bytes += size;
	return pack_list_add(l, rel, S_IFREG, NULL, e);
}

/* Adds a directory and everything below it. */
static int pack_add_dir(int dfd, const char *name, char *rel, unsigned depth,
			struct pack_list *l, struct hs_err *e)
{
	int fd;
	int r;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = hs_err_set(e, -errno, "'%s': cannot open: %s", rel,
			       strerror(errno));
		free(rel);
		return r;
	}
	r = pack_list_add(l, rel, S_IFDIR, NULL, e);
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	return pack_walk_dir(fd, rel, depth + 1, l, e);
}

/* Looks at one name of the directory dfd, whose archive name is prefix. */
static int pack_walk_one(int dfd, const char *prefix, const char *name,
			 unsigned depth, struct pack_list *l, struct hs_err *e)
{
	struct stat st;
	char *rel = NULL;
	char *target = NULL;
	int r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hs_err_set(e, -errno, "'%s%s': cannot stat: %s", prefix,
				  name, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return hs_err_set(e, -EINVAL, "'%s%s': %s are not allowed",
				  prefix, name, pack_type_name(st.st_mode));
	if (depth + 1 > HS_ARCHIVE_MAX_DEPTH)
		return hs_err_set(e, -EFBIG, "'%s%s': deeper than %u levels",
				  prefix, name, (unsigned)HS_ARCHIVE_MAX_DEPTH);
	r = pack_name(prefix, name, S_ISDIR(st.st_mode), &rel, e);
	if (r < 0)
		return r;
	if (S_ISREG(st.st_mode))
		return pack_add_file(&st, rel, l, e);
	if (S_ISDIR(st.st_mode))
		return pack_add_dir(dfd, name, rel, depth, l, e);
	r = pack_read_link(dfd, name, rel, &target, e);
	if (r < 0) {
		free(rel);
		return r;
	}
	return pack_list_add(l, rel, S_IFLNK, target, e);
}

/*
 * Collects everything below the directory dfd (which this takes over and
 * closes) whose archive name is prefix ("" for the top).
 */
static int pack_walk_dir(int dfd, const char *prefix, unsigned depth,
			 struct pack_list *l, struct hs_err *e)
{
	struct dirent *de;
	DIR *d;
	int r = 0;

	d = fdopendir(dfd);
	if (d == NULL) {
		r = hs_err_set(e, -errno, "'%s': cannot list: %s", prefix,
			       strerror(errno));
		(void)close(dfd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				r = hs_err_set(e, -errno,
					       "'%s': cannot list: %s", prefix,
					       strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		r = pack_walk_one(dirfd(d), prefix, de->d_name, depth, l, e);
		if (r < 0)
			break;
	}
	(void)closedir(d);
	return r;
}

static int pack_cmp(const void *a, const void *b)
{
	const struct pack_entry *x = a;
	const struct pack_entry *y = b;

	return strcmp(x->name, y->name);
}

/*
 * True when a header was written.  ARCHIVE_WARN only says that a name could
 * not be converted to UTF-8 and was stored as raw bytes instead.
 */
static bool pack_header_ok(int r)
{
	return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

/* The one place a libarchive error becomes a struct hs_err. */
static int pack_from_archive(struct archive *a, const char *what,
			     struct hs_err *e)
{
	const char *text = archive_error_string(a);

	return hs_err_set(e, -EIO, "%s: %s", what,
			  text != NULL ? text : "unknown libarchive error");
}

/* Copies exactly size bytes of fd into the current entry. */
static int pack_copy(struct archive *a, int fd, uint64_t size, uint8_t *buf,
		     const char *name, struct hs_err *e)
{
	const uint64_t total = size;

	while (size > 0) {
		const size_t want = size < PACK_BUF_SIZE ? size : PACK_BUF_SIZE;
		const ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hs_err_set(e, -errno, "'%s': cannot read: %s",
					  name, strerror(errno));
		if (n == 0) /* it shrank since its header was written */
			return hs_err_short(e, total - size, total, "'%s'",
					    name);
		if (archive_write_data(a, buf, (size_t)n) != n)
			return pack_from_archive(a, name, e);
		size -= (uint64_t)n;
	}
	return 0;
}

/* Writes the header and contents of a regular file. */
static int pack_write_file(struct archive *a, int rootfd,
			   struct archive_entry *ent, const char *name,
			   uint8_t *buf, struct hs_err *e)
{
	struct stat st;
	int fd;
	int r;

	/* O_NONBLOCK: a FIFO put there since the walk must not block us. */
	fd = openat(rootfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno, "'%s': cannot open: %s", name,
				  strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = hs_err_set(e, -errno, "'%s': cannot stat: %s", name,
			       strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = hs_err_set(e, -EINVAL, "'%s': changed type while packing",
			       name);
		goto out_close;
	}
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, (st.st_mode & 0111) != 0 ? 0755 : 0644);
	archive_entry_set_size(ent, st.st_size);
	if (!pack_header_ok(archive_write_header(a, ent))) {
		r = pack_from_archive(a, name, e);
		goto out_close;
	}
	r = pack_copy(a, fd, (uint64_t)st.st_size, buf, name, e);
out_close:
	(void)close(fd);
	return r;
}

/* Writes one entry; ent is scratch space reused between entries. */
static int pack_write_entry(struct archive *a, int rootfd,
			    const struct pack_entry *pe,
			    struct archive_entry *ent, uint8_t *buf,
			    struct hs_err *e)
{
	archive_entry_clear(ent);
	archive_entry_set_pathname(ent, pe->name);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_mtime(ent, PACK_MTIME, 0);
	if (pe->type == S_IFREG)
		return pack_write_file(a, rootfd, ent, pe->name, buf, e);
	if (pe->type == S_IFDIR) {
		archive_entry_set_filetype(ent, AE_IFDIR);
		archive_entry_set_perm(ent, 0755);
	} else {
		archive_entry_set_filetype(ent, AE_IFLNK);
		archive_entry_set_perm(ent, 0777);
		archive_entry_set_symlink(ent, pe->target);
	}
	archive_entry_set_size(ent, 0);
	if (!pack_header_ok(archive_write_header(a, ent)))
		return pack_from_archive(a, pe->name, e);
	return 0;
}

/* A writer for deterministic pax + zstd output onto out_fd. */
static int pack_open(int out_fd, int level, struct archive **ret_a,
		     struct hs_err *e)
{
	char lv[16];
	struct archive *a;
	int r;

	(void)snprintf(lv, sizeof(lv), "%d", level);
	a = archive_write_new();
	if (a == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "zstd", "compression-level",
					    lv) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
		r = pack_from_archive(a, "cannot start the archive", e);
		(void)archive_write_free(a);
		return r;
	}
	*ret_a = a;
	return 0;
}

/* Writes the sorted list l as an archive onto out_fd. */
static int pack_write_all(int rootfd, const struct pack_list *l, int out_fd,
			  int level, struct hs_err *e)
{
	struct archive_entry *ent = NULL;
	struct archive *a = NULL;
	uint8_t *buf;
	size_t i;
	int r;

	buf = malloc(PACK_BUF_SIZE);
	ent = archive_entry_new();
	if (buf == NULL || ent == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory");
		goto out_free;
	}
	r = pack_open(out_fd, level, &a, e);
	if (r < 0)
		goto out_free;
	for (i = 0; i < l->n && r == 0; i++)
		r = pack_write_entry(a, rootfd, &l->v[i], ent, buf, e);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = pack_from_archive(a, "cannot finish the archive", e);
	(void)archive_write_free(a);
out_free:
	archive_entry_free(ent);
	free(buf);
	return r;
}

/* pack_write_all() in the "C" locale, this thread only. */
static int pack_write(int rootfd, const struct pack_list *l, int out_fd,
		      int level, struct hs_err *e)
{
	locale_t c_locale;
	locale_t old;
	int r;

	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		return hs_err_set(e, -errno, "cannot make a C locale: %s",
				  strerror(errno));
	old = uselocale(c_locale);
	if (old == (locale_t)0) {
		r = hs_err_set(e, -errno, "cannot use a C locale: %s",
			       strerror(errno));
		freelocale(c_locale);
		return r;
	}
	r = pack_write_all(rootfd, l, out_fd, level, e);
	(void)uselocale(old);
	freelocale(c_locale);
	return r;
}

int pack_dir(const char *dir, int out_fd, struct hs_err *e)
{
	return pack_dir_level(dir, out_fd, PACK_ZSTD_LEVEL, e);
}

int pack_dir_level(const char *dir, int out_fd, int level, struct hs_err *e)
{
	struct pack_list l = {0};
	int rootfd;
	int walkfd;
	int r;

	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hs_err_set(e, -errno, "pack '%s': cannot open: %s", dir,
				  strerror(errno));
	walkfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (walkfd < 0) {
		r = hs_err_set(e, -errno, "cannot dup: %s", strerror(errno));
		goto out_prefix;
	}
	r = pack_walk_dir(walkfd, "", 0, &l, e);
	if (r < 0)
		goto out_prefix;
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), pack_cmp);
	r = pack_write(rootfd, &l, out_fd, level, e);
out_prefix:
	if (r < 0)
		hs_err_prefix(e, "pack '%s': ", dir);
	pack_list_clear(&l);
	(void)close(rootfd);
	return r;
}
