// Reading activations for emotional stimuli: one forward pass per batch reads the mean residual
// stream over each stimulus's readout tokens at every hook point (models/runtime/model.h).
//
//   comprehension: the readout tokens are the stimulus text's own tokens as fed to the model
//                  (special tokens the tokenizer's template adds, such as BOS, are fed but not read;
//                  a stimulus's context is fed before its text, separated by a space, and not read);
//   generation:    the model first continues the prompt (seeded sampling); the readout tokens are
//                  the generated tokens only, read in a second pass over prompt + continuation.
// skip_leading_fraction drops the first floor(f * n) readout tokens (at least one stays).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/tokenizer/tokenizer.h"

namespace emoscope {

enum class ExtractionMethod { kComprehension, kGeneration };
const char* ExtractionMethodName(ExtractionMethod method);
// "comprehension" / "generation"; Error naming `where` otherwise.
ExtractionMethod ParseExtractionMethod(const std::string& name, const std::string& where);

struct ExtractionItem {
  std::string id;  // stimulus id (and for generation the sample index, e.g. "joy-g-003#2")
  std::string emotion;
  std::string text;     // the passage (comprehension) or the prompt (generation)
  uint64_t seed = 0;    // generation: this sample's sampling seed
  std::string context;  // comprehension: fed before `text` (and a space), not read; "" for none
};

struct ExtractionOptions {
  ExtractionMethod method = ExtractionMethod::kComprehension;
  int64_t tokens_per_batch = 2048;     // padded tokens per forward pass, bounding memory
  double skip_leading_fraction = 0.0;  // in [0, 1)
  SamplingOptions sampling;            // generation only
};

struct SampleReadout {
  std::string id;
  std::string emotion;
  uint64_t seed = 0;
  std::string generated_text;      // generation only
  int64_t readout_tokens = 0;      // 0: nothing to read (generation stopped at once); no activations
  std::vector<float> activations;  // (L+1, hidden) row-major, float32
  std::vector<float> norms;        // (L+1): mean per-token L2 norm of h_l over the readout tokens
};

// Reads every item, in the items' order. `progress(done)` is called after each batch.
std::vector<SampleReadout> ExtractReadouts(CausalLm& model, const Tokenizer& tokenizer,
                                           const std::vector<ExtractionItem>& items,
                                           const ExtractionOptions& options,
                                           const std::function<void(int64_t done)>& progress = {});

// Token ids fed for a comprehension text and the [begin, end) range of the text's own tokens.
// With a context, what is fed is context + " " + text, and the range is where the tokens of
// " " + text (encoded alone) end it; Error naming `id` when the tokenizer merges across that
// boundary, so that the text's tokens alone are not found at the end.
struct EncodedText {
  std::vector<int64_t> ids;
  int64_t begin = 0;
  int64_t end = 0;
};
EncodedText EncodeForReadout(const Tokenizer& tokenizer, const std::string& text,
                             const std::string& context = "", const std::string& id = "");

// The readout positions left after skipping the leading fraction of [begin, end).
std::pair<int64_t, int64_t> SkipLeading(int64_t begin, int64_t end, double fraction);

}  // namespace emoscope
