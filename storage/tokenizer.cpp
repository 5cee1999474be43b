// The unicode61 tokenizer, with ASCII words read here instead of by FTS5.
//
// Why: indexing a first poll's items spends ~17 % of the writer's
// instructions in unicode61's loop (callgrind, BM_Ingest), ~140 per token,
// most of them on ASCII text. Reading an ASCII word is a table lookup and a
// lowercase copy per byte, or, with unicode61's default ASCII classes, a few
// SSE2 operations per 16 bytes (read_piece).
//
// Why the tokens are the built-in tokenizer's, byte for byte:
// - unicode61 reads the text as a sequence of characters, each either a token
//   character or a separator; a token is a run of token characters, folded.
//   Every separator ends the token before it, and after a separator it starts
//   afresh. So the text can be cut at any separator and each piece tokenized
//   alone, its offsets shifted by where it starts.
// - In UTF-8, a byte below 0x80 is never part of a longer character, in valid
//   or invalid text alike (unicode61's READ_UTF8 takes only 0x80–0xBF after a
//   lead byte). So a piece is cut at the ASCII separators.
// - A piece of ASCII token characters alone is one token, each byte folded by
//   unicode61's ASCII fold. Which ASCII bytes are token characters and how they
//   fold is not assumed: it is asked of the built-in tokenizer, byte by byte,
//   when each tokenizer is created, so options (categories, tokenchars,
//   separators, remove_diacritics) keep their meaning.
// - Any other piece (one with a byte ≥ 0x80) goes to the built-in tokenizer.
//
// It is registered under the same name, "unicode61": FTS5 finds the newest
// tokenizer of a name first, so the schema names the standard tokenizer and
// any SQLite tool reads, queries and checks the index with its own. The tests
// compare the two on random text and on the fixtures, and run FTS5's
// integrity-check, which re-tokenizes every row with the tokenizer of the
// connection running it, on a connection without this one.
#include "storage/tokenizer.h"

#include "storage/sqlite.h"

#include <sqlite3.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace specwatch::storage {
namespace {

using TokenCallback = int (*)(void*, int, const char*, int, int, int);

// The built-in unicode61, found before this one is registered over it.
struct Module {
    fts5_tokenizer builtin{};
    void* context = nullptr;
};

struct Tokenizer {
    const Module* module = nullptr;
    Fts5Tokenizer* builtin = nullptr;
    // For an ASCII byte, what it becomes in a token, 0 if it is a separator;
    // kHigh for every byte from 0x80 up (part of a piece, read by the built-in
    // tokenizer).
    static constexpr unsigned char kHigh = 0x80;
    std::array<unsigned char, 256> fold{};
    bool fast = false;
    // `fold` is unicode61's default for ASCII: letters and digits are token
    // characters, capitals folded to small letters, every other byte below
    // 0x80 a separator. Then a token is read 16 bytes at a time (read_piece).
    bool standard = false;

