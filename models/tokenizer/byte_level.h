// GPT-2's reversible map between bytes and printable Unicode characters: byte-level BPE
// vocabularies spell every byte as one of these 256 characters (space is "Ġ", newline "Ċ").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emoscope::byte_level {

// The character standing for `byte`, as a code point and as UTF-8.
uint32_t ByteToCodePoint(uint8_t byte);
const std::string& ByteToUtf8(uint8_t byte);
// The byte a character stands for, or nullopt when it is not one of the 256.
std::optional<uint8_t> CodePointToByte(uint32_t code_point);
// Maps every byte of `bytes` to its character.
std::string Encode(std::string_view bytes);

}  // namespace emoscope::byte_level
