#pragma once
// Expected failures (a feed that does not parse, a fetch that failed, a config
// with mistakes) are values, not exceptions: Result<T> holds a T or an Error.
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace specwatch {

struct Error {
    std::string message;
};

// Called by boost::system::result<T, Error>::value() when it holds an error: a
// caller that did not check has broken an invariant, so it throws.
[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
    throw std::runtime_error(e.message);
}

template <class T, class E = Error>
using Result = boost::system::result<T, E>;

inline Error make_error(std::string message) {
    return Error{std::move(message)};
}

}  // namespace specwatch
