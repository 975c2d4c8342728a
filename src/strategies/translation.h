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
 * so the sender decides the direction: a customer's message is translated
 * into the agent's language (the customer's is the known source), anyone
 * else's (agent, bot, system) into the customer's.
 * Unknown keys, unsupported targets or wrong types: 400 validation_failed.
 *
 * Source language: detected by libexttextcat (translation_detect.h); texts
 * shorter than min_chars or with an unreliable verdict keep the known one:
 * the "source" option, else ctx->meta["language"] set by an earlier step.
 *
 * Result (the message's content is never replaced: the original is what is
 * stored and sent as content, the translation travels in meta):
 *   - source == target: PASS, meta {"language": src};
 *   - translated: MODIFIED, meta {"language": src, "translations": {target:
 *     text}, "translation": {"backend", "pair", "ms"}};
 *   - otherwise PASS with meta {"language": src (when known), "translation":
 *     {"error": "unknown_language" | "unsupported_pair" | "backend_failed" |
 *     "timeout", "backend"}}. Never rejects.
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

#endif
