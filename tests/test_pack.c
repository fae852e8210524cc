/*
 * test_pack.c - deterministic packages: same tree, same bytes, whatever the
 * order of creation, mtimes, modes beyond the exec bit, hard links or the
 * process; exact entry names and metadata; refused entry types and symlinks.
 */
#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "pack.h"
#include "str.h"
#include "tarball.h"
#include "unpack.h"

/* A name long enough to need a pax header, and one that is not ASCII. */
#define LONG_DIR                                                                 \
	"share/a-directory-name-long-enough-that-no-ustar-prefix-or-name-field-" \
	"can-hold-it-alone-so-it-takes-a-pax-header"
#define UTF8_NAME "share/caf\xc3\xa9.txt"

/* Packs dir into the new file out; returns pack_dir()'s result. */
static int pack_to(const char *dir, const char *out, struct hs_err *e)
{
	int fd;
	int r;

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	hs_err_clear(e);
	r = pack_dir(dir, fd, e);
	assert_int_equal(close(fd), 0);
	return r;
}

static void set_mtime(const char *dir, const char *name, time_t t)
{
	struct timespec ts[2] = {{t, 0}, {t, 0}};
	char *p = tu_path(dir, name);

	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
	free(p);
}

static void make_dir(const char *dir, const char *name, mode_t mode)
{
	char *p = tu_path(dir, name);

	assert_int_equal(mkdir(p, mode), 0);
	assert_int_equal(chmod(p, mode), 0);
	free(p);
}

