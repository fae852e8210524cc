/*
 * test_unpack.c - secure extraction.  Hostile archives are written by hand
 * with libarchive's writer (pax + zstd, as a package would be); each must be
 * refused with the expected code, and nothing may appear outside the
 * staging directory.  Caps, modes, sparse files, corrupt input, and a byte
 * exact round trip through pack_dir().
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "hash.h"
#include "pack.h"
#include "str.h"
#include "unpack.h"

#define MiB (1024u * 1024)

/* Entry kinds besides the AE_IF* types. */
#define HARDLINK ((mode_t)1)

/*
 * One entry to write.  A path or target starting with "@/" names the test's
 * root directory (the parent of dest), for absolute paths into "outside".
 */
struct ent {
	const char *path;
	mode_t type;
	unsigned perm;
	const char *data; /* file contents, or the link's target */
	uint64_t zeros; /* or: a file of this many zero bytes */
};

/* clang-format off */
#define F(p, d) {p, AE_IFREG, 0644, d, 0}
#define FM(p, m) {p, AE_IFREG, m, "x", 0}
#define Z(p, n) {p, AE_IFREG, 0644, NULL, n}
#define D(p) {p, AE_IFDIR, 0755, NULL, 0}
#define DM(p, m) {p, AE_IFDIR, m, NULL, 0}
#define L(p, t) {p, AE_IFLNK, 0777, t, 0}
#define H(p, t) {p, HARDLINK, 0644, t, 0}
#define NODE(p, type) {p, type, 0644, NULL, 0}

/* Table rows: name, expectations, then the entries (see the structs). */
#define HOSTILE(name, want, needle, absent, ...) \
	{name, want, needle, absent, {__VA_ARGS__}}
#define CAP(name, lim, want, needle, ...) \
	{name, lim, want, needle, {__VA_ARGS__}}
#define LIM(entries, path, file, total) {entries, path, file, total}
/* clang-format on */

#define MAX_ENTS 6

/* A test's world: root/dest is extracted into, root/outside stays empty. */
struct world {
	char *root;
	char *dest;
	char *outside;
	char *pkg;
};

static void world_new(struct world *w)
{
	w->root = tu_mkdtemp();
	w->dest = tu_path(w->root, "dest");
	w->outside = tu_path(w->root, "outside");
	w->pkg = tu_path(w->root, "pkg.tar.zst");
	assert_int_equal(mkdir(w->dest, 0755), 0);
	assert_int_equal(mkdir(w->outside, 0755), 0);
}

static void world_free(struct world *w)
{
	tu_rmtree(w->root);
	free(w->root);
	free(w->dest);
	free(w->outside);
	free(w->pkg);
}

/* Nothing was written beside dest, nor into outside. */
static void assert_contained(const struct world *w)
{
	struct stat st;

	assert_int_equal(tu_count_entries(w->outside), 0);
	assert_int_equal(tu_count_entries(w->root), 3);
	assert_int_equal(lstat(w->pkg, &st), 0);
	assert_int_equal(lstat(w->dest, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/* root + rest for "@/rest", else s itself; the caller frees. */
static char *expand(const char *root, const char *s)
{
	if (s != NULL && strncmp(s, "@/", 2) == 0)
		return tu_path(root, s + 2);
	return s != NULL ? strdup(s) : NULL;
}

static void write_zeros(struct archive *a, uint64_t n)
{
	static const uint8_t zero[64 * 1024];

	while (n > 0) {
		const size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);

		assert_int_equal(archive_write_data(a, zero, k), (ssize_t)k);
		n -= k;
	}
}

static void fill_entry(struct archive_entry *ae, const char *root,
		       const struct ent *v)
{
	char *path = expand(root, v->path);
	char *data = expand(root, v->data);

	archive_entry_copy_pathname(ae, path);
	archive_entry_set_perm(ae, v->perm);
	archive_entry_set_mtime(ae, PACK_MTIME, 0);
	if (v->type == HARDLINK) {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_copy_hardlink(ae, data);
	} else {
		archive_entry_set_filetype(ae, v->type);
	}
	if (v->type == AE_IFLNK)
		archive_entry_copy_symlink(ae, data);
	if (v->type == AE_IFCHR || v->type == AE_IFBLK)
		archive_entry_set_rdev(ae, makedev(1, 3));
	if (v->type == AE_IFREG)
		archive_entry_set_size(ae, v->data != NULL
						   ? (int64_t)strlen(v->data)
						   : (int64_t)v->zeros);
	else
		archive_entry_set_size(ae, 0);
	free(path);
	free(data);
}

/* Writes the n entries of v as a pax + zstd archive at out. */
static void write_archive(const char *root, const char *out,
			  const struct ent *v, size_t n)
{
	struct archive *a = archive_write_new();
	size_t i;

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		assert_non_null(ae);
		fill_entry(ae, root, &v[i]);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (v[i].type == AE_IFREG && v[i].data != NULL)
			assert_int_equal(archive_write_data(a, v[i].data,
							    strlen(v[i].data)),
					 (ssize_t)strlen(v[i].data));
		else if (v[i].type == AE_IFREG)
			write_zeros(a, v[i].zeros);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	assert_int_equal(archive_write_free(a), ARCHIVE_OK);
}

/* Unpacks path into dest from offset off; returns unpack_fd()'s result. */
static int unpack_at(const char *path, off_t off, const char *dest,
		     const struct unpack_limits *lim,
		     struct unpack_stats *stats, struct hs_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, off, SEEK_SET), off);
	hs_err_clear(e);
	r = unpack_fd(fd, dest, lim, stats, e);
	assert_int_equal(close(fd), 0);
	return r;
}

