/*
 * replay.c - runs a fuzz target over saved inputs, without libFuzzer: every
 * regular file of each directory given (in name order, so runs repeat), or
 * each file given itself.  The ctest tests fuzz_NAME_corpus replay the
 * committed corpus this way under the normal compiler and its sanitizers, so
 * an input that once crashed stays a regression test.
 *
 * Exit status: 0 when every input ran, 1 when one could not be read or
 * there was none (a failing input aborts the process instead).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Inputs larger than this are not replayed (libFuzzer's default -max_len is
 * far below it). */
#define REPLAY_MAX_BYTES (16u * 1024 * 1024)

/* Reads the whole file at path into a malloc'ed buffer (never NULL). */
static int replay_read(const char *path, uint8_t **ret_p, size_t *ret_n)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t n = 0;
	int fd;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > REPLAY_MAX_BYTES) {
		r = -EFBIG;
		goto out_close;
	}
	/* One byte more, so an empty file still gives a real pointer. */
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		r = -ENOMEM;
		goto out_close;
	}
	while (n < (size_t)st.st_size) {
		const ssize_t k = read(fd, p + n, (size_t)st.st_size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -EIO;
			goto out_free;
		}
		n += (size_t)k;
	}
	*ret_p = p;
	*ret_n = n;
	p = NULL;
	r = 0;
out_free:
	free(p);
out_close:
	(void)close(fd);
	return r;
}

static int replay_file(const char *path)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	r = replay_read(path, &p, &n);
	if (r < 0) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path,
			strerror(-r));
		return r;
	}
	/* Named first, so that a crash shows which input it was. */
	printf("replay: %s\n", path);
	(void)fflush(stdout);
	(void)LLVMFuzzerTestOneInput(p, n);
	free(p);
	return 0;
}

static int replay_filter(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* Replays each regular file of dir; *count grows by the files run. */
static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **names = NULL;
	char path[4096];
	struct stat st;
	int n;
	int i;
	int r = 0;

	n = scandir(dir, &names, replay_filter, alphasort);
	if (n < 0) {
		r = -errno;
		fprintf(stderr, "replay: cannot list '%s': %s\n", dir,
			strerror(-r));
		return r;
	}
	for (i = 0; i < n; i++) {
		const int nr = snprintf(path, sizeof(path), "%s/%s", dir,
					names[i]->d_name);

		if (r == 0 && (nr < 0 || (size_t)nr >= sizeof(path)))
			r = -ENAMETOOLONG;
		if (r == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			r = replay_file(path);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	struct stat st;
	size_t count = 0;
	int i;
	int r = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc && r == 0; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: '%s': %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			r = replay_dir(argv[i], &count);
		} else {
			r = replay_file(argv[i]);
			count++;
		}
	}
	if (r < 0)
		return 1;
	/* An empty corpus would pass without testing anything. */
	if (count == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	printf("replay: %zu inputs\n", count);
	return 0;
}
