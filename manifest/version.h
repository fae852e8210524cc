/*
 * version.h - version strings and their order.
 *
 * A version is RELEASE[-PRERELEASE][+BUILD]: RELEASE is 1 to 8 dot-separated
 * decimal numbers; PRERELEASE is dot-separated identifiers of [0-9A-Za-z-];
 * BUILD is ignored when comparing.  Numbers compare as numbers ("1.10" >
 * "1.9"), a missing number is 0 ("2.0" == "2.0.0", "2.0.1" > "2.0"), and a
 * pre-release sorts before its release ("1.0-rc.1" < "1.0"), with its
 * identifiers compared as in Semantic Versioning 2.0.0.  A version is also a
 * directory name under install_root/NAME/, so at most HS_VERSION_MAX bytes,
 * and it may not end in ".staging" (the name of an unfinished install).
 */
#ifndef HAISHIN_VERSION_H
#define HAISHIN_VERSION_H

#include <stdbool.h>

/* True when v is a well-formed version. */
bool version_is_valid(const char *v);

/*
 * Compares two valid versions: <0, 0 or >0 as a is older than, the same as,
 * or newer than b.  Invalid input is a programming error (assert).
 */
int version_compare(const char *a, const char *b);

/*
 * True when name is a valid component name: 1 to HS_NAME_MAX bytes of
 * [a-z0-9._-], starting with a letter or digit.  Also a directory name.
 */
bool version_name_is_valid(const char *name);

#endif