static int unpack_path(const char *path, const char *dest,
		       const struct unpack_limits *lim, struct hs_err *e)
{
	return unpack_at(path, 0, dest, lim, NULL, e);
}

static bool exists(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;
	const bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

/* The number of entries in v, which ends early at a NULL path. */
static size_t count_ents(const struct ent *v)
{
	size_t n = 0;

	while (n < MAX_ENTS && v[n].path != NULL)
		n++;
	return n;
}

struct hostile {
	const char *name;
	int want;
	const char *needle; /* in the message */
	const char *absent; /* must not exist below dest afterwards */
	struct ent ents[MAX_ENTS];
};

static const struct hostile hostiles[] = {
	HOSTILE("parent", -EPERM, "'..'", NULL, F("../evil", "x")),
	HOSTILE("parent deep", -EPERM, "'..'", "a", F("a/../../evil", "x")),
	HOSTILE("parent after ./", -EPERM, "'..'", NULL,
		F("./../outside/evil", "x")),
	HOSTILE("dot", -EPERM, "'.'", "a", F("a/./b", "x")),
	HOSTILE("top dot", -EPERM, "empty path", NULL, D("./")),
	HOSTILE("empty component", -EPERM, "empty path", "a", F("a//b", "x")),
	HOSTILE("absolute", -EPERM, "absolute", NULL, F("@/outside/evil", "x")),
	HOSTILE("symlink absolute", -EPERM, "absolute", "shadow",
		L("shadow", "/etc/shadow")),
	HOSTILE("symlink to outside", -EPERM, "absolute", "out",
		L("out", "@/outside")),
	HOSTILE("symlink up, then through", -EPERM, "leaves the tree", "link",
		L("link", ".."), F("link/evil", "x")),
	HOSTILE("symlink up deep", -EPERM, "leaves the tree", "a/l", D("a/"),
		L("a/l", "../../outside"), F("a/l/evil", "x")),
	HOSTILE("symlink chain", -EPERM, "'t': symlink target leaves", "t",
		L("s", "."), L("t", "s/.."), F("t/evil", "x")),
	HOSTILE("write through an inner symlink", -EPERM, "through a symlink",
		"d/f", D("d/"), L("l", "d"), F("l/f", "x")),
	HOSTILE("write through a symlink, deeper", -EPERM, "through a symlink",
		"d/e", D("d/"), L("l", "d"), F("l/e/f", "x")),
	HOSTILE("hard link outside", -EPERM, "hard link", "h",
		H("h", "/etc/passwd")),
	HOSTILE("hard link inside", -EPERM, "hard link", "b", F("a", "x"),
		H("b", "a")),
	HOSTILE("character device", -EPERM,
		"'tty': character devices are not allowed", "tty",
		NODE("tty", AE_IFCHR)),
	HOSTILE("block device", -EPERM, "block devices", "sda",
		NODE("sda", AE_IFBLK)),
	HOSTILE("fifo", -EPERM, "FIFOs", "pipe", NODE("pipe", AE_IFIFO)),
	HOSTILE("duplicate file", -EPERM, "'a': duplicate path", NULL,
		F("a", "1"), F("a", "2")),
	HOSTILE("duplicate after ./", -EPERM, "duplicate path", NULL,
		F("a", "1"), F("./a", "2")),
	HOSTILE("duplicate dir", -EPERM, "duplicate path", NULL, D("d/"),
		D("d/")),
	HOSTILE("dir over file", -EPERM, "duplicate path", NULL, F("x", "1"),
		D("x/")),
	HOSTILE("symlink over file", -EPERM, "duplicate path", NULL,
		F("x", "1"), L("x", "y")),
	HOSTILE("file over implicit dir", -EPERM, "exists already", NULL,
		F("x/y", "1"), F("x", "2")),
	HOSTILE("symlink over implicit dir", -EPERM, "exists already", NULL,
		F("x/y", "1"), L("x", "y")),
	HOSTILE("file under a file", -EPERM, "not a directory", "x/y",
		F("x", "1"), F("x/y", "2")),
};

static void test_hostile(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(hostiles); i++) {
		const struct hostile *c = &hostiles[i];
		struct hs_err e;
		struct world w;
		int r;

		world_new(&w);
		write_archive(w.root, w.pkg, c->ents, count_ents(c->ents));
		r = unpack_path(w.pkg, w.dest, NULL, &e);
		print_message("%s: %d %s\n", c->name, r, e.msg);
		tu_assert_err(r, &e, c->want, c->needle);
		if (c->absent != NULL)
			assert_false(exists(w.dest, c->absent));
		assert_contained(&w);
		world_free(&w);
	}
}

