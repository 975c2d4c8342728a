#include "core/knowledge_base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/copies.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "util/text_similarity.h"
#include "util/validate.h"

#define QUESTION_MAX_CHARS 1000
#define ANSWER_MAX_CHARS 5000
#define ALTERNATIVES_MAX 20
#define TAGS_MAX 20
#define TAG_MAX_CHARS 50

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

/* ---- validation ----------------------------------------------------------- */

static parley_status check_string_list(const char *field, const json_t *v, size_t max_items,
                                       size_t max_chars, parley_error *err) {
    if (!json_is_array(v) || json_array_size(v) > max_items) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "%s: must be a list of at most %zu strings", field, max_items);
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_string(item)) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "%s: must be a list of strings", field);
        }
        parley_status st =
            parley_check_text(field, json_string_value(item), true, 1, max_chars, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    return PARLEY_OK;
}

parley_status parley_kb_check_fields(const json_t *body, bool create, parley_error *err) {
    if (!json_is_object(body)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "the body must be a JSON object");
    }
    static const char *const known[] = {"question", "answer", "alternatives", "tags"};
    size_t seen = 0;
    for (size_t i = 0; i < 4; i++) {
        seen += json_object_get(body, known[i]) != NULL;
    }
    if (seen != json_object_size(body)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "only question, answer, alternatives and tags may be given");
    }
    if (!create && seen == 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "nothing to change: give question, answer, alternatives or tags");
    }
    const json_t *q = json_object_get(body, "question");
    const json_t *a = json_object_get(body, "answer");
    parley_status st = PARLEY_OK;
    if (create || q != NULL) {
        st = q != NULL && !json_is_string(q)
                 ? parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "question: must be a string")
                 : parley_check_text("question", json_string_value(q), true, 1, QUESTION_MAX_CHARS,
                                     err);
    }
    if (st == PARLEY_OK && (create || a != NULL)) {
        st =
            a != NULL && !json_is_string(a)
                ? parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                   "answer: must be a string")
                : parley_check_text("answer", json_string_value(a), true, 1, ANSWER_MAX_CHARS, err);
    }
    const json_t *alts = json_object_get(body, "alternatives");
    if (st == PARLEY_OK && alts != NULL) {
        st = check_string_list("alternatives", alts, ALTERNATIVES_MAX, QUESTION_MAX_CHARS, err);
    }
    const json_t *tags = json_object_get(body, "tags");
    if (st == PARLEY_OK && tags != NULL) {
        st = check_string_list("tags", tags, TAGS_MAX, TAG_MAX_CHARS, err);
    }
    return st;
}

/* Copies the given fields of body into e (replacing what was there). */
static bool apply_fields(parley_kb_entry *e, const json_t *body) {
    const json_t *q = json_object_get(body, "question");
    const json_t *a = json_object_get(body, "answer");
    const json_t *alts = json_object_get(body, "alternatives");
    const json_t *tags = json_object_get(body, "tags");
    if (q != NULL) {
        free(e->question);
        e->question = strdup(json_string_value(q));
    }
    if (a != NULL) {
        free(e->answer);
        e->answer = strdup(json_string_value(a));
    }
    if (alts != NULL) {
        free(e->alternatives_json);
        e->alternatives_json = json_dumps(alts, JSON_COMPACT);
    }
    if (tags != NULL) {
        free(e->tags_json);
        e->tags_json = json_dumps(tags, JSON_COMPACT);
    }
    if (e->alternatives_json == NULL) {
        e->alternatives_json = strdup("[]");
    }
    if (e->tags_json == NULL) {
        e->tags_json = strdup("[]");
    }
    return e->question != NULL && e->answer != NULL && e->alternatives_json != NULL &&
           e->tags_json != NULL;
}

static parley_status not_found(parley_status st, parley_error *err) {
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such entry");
    }
    return st;
}

