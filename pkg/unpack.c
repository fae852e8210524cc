/*
 * unpack.c - secure extraction of a package, without archive_write_disk.
 *
 * Each entry is first checked against the policy of unpack.h (type, path
 * shape, caps, symlink target, duplicates); nothing is written for an entry
 * that fails.  Its parent directory is then reached from the staging
 * directory one component at a time with openat(O_DIRECTORY | O_NOFOLLOW),
 * creating missing directories, so no symlink is ever followed and nothing
 * lands outside.  The leaf is created exclusively (O_EXCL, mkdirat,
 * symlinkat).  File data is counted against the caps before each block is
 * written; holes of sparse files are left as holes (pwrite at the block's
 * offset, ftruncate to the full size) but count as data.  Every file is
 * fsync'ed when written; at the end every directory of the tree is fsync'ed,
 * deepest first, the staging directory last.
 *
 * The last parent directory is kept open between entries: packages are
 * sorted, so most entries share it.  The paths seen are kept in a hash set,
 * bounded by max_entries, to refuse duplicates.
 */
#include "unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "hs_limits.h"
#include "str.h"

/* Read size handed to libarchive. */
#define UNPACK_BLOCK_SIZE (64u * 1024)

/* An entry's name as quoted in messages; longer names are cut. */
#define UNPACK_NAME_MSG 200

/* Flags for every directory opened beneath the staging directory. */
#define UNPACK_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* The paths seen: open addressing over a power-of-two table. */
struct unpack_set {
	char **slot;
	size_t cap;
	size_t n;
};

struct unpack {
	struct archive *a;
	const struct unpack_limits *lim;
	int dest_fd;
	struct unpack_set seen;
	uint64_t entries;
	uint64_t bytes;
	char *parent; /* path of the open parent directory, or NULL */
	int parent_fd; /* its fd, or -1 */
	char name[UNPACK_NAME_MSG + 1]; /* current entry, printable */
};

void unpack_limits_default(struct unpack_limits *l)
{
	l->max_entries = HS_ARCHIVE_MAX_ENTRIES;
	l->max_path = HS_ARCHIVE_MAX_PATH;
	l->max_file_bytes = HS_ARCHIVE_MAX_FILE_BYTES;
	l->max_total_bytes = HS_ARCHIVE_MAX_TOTAL_BYTES;
}

static bool unpack_is_dotdot(const char *p, size_t n)
{
	return n == 2 && p[0] == '.' && p[1] == '.';
}

static bool unpack_is_dot(const char *p, size_t n)
{
	return n == 1 && p[0] == '.';
}

bool unpack_symlink_is_contained(const char *path, const char *target)
{
	size_t above = 0;
	size_t up = 0;
	bool normal_seen = false;
	const char *p;

	if (target[0] == '\0' || target[0] == '/')
		return false;
	for (p = path; *p != '\0'; p++)
		if (*p == '/')
			above++;
	for (p = target; *p != '\0';) {
		const char *end = strchrnul(p, '/');
		const size_t n = (size_t)(end - p);

		if (unpack_is_dotdot(p, n)) {
			if (normal_seen || ++up > above)
				return false;
		} else if (n > 0 && !unpack_is_dot(p, n)) {
			normal_seen = true;
		}
		p = *end == '/' ? end + 1 : end;
	}
	return true;
}

/* FNV-1a, 64 bits. */
static uint64_t unpack_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot holding s, or the empty slot where it belongs. */
static size_t unpack_set_find(const struct unpack_set *s, const char *path)
{
	size_t i = (size_t)unpack_hash(path) & (s->cap - 1);

	while (s->slot[i] != NULL && strcmp(s->slot[i], path) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int unpack_set_grow(struct unpack_set *s)
{
	const size_t cap = s->cap == 0 ? 256 : s->cap * 2;
	struct unpack_set bigger = {NULL, cap, s->n};
	size_t i;

	bigger.slot = calloc(cap, sizeof(*bigger.slot));
	if (bigger.slot == NULL)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i] != NULL)
			bigger.slot[unpack_set_find(&bigger, s->slot[i])] =
				s->slot[i];
	free(s->slot);
	*s = bigger;
	return 0;
}

