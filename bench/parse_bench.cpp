// Parse throughput for RSS, Atom, iCalendar, HTML and JSON on a few MB of
// input shaped like what the standards bodies serve: each document is built
// from the shapes of the fixture set (WordPress RSS with content:encoded,
// datatracker Atom, an IETF agenda, a 3GPP meetings table), many items long.
#include "parsers/parse.h"

#include <benchmark/benchmark.h>

#include <string>

using namespace specwatch;

namespace {

// About 4 MB per document: a large real feed (the IETF blog's full archive)
// or a long meeting calendar.
constexpr std::size_t kTargetBytes = 4u << 20;

std::string rss_document() {
    std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
        "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
        "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n<title>ITU Hub</title>\n"
        "<link>https://www.itu.int/hub/</link>\n";
    for (int i = 0; doc.size() < kTargetBytes; ++i) {
        const std::string n = std::to_string(i);
        doc += "\t<item>\n\t\t<title>AI for Good: standards for 6G and IMT-2030, part " + n +
               "</title>\n\t\t<link>https://www.itu.int/hub/2026/03/ai-for-good-" + n +
               "/</link>\n\t\t<dc:creator><![CDATA[ITU News]]></dc:creator>\n"
               "\t\t<pubDate>Mon, 16 Mar 2026 09:00:00 +0000</pubDate>\n"
               "\t\t<category><![CDATA[Artificial intelligence]]></category>\n"
               "\t\t<category><![CDATA[ITU-T]]></category>\n"
               "\t\t<guid isPermaLink=\"false\">https://www.itu.int/hub/?p=" +
               n +
               "</guid>\n\t\t<description><![CDATA[Experts met in Geneva to agree the next steps "
               "for IMT-2030 &#8230;]]></description>\n\t\t<content:encoded><![CDATA[<p>Experts "
               "from <a href=\"https://www.itu.int/\">ITU</a> member states met in "
               "Gen&egrave;ve this week.</p><figure><img src=\"/x.jpg\" alt=\"\"/></figure><p>The "
               "study group agreed on <strong>three</strong> new work items covering 5G, 6G and "
               "the security of AI systems, and liaised with 3GPP RAN1.</p><ul><li>One</li>"
               "<li>Two</li></ul><script>track()</script>]]></content:encoded>\n\t</item>\n";
    }
    return doc + "</channel>\n</rss>\n";
}

// The same feed with plain-text descriptions and no content:encoded: what
// is left when no HTML has to be read (XML, dates, links, storage shape).
std::string rss_plain_document() {
    std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>ITU Hub</title>\n"
        "<link>https://www.itu.int/hub/</link>\n";
    for (int i = 0; doc.size() < kTargetBytes; ++i) {
        const std::string n = std::to_string(i);
        doc += "\t<item>\n\t\t<title>AI for Good: standards for 6G and IMT-2030, part " + n +
               "</title>\n\t\t<link>https://www.itu.int/hub/2026/03/ai-for-good-" + n +
               "/</link>\n\t\t<dc:creator>ITU News</dc:creator>\n"
               "\t\t<pubDate>Mon, 16 Mar 2026 09:00:00 +0000</pubDate>\n"
               "\t\t<category>Artificial intelligence</category>\n"
               "\t\t<guid isPermaLink=\"false\">https://www.itu.int/hub/?p=" +
               n +
               "</guid>\n\t\t<description>Experts met in Geneva to agree the next steps for "
               "IMT-2030. The study group agreed on three new work items covering 5G, 6G and the "
               "security of AI systems, and liaised with 3GPP RAN1.</description>\n\t</item>\n";
    }
    return doc + "</channel>\n</rss>\n";
}

std::string atom_document() {
    std::string doc =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed "
        "xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-us\">\n<title>IETF Last "
        "Calls</title>\n<link href=\"https://datatracker.ietf.org/feed/last-call/\" "
        "rel=\"self\"/>\n<id>https://datatracker.ietf.org/feed/last-call/</id>\n"
        "<updated>2026-03-16T09:00:00+00:00</updated>\n";
    for (int i = 0; doc.size() < kTargetBytes; ++i) {
        const std::string n = std::to_string(i);
        doc += "<entry><title>Last Call: &lt;draft-ietf-quic-multipath-" + n +
               ".txt&gt; (Multipath Extension for QUIC) to Proposed Standard</title>"
               "<link href=\"https://datatracker.ietf.org/doc/draft-ietf-quic-multipath/" +
               n +
               "\" rel=\"alternate\"/><published>2026-03-16T09:00:00+00:00</published>"
               "<updated>2026-03-16T09:00:00+00:00</updated><author><name>The IESG</name>"
               "</author><id>tag:datatracker.ietf.org,2026:lastcall/" +
               n +
               "</id><summary type=\"html\">The IESG has received a request from the QUIC WG "
               "to consider the following document: - 'Multipath Extension for QUIC' as "
               "Proposed Standard. The IESG plans to make a decision in the next few weeks, "
               "and solicits final comments on this action. Please send substantive comments "
               "to the last-call@ietf.org mailing lists by 2026-03-30.</summary></entry>\n";
    }
    return doc + "</feed>\n";
}

std::string ics_document() {
    std::string doc =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n"
        "PRODID:-//IETF//datatracker.ietf.org ical agenda//EN\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Madrid\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19961027T030000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
        "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19810329T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
    for (int i = 0; doc.size() < kTargetBytes; ++i) {
        const std::string n = std::to_string(i);
        const std::string hour = std::to_string(10 + i % 8);
        doc += "BEGIN:VEVENT\r\nUID:ietf-123-" + n +
               "-quic\r\nSUMMARY:quic - QUIC\r\nCLASS:PUBLIC\r\n"
               "DTSTART;TZID=\"Europe/Madrid\":20250724T" +
               hour + "0000\r\nDTEND;TZID=\"Europe/Madrid\":20250724T" + hour +
               "3000\r\nDTSTAMP:20250601T120000Z\r\nLOCATION:Room Retiro\r\nSTATUS:TENTATIVE\r\n"
               "DESCRIPTION:QUIC WG\\, session 1\\nAgenda: https://datatracker.ietf.org/meeti\r\n "
               "ng/123/materials/agenda-123-quic\\nWebex: None\r\n"
               "URL:https://datatracker.ietf.org/meeting/123/session/quic\r\nEND:VEVENT\r\n";
    }
    return doc + "END:VCALENDAR\r\n";
}

std::string html_document() {
    std::string doc =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>3GPP Meetings - "
        "R1</title></head><body><table>\n";
    for (int i = 0; doc.size() < kTargetBytes; ++i) {
        const std::string n = std::to_string(60000 + i);
        doc +=
            "<tr class=\"odd\"><td><a href=\"https://portal.3gpp.org/Home.aspx#/"
            "meeting?MtgId=" +
            n + "\">R1-" + n + "</a></span></td><td>3GPPRAN1#" + n +
            "</td><td><a href=\"/../../../\\ftp\\tsg_ran\\WG1_RL1\\TSGR1_123\\\\Invitation\\\">"
            "Dallas</a></td><td><a href=\"/x\">2025&#8209;11&#8209;17</a></td><td><a "
            "href=\"/y\">2025&#8209;11&#8209;21</a></td><td>R1-2508300 - R1-2509718<br/><a "
            "href=\"/l\">full document list</a></td><td>-</td><td>-</td><td>-</td><td><a "
            "href=\"https://portal.3gpp.org/webapp/meetingCalendar/ical.asp?qMTG_ID=" +
            n + "\">iCal</a></td><td>-</td></tr>\n";
    }
    return doc + "</table></body></html>\n";
}

std::string json_document() {
    std::string doc = R"({"meta": {"limit": 20, "next": "/api/v1/meeting/meeting/?offset=20", )"
                      R"("total_count": 100000}, "objects": [)";
    for (int i = 0; doc.size() < kTargetBytes; ++i) {
        const std::string n = std::to_string(i);
        if (i > 0) doc += ", ";
        doc += R"({"city": "Vienna", "country": "AT", "date": "2026-07-18", "days": 7, "id": )" +
               n + R"(, "number": ")" + n + R"(", "resource_uri": "/api/v1/meeting/meeting/)" + n +
               R"(/", "time_zone": "Europe/Vienna", "updated": "2026-03-01T10:15:00-08:00", )"
               R"("venue_name": "Austria Center Vienna"})";
    }
    return doc + "]}";
}

