// The model commands through the real programs: `emoscope model init|inspect`, `forward`,
// `generate`, with their exit codes and error messages.
#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "models/runtime/tensor_file.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::testing::ProgramPath;
using emoscope::testing::RunCommand;
using emoscope::testing::ShellQuote;

std::string Emoscope() { return ShellQuote(ProgramPath("emoscope")); }

}  // namespace

TEST_CASE("forward writes the reference layout and matches the gpt2 fixture", "[commands][fixtures]") {
  const auto expected_path = emoscope::testing::RequireFixtures("models/gpt2-tiny/expected.safetensors");
  if (!expected_path) return;
  const std::string model = expected_path->substr(0, expected_path->rfind('/'));
  emoscope::testing::TempDir dir;
  const auto expected = emoscope::ReadTensorFile(*expected_path);
  emoscope::WriteTensorFile(dir.File("in.safetensors"), {{"input_ids", expected.at("input_ids")}});
  const auto run = RunCommand(Emoscope() + " forward " + ShellQuote(model) + " --input " +
                              ShellQuote(dir.File("in.safetensors")) + " --out " +
                              ShellQuote(dir.File("out.safetensors")));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const auto out = emoscope::ReadTensorFile(dir.File("out.safetensors"));
  REQUIRE(out.at("residual").scalar_type() == at::kFloat);
  REQUIRE(out.at("residual").sizes() == expected.at("residual").sizes());
  CHECK((out.at("residual") - expected.at("residual")).abs().max().item<double>() < 1e-4);
  CHECK((out.at("logits") - expected.at("logits")).abs().max().item<double>() < 1e-4);
}

TEST_CASE("model init writes a folder that model inspect reads and verifies", "[commands]") {
  emoscope::testing::TempDir dir;
  const std::string model = dir.File("tiny");
  const auto init = RunCommand(
      Emoscope() + " model init --arch gemma2 --layers 2 --hidden 32 --heads 4 --kv-heads 2 --out " +
      ShellQuote(model));
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  const auto inspect = RunCommand(Emoscope() + " model inspect " + ShellQuote(model) + " --json 2>/dev/null");
  INFO(inspect.output);
  REQUIRE(inspect.exit_code == 0);
  const auto json = nlohmann::json::parse(inspect.output);
  CHECK(json["architecture"] == "gemma2");
  CHECK(json["layers"] == 2);
  CHECK(json["checksum"].get<std::string>().size() == 64);
  CHECK(json["problems"].empty());
}

TEST_CASE("model init creates the missing parent folders of --out", "[commands]") {
  emoscope::testing::TempDir dir;
  const std::string model = dir.File("a/b/c");
  const auto init = RunCommand(
      Emoscope() + " model init --arch llama --layers 1 --hidden 16 --heads 2 --out " + ShellQuote(model));
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  CHECK(emoscope::FileExists(model + "/config.json"));
  CHECK(emoscope::FileExists(model + "/model.safetensors"));
  const auto over_file =
      RunCommand(Emoscope() + " model init --arch llama --layers 1 --hidden 16 --heads 2 --out " +
                 ShellQuote(model + "/config.json/d"));
  CHECK(over_file.exit_code == 1);
  CHECK_THAT(over_file.output, Catch::Contains("config.json"));
}

TEST_CASE("the model commands, worker and run take --threads and refuse a negative count",
          "[commands][threads]") {
  emoscope::testing::TempDir dir;
  const std::string model = dir.File("tiny");
  REQUIRE(RunCommand(Emoscope() + " model init --arch gpt2 --layers 1 --hidden 16 --heads 2 --out " +
                     ShellQuote(model))
              .exit_code == 0);
  const auto one = RunCommand(Emoscope() + " generate " + ShellQuote(model) +
                              " --prompt 'The day' --max-new-tokens 3 --threads 1 --json");
  INFO(one.output);
  CHECK(one.exit_code == 0);
  const auto negative = RunCommand(Emoscope() + " forward " + ShellQuote(model) +
                                   " --text hi --threads -1 --out " + ShellQuote(dir.File("o.safetensors")));
  CHECK(negative.exit_code == 2);
  CHECK_THAT(negative.output, Catch::Contains("--threads"));
  // Checked before a worker connects or a campaign is read.
  const auto worker = RunCommand(Emoscope() + " worker --connect tcp://127.0.0.1:9 --threads -1");
  CHECK(worker.exit_code == 2);
  CHECK_THAT(worker.output, Catch::Contains("--threads"));
  const auto run = RunCommand(Emoscope() + " run " + ShellQuote(dir.File("none.yaml")) + " --db " +
                              ShellQuote(dir.File("d.db")) + " --threads -1");
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::Contains("--threads"));
}

