#include "core/strategy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool parley_strategy_register(parley_strategy_registry *registry, const parley_strategy_ops *ops,
                              void *shared) {
    if (registry->count == PARLEY_STRATEGY_REGISTRY_MAX ||
        parley_strategy_find(registry, ops->name) != NULL) {
        return false;
    }
    registry->shared[registry->count] = shared;
    registry->ops[registry->count++] = ops;
    return true;
}

static void *shared_of(const parley_strategy_registry *registry, const parley_strategy_ops *ops) {
    for (size_t i = 0; i < registry->count; i++) {
        if (registry->ops[i] == ops) {
            return registry->shared[i];
        }
    }
    return NULL;
}

json_t *parley_strategy_registry_describe(const parley_strategy_registry *registry) {
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < registry->count; i++) {
        const parley_strategy_ops *ops = registry->ops[i];
        json_t *entry = json_pack("{s:s, s:s, s:s}", "name", ops->name, "version", ops->version,
                                  "description", ops->description);
        json_t *extra = ops->describe != NULL ? ops->describe(registry->shared[i]) : NULL;
        if (entry != NULL && json_is_object(extra)) {
            json_object_update_missing(entry, extra);
        }
        json_decref(extra);
        json_array_append_new(list, entry);
    }
    return list;
}

const parley_strategy_ops *parley_strategy_find(const parley_strategy_registry *registry,
                                                const char *name) {
    for (size_t i = 0; i < registry->count; i++) {
        if (strcmp(registry->ops[i]->name, name) == 0) {
            return registry->ops[i];
        }
    }
    return NULL;
}

void *parley_strategy_new(const parley_strategy_ops *ops, size_t size, const void *shared,
                          parley_error *err) {
    if (shared == NULL) {
        parley_error_set(err, PARLEY_E_INTERNAL, "internal", "%s: registered without shared state",
                         ops->name);
        return NULL;
    }
    parley_strategy *s = calloc(1, size);
    if (s == NULL) {
        parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "%s: out of memory", ops->name);
        return NULL;
    }
    s->ops = ops;
    return s;
}

parley_status parley_strategy_each_option(const json_t *config, parley_strategy_option_fn option,
                                          void *ctx, parley_error *err) {
    const char *key;
    const json_t *value;
    parley_status st = PARLEY_OK;
    json_object_foreach((json_t *)(uintptr_t)config, key, value) {
        st = strcmp(key, "name") == 0 ? PARLEY_OK : option(ctx, key, value, err);
        if (st != PARLEY_OK) {
            break;
        }
    }
    return st;
}

parley_status parley_strategy_chain_build(const parley_strategy_registry *registry,
                                          const char *strategies_json, parley_strategy **head,
                                          parley_error *err) {
    *head = NULL;
    if (strategies_json == NULL) {
        return PARLEY_OK;
    }
    json_error_t json_err;
    json_t *list = json_loads(strategies_json, 0, &json_err);
    if (!json_is_array(list)) {
        json_decref(list);
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "strategies must be an array of objects");
    }
    parley_strategy **tail = head;
    size_t index;
    json_t *entry;
    parley_status status = PARLEY_OK;
    json_array_foreach(list, index, entry) {
        const char *name = json_string_value(json_object_get(entry, "name"));
        if (!json_is_object(entry) || name == NULL) {
            status = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                      "strategies[%zu] needs a \"name\" string", index);
            break;
        }
        const parley_strategy_ops *ops = parley_strategy_find(registry, name);
        if (ops == NULL) {
            status = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                      "strategies[%zu]: unknown strategy \"%.64s\"", index, name);
            break;
        }
        parley_strategy *instance = NULL;
        status = ops->create(entry, shared_of(registry, ops), &instance, err);
        if (status != PARLEY_OK) {
            break;
        }
        instance->ops = ops;
        instance->next = NULL;
        *tail = instance;
        tail = &instance->next;
    }
    json_decref(list);
    if (status != PARLEY_OK) {
        parley_strategy_chain_free(*head);
        *head = NULL;
    }
    return status;
}

static void record_step(json_t *meta, const parley_strategy_ops *ops, const char *result) {
    json_t *log = json_object_get(meta, "processing");
    if (!json_is_array(log)) {
        log = json_array();
        json_object_set_new(meta, "processing", log);
    }
    json_array_append_new(log, json_pack("{s:s, s:s, s:s}", "strategy", ops->name, "version",
                                         ops->version, "result", result));
}

parley_strategy_result parley_strategy_chain_run(parley_strategy *head,
                                                 parley_strategy_context *ctx, parley_error *err) {
    parley_strategy_result overall = PARLEY_STRATEGY_PASS;
    for (parley_strategy *s = head; s != NULL; s = s->next) {
        parley_strategy_result r = s->ops->process(s, ctx, err);
        if (r == PARLEY_STRATEGY_REJECT) {
            record_step(ctx->meta, s->ops, "rejected");
            return PARLEY_STRATEGY_REJECT;
        }
        if (r == PARLEY_STRATEGY_MODIFIED) {
            record_step(ctx->meta, s->ops, "modified");
            overall = PARLEY_STRATEGY_MODIFIED;
        }
    }
    return overall;
}

void parley_strategy_chain_free(parley_strategy *head) {
    while (head != NULL) {
        parley_strategy *next = head->next;
        head->ops->destroy(head);
        head = next;
    }
}
