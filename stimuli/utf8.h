// UTF-8 validation for text read from user files.
#pragma once

#include <cstddef>
#include <string_view>

namespace emoscope {

// Offset of the first byte that does not start (or continue) a well-formed UTF-8 sequence, or
// std::string_view::npos when `text` is valid. Rejects overlong forms, UTF-16 surrogates and code
// points above U+10FFFF, as RFC 3629 requires. Pure function.
size_t FindInvalidUtf8(std::string_view text);

}  // namespace emoscope
