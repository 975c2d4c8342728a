/*
 * pinned_transfer.c - the SSRF-safe libcurl setup (pinned_transfer.h).
 */
#include "net/pinned_transfer.h"

#include <sys/socket.h>

/* Every socket curl opens is checked again: only the pinned, checked
 * address should ever come here, but nothing refused may be connected to
 * whatever path curl took. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
                                 struct curl_sockaddr *address) {
    (void)purpose;
    const bool *allow_private = clientp;
    if (!*allow_private && parley_webhook_address_refusal(&address->addr) != NULL) {
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

void parley_pinned_transfer_setup(CURL *curl, const char *url, const parley_webhook_target *target,
                                  const bool *allow_private, long timeout_ms,
                                  struct curl_slist **resolve) {
    *resolve = target->resolve[0] != '\0' ? curl_slist_append(NULL, target->resolve) : NULL;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* never through an environment's proxy */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms / 2 > 0 ? timeout_ms / 2 : 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_RESOLVE, *resolve);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, allow_private);
}
