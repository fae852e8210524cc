/*
 * fuzz.h - the entry point every fuzz target defines.  Under libFuzzer
 * (HAISHIN_FUZZ=ON) libFuzzer's main() calls it; in the normal test build
 * replay.c does, once for each file of the committed corpus.
 *
 * A target must not leak, must not keep state that changes its behaviour
 * from one input to the next, and must not touch the network.  It returns 0;
 * a bug is reported by a sanitizer or by abort().
 */
#ifndef HAISHIN_FUZZ_H
#define HAISHIN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
