/*
 * translation_apertium.h - the offline translation backend: apertium's
 * installed pairs run as long-lived null-flush pipelines, a small pool per
 * direction.
 *
 * A direction ("eng-spa", "fr-es", ...) is a .mode file in the modes
 * directory. Its shell pipeline is rewritten (parley_apertium_mode_command)
 * into one that runs every stage with -z (null flush), generation with -n
 * (no "*" unknown-word marks) and an empty tagger option, and is started
 * with /bin/sh -c in a process group of its own. A request writes the
 * escaped text and a NUL, and reads up to the NUL that ends the answer.
 *
 * Stream format: the specials [ ] ^ $ \ / < > @ { } * ~ # are escaped with
 * a backslash on the way in (an unescaped "[" opens a superblank that never
 * closes and hangs the pipeline; a "^" starts a lexical unit and crashes
 * it). On the way out "\x" becomes "x", and the marks apertium adds to words
 * it could not handle are dropped: an unescaped "@" (missing from the
 * bilingual dictionary) always, an unescaped "#" or "*" at the start of a
 * word only when the source text holds no such character (the pipeline
 * forgets the escape of those two, so a user's own "#tag" survives).
 * Known loss: a "~" in the text is eaten by the post-generator.
 *
 * Threads: the pool is shared; any number of threads call
 * parley_apertium_translate at once, each checking one pipeline out (up to
 * pool_size per direction run at once, others wait). A request that takes
 * longer than timeout_ms kills its pipeline's process group; the next
 * request on that slot starts a fresh one.
 */
#ifndef PARLEY_TRANSLATION_APERTIUM_H
#define PARLEY_TRANSLATION_APERTIUM_H

#include <stdbool.h>
#include <stddef.h>

typedef struct parley_apertium parley_apertium;

typedef enum parley_apertium_result {
    PARLEY_APERTIUM_OK = 0,
    PARLEY_APERTIUM_UNSUPPORTED, /* no such direction (nor a pivot) */
    PARLEY_APERTIUM_FAILED,      /* could not start, died, bad output, no memory */
    PARLEY_APERTIUM_TIMEOUT      /* killed after timeout_ms */
} parley_apertium_result;

/* Pure helpers (fuzzed). Both return a malloc'd NUL-terminated string or
 * NULL when out of memory. unescape(escape(x)) == x for any x. */
char *parley_apertium_escape(const char *text);
/* drop_hash / drop_star: remove unescaped "#" / "*" at the start of a word. */
char *parley_apertium_unescape(const char *text, size_t len, bool drop_hash, bool drop_star);

/* The /bin/sh command for a .mode file's text (len bytes, need not be
 * NUL-terminated), or NULL when the text is not a plain pipeline of
 * commands (empty stage, unbalanced quote, ; & ` $( > < outside quotes,
 * more than 32 stages or 64 KiB). */
char *parley_apertium_mode_command(const char *text, size_t len);

/* Scans mode_dir for <src>-<dst>.mode files whose two sides are languages
 * parley knows (en es fr pt ca, as 2- or 3-letter codes; variants such as
 * eng-cat_valencia are skipped). NULL when out of memory; a directory with
 * no pairs gives an empty pool. */
parley_apertium *parley_apertium_create(const char *mode_dir, int pool_size, int timeout_ms);
void parley_apertium_free(parley_apertium *ap);

/* Directions, by their mode names ("eng-spa"), in scan order. */
size_t parley_apertium_pair_count(const parley_apertium *ap);
const char *parley_apertium_pair_name(const parley_apertium *ap, size_t i);
/* Whether src -> dst (ISO 639-1) is available directly or through one
 * pivot language. */
bool parley_apertium_supports(const parley_apertium *ap, const char *src, const char *dst);

/* Translates text from src to dst (ISO 639-1). On OK *out is malloc'd and
 * pair_out (when not NULL) names the pair(s) used: "eng-spa" or, through a
 * pivot, "fr-es+spa-eng". */
parley_apertium_result parley_apertium_translate(parley_apertium *ap, const char *src,
                                                 const char *dst, const char *text, char **out,
                                                 char *pair_out, size_t pair_size);

/* Pipelines killed (timeouts, deaths) since creation, for tests and stats. */
unsigned long parley_apertium_restarts(parley_apertium *ap);

/* ISO 639-1 code for an apertium code ("eng" -> "en", "es" -> "es"), or
 * NULL when not one parley knows. */
const char *parley_apertium_iso(const char *code, size_t len);

#endif