TEST_CASE("model inspect reports a tensor that does not match config.json and exits 1",
          "[commands][errors]") {
  emoscope::testing::TempDir dir;
  const std::string model = dir.File("tiny");
  REQUIRE(RunCommand(Emoscope() + " model init --arch llama --layers 2 --hidden 16 --heads 2 --out " +
                     ShellQuote(model))
              .exit_code == 0);
  // Claim three layers: the checkpoint lacks layer 2.
  std::string config = emoscope::ReadFile(model + "/config.json");
  const auto pos = config.find("\"num_hidden_layers\": 2");
  REQUIRE(pos != std::string::npos);
  config.replace(pos, 22, "\"num_hidden_layers\": 3");
  emoscope::WriteFileAtomic(model + "/config.json", config);
  const auto inspect = RunCommand(Emoscope() + " model inspect " + ShellQuote(model));
  CHECK(inspect.exit_code == 1);
  CHECK_THAT(inspect.output, Catch::Contains("missing tensor model.layers.2.input_layernorm.weight"));
}

TEST_CASE("generate continues a prompt deterministically for a seed, steered or not",
          "[commands][generate]") {
  emoscope::testing::TempDir dir;
  const std::string model = dir.File("tiny");
  REQUIRE(RunCommand(Emoscope() +
                     " model init --arch llama --layers 2 --hidden 32 --heads 4 --merges 20 --out " +
                     ShellQuote(model))
              .exit_code == 0);
  const std::string base = Emoscope() + " generate " + ShellQuote(model) +
                           " --prompt 'the weather' --max-new-tokens 12 --seed 3 --json";
  const auto first = RunCommand(base + " 2>/dev/null");
  const auto second = RunCommand(base + " 2>/dev/null");
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.output == second.output);
  const auto json = nlohmann::json::parse(first.output);
  CHECK(json["prompt"] == "the weather");
  CHECK(json["tokens"].size() <= 12);

  // A large steering vector at layer 1 changes the continuation.
  emoscope::WriteTensorFile(dir.File("v.safetensors"), {{"direction.1", at::ones({32}) * 50}});
  const auto steered = RunCommand(base + " --steer " + ShellQuote(dir.File("v.safetensors")) +
                                  " --layer 1 --alpha 1 2>/dev/null");
  INFO(steered.output);
  REQUIRE(steered.exit_code == 0);
  CHECK(steered.output != first.output);
}

TEST_CASE("bad command lines exit 2 and bad inputs exit 1, each with a message naming the problem",
          "[commands][errors]") {
  emoscope::testing::TempDir dir;
  auto unknown = RunCommand(Emoscope() + " forward --bogus");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("--bogus"));
  auto missing = RunCommand(Emoscope() + " forward " + ShellQuote(dir.path()) + " --out x");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains("--input"));
  auto no_model = RunCommand(Emoscope() + " forward " + ShellQuote(dir.File("nothing")) + " --input " +
                             ShellQuote(dir.File("in.safetensors")) + " --out " + ShellQuote(dir.File("o")));
  CHECK(no_model.exit_code == 1);
  CHECK_THAT(no_model.output, Catch::Contains("in.safetensors"));
  auto bad_arch = RunCommand(Emoscope() + " model init --arch bert --out " + ShellQuote(dir.File("m")));
  CHECK(bad_arch.exit_code == 1);
  CHECK_THAT(bad_arch.output, Catch::Contains("bert"));
  auto bad_command = RunCommand(Emoscope() + " frobnicate");
  CHECK(bad_command.exit_code == 2);
}
