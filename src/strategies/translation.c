/*
 * translation.c - the "translation" strategy; see translation.h.
 */
#include "strategies/translation.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strategies/translation_apertium.h"
#include "strategies/translation_detect.h"
#include "strategies/translation_libre.h"
#include "strategies/translation_route.h"
#include "util/accept_language.h"
#include "core/participant.h"
#include "core/repository.h"

#define DEFAULT_MIN_CHARS 20
#define DEFAULT_MODE_DIR "/usr/share/apertium/modes"

#define MAX_ALLOWED_URLS 16

typedef struct translation_shared {
    parley_apertium *apertium;
    parley_langdetect *detect;
    char *allowed_urls[MAX_ALLOWED_URLS];
    size_t allowed_count;
} translation_shared;

typedef enum backend_kind { BACKEND_APERTIUM, BACKEND_LIBRE } backend_kind;

typedef struct translation_strategy {
    parley_strategy base;
    translation_shared *shared;
    const char *target;            /* static */
    const char *source;            /* static or NULL */
    const char *customer_language; /* static or NULL; with agent_language */
    const char *agent_language;
    backend_kind backend;
    char *url;
    char *api_key;
    int timeout_ms;
    size_t min_chars;
} translation_strategy;

parley_status parley_translation_shared_create(const char *mode_dir, int pool_size, int timeout_ms,
                                               void **shared, parley_error *err) {
    *shared = NULL;
    if (parley_libre_global_init() != 0) {
        return parley_error_set(err, PARLEY_E_INTERNAL, "internal",
                                "translation: curl_global_init failed");
    }
    translation_shared *s = calloc(1, sizeof *s);
    if (s == NULL) {
        parley_libre_global_cleanup();
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "translation: out of memory");
    }
    s->apertium =
        parley_apertium_create(mode_dir != NULL ? mode_dir : DEFAULT_MODE_DIR,
                               pool_size > 0 ? pool_size : PARLEY_TRANSLATION_DEFAULT_POOL,
                               timeout_ms > 0 ? timeout_ms : PARLEY_TRANSLATION_DEFAULT_TIMEOUT_MS);
    s->detect = parley_langdetect_create(NULL);
    if (s->apertium == NULL || s->detect == NULL) {
        bool no_detect = s->detect == NULL;
        parley_translation_shared_free(s);
        return no_detect ? parley_error_set(err, PARLEY_E_INTERNAL, "internal",
                                            "translation: cannot load libexttextcat models")
                         : parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory",
                                            "translation: out of memory");
    }
    *shared = s;
    return PARLEY_OK;
}

void parley_translation_shared_free(void *shared) {
    translation_shared *s = shared;
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->allowed_count; i++) {
        free(s->allowed_urls[i]);
    }
    parley_apertium_free(s->apertium);
    parley_langdetect_free(s->detect);
    free(s);
    parley_libre_global_cleanup();
}

parley_status parley_translation_shared_allow_url(void *shared, const char *url_prefix,
                                                  parley_error *err) {
    translation_shared *s = shared;
    if (url_prefix == NULL ||
        (strncmp(url_prefix, "http://", 7) != 0 && strncmp(url_prefix, "https://", 8) != 0)) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "translation: a LibreTranslate URL must start with http(s)://");
    }
    if (s->allowed_count == MAX_ALLOWED_URLS) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "translation: at most %d LibreTranslate URLs", MAX_ALLOWED_URLS);
    }
    s->allowed_urls[s->allowed_count] = strdup(url_prefix);
    if (s->allowed_urls[s->allowed_count] == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "translation: out of memory");
    }
    s->allowed_count++;
    return PARLEY_OK;
}

/* Only URLs the operator configured: a session's chain is chosen by its
 * customer, who must not make the server send requests anywhere else. With
 * none configured the LibreTranslate backend is refused altogether. */
static bool url_allowed(const translation_shared *s, const char *url) {
    for (size_t i = 0; i < s->allowed_count; i++) {
        /* the whole URL, or it followed by a path: "http://a:5000" must not
         * let "http://a:50001" or "http://a:5000@elsewhere" through */
        const char *a = s->allowed_urls[i];
        size_t n = strlen(a);
        if (strncmp(url, a, n) == 0 &&
            (url[n] == '\0' || url[n] == '/' || (n > 0 && a[n - 1] == '/'))) {
            return true;
        }
    }
    return false;
}

static parley_status invalid(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "translation: %s", what);
}

