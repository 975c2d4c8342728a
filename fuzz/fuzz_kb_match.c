/*
 * fuzz_kb_match.c - the knowledge-base matcher: the entry validation of
 * core/knowledge_base.h (parley_kb_check_fields) and the TF-IDF matcher
 * under it (core/text_similarity.h), built from what an admin may store
 * and queried with what a customer may type.
 *
 * The input is split at the first 0xFF byte: before it, a JSON body for
 * POST /api/v1/kb/entries (byte 0 bit 0: as an update instead); after it,
 * up to the first NUL, a customer's question. Checks:
 *  - parley_tsim_normalize gives NULL exactly for invalid UTF-8
 *    (RFC 3629 reference); otherwise valid UTF-8 with no upper-case ASCII,
 *    and normalising again changes nothing;
 *  - an accepted body is an object of only question/answer/alternatives/
 *    tags, with a non-empty question and answer on create; a refusal is
 *    400 validation_failed that reaches the client;
 *  - an index built from the accepted question (doc 0), its alternatives
 *    (doc 0) and two fixed entries (docs 1, 2) answers the question and
 *    each phrasing: at most max results, each with a known doc and a
 *    score in (0, 1], best first (ties: lower doc first), no doc twice;
 *  - a phrasing with a word that is not a stopword finds its own entry
 *    first, scoring (about) 1 - the matcher finds what it indexed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/knowledge_base.h"
#include "core/text_similarity.h"
#include "fuzz_checks.h"

static const char *const fixed[] = {
    "How do I reset my password?",
    "¿Cuál es el horario de atención?",
};

static void check_normalize(const char *text) {
    char *a = parley_tsim_normalize(text);
    bool valid = ref_utf8_valid((const uint8_t *)text, strlen(text), NULL);
    CHECK((a != NULL) == valid);
    if (a == NULL) {
        return;
    }
    CHECK(ref_utf8_valid((const uint8_t *)a, strlen(a), NULL));
    for (const char *p = a; *p != '\0'; p++) {
        CHECK(!(*p >= 'A' && *p <= 'Z'));
    }
    char *b = parley_tsim_normalize(a);
    CHECK(b != NULL && strcmp(a, b) == 0);
    free(b);
    free(a);
}

static void check_results(const parley_tsim_match *m, size_t n, size_t max, size_t docs) {
    CHECK(n <= max);
    for (size_t i = 0; i < n; i++) {
        CHECK(m[i].doc < docs);
        CHECK(m[i].score > 0 && m[i].score <= 1.0 + 1e-9);
        for (size_t j = 0; j < i; j++) {
            CHECK(m[j].doc != m[i].doc);
        }
        if (i > 0) {
            CHECK(m[i - 1].score > m[i].score ||
                  (m[i - 1].score == m[i].score && m[i - 1].doc < m[i].doc));
        }
    }
}

/* Does the normalised text have a letter or digit (a feature)? */
static bool has_word(const char *text) {
    char *norm = parley_tsim_normalize(text);
    bool any = false;
    for (const char *p = norm; p != NULL && *p != '\0'; p++) {
        any = any || isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80;
    }
    free(norm);
    return any;
}

static void query(const parley_tsim_index *ix, const char *text, size_t docs, size_t self) {
    parley_tsim_match m[4];
    size_t n = parley_tsim_query(ix, text, m, 4);
    check_results(m, n, 4, docs);
    parley_tsim_match one;
    size_t n1 = parley_tsim_query(ix, text, &one, 1);
    CHECK(n1 == (n > 0));
    if (n1 == 1) {
        CHECK(one.doc == m[0].doc && one.score == m[0].score);
    }
    /* its own entry scores highest (a stopword-only phrasing has no
     * features and matches nothing) */
    if (self != (size_t)-1 && n > 0) {
        double own = 0;
        for (size_t i = 0; i < n; i++) {
            if (m[i].doc == self) {
                own = m[i].score;
            }
        }
        CHECK(own >= m[0].score - 1e-9);
    }
}