static void make_link(const char *dir, const char *name, const char *target)
{
	char *p = tu_path(dir, name);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

/* The reference tree, created in one order with default metadata. */
static void make_tree_a(const char *d)
{
	tu_write(d, "bin/app", "#!/bin/sh\necho app\n", 19, 0755);
	tu_write(d, "bin/helper", "helper", 6, 0700);
	tu_write(d, "lib/libx.so.1", "ELF-ish", 7, 0644);
	tu_write(d, "lib/copy", "ELF-ish", 7, 0644);
	make_link(d, "lib/libx.so", "libx.so.1");
	make_link(d, "bin/lib", "../lib");
	tu_write(d, "README", "read me\n", 8, 0644);
	tu_write(d, "bin-notes", "sorts between bin and bin/", 26, 0644);
	tu_write(d, LONG_DIR "/file", "long", 4, 0644);
	tu_write(d, UTF8_NAME, "utf-8", 5, 0600);
	make_dir(d, "empty", 0755);
}

/*
 * The same tree created in reverse order, with other mtimes and non-exec
 * mode bits, lib/copy a hard link of lib/libx.so.1.
 */
static void make_tree_b(const char *d)
{
	char *a;
	char *b;

	make_dir(d, "empty", 0700);
	tu_write(d, UTF8_NAME, "utf-8", 5, 0640);
	tu_write(d, LONG_DIR "/file", "long", 4, 0400);
	tu_write(d, "bin-notes", "sorts between bin and bin/", 26, 0666);
	tu_write(d, "README", "read me\n", 8, 0600);
	tu_write(d, "lib/libx.so.1", "ELF-ish", 7, 0664);
	a = tu_path(d, "lib/libx.so.1");
	b = tu_path(d, "lib/copy");
	assert_int_equal(link(a, b), 0);
	make_link(d, "lib/libx.so", "libx.so.1");
	tu_write(d, "bin/helper", "helper", 6, 0711);
	tu_write(d, "bin/app", "#!/bin/sh\necho app\n", 19, 0500);
	make_link(d, "bin/lib", "../lib");
	set_mtime(d, "README", 1234567890);
	set_mtime(d, "bin/app", 42);
	set_mtime(d, "bin", 7);
	set_mtime(d, "lib/libx.so", 99);
	set_mtime(d, "empty", 1);
	free(a);
	free(b);
}

static void *pack_bytes(const char *dir, const char *out, size_t *ret_n)
{
	struct hs_err e;

	assert_int_equal(pack_to(dir, out, &e), 0);
	return tu_read(out, ret_n);
}

static void assert_same_bytes(const void *a, size_t na, const void *b,
			      size_t nb)
{
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
}

static void test_deterministic(void **state)
{
	const char *root = *state;
	char *a = tu_path(root, "a");
	char *b = tu_path(root, "b");
	char *out = tu_path(root, "out.tar.zst");
	void *p1, *p2, *p3;
	size_t n1, n2, n3;

	make_dir(root, "a", 0755);
	make_dir(root, "b", 0700);
	make_tree_a(a);
	make_tree_b(b);
	p1 = pack_bytes(a, out, &n1);
	p2 = pack_bytes(a, out, &n2);
	assert_same_bytes(p1, n1, p2, n2);
	p3 = pack_bytes(b, out, &n3);
	assert_same_bytes(p1, n1, p3, n3);
	free(p1);
	free(p2);
	free(p3);
	free(out);
	free(a);
	free(b);
}

/* Owners are not stored: the tree of other owners packs the same bytes.
 * Giving files away takes root (lchown). */
static void test_deterministic_owners(void **state)
{
	const char *root = *state;
	char *a = tu_path(root, "a");
	char *b = tu_path(root, "b");
	char *out = tu_path(root, "out.tar.zst");
	char *p;
	void *p1, *p2;
	size_t n1, n2;

	if (geteuid() != 0) {
		free(out);
		free(b);
		free(a);
		tu_skip("packing ignores the owners of files (needs root)");
	}
	make_dir(root, "a", 0755);
	make_dir(root, "b", 0755);
	make_tree_a(a);
	make_tree_a(b);
	p = tu_path(b, "lib/libx.so.1");
	assert_int_equal(lchown(p, 1234, 5678), 0);
	free(p);
	p = tu_path(b, "bin");
	assert_int_equal(lchown(p, 42, 42), 0);
	free(p);
	p1 = pack_bytes(a, out, &n1);
	p2 = pack_bytes(b, out, &n2);
	assert_same_bytes(p1, n1, p2, n2);
	free(p1);
	free(p2);
	free(out);
	free(b);
	free(a);
}

/* The caller's locale does not change how names are stored. */
static void test_deterministic_across_locales(void **state)
{
	const char *root = *state;
	char *a = tu_path(root, "a");
	char *out = tu_path(root, "out.tar.zst");
	void *p1, *p2;
	size_t n1, n2;

	make_dir(root, "a", 0755);
	make_tree_a(a);
	assert_non_null(setlocale(LC_ALL, "C"));
	p1 = pack_bytes(a, out, &n1);
	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		free(p1);
		free(out);
		free(a);
		tu_skip("names pack the same in C.UTF-8 as in C (needs the "
			"C.UTF-8 locale)");
	}
	p2 = pack_bytes(a, out, &n2);
	assert_non_null(setlocale(LC_ALL, "C"));
	assert_same_bytes(p1, n1, p2, n2);
	free(p2);
	free(p1);
	free(out);
	free(a);
}