static void translation_destroy(parley_strategy *self) {
    translation_strategy *s = (translation_strategy *)self;
    if (s == NULL) {
        return;
    }
    free(s->url);
    free(s->api_key);
    free(s);
}

static parley_status dup_string(const json_t *v, size_t max, char **out, const char *what,
                                parley_error *err) {
    const char *str = json_string_value(v);
    if (str == NULL || str[0] == '\0' || strlen(str) > max) {
        return invalid(err, what);
    }
    *out = strdup(str);
    if (*out == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "translation: out of memory");
    }
    return PARLEY_OK;
}

/* One option of a session's entry into s (checked together afterwards). */
static parley_status translation_option(void *ctx, const char *key, const json_t *v,
                                        parley_error *err) {
    translation_strategy *s = ctx;
    parley_status st = PARLEY_OK;
    if (strcmp(key, "target") == 0) {
        s->target = parley_langdetect_supported(json_string_value(v));
        if (s->target == NULL) {
            st = invalid(err, "target must be one of en, es, fr, pt, ca");
        }
    } else if (strcmp(key, "source") == 0) {
        s->source = parley_langdetect_supported(json_string_value(v));
        if (s->source == NULL) {
            st = invalid(err, "source must be one of en, es, fr, pt, ca");
        }
    } else if (strcmp(key, "customer_language") == 0) {
        s->customer_language = parley_langdetect_supported(json_string_value(v));
        if (s->customer_language == NULL) {
            st = invalid(err, "customer_language must be one of en, es, fr, pt, ca");
        }
    } else if (strcmp(key, "agent_language") == 0) {
        s->agent_language = parley_langdetect_supported(json_string_value(v));
        if (s->agent_language == NULL) {
            st = invalid(err, "agent_language must be one of en, es, fr, pt, ca");
        }
    } else if (strcmp(key, "backend") == 0) {
        const char *b = json_string_value(v);
        if (b != NULL && strcmp(b, "apertium") == 0) {
            s->backend = BACKEND_APERTIUM;
        } else if (b != NULL && strcmp(b, "libretranslate") == 0) {
            s->backend = BACKEND_LIBRE;
        } else {
            st = invalid(err, "backend must be \"apertium\" or \"libretranslate\"");
        }
    } else if (strcmp(key, "url") == 0) {
        st = dup_string(v, 2048, &s->url, "url must be a non-empty string", err);
        if (st == PARLEY_OK && strncmp(s->url, "http://", 7) != 0 &&
            strncmp(s->url, "https://", 8) != 0) {
            st = invalid(err, "url must start with http:// or https://");
        } else if (st == PARLEY_OK && !url_allowed(s->shared, s->url)) {
            st = invalid(err, "url is not one of the server's LibreTranslate URLs");
        }
    } else if (strcmp(key, "api_key") == 0) {
        st = dup_string(v, 512, &s->api_key, "api_key must be a non-empty string", err);
    } else if (strcmp(key, "timeout_ms") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 60000) {
            st = invalid(err, "timeout_ms must be an integer in 1..60000");
        } else {
            s->timeout_ms = (int)json_integer_value(v);
        }
    } else if (strcmp(key, "min_chars") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 10000) {
            st = invalid(err, "min_chars must be an integer in 0..10000");
        } else {
            s->min_chars = (size_t)json_integer_value(v);
        }
    } else {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "translation: unknown option \"%.64s\"", key);
    }
    return st;
}

static parley_status translation_create(const json_t *config, void *shared, parley_strategy **out,
                                        parley_error *err) {
    *out = NULL;
    translation_strategy *s =
        parley_strategy_new(&parley_translation_strategy_ops, sizeof *s, shared, err);
    if (s == NULL) {
        return err->status;
    }
    s->shared = shared;
    s->backend = BACKEND_APERTIUM;
    s->timeout_ms = PARLEY_TRANSLATION_DEFAULT_TIMEOUT_MS;
    s->min_chars = DEFAULT_MIN_CHARS;
    parley_status st = parley_strategy_each_option(config, translation_option, s, err);
    bool by_role = s->customer_language != NULL || s->agent_language != NULL;
    if (st == PARLEY_OK && by_role &&
        (s->customer_language == NULL || s->agent_language == NULL || s->target != NULL ||
         s->source != NULL)) {
        st = invalid(err, "give either target (and source) or both customer_language and "
                          "agent_language");
    }
    if (st == PARLEY_OK && !by_role && s->target == NULL) {
        st = invalid(err, "target is required (one of en, es, fr, pt, ca)");
    }
    if (st == PARLEY_OK && s->backend == BACKEND_LIBRE && s->url == NULL) {
        st = invalid(err, "url is required with backend libretranslate");
    }
    if (st != PARLEY_OK) {
        translation_destroy(&s->base);
        return st;
    }
    *out = &s->base;
    return PARLEY_OK;
}

