#pragma once
// The mail transports behind one interface (the seam the mailer is tested
// through, STYLE.md point 2). send() blocks: the daemon calls it on its mail
// thread, never on the loop (DESIGN.md invariant 4).
#include "alerts/alerts.h"
#include "config/config.h"

#include <chrono>
#include <memory>

namespace specwatch::alerts {

class Transport {
  public:
    virtual ~Transport() = default;
    [[nodiscard]] virtual SendResult send(const Outgoing& message) = 0;
};

struct SmtpTimeouts {
    // Connecting to a relay on the network: generous, then retry later.
    std::chrono::seconds connect{30};
    // The whole exchange: a wrong AUTH password can stall after 334
    // (NOTES.md), and a stuck server must not hold the queue forever.
    std::chrono::seconds total{120};
};

// smtp:// or smtps:// through libcurl: STARTTLS required with tls = "starttls"
// (a server that does not offer it fails the attempt), AUTH with the
// password read from password_file at each attempt. SPECWATCH_SMTP_CAINFO, when
// set, names a CA bundle to trust instead of the system's (a private relay,
// or the tests' self-signed certificate).
[[nodiscard]] std::unique_ptr<Transport> make_smtp_transport(const config::MailSettings& mail,
                                                             SmtpTimeouts timeouts = {});
// `sendmail -t -oi`: recipients from the message's headers, a lone "." line
// is text. `program` overrides the path (tests).
[[nodiscard]] std::unique_ptr<Transport> make_sendmail_transport(std::string program = {});
// The transport [mail] asks for; null for transport = "none".
[[nodiscard]] std::unique_ptr<Transport> make_transport(const config::MailSettings& mail);

}  // namespace specwatch::alerts