parley_status parley_kb_create(parley_repository *repo, const parley_participant *caller,
                               const json_t *body, parley_kb_entry *out, parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_status st = parley_kb_check_fields(body, true, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_kb_entry e = {0};
    parley_id_new("kb", e.id);
    snprintf(e.created_by, sizeof e.created_by, "%s", caller->id);
    e.created_at = e.updated_at = parley_now_ms();
    if (!apply_fields(&e, body)) {
        parley_kb_entry_free(&e);
        return nomem(err);
    }
    st = repo->kb->insert(repo, &e, err);
    if (st == PARLEY_OK) {
        st = repo->kb->get(repo, e.id, out, err); /* with the store's position */
    }
    parley_kb_entry_free(&e);
    return st;
}

parley_status parley_kb_get(parley_repository *repo, const char *id, parley_kb_entry *out,
                            parley_error *err) {
    return not_found(repo->kb->get(repo, id, out, err), err);
}

parley_status parley_kb_update(parley_repository *repo, const char *id, const json_t *patch,
                               parley_kb_entry *out, parley_error *err) {
    parley_status st = parley_kb_check_fields(patch, false, err);
    if (st == PARLEY_OK) {
        st = parley_kb_get(repo, id, out, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    out->updated_at = parley_now_ms();
    st = apply_fields(out, patch) ? repo->kb->update(repo, out, err) : nomem(err);
    if (st != PARLEY_OK) {
        parley_kb_entry_free(out);
    }
    return not_found(st, err);
}

parley_status parley_kb_delete(parley_repository *repo, const char *id, parley_error *err) {
    return not_found(repo->kb->delete (repo, id, err), err);
}

json_t *parley_kb_entry_to_json(const parley_kb_entry *e) {
    char created[PARLEY_TIME_TEXT_SIZE];
    char updated[PARLEY_TIME_TEXT_SIZE];
    parley_time_format(e->created_at, created);
    parley_time_format(e->updated_at, updated);
    json_t *alts = json_loads(e->alternatives_json != NULL ? e->alternatives_json : "[]", 0, NULL);
    json_t *tags = json_loads(e->tags_json != NULL ? e->tags_json : "[]", 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "id", e->id, "question",
                     e->question != NULL ? e->question : "", "answer",
                     e->answer != NULL ? e->answer : "", "alternatives",
                     alts != NULL ? alts : json_array(), "tags", tags != NULL ? tags : json_array(),
                     "created_at", created, "updated_at", updated);
}

PARLEY_DEFINE_LIST_JSON(parley_kb_list, parley_kb_entry_to_json)

/* ---- the shared index -------------------------------------------------------- */

static pthread_rwlock_t index_lock = PTHREAD_RWLOCK_INITIALIZER;
static parley_tsim_index *index_ix;  /* guarded by index_lock */
static parley_kb_list index_entries; /* the documents, by number */
static uint64_t index_generation;    /* the generation it was built from; 0 = none */
static atomic_uint_fast64_t generation = 1;

void parley_kb_stale(void) {
    atomic_fetch_add(&generation, 1);
}

void parley_kb_changed(void *ctx) {
    (void)ctx;
    parley_kb_stale();
    parley_copies_changed(PARLEY_COPY_KB); /* the other nodes' indexes too */
}

typedef struct load_ctx {
    parley_kb_list *list;
    bool failed;
} load_ctx;

static void load_one(void *ctx, const parley_kb_entry *e) {
    load_ctx *c = ctx;
    parley_kb_entry *slot = c->failed ? NULL : parley_kb_list_push(c->list);
    if (slot == NULL) {
        c->failed = true;
        return;
    }
    *slot = *e;
    slot->question = strdup(e->question != NULL ? e->question : "");
    slot->answer = strdup(e->answer != NULL ? e->answer : "");
    slot->alternatives_json = strdup(e->alternatives_json != NULL ? e->alternatives_json : "[]");
    slot->tags_json = strdup(e->tags_json != NULL ? e->tags_json : "[]");
    if (slot->question == NULL || slot->answer == NULL || slot->alternatives_json == NULL ||
        slot->tags_json == NULL) {
        c->failed = true;
    }
}

/* Called with the write lock held. */
static parley_status rebuild(parley_repository *repo, uint64_t gen, parley_error *err) {
    parley_kb_list list = {0};
    load_ctx ctx = {&list, false};
    parley_status st = repo->kb->load(repo, load_one, &ctx, err);
    if (st == PARLEY_OK && ctx.failed) {
        st = nomem(err);
    }
    parley_tsim_index *ix = st == PARLEY_OK ? parley_tsim_index_new() : NULL;
    if (st == PARLEY_OK && ix == NULL) {
        st = nomem(err);
    }
    for (size_t i = 0; st == PARLEY_OK && i < list.count; i++) {
        bool ok = parley_tsim_index_add(ix, i, list.items[i].question);
        json_t *alts = json_loads(list.items[i].alternatives_json, 0, NULL);
        for (size_t j = 0; ok && j < json_array_size(alts); j++) {
            ok = parley_tsim_index_add(ix, i, json_string_value(json_array_get(alts, j)));
        }
        json_decref(alts);
        if (!ok) {
            st = nomem(err);
        }
    }
    if (st == PARLEY_OK && !parley_tsim_index_build(ix)) {
        st = nomem(err);
    }
    if (st != PARLEY_OK) {
        parley_tsim_index_free(ix);
        parley_kb_list_free(&list);
        return st;
    }
    parley_tsim_index_free(index_ix);
    parley_kb_list_free(&index_entries);
    index_ix = ix;
    index_entries = list;
    index_generation = gen;
    return PARLEY_OK;
}

/* Returns with the read lock held and a current index, or an error
 * without the lock. */
static parley_status read_current(parley_repository *repo, parley_error *err) {
    for (;;) {
        pthread_rwlock_rdlock(&index_lock);
        uint64_t gen = atomic_load(&generation);
        if (index_ix != NULL && index_generation == gen) {
            return PARLEY_OK;
        }
        pthread_rwlock_unlock(&index_lock);
        pthread_rwlock_wrlock(&index_lock);
        /* the generation is read before the entries: a change committed
         * while loading leaves the index one generation behind, so the
         * next search rebuilds again rather than trusting it */
        gen = atomic_load(&generation);
        parley_status st = PARLEY_OK;
        if (index_ix == NULL || index_generation != gen) {
            st = rebuild(repo, gen, err);
        }
        pthread_rwlock_unlock(&index_lock);
        if (st != PARLEY_OK) {
            return st;
        }
    }
}

parley_status parley_kb_search(parley_repository *repo, const char *q, int limit, double min_score,
                               json_t **out, parley_error *err) {
    *out = NULL;
    parley_tsim_match matches[PARLEY_KB_SEARCH_MAX];
    if (limit < 1 || limit > PARLEY_KB_SEARCH_MAX) {
        limit = PARLEY_KB_SEARCH_MAX;
    }
    parley_status st = read_current(repo, err);
    if (st != PARLEY_OK) {
        return st;
    }
    size_t n = parley_tsim_query(index_ix, q, matches, (size_t)limit);
    json_t *hits = json_array();
    for (size_t i = 0; hits != NULL && i < n; i++) {
        if (matches[i].score < min_score) {
            break;
        }
        /* three decimals: scores are compared by people, not bits */
        double score = (double)(long long)(matches[i].score * 1000.0 + 0.5) / 1000.0;
        json_t *hit = json_pack("{s:o, s:f}", "entry",
                                parley_kb_entry_to_json(&index_entries.items[matches[i].doc]),
                                "score", score);
        if (hit == NULL || json_array_append_new(hits, hit) != 0) {
            json_decref(hits);
            hits = NULL;
        }
    }
    pthread_rwlock_unlock(&index_lock);
    if (hits == NULL) {
        return nomem(err);
    }
    *out = hits;
    return PARLEY_OK;
}

parley_status parley_kb_best(parley_repository *repo, const char *text, char **answer,
                             char entry_id[PARLEY_ID_SIZE], double *score, parley_error *err) {
    *answer = NULL;
    entry_id[0] = '\0';
    *score = 0;
    parley_status st = read_current(repo, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_tsim_match m;
    if (parley_tsim_query(index_ix, text, &m, 1) == 1) {
        const parley_kb_entry *e = &index_entries.items[m.doc];
        *answer = strdup(e->answer);
        snprintf(entry_id, PARLEY_ID_SIZE, "%s", e->id);
        *score = m.score;
        if (*answer == NULL) {
            st = nomem(err);
        }
    }
    pthread_rwlock_unlock(&index_lock);
    return st;
}
