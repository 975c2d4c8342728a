/*
 * error.h - moved to util/error.h (issue 10, src/util/). This forward stays
 * only until the storage split (branch i10-storage) is merged, so that
 * src/storage/ and core/repository.h build unchanged; then their includes
 * become "util/error.h" and this file goes.
 */
#ifndef PARLEY_CORE_ERROR_FORWARD_H
#define PARLEY_CORE_ERROR_FORWARD_H

#include "util/error.h"

#endif
