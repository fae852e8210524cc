/*
 * fuzz_delta.c - delta_apply() on untrusted bytes: a delta is checked
 * against its signed SHA-256 before it is applied, but its parser is the
 * next line of defence, and must refuse, never crash, whatever it is given.
 *
 * The first input byte is a switch, the rest is the delta.  With bit 0 set,
 * the delta's base size and SHA-256 are overwritten with those of the fixed
 * base, so that mutations of the payload get past the base check instead of
 * stopping there.  The base is the same for every input (fuzz_delta_base():
 * make-corpus.sh builds the seeds against the same bytes).  Deltas that
 * declare a result over FUZZ_RESULT_MAX are skipped: the zstd method
 * reserves the result's blocks first, and a real 4 GiB file says nothing
 * more about the parser than the hostile-size tests of test_delta_hostile.
 *
 * Oracles: delta_read_info() and delta_apply() follow hs_err.h
 * (fuzz_check_err); a delta that delta_read_info() refuses is refused by
 * delta_apply() too; a success writes exactly the declared result size, and
 * its SHA-256 is the declared one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta.h"
#include "fuzz.h"
#include "fuzzutil.h"
#include "hash.h"
#include "hs_err.h"

#define FUZZ_RESULT_MAX (4u * 1024 * 1024)
#define FUZZ_BASE_LINES 200
#define FUZZ_BASE_BINARY 2048

/* Offsets in a delta's header (docs/delta.md). */
#define OFF_BASE_SIZE 9
#define OFF_BASE_SHA 17
#define OFF_RESULT_SIZE 49
#define HDR_SIZE 89

/* The fixed base: lines of text, then a binary block.  make-corpus.sh
 * writes the same bytes. */
static size_t fuzz_delta_base(uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (int i = 0; i < FUZZ_BASE_LINES; i++) {
		const int k = snprintf((char *)out + n, cap - n,
				       "line %d: haishin delta fuzz base\n", i);

		fuzz_assert(k > 0 && (size_t)k < cap - n, "base too big");
		n += (size_t)k;
	}
	for (int i = 0; i < FUZZ_BASE_BINARY; i++) {
		fuzz_assert(n < cap, "base too big");
		out[n++] = (uint8_t)((i * 131 + 7) & 0xff);
	}
	return n;
}

static int fuzz_memfd(const void *p, size_t n)
{
	const int fd = memfd_create("fuzz-delta", MFD_CLOEXEC);

	fuzz_assert(fd >= 0, "memfd_create");
	if (n > 0)
		fuzz_assert(write(fd, p, n) == (ssize_t)n, "memfd write");
	fuzz_assert(lseek(fd, 0, SEEK_SET) == 0, "memfd seek");
	return fd;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Overwrites the header's base size and SHA-256 with the fixed base's. */
static void fix_base(uint8_t *d, const uint8_t *base, size_t base_n)
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e;

	fuzz_assert(hash_buf(base, base_n, hex, &e) == 0, "hash_buf");
	put_u64(d + OFF_BASE_SIZE, base_n);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		fuzz_assert(sscanf(hex + 2 * i, "%2x", &v) == 1, "hex");
		d[OFF_BASE_SHA + i] = (uint8_t)v;
	}
}

/* After a success: the output is the declared result, byte for byte. */
static void check_result(int out, const struct delta_info *info)
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct stat st;
	struct hs_err e;
	void *p = NULL;

	fuzz_assert(fstat(out, &st) == 0, "fstat");
	fuzz_assert((uint64_t)st.st_size == info->result_size,
		    "the output is not the declared result size");
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, out,
			 0);
		fuzz_assert(p != MAP_FAILED, "mmap");
	}
	fuzz_assert(hash_buf(p, (size_t)st.st_size, hex, &e) == 0, "hash_buf");
	fuzz_assert(strcmp(hex, info->result_sha256) == 0,
		    "a success whose output is not the declared result");
	if (p != NULL)
		(void)munmap(p, (size_t)st.st_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t base[16384];
	static size_t base_n;
	static uint8_t d[1 << 20];
	struct delta_info info;
	struct hs_err e;
	int info_r;
	int dfd;
	int bfd;
	int out;
	int r;

	if (size < 1 || size - 1 > sizeof(d))
		return 0;
	if (base_n == 0)
		base_n = fuzz_delta_base(base, sizeof(base));
	memcpy(d, data + 1, size - 1);
	size--;
	if ((data[0] & 1) != 0 && size >= HDR_SIZE)
		fix_base(d, base, base_n);
	if (size >= HDR_SIZE && get_u64(d + OFF_RESULT_SIZE) > FUZZ_RESULT_MAX)
		return 0;

	dfd = fuzz_memfd(d, size);
	bfd = fuzz_memfd(base, base_n);
	out = fuzz_memfd(NULL, 0);
	hs_err_clear(&e);
	info_r = delta_read_info(dfd, &info, &e);
	fuzz_check_err(info_r, &e);
	hs_err_clear(&e);
	r = delta_apply(dfd, bfd, out, &e);
	fuzz_check_err(r, &e);
	fuzz_assert(info_r == 0 || r < 0,
		    "applied a delta whose header was refused");
	fuzz_assert(r == 0 || r == -EBADMSG || r == -ESTALE || r == -ENOMEM,
		    "a refusal that is not -EBADMSG, -ESTALE or -ENOMEM");
	if (r == 0)
		check_result(out, &info);
	(void)close(dfd);
	(void)close(bfd);
	(void)close(out);
	return 0;
}