/* The first duplicate's content stays; the second never lands. */
static void test_duplicate_keeps_first(void **state)
{
	static const struct ent v[] = {F("a", "first"), F("a", "second")};
	struct world w;
	struct hs_err e;

	(void)state;
	world_new(&w);
	write_archive(w.root, w.pkg, v, 2);
	assert_int_equal(unpack_path(w.pkg, w.dest, NULL, &e), -EPERM);
	tu_assert_file(w.dest, "a", "first");
	world_free(&w);
}

/*
 * tar has no type for sockets, and libarchive's writers refuse them; its
 * reader takes the type from the mode field for a GNU multi-volume ('M')
 * entry.  So a socket (and a typeless entry) is made by patching a header.
 */
static void patch_header(uint8_t *h, const char *mode, char type)
{
	char sum[8];
	unsigned s = 0;
	size_t i;

	memcpy(h + 100, mode, 8);
	h[156] = (uint8_t)type;
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		s += h[i];
	assert_int_equal(hs_snprintf(sum, sizeof(sum), "%06o", s), 0);
	memcpy(h + 148, sum, 7);
}

static void write_patched_archive(const char *root, const char *mode)
{
	static uint8_t tar[20480];
	struct archive_entry *ae = archive_entry_new();
	struct archive *a = archive_write_new();
	size_t used = 0;
	size_t zn;
	void *z;

	assert_non_null(ae);
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, tar, sizeof(tar), &used),
			 ARCHIVE_OK);
	archive_entry_copy_pathname(ae, "sock");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, 0);
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	assert_int_equal(archive_write_free(a), ARCHIVE_OK);
	archive_entry_free(ae);
	patch_header(tar, mode, 'M');

	z = malloc(ZSTD_compressBound(used));
	assert_non_null(z);
	zn = ZSTD_compress(z, ZSTD_compressBound(used), tar, used, 3);
	assert_false(ZSTD_isError(zn));
	tu_write(root, "pkg.tar.zst", z, zn, 0644);
	free(z);
}