void run(benchmark::State& state, const std::string& doc, const parse::Options& options) {
    std::size_t items = 0;
    for (auto _ : state) {
        auto feed = parse::parse(doc, options);
        if (!feed) {
            state.SkipWithError(feed.error().message.c_str());
            return;
        }
        items = feed->items.size();
        benchmark::DoNotOptimize(feed);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * doc.size()));
    state.counters["items"] = static_cast<double>(items);
    state.counters["MB"] = static_cast<double>(doc.size()) / 1e6;
}

void BM_Rss(benchmark::State& state) {
    static const std::string doc = rss_document();
    run(state, doc, {});
}

void BM_RssPlain(benchmark::State& state) {
    static const std::string doc = rss_plain_document();
    run(state, doc, {});
}

void BM_Atom(benchmark::State& state) {
    static const std::string doc = atom_document();
    run(state, doc, {});
}

void BM_ICalendar(benchmark::State& state) {
    static const std::string doc = ics_document();
    parse::Options o;
    o.now = std::chrono::sys_days{std::chrono::year{2025} / 7 / 1};
    run(state, doc, o);
}

void BM_Html(benchmark::State& state) {
    static const std::string doc = html_document();
    static const config::Source source = [] {
        config::Source s;
        s.format = "html";
        s.url = "https://www.3gpp.org/dynareport?code=Meetings-R1.htm";
        s.html.item = "//tr[td]";
        s.html.title = "td[2]";
        s.html.link = "td[1]//a/@href";
        s.html.location = "td[3]";
        s.html.start = "td[4]";
        s.html.end = "td[5]";
        return s;
    }();
    parse::Options o;
    o.source = &source;
    o.base_url = source.url;
    run(state, doc, o);
}

void BM_Json(benchmark::State& state) {
    static const std::string doc = json_document();
    static const config::Source source = [] {
        config::Source s;
        s.format = "json";
        s.json.items = "objects";
        s.json.next = "meta.next";
        s.json.fields = {{"title", "number"}, {"start", "date"}, {"location", "city"}};
        return s;
    }();
    parse::Options o;
    o.source = &source;
    o.base_url = "https://datatracker.ietf.org/api/v1/meeting/meeting/";
    run(state, doc, o);
}

}  // namespace

BENCHMARK(BM_Rss)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RssPlain)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Atom)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ICalendar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Html)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Json)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