/* Another process (another pid, another umask) writes the same bytes. */
static void test_deterministic_across_processes(void **state)
{
	const char *root = *state;
	char *a = tu_path(root, "a");
	char *out1 = tu_path(root, "one.tar.zst");
	char *out2 = tu_path(root, "two.tar.zst");
	void *p1, *p2;
	size_t n1, n2;
	int status = 0;
	pid_t pid;

	make_dir(root, "a", 0755);
	make_tree_a(a);
	p1 = pack_bytes(a, out1, &n1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out2, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);

		(void)umask(077);
		_exit(fd >= 0 && pack_dir(a, fd, NULL) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	p2 = tu_read(out2, &n2);
	assert_same_bytes(p1, n1, p2, n2);
	free(p1);
	free(p2);
	free(out1);
	free(out2);
	free(a);
}

struct want_entry {
	const char *name;
	mode_t type;
	unsigned perm;
	const char *link;
};

static const struct want_entry tree_a_entries[] = {
	{"README", AE_IFREG, 0644, NULL},
	{"bin-notes", AE_IFREG, 0644, NULL},
	{"bin/", AE_IFDIR, 0755, NULL},
	{"bin/app", AE_IFREG, 0755, NULL},
	{"bin/helper", AE_IFREG, 0755, NULL},
	{"bin/lib", AE_IFLNK, 0777, "../lib"},
	{"empty/", AE_IFDIR, 0755, NULL},
	{"lib/", AE_IFDIR, 0755, NULL},
	{"lib/copy", AE_IFREG, 0644, NULL},
	{"lib/libx.so", AE_IFLNK, 0777, "libx.so.1"},
	{"lib/libx.so.1", AE_IFREG, 0644, NULL},
	{"share/", AE_IFDIR, 0755, NULL},
	{LONG_DIR "/", AE_IFDIR, 0755, NULL},
	{LONG_DIR "/file", AE_IFREG, 0644, NULL},
	{UTF8_NAME, AE_IFREG, 0644, NULL},
};

static bool is_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static void check_entry(struct archive_entry *ent, const struct want_entry *w)
{
	assert_string_equal(archive_entry_pathname(ent), w->name);
	assert_int_equal(archive_entry_filetype(ent), w->type);
	assert_int_equal(archive_entry_perm(ent), w->perm);
	assert_int_equal(archive_entry_uid(ent), 0);
	assert_int_equal(archive_entry_gid(ent), 0);
	assert_true(is_empty(archive_entry_uname(ent)));
	assert_true(is_empty(archive_entry_gname(ent)));
	assert_int_equal(archive_entry_mtime(ent), PACK_MTIME);
	assert_false(archive_entry_atime_is_set(ent));
	assert_false(archive_entry_ctime_is_set(ent));
	assert_false(archive_entry_birthtime_is_set(ent));
	assert_null(archive_entry_hardlink(ent));
	if (w->link != NULL)
		assert_string_equal(archive_entry_symlink(ent), w->link);
}

/* Names sorted bytewise, no "./", directories end in "/", fixed metadata. */
static void test_entries(void **state)
{
	const size_t n = TU_ARRAY_SIZE(tree_a_entries);
	const char *root = *state;
	char *a = tu_path(root, "a");
	char *out = tu_path(root, "out.tar.zst");
	struct archive_entry *ent;
	struct archive *ar;
	struct hs_err e;
	size_t i = 0;

	make_dir(root, "a", 0755);
	make_tree_a(a);
	assert_int_equal(pack_to(a, out, &e), 0);
	ar = archive_read_new();
	assert_non_null(ar);
	assert_int_equal(archive_read_support_filter_zstd(ar), ARCHIVE_OK);
	assert_int_equal(archive_read_support_format_tar(ar), ARCHIVE_OK);
	assert_int_equal(archive_read_open_filename(ar, out, 16384),
			 ARCHIVE_OK);
	while (archive_read_next_header(ar, &ent) == ARCHIVE_OK) {
		assert_true(i < n);
		check_entry(ent, &tree_a_entries[i]);
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(archive_filter_code(ar, 0), ARCHIVE_FILTER_ZSTD);
	assert_int_equal(archive_read_free(ar), ARCHIVE_OK);
	free(out);
	free(a);
}

static void assert_link(const char *dir, const char *name, const char *want)
{
	char *p = tu_path(dir, name);
	char buf[256];
	ssize_t n;

	n = readlink(p, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	free(p);
}

/* Unpacks the package at path into the new directory dest. */
static void unpack_to(const char *path, const char *dest)
{
	struct hs_err e;
	int fd;

	assert_int_equal(mkdir(dest, 0755), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	hs_err_clear(&e);
	assert_int_equal(unpack_fd(fd, dest, NULL, NULL, &e), 0);
	assert_int_equal(close(fd), 0);
}

/* Exec bits, symlinks and empty directories survive pack and unpack. */
static void test_round_trip(void **state)
{
	const char *root = *state;
	char *b = tu_path(root, "b");
	char *out = tu_path(root, "out.tar.zst");
	char *dest = tu_path(root, "dest");
	char *empty = tu_path(dest, "empty");
	struct stat st;

	make_dir(root, "b", 0755);
	make_tree_b(b);
	assert_int_equal(pack_to(b, out, &(struct hs_err){0}), 0);
	unpack_to(out, dest);
	assert_int_equal(tu_mode(dest, "bin/app"), 0755);
	assert_int_equal(tu_mode(dest, "bin/helper"), 0755);
	assert_int_equal(tu_mode(dest, "README"), 0644);
	assert_int_equal(tu_mode(dest, LONG_DIR "/file"), 0644);
	assert_int_equal(tu_mode(dest, "bin"), 0755);
	tu_assert_file(dest, "bin/app", "#!/bin/sh\necho app\n");
	tu_assert_file(dest, UTF8_NAME, "utf-8");
	tu_assert_file(dest, "lib/copy", "ELF-ish");
	assert_link(dest, "lib/libx.so", "libx.so.1");
	assert_link(dest, "bin/lib", "../lib");
	tu_assert_file(dest, "bin/lib/libx.so", "ELF-ish");
	assert_int_equal(lstat(empty, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rmdir(empty), 0);
	free(empty);
	free(dest);
	free(out);
	free(b);
}

/* The package's tar, decompressed in a stream: the same bytes as zstd -dc,
 * written or only hashed; too large, or cut short, is refused. */
static void test_tarball(void **state)
{
	const char *root = *state;
	char *b = tu_path(root, "tb");
	char *out = tu_path(root, "tb.tar.zst");
	char *tar = tu_path(root, "tb.tar");
	char *cut = tu_path(root, "cut.tar.zst");
	char cmd[4096];
	char want[HASH_SHA256_HEX_LEN + 1];
	struct tarball_info info;
	struct tarball_info only;
	struct hs_err e;
	struct stat st;
	FILE *p;
	int pkg;
	int fd;

	make_dir(root, "tb", 0755);
	make_tree_b(b);
	assert_int_equal(pack_to(b, out, &e), 0);
	(void)hs_snprintf(cmd, sizeof(cmd), "zstd -qdc '%s' | sha256sum", out);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(want, sizeof(want), p));
	assert_int_equal(pclose(p), 0);

	pkg = open(out, O_RDONLY | O_CLOEXEC);
	fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(pkg >= 0 && fd >= 0);
	assert_int_equal(tarball_from_package(pkg, fd, UINT64_MAX, &info, &e),
			 0);
	assert_string_equal(info.sha256, want);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, info.size);
	assert_true(info.size % 512 == 0 && info.size > 0);
	/* Hashing only gives the same, and a cap below the size stops. */
	assert_int_equal(lseek(pkg, 0, SEEK_SET), 0);
	assert_int_equal(tarball_from_package(pkg, -1, UINT64_MAX, &only, &e),
			 0);
	assert_string_equal(only.sha256, want);
	assert_int_equal(lseek(pkg, 0, SEEK_SET), 0);
	tu_assert_err(tarball_from_package(pkg, -1, info.size - 1, &only, &e),
		      &e, -EFBIG, "over");
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(pkg), 0);

	/* The same package cut short, and bytes that are not zstd. */
	(void)hs_snprintf(cmd, sizeof(cmd), "head -c 100 '%s' > '%s'", out,
			  cut);
	assert_int_equal(system(cmd), 0);
	pkg = open(cut, O_RDONLY | O_CLOEXEC);
	assert_true(pkg >= 0);
	tu_assert_err(tarball_from_package(pkg, -1, UINT64_MAX, &only, &e), &e,
		      -EBADMSG, "");
	assert_int_equal(close(pkg), 0);
	pkg = open(tar, O_RDONLY | O_CLOEXEC);
	tu_assert_err(tarball_from_package(pkg, -1, UINT64_MAX, &only, &e), &e,
		      -EBADMSG, "not valid zstd");
	assert_int_equal(close(pkg), 0);
	free(cut);
	free(tar);
	free(out);
	free(b);
}

struct refused {
	const char *name; /* what the case shows */
	const char *link; /* a symlink's path, or NULL */
	const char *target; /* and its target */
	const char *needle; /* in the message */
};

static const struct refused refused_links[] = {
	{"escapes by ..", "bin/up", "../../etc", "bin/up"},
	{"escapes at top", "up", "..", "leaves the tree"},
	{"escapes deep", "a/b/c", "../../../x", "leaves the tree"},
	{"absolute", "bin/passwd", "/etc/passwd", "absolute"},
	{".. after a name", "t", "s/..", "'t'"},
	{".. in the middle", "a/t", "../a/../..", "leaves the tree"},
	{"empty target", "a/e", "", "a/e"},
};

static void test_refused_symlinks(void **state)
{
	const char *root = *state;
	char *out = tu_path(root, "out.tar.zst");
	struct hs_err e;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(refused_links); i++) {
		const struct refused *c = &refused_links[i];
		char *d = tu_path(root, "t");
		char *p = tu_path(d, c->link);

		tu_write(d, "a/b/file", "x", 1, 0644);
		tu_write(d, "bin/file", "x", 1, 0644);
		make_link(d, "s", ".");
		if (symlink(c->target, p) < 0) {
			/* Linux refuses an empty target itself. */
			assert_int_equal(errno, ENOENT);
			assert_string_equal(c->target, "");
		} else {
			print_message("case: %s\n", c->name);
			tu_assert_err(pack_to(d, out, &e), &e, -EINVAL,
				      c->needle);
		}
		free(p);
		tu_rmtree(d);
		free(d);
	}
	free(out);
}

/* The shared rule: what stays inside, and what is refused. */
static void test_symlink_rule(void **state)
{
	static const char *const inside[][2] = {
		{"a/b/c", "../../x"}, {"a/l", ".."},	 {"l", "."},
		{"a/d", "./f//g"},    {"a/u", "../a/f"}, {"a/b/c", "../.."},
	};
	/* ".." after a name is refused even when it stays in lexically. */
	static const char *const outside[][2] = {
		{"l", ".."},	      {"a/l", "../.."},	  {"l2", "x/../../"},
		{"a/b", "x/.."},      {"l", "/"},	  {"l", ""},
		{"l", "/etc/shadow"}, {"a/l", "./../.."},
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(inside); i++)
		assert_true(unpack_symlink_is_contained(inside[i][0],
							inside[i][1]));
	for (i = 0; i < TU_ARRAY_SIZE(outside); i++)
		assert_false(unpack_symlink_is_contained(outside[i][0],
							 outside[i][1]));
}

static void test_refused_fifo(void **state)
{
	const char *root = *state;
	char *d = tu_path(root, "t");
	char *fifo = tu_path(d, "sub/pipe");
	char *out = tu_path(root, "out.tar.zst");
	struct hs_err e;

	tu_write(d, "sub/file", "x", 1, 0644);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	tu_assert_err(pack_to(d, out, &e), &e, -EINVAL, "sub/pipe");
	assert_non_null(strstr(e.msg, "FIFO"));
	free(out);
	free(fifo);
	free(d);
}

static void test_refused_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *root = *state;
	char *d = tu_path(root, "t");
	char *sock = tu_path(d, "sock");
	char *out = tu_path(root, "out.tar.zst");
	struct hs_err e;
	int fd;

	tu_write(d, "file", "x", 1, 0644);
	assert_int_equal(hs_strlcpy(sa.sun_path, sock, sizeof(sa.sun_path)), 0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	tu_assert_err(pack_to(d, out, &e), &e, -EINVAL, "'sock'");
	assert_non_null(strstr(e.msg, "socket"));
	assert_int_equal(close(fd), 0);
	free(out);
	free(sock);
	free(d);
}

/* An empty tree is an empty archive; a missing one an error. */
static void test_empty_and_missing(void **state)
{
	const char *root = *state;
	char *d = tu_path(root, "t");
	char *out = tu_path(root, "out.tar.zst");
	char *dest = tu_path(root, "dest");
	char *missing = tu_path(root, "missing");
	struct hs_err e;

	make_dir(root, "t", 0755);
	assert_int_equal(pack_to(d, out, &e), 0);
	unpack_to(out, dest);
	assert_int_equal(rmdir(dest), 0);
	tu_assert_err(pack_to(missing, out, &e), &e, -ENOENT, missing);
	free(missing);
	free(dest);
	free(out);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_dir_test(test_deterministic),
		tu_dir_test(test_deterministic_owners),
		tu_dir_test(test_deterministic_across_locales),
		tu_dir_test(test_deterministic_across_processes),
		tu_dir_test(test_entries),
		tu_dir_test(test_round_trip),
		tu_dir_test(test_refused_symlinks),
		cmocka_unit_test(test_symlink_rule),
		tu_dir_test(test_tarball),
		tu_dir_test(test_refused_fifo),
		tu_dir_test(test_refused_socket),
		tu_dir_test(test_empty_and_missing),
	};

	return tu_result(cmocka_run_group_tests(tests, NULL, NULL));
}