static void test_socket_and_typeless(void **state)
{
	static const struct {
		const char *mode;
		const char *needle;
	} cases[] = {
		{"0140644", "'sock': sockets are not allowed"},
		{"0000644", "'sock': entries of this type are not allowed"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		struct hs_err e;
		struct world w;

		world_new(&w);
		write_patched_archive(w.root, cases[i].mode);
		tu_assert_err(unpack_path(w.pkg, w.dest, NULL, &e), &e, -EPERM,
			      cases[i].needle);
		assert_int_equal(tu_count_entries(w.dest), 0);
		assert_contained(&w);
		world_free(&w);
	}
}

/* Set-id, sticky and group/other write go; the umask does not matter. */
static void test_modes(void **state)
{
	static const struct ent v[] = {
		FM("all", 07777),     FM("ww", 0666),	 FM("ro", 0444),
		FM("none", 0),	      DM("dir/", 07777), DM("d555/", 0555),
		F("implicit/f", "x"),
	};
	static const struct {
		const char *name;
		unsigned mode;
	} want[] = {
		{"all", 0755},	    {"ww", 0644},	  {"ro", 0444},
		{"none", 0},	    {"dir", 0755},	  {"d555", 0755},
		{"implicit", 0755}, {"implicit/f", 0644},
	};
	struct world w;
	struct hs_err e;
	mode_t old;
	size_t i;

	(void)state;
	world_new(&w);
	write_archive(w.root, w.pkg, v, TU_ARRAY_SIZE(v));
	old = umask(077);
	assert_int_equal(unpack_path(w.pkg, w.dest, NULL, &e), 0);
	(void)umask(old);
	for (i = 0; i < TU_ARRAY_SIZE(want); i++)
		assert_int_equal(tu_mode(w.dest, want[i].name), want[i].mode);
	world_free(&w);
}

/* A directory listed after a file inside it made it is fine, once. */
static void test_implicit_then_explicit_dir(void **state)
{
	static const struct ent v[] = {F("d/f", "x"), DM("d/", 0700)};
	struct unpack_stats st;
	struct world w;
	struct hs_err e;

	(void)state;
	world_new(&w);
	write_archive(w.root, w.pkg, v, 2);
	assert_int_equal(unpack_at(w.pkg, 0, w.dest, NULL, &st, &e), 0);
	assert_int_equal(tu_mode(w.dest, "d"), 0700);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.bytes, 1);
	world_free(&w);
}

struct cap_case {
	const char *name;
	struct unpack_limits lim; /* zero fields take the default */
	int want;
	const char *needle;
	struct ent ents[MAX_ENTS];
};

static char long_path[200];
static char deep_path[200];
static char long_target[200];

static const struct cap_case caps[] = {
	CAP("entries at cap", LIM(3, 0, 0, 0), 0, NULL, F("a", "1"),
	    F("b", "2"), F("c", "3")),
	CAP("entries over cap", LIM(3, 0, 0, 0), -EFBIG, "more than 3 entries",
	    F("a", "1"), F("b", "2"), F("c", "3"), F("d", "4")),
	CAP("path at cap", LIM(0, 64, 0, 0), 0, NULL, F(long_path + 1, "x")),
	CAP("path over cap", LIM(0, 64, 0, 0), -EFBIG, "longer than 64 bytes",
	    F(long_path, "x")),
	CAP("symlink target over cap", LIM(0, 64, 0, 0), -EFBIG,
	    "longer than 64 bytes", L("l", long_target)),
	CAP("depth at cap", LIM(0, 0, 0, 0), 0, NULL, F(deep_path + 2, "x")),
	CAP("depth over cap", LIM(0, 0, 0, 0), -EFBIG, "deeper than 64",
	    F(deep_path, "x")),
	CAP("file at cap", LIM(0, 0, MiB, 0), 0, NULL, Z("f", MiB)),
	CAP("file bomb", LIM(0, 0, MiB, 0), -EFBIG,
	    "'bomb': file larger than 1048576 bytes", Z("bomb", 64 * MiB)),
	CAP("total at cap", LIM(0, 0, 0, MiB), 0, NULL, Z("a", MiB / 2),
	    Z("b", MiB / 2)),
	CAP("total bomb", LIM(0, 0, 0, MiB), -EFBIG,
	    "'b': package larger than 1048576 bytes", Z("a", 600 * 1024),
	    Z("b", 600 * 1024)),
};

