#include "core/retention.h"

#include <stdlib.h>
#include <string.h>

#include "core/audit.h"

void parley_retention_policy_from_config(const parley_config *cfg, parley_retention_policy *out) {
    memset(out, 0, sizeof *out);
    out->token_idle_timeout_s = cfg->token_idle_timeout_s;
    out->customer_max_age_s = cfg->retention_customers_s;
    out->audit_max_age_s = cfg->retention_audit_s;
    out->upload_max_age_s = cfg->retention_uploads_s;
    out->notification_max_age_s = cfg->retention_notifications_s;
    out->batch = (int)cfg->retention_batch;
}

int64_t parley_retention_rows(const parley_retention_counts *counts) {
    return counts->tokens + counts->customers + counts->audit_entries + counts->uploads +
           counts->notifications + counts->password_resets;
}

/* The content hashes a pass left unreferenced, and what to do with them
 * once the pass committed. */
typedef struct files_action {
    parley_repository *repo;
    parley_retention_remove_fn remove;
    void *remove_ctx;
    parley_retention_counts *counts;
    char (*hashes)[PARLEY_SHA256_HEX_SIZE];
    size_t count;
    size_t cap;
    bool nomem;
} files_action;

static void collect_hash(void *ctx, const char *sha256) {
    files_action *a = ctx;
    if (a->count == a->cap) {
        size_t cap = a->cap == 0 ? 16 : a->cap * 2;
        void *grown = realloc(a->hashes, cap * sizeof a->hashes[0]);
        if (grown == NULL) {
            a->nomem = true;
            return;
        }
        a->hashes = grown;
        a->cap = cap;
    }
    memcpy(a->hashes[a->count], sha256, PARLEY_SHA256_HEX_SIZE - 1);
    a->hashes[a->count][PARLEY_SHA256_HEX_SIZE - 1] = '\0';
    a->count++;
}

static void files_action_free(void *ctx) {
    files_action *a = ctx;
    free(a->hashes);
    free(a);
}

/* After the commit, on the writer (autocommit reads see every committed
 * row and no other unit runs meanwhile): a hash still unreferenced now
 * stays so, since upload rows are inserted only on this thread. */
static void remove_files(void *ctx) {
    files_action *a = ctx;
    for (size_t i = 0; i < a->count; i++) {
        parley_error err = {0};
        bool in_use = true;
        if (a->repo->uploads->hash_in_use(a->repo, a->hashes[i], &in_use, &err) != PARLEY_OK ||
            in_use) {
            continue; /* kept: unknown is not "unused" */
        }
        if (a->remove(a->remove_ctx, a->hashes[i])) {
            a->counts->files++;
        }
    }
}

static parley_time_ms before(parley_time_ms now, int64_t max_age_s) {
    return now - max_age_s * 1000;
}

static void note_batch(parley_retention_counts *counts, int64_t deleted, int batch) {
    counts->more = counts->more || deleted >= batch;
}

parley_status parley_retention_run(parley_repository *repo, const parley_retention_policy *policy,
                                   parley_time_ms now, parley_retention_remove_fn remove,
                                   void *remove_ctx, parley_after_commit *after_commit,
                                   parley_retention_counts *counts, parley_error *err) {
    memset(counts, 0, sizeof *counts);
    const parley_retention_ops *ops = repo->retention;
    int batch = policy->batch;
    /* tokens that no longer work are useless: always purged */
    parley_status st = ops->purge_tokens(repo, now, before(now, policy->token_idle_timeout_s),
                                         batch, &counts->tokens, err);
    note_batch(counts, counts->tokens, batch);
    if (st == PARLEY_OK) {
        st = ops->purge_password_resets(repo, now, batch, &counts->password_resets, err);
        note_batch(counts, counts->password_resets, batch);
    }
    if (st == PARLEY_OK && policy->customer_max_age_s > 0) {
        st = ops->purge_customers(repo, before(now, policy->customer_max_age_s), batch,
                                  &counts->customers, err);
        note_batch(counts, counts->customers, batch);
    }
    if (st == PARLEY_OK && policy->audit_max_age_s > 0) {
        st = ops->purge_audit(repo, before(now, policy->audit_max_age_s), batch,
                              &counts->audit_entries, err);
        note_batch(counts, counts->audit_entries, batch);
    }
    if (st == PARLEY_OK && policy->notification_max_age_s > 0) {
        st = ops->purge_notifications(repo, before(now, policy->notification_max_age_s), batch,
                                      &counts->notifications, err);
        note_batch(counts, counts->notifications, batch);
    }
    files_action *files = NULL;
    if (st == PARLEY_OK && policy->upload_max_age_s > 0) {
        files = calloc(1, sizeof *files);
        if (files == NULL) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        } else {
            *files = (files_action){
                .repo = repo, .remove = remove, .remove_ctx = remove_ctx, .counts = counts};
            st = ops->purge_uploads(repo, before(now, policy->upload_max_age_s), batch,
                                    &counts->uploads, collect_hash, files, err);
            note_batch(counts, counts->uploads, batch);
            if (st == PARLEY_OK && files->nomem) {
                st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
            }
        }
    }
    if (st == PARLEY_OK && parley_retention_rows(counts) > 0) {
        json_t *detail = json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "via", "retention", "tokens",
            (json_int_t)counts->tokens, "customers", (json_int_t)counts->customers, "audit_entries",
            (json_int_t)counts->audit_entries, "uploads", (json_int_t)counts->uploads,
            "notifications", (json_int_t)counts->notifications, "password_resets",
            (json_int_t)counts->password_resets);
        st = parley_audit_record(repo, NULL, "retention.purge", NULL, NULL, detail, err);
    }
    if (st == PARLEY_OK && files != NULL && files->count > 0 && remove != NULL) {
        /* the queue owns files from here, run or not */
        if (!parley_after_commit_add(after_commit, remove_files, files, files_action_free)) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
        files = NULL;
    }
    if (files != NULL) {
        files_action_free(files);
    }
    if (st != PARLEY_OK) {
        parley_retention_counts zero = {0};
        *counts = zero;
    }
    return st;
}