static double elapsed_ms(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - start->tv_sec) * 1000.0 +
                (double)(now.tv_nsec - start->tv_nsec) / 1e6;
    return (double)(long)(ms * 10.0 + 0.5) / 10.0;
}

static const char *backend_name(const translation_strategy *s) {
    return s->backend == BACKEND_LIBRE ? "libretranslate" : "apertium";
}

/* PASS with {"translation": {"status", "error", "backend", "from"?, "to"}}:
 * "unavailable" when there is no route (or the language is unknown),
 * "failed" when the backend failed or timed out. */
static parley_strategy_result degrade(const translation_strategy *s, parley_strategy_context *ctx,
                                      const char *why, const char *from, const char *to) {
    bool unavailable = strcmp(why, "unsupported_pair") == 0 || strcmp(why, "unknown_language") == 0;
    json_t *info = json_pack("{s:s, s:s, s:s}", "status", unavailable ? "unavailable" : "failed",
                             "error", why, "backend", backend_name(s));
    if (from != NULL) {
        json_object_set_new(info, "from", json_string(from));
    }
    if (to != NULL) {
        json_object_set_new(info, "to", json_string(to));
    }
    json_object_set_new(ctx->meta, "translation", info);
    return PARLEY_STRATEGY_PASS;
}

/* A profile's language tag as a primary subtag in buf, or NULL. */
static const char *profile_language(const char *tag, char *buf, size_t size) {
    return parley_language_tag_primary(tag, buf, size) ? buf : NULL;
}

/* The session's assigned agent's profile language (buf), or NULL. */
static const char *assigned_agent_language(parley_strategy_context *ctx, char *buf, size_t size) {
    if (ctx->repo == NULL || ctx->session == NULL || ctx->session->agent_id[0] == '\0') {
        return NULL;
    }
    parley_agent agent;
    parley_error err;
    parley_error_clear(&err);
    const char *lang = NULL;
    if (ctx->repo->accounts->agent_get(ctx->repo, ctx->session->agent_id, &agent, &err) ==
        PARLEY_OK) {
        lang = profile_language(agent.language, buf, size);
        parley_agent_free(&agent);
    }
    return lang;
}

/* The customer's language when nothing declared it: their profile's
 * (POST /customers language, or the browser's Accept-Language then), else
 * what detection found in their latest messages of this session. */
static const char *customer_language(parley_strategy_context *ctx, char *buf, size_t size) {
    if (ctx->repo == NULL || ctx->session == NULL) {
        return NULL;
    }
    parley_error err;
    parley_error_clear(&err);
    parley_customer customer;
    const char *lang = NULL;
    if (ctx->repo->accounts->customer_get(ctx->repo, ctx->session->customer_id, &customer, &err) ==
        PARLEY_OK) {
        lang = profile_language(customer.language, buf, size);
        parley_customer_free(&customer);
    }
    if (lang != NULL) {
        return lang;
    }
    parley_message_range range = {
        .after_seq = 0, .before_seq = ctx->session->last_seq + 1, .limit = 20};
    parley_message_list list = {0};
    if (ctx->repo->messages->list(ctx->repo, ctx->session->id, &range, &list, &err) == PARLEY_OK) {
        for (size_t i = list.count; i-- > 0 && lang == NULL;) {
            const parley_message *m = &list.items[i];
            if (m->sender_kind != PARLEY_PARTICIPANT_CUSTOMER || m->meta_json == NULL) {
                continue;
            }
            json_t *meta = json_loads(m->meta_json, 0, NULL);
            const char *found = json_string_value(json_object_get(meta, "language"));
            if (found != NULL && parley_language_tag_primary(found, buf, size)) {
                lang = buf;
            }
            json_decref(meta);
        }
    }
    parley_message_list_free(&list);
    return lang;
}

/* The sender's own profile language (an agent's), or NULL. */
static const char *sender_language(const parley_strategy_context *ctx, char *buf, size_t size) {
    if (ctx->sender == NULL ||
        parley_participant_kind_of(ctx->sender) != PARLEY_PARTICIPANT_AGENT) {
        return NULL;
    }
    const parley_agent_participant *a = (const parley_agent_participant *)ctx->sender;
    return profile_language(a->agent.language, buf, size);
}

