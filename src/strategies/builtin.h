/*
 * builtin.h - registers Parley's own strategies (spam, profanity,
 * translation) with their shared state, and loads what they
 * learnt from the repository: the spam classifier's counts, the profanity
 * allowlist.
 *
 * Ownership: the builtin set owns every shared state it created; free it
 * after the server stopped. Threads: initialised on the main thread before
 * the workers start; the states are thread-safe afterwards.
 */
#ifndef PARLEY_STRATEGIES_BUILTIN_H
#define PARLEY_STRATEGIES_BUILTIN_H

#include "core/config.h"
#include "core/repository.h"
#include "core/strategy.h"
#include "strategies/translation_detect.h"

typedef struct parley_builtin_strategies {
    void *spam;
    void *profanity;
    void *translation;                   /* apertium pools, language detector */
    parley_langdetect *profanity_detect; /* NULL without exttextcat's files */
} parley_builtin_strategies;

parley_status parley_builtin_strategies_init(parley_builtin_strategies *builtin,
                                             parley_strategy_registry *registry,
                                             parley_repository *repo, const parley_config *cfg,
                                             parley_error *err);
/* cfg may be NULL: the defaults (apertium modes in /usr/share/apertium,
 * no LibreTranslate URL). Stops apertium pipelines on free. */
void parley_builtin_strategies_free(parley_builtin_strategies *builtin);

/* Creates an exttextcat detector for the languages the profanity lists
 * cover and gives it to the profanity shared state (the strategy then
 * checks the detected language too). The detector is the caller's: free it
 * after the shared state. NULL (and no detection) when exttextcat's
 * fingerprints are missing. Start-up only (main thread). */
parley_langdetect *parley_builtin_profanity_detector(void *profanity);

/* The profanity allowlist, for the admin API (NULL-safe). */
void *parley_builtin_profanity(const parley_strategy_registry *registry);

#endif