    ~Tokenizer() {
        if (builtin != nullptr) module->builtin.xDelete(builtin);
    }
};

// The built-in tokenizer's verdict on each ASCII byte alone.
bool learn_ascii(Tokenizer& t) {
    struct Seen {
        int tokens = 0;
        bool plain = true;
        unsigned char folded = 0;
    };
    for (int c = 0; c < 128; ++c) {
        Seen seen;
        const char text = static_cast<char>(c);
        const int rc = t.module->builtin.xTokenize(
            t.builtin, &seen, FTS5_TOKENIZE_DOCUMENT, &text, 1,
            [](void* ctx, int flags, const char* token, int n, int start, int end) {
                auto& s = *static_cast<Seen*>(ctx);
                ++s.tokens;
                if (flags != 0 || n != 1 || start != 0 || end != 1 ||
                    static_cast<unsigned char>(token[0]) >= 0x80 || token[0] == 0)
                    s.plain = false;
                else
                    s.folded = static_cast<unsigned char>(token[0]);
                return SQLITE_OK;
            });
        if (rc != SQLITE_OK || seen.tokens > 1 || !seen.plain) return false;
        t.fold[static_cast<std::size_t>(c)] = seen.tokens == 1 ? seen.folded : 0;
    }
    for (std::size_t c = 0x80; c < 0x100; ++c) t.fold[c] = Tokenizer::kHigh;
    t.standard = true;
    for (int c = 0; c < 128; ++c) {
        const int expected = std::isalnum(c) != 0 ? std::tolower(c) : 0;
        if (t.fold[static_cast<std::size_t>(c)] != expected) t.standard = false;
    }
    return true;
}

// Reads the piece that starts at s[i] (a token character) into `out`,
// folded; returns where it ends, and in `high` whether it holds a byte from
// 0x80 up. `out` has 16 bytes to spare beyond the text's length: a block is
// stored whole before its end is known. Byte for byte what the table loop
// in tokenize does when `t.standard` (the tests compare both with FTS5's).
int read_piece(const Tokenizer& t, const unsigned char* s, int i, int n, char* out, int& size,
               bool& high) {
    unsigned char seen = 0;
#if defined(__SSE2__)
    if (t.standard) {
        const auto in = [](__m128i v, char lo, char hi) {
            // Signed compares: bytes from 0x80 up are negative, never in range.
            return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
        };
        while (n - i >= 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
            const __m128i upper = in(v, 'A', 'Z');
            const __m128i above = _mm_cmplt_epi8(v, _mm_setzero_si128());
            const __m128i token = _mm_or_si128(_mm_or_si128(upper, above),
                                               _mm_or_si128(in(v, 'a', 'z'), in(v, '0', '9')));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + size),
                             _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
            const unsigned ends = ~static_cast<unsigned>(_mm_movemask_epi8(token)) & 0xffffU;
            const unsigned highs = static_cast<unsigned>(_mm_movemask_epi8(above));
            if (ends != 0) {
                const int k = __builtin_ctz(ends);
                high = high || (highs & ((1U << k) - 1)) != 0;
                size += k;
                return i + k;
            }
            high = high || highs != 0;
            size += 16;
            i += 16;
        }
    }
#endif
    for (; i < n; ++i) {
        const unsigned char f = t.fold[s[i]];
        if (f == 0) break;
        seen |= f;
        out[size++] = static_cast<char>(f);
    }
    high = high || (seen & Tokenizer::kHigh) != 0;
    return i;
}

int create(void* context, const char** args, int n, Fts5Tokenizer** out) {
    *out = nullptr;
    auto* t = new (std::nothrow) Tokenizer;
    if (t == nullptr) return SQLITE_NOMEM;
    t->module = static_cast<const Module*>(context);
    const int rc = t->module->builtin.xCreate(t->module->context, args, n, &t->builtin);
    if (rc != SQLITE_OK) {
        t->builtin = nullptr;
        delete t;
        return rc;
    }
    t->fast = learn_ascii(*t);
    *out = reinterpret_cast<Fts5Tokenizer*>(t);
    return SQLITE_OK;
}

void destroy(Fts5Tokenizer* p) {
    delete reinterpret_cast<Tokenizer*>(p);
}

// Passes the built-in tokenizer's tokens of one piece on, shifted to where
// the piece starts, and keeps what the caller's callback answered: unicode61
// turns SQLITE_DONE into SQLITE_OK, and the caller must stop there too.
struct Relay {
    void* context;
    TokenCallback token;
    int offset;
    int answer = SQLITE_OK;
};

int relay(void* ctx, int flags, const char* token, int n, int start, int end) {
    auto& r = *static_cast<Relay*>(ctx);
    r.answer = r.token(r.context, flags, token, n, start + r.offset, end + r.offset);
    return r.answer;
}

int tokenize(Fts5Tokenizer* p, void* context, int flags, const char* text, int length,
             TokenCallback token) {
    const auto& t = *reinterpret_cast<const Tokenizer*>(p);
    if (!t.fast) return t.module->builtin.xTokenize(t.builtin, context, flags, text, length, token);

    const auto* s = reinterpret_cast<const unsigned char*>(text);
    const int n = length;
    // A piece is copied folded as it is read; no piece is longer than the
    // text, and read_piece may store 16 bytes past a piece's end.
    constexpr int kSpare = 16;
    char small[1024 + kSpare];
    std::unique_ptr<char[]> large;
    char* out = small;
    if (n > 1024) {
        large.reset(new (std::nothrow) char[static_cast<std::size_t>(n) + kSpare]);
        if (!large) return SQLITE_NOMEM;
        out = large.get();
    }
    int i = 0;
    while (true) {
        // The separators before the next piece.
        while (i < n && t.fold[s[i]] == 0) ++i;
        if (i == n) return SQLITE_OK;
        const int start = i;
        int size = 0;
        bool high = false;
        i = read_piece(t, s, i, n, out, size, high);
        int rc = SQLITE_OK;
        if (!high) {
            rc = token(context, 0, out, size, start, i);
        } else {
            Relay r{context, token, start};
            rc = t.module->builtin.xTokenize(t.builtin, &r, flags, text + start, i - start, relay);
            if (r.answer != SQLITE_OK) rc = r.answer;
        }
        if (rc == SQLITE_DONE) return SQLITE_OK;
        if (rc != SQLITE_OK) return rc;
    }
}