/* Who reads the message, in which language:
 *   a customer's message -> the assigned agent's profile language, else
 *     the desk's (agent_language, or target);
 *   anyone else's -> the customer's declared language (customer_language,
 *     or source in target mode), else their profile's, else the one
 *     detected in their messages; NULL when none is known.
 * known: the language the sender is expected to write in (used when
 * detection is unsure). */
static const char *reader_language(const translation_strategy *s, parley_strategy_context *ctx,
                                   const char **known, const char **profile, char *buf, size_t size,
                                   char *kbuf, size_t ksize) {
    const char *desk = s->agent_language != NULL ? s->agent_language : s->target;
    const char *declared = s->customer_language != NULL ? s->customer_language : s->source;
    *profile = NULL;
    if (ctx->message->sender_kind == PARLEY_PARTICIPANT_CUSTOMER) {
        *known = declared;
        if (*known == NULL && ctx->sender != NULL &&
            parley_participant_kind_of(ctx->sender) == PARLEY_PARTICIPANT_CUSTOMER) {
            const parley_customer_participant *c = (const parley_customer_participant *)ctx->sender;
            *profile = profile_language(c->customer.language, kbuf, ksize);
            *known = parley_langdetect_supported(*profile);
        }
        const char *agent = assigned_agent_language(ctx, buf, size);
        return agent != NULL ? agent : desk;
    }
    const char *own = sender_language(ctx, kbuf, ksize);
    *known = own != NULL && parley_langdetect_supported(own) != NULL ? own : desk;
    return declared != NULL ? declared : customer_language(ctx, buf, size);
}

/* One hop or a route through English over LibreTranslate: the server says
 * which pairs it has by refusing the others with 400. */
static parley_libre_result libre_route(const translation_strategy *s, const char *src,
                                       const char *dst, const char *text, char **out, char *pair,
                                       size_t pair_size) {
    snprintf(pair, pair_size, "%s-%s", src, dst);
    parley_libre_result r =
        parley_libre_translate(s->url, s->api_key, s->timeout_ms, src, dst, text, out);
    if (r != PARLEY_LIBRE_UNSUPPORTED || strcmp(src, "en") == 0 || strcmp(dst, "en") == 0) {
        return r;
    }
    char *middle = NULL;
    r = parley_libre_translate(s->url, s->api_key, s->timeout_ms, src, "en", text, &middle);
    if (r == PARLEY_LIBRE_OK) {
        r = parley_libre_translate(s->url, s->api_key, s->timeout_ms, "en", dst, middle, out);
        free(middle);
    }
    snprintf(pair, pair_size, "%s-en+en-%s", src, dst);
    return r;
}

static parley_strategy_result translation_process(parley_strategy *self,
                                                  parley_strategy_context *ctx, parley_error *err) {
    (void)err;
    translation_strategy *s = (translation_strategy *)self;
    const char *text = ctx->message->content;
    if (text == NULL || text[0] == '\0') {
        return PARLEY_STRATEGY_PASS;
    }
    char reader_buf[8], known_buf[8];
    const char *known = NULL;
    const char *profile = NULL; /* a customer's own language, any tag */
    const char *target = reader_language(s, ctx, &known, &profile, reader_buf, sizeof reader_buf,
                                         known_buf, sizeof known_buf);
    if (known == NULL) {
        known =
            parley_langdetect_supported(json_string_value(json_object_get(ctx->meta, "language")));
    }
    const char *src = parley_langdetect_detect(s->shared->detect, text, s->min_chars, known, NULL);
    if (src == NULL && profile != NULL && target != NULL && strcmp(profile, target) != 0) {
        /* a language detection does not know ("ja"): no route from it */
        return degrade(s, ctx, "unsupported_pair", profile, target);
    }
    if (src == NULL) {
        return degrade(s, ctx, "unknown_language", NULL, target);
    }
    json_object_set_new(ctx->meta, "language", json_string(src));
    if (target == NULL || strcmp(src, target) == 0) {
        return PARLEY_STRATEGY_PASS;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char *translated = NULL;
    char pair[160];
    if (s->backend == BACKEND_APERTIUM) {
        parley_apertium_result r = parley_apertium_translate(s->shared->apertium, src, target, text,
                                                             &translated, pair, sizeof pair);
        if (r != PARLEY_APERTIUM_OK) {
            return degrade(s, ctx,
                           r == PARLEY_APERTIUM_UNSUPPORTED ? "unsupported_pair"
                           : r == PARLEY_APERTIUM_TIMEOUT   ? "timeout"
                                                            : "backend_failed",
                           src, target);
        }
    } else {
        parley_libre_result r = libre_route(s, src, target, text, &translated, pair, sizeof pair);
        if (r != PARLEY_LIBRE_OK) {
            return degrade(s, ctx,
                           r == PARLEY_LIBRE_UNSUPPORTED ? "unsupported_pair"
                           : r == PARLEY_LIBRE_TIMEOUT   ? "timeout"
                                                         : "backend_failed",
                           src, target);
        }
    }
    double ms = elapsed_ms(&start);
    json_t *translations = json_object_get(ctx->meta, "translations");
    if (!json_is_object(translations)) {
        translations = json_object();
        json_object_set_new(ctx->meta, "translations", translations);
    }
    json_object_set_new(translations, target, json_string(translated));
    free(translated);
    json_t *info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "status", "translated", "from", src,
                             "to", target, "backend", backend_name(s), "pair", pair, "ms", ms);
    const char *plus = strchr(pair, '+');
    if (plus != NULL) {
        /* "eng-spa+es-pt", "es-en+en-fr": the pivot is the second hop's source */
        const char *dash = strchr(plus + 1, '-');
        const char *via =
            dash != NULL ? parley_apertium_iso(plus + 1, (size_t)(dash - (plus + 1))) : NULL;
        if (via != NULL) {
            json_object_set_new(info, "via", json_string(via));
        }
    }
    json_object_set_new(ctx->meta, "translation", info);
    return PARLEY_STRATEGY_MODIFIED;
}

