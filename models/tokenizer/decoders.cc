#include "models/tokenizer/decoders.h"

#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/pattern.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (const auto& part : parts_) part->DecodeChain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

// GPT-2's alphabet back to bytes; a token with a character outside the alphabet (an added token)
// keeps its own bytes. The bytes of all tokens together become one string, invalid UTF-8
// replaced by U+FFFD as the library does.
class ByteLevelDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::string bytes;
    for (const std::string& token : *tokens) {
      std::string decoded;
      bool in_alphabet = true;
      size_t pos = 0;
      while (pos < token.size() && in_alphabet) {
        size_t length = 0;
        const auto byte = byte_level::CodePointToByte(unicode::DecodeAt(token, pos, &length));
        if (byte) {
          decoded.push_back(static_cast<char>(*byte));
        } else {
          in_alphabet = false;
        }
        pos += length;
      }
      bytes += in_alphabet ? decoded : token;
    }
    tokens->assign(1, unicode::ToValidUtf8(bytes));
  }
};

// "▁" back to spaces; the first token loses its replacement characters when the pre-tokenizer
// prepended one.
class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool drop_first)
      : replacement_(std::move(replacement)), drop_first_(drop_first) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      (*tokens)[i] = ReplaceAll((*tokens)[i], replacement_, i == 0 && drop_first_ ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool drop_first_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& token : *tokens) token = pattern_.Replace(token, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// Runs of <0xXX> tokens become their bytes when those form valid UTF-8, else one U+FFFD per byte.
class ByteFallbackDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    const auto flush = [&] {
      if (pending.empty()) return;
      if (unicode::IsValidUtf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
    };
    for (std::string& token : *tokens) {
      const int byte = ParseByteToken(token);
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    *tokens = std::move(out);
  }

 private:
  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }
  // The byte of "<0xXX>", or -1.
  static int ParseByteToken(const std::string& token) {
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
    const int high = HexDigit(token[3]);
    const int low = HexDigit(token[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
  }
};

class FuseDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::string joined;
    for (const std::string& token : *tokens) joined += token;
    tokens->assign(1, joined);
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character from every token.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& token : *tokens) {
      size_t begin = 0;
      for (size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0; ++i) {
        begin += content_.size();
      }
      size_t end = token.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_;
  size_t stop_;
};

size_t NonNegative(const nlohmann::json& json, const std::string& field, const std::string& key,
                   const JsonReader& reader) {
  const int64_t value = reader.Int(json, field, key);
  if (value < 0) reader.Fail(JsonReader::Join(field, key), "must not be negative");
  return static_cast<size_t>(value);
}

// WordPiece tokens back into words: a continuing piece loses its prefix, every other token
// after the first gets a space before it; with cleanup, each token then has the library's
// tokenization artefacts undone (" ." -> ".", " n't" -> "n't", " do not" -> " don't", ...).
class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& token = (*tokens)[i];
      if (i != 0) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) {
          token.erase(0, prefix_.size());
        } else {
          token.insert(0, 1, ' ');
        }
      }
      if (cleanup_) token = Cleanup(token);
    }
  }

 private:
  static std::string Cleanup(std::string token) {
    static const std::pair<const char*, const char*> kReplacements[] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},     {" ,", ","},
        {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},   {" do not", " don't"},
        {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    for (const auto& [from, to] : kReplacements) token = ReplaceAll(token, from, to);
    return token;
  }

  std::string prefix_;
  bool cleanup_;
};

}  // namespace

std::unique_ptr<Decoder> ParseDecoder(const nlohmann::json& json, const std::string& field,
                                      const JsonReader& reader) {
  const std::string type = reader.String(json, field, "type");
  if (type == "Sequence") {
    const nlohmann::json& list = reader.Array(json, field, "decoders");
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      parts.push_back(
          ParseDecoder(list[i], JsonReader::Index(JsonReader::Join(field, "decoders"), i), reader));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    bool prepends = reader.Bool(json, field, "add_prefix_space", true);
    if (const nlohmann::json* scheme = reader.OptionalMember(json, field, "prepend_scheme")) {
      prepends = !(scheme->is_string() && scheme->get<std::string>() == "never");
    }
    return std::make_unique<MetaspaceDecoder>(reader.Char(json, field, "replacement", "\xE2\x96\x81"),
                                              prepends);
  }
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(Pattern::Parse(json, field, reader),
                                            reader.String(json, field, "content"));
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDecoder>(reader.OptionalString(json, field, "prefix", "##"),
                                              reader.Bool(json, field, "cleanup", true));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(reader.Char(json, field, "content", " "),
                                          NonNegative(json, field, "start", reader),
                                          NonNegative(json, field, "stop", reader));
  }
  reader.Fail(JsonReader::Join(field, "type"), "unsupported decoder type '" + type + "'");
}

}  // namespace emoscope
