#include "common/organizations.h"

#include <algorithm>
#include <array>

namespace specwatch {

namespace {

struct Builtin {
    std::string_view name;
    std::string_view country;
    std::initializer_list<std::string_view> aliases;
};

// The organizations that sign most 3GPP contributions and most IETF drafts,
// with the spellings their TDoc lists and datatracker affiliations use. Legal
// forms ("Inc.", "Co., Ltd.") need no alias of their own: org_key drops them.
const Builtin kBuiltinOrganizations[] = {
    {"Huawei", "CN", {"Huawei Technologies", "Huawei Tech", "Huawei Technologies Sweden"}},
    {"HiSilicon", "CN", {"HiSilicon Technologies", "Hisilicon Technologies"}},
    {"Ericsson",
     "SE",
     {"Ericsson LM", "Telefonaktiebolaget LM Ericsson", "Telefonaktiebolaget L M Ericsson",
      "LM Ericsson", "Ericsson Telecomunicacoes"}},
    {"Nokia",
     "FI",
     {"Nokia Corporation", "Nokia Solutions and Networks", "Nokia Networks", "NSN",
      "Nokia Technologies", "Nokia Siemens Networks"}},
    {"Nokia Shanghai Bell", "CN", {"Nokia Shanghai-Bell", "NSB", "Alcatel-Lucent Shanghai Bell"}},
    {"Qualcomm",
     "US",
     {"Qualcomm Incorporated", "Qualcomm Technologies", "QUALCOMM Europe",
      "Qualcomm CDMA Technologies"}},
    {"Samsung",
     "KR",
     {"Samsung Electronics", "Samsung R&D Institute UK", "Samsung Electronics Co",
      "Samsung Research America"}},
    {"ZTE", "CN", {"ZTE Corporation", "ZTE Wistron Telecom"}},
    {"Sanechips", "CN", {"Sanechips Technology"}},
    {"CATT", "CN", {"China Academy of Telecommunications Technology", "Datang", "CICTCI"}},
    {"China Mobile",
     "CN",
     {"CMCC", "China Mobile Communications Corporation", "China Mobile Com. Corporation",
      "China Mobile Communications Group"}},
    {"China Telecom", "CN", {"China Telecommunications", "China Telecom Corporation"}},
    {"China Unicom", "CN", {"China United Network Communications"}},
    {"Apple", "US", {"Apple Computer"}},
    {"Intel", "US", {"Intel Corporation (UK)"}},
    {"MediaTek", "TW", {"MediaTek Inc", "Mediatek Beijing"}},
    {"LG Electronics", "KR", {"LGE", "LG Electronics France", "LG Uplus"}},
    {"NTT DOCOMO", "JP", {"DOCOMO", "NTT DOCOMO INC", "NTT Docomo"}},
    {"NTT", "JP", {"Nippon Telegraph and Telephone"}},
    {"Sony", "JP", {"Sony Corporation", "Sony Group", "Sony Europe"}},
    {"vivo", "CN", {"vivo Mobile Communication", "vivo Communication Technology"}},
    {"OPPO",
     "CN",
     {"Guangdong OPPO Mobile Telecommunications", "Guangdong OPPO Mobile Telecommunications Corp"}},
    {"Xiaomi",
     "CN",
     {"Xiaomi Communications", "Beijing Xiaomi Mobile Software", "Xiaomi Technology"}},
    {"InterDigital", "US", {"InterDigital Communications", "InterDigital Patent Holdings"}},
    {"Lenovo", "CN", {"Lenovo Mobile", "Lenovo (Beijing)"}},
    {"Motorola Mobility", "US", {"Motorola Mobility LLC"}},
    {"UNISOC", "CN", {"Spreadtrum", "Spreadtrum Communications", "UNISOC (Shanghai)"}},
    {"Fujitsu", "JP", {}},
    {"NEC", "JP", {"NEC Corporation"}},
    {"KDDI", "JP", {"KDDI Corporation"}},
    {"SoftBank", "JP", {"SoftBank Corp"}},
    {"SK Telecom", "KR", {"SKT"}},
    {"KT", "KR", {"KT Corp"}},
    {"Deutsche Telekom", "DE", {"Deutsche Telekom AG", "T-Systems"}},
    {"Orange", "FR", {"Orange SA", "France Telecom"}},
    {"Vodafone", "GB", {"Vodafone Group", "Vodafone GmbH"}},
    {"Telefonica", "ES", {"Telefónica", "Telefonica S.A."}},
    {"AT&T", "US", {"AT&T Labs", "AT&T Services"}},
    {"Verizon", "US", {"Verizon Wireless", "Verizon Communications"}},
    {"T-Mobile USA", "US", {"T-Mobile US"}},
    {"Google", "US", {"Google LLC"}},
    {"Cisco", "US", {"Cisco Systems"}},
    {"Juniper Networks", "US", {"Juniper"}},
    {"Microsoft", "US", {"Microsoft Corporation"}},
    {"Akamai", "US", {"Akamai Technologies"}},
    {"Cloudflare", "US", {}},
    {"Mozilla", "US", {"Mozilla Corporation", "Mozilla Foundation"}},
    {"Meta", "US", {"Meta Platforms", "Facebook"}},
    {"Futurewei", "US", {"Futurewei Technologies"}},
    {"Tencent", "CN", {}},
    {"Alibaba", "CN", {"Alibaba Group"}},
    {"Thales", "FR", {"Thales Group"}},
    {"ETSI MCC", "FR", {"MCC", "ETSI Mobile Competence Centre"}},
};

// Legal forms, as org_key's lower-case words: dropped from the end of a name.
constexpr std::string_view kLegalForms[] = {
    "co",   "ltd", "inc", "incorporated", "corp", "corporation", "limited", "llc",
    "gmbh", "ag",  "ab",  "oy",           "oyj",  "sa",          "sas",     "spa",
    "bv",   "nv",  "plc", "kk",           "pte",  "pty",         "company", "lp"};

// Roles that 3GPP writes in place of a company ("Moderator (Ericsson)"):
// the company in the parentheses is the contributor.
constexpr std::string_view kRoles[] = {"moderator", "feature lead", "rapporteur", "session chair",
                                       "summary"};

bool word_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '&';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

struct Word {
    std::size_t begin, end;
    std::string lower;
};

std::vector<Word> words_of(std::string_view s) {
    std::vector<Word> out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (!word_char(s[i])) {
            ++i;
            continue;
        }
        Word w{i, i, {}};
        while (i < s.size() && word_char(s[i])) w.lower += lower(s[i++]);
        w.end = i;
        out.push_back(std::move(w));
    }
    return out;
}

bool is_legal_form(std::string_view w) {
    return std::find(std::begin(kLegalForms), std::end(kLegalForms), w) != std::end(kLegalForms);
}

// How many leading words remain once trailing legal forms are dropped (never
// fewer than one: "AB" alone stays "AB").
std::size_t kept_words(const std::vector<Word>& words) {
    std::size_t n = words.size();
    while (n > 1 && is_legal_form(words[n - 1].lower)) --n;
    return n;
}

std::string collapse_space(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// "Moderator (Ericsson)" → "Ericsson"; anything else unchanged.
std::string_view strip_role(std::string_view s) {
    const auto open = s.find('(');
    if (open == std::string_view::npos || s.empty() || s.back() != ')') return s;
    std::string head;
    for (char c : s.substr(0, open)) head += lower(c);
    while (!head.empty() && (head.back() == ' ' || head.back() == '\t')) head.pop_back();
    if (std::find(std::begin(kRoles), std::end(kRoles), head) == std::end(kRoles)) return s;
    return s.substr(open + 1, s.size() - open - 2);
}

}  // namespace

std::string org_key(std::string_view name) {
    const auto words = words_of(name);
    const std::size_t n = kept_words(words);
    std::string key;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) key += ' ';
        key += words[i].lower;
    }
    return key;
}