char *parley_translation_text(void *shared, const char *from, const char *to, const char *text,
                              const char **from_out, char *pair, size_t pair_size) {
    translation_shared *s = shared;
    *from_out = NULL;
    if (s == NULL || to == NULL || text == NULL || text[0] == '\0') {
        return NULL;
    }
    const char *src =
        from != NULL ? parley_langdetect_supported(from)
                     : parley_langdetect_detect(s->detect, text, DEFAULT_MIN_CHARS, NULL, NULL);
    if (src == NULL || strcmp(src, to) == 0) {
        return NULL;
    }
    char *out = NULL;
    if (parley_apertium_translate(s->apertium, src, to, text, &out, pair, pair_size) !=
        PARLEY_APERTIUM_OK) {
        free(out);
        return NULL;
    }
    *from_out = src;
    return out;
}

static json_t *translation_describe(void *shared) {
    translation_shared *s = shared;
    json_t *pairs = json_array();
    json_t *langs = json_array();
    static const char *const all[] = {"en", "es", "fr", "pt", "ca"};
    if (s != NULL) {
        for (size_t i = 0; i < parley_apertium_pair_count(s->apertium); i++) {
            json_array_append_new(pairs, json_string(parley_apertium_pair_name(s->apertium, i)));
        }
    }
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        json_array_append_new(langs, json_string(all[i]));
    }
    json_t *options = json_pack(
        "{s:{s:s, s:n, s:O}, s:{s:s, s:n, s:O}, s:{s:s, s:n, s:O}, s:{s:s, s:n, s:O},"
        " s:{s:s, s:s, s:[s,s]}, s:{s:s, s:n}, s:{s:s, s:n}, s:{s:s, s:i}, s:{s:s, s:i}}",
        "target", "type", "string", "default", "enum", langs, "source", "type", "string", "default",
        "enum", langs, "customer_language", "type", "string", "default", "enum", langs,
        "agent_language", "type", "string", "default", "enum", langs, "backend", "type", "string",
        "default", "apertium", "enum", "apertium", "libretranslate", "url", "type", "string",
        "default", "api_key", "type", "string", "default", "timeout_ms", "type", "integer",
        "default", PARLEY_TRANSLATION_DEFAULT_TIMEOUT_MS, "min_chars", "type", "integer", "default",
        DEFAULT_MIN_CHARS);
    return json_pack("{s:o, s:o, s:[s,s], s:o}", "languages", langs, "pairs", pairs, "backends",
                     "apertium", "libretranslate", "options", options);
}

const parley_strategy_ops parley_translation_strategy_ops = {
    .name = "translation",
    .version = PARLEY_TRANSLATION_VERSION,
    .description = "detects the language and adds a translation into the session's target "
                   "language (apertium offline, or a LibreTranslate server)",
    .create = translation_create,
    .process = translation_process,
    .destroy = translation_destroy,
    .describe = translation_describe,
};
