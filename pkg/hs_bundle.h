/*
 * hs_bundle.h - the bundle format shared by haishin-publish (which makes
 * bundles) and haishind (which reads them): a .tar.zst whose first name is
 * this marker, beside a repository's files at their repository paths.
 */
#ifndef HAISHIN_HS_BUNDLE_H
#define HAISHIN_HS_BUNDLE_H

#define HS_BUNDLE_MARKER "haishin-bundle.json"
#define HS_BUNDLE_FORMAT 1 /* the marker's "format" */

#endif
