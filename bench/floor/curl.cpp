// libcurl as specwatchd starts it (fetchers/curl_fetcher.cpp): the global
// init, one multi handle kept for the process's life, and, given --url, one
// GET through that multi handle so a transfer's code paths are touched.
#include <curl/curl.h>

#include <stdexcept>
#include <string>

#include "bench/floor/floor.h"

namespace floor_bench {
namespace {

size_t on_write(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

void check(CURLcode rc, const char* what) {
    if (rc != CURLE_OK) throw std::runtime_error(std::string(what) + ": " + curl_easy_strerror(rc));
}

void check(CURLMcode rc, const char* what) {
    if (rc != CURLM_OK)
        throw std::runtime_error(std::string(what) + ": " + curl_multi_strerror(rc));
}

// The options the daemon sets on every transfer that change which code runs.
void get(CURLM* multi, const std::string& url) {
    std::shared_ptr<CURL> easy(curl_easy_init(), curl_easy_cleanup);
    if (!easy) throw std::runtime_error("curl_easy_init failed");
    CURL* e = easy.get();
    std::string body;
    check(curl_easy_setopt(e, CURLOPT_URL, url.c_str()), "CURLOPT_URL");
    check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"), "CURLOPT_PROTOCOLS_STR");
    check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L), "CURLOPT_FOLLOWLOCATION");
    check(curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""), "CURLOPT_ACCEPT_ENCODING");
    check(curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_2TLS}),
          "CURLOPT_HTTP_VERSION");
    check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L), "CURLOPT_NOSIGNAL");
    check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_write), "CURLOPT_WRITEFUNCTION");
    check(curl_easy_setopt(e, CURLOPT_WRITEDATA, &body), "CURLOPT_WRITEDATA");
    check(curl_multi_add_handle(multi, e), "curl_multi_add_handle");
    int running = 1;
    while (running > 0) {
        check(curl_multi_perform(multi, &running), "curl_multi_perform");
        if (running > 0)
            check(curl_multi_poll(multi, nullptr, 0, 1000, nullptr), "curl_multi_poll");
    }
    CURLcode result = CURLE_OK;
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE) result = m->data.result;
    check(curl_multi_remove_handle(multi, e), "curl_multi_remove_handle");
    check(result, url.c_str());
    long status = 0;
    check(curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE");
    if (status != 200 || body.empty())
        throw std::runtime_error(url + ": HTTP " + std::to_string(status) + ", " +
                                 std::to_string(body.size()) + " bytes");
}

void start_curl(const Args& args, Keep& keep) {
    check(curl_global_init(CURL_GLOBAL_DEFAULT), "curl_global_init");
    std::shared_ptr<CURLM> multi(curl_multi_init(), curl_multi_cleanup);
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    check(curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX),
          "CURLMOPT_PIPELINING");
    if (!args.url.empty()) get(multi.get(), args.url);
    keep.push_back(multi);
}

}  // namespace

const Part kPart{1, &start_curl};

}  // namespace floor_bench