static void make_cap_strings(void)
{
	size_t i;

	/* 65 bytes: "/" + 64; long_path + 1 is exactly 64. */
	memset(long_path, 'p', 65);
	long_path[0] = 'q';
	long_path[65] = '\0';
	memset(long_target, 't', 65);
	long_target[65] = '\0';
	/* 65 components "a/a/.../a"; deep_path + 2 has 64. */
	for (i = 0; i < 65; i++) {
		deep_path[2 * i] = 'a';
		deep_path[2 * i + 1] = '/';
	}
	deep_path[2 * 65 - 1] = '\0';
}

static void fill_limits(struct unpack_limits *l, const struct unpack_limits *c)
{
	unpack_limits_default(l);
	if (c->max_entries != 0)
		l->max_entries = c->max_entries;
	if (c->max_path != 0)
		l->max_path = c->max_path;
	if (c->max_file_bytes != 0)
		l->max_file_bytes = c->max_file_bytes;
	if (c->max_total_bytes != 0)
		l->max_total_bytes = c->max_total_bytes;
}

/* Sum of the sizes of the regular files directly in dir. */
static uint64_t bytes_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		assert_int_equal(
			fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW),
			0);
		if (S_ISREG(st.st_mode))
			n += (uint64_t)st.st_size;
	}
	assert_int_equal(closedir(d), 0);
	return n;
}

static void test_caps(void **state)
{
	size_t i;

	(void)state;
	make_cap_strings();
	for (i = 0; i < TU_ARRAY_SIZE(caps); i++) {
		const struct cap_case *c = &caps[i];
		struct unpack_limits lim;
		struct hs_err e;
		struct world w;
		int r;

		fill_limits(&lim, &c->lim);
		world_new(&w);
		write_archive(w.root, w.pkg, c->ents, count_ents(c->ents));
		r = unpack_path(w.pkg, w.dest, &lim, &e);
		print_message("%s: %d %s\n", c->name, r, e.msg);
		tu_assert_err(r, &e, c->want,
			      c->needle != NULL ? c->needle : "");
		/* A bomb stops at the cap. */
		assert_true(bytes_in(w.dest) <= lim.max_file_bytes);
		assert_true(bytes_in(w.dest) <= lim.max_total_bytes);
		assert_contained(&w);
		world_free(&w);
	}
}

/* A sparse file: holes stay holes but count against the caps. */
static void write_sparse(const char *out)
{
	static uint8_t block[4096];
	struct archive_entry *ae = archive_entry_new();
	struct archive *a = archive_write_new();

	memset(block, 'S', sizeof(block));
	assert_non_null(ae);
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
	archive_entry_copy_pathname(ae, "sparse");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, 8 * MiB);
	archive_entry_sparse_add_entry(ae, 0, sizeof(block));
	archive_entry_sparse_add_entry(ae, 4 * MiB, sizeof(block));
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	/* The writer takes the whole file and drops the holes. */
	assert_int_equal(archive_write_data(a, block, sizeof(block)),
			 (ssize_t)sizeof(block));
	write_zeros(a, 4 * MiB - sizeof(block));
	assert_int_equal(archive_write_data(a, block, sizeof(block)),
			 (ssize_t)sizeof(block));
	write_zeros(a, 4 * MiB - sizeof(block));
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	assert_int_equal(archive_write_free(a), ARCHIVE_OK);
	archive_entry_free(ae);
}

static void test_sparse(void **state)
{
	struct unpack_limits lim;
	struct unpack_stats st;
	struct world w;
	struct hs_err e;
	uint8_t *buf;
	char *p;
	size_t n;
	size_t i;

	(void)state;
	world_new(&w);
	write_sparse(w.pkg);
	assert_int_equal(unpack_at(w.pkg, 0, w.dest, NULL, &st, &e), 0);
	assert_int_equal(st.bytes, 8 * MiB);
	p = tu_path(w.dest, "sparse");
	buf = tu_read(p, &n);
	assert_int_equal(n, 8 * MiB);
	for (i = 0; i < n; i++) {
		const bool data =
			i < 4096 || (i >= 4 * MiB && i < 4 * MiB + 4096);

		if (buf[i] != (data ? 'S' : 0))
			fail_msg("byte %zu is %u", i, buf[i]);
	}
	free(buf);
	free(p);
	world_free(&w);

	/* The holes count: 8 MiB logical is over a 1 MiB cap. */
	world_new(&w);
	write_sparse(w.pkg);
	unpack_limits_default(&lim);
	lim.max_file_bytes = MiB;
	assert_int_equal(unpack_path(w.pkg, w.dest, &lim, &e), -EFBIG);
	assert_true(bytes_in(w.dest) <= MiB);
	world_free(&w);
}

