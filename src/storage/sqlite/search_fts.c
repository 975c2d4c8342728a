#include "storage/sqlite/search_fts.h"

#include <string.h>

bool parley_sqlite_fts_match(const parley_search_terms *terms, char *out, size_t out_size) {
    if (out_size == 0) {
        return false;
    }
    out[0] = '\0';
    if (terms->count < 1 || terms->count > PARLEY_SEARCH_MAX_TOKENS) {
        return false;
    }
    size_t n = 0;
    for (int i = 0; i < terms->count; i++) {
        const parley_search_term *t = &terms->term[i];
        size_t len = strnlen(t->text, sizeof t->text);
        if (len == 0 || len == sizeof t->text) {
            out[0] = '\0';
            return false;
        }
        /* separator, quotes, every byte a doubled quote at worst, '*', NUL */
        if (n + 1 + 2 + len * 2 + 1 + 1 > out_size) {
            out[0] = '\0';
            return false;
        }
        if (n > 0) {
            out[n++] = ' ';
        }
        out[n++] = '"';
        for (size_t k = 0; k < len; k++) {
            out[n++] = t->text[k];
            if (t->text[k] == '"') {
                out[n++] = '"';
            }
        }
        out[n++] = '"';
        if (t->prefix) {
            out[n++] = '*';
        }
        out[n] = '\0';
    }
    return true;
}