void free_module(void* p) {
    delete static_cast<Module*>(p);
}

struct Collected {
    std::vector<Token> tokens;
    int stop_after = -1;
};

int collect(void* ctx, int flags, const char* token, int n, int start, int end) {
    auto& c = *static_cast<Collected*>(ctx);
    c.tokens.push_back(Token{std::string(token, static_cast<std::size_t>(n)), start, end, flags});
    return c.stop_after >= 0 && std::cmp_greater_equal(c.tokens.size(), c.stop_after) ? SQLITE_DONE
                                                                                      : SQLITE_OK;
}

}  // namespace

Result<void> register_tokenizer(sqlite3* db) {
    auto found = sql::fts5(db);
    if (!found) return found.error();
    fts5_api* api = *found;
    auto module = std::make_unique<Module>();
    if (api->xFindTokenizer(api, "unicode61", &module->context, &module->builtin) != SQLITE_OK)
        return make_error("this SQLite's FTS5 has no unicode61 tokenizer");
    fts5_tokenizer ours{create, destroy, tokenize};
    // Once registered, FTS5 owns the module and frees it with free_module.
    if (api->xCreateTokenizer(api, "unicode61", module.get(), &ours, free_module) != SQLITE_OK)
        return make_error("cannot register the tokenizer: out of memory");
    module.release();
    return {};
}

namespace {

// One tokenizer made by what is registered as "unicode61" on `db` (or by
// FTS5's own, `builtin`), for the tests' questions below.
struct Made {
    fts5_tokenizer module{};
    Fts5Tokenizer* instance = nullptr;
    Made() = default;
    Made(const Made&) = delete;
    Made& operator=(const Made&) = delete;
    ~Made() {
        if (instance != nullptr) module.xDelete(instance);
    }
};

Result<void> make(sqlite3* db, const std::vector<std::string>& args, bool builtin, Made& out) {
    auto api = sql::fts5(db);
    if (!api) return api.error();
    void* context = nullptr;
    if ((*api)->xFindTokenizer(*api, "unicode61", &context, &out.module) != SQLITE_OK)
        return make_error("no unicode61 tokenizer");
    if (builtin && out.module.xCreate == create) {
        const auto* module = static_cast<const Module*>(context);
        out.module = module->builtin;
        context = module->context;
    }
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    if (int rc =
            out.module.xCreate(context, argv.data(), static_cast<int>(argv.size()), &out.instance);
        rc != SQLITE_OK) {
        out.instance = nullptr;
        return make_error(std::string("cannot create the tokenizer: ") + sqlite3_errstr(rc));
    }
    return {};
}

}  // namespace

Result<std::vector<Token>> tokenize(sqlite3* db, const std::vector<std::string>& args,
                                    std::string_view text, bool builtin, int stop_after) {
    Made made;
    if (auto r = make(db, args, builtin, made); !r) return r.error();
    Collected out;
    out.stop_after = stop_after;
    const int rc = made.module.xTokenize(made.instance, &out, FTS5_TOKENIZE_DOCUMENT, text.data(),
                                         static_cast<int>(text.size()), collect);
    if (rc != SQLITE_OK) return make_error(std::string("tokenizing: ") + sqlite3_errstr(rc));
    return std::move(out.tokens);
}

bool reads_ascii_itself(sqlite3* db, const std::vector<std::string>& args) {
    Made made;
    return make(db, args, false, made) && made.module.xCreate == create &&
           reinterpret_cast<const Tokenizer*>(made.instance)->fast;
}

}  // namespace specwatch::storage