static void write_random(const char *dir, const char *name, size_t n)
{
	uint8_t *buf = malloc(n);
	size_t i;
	uint32_t x = 2463534242u;

	assert_non_null(buf);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	tu_write(dir, name, buf, n, 0644);
	free(buf);
}

/* A package of incompressible files, packed from root/src to w->pkg. */
static void make_package(struct world *w)
{
	char *src = tu_path(w->root, "src");
	struct hs_err e;
	int fd;

	write_random(src, "a", 256 * 1024);
	write_random(src, "dir/b", 256 * 1024);
	write_random(src, "dir/c", 256 * 1024);
	fd = open(w->pkg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pack_dir(src, fd, &e), 0);
	assert_int_equal(close(fd), 0);
	tu_rmtree(src);
	free(src);
}

static void test_truncated(void **state)
{
	static const unsigned cuts[] = {2, 4, 8, 64, 1000};
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cuts); i++) {
		struct hs_err e;
		struct world w;
		struct stat st;
		int r;

		world_new(&w);
		make_package(&w);
		assert_int_equal(stat(w.pkg, &st), 0);
		/* Cut to a fraction of the size, or drop the last byte. */
		assert_int_equal(
			truncate(w.pkg, cuts[i] == 1000 ? st.st_size - 1
							: st.st_size / cuts[i]),
			0);
		r = unpack_path(w.pkg, w.dest, NULL, &e);
		print_message("cut %u: %d %s\n", cuts[i], r, e.msg);
		assert_int_equal(r, -EBADMSG);
		assert_non_null(strstr(e.msg, "corrupt archive"));
		assert_contained(&w);
		world_free(&w);
	}
}

static void test_not_an_archive(void **state)
{
	static const char text[] = "this is not an archive at all\n";
	struct hs_err e;
	struct world w;
	char *junk;

	(void)state;
	world_new(&w);
	tu_write(w.root, "pkg.tar.zst", text, sizeof(text) - 1, 0644);
	assert_int_equal(unpack_path(w.pkg, w.dest, NULL, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "corrupt archive"));
	assert_contained(&w);

	/* An empty file is not a package either. */
	junk = tu_path(w.root, "pkg.tar.zst");
	assert_int_equal(truncate(junk, 0), 0);
	assert_int_equal(unpack_path(w.pkg, w.dest, NULL, &e), -EBADMSG);
	free(junk);
	world_free(&w);
}

static void test_dest_must_be_empty(void **state)
{
	static const struct ent v[] = {F("a", "x")};
	struct hs_err e;
	struct world w;
	char *missing;

	(void)state;
	world_new(&w);
	write_archive(w.root, w.pkg, v, 1);
	tu_write(w.dest, "old", "x", 1, 0644);
	assert_int_equal(unpack_path(w.pkg, w.dest, NULL, &e), -ENOTEMPTY);
	assert_false(exists(w.dest, "a"));
	missing = tu_path(w.root, "missing");
	assert_int_equal(unpack_path(w.pkg, missing, NULL, &e), -ENOENT);
	free(missing);
	world_free(&w);
}

/* Compares the trees a (packed) and b (unpacked), recursively. */
static size_t compare_trees(const char *a, const char *b);

static void compare_entry(const char *a, const char *b, const char *name)
{
	char *pa = tu_path(a, name);
	char *pb = tu_path(b, name);
	struct stat sa, sb;

	assert_int_equal(lstat(pa, &sa), 0);
	assert_int_equal(lstat(pb, &sb), 0);
	assert_int_equal(sa.st_mode & S_IFMT, sb.st_mode & S_IFMT);
	if (S_ISREG(sa.st_mode)) {
		size_t na, nb;
		void *ba = tu_read(pa, &na);
		void *bb = tu_read(pb, &nb);

		assert_int_equal(na, nb);
		assert_memory_equal(ba, bb, na);
		assert_int_equal(sb.st_mode & 07777,
				 (sa.st_mode & 0111) != 0 ? 0755 : 0644);
		free(ba);
		free(bb);
	} else if (S_ISDIR(sa.st_mode)) {
		assert_int_equal(sb.st_mode & 07777, 0755);
		(void)compare_trees(pa, pb);
	} else {
		char ta[256], tb[256];
		const ssize_t la = readlink(pa, ta, sizeof(ta));
		const ssize_t lb = readlink(pb, tb, sizeof(tb));

		assert_true(la > 0);
		assert_int_equal(la, lb);
		assert_memory_equal(ta, tb, (size_t)la);
	}
	free(pa);
	free(pb);
}

