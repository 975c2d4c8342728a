#include "net/desk/bot_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

typedef struct bot_job {
    parley_job job; /* first: the executor hands it back */
    parley_bot_turn turn;
} bot_job;

static void bot_prepare(parley_job *job, parley_facade *facade) {
    bot_job *b = (bot_job *)job;
    parley_error err = {0};
    job->status = parley_bot_turn_prepare(parley_facade_chat(facade), &b->turn, &err);
    if (job->status != PARLEY_OK) {
        parley_log_warn("bot turn in %s failed: %s", b->turn.session_id, err.message);
    }
    /* nothing to say: done without visiting the writer */
    job->answered = b->turn.action == PARLEY_BOT_NOTHING;
}

static void bot_run(parley_job *job, parley_facade *facade) {
    bot_job *b = (bot_job *)job;
    parley_error err = {0};
    job->status = parley_facade_bot_apply(facade, &b->turn, &err);
    if (job->status != PARLEY_OK) {
        parley_log_warn("bot reply in %s failed: %s", b->turn.session_id, err.message);
    }
}

static void bot_done(parley_job *job) {
    bot_job *b = (bot_job *)job;
    parley_bot_turn_free(&b->turn);
    free(b);
}

static void submit(parley_executor *ex, const parley_event *event) {
    bot_job *b = parley_job_new(sizeof *b, PARLEY_JOB_BATCHED, bot_run, bot_done);
    if (b == NULL) {
        parley_log_error("bot turn dropped: out of memory");
        return;
    }
    b->job.prepare = bot_prepare;
    snprintf(b->turn.session_id, sizeof b->turn.session_id, "%s", event->session_id);
    b->turn.seq = event->seq;
    if (parley_executor_submit(ex, &b->job) != PARLEY_OK) {
        free(b); /* stopping: the reply is lost, the message is not */
    }
}

/* committed: the bot answers in a unit of its own */
static void on_message_created(void *ctx, const parley_event *event) {
    parley_executor **executor = ctx;
    if (*executor != NULL && parley_bot_wants_turn(event)) {
        submit(*executor, event);
    }
}

bool parley_bot_jobs_subscribe(parley_event_registry *reg, parley_executor **executor) {
    return parley_event_subscribe_after_commit(reg, PARLEY_EVENT_BIT(PARLEY_EVENT_MESSAGE_CREATED),
                                               on_message_created, executor);
}
