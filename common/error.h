// Errors that end an operation. Expected outcomes a caller must handle are return values; an
// Error is thrown where the operation cannot go on (bad input, broken file, violated contract)
// and caught at the program boundary, which prints its message and exits non-zero.
//
// Every message says what went wrong and where: the file, and the field, line or offset.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace emoscope {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad command-line usage: the program prints the message and the command's usage, exits 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

// Throws Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void Fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace emoscope