static void check_index(const json_t *body, const char *customer) {
    const char *q = json_string_value(json_object_get(body, "question"));
    const json_t *alts = json_object_get(body, "alternatives");
    parley_tsim_index *ix = parley_tsim_index_new();
    CHECK(ix != NULL);
    size_t phrasings = 0;
    if (q != NULL) {
        CHECK(parley_tsim_index_add(ix, 0, q));
        phrasings++;
    }
    for (size_t i = 0; i < json_array_size(alts); i++) {
        CHECK(parley_tsim_index_add(ix, 0, json_string_value(json_array_get(alts, i))));
        phrasings++;
    }
    for (size_t i = 0; i < 2; i++) {
        CHECK(parley_tsim_index_add(ix, i + 1, fixed[i]));
    }
    CHECK(parley_tsim_index_build(ix));
    CHECK(parley_tsim_index_phrasings(ix) == phrasings + 2);
    if (q != NULL) {
        query(ix, q, 3, has_word(q) ? 0 : (size_t)-1);
    }
    for (size_t i = 0; i < json_array_size(alts); i++) {
        const char *a = json_string_value(json_array_get(alts, i));
        query(ix, a, 3, has_word(a) ? 0 : (size_t)-1);
    }
    for (size_t i = 0; i < 2; i++) {
        query(ix, fixed[i], 3, (size_t)-1);
    }
    if (customer != NULL) {
        query(ix, customer, 3, (size_t)-1);
    }
    parley_tsim_index_free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    bool create = (data[0] & 1) == 0;
    const uint8_t *body = data + 1;
    size_t rest = size - 1;
    const uint8_t *sep = memchr(body, 0xFF, rest);
    size_t body_len = sep != NULL ? (size_t)(sep - body) : rest;
    const char *question = NULL;
    char *qbuf = NULL;
    if (sep != NULL) {
        size_t qn = strnlen((const char *)sep + 1, rest - body_len - 1);
        qbuf = malloc(qn + 1);
        CHECK(qbuf != NULL);
        memcpy(qbuf, sep + 1, qn);
        qbuf[qn] = '\0';
        question = qbuf;
        check_normalize(question);
        /* the customer's text against the fixed entries alone */
        parley_tsim_index *ix = parley_tsim_index_new();
        CHECK(ix != NULL);
        for (size_t i = 0; i < 2; i++) {
            CHECK(parley_tsim_index_add(ix, i, fixed[i]));
        }
        CHECK(parley_tsim_index_build(ix));
        query(ix, question, 2, (size_t)-1);
        parley_tsim_index_free(ix);
    }

    json_t *v = json_loadb((const char *)body, body_len, JSON_DECODE_ANY, NULL);
    if (v != NULL) {
        parley_error err = {0};
        parley_status st = parley_kb_check_fields(v, create, &err);
        if (st == PARLEY_OK) {
            CHECK(json_is_object(v));
            const char *k;
            json_t *m;
            json_object_foreach(v, k, m) {
                CHECK(strcmp(k, "question") == 0 || strcmp(k, "answer") == 0 ||
                      strcmp(k, "alternatives") == 0 || strcmp(k, "tags") == 0);
            }
            if (create) {
                CHECK(json_string_length(json_object_get(v, "question")) > 0);
                CHECK(json_string_length(json_object_get(v, "answer")) > 0);
            } else {
                CHECK(json_object_size(v) > 0);
            }
            check_normalize(json_string_value(json_object_get(v, "question")) != NULL
                                ? json_string_value(json_object_get(v, "question"))
                                : "");
            check_index(v, question);
        } else {
            CHECK(st == PARLEY_E_INVALID || st == PARLEY_E_NOMEM);
            if (st == PARLEY_E_INVALID) {
                CHECK(strcmp(err.code, "validation_failed") == 0);
                check_error_reaches_client(&err);
            }
        }
        json_decref(v);
    }
    free(qbuf);
    return 0;
}
