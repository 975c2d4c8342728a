#include "strategies/builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "strategies/profanity.h"
#include "strategies/spam.h"
#include "strategies/translation.h"

static void load_spam_token(void *ctx, const char *token, int64_t spam, int64_t ham) {
    parley_spam_model_set_token(ctx, token, (uint64_t)spam, (uint64_t)ham);
}

static void load_allowed_word(void *ctx, const char *word) {
    parley_error ignored = {0};
    (void)parley_profanity_allow(ctx, word, &ignored);
}

parley_langdetect *parley_builtin_profanity_detector(void *profanity) {
    const char *codes[16];
    size_t n = parley_profanity_languages(profanity, codes, 16);
    parley_langdetect *d = parley_langdetect_create_for(NULL, codes, n < 16 ? n : 16);
    if (d != NULL) {
        parley_profanity_set_detector(profanity, parley_langdetect_decided, d);
    }
    return d;
}

typedef struct learn_ctx {
    parley_repository *repo;
    int64_t spam;
    int64_t ham;
    parley_status status;
    parley_error *err;
} learn_ctx;

static int persist_token(const char *token, void *ud) {
    learn_ctx *ctx = ud;
    ctx->status =
        ctx->repo->strategy_stores->spam_token_add(ctx->repo, token, ctx->spam, ctx->ham, ctx->err);
    return ctx->status != PARLEY_OK;
}

/* What the live model learns once the counts are committed. */
typedef struct model_change {
    parley_spam_model *model;
    bool is_spam;
    bool forget;
    char text[];
} model_change;

static void apply_model_change(void *ctx) {
    model_change *c = ctx;
    if (c->forget) {
        (void)parley_spam_model_untrain(c->model, c->text, c->is_spam);
    } else if (!parley_spam_model_train(c->model, c->text, c->is_spam)) {
        parley_log_error("spam model: out of memory while learning");
    }
}

static parley_status defer_model_change(parley_spam_model *model, const char *text, bool is_spam,
                                        bool forget, parley_after_commit *after,
                                        parley_error *err) {
    size_t n = strlen(text) + 1;
    model_change *c = malloc(sizeof *c + n);
    if (c != NULL) {
        c->model = model;
        c->is_spam = is_spam;
        c->forget = forget;
        memcpy(c->text, text, n);
    }
    if (c == NULL || !parley_after_commit_add(after, apply_model_change, c, free)) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return PARLEY_OK;
}

/* Counts go to the repository (inside the request's transaction); the live
 * model follows after the commit, so a refused or failed write teaches
 * nothing. */
static parley_status learn_spam(void *shared, const char *text, bool is_spam,
                                parley_repository *repo, parley_after_commit *after,
                                parley_error *err) {
    parley_spam_model *model = parley_spam_shared_model(shared);
    learn_ctx ctx = {
        .repo = repo, .spam = is_spam, .ham = !is_spam, .status = PARLEY_OK, .err = err};
    parley_spam_model_text_tokens(model, text, persist_token, &ctx);
    if (ctx.status == PARLEY_OK) {
        ctx.status = repo->strategy_stores->spam_totals_add(repo, is_spam, !is_spam, err);
    }
    if (ctx.status == PARLEY_OK) {
        ctx.status = defer_model_change(model, text, is_spam, false, after, err);
    }
    return ctx.status;
}

static parley_status unlearn_spam(void *shared, const char *text, bool was_spam,
                                  parley_repository *repo, parley_after_commit *after,
                                  parley_error *err) {
    parley_spam_model *model = parley_spam_shared_model(shared);
    learn_ctx ctx = {.repo = repo,
                     .spam = was_spam ? -1 : 0,
                     .ham = was_spam ? 0 : -1,
                     .status = PARLEY_OK,
                     .err = err};
    parley_spam_model_text_tokens(model, text, persist_token, &ctx);
    if (ctx.status == PARLEY_OK) {
        ctx.status = repo->strategy_stores->spam_totals_add(repo, ctx.spam, ctx.ham, err);
    }
    if (ctx.status == PARLEY_OK) {
        ctx.status = defer_model_change(model, text, was_spam, true, after, err);
    }
    return ctx.status;
}