OrgTable::OrgTable() {
    for (const auto& b : kBuiltinOrganizations) {
        OrgEntry e{std::string(b.name), std::string(b.country), {}};
        for (auto a : b.aliases) e.aliases.emplace_back(a);
        add(e);
    }
}

OrgTable::OrgTable(const std::vector<OrgEntry>& extra) : OrgTable() {
    for (const auto& e : extra) add(e);
}

void OrgTable::add(const OrgEntry& e) {
    by_key_[org_key(e.name)] = e.name;
    for (const auto& a : e.aliases)
        if (auto k = org_key(a); !k.empty()) by_key_[k] = e.name;
    if (!e.country.empty()) country_[e.name] = e.country;
}

const OrgTable& OrgTable::builtin() {
    static const OrgTable table;
    return table;
}

std::string OrgTable::normalize(std::string_view name) const {
    name = strip_role(name);
    const auto words = words_of(name);
    if (words.empty()) return {};
    if (auto it = by_key_.find(org_key(name)); it != by_key_.end()) return it->second;
    const std::size_t n = kept_words(words);
    if (n == words.size()) {
        // Nothing dropped: the name as written ("CATT (Datang)"), without the
        // separators a list may leave around it.
        std::string out = collapse_space(name);
        while (!out.empty() && (out.back() == ',' || out.back() == ';')) out.pop_back();
        while (!out.empty() && (out.front() == ',' || out.front() == ';')) out.erase(0, 1);
        return collapse_space(out);
    }
    return collapse_space(name.substr(words.front().begin, words[n - 1].end - words.front().begin));
}

std::string OrgTable::country(std::string_view normalized) const {
    auto it = country_.find(std::string(normalized));
    return it == country_.end() ? std::string{} : it->second;
}

namespace {

void add_unique(std::vector<std::string>& out, std::string name) {
    if (name.empty()) return;
    const std::string key = org_key(name);
    if (std::none_of(out.begin(), out.end(),
                     [&](const std::string& o) { return org_key(o) == key; }))
        out.push_back(std::move(name));
}

}  // namespace

std::vector<std::string> OrgTable::split(std::string_view list) const {
    // Pieces between separators; a piece that is only legal forms ("Ltd.")
    // belongs to the name before it ("Huawei Technologies Co., Ltd.").
    std::vector<std::string> pieces;
    std::size_t i = 0;
    while (i <= list.size()) {
        auto end = list.find_first_of(",;\n", i);
        if (end == std::string_view::npos) end = list.size();
        const std::string_view piece = list.substr(i, end - i);
        const auto words = words_of(piece);
        const bool legal_only =
            !words.empty() && std::all_of(words.begin(), words.end(),
                                          [](const Word& w) { return is_legal_form(w.lower); });
        if (legal_only && !pieces.empty())
            pieces.back() += ", " + std::string(piece);
        else if (!words.empty())
            pieces.emplace_back(piece);
        i = end + 1;
    }
    std::vector<std::string> out;
    for (const auto& p : pieces) add_unique(out, normalize(p));
    return out;
}

std::vector<std::string> OrgTable::normalize_all(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    for (const auto& n : names) add_unique(out, normalize(n));
    return out;
}

}  // namespace specwatch
