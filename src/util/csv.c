#include "util/csv.h"

#include "util/strbuf.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the line (or document) being built: util/strbuf.h's growable buffer */
typedef parley_strbuf buf;

static void put(buf *b, const char *s, size_t n) {
    parley_strbuf_add(b, s, n);
}

static void put_text(buf *b, const char *s) {
    bool formula =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) {
        put(b, "\"", 1);
    }
    if (formula) {
        put(b, "'", 1);
    }
    for (const char *p = s; *p != '\0'; p++) {
        put(b, p, 1);
        if (*p == '"') {
            put(b, "\"", 1);
        }
    }
    if (quote) {
        put(b, "\"", 1);
    }
}

static void put_cell(buf *b, const json_t *v) {
    char num[64];
    if (json_is_string(v)) {
        put_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        int n = snprintf(num, sizeof num, "%" PRId64, (int64_t)json_integer_value(v));
        put(b, num, (size_t)n);
    } else if (json_is_real(v)) {
        int n = snprintf(num, sizeof num, "%.2f", json_real_value(v));
        put(b, num, (size_t)n);
    } else if (json_is_boolean(v)) {
        put_text(b, json_is_true(v) ? "true" : "false");
    }
}

char *parley_csv_render(const char *const *columns, size_t column_count, const json_t *rows) {
    buf b = {0};
    for (size_t c = 0; c < column_count; c++) {
        if (c > 0) {
            put(&b, ",", 1);
        }
        put_text(&b, columns[c]);
    }
    put(&b, "\r\n", 2);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; c < column_count; c++) {
            if (c > 0) {
                put(&b, ",", 1);
            }
            put_cell(&b, json_object_get(row, columns[c]));
        }
        put(&b, "\r\n", 2);
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
