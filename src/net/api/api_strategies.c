/* REST handlers for strategy data admins edit: the profanity allowlist. The
 * router has checked the admin role; words are stored in the repository
 * (inside the request's transaction) and applied to the live filter once
 * that transaction commits. */
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/copies.h"
#include "core/ids.h"
#include "net/api/api.h"
#include "strategies/builtin.h"
#include "strategies/profanity.h"

static void *profanity_of(parley_api_call *call, parley_error *err) {
    void *shared = parley_builtin_profanity(call->conn->server->strategies);
    if (shared == NULL) {
        parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no profanity strategy here");
    }
    return shared;
}

void parley_api_list_allowlist(parley_api_call *call, parley_facade *f) {
    (void)f;
    parley_error err = {0};
    void *shared = profanity_of(call, &err);
    parley_api_reply(
        call, shared != NULL ? PARLEY_OK : PARLEY_E_NOT_FOUND, 200,
        shared != NULL ? json_pack("{s:o}", "words", parley_profanity_allowlist(shared)) : NULL,
        &err);
}

#define MAX_ALLOWLIST_WORD_BYTES 100

/* The live filter changes once the word's row is committed. */
typedef struct allowlist_change {
    void *shared;
    bool add;
    char word[];
} allowlist_change;

static void apply_allowlist_change(void *ctx) {
    allowlist_change *c = ctx;
    parley_error ignored = {0};
    if (c->add) {
        (void)parley_profanity_allow(c->shared, c->word, &ignored);
    } else {
        (void)parley_profanity_disallow(c->shared, c->word, &ignored);
    }
    parley_copies_changed(PARLEY_COPY_ALLOWLIST); /* the other nodes reload theirs */
}

static parley_status defer_allowlist_change(parley_facade *f, void *shared, const char *word,
                                            bool add, parley_error *err) {
    size_t n = strlen(word) + 1;
    allowlist_change *c = malloc(sizeof *c + n);
    if (c != NULL) {
        c->shared = shared;
        c->add = add;
        memcpy(c->word, word, n);
    }
    if (c == NULL || !parley_facade_after_commit(f, apply_allowlist_change, c, free)) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return PARLEY_OK;
}

/* Adding a word the list already holds in any spelling that normalises the
 * same ("Sh1t" when "shit" is there) changes nothing and answers 200 with
 * the entry as stored; a new word answers 201. */
void parley_api_add_allowlist(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *word = NULL;
    void *shared = profanity_of(call, &err);
    parley_status st = shared != NULL ? parley_api_body_text(call, &root, "word", &word, &err)
                                      : PARLEY_E_NOT_FOUND;
    if (st == PARLEY_OK && strlen(word) > MAX_ALLOWLIST_WORD_BYTES) {
        st = parley_error_set(&err, PARLEY_E_INVALID, "validation_failed", "word: at most %d bytes",
                              MAX_ALLOWLIST_WORD_BYTES);
    }
    char stored[MAX_ALLOWLIST_WORD_BYTES * 2 + 1];
    bool built_in = false;
    bool present = false;
    if (st == PARLEY_OK) {
        st = parley_profanity_allowlist_find(shared, word, stored, sizeof stored, &built_in, &err);
        present = st == PARLEY_OK;
        if (st == PARLEY_E_NOT_FOUND) {
            parley_error_clear(&err);
            st = PARLEY_OK;
        }
    }
    parley_repository *repo = parley_facade_repository(f);
    if (st == PARLEY_OK && !present) {
        st = repo->strategy_stores->allowlist_add(repo, word, call->caller->id, parley_now_ms(),
                                                  &err);
        if (st == PARLEY_OK) {
            st = parley_audit_record(repo, call->caller, "allowlist.add", NULL,
                                     call->conn->client_ip, json_pack("{s:s}", "word", word), &err);
        }
        if (st == PARLEY_OK) {
            st = defer_allowlist_change(f, shared, word, true, &err);
        }
    }
    json_t *body = st == PARLEY_OK ? json_pack("{s:s, s:b}", "word", present ? stored : word,
                                               "built_in", built_in)
                                   : NULL;
    parley_api_reply(call, st, present ? 200 : 201, body, &err);
    json_decref(root);
}

/* The path segment names the word in any spelling that normalises like it
 * ("Sh1t" removes "shit"); built-in words are part of the shipped lists
 * and stay (409). */
void parley_api_remove_allowlist(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    void *shared = profanity_of(call, &err);
    parley_repository *repo = parley_facade_repository(f);
    char stored[MAX_ALLOWLIST_WORD_BYTES * 2 + 1];
    bool built_in = false;
    parley_status st = shared != NULL
                           ? parley_profanity_allowlist_find(shared, call->params[0], stored,
                                                             sizeof stored, &built_in, &err)
                           : PARLEY_E_NOT_FOUND;
    if (st == PARLEY_OK && built_in) {
        st = parley_error_set(&err, PARLEY_E_CONFLICT, "conflict",
                              "\"%s\" is built in (data/wordlists/allowlist.txt) and cannot be "
                              "removed",
                              stored);
    }
    if (st == PARLEY_OK) {
        st = repo->strategy_stores->allowlist_remove(repo, stored, &err);
        if (st == PARLEY_E_NOT_FOUND) {
            parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "the word is not allowlisted");
        }
    }
    if (st == PARLEY_OK) {
        st = parley_audit_record(repo, call->caller, "allowlist.remove", NULL,
                                 call->conn->client_ip, json_pack("{s:s}", "word", stored), &err);
    }
    if (st == PARLEY_OK) {
        st = defer_allowlist_change(f, shared, stored, false, &err);
    }
    parley_api_reply_empty(call, st, &err);
}
