/*
 * fuzz_unpack.c - unpack_fd() on untrusted bytes: the input is a package, a
 * .tar.zst or a bare tar (libarchive tells them apart), extracted into a
 * fresh staging directory that is removed after each input.
 *
 * Layout, made once per process under $TMPDIR (libFuzzer calls the target
 * many times in one process; nothing of one input survives into the next):
 *
 *	hs-fuzz-unpack-XXXXXX/a/b/stage	the staging directory
 *
 * The input goes to a memfd, so it is read through an fd like a verified
 * package.  Caps are small, so a decompression bomb stops early.
 *
 * Oracles: every failure follows hs_err.h (fuzz_check_err); nothing but the
 * path to stage ever appears in hs-fuzz-unpack-XXXXXX, a or b, and stage
 * stays a real directory, whether extraction succeeded or not; in stage
 * there are only files, directories and symlinks, no set-id, sticky or
 * group/other write bits, no file over the cap, nothing deeper than
 * HS_ARCHIVE_MAX_DEPTH, and no symlink that resolves (or, dangling, would
 * resolve) outside stage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzzutil.h"
#include "hs_err.h"
#include "hs_limits.h"
#include "unpack.h"

#define FUZZ_MAX_ENTRIES 1000
#define FUZZ_MAX_FILE_BYTES (1024u * 1024)
#define FUZZ_MAX_TOTAL_BYTES (8u * 1024 * 1024)

/* File descriptors nftw() may hold open. */
#define FUZZ_NFTW_FDS 16

/* The per-process world (see the top of this file). */
struct fuzz_world {
	char base[PATH_MAX];
	char a[PATH_MAX];
	char b[PATH_MAX];
	char stage[PATH_MAX];
	char stage_real[PATH_MAX]; /* stage with symlinks resolved */
	int fd; /* memfd holding the input */
};

/*
 * nftw() callbacks take no context: the world is a static, set up by the
 * first input.  It holds paths and one fd, nothing that depends on inputs.
 */
static struct fuzz_world world = {.fd = -1};

static void fuzz_path(char *dst, const char *dir, const char *name)
{
	const int nr = snprintf(dst, PATH_MAX, "%s/%s", dir, name);

	fuzz_assert(nr > 0 && nr < PATH_MAX, "temporary path too long");
}

static int remove_cb(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* rm -rf path, never following a symlink. */
static int remove_tree(const char *path)
{
	return nftw(path, remove_cb, FUZZ_NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

static void world_teardown(void)
{
	if (world.fd >= 0)
		(void)close(world.fd);
	world.fd = -1;
	if (world.base[0] != '\0')
		(void)remove_tree(world.base);
}

static void world_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (world.fd >= 0)
		return;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	fuzz_path(world.base, tmp, "hs-fuzz-unpack-XXXXXX");
	fuzz_assert(mkdtemp(world.base) != NULL, "cannot make a temporary dir");
	fuzz_path(world.a, world.base, "a");
	fuzz_path(world.b, world.a, "b");
	fuzz_path(world.stage, world.b, "stage");
	fuzz_assert(mkdir(world.a, 0700) == 0 && mkdir(world.b, 0700) == 0,
		    "cannot make the temporary dirs");
	world.fd = memfd_create("fuzz_unpack", MFD_CLOEXEC);
	fuzz_assert(world.fd >= 0, "cannot make a memfd");
	fuzz_assert(atexit(world_teardown) == 0, "cannot register atexit");
}

/* Puts the input into the memfd, its offset back at 0. */
static void world_load(const uint8_t *data, size_t size)
{
	size_t done = 0;

	fuzz_assert(ftruncate(world.fd, 0) == 0, "cannot truncate the memfd");
	while (done < size) {
		const ssize_t w =
			pwrite(world.fd, data + done, size - done, (off_t)done);

		fuzz_assert(w > 0 || (w < 0 && errno == EINTR),
			    "cannot write the memfd");
		if (w > 0)
			done += (size_t)w;
	}
	fuzz_assert(lseek(world.fd, 0, SEEK_SET) == 0, "cannot seek the memfd");
}

/* dir holds exactly one entry, name. */
static void check_only(const char *dir, const char *name)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	d = opendir(dir);
	fuzz_assert(d != NULL, "cannot list a temporary dir");
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		fuzz_assert(strcmp(de->d_name, name) == 0,
			    "extraction wrote outside the staging directory");
		n++;
	}
	(void)closedir(d);
	fuzz_assert(n == 1, "the staging directory disappeared");
}

