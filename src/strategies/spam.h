/*
 * spam.h - the "spam" MessageProcessingStrategy: per-sender rate and burst
 * limits, duplicate and near-duplicate messages, link count and a domain
 * blocklist, mass mentions, all caps, repeated characters (spam_rules.h),
 * and a Bayesian classifier that learns from agents' spam / not-spam marks
 * (spam_bayes.h). See docs/strategies-spam.md.
 *
 * Session options (all optional; defaults in brackets):
 *   {"name": "spam", "max_links": 2, "blocked_domains": [], "max_mentions": 5,
 *    "caps_ratio": 0.7, "caps_min_letters": 12, "max_repeat": 10,
 *    "bayes_threshold": 0.9, "bayes_min_messages": 10,
 *    "rate_per_minute": 30, "burst": 10,
 *    "max_duplicates": 2, "duplicate_window_seconds": 300}
 * Unknown keys or wrong types are refused (400 validation_failed).
 *
 * Verdict: every rule that fires adds its weight to the score (1.0 each;
 * caps and repeat 0.4), the classifier adds 1.0 ("bayes") when its
 * probability reaches bayes_threshold and the model has learnt at least
 * bayes_min_messages of each kind. A score >= 1.0 rejects:
 *   - over the rate or burst: PARLEY_E_RATE_LIMITED "rate_limited" with
 *     retry_after_seconds (checked first; nothing else is evaluated);
 *   - otherwise PARLEY_E_REJECTED "spam_detected".
 * Either way ctx->meta gets {"spam": {"strategy", "version", "score",
 * "bayes" (number or null when untrained), "rules": [...], ...}} so the
 * rejected message can be stored for admin review. A message that passes
 * gets the same meta only when some rule fired (e.g. caps alone).
 * Staff (agents and admins) are never filtered.
 *
 * Shared state (parley_spam_shared_create): the model and the per-sender
 * rule state, made once at start and registered with the ops; any thread.
 */
#ifndef PARLEY_SPAM_H
#define PARLEY_SPAM_H

#include <stdint.h>

#include "util/error.h"
#include "core/strategy.h"
#include "strategies/spam_bayes.h"
#include "strategies/spam_rules.h"

#define PARLEY_SPAM_VERSION "1.0"
/* Senders whose rate and recent messages are remembered. */
#define PARLEY_SPAM_MAX_SENDERS 4096

extern const parley_strategy_ops parley_spam_strategy_ops;

/* Needs parley_crypto_init() to have run. */
parley_status parley_spam_shared_create(void **shared, parley_error *err);
void parley_spam_shared_free(void *shared);

/* The Bayesian model, for training (POST /api/v1/messages/{id}/spam) and
 * for loading/saving its counts (parley_spam_model_export/_set_token). */
parley_spam_model *parley_spam_shared_model(void *shared);

/* Tests: replaces the monotonic clock (ms) used for rates and windows. */
void parley_spam_shared_set_clock(void *shared, int64_t (*now_ms)(void *ud), void *ud);

#endif
