/*
 * pinned_transfer.h - the libcurl setup of a request to a URL a user gave
 * (an admin's webhook, a browser's push endpoint), under the webhooks'
 * SSRF rule (net/webhook_target.h): http and https only, no redirect
 * followed, no proxy from the environment, the connection pinned to the
 * address just checked (CURLOPT_RESOLVE), every socket curl opens checked
 * once more unless non-public targets are allowed, and the connect and
 * total timeouts (connecting at most half of the total).
 *
 * Threads: the caller's (a delivery worker's channel), one transfer at a
 * time per handle. Ownership: *resolve is the caller's, freed with
 * curl_slist_free_all after the transfer; allow_private must outlive it.
 */
#ifndef PARLEY_PINNED_TRANSFER_H
#define PARLEY_PINNED_TRANSFER_H

#include <curl/curl.h>
#include <stdbool.h>

#include "net/webhook_target.h"

void parley_pinned_transfer_setup(CURL *curl, const char *url, const parley_webhook_target *target,
                                  const bool *allow_private, long timeout_ms,
                                  struct curl_slist **resolve);

#endif
