/*
 * translation_libre.c - see translation_libre.h.
 */
#include "strategies/translation_libre.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESPONSE_BYTES (1u << 20)

typedef struct response {
    char *p;
    size_t len;
    int too_big;
} response;

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud) {
    response *r = ud;
    size_t n = size * nmemb;
    if (r->len + n > MAX_RESPONSE_BYTES) {
        r->too_big = 1;
        return 0;
    }
    char *p = realloc(r->p, r->len + n + 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p + r->len, data, n);
    r->p = p;
    r->len += n;
    r->p[r->len] = '\0';
    return n;
}

int parley_libre_global_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void parley_libre_global_cleanup(void) {
    curl_global_cleanup();
}

parley_libre_result parley_libre_parse_answer(const char *body, size_t len, char **out) {
    *out = NULL;
    json_t *answer = json_loadb(body, len, 0, NULL);
    const char *translated = json_string_value(json_object_get(answer, "translatedText"));
    parley_libre_result result = PARLEY_LIBRE_FAILED;
    if (translated != NULL) {
        *out = strdup(translated);
        result = *out != NULL ? PARLEY_LIBRE_OK : PARLEY_LIBRE_FAILED;
    }
    json_decref(answer);
    return result;
}

parley_libre_result parley_libre_translate(const char *url, const char *api_key, int timeout_ms,
                                           const char *src, const char *dst, const char *text,
                                           char **out) {
    *out = NULL;
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "q", text, "source", src, "target", dst,
                            "format", "text");
    if (req == NULL) {
        return PARLEY_LIBRE_FAILED;
    }
    if (api_key != NULL) {
        json_object_set_new(req, "api_key", json_string(api_key));
    }
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    size_t ulen = strlen(url);
    char *endpoint = malloc(ulen + sizeof "/translate");
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    parley_libre_result result = PARLEY_LIBRE_FAILED;
    response resp = {0};
    if (body == NULL || endpoint == NULL || curl == NULL || headers == NULL) {
        goto done;
    }
    memcpy(endpoint, url, ulen + 1);
    while (ulen > 0 && endpoint[ulen - 1] == '/') {
        endpoint[--ulen] = '\0';
    }
    strcat(endpoint, "/translate");
    curl_easy_setopt(curl, CURLOPT_URL, endpoint);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        result = PARLEY_LIBRE_TIMEOUT;
        goto done;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status == 400) {
        result = PARLEY_LIBRE_UNSUPPORTED;
        goto done;
    }
    if (rc != CURLE_OK || status != 200 || resp.p == NULL) {
        goto done;
    }
    result = parley_libre_parse_answer(resp.p, resp.len, out);
done:
    free(resp.p);
    curl_slist_free_all(headers);
    if (curl != NULL) {
        curl_easy_cleanup(curl);
    }
    free(endpoint);
    free(body);
    return result;
}