/* Adds a copy of path; *ret_added is false when it was there already. */
static int unpack_set_add(struct unpack_set *s, const char *path,
			  bool *ret_added)
{
	size_t i;
	int r;

	if ((s->n + 1) * 2 > s->cap) {
		r = unpack_set_grow(s);
		if (r < 0)
			return r;
	}
	i = unpack_set_find(s, path);
	if (s->slot[i] != NULL) {
		*ret_added = false;
		return 0;
	}
	s->slot[i] = strdup(path);
	if (s->slot[i] == NULL)
		return -ENOMEM;
	s->n++;
	*ret_added = true;
	return 0;
}

static void unpack_set_clear(struct unpack_set *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	s->slot = NULL;
	s->cap = 0;
	s->n = 0;
}

/* Keeps a printable, bounded copy of the entry's name for messages. */
static void unpack_set_name(struct unpack *u, const char *raw)
{
	size_t i;

	if (raw == NULL)
		raw = "";
	for (i = 0; raw[i] != '\0' && i < UNPACK_NAME_MSG; i++) {
		const uint8_t c = (uint8_t)raw[i];

		u->name[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	u->name[i] = '\0';
}

/* The one place a libarchive read error becomes a struct hs_err. */
static int unpack_from_archive(struct unpack *u, const char *where,
			       struct hs_err *e)
{
	const char *text = archive_error_string(u->a);

	if (text == NULL)
		text = "unknown libarchive error";
	if (u->name[0] == '\0')
		return hs_err_set(e, -EBADMSG, "corrupt archive: %s", text);
	return hs_err_set(e, -EBADMSG, "corrupt archive %s entry '%s': %s",
			  where, u->name, text);
}

/* Why an entry's type is refused, or NULL when it is allowed. */
static const char *unpack_refusal(struct archive_entry *ent)
{
	if (archive_entry_hardlink(ent) != NULL)
		return "hard links are not allowed";
	switch (archive_entry_filetype(ent)) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
		return NULL;
	case AE_IFCHR:
		return "character devices are not allowed";
	case AE_IFBLK:
		return "block devices are not allowed";
	case AE_IFIFO:
		return "FIFOs are not allowed";
	case AE_IFSOCK:
		return "sockets are not allowed";
	default:
		return "entries of this type are not allowed";
	}
}

/* Checks the components of a normalized path and its depth. */
static int unpack_check_components(struct unpack *u, const char *path,
				   struct hs_err *e)
{
	const char *p = path;
	unsigned depth = 0;

	for (;;) {
		const char *end = strchrnul(p, '/');
		const size_t n = (size_t)(end - p);

		if (n == 0)
			return hs_err_set(e, -EPERM,
					  "entry '%s': empty path component",
					  u->name);
		if (unpack_is_dot(p, n) || unpack_is_dotdot(p, n))
			return hs_err_set(
				e, -EPERM,
				"entry '%s': '%.*s' in a path is not allowed",
				u->name, (int)n, p);
		if (++depth > HS_ARCHIVE_MAX_DEPTH)
			return hs_err_set(
				e, -EFBIG, "entry '%s': deeper than %u levels",
				u->name, (unsigned)HS_ARCHIVE_MAX_DEPTH);
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

/*
 * Checks the shape of raw and returns a normalized copy: one leading "./"
 * and a directory's trailing "/" removed.  The caller frees *ret_path.
 */
static int unpack_path(struct unpack *u, const char *raw, bool is_dir,
		       char **ret_path, struct hs_err *e)
{
	size_t len = strlen(raw);
	char *path;
	int r;

	if (len > u->lim->max_path)
		return hs_err_set(e, -EFBIG,
				  "entry '%s': path longer than %" PRIu64
				  " bytes",
				  u->name, u->lim->max_path);
	if (raw[0] == '/')
		return hs_err_set(e, -EPERM,
				  "entry '%s': absolute paths are not allowed",
				  u->name);
	if (strncmp(raw, "./", 2) == 0) {
		raw += 2;
		len -= 2;
	}
	if (is_dir && len > 0 && raw[len - 1] == '/')
		len--;
	path = strndup(raw, len);
	if (path == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = unpack_check_components(u, path, e);
	if (r < 0) {
		free(path);
		return r;
	}
	*ret_path = path;
	return 0;
}

/* Checks a symlink's target; *ret_target points into ent. */
static int unpack_check_link(struct unpack *u, struct archive_entry *ent,
			     const char *path, const char **ret_target,
			     struct hs_err *e)
{
	const char *target = archive_entry_symlink(ent);

	if (target == NULL || target[0] == '\0')
		return hs_err_set(e, -EPERM,
				  "entry '%s': symlink without a target",
				  u->name);
	if (strlen(target) > u->lim->max_path)
		return hs_err_set(
			e, -EFBIG,
			"entry '%s': symlink target longer than %" PRIu64
			" bytes",
			u->name, u->lim->max_path);
	if (target[0] == '/')
		return hs_err_set(
			e, -EPERM,
			"entry '%s': absolute symlink targets are not allowed",
			u->name);
	if (!unpack_symlink_is_contained(path, target))
		return hs_err_set(e, -EPERM,
				  "entry '%s': symlink target leaves the tree",
				  u->name);
	*ret_target = target;
	return 0;
}

/* Would a file of file_bytes, growing the total by growth, pass the caps? */
static int unpack_check_caps(struct unpack *u, uint64_t file_bytes,
			     uint64_t growth, struct hs_err *e)
{
	if (file_bytes > u->lim->max_file_bytes)
		return hs_err_set(e, -EFBIG,
				  "entry '%s': file larger than %" PRIu64
				  " bytes",
				  u->name, u->lim->max_file_bytes);
	if (growth > u->lim->max_total_bytes - u->bytes)
		return hs_err_set(e, -EFBIG,
				  "entry '%s': package larger than %" PRIu64
				  " bytes unpacked",
				  u->name, u->lim->max_total_bytes);
	return 0;
}

/* Counts the growth of a file from *end to new_end bytes. */
static int unpack_grow(struct unpack *u, uint64_t *end, uint64_t new_end,
		       struct hs_err *e)
{
	int r;

	if (new_end <= *end)
		return 0;
	r = unpack_check_caps(u, new_end, new_end - *end, e);
	if (r < 0)
		return r;
	u->bytes += new_end - *end;
	*end = new_end;
	return 0;
}

/* Checks a regular file's announced size before it is created. */
static int unpack_check_size(struct unpack *u, struct archive_entry *ent,
			     struct hs_err *e)
{
	const int64_t size = archive_entry_size(ent);

	if (!archive_entry_size_is_set(ent) || size <= 0)
		return 0;
	return unpack_check_caps(u, (uint64_t)size, (uint64_t)size, e);
}

/* pwrite() of all n bytes at off. */
static int unpack_pwrite(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		const ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Copies the current entry's data into fd, block by block. */
static int unpack_data(struct unpack *u, int fd, struct archive_entry *ent,
		       struct hs_err *e)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	uint64_t end = 0;
	int r;

	for (;;) {
		r = archive_read_data_block(u->a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return unpack_from_archive(u, "in", e);
		if (off < 0 || size > (uint64_t)(INT64_MAX - off))
			return hs_err_set(e, -EBADMSG,
					  "entry '%s': bad data offset",
					  u->name);
		r = unpack_grow(u, &end, (uint64_t)off + size, e);
		if (r < 0)
			return r;
		r = unpack_pwrite(fd, buf, size, (uint64_t)off);
		if (r < 0)
			return hs_err_set(e, r, "entry '%s': cannot write: %s",
					  u->name, strerror(-r));
	}
	/* A sparse file may end in a hole. */
	if (archive_entry_size_is_set(ent) && archive_entry_size(ent) > 0) {
		r = unpack_grow(u, &end, (uint64_t)archive_entry_size(ent), e);
		if (r < 0)
			return r;
	}
	if (ftruncate(fd, (off_t)end) < 0)
		return hs_err_set(e, -errno, "entry '%s': cannot resize: %s",
				  u->name, strerror(errno));
	return 0;
}

/* The error for a failed openat/mkdirat/symlinkat of an entry's leaf. */
static int unpack_leaf_error(struct unpack *u, const char *what, int err,
			     struct hs_err *e)
{
	if (err == EEXIST || err == ELOOP || err == ENOTDIR)
		return hs_err_set(
			e, -EPERM,
			"entry '%s': the path exists already as another type",
			u->name);
	return hs_err_set(e, -err, "entry '%s': cannot %s: %s", u->name, what,
			  strerror(err));
}

static int unpack_file(struct unpack *u, int dfd, const char *leaf,
		       struct archive_entry *ent, struct hs_err *e)
{
	int fd;
	int r;

	fd = openat(dfd, leaf,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return unpack_leaf_error(u, "create file", errno, e);
	r = 0;
	if (fchmod(fd, archive_entry_perm(ent) & 0755) < 0)
		r = hs_err_set(e, -errno, "entry '%s': cannot chmod: %s",
			       u->name, strerror(errno));
	if (r == 0)
		r = unpack_data(u, fd, ent, e);
	if (r == 0 && fsync(fd) < 0)
		r = hs_err_set(e, -errno, "entry '%s': cannot fsync: %s",
			       u->name, strerror(errno));
	if (close(fd) < 0 && r == 0)
		r = hs_err_set(e, -errno, "entry '%s': cannot close: %s",
			       u->name, strerror(errno));
	return r;
}

/*
 * Makes the directory name in dfd (or takes the one there), opens it without
 * following a symlink and sets its mode.  Returns its fd.
 */
static int unpack_mkdir(struct unpack *u, int dfd, const char *name,
			mode_t mode, struct hs_err *e)
{
	int fd;
	int r;

	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return unpack_leaf_error(u, "create directory", errno, e);
	fd = openat(dfd, name, UNPACK_DIR_FLAGS);
	if (fd < 0)
		return unpack_leaf_error(u, "open directory", errno, e);
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		(void)close(fd);
		return hs_err_set(e, r, "entry '%s': cannot chmod: %s", u->name,
				  strerror(-r));
	}
	return fd;
}

/* Directories keep owner rwx so that the tree can be filled and removed. */
static int unpack_dir(struct unpack *u, int dfd, const char *leaf,
		      struct archive_entry *ent, struct hs_err *e)
{
	const int fd = unpack_mkdir(u, dfd, leaf,
				    (archive_entry_perm(ent) & 0755) | 0700, e);

	if (fd < 0)
		return fd;
	(void)close(fd);
	return 0;
}

static int unpack_link(struct unpack *u, int dfd, const char *leaf,
		       const char *target, struct hs_err *e)
{
	if (symlinkat(target, dfd, leaf) < 0)
		return unpack_leaf_error(u, "create symlink", errno, e);
	return 0;
}

/* Opens one directory component below dfd, creating it when missing. */
static int unpack_step(struct unpack *u, int dfd, const char *comp,
		       struct hs_err *e)
{
	const int fd = openat(dfd, comp, UNPACK_DIR_FLAGS);

	if (fd >= 0)
		return fd;
	if (errno == ELOOP || errno == ENOTDIR)
		return hs_err_set(
			e, -EPERM,
			"entry '%s': '%s' is not a directory (writing through a symlink is not allowed)",
			u->name, comp);
	if (errno != ENOENT)
		return hs_err_set(e, -errno, "entry '%s': cannot open '%s': %s",
				  u->name, comp, strerror(errno));
	return unpack_mkdir(u, dfd, comp, 0755, e);
}

/* Opens (creating) the directory dir, a relative path, below dest_fd. */
static int unpack_open_dirs(struct unpack *u, char *dir, struct hs_err *e)
{
	int fd = u->dest_fd;
	char *comp = dir;

	for (;;) {
		char *slash = strchr(comp, '/');
		int next;

		if (slash != NULL)
			*slash = '\0';
		next = unpack_step(u, fd, comp, e);
		if (fd != u->dest_fd)
			(void)close(fd);
		if (slash != NULL)
			*slash = '/';
		if (next < 0 || slash == NULL)
			return next;
		fd = next;
		comp = slash + 1;
	}
}

static void unpack_drop_parent(struct unpack *u)
{
	if (u->parent_fd >= 0)
		(void)close(u->parent_fd);
	u->parent_fd = -1;
	free(u->parent);
	u->parent = NULL;
}

/*
 * Finds the directory that holds path (borrowed, do not close) and the last
 * component of path.
 */
static int unpack_parent(struct unpack *u, const char *path, int *ret_fd,
			 const char **ret_leaf, struct hs_err *e)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL) {
		*ret_fd = u->dest_fd;
		*ret_leaf = path;
		return 0;
	}
	dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (u->parent != NULL && strcmp(u->parent, dir) == 0) {
		free(dir);
	} else {
		fd = unpack_open_dirs(u, dir, e);
		if (fd < 0) {
			free(dir);
			return fd;
		}
		unpack_drop_parent(u);
		u->parent = dir;
		u->parent_fd = fd;
	}
	*ret_fd = u->parent_fd;
	*ret_leaf = slash + 1;
	return 0;
}

/* Records path as seen; a second entry with the same path is refused. */
static int unpack_claim(struct unpack *u, const char *path, struct hs_err *e)
{
	bool added = false;
	int r;

	r = unpack_set_add(&u->seen, path, &added);
	if (r < 0)
		return hs_err_set(e, r, "out of memory");
	if (!added)
		return hs_err_set(e, -EPERM, "entry '%s': duplicate path",
				  u->name);
	return 0;
}

/* Checks the type-specific policy, then creates the entry. */
static int unpack_create(struct unpack *u, struct archive_entry *ent,
			 const char *path, struct hs_err *e)
{
	const mode_t type = archive_entry_filetype(ent);
	const char *target = NULL;
	const char *leaf = NULL;
	int dfd = -1;
	int r;

	if (type == AE_IFLNK)
		r = unpack_check_link(u, ent, path, &target, e);
	else if (type == AE_IFREG)
		r = unpack_check_size(u, ent, e);
	else
		r = 0;
	if (r == 0)
		r = unpack_claim(u, path, e);
	if (r == 0)
		r = unpack_parent(u, path, &dfd, &leaf, e);
	if (r < 0)
		return r;
	if (type == AE_IFLNK)
		return unpack_link(u, dfd, leaf, target, e);
	if (type == AE_IFDIR)
		return unpack_dir(u, dfd, leaf, ent, e);
	return unpack_file(u, dfd, leaf, ent, e);
}

static int unpack_entry(struct unpack *u, struct archive_entry *ent,
			struct hs_err *e)
{
	const char *raw = archive_entry_pathname(ent);
	const char *why;
	char *path = NULL;
	int r;

	unpack_set_name(u, raw);
	if (++u->entries > u->lim->max_entries)
		return hs_err_set(e, -EFBIG,
				  "entry '%s': more than %" PRIu64 " entries",
				  u->name, u->lim->max_entries);
	if (raw == NULL || raw[0] == '\0')
		return hs_err_set(e, -EPERM, "entry without a path");
	why = unpack_refusal(ent);
	if (why != NULL)
		return hs_err_set(e, -EPERM, "entry '%s': %s", u->name, why);
	r = unpack_path(u, raw, archive_entry_filetype(ent) == AE_IFDIR, &path,
			e);
	if (r < 0)
		return r;
	r = unpack_create(u, ent, path, e);
	free(path);
	return r;
}

static int unpack_all(struct unpack *u, struct hs_err *e)
{
	struct archive_entry *ent;
	int r;

	for (;;) {
		r = archive_read_next_header(u->a, &ent);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK)
			return unpack_from_archive(u, "after", e);
		r = unpack_entry(u, ent, e);
		if (r < 0)
			return r;
	}
}

/* A reader for tar (ustar, pax, GNU), zstd-compressed or not, on fd. */
static int unpack_open_archive(struct unpack *u, int fd, struct hs_err *e)
{
	u->a = archive_read_new();
	if (u->a == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (archive_read_support_filter_zstd(u->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(u->a) != ARCHIVE_OK ||
	    archive_read_open_fd(u->a, fd, UNPACK_BLOCK_SIZE) != ARCHIVE_OK)
		return unpack_from_archive(u, "", e);
	return 0;
}

/* True when the directory fd holds nothing; fd's offset is not relied on. */
static int unpack_is_empty(int fd, bool *ret_empty)
{
	struct dirent *de;
	bool empty = true;
	DIR *d;
	int dup_fd;

	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (d == NULL) {
		(void)close(dup_fd);
		return -errno;
	}
	rewinddir(d);
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = false;
	(void)closedir(d);
	if (errno != 0)
		return -errno;
	*ret_empty = empty;
	return 0;
}

static int unpack_open_dest(const char *dest_dir, int *ret_fd, struct hs_err *e)
{
	bool empty = false;
	int fd;
	int r;

	fd = open(dest_dir, UNPACK_DIR_FLAGS);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", dest_dir,
				  strerror(errno));
	r = unpack_is_empty(fd, &empty);
	if (r == 0 && !empty)
		r = -ENOTEMPTY;
	if (r < 0) {
		(void)close(fd);
		return hs_err_set(e, r, "'%s': %s", dest_dir,
				  r == -ENOTEMPTY ? "not empty" : strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

/* True when the name de in d is a directory (not a symlink to one). */
static bool unpack_is_subdir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

static int unpack_sync_tree(int dfd, unsigned depth, struct hs_err *e);

/* fsyncs the tree of every subdirectory listed by d. */
static int unpack_sync_subdirs(DIR *d, unsigned depth, struct hs_err *e)
{
	struct dirent *de;
	int fd;
	int r;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (!unpack_is_subdir(d, de))
			continue;
		fd = openat(dirfd(d), de->d_name, UNPACK_DIR_FLAGS);
		if (fd < 0)
			return hs_err_set(e, -errno, "cannot open '%s': %s",
					  de->d_name, strerror(errno));
		r = unpack_sync_tree(fd, depth + 1, e);
		(void)close(fd);
		if (r < 0)
			return r;
	}
	if (errno != 0)
		return hs_err_set(e, -errno, "cannot list a directory: %s",
				  strerror(errno));
	return 0;
}

/* fsyncs every directory below dfd, deepest first, then dfd itself. */
static int unpack_sync_tree(int dfd, unsigned depth, struct hs_err *e)
{
	DIR *d;
	int fd;
	int r;

	if (depth > HS_ARCHIVE_MAX_DEPTH)
		return hs_err_set(e, -ELOOP, "tree deeper than expected");
	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot dup: %s", strerror(errno));
	d = fdopendir(fd);
	if (d == NULL) {
		r = hs_err_set(e, -errno, "cannot list: %s", strerror(errno));
		(void)close(fd);
		return r;
	}
	rewinddir(d);
	r = unpack_sync_subdirs(d, depth, e);
	(void)closedir(d);
	if (r == 0 && fsync(dfd) < 0)
		r = hs_err_set(e, -errno, "cannot fsync a directory: %s",
			       strerror(errno));
	return r;
}

int unpack_fd(int fd, const char *dest_dir, const struct unpack_limits *lim,
	      struct unpack_stats *ret_stats, struct hs_err *e)
{
	struct unpack_limits def;
	struct unpack u;
	int r;

	if (lim == NULL) {
		unpack_limits_default(&def);
		lim = &def;
	}
	memset(&u, 0, sizeof(u));
	u.lim = lim;
	u.dest_fd = -1;
	u.parent_fd = -1;
	r = unpack_open_dest(dest_dir, &u.dest_fd, e);
	if (r < 0)
		return r;
	r = unpack_open_archive(&u, fd, e);
	if (r == 0)
		r = unpack_all(&u, e);
	unpack_drop_parent(&u);
	if (r == 0)
		r = unpack_sync_tree(u.dest_fd, 0, e);
	if (r == 0 && ret_stats != NULL) {
		ret_stats->entries = u.entries;
		ret_stats->bytes = u.bytes;
	}
	if (u.a != NULL)
		(void)archive_read_free(u.a);
	unpack_set_clear(&u.seen);
	(void)close(u.dest_fd);
	return r;
}
