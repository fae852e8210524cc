/*
 * publish_bundle.h - haishin-publish bundle (bundle.c).
 */
#ifndef HAISHIN_PUBLISH_BUNDLE_H
#define HAISHIN_PUBLISH_BUNDLE_H

#include "hs_err.h"

/* haishin-publish bundle REPO -o FILE; argv[0] is "bundle". */
int publish_bundle(int argc, char **argv, struct hs_err *e);

#endif
