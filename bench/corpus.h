#pragma once
// Realistic feed text for the benchmarks: standards vocabulary (bodies, groups,
// technologies, document words) mixed with a seeded long tail of ~2,000
// made-up words, so that FTS5 doclists have the skew of real feeds (a few very
// common terms, many rare ones). Same seed, same text.
#include "common/item.h"
#include "config/config.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace specwatch::bench {

inline constexpr std::array<std::string_view, 96> kVocabulary = {
    "3GPP",
    "ETSI",
    "IETF",
    "ITU-T",
    "IEEE",
    "W3C",
    "ISO",
    "IEC",
    "ECMA",
    "OMA",
    "RAN1",
    "RAN2",
    "RAN4",
    "SA2",
    "SA3",
    "CT1",
    "CT4",
    "WG",
    "SG13",
    "SG17",
    "NR",
    "LTE",
    "5G",
    "6G",
    "IMT-2030",
    "O-RAN",
    "QUIC",
    "TLS",
    "HTTP",
    "DNS",
    "OAuth",
    "WebRTC",
    "MQTT",
    "CoAP",
    "IPv6",
    "SRv6",
    "MPLS",
    "Ethernet",
    "Wi-Fi",
    "802.11be",
    "specification",
    "draft",
    "revision",
    "change",
    "request",
    "CR",
    "TDoc",
    "liaison",
    "statement",
    "meeting",
    "agenda",
    "report",
    "minutes",
    "study",
    "item",
    "work",
    "technical",
    "recommendation",
    "standard",
    "amendment",
    "corrigendum",
    "release",
    "Rel-18",
    "Rel-19",
    "version",
    "approved",
    "agreed",
    "endorsed",
    "postponed",
    "security",
    "privacy",
    "architecture",
    "protocol",
    "interface",
    "procedure",
    "network",
    "slicing",
    "positioning",
    "energy",
    "saving",
    "AI",
    "ML",
    "beam",
    "management",
    "MIMO",
    "NTN",
    "satellite",
    "sidelink",
    "V2X",
    "RedCap",
    "XR",
    "URLLC",
    "IoT",
    "the",
    "of",
};

class Corpus {
  public:
    explicit Corpus(std::uint32_t seed = 42) : rng_(seed) {
        static constexpr std::string_view kSyl[] = {"ka", "ro", "ti", "ne", "vo", "lu",  "mi",
                                                    "sa", "de", "po", "qu", "xe", "bra", "ton"};
        std::uniform_int_distribution<int> syl(0, std::size(kSyl) - 1), len(2, 4);
        while (tail_.size() < 2000) {
            std::string w;
            for (int n = len(rng_); n > 0; --n) w += kSyl[syl(rng_)];
            tail_.push_back(std::move(w));
        }
    }
    // One word: 70 % vocabulary (Zipf-like, early words commoner), 30 % long tail.
    std::string word() {
        std::uniform_real_distribution<double> u(0, 1);
        if (u(rng_) < 0.7) {
            const double x = u(rng_);
            return std::string(kVocabulary[static_cast<std::size_t>(x * x * kVocabulary.size())]);
        }
        return tail_[std::uniform_int_distribution<std::size_t>(0, tail_.size() - 1)(rng_)];
    }
    std::string words(int n) {
        std::string s;
        for (int i = 0; i < n; ++i) {
            if (i) s += ' ';
            s += word();
        }
        return s;
    }
    // A feed item of about 1 KB of text, like the ones a first poll stores.
    Item item(std::int64_t n) {
        Item it;
        it.id = "urn:bench:" + std::to_string(n);
        it.link = "https://example.org/doc/" + std::to_string(n);
        it.title = words(8);
        it.summary = words(40);
        it.content = words(100);
        it.author = "Editor " + tail_[static_cast<std::size_t>(n) % tail_.size()];
        it.categories = {std::string(kVocabulary[static_cast<std::size_t>(n) % 20])};
        it.published = "2026-01-01T00:00:00Z";
        return it;
    }
    // A rule query of the kinds people write, each matching a few items of
    // 10,000 (a rule that matched a third of everything would be no rule):
    // two rare words, a phrase, a rare word with a common one, an OR.
    std::string query(int n) {
        auto rare = [&] {
            return tail_[std::uniform_int_distribution<std::size_t>(0, tail_.size() - 1)(rng_)];
        };
        auto common = [&] {
            return std::string(kVocabulary[std::uniform_int_distribution<std::size_t>(
                0, kVocabulary.size() - 3)(rng_)]);
        };
        switch (n % 4) {
            case 0:
                return quote(rare()) + " " + quote(rare());
            case 1:
                return quote(common() + " " + rare());
            case 2:
                return quote(rare()) + " " + quote(common());
            default:
                return "(" + quote(rare()) + " OR " + quote(rare()) + ") AND " + quote(common());
        }
    }
    const std::vector<std::string>& tail() const { return tail_; }

  private:
    static std::string quote(const std::string& w) { return '"' + w + '"'; }
    std::mt19937 rng_;
    std::vector<std::string> tail_;
};

// A database file and its WAL and shared-memory files, removed.
inline void remove_db(const std::string& p) {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(p + ext);
}

// n sources named src0, src1, … with bodies from the vocabulary.
inline std::vector<config::Source> sources(int n) {
    std::vector<config::Source> out;
    for (int i = 0; i < n; ++i) {
        config::Source s;
        s.name = "src" + std::to_string(i);
        s.body = std::string(kVocabulary[static_cast<std::size_t>(i) % 10]);
        s.url = "http://127.0.0.1/" + s.name;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace specwatch::bench
