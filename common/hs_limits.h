/*
 * hs_limits.h - every size that input controls has a named cap here, checked
 * before anything is allocated or written.
 */
#ifndef HAISHIN_LIMITS_H
#define HAISHIN_LIMITS_H

/* Signed metadata. */
#define HS_MANIFEST_MAX_BYTES (4u * 1024 * 1024) /* manifest.json on the wire */
#define HS_ROOT_MAX_BYTES (512u * 1024) /* root.json on the wire */
#define HS_MANIFEST_MAX_COMPONENTS 256
#define HS_ENVELOPE_MAX_SIGNATURES 32
#define HS_ROOT_MAX_KEYS 64
#define HS_ROLE_MAX_KEYS 32
#define HS_ROOT_MAX_VENDORS 32
#define HS_VENDOR_MAX_PATTERNS 64 /* component name patterns per vendor */
#define HS_NAME_MAX 64 /* component name */
#define HS_VERSION_MAX 64 /* version string */
#define HS_URL_MAX 1024 /* URL, relative or absolute */
#define HS_PACKAGE_MAX_BYTES (4ull * 1024 * 1024 * 1024) /* one package */
#define HS_MANIFEST_MAX_DELTAS 8 /* deltas offered per component */

/* Extraction. */
#define HS_ARCHIVE_MAX_ENTRIES 100000
#define HS_ARCHIVE_MAX_PATH 1024
#define HS_ARCHIVE_MAX_FILE_BYTES (4ull * 1024 * 1024 * 1024)
#define HS_ARCHIVE_MAX_TOTAL_BYTES (16ull * 1024 * 1024 * 1024)
#define HS_ARCHIVE_MAX_DEPTH 64

/* Files read whole into memory (keys, config). */
#define HS_SMALL_FILE_MAX (1024u * 1024)

#endif
