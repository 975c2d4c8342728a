/*
 * profanity_fixture.h - the profanity strategy's shared state with the
 * exttextcat language detector attached, as parleyd builds it (builtin.c).
 * Shared by tests/unit/test_profanity.c and test_profanity_dictionary.c
 * (header-only: each is a program of its own). Threads: the test's main
 * thread.
 */
#ifndef PARLEY_TEST_PROFANITY_FIXTURE_H
#define PARLEY_TEST_PROFANITY_FIXTURE_H

#include "strategies/builtin.h"
#include "strategies/profanity.h"

static void *profanity_shared;
static parley_langdetect *profanity_detector;

/* cmocka group setup / teardown */
static inline int profanity_fixture_setup(void **state) {
    (void)state;
    parley_error err = {0};
    if (parley_profanity_shared_create(&profanity_shared, &err) != PARLEY_OK) {
        return -1;
    }
    profanity_detector = parley_builtin_profanity_detector(profanity_shared);
    return profanity_detector != NULL ? 0 : -1;
}

static inline int profanity_fixture_teardown(void **state) {
    (void)state;
    parley_profanity_shared_free(profanity_shared);
    parley_langdetect_free(profanity_detector);
    profanity_shared = NULL;
    profanity_detector = NULL;
    return 0;
}

#endif