static void check_outside(void)
{
	struct stat st;

	check_only(world.base, "a");
	check_only(world.a, "b");
	check_only(world.b, "stage");
	fuzz_assert(lstat(world.stage, &st) == 0 && S_ISDIR(st.st_mode),
		    "the staging directory is no longer a directory");
}

/* real is stage_real or below it. */
static bool is_inside(const char *real)
{
	const size_t n = strlen(world.stage_real);

	return strncmp(real, world.stage_real, n) == 0 &&
	       (real[n] == '\0' || real[n] == '/');
}

/*
 * The deepest directory that exists on the way to a missing target (path,
 * modified) must be inside stage: from "stage/l -> ../gone/x" that is
 * stage/.., outside.  It is at worst the link's own directory.
 */
static void check_dangling(char *path)
{
	char real[PATH_MAX];
	char *up;

	for (;;) {
		up = dirname(path);
		if (realpath(up, real) != NULL) {
			fuzz_assert(is_inside(real),
				    "a symlink points outside");
			return;
		}
		if ((errno != ENOENT && errno != ENOTDIR) || up != path ||
		    strcmp(up, "/") == 0)
			return;
	}
}

/* A symlink must stay inside stage, even when its target is missing. */
static void check_link(const char *path)
{
	char target[PATH_MAX];
	char joined[2 * PATH_MAX];
	char copy[PATH_MAX];
	char real[PATH_MAX];
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	fuzz_assert(n > 0, "cannot read an extracted symlink");
	target[n] = '\0';
	fuzz_assert(target[0] != '/', "an absolute symlink was extracted");
	if (realpath(path, real) != NULL) {
		fuzz_assert(is_inside(real), "a symlink points outside");
		return;
	}
	fuzz_assert(strlen(path) < sizeof(copy), "extracted path too long");
	memcpy(copy, path, strlen(path) + 1);
	(void)snprintf(joined, sizeof(joined), "%s/%s", dirname(copy), target);
	check_dangling(joined);
}

static int check_cb(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	fuzz_assert(flag != FTW_NS && flag != FTW_DNR,
		    "cannot read the extracted tree");
	fuzz_assert(ftw->level <= HS_ARCHIVE_MAX_DEPTH,
		    "the extracted tree is too deep");
	if (S_ISLNK(st->st_mode)) {
		check_link(path);
		return 0;
	}
	fuzz_assert(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode),
		    "a special file was extracted");
	fuzz_assert(
		(st->st_mode & 07022) == 0,
		"an extracted mode has set-id, sticky or shared write bits");
	if (S_ISREG(st->st_mode))
		fuzz_assert((uint64_t)st->st_size <= FUZZ_MAX_FILE_BYTES,
			    "an extracted file is over the cap");
	return 0;
}

static void check_tree(void)
{
	fuzz_assert(realpath(world.stage, world.stage_real) != NULL,
		    "cannot resolve the staging directory");
	fuzz_assert(nftw(world.stage, check_cb, FUZZ_NFTW_FDS, FTW_PHYS) == 0,
		    "cannot walk the extracted tree");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct unpack_limits lim = {
		.max_entries = FUZZ_MAX_ENTRIES,
		.max_path = HS_ARCHIVE_MAX_PATH,
		.max_file_bytes = FUZZ_MAX_FILE_BYTES,
		.max_total_bytes = FUZZ_MAX_TOTAL_BYTES,
	};
	struct unpack_stats stats = {0, 0};
	struct hs_err e;
	int r;

	world_setup();
	world_load(data, size);
	fuzz_assert(mkdir(world.stage, 0700) == 0,
		    "cannot make the staging directory");
	hs_err_clear(&e);
	r = unpack_fd(world.fd, world.stage, &lim, &stats, &e);
	fuzz_check_err(r, &e);
	if (r == 0)
		fuzz_assert(stats.entries <= lim.max_entries &&
				    stats.bytes <= lim.max_total_bytes,
			    "unpack_fd went over its caps");
	check_outside();
	check_tree();
	fuzz_assert(remove_tree(world.stage) == 0,
		    "cannot remove the staging directory");
	return 0;
}
