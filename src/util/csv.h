/*
 * csv.h - renders report rows as CSV (RFC 4180) for spreadsheet export.
 *
 * Cells are quoted when they hold a comma, a quote, CR or LF (quotes
 * doubled); lines end with CRLF. Text that a spreadsheet would run as a
 * formula (starting with = + - @, tab or CR) gets a leading apostrophe
 * (OWASP's CSV injection advice), so an agent's name can never become a
 * formula in an admin's spreadsheet. Numbers are written as numbers.
 *
 * Ownership: the result is malloc'd; the caller frees it. Threads: any.
 */
#ifndef PARLEY_CSV_H
#define PARLEY_CSV_H

#include <jansson.h>
#include <stddef.h>

/* A header row of columns, then one line per object of rows (an array),
 * taking each column's member: string, integer, real (two decimals),
 * boolean, or null/absent (empty). NULL when out of memory. */
char *parley_csv_render(const char *const *columns, size_t column_count, const json_t *rows);

#endif
