/*
 * translation.h - the "translation" MessageProcessingStrategy: detects the
 * message's language and adds a translation into the session's target
 * language.
 *
 * Session options:
 *   {"name": "translation", "target": "es",          required: en es fr pt ca
 *    "source": "en",                                 the conversation's known language
 *    "backend": "apertium" | "libretranslate",       default apertium
 *    "url": "http://host:port",                      required for libretranslate
 *    "api_key": "...",                               libretranslate, optional
 *    "timeout_ms": 5000,                             libretranslate, 1..60000
 *    "min_chars": 20}                                shorter texts keep the known language
 * or, instead of target/source, both
 *   "customer_language": "fr", "agent_language": "en"
 * Unknown keys, unsupported languages or wrong types: 400 validation_failed.
 *
 * Both ways (issue 16): each side reads the other in their own language.
 *   - a customer's message is translated into the assigned agent's profile
 *     language (agents.language), else the desk's (agent_language, else
 *     target);
 *   - anyone else's (agent, bot, system) into the customer's: declared in
 *     the chain (customer_language, else source), else the customer's
 *     profile language (POST /customers "language", else the browser's
 *     Accept-Language there), else the language detected in their latest
 *     messages of the session; with none known it stays untranslated.
 * Profile languages are any BCP 47 tag ("ja", "pt-BR"); a language with no
 * route is flagged, not refused.
 *
 * Source language: detected by libexttextcat (translation_detect.h); texts
 * shorter than min_chars or with an unreliable verdict keep the known one:
 * the customer's declared language for a customer, the agent's profile or
 * desk language for anyone else, else ctx->meta["language"] set by an
 * earlier step.
 *
 * Routes: apertium's installed directions, directly or through one pivot
 * (English first; translation_route.h); LibreTranslate directly, or
 * through English when the server answers the direct pair with 400.
 *
 * Result (the message's content is never replaced: the original is what is
 * stored and sent as content, the translation travels in meta):
 *   - source == reader's language, or no reader's language: PASS, meta
 *     {"language": src};
 *   - translated: MODIFIED, meta {"language": src, "translations": {to:
 *     text}, "translation": {"status": "translated", "from", "to", "via"
 *     (pivot only), "backend", "pair", "ms"}};
 *   - otherwise PASS with meta {"language": src (when known), "translation":
 *     {"status": "unavailable" | "failed", "from"?, "to"?, "error":
 *     "unknown_language" | "unsupported_pair" | "backend_failed" |
 *     "timeout", "backend"}}. Never rejects.
 *
 * Reads (on the pool thread, through ctx->repo, when given): the assigned
 * agent (a customer's message), the customer and at most 20 latest
 * messages of the session (anyone else's message, when no language is
 * declared).
 *
 * Shared state: the apertium pools and the detector, made once at start,
 * used by any number of worker threads at once. Never call from the event
 * loop: a translation takes milliseconds (and up to timeout_ms).
 */
#ifndef PARLEY_TRANSLATION_H
#define PARLEY_TRANSLATION_H

#include "util/error.h"
#include "core/strategy.h"

#define PARLEY_TRANSLATION_VERSION "1.0"
#define PARLEY_TRANSLATION_DEFAULT_POOL 2
#define PARLEY_TRANSLATION_DEFAULT_TIMEOUT_MS 5000

extern const parley_strategy_ops parley_translation_strategy_ops;

/* mode_dir NULL = /usr/share/apertium/modes; pool_size <= 0 gives the
 * default (2); timeout_ms <= 0 the default (5000) and is the apertium
 * per-request limit. Starts no process (pipelines start on first use). */
parley_status parley_translation_shared_create(const char *mode_dir, int pool_size, int timeout_ms,
                                               void **shared, parley_error *err);
void parley_translation_shared_free(void *shared);

/* Restricts the LibreTranslate "url" option of sessions to the URLs given
 * here (the same URL, or it followed by a "/" path) (call once per prefix at start,
 * before workers run; at most 16). With none given any http(s) URL is
 * accepted, which lets whoever configures a session make the server send
 * requests anywhere: production should give the server's own
 * LibreTranslate URL. A refused url is 400 validation_failed at create. */
parley_status parley_translation_shared_allow_url(void *shared, const char *url_prefix,
                                                  parley_error *err);

/* A parley_translate_text_fn over apertium (shared is this strategy's
 * shared state): detection when from is NULL (min 20 bytes, else NULL),
 * then the route (direct or pivot). Any worker thread. */
char *parley_translation_text(void *shared, const char *from, const char *to, const char *text,
                              const char **from_out, char *pair, size_t pair_size);

#endif
