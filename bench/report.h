/*
 * report.h - prints the outcome of a run, as text or as one JSON object.
 *
 * Ownership: reads the pb_run and the summary; owns nothing.
 * Threads: called by main() after the libuv loop has finished.
 */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <stdio.h>

#include "ledger.h"
#include "run.h"

void pb_report_text(FILE *out, const pb_run *run, const pb_ledger_summary *sum);
void pb_report_json(FILE *out, const pb_run *run, const pb_ledger_summary *sum);

/* A failed setup/connect: the reason, as text or JSON. */
void pb_report_failure(FILE *out, const pb_run *run, bool json);

#endif