parley_status parley_builtin_strategies_init(parley_builtin_strategies *builtin,
                                             parley_strategy_registry *registry,
                                             parley_repository *repo, const parley_config *cfg,
                                             parley_error *err) {
    memset(builtin, 0, sizeof *builtin);
    parley_status st = parley_spam_shared_create(&builtin->spam, err);
    if (st == PARLEY_OK) {
        int64_t spam_messages = 0;
        int64_t ham_messages = 0;
        parley_spam_model *model = parley_spam_shared_model(builtin->spam);
        st = repo->strategy_stores->spam_load(repo, load_spam_token, model, &spam_messages,
                                              &ham_messages, err);
        parley_spam_model_set_totals(model, (uint64_t)spam_messages, (uint64_t)ham_messages);
    }
    if (st == PARLEY_OK) {
        st = parley_profanity_shared_create(&builtin->profanity, err);
    }
    if (st == PARLEY_OK) {
        builtin->profanity_detect = parley_builtin_profanity_detector(builtin->profanity);
        if (builtin->profanity_detect == NULL) {
            parley_log_warn("profanity: no language detector (libexttextcat's "
                            "fingerprints missing); declared language and English only");
        }
    }
    if (st == PARLEY_OK) {
        st =
            repo->strategy_stores->allowlist_load(repo, load_allowed_word, builtin->profanity, err);
    }
    /* pipelines start on first use: a server whose sessions never translate
     * runs no apertium process */
    if (st == PARLEY_OK) {
        st = parley_translation_shared_create(cfg != NULL ? cfg->translation_mode_dir : NULL,
                                              cfg != NULL ? (int)cfg->translation_pool : 0,
                                              cfg != NULL ? (int)cfg->translation_timeout_ms : 0,
                                              &builtin->translation, err);
    }
    if (st == PARLEY_OK && cfg != NULL && cfg->libretranslate_url != NULL &&
        cfg->libretranslate_url[0] != '\0') {
        st =
            parley_translation_shared_allow_url(builtin->translation, cfg->libretranslate_url, err);
    }
    if (st == PARLEY_OK &&
        (!parley_strategy_register(registry, &parley_spam_strategy_ops, builtin->spam) ||
         !parley_strategy_register(registry, &parley_profanity_strategy_ops, builtin->profanity) ||
         !parley_strategy_register(registry, &parley_translation_strategy_ops,
                                   builtin->translation))) {
        st = parley_error_set(err, PARLEY_E_INTERNAL, NULL, "strategy registry full");
    }
    if (st != PARLEY_OK) {
        parley_builtin_strategies_free(builtin);
        return st;
    }
    registry->learn_spam = learn_spam;
    registry->unlearn_spam = unlearn_spam;
    registry->learn_spam_ctx = builtin->spam;
    registry->translate_text = parley_translation_text;
    registry->translate_ctx = builtin->translation;
    return PARLEY_OK;
}

void parley_builtin_strategies_free(parley_builtin_strategies *builtin) {
    if (builtin->spam != NULL) {
        parley_spam_shared_free(builtin->spam);
    }
    if (builtin->profanity != NULL) {
        parley_profanity_shared_free(builtin->profanity);
    }
    parley_langdetect_free(builtin->profanity_detect);
    if (builtin->translation != NULL) {
        parley_translation_shared_free(builtin->translation);
    }
    memset(builtin, 0, sizeof *builtin);
}

void *parley_builtin_profanity(const parley_strategy_registry *registry) {
    for (size_t i = 0; registry != NULL && i < registry->count; i++) {
        if (registry->ops[i] == &parley_profanity_strategy_ops) {
            return registry->shared[i];
        }
    }
    return NULL;
}