static size_t compare_trees(const char *a, const char *b)
{
	DIR *d = opendir(a);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		compare_entry(a, b, de->d_name);
		n++;
	}
	assert_int_equal(closedir(d), 0);
	assert_int_equal(tu_count_entries(b), n);
	return n;
}

/* Runs mkdir, chmod or symlink on dir/name; fails the test on error. */
static void in_dir(const char *dir, const char *name, char op, unsigned mode,
		   const char *target)
{
	char *p = tu_path(dir, name);

	if (op == 'd')
		assert_int_equal(mkdir(p, mode), 0);
	else if (op == 'm')
		assert_int_equal(chmod(p, mode), 0);
	else
		assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void make_src_tree(const char *src)
{
	write_random(src, "bin/app", 1 * MiB + 17);
	in_dir(src, "bin/app", 'm', 0750, NULL);
	tu_write(src, "bin/run.sh", "#!/bin/sh\n", 10, 0755);
	tu_write(src, "etc/app.conf", "key = value\n", 12, 0640);
	tu_write(src, "etc/empty", "", 0, 0644);
	tu_write(src, "lib/libapp.so.1.2", "lib", 3, 0644);
	in_dir(src, "lib/libapp.so.1", 's', 0, "libapp.so.1.2");
	in_dir(src, "bin/libapp.so", 's', 0, "../lib/libapp.so.1");
	in_dir(src, "var", 'd', 0700, NULL);
	in_dir(src, "var/cache", 'd', 0755, NULL);
}

/* pack_dir, then unpack_fd: every file, mode and link comes back. */
static void test_round_trip(void **state)
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct unpack_stats st;
	struct hs_err e;
	struct world w;
	char *src;
	uint64_t size = 0;
	int fd;

	(void)state;
	world_new(&w);
	src = tu_path(w.root, "src");
	make_src_tree(src);
	fd = open(w.pkg, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pack_dir(src, fd, &e), 0);
	/* Verify, then unpack the same open file from its start. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(hash_fd(fd, hex, &size, &e), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(unpack_fd(fd, w.dest, NULL, &st, &e), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(compare_trees(src, w.dest), 4);
	assert_int_equal(st.entries, 12);
	assert_int_equal(st.bytes, 1 * MiB + 17 + 10 + 12 + 0 + 3);
	tu_rmtree(src);
	free(src);
	world_free(&w);
}

/* unpack_fd starts at the fd's offset: here, after a junk prefix. */
static void test_reads_from_offset(void **state)
{
	static const struct ent v[] = {F("a", "alpha"), D("d/")};
	static const char junk[1000] = "junk";
	struct hs_err e;
	struct world w;
	void *pkg;
	size_t n;
	int fd;

	(void)state;
	world_new(&w);
	write_archive(w.root, w.pkg, v, 2);
	pkg = tu_read(w.pkg, &n);
	fd = open(w.pkg, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	assert_int_equal(write(fd, pkg, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	assert_int_equal(unpack_path(w.pkg, w.dest, NULL, &e), -EBADMSG);
	tu_rmtree(w.dest);
	assert_int_equal(mkdir(w.dest, 0755), 0);
	assert_int_equal(unpack_at(w.pkg, sizeof(junk), w.dest, NULL, NULL, &e),
			 0);
	free(pkg);
	tu_assert_file(w.dest, "a", "alpha");
	assert_true(exists(w.dest, "d"));
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_duplicate_keeps_first),
		cmocka_unit_test(test_socket_and_typeless),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_implicit_then_explicit_dir),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_an_archive),
		cmocka_unit_test(test_dest_must_be_empty),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_reads_from_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
