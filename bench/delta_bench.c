/*
 * delta_bench.c - makes or applies one delta with pkg/delta, for
 * bench/delta.sh, which times it (and its peak RSS) against bsdiff,
 * xdelta3 and zstd --patch-from on the same tars.
 *
 *	delta_bench make BASE RESULT OUT	delta_make_best()
 *	delta_bench apply DELTA BASE OUT	delta_apply()
 *
 * Prints the method it kept (make) and exits 0, or prints the error and
 * exits 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "delta.h"

static int open_in(const char *path)
{
	const int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		perror(path);
	return fd;
}

int main(int argc, char **argv)
{
	enum delta_method m = DELTA_ZSTD;
	struct hs_err e;
	int a;
	int b;
	int out;
	int r;

	hs_err_clear(&e);
	if (argc != 5 ||
	    (strcmp(argv[1], "make") != 0 && strcmp(argv[1], "apply") != 0)) {
		fprintf(stderr, "usage: delta_bench make BASE RESULT OUT\n"
				"       delta_bench apply DELTA BASE OUT\n");
		return 2;
	}
	a = open_in(argv[2]);
	b = open_in(argv[3]);
	out = open(argv[4], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (a < 0 || b < 0 || out < 0)
		return 1;
	if (strcmp(argv[1], "make") == 0)
		r = delta_make_best(a, b, out, &m, &e);
	else
		r = delta_apply(a, b, out, &e);
	if (r < 0) {
		fprintf(stderr, "delta_bench %s: %s\n", argv[1], e.msg);
		return 1;
	}
	if (strcmp(argv[1], "make") == 0)
		printf("%s\n", delta_method_name(m));
	return close(out) < 0 ? 1 : 0;
}
