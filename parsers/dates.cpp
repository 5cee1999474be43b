#include "parsers/dates.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>

namespace specwatch::parse {

namespace {

// A date as written: civil fields plus the offset from UTC it was written in.
struct Fields {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    int offset_minutes = 0;  // east of UTC is positive
};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// ASCII case folding: the names compared against are ASCII, and no locale
// folds a byte above 0x7F onto an ASCII letter.
char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// The value of a run of 1..max_len digits, all of `s`; nullopt otherwise.
std::optional<int> number(std::string_view s, std::size_t min_len, std::size_t max_len) {
    if (s.size() < min_len || s.size() > max_len) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string to_utc(const Fields& f) {
    using namespace std::chrono;
    if (f.year < 1 || f.year > 9999 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31)
        return "";
    const year_month_day ymd{year{f.year}, month{static_cast<unsigned>(f.month)},
                             day{static_cast<unsigned>(f.day)}};
    if (!ymd.ok()) return "";  // 31 February and friends
    if (f.hour > 23 || f.minute > 59 || f.second > 60) return "";
    // A leap second (23:59:60) is the last second of its minute: the item
    // model has no way to write it, and one second early sorts correctly.
    const int second = f.second == 60 ? 59 : f.second;
    const sys_seconds tp = sys_days{ymd} + hours{f.hour} + minutes{f.minute} + seconds{second} -
                           minutes{f.offset_minutes};
    const auto dp = floor<days>(tp);
    const year_month_day out{dp};
    const hh_mm_ss<seconds> t{tp - dp};
    const int y = static_cast<int>(out.year());
    if (y < 1 || y > 9999) return "";
    // "YYYY-MM-DDTHH:MM:SSZ", written digit by digit (snprintf was a tenth
    // of an RSS parse).
    std::string s = "0000-00-00T00:00:00Z";
    auto put = [&s](std::size_t at, int value, int width) {
        for (int k = width - 1; k >= 0; --k, value /= 10)
            s[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
    };
    put(0, y, 4);
    put(5, static_cast<int>(static_cast<unsigned>(out.month())), 2);
    put(8, static_cast<int>(static_cast<unsigned>(out.day())), 2);
    put(11, static_cast<int>(t.hours().count()), 2);
    put(14, static_cast<int>(t.minutes().count()), 2);
    put(17, static_cast<int>(t.seconds().count()), 2);
    return s;
}

// Zone names with one meaning only. Military letters other than Z are left
// out: RFC 1123 notes their signs were published backwards, so they would be
// a guess. Ambiguous abbreviations (BST, IST, CST as China time) are out too.
struct NamedZone {
    std::string_view name;
    int offset_minutes;
};
constexpr std::array<NamedZone, 24> kZones{{
    {"UT", 0},        {"UTC", 0},       {"GMT", 0},        {"Z", 0},          {"EST", -5 * 60},
    {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},  {"MST", -7 * 60},  {"MDT", -6 * 60},
    {"PST", -8 * 60}, {"PDT", -7 * 60}, {"AKST", -9 * 60}, {"AKDT", -8 * 60}, {"HST", -10 * 60},
    {"WET", 0},       {"WEST", 60},     {"CET", 60},       {"CEST", 120},     {"MET", 60},
    {"MEST", 120},    {"EET", 120},     {"EEST", 180},     {"JST", 9 * 60},
}};

std::optional<int> named_zone(std::string_view name) {
    for (const auto& z : kZones)
        if (iequals(z.name, name)) return z.offset_minutes;
    return std::nullopt;
}

// "+0530", "+05:30", "+05", "-0800"; nullopt when not one of these.
std::optional<int> numeric_offset(std::string_view s) {
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
    const int sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
    std::optional<int> hh, mm = 0;
    if (s.size() == 2) {
        hh = number(s, 2, 2);
    } else if (s.size() == 4) {
        hh = number(s.substr(0, 2), 2, 2);
        mm = number(s.substr(2), 2, 2);
    } else if (s.size() == 5 && s[2] == ':') {
        hh = number(s.substr(0, 2), 2, 2);
        mm = number(s.substr(3), 2, 2);
    }
    if (!hh || !mm || *hh > 23 || *mm > 59) return std::nullopt;
    return sign * (*hh * 60 + *mm);
}

// A zone written after the time: a name, an offset, or a name and an offset
// ("GMT+0200", "UTC +02:00"). Empty text means UTC.
std::optional<int> zone(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    if (s.empty()) return 0;
    if (auto n = numeric_offset(s)) return n;
    std::size_t letters = 0;
    while (letters < s.size() && is_alpha(s[letters])) ++letters;
    if (letters == 0) return std::nullopt;
    const auto base = named_zone(s.substr(0, letters));
    if (!base) return std::nullopt;
    std::string_view rest = s.substr(letters);
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    if (rest.empty()) return base;
    if (*base != 0) return std::nullopt;  // "EST+0100" means nothing
    return numeric_offset(rest);
}

// --- ISO 8601 / RFC 3339 ---------------------------------------------------

class Cursor {
  public:
    explicit Cursor(std::string_view s) : s_(s) {}
    [[nodiscard]] bool done() const { return i_ >= s_.size(); }
    [[nodiscard]] char peek(std::size_t ahead = 0) const {
        return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0';
    }
    bool eat(char c) {
        if (peek() != c) return false;
        ++i_;
        return true;
    }
    // Exactly n digits.
    std::optional<int> digits(std::size_t n) {
        if (i_ + n > s_.size()) return std::nullopt;
        auto v = number(s_.substr(i_, n), n, n);
        if (v) i_ += n;
        return v;
    }
    void skip_digits() {
        while (is_digit(peek())) ++i_;
    }
    void skip_spaces() {
        while (is_space(peek())) ++i_;
    }
    [[nodiscard]] std::string_view rest() const { return s_.substr(std::min(i_, s_.size())); }

  private:
    std::string_view s_;
    std::size_t i_ = 0;
};

std::optional<Fields> parse_iso(std::string_view s) {
    Cursor c{s};
    Fields f;
    auto y = c.digits(4);
    if (!y) return std::nullopt;
    f.year = *y;
    const bool extended = c.eat('-');
    auto mo = c.digits(2);
    if (extended && !c.eat('-')) return std::nullopt;  // "2003-12" alone is a month, not a date
    auto d = c.digits(2);
    if (!mo || !d) return std::nullopt;
    f.month = *mo;
    f.day = *d;
    if (c.done()) return f;
    if (c.peek() == 'T' || c.peek() == 't') {
        c.eat(c.peek());
    } else if (c.peek() == ' ') {
        c.skip_spaces();
    } else {
        return std::nullopt;
    }
    auto h = c.digits(2);
    if (!h) return std::nullopt;
    const bool colons = c.eat(':');
    auto mi = c.digits(2);
    if (!mi) return std::nullopt;
    f.hour = *h;
    f.minute = *mi;
    if (colons ? c.eat(':') : is_digit(c.peek())) {
        auto sec = c.digits(2);
        if (!sec) return std::nullopt;
        f.second = *sec;
        if (c.peek() == '.' || c.peek() == ',') {
            c.eat(c.peek());
            if (!is_digit(c.peek())) return std::nullopt;
            c.skip_digits();  // fractions of a second are below the model's precision
        }
    }
    std::string_view z = c.rest();
    if (z == "Z" || z == "z") return f;
    auto off = zone(z);
    if (!off) return std::nullopt;
    f.offset_minutes = *off;
    return f;
}

// --- RFC 822 and its relatives ---------------------------------------------

constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kMonthNames{
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> kDayNames{"monday", "tuesday",  "wednesday", "thursday",
                                                    "friday", "saturday", "sunday"};

std::optional<int> month_of(std::string_view w) {
    for (std::size_t i = 0; i < kMonths.size(); ++i)
        if (iequals(w, kMonths[i]) || iequals(w, kMonthNames[i])) return static_cast<int>(i) + 1;
    if (iequals(w, "sept")) return 9;
    return std::nullopt;
}

bool is_weekday(std::string_view w) {
    for (std::size_t i = 0; i < kDays.size(); ++i)
        if (iequals(w, kDays[i]) || iequals(w, kDayNames[i])) return true;
    return false;
}

// RFC 2822 years: 2 digits are 1950–2049, 3 digits are 1900 + n.
std::optional<int> year_of(std::string_view w) {
    auto v = number(w, 2, 4);
    if (!v) return std::nullopt;
    if (w.size() == 2) return *v < 50 ? 2000 + *v : 1900 + *v;
    if (w.size() == 3) return 1900 + *v;
    return v;
}

// "08:49", "8:49:37", "08:49:37.25"
bool time_of(std::string_view w, Fields& f) {
    const auto c1 = w.find(':');
    if (c1 == std::string_view::npos) return false;
    auto h = number(w.substr(0, c1), 1, 2);
    std::string_view rest = w.substr(c1 + 1);
    const auto c2 = rest.find(':');
    auto mi = number(rest.substr(0, c2), 2, 2);
    std::optional<int> sec = 0;
    if (c2 != std::string_view::npos) {
        std::string_view s = rest.substr(c2 + 1);
        const auto dot = s.find('.');
        if (dot != std::string_view::npos) {
            if (!number(s.substr(dot + 1), 1, 9)) return false;
            s = s.substr(0, dot);
        }
        sec = number(s, 2, 2);
    }
    if (!h || !mi || !sec) return false;
    f.hour = *h;
    f.minute = *mi;
    f.second = *sec;
    return true;
}

std::optional<Fields> parse_rfc822(std::string_view s) {
    // Comments such as "-0800 (PST)" say nothing the offset does not. (Most
    // dates have none and are read in place.)
    std::string text;
    std::string_view t = s;
    if (s.find('(') != std::string_view::npos) {  // a ")" alone is kept
        int depth = 0;
        for (char ch : s) {
            if (ch == '(')
                ++depth;
            else if (ch == ')' && depth > 0)
                --depth;
            else if (depth == 0)
                text += ch;
        }
        t = text;
    }
    // Words, split at white space and commas; RFC 850's "06-Nov-94" splits at
    // its dashes too, which leaves numeric offsets ("-0800") whole. The text
    // is at most 64 bytes (normalize_date): a word and its separator take 2
    // bytes at least, a word split in 3 takes 5, so 64 words always fit.
    std::array<std::string_view, 64> word_list;
    std::size_t word_count = 0;
    struct Words {
        std::array<std::string_view, 64>& list;
        std::size_t& count;
        void push_back(std::string_view w) {
            if (count < list.size()) list[count++] = w;
        }
        [[nodiscard]] std::size_t size() const { return count; }
        std::string_view operator[](std::size_t k) const { return list[k]; }
    } words{word_list, word_count};
    std::size_t i = 0;
    while (i < t.size()) {
        while (i < t.size() && (is_space(t[i]) || t[i] == ',')) ++i;
        std::size_t j = i;
        while (j < t.size() && !is_space(t[j]) && t[j] != ',') ++j;
        if (j > i) {
            std::string_view w = t.substr(i, j - i);
            const auto d1 = w.find('-');
            const auto d2 = d1 == std::string_view::npos ? d1 : w.find('-', d1 + 1);
            if (d1 != std::string_view::npos && d1 > 0 && d2 != std::string_view::npos &&
                is_alpha(w[d1 + 1])) {
                words.push_back(w.substr(0, d1));
                words.push_back(w.substr(d1 + 1, d2 - d1 - 1));
                words.push_back(w.substr(d2 + 1));
            } else {
                words.push_back(w);
            }
        }
        i = j;
    }
    std::size_t k = 0;
    auto next = [&]() -> std::string_view { return k < words.size() ? words[k++] : ""; };
    if (k < words.size() && is_weekday(words[k])) ++k;

    Fields f;
    const std::string_view first = next();
    bool have_time = false;
    if (auto day = number(first, 1, 2)) {  // 6 Nov 1994 [08:49:37]
        auto mo = month_of(next());
        auto y = year_of(next());
        if (!mo || !y) return std::nullopt;
        f.day = *day;
        f.month = *mo;
        f.year = *y;
    } else if (auto mo = month_of(first)) {  // Nov 6 [,] 1994 [time] | Nov 6 08:49:37 1994
        auto d = number(next(), 1, 2);
        if (!d) return std::nullopt;
        f.month = *mo;
        f.day = *d;
        std::string_view w = next();
        if (time_of(w, f)) {
            have_time = true;
            w = next();
        }
        auto y = year_of(w);
        if (!y || w.size() != 4) return std::nullopt;  // asctime years are 4 digits
        f.year = *y;
    } else {
        return std::nullopt;
    }
    if (!have_time && k < words.size()) {
        if (!time_of(words[k], f)) return std::nullopt;
        ++k;
    }
    // The zone may be one word or two ("GMT +0200"); nothing may follow it.
    std::string zone_text;
    std::string_view zone_words = k + 1 == words.size() ? words[k] : std::string_view{};
    if (k + 1 < words.size()) {
        for (; k < words.size(); ++k) {
            if (!zone_text.empty()) zone_text += ' ';
            zone_text += words[k];
        }
        zone_words = zone_text;
    }
    auto off = zone(zone_words);
    if (!off) return std::nullopt;
    f.offset_minutes = *off;
    return f;
}

// The layout nearly every RSS date is written in, "Mon, 16 Mar 2026
// 09:00:00 +0000" (or "... GMT"), read at fixed places: the fields
// parse_rfc822 gives for it, without its word splitting and look-ups
// (three quarters of a date's cost). Anything else, or anything this is
// not sure of, is nullopt and parse_rfc822 reads it, so a nullopt here
// never changes a result.
std::optional<Fields> rfc822_fixed(std::string_view s) {
    if (s.size() != 31 && s.size() != 29) return std::nullopt;
    if (s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s[25] != ' ')
        return std::nullopt;
    auto digits = [s](std::size_t at, std::size_t n) {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (!is_digit(s[i])) return -1;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    Fields f;
    f.day = digits(5, 2);
    f.year = digits(12, 4);
    f.hour = digits(17, 2);
    f.minute = digits(20, 2);
    f.second = digits(23, 2);
    if (f.day < 0 || f.year < 0 || f.hour < 0 || f.minute < 0 || f.second < 0) return std::nullopt;
    if (s.size() == 29) {
        if (s.substr(26) != "GMT") return std::nullopt;
    } else {
        const int hh = digits(27, 2), mm = digits(29, 2);
        // parse_rfc822 rejects an offset past 23:59: so does the caller then.
        if ((s[26] != '+' && s[26] != '-') || hh < 0 || mm < 0 || hh > 23 || mm > 59)
            return std::nullopt;
        f.offset_minutes = (s[26] == '-' ? -1 : 1) * (hh * 60 + mm);
    }
    // The words last: the digits fail faster.
    if (!is_weekday(s.substr(0, 3))) return std::nullopt;
    const auto month = month_of(s.substr(8, 3));
    if (!month) return std::nullopt;
    f.month = *month;
    return f;
}

}  // namespace

std::string normalize_date(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    // Longer than any date form: not a date (and not worth scanning).
    if (text.empty() || text.size() > 64) return "";
    std::optional<Fields> f;
    if (text.size() >= 4 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
        is_digit(text[3]))
        f = parse_iso(text);
    else if (auto fixed = rfc822_fixed(text))
        f = fixed;
    else
        f = parse_rfc822(text);
    return f ? to_utc(*f) : "";
}

}  // namespace specwatch::parse
