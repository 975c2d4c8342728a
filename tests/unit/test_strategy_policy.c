/* The operator's strategy policy (core/strategy_policy.h): the policy's
 * chain whatever the customer sends, customers choosing only the options
 * the policy allows, and the checks an admin's policy passes. Uses a small
 * test strategy "tr" with the options "lang" and "backend". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strategy_stubs.h"
#include "core/strategy_policy.h"

static int tr_builds; /* how many times a "tr" was created (chains built) */

static parley_status tr_create(const json_t *config, void *shared, parley_strategy **out,
                               parley_error *err) {
    tr_builds++;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)(uintptr_t)config, key, value) {
        if (strcmp(key, "name") != 0 && strcmp(key, "lang") != 0 && strcmp(key, "backend") != 0) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "tr: unknown option %s", key);
        }
        if (strcmp(key, "lang") == 0 && json_string_length(value) != 2) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "tr: lang must be a two-letter code");
        }
    }
    return stub_create(config, shared, out, err);
}

static const parley_strategy_ops tr_ops =
    TEST_STRATEGY_OPS("tr", "1.0", "test: options lang and backend", tr_create, refuse);
static const parley_strategy_ops filter_ops =
    TEST_STRATEGY_OPS("filter", "1.0", "test: no options", stub_create, refuse);

static parley_strategy_registry registry;

static json_t *policy_of(const char *text) {
    json_t *p = json_loads(text, 0, NULL);
    assert_non_null(p);
    return p;
}

/* Resolves and answers the chain text (NULL on refusal, *st set). */
static char *resolve(const char *policy_text, const char *default_chain, const char *requested,
                     parley_status *st, parley_error *err) {
    json_t *policy = policy_of(policy_text);
    char *chain = NULL;
    *st = parley_strategy_policy_resolve(&registry, policy, default_chain, requested, &chain, err);
    json_decref(policy);
    return chain;
}

static void assert_chain(const char *policy, const char *def, const char *requested,
                         const char *expected) {
    parley_error err = {0};
    parley_status st;
    char *chain = resolve(policy, def, requested, &st, &err);
    assert_int_equal(st, PARLEY_OK);
    assert_string_equal(chain, expected);
    free(chain);
}

static void assert_refused(const char *policy, const char *requested, parley_status expected,
                           const char *needle) {
    parley_error err = {0};
    parley_status st;
    char *chain = resolve(policy, "[]", requested, &st, &err);
    assert_null(chain);
    assert_int_equal(st, expected);
    assert_non_null(strstr(err.message, needle));
}

static void test_policy_chain_whatever_the_customer_sends(void **state) {
    (void)state;
    const char *p = "{\"chain\":[{\"name\":\"filter\"}]}";
    assert_chain(p, "[]", NULL, "[{\"name\":\"filter\"}]");
    assert_chain(p, "[]", "[]", "[{\"name\":\"filter\"}]");
    assert_chain(p, "[]", "[{\"name\":\"filter\"}]", "[{\"name\":\"filter\"}]");
    /* no chain in the policy: the start-up default */
    assert_chain("{}", "[{\"name\":\"filter\"}]", "[]", "[{\"name\":\"filter\"}]");
    assert_chain("{}", NULL, NULL, "[]");
}

