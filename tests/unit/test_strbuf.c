/* util/strbuf.c: appends grow and keep a terminating NUL; take hands the
 * text over and empties the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/strbuf.h"

static void test_appends_grow(void **state) {
    (void)state;
    parley_strbuf b = {0};
    for (int i = 0; i < 1000; i++) {
        parley_strbuf_puts(&b, "abc");
    }
    parley_strbuf_add(&b, "x\0y", 3); /* bytes, NUL included */
    parley_strbuf_printf(&b, "[%d:%s]", 42, "z");
    assert_false(b.failed);
    assert_int_equal(b.len, 3000 + 3 + 6);
    assert_memory_equal(b.data + 3000, "x\0y[42:z]", 9);
    assert_int_equal(b.data[b.len], '\0');
    size_t len = 0;
    char *text = parley_strbuf_take(&b, &len);
    assert_int_equal(len, 3009);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(text);
}

static void test_take_of_nothing_is_empty_text(void **state) {
    (void)state;
    parley_strbuf b = {0};
    size_t len = 99;
    char *text = parley_strbuf_take(&b, &len);
    assert_non_null(text);
    assert_string_equal(text, "");
    assert_int_equal(len, 0);
    free(text);
}

static void test_failure_is_sticky(void **state) {
    (void)state;
    parley_strbuf b = {0};
    parley_strbuf_puts(&b, "kept");
    b.failed = true; /* as after a failed realloc */
    parley_strbuf_puts(&b, "more");
    assert_int_equal(b.len, 4);
    size_t len = 7;
    assert_null(parley_strbuf_take(&b, &len));
    assert_int_equal(len, 0);
    assert_null(b.data); /* and the memory was released */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_grow),
        cmocka_unit_test(test_take_of_nothing_is_empty_text),
        cmocka_unit_test(test_failure_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
