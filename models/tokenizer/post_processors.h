// The tokenizer.json "post_processor", for a single sequence: the special tokens put around the
// encoded text when add_special_tokens is on (Llama's BOS, BERT's [CLS] ... [SEP]). Immutable;
// thread-safe.
//
// Supported types: TemplateProcessing (the "single" template), RobertaProcessing,
// BertProcessing, ByteLevel (adds nothing), Sequence. Anything else is an Error naming the field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "models/tokenizer/json_reader.h"

namespace emoscope {

struct PostProcessor {
  std::vector<int32_t> prefix;  // ids before the sequence
  std::vector<int32_t> suffix;  // ids after it
};

PostProcessor ParsePostProcessor(const nlohmann::json& json, const std::string& field, const JsonReader& reader);

}  // namespace emoscope