static void test_customer_options_within_the_policy(void **state) {
    (void)state;
    const char *p = "{\"chain\":[{\"name\":\"tr\",\"lang\":\"en\"},{\"name\":\"filter\"}],"
                    "\"customer_options\":{\"tr\":[\"lang\"]}}";
    assert_chain(p, "[]", "[{\"name\":\"tr\",\"lang\":\"es\"}]",
                 "[{\"name\":\"tr\",\"lang\":\"es\"},{\"name\":\"filter\"}]");
    assert_refused(p, "[{\"name\":\"tr\",\"backend\":\"x\"}]", PARLEY_E_FORBIDDEN, "backend");
    assert_refused(p, "[{\"name\":\"filter\",\"lang\":\"es\"}]", PARLEY_E_FORBIDDEN, "lang");
    assert_refused(p, "[{\"name\":\"tr\",\"lang\":\"spanish\"}]", PARLEY_E_INVALID, "lang");
    assert_refused(p, "[{\"name\":\"nope\"}]", PARLEY_E_INVALID, "nope");
    assert_refused(p, "[{}]", PARLEY_E_INVALID, "name");
    assert_refused(p, "{}", PARLEY_E_INVALID, "array");
    /* a strategy outside the policy cannot be added */
    assert_refused("{\"chain\":[]}", "[{\"name\":\"filter\"}]", PARLEY_E_FORBIDDEN, "policy");
    /* customer_options {} closes every choice */
    assert_refused("{\"chain\":[{\"name\":\"tr\"}],\"customer_options\":{}}",
                   "[{\"name\":\"tr\",\"lang\":\"es\"}]", PARLEY_E_FORBIDDEN, "lang");
}

static void test_admin_policy_is_checked(void **state) {
    (void)state;
    const char *bad[] = {"{\"chain\":{}}",
                         "{\"chain\":[{\"x\":1}]}",
                         "{\"chain\":[{\"name\":\"nope\"}]}",
                         "{\"chain\":[{\"name\":\"tr\",\"lang\":\"english\"}]}",
                         "{\"customer_options\":[]}",
                         "{\"customer_options\":{\"tr\":\"lang\"}}",
                         "{\"customer_options\":{\"tr\":[\"name\"]}}",
                         "{\"other\":true}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *p = policy_of(bad[i]);
        parley_error err = {0};
        assert_int_equal(parley_strategy_policy_check(&registry, p, "[]", &err), PARLEY_E_INVALID);
        json_decref(p);
    }
    json_t *good = policy_of("{\"chain\":[{\"name\":\"tr\",\"lang\":\"en\"}],"
                             "\"customer_options\":{\"tr\":[\"lang\"]}}");
    parley_error err = {0};
    assert_int_equal(parley_strategy_policy_check(&registry, good, "[]", &err), PARLEY_OK);
    json_decref(good);
}

static void assert_reapplied(const char *policy_text, const char *current, const char *expected) {
    json_t *policy = policy_of(policy_text);
    parley_error err = {0};
    char *chain = NULL;
    assert_int_equal(parley_strategy_policy_reapply(&registry, policy, "[]", current, &chain, &err),
                     PARLEY_OK);
    assert_string_equal(chain, expected);
    free(chain);
    json_decref(policy);
}

/* A re-apply whose chain text comes out as the session's own builds
 * nothing (the stored chain was proven when stored); a changed one is
 * built once. */
static void test_reapply_builds_only_a_changed_chain(void **state) {
    (void)state;
    const char *policy = "{\"chain\":[{\"name\":\"tr\",\"lang\":\"en\"},{\"name\":\"filter\"}],"
                         "\"customer_options\":{\"tr\":[\"lang\"]}}";
    const char *same = "[{\"name\":\"tr\",\"lang\":\"es\"},{\"name\":\"filter\"}]";
    int before = tr_builds;
    assert_reapplied(policy, same, same);
    assert_int_equal(tr_builds, before);
    assert_reapplied(policy, "[{\"name\":\"tr\",\"lang\":\"es\"}]", same);
    assert_int_equal(tr_builds, before + 1);
}

