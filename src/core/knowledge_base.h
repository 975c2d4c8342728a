/*
 * knowledge_base.h - the ChatBot's question/answer entries, which admins
 * edit through the API, and the matcher over them.
 *
 * An entry is {id, question, answer, alternatives: [other phrasings],
 * tags: [...]}. Matching uses util/text_similarity.h: every question and
 * alternative is a phrasing of its entry; an entry scores as its best
 * phrasing.
 *
 * The index lives in memory, one per process, shared by every worker
 * thread under a rwlock. A change to the entries bumps a generation counter
 * after its unit commits (parley_kb_changed, queued as an after-commit
 * action by the facade); the next search sees the index is older than the
 * generation and rebuilds it from the repository. Searches must therefore
 * run where the repository sees committed state only: pool threads in
 * autocommit, never inside the writer's open batch (the facade's callers,
 * net/api/api_kb.c and net/desk/bot_jobs.c, keep to that). Measured (1000 one-line
 * entries, -O2): about 90 ms to build, once per change, and 0.8 ms per
 * query; building per query would cost the former every time. With several
 * nodes (--redis), parley_kb_changed also tells the others (core/copies.h):
 * they call parley_kb_stale and rebuild at their next search.
 *
 * Threads: any worker thread with its own repository handle.
 * Ownership: outputs belong to the caller.
 */
#ifndef PARLEY_KNOWLEDGE_BASE_H
#define PARLEY_KNOWLEDGE_BASE_H

#include <jansson.h>

#include "util/error.h"
#include "core/model.h"
#include "core/participant.h"
#include "core/repository.h"

#define PARLEY_KB_SEARCH_MAX 20

/* Validates and stores a new entry from {question, answer, alternatives?,
 * tags?} (unknown fields are refused, 400 naming them). */
parley_status parley_kb_create(parley_repository *repo, const parley_participant *caller,
                               const json_t *body, parley_kb_entry *out, parley_error *err);
/* Applies a partial change {question?, answer?, alternatives?, tags?}. */
parley_status parley_kb_update(parley_repository *repo, const char *id, const json_t *patch,
                               parley_kb_entry *out, parley_error *err);
parley_status parley_kb_delete(parley_repository *repo, const char *id, parley_error *err);
parley_status parley_kb_get(parley_repository *repo, const char *id, parley_kb_entry *out,
                            parley_error *err);

/* The validation of _create (create true) and _update: only question,
 * answer, alternatives, tags; question and answer non-empty text (at most
 * 1000 / 5000 characters), alternatives at most 20 questions, tags at most
 * 20 of 50 characters; an update changes something. Exposed for
 * fuzz/fuzz_kb_match.c. */
parley_status parley_kb_check_fields(const json_t *body, bool create, parley_error *err);

/* The wire form of an entry, and of a list of them (core/model_json.h). */
json_t *parley_kb_entry_to_json(const parley_kb_entry *e);
json_t *parley_kb_list_to_json(const parley_kb_list *list);

/* The entries marked changed: the next search rebuilds the index. An
 * after-commit action (ctx unused). */
void parley_kb_changed(void *ctx);
/* The index is stale (another node changed the entries): the next search
 * rebuilds it. Any thread. */
void parley_kb_stale(void);

/* Up to limit matches of q, best first, each scoring at least min_score
 * (0..1): a JSON array of {entry, score} (a new reference). */
parley_status parley_kb_search(parley_repository *repo, const char *q, int limit, double min_score,
                               json_t **out, parley_error *err);

/* The best entry for text: *answer (malloc'd, NULL when the knowledge base
 * is empty or nothing matched), its entry id and score. */
parley_status parley_kb_best(parley_repository *repo, const char *text, char **answer,
                             char entry_id[PARLEY_ID_SIZE], double *score, parley_error *err);

#endif
