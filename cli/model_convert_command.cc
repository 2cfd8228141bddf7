// `emoscope model convert SRC --dtype bfloat16 --out DST`: a copy of a model folder with its
// float weights stored in another format (models/checkpoint/convert.h).
#include <cstdio>

#include "cli/commands.h"
#include "common/args.h"
#include "common/error.h"
#include "models/checkpoint/convert.h"

namespace emoscope {
namespace {

int RunModelConvert(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope model convert", "MODEL_DIR --dtype DTYPE --out DIR");
  parser.Positionals(1, "MODEL_DIR: a Hugging Face model folder");
  parser.Option("dtype", "storage dtype of the float weights: float32, float16, bfloat16");
  parser.Option("out", "the new model folder (must not exist, or be empty)");
  const ParsedArgs args = parser.Parse(argv);
  if (!args.Has("dtype")) throw UsageError("emoscope model convert: --dtype is required");
  if (!args.Has("out")) throw UsageError("emoscope model convert: --out is required");
  const DType dtype = ParseStorageDType(args.Get("dtype"), "--dtype");
  const std::string& source = args.Positional(0, "MODEL_DIR");
  const ConvertSummary summary = ConvertModelFolder(source, dtype, args.Get("out"));
  std::printf("%s: %lld tensors (%lld converted to %s), %.2f MB -> %.2f MB\n", args.Get("out").c_str(),
              static_cast<long long>(summary.tensors), static_cast<long long>(summary.converted),
              TorchDTypeName(dtype), static_cast<double>(summary.bytes_before) / 1e6,
              static_cast<double>(summary.bytes_after) / 1e6);
  return kExitOk;
}

}  // namespace

Command ModelConvertCommand() {
  return {"model convert",
          "copy a model folder with its float weights stored as float32, float16 or bfloat16",
          RunModelConvert};
}

}  // namespace emoscope