static void test_reapply_keeps_only_what_customers_may_still_choose(void **state) {
    (void)state;
    const char *open = "{\"chain\":[{\"name\":\"tr\",\"lang\":\"en\"},{\"name\":\"filter\"}],"
                       "\"customer_options\":{\"tr\":[\"lang\"]}}";
    /* the customer's language stays; the desk's backend does not */
    assert_reapplied(open, "[{\"name\":\"tr\",\"lang\":\"es\",\"backend\":\"x\"}]",
                     "[{\"name\":\"tr\",\"lang\":\"es\"},{\"name\":\"filter\"}]");
    /* a session without a chain, or with strategies the policy dropped */
    assert_reapplied(open, "[]", "[{\"name\":\"tr\",\"lang\":\"en\"},{\"name\":\"filter\"}]");
    assert_reapplied("{\"chain\":[{\"name\":\"filter\"}]}", "[{\"name\":\"tr\",\"lang\":\"es\"}]",
                     "[{\"name\":\"filter\"}]");
    /* the choice closed since: the policy's value, never a refusal */
    assert_reapplied("{\"chain\":[{\"name\":\"tr\",\"lang\":\"en\"}],\"customer_options\":{}}",
                     "[{\"name\":\"tr\",\"lang\":\"es\"}]", "[{\"name\":\"tr\",\"lang\":\"en\"}]");
    /* unreadable text in the row counts as no choices */
    assert_reapplied(open, "not json", "[{\"name\":\"tr\",\"lang\":\"en\"},{\"name\":\"filter\"}]");
}

static void test_team_policy_overrides_what_it_names(void **state) {
    (void)state;
    json_t *policy = policy_of("{\"chain\":[{\"name\":\"filter\"}],"
                               "\"customer_options\":{\"tr\":[\"lang\"]},"
                               "\"teams\":{\"tea_1\":{\"chain\":[{\"name\":\"tr\"}]},"
                               "\"tea_2\":{\"customer_options\":{}}}}");
    json_t *one = parley_strategy_policy_for_team(policy, "tea_1");
    json_t *two = parley_strategy_policy_for_team(policy, "tea_2");
    json_t *none = parley_strategy_policy_for_team(policy, "");
    json_t *other = parley_strategy_policy_for_team(policy, "tea_9");
    char *text[4];
    json_t *all[4] = {one, two, none, other};
    for (int i = 0; i < 4; i++) {
        assert_non_null(all[i]);
        text[i] = json_dumps(all[i], JSON_COMPACT | JSON_SORT_KEYS);
    }
    assert_string_equal(text[0],
                        "{\"chain\":[{\"name\":\"tr\"}],\"customer_options\":{\"tr\":[\"lang\"]}}");
    assert_string_equal(text[1], "{\"chain\":[{\"name\":\"filter\"}],\"customer_options\":{}}");
    const char *desk =
        "{\"chain\":[{\"name\":\"filter\"}],\"customer_options\":{\"tr\":[\"lang\"]}}";
    assert_string_equal(text[2], desk);
    assert_string_equal(text[3], desk);
    for (int i = 0; i < 4; i++) {
        free(text[i]);
        json_decref(all[i]);
    }
    parley_error err = {0};
    assert_int_equal(parley_strategy_policy_check(&registry, policy, "[]", &err), PARLEY_OK);
    json_decref(policy);
    /* a team's chain is built like the desk's; teams do not nest */
    const char *bad[] = {"{\"teams\":[]}", "{\"teams\":{\"tea_1\":[]}}",
                         "{\"teams\":{\"tea_1\":{\"chain\":[{\"name\":\"nope\"}]}}}",
                         "{\"teams\":{\"tea_1\":{\"teams\":{}}}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *p = policy_of(bad[i]);
        assert_int_equal(parley_strategy_policy_check(&registry, p, "[]", &err), PARLEY_E_INVALID);
        json_decref(p);
    }
}

int main(void) {
    assert_true(parley_strategy_register(&registry, &tr_ops, NULL));
    assert_true(parley_strategy_register(&registry, &filter_ops, NULL));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_chain_whatever_the_customer_sends),
        cmocka_unit_test(test_customer_options_within_the_policy),
        cmocka_unit_test(test_admin_policy_is_checked),
        cmocka_unit_test(test_reapply_keeps_only_what_customers_may_still_choose),
        cmocka_unit_test(test_reapply_builds_only_a_changed_chain),
        cmocka_unit_test(test_team_policy_overrides_what_it_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
