#include "alerts/transport.h"

#include "common/text.h"

#include <curl/curl.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

extern char** environ;

namespace specwatch::alerts {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

struct Upload {
    const std::string* data;
    std::size_t offset = 0;
};

std::size_t read_cb(char* buffer, std::size_t size, std::size_t n, void* user) {
    auto* up = static_cast<Upload*>(user);
    const std::size_t room = size * n;
    const std::size_t left = up->data->size() - up->offset;
    const std::size_t k = std::min(room, left);
    std::memcpy(buffer, up->data->data() + up->offset, k);
    up->offset += k;
    return k;
}

class SmtpTransport final : public Transport {
  public:
    SmtpTransport(config::MailSettings mail, SmtpTimeouts t) : mail_(std::move(mail)), t_(t) {
        global_init();
    }

    SendResult send(const Outgoing& m) override {
        std::unique_ptr<CURL, CurlDeleter> curl{curl_easy_init()};
        if (!curl) return {SendStatus::temporary, 0, "libcurl: cannot create a handle"};
        CURL* c = curl.get();
        char errbuf[CURL_ERROR_SIZE] = {};
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_URL, mail_.url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        const bool implicit_tls = to_lower_ascii(mail_.url).starts_with("smtps://");
        if (!implicit_tls)
            curl_easy_setopt(c, CURLOPT_USE_SSL,
                             mail_.tls == config::Tls::starttls
                                 ? static_cast<long>(CURLUSESSL_ALL)
                                 : static_cast<long>(CURLUSESSL_NONE));
        if (const char* ca = std::getenv("SPECWATCH_SMTP_CAINFO"); ca && *ca)
            curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        std::string password;
        if (!mail_.user.empty()) {
            curl_easy_setopt(c, CURLOPT_USERNAME, mail_.user.c_str());
            if (!mail_.password_file.empty()) {
                std::ifstream in(mail_.password_file);
                if (!in)
                    return {SendStatus::temporary, 0,
                            fmt::format("cannot read [mail] password_file {}: {}",
                                        mail_.password_file, std::strerror(errno))};
                std::getline(in, password);
                while (!password.empty() && (password.back() == '\r' || password.back() == ' '))
                    password.pop_back();
            }
            curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
        }
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(t_.connect.count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(t_.total.count()));
        const std::string from = "<" + m.sender + ">";
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
        std::unique_ptr<curl_slist, SlistDeleter> rcpt;
        for (const auto& r : m.recipients) {
            curl_slist* next = curl_slist_append(rcpt.get(), ("<" + r + ">").c_str());
            if (!next) return {SendStatus::temporary, 0, "out of memory"};
            (void)rcpt.release();
            rcpt.reset(next);
        }
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
        Upload up{&m.data};
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(m.data.size()));

        const CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (rc == CURLE_OK) return {SendStatus::sent, static_cast<int>(code), "250"};
        std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        if (code > 0) detail = fmt::format("{} (server replied {})", detail, code);
        detail += " (check [mail] url)";
        // A 5xx reply is the server's final word on this message; anything
        // else (4xx, a refused connection, a timeout) may pass later.
        const bool permanent = code >= 500 && code < 600;
        return {permanent ? SendStatus::permanent : SendStatus::temporary, static_cast<int>(code),
                detail};
    }

  private:
    config::MailSettings mail_;
    SmtpTimeouts t_;
};

class SendmailTransport final : public Transport {
  public:
    explicit SendmailTransport(std::string program) : program_(std::move(program)) {
        if (program_.empty()) program_ = "/usr/sbin/sendmail";
    }

    SendResult send(const Outgoing& m) override {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            return {SendStatus::temporary, 0, fmt::format("pipe: {}", std::strerror(errno))};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
        std::vector<std::string> args = {program_, "-t", "-oi"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        const int rc = posix_spawn(&pid, program_.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        if (rc != 0) {
            close(fds[1]);
            return {SendStatus::temporary, 0,
                    fmt::format("cannot run {}: {}", program_, std::strerror(rc))};
        }
        // sendmail reads a message with local (LF) line ends.
        std::string data;
        data.reserve(m.data.size());
        for (char ch : m.data)
            if (ch != '\r') data += ch;
        std::size_t off = 0;
        bool write_failed = false;
        while (off < data.size()) {
            const ssize_t n = write(fds[1], data.data() + off, data.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                write_failed = true;
                break;
            }
            off += static_cast<std::size_t>(n);
        }
        close(fds[1]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !write_failed)
            return {SendStatus::sent, 0, "sendmail exit 0"};
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        // EX_TEMPFAIL (75) and signals may pass later; other exit statuses
        // (EX_NOUSER, EX_DATAERR…) are the MTA's final answer.
        const bool temporary = code == 75 || !WIFEXITED(status) || write_failed;
        return {temporary ? SendStatus::temporary : SendStatus::permanent, code,
                fmt::format("{} exited with status {}", program_, code)};
    }

  private:
    std::string program_;
};

}  // namespace

std::unique_ptr<Transport> make_smtp_transport(const config::MailSettings& mail,
                                               SmtpTimeouts timeouts) {
    return std::make_unique<SmtpTransport>(mail, timeouts);
}

std::unique_ptr<Transport> make_sendmail_transport(std::string program) {
    return std::make_unique<SendmailTransport>(std::move(program));
}

std::unique_ptr<Transport> make_transport(const config::MailSettings& mail) {
    switch (mail.transport) {
        case config::Transport::smtp:
            return make_smtp_transport(mail);
        case config::Transport::sendmail:
            return make_sendmail_transport();
        case config::Transport::none:
            break;
    }
    return nullptr;
}

}  // namespace specwatch::alerts
