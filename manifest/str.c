/*
 * str.c - bounded strings, checked numbers, base64, RFC 3339 time, and whole
 * small files read or written safely.
 */
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

int hs_strlcpy(char *dst, const char *src, size_t n)
{
	int nr;

	if (n == 0)
		return -ENAMETOOLONG;
	nr = snprintf(dst, n, "%s", src);
	if (nr < 0 || (size_t)nr >= n) {
		hs_utf8_fix(dst); /* never leave half a character */
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The length of the UTF-8 sequence that starts with byte c, or 0. */
static size_t utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

void hs_utf8_fix(char *s)
{
	size_t i = 0;

	while (s[i] != '\0') {
		const size_t n = utf8_len((unsigned char)s[i]);
		size_t k = 1;

		while (k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k++;
		if (n > 0 && k == n) {
			i += n;
		} else if (n > 1 && s[i + k] == '\0') {
			s[i] = '\0'; /* a sequence cut at the end */
		} else {
			s[i] = '?';
			i++;
		}
	}
}

int hs_snprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int nr;

	va_start(ap, fmt);
	nr = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (nr < 0 || (size_t)nr >= n)
		return -ENAMETOOLONG;
	return 0;
}

int hs_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return -EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

void hs_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

bool hs_is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		const char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[64] == '\0';
}

bool hs_str_endswith(const char *s, const char *suffix)
{
	const size_t n = strlen(s);
	const size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

char *hs_b64_encode(const uint8_t *p, size_t n)
{
	char *out;

	if (n > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (out == NULL)
		return NULL;
	(void)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static bool b64_char_is_valid(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int hs_b64_decode(const char *s, size_t len, uint8_t **ret_p, size_t *ret_n)
{
	size_t pad = 0;
	size_t i;
	uint8_t *out;
	int n;

	if (len % 4 != 0 || len > (size_t)INT32_MAX / 2)
		return -EBADMSG;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (!b64_char_is_valid(s[i]))
			return -EBADMSG;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return -ENOMEM;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(out);
		return -EBADMSG;
	}
	*ret_p = out;
	*ret_n = (size_t)n - pad;
	return 0;
}

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

int hs_fsync_parent(const char *path, struct hs_err *e)
{
	char copy[PATH_MAX];
	int fd;
	int r;

	if (hs_strlcpy(copy, path, sizeof(copy)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno,
				  "cannot open directory of '%s': %s", path,
				  strerror(errno));
	r = fsync(fd) < 0 ? -errno : 0;
	(void)close(fd);
	if (r < 0)
		return hs_err_set(e, r, "cannot fsync directory of '%s': %s",
				  path, strerror(-r));
	return 0;
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

int hs_time_parse(const char *s, int64_t *ret_t)
{
	char canon[21];
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0' || strlen(s) != 20)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	/* strptime takes "2026-02-31" and blanks in numbers: only the
	 * canonical spelling of a real time is accepted. */
	hs_time_format((int64_t)t, canon);
	if (strcmp(canon, s) != 0)
		return -EINVAL;
	*ret_t = (int64_t)t;
	return 0;
}

void hs_time_format(int64_t t, char out[static 21])
{
	const time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)hs_strlcpy(out, "1970-01-01T00:00:00Z", 21);
}
