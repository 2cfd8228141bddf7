// Training: the optimizer and schedule against hand-computed values, the data pipeline, a short run
// whose loss falls, bit-identical resumption from a checkpoint, and errors naming the option.
#include <ATen/ATen.h>
#include <sys/stat.h>

#include <cmath>
#include <csignal>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "models/runtime/model.h"
#include "models/runtime/tensor_file.h"
#include "models/tokenizer/tokenizer.h"
#include "models/training/adamw.h"
#include "models/training/lr_schedule.h"
#include "models/training/train_checkpoint.h"
#include "models/training/trainer.h"
#include "models/training/training_data.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::TrainOptions;
using emoscope::testing::TempDir;

// A model and corpus small enough that a few dozen steps take about a second.
TrainOptions TinyRun(const std::string& out, const std::string& arch = "llama") {
  TrainOptions options;
  options.arch = arch;
  options.layers = 2;
  options.hidden = 32;
  options.heads = 2;
  options.documents = 300;
  options.vocab = 320;
  options.tokenizer_documents = 300;
  options.steps = 150;
  options.batch = 8;
  options.seq_len = 32;
  options.warmup = 5;
  options.lr = 3e-3;
  options.eval_windows = 8;
  options.threads = 1;
  options.checkpoint_every = 0;
  options.out = out;
  return options;
}

emoscope::TrainControl Quiet() {
  emoscope::TrainControl control;
  control.show_progress = false;
  return control;
}

std::string ErrorOf(const TrainOptions& options) {
  try {
    emoscope::Train(options, Quiet());
  } catch (const emoscope::Error& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("the schedule warms up linearly, then follows a cosine from the peak to the floor", "[training]") {
  const emoscope::LrSchedule schedule{/*peak=*/1.0, /*warmup=*/10, /*total=*/111, /*min_ratio=*/0.1};
  CHECK(emoscope::LearningRateAt(schedule, 0) == Approx(0.1));
  CHECK(emoscope::LearningRateAt(schedule, 4) == Approx(0.5));
  CHECK(emoscope::LearningRateAt(schedule, 9) == Approx(1.0));
  CHECK(emoscope::LearningRateAt(schedule, 10) == Approx(1.0));
  // Halfway through the 100 decay steps the cosine is at the middle; a quarter in, at 1/2 + sqrt(2)/4.
  CHECK(emoscope::LearningRateAt(schedule, 60) == Approx(0.55));
  CHECK(emoscope::LearningRateAt(schedule, 35) == Approx(0.1 + 0.9 * (0.5 + std::sqrt(2.0) / 4)));
  CHECK(emoscope::LearningRateAt(schedule, 110) == Approx(0.1));
  CHECK(emoscope::LearningRateAt(schedule, 500) == Approx(0.1));
  const emoscope::LrSchedule no_warmup{/*peak=*/2.0, /*warmup=*/0, /*total=*/3, /*min_ratio=*/0.0};
  CHECK(emoscope::LearningRateAt(no_warmup, 0) == Approx(2.0));
  CHECK(emoscope::LearningRateAt(no_warmup, 1) == Approx(1.0));
  CHECK(emoscope::LearningRateAt(no_warmup, 2) == Approx(0.0).margin(1e-12));
}

TEST_CASE("two AdamW steps on a two-element tensor match the hand-computed update", "[training][adamw]") {
  const double lr = 0.1, wd = 0.1, b1 = 0.9, b2 = 0.95, eps = 1e-8;
  at::Tensor decayed = at::tensor({1.0f, -2.0f}).requires_grad_(true);
  at::Tensor plain = at::tensor({1.0f, -2.0f}).requires_grad_(true);
  emoscope::AdamW optimizer({{"decayed", decayed}, {"plain", plain}}, {{"decayed", true}, {"plain", false}},
                            {b1, b2, eps, wd});
  const double grads[2][2] = {{0.5, -1.0}, {0.1, 0.3}};
  double expected_decayed[2] = {1.0, -2.0};
  double expected_plain[2] = {1.0, -2.0};
  double m[2] = {0, 0}, v[2] = {0, 0};
  for (int t = 1; t <= 2; ++t) {
    const at::Tensor grad =
        at::tensor({static_cast<float>(grads[t - 1][0]), static_cast<float>(grads[t - 1][1])});
    decayed.mutable_grad() = grad.clone();
    plain.mutable_grad() = grad.clone();
    optimizer.Step(lr);
    for (int i = 0; i < 2; ++i) {
      const double g = grads[t - 1][i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double update =
          lr * (m[i] / (1 - std::pow(b1, t))) / (std::sqrt(v[i] / (1 - std::pow(b2, t))) + eps);
      expected_decayed[i] = expected_decayed[i] * (1 - lr * wd) - update;
      expected_plain[i] -= update;
    }
  }
  CHECK(optimizer.steps() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(decayed[i].item<double>() == Approx(expected_decayed[i]).epsilon(1e-6));
    CHECK(plain[i].item<double>() == Approx(expected_plain[i]).epsilon(1e-6));
  }
  // The first step of Adam moves each coordinate by about lr against its gradient's sign.
  CHECK(expected_plain[0] < 1.0 - 0.15);
  CHECK(optimizer.first_moments().at("plain")[1].item<double>() == Approx(m[1]).epsilon(1e-6));
  CHECK(optimizer.second_moments().at("plain")[1].item<double>() == Approx(v[1]).epsilon(1e-6));
}

TEST_CASE("clipping scales all gradients together to the global norm limit", "[training][adamw]") {
  at::Tensor a = at::zeros({1}).requires_grad_(true);
  at::Tensor b = at::zeros({1}).requires_grad_(true);
  a.mutable_grad() = at::tensor({3.0f});
  b.mutable_grad() = at::tensor({4.0f});
  const std::map<std::string, at::Tensor> parameters = {{"a", a}, {"b", b}};
  CHECK(emoscope::ClipGradNorm(parameters, 10.0) == Approx(5.0));
  CHECK(a.grad().item<double>() == Approx(3.0));  // under the limit: unchanged
  CHECK(emoscope::ClipGradNorm(parameters, 1.0) == Approx(5.0));
  CHECK(a.grad().item<double>() == Approx(0.6).epsilon(1e-5));
  CHECK(b.grad().item<double>() == Approx(0.8).epsilon(1e-5));
}

TEST_CASE("the unigram baseline is the cross-entropy under add-one smoothed training counts",
          "[training][data]") {
  const at::Tensor train = at::tensor(std::vector<int64_t>{0, 0, 0, 1}, at::kLong);
  const at::Tensor targets = at::tensor(std::vector<int64_t>{0, 2}, at::kLong);
  // Counts + 1 over a vocabulary of 3: {4, 2, 1} / 7.
  CHECK(emoscope::UnigramCrossEntropy(train, targets, 3) ==
        Approx(-(std::log(4.0 / 7) + std::log(1.0 / 7)) / 2));
}

TEST_CASE("batches are windows of the stream drawn from the seed and step alone", "[training][data]") {
  const at::Tensor stream = at::arange(1000, at::kLong);
  const at::Tensor batch = emoscope::SampleBatch(stream, 4, 16, /*seed=*/7, /*step=*/3);
  REQUIRE(batch.sizes() == at::IntArrayRef({4, 17}));
  for (int64_t row = 0; row < 4; ++row) {
    CHECK(at::equal(batch[row], at::arange(batch[row][0].item<int64_t>(), batch[row][0].item<int64_t>() + 17,
                                           at::kLong)));
  }
  CHECK(at::equal(batch, emoscope::SampleBatch(stream, 4, 16, 7, 3)));
  CHECK_FALSE(at::equal(batch, emoscope::SampleBatch(stream, 4, 16, 7, 4)));
  CHECK_FALSE(at::equal(batch, emoscope::SampleBatch(stream, 4, 16, 8, 3)));
  CHECK_THROWS_WITH(emoscope::SampleBatch(at::arange(10, at::kLong), 1, 16, 7, 0),
                    Catch::Contains("--seq-len 16"));
  const at::Tensor windows = emoscope::EvaluationWindows(stream, 100, 5);
  CHECK(windows.sizes() == at::IntArrayRef({5, 101}));
  CHECK(windows[1][0].item<int64_t>() == 100);
}

TEST_CASE("a short run lowers the loss and writes a loadable model folder", "[training]") {
  for (const std::string arch : {"llama", "gpt2"}) {
    INFO(arch);
    TempDir dir;
    const TrainOptions options = TinyRun(dir.File("model"), arch);
    const emoscope::TrainingReport report = emoscope::Train(options, Quiet());
    REQUIRE(report.completed);
    CHECK(report.steps == 150);
    const auto training = nlohmann::json::parse(emoscope::ReadFile(dir.File("model/training.json")));
    const double first_loss = training["history"][0]["loss"].get<double>();
    CHECK(first_loss > std::log(static_cast<double>(report.vocab)) - 0.5);  // starts near uniform
    CHECK(report.train_loss < first_loss - 1.0);
    CHECK(report.validation_loss < report.unigram_loss);
    CHECK(training["report"]["validation_loss"].get<double>() == report.validation_loss);
    CHECK(training["options"]["arch"] == arch);

    const auto tokenizer = emoscope::Tokenizer::FromFolder(options.out);
    auto model = emoscope::LoadModel(options.out);
    CHECK(model->config().vocab_size == tokenizer.vocab_size());
    const int64_t end_of_text = *tokenizer.TokenToId(emoscope::kEndOfText);
    CHECK(model->config().eos_token_ids == std::vector<int64_t>{end_of_text});
    // The folder holds the trained weights: they differ from the initial ones in checkpoint/.
    const auto trained = emoscope::ReadTensorFile(dir.File("model/model.safetensors"));
    const auto initial = emoscope::ReadTensorFile(dir.File("model/checkpoint/model.safetensors"));
    REQUIRE(trained.size() == initial.size());
    CHECK_FALSE(at::equal(trained.begin()->second, initial.at(trained.begin()->first)));
  }
}

TEST_CASE("stopping halfway and resuming gives the same final weights as one uninterrupted run",
          "[training][checkpoint]") {
  TempDir dir;
  TrainOptions whole = TinyRun(dir.File("whole"));
  whole.steps = 12;
  whole.checkpoint_every = 5;
  const emoscope::TrainingReport straight = emoscope::Train(whole, Quiet());
  REQUIRE(straight.completed);

  TrainOptions halves = whole;
  halves.out = dir.File("halves");
  emoscope::TrainControl stop_at_six = Quiet();
  stop_at_six.stop_after = [](int64_t steps_done) { return steps_done == 6; };
  const emoscope::TrainingReport first = emoscope::Train(halves, stop_at_six);
  CHECK_FALSE(first.completed);
  CHECK(first.steps == 6);
  CHECK_FALSE(emoscope::FileExists(dir.File("halves/model.safetensors")));
  const auto state = emoscope::ReadTrainingState(dir.File("halves/checkpoint"));
  REQUIRE(state);
  CHECK(state->step == 6);

  SECTION("resuming with the same options") {
    const emoscope::TrainingReport second = emoscope::Train(halves, Quiet());
    REQUIRE(second.completed);
    const auto a = emoscope::ReadTensorFile(dir.File("whole/model.safetensors"));
    const auto b = emoscope::ReadTensorFile(dir.File("halves/model.safetensors"));
    REQUIRE(a.size() == b.size());
    for (const auto& [name, tensor] : a) {
      INFO(name);
      CHECK(at::equal(tensor, b.at(name)));
    }
    CHECK(second.validation_loss == straight.validation_loss);
    // Running the finished command again trains nothing and reports the same figures.
    const emoscope::TrainingReport again = emoscope::Train(halves, Quiet());
    CHECK(again.completed);
    CHECK(again.steps == 12);
    CHECK(again.validation_loss == straight.validation_loss);
    CHECK(again.elapsed_seconds == second.elapsed_seconds);
    // Only the last checkpoint's tensor file is kept.
    CHECK(emoscope::FileExists(dir.File("halves/checkpoint/state-00000012.safetensors")));
    CHECK_FALSE(emoscope::FileExists(dir.File("halves/checkpoint/state-00000006.safetensors")));
  }
  SECTION("resuming with other options is refused, naming them") {
    TrainOptions changed = halves;
    changed.lr = 1e-3;
    changed.batch = 4;
    const std::string message = ErrorOf(changed);
    CHECK_THAT(message,
               Catch::Contains("--lr") && Catch::Contains("--batch") && Catch::Contains("state.json"));
  }
  SECTION("a damaged checkpoint is an error naming its file") {
    emoscope::WriteFileAtomic(dir.File("halves/checkpoint/state.json"),
                              "{\"format\": \"emoscope-training-checkpoint\"}");
    CHECK_THAT(ErrorOf(halves), Catch::Contains("state.json") && Catch::Contains("version"));
    emoscope::WriteFileAtomic(dir.File("halves/checkpoint/state.json"), "{not json");
    CHECK_THAT(ErrorOf(halves), Catch::Contains("state.json"));
  }
}

TEST_CASE("SIGTERM during training writes a checkpoint and stops, and the previous handler comes back",
          "[training][checkpoint]") {
  TempDir dir;
  TrainOptions options = TinyRun(dir.File("model"));
  options.steps = 10;
  emoscope::TrainControl control = Quiet();
  control.stop_after = [](int64_t steps_done) {
    if (steps_done == 3) std::raise(SIGTERM);  // as `kill` would, between two steps
    return false;
  };
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  const emoscope::TrainingReport report = emoscope::Train(options, control);
  CHECK_FALSE(report.completed);
  CHECK(report.steps == 3);
  const auto state = emoscope::ReadTrainingState(dir.File("model/checkpoint"));
  REQUIRE(state);
  CHECK(state->step == 3);
  struct sigaction current {};
  sigaction(SIGTERM, nullptr, &current);
  CHECK(current.sa_handler == before.sa_handler);
  CHECK(emoscope::Train(options, Quiet()).completed);
}

TEST_CASE("bad training options are errors naming the option", "[training][errors]") {
  TempDir dir;
  TrainOptions options = TinyRun(dir.File("model"));
  SECTION("gemma cannot be trained") {
    options.arch = "gemma2";
    CHECK_THAT(ErrorOf(options), Catch::Contains("--arch gemma2") && Catch::Contains("cannot be trained"));
  }
  SECTION("zero steps") {
    options.steps = 0;
    CHECK_THAT(ErrorOf(options), Catch::Contains("--steps"));
  }
  SECTION("no output folder") {
    options.out.clear();
    CHECK_THAT(ErrorOf(options), Catch::Contains("--out"));
  }
  SECTION("heads that do not divide the width") {
    options.heads = 3;
    CHECK_THAT(ErrorOf(options), Catch::Contains("--heads"));
  }
  SECTION("a vocabulary smaller than the bytes") {
    options.vocab = 100;
    CHECK_THAT(ErrorOf(options), Catch::Contains("--vocab"));
  }
  SECTION("a folder that holds a model but no checkpoint") {
    REQUIRE(::mkdir(dir.File("model").c_str(), 0755) == 0);
    emoscope::WriteFileAtomic(dir.File("model/config.json"), "{}");
    CHECK_THAT(ErrorOf(options), Catch::Contains("already holds a model") && Catch::Contains("--out"));
  }
  SECTION("a sequence longer than the corpus") {
    options.documents = 4;
    options.seq_len = 4096;
    CHECK_THAT(ErrorOf(options), Catch::Contains("--seq-len") && Catch::Contains("--documents"));
  }
  CHECK_FALSE(emoscope::FileExists(dir.File("model/model.safetensors")));
}

TEST_CASE("model train on the command line names a missing option and refuses gemma",
          "[training][commands]") {
  TempDir dir;
  const std::string program = emoscope::testing::ShellQuote(emoscope::testing::ProgramPath("emoscope"));
  const auto missing = emoscope::testing::RunCommand(program + " model train --arch llama --steps 5");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains("--out"));
  const auto gemma = emoscope::testing::RunCommand(program + " model train --arch gemma --steps 5 --out " +
                                                   emoscope::testing::ShellQuote(dir.File("g")));
  CHECK(gemma.exit_code == 2);
  CHECK_THAT(gemma.output, Catch::Contains("Gemma"));
}

TEST_CASE("model train on the command line writes a folder that generate reads", "[training][commands]") {
  TempDir dir;
  const std::string program = emoscope::testing::ShellQuote(emoscope::testing::ProgramPath("emoscope"));
  const std::string model = emoscope::testing::ShellQuote(dir.File("model"));
  // In a subshell, so that only standard output (the JSON) reaches the pipe.
  const auto train = emoscope::testing::RunCommand(
      "(" + program +
      " model train --arch gpt2 --layers 1 --hidden 16 --heads 2 --documents 100 --vocab 300 --steps 3 " +
      "--batch 2 --seq-len 16 --eval-windows 2 --threads 1 --json --out " + model + " 2>/dev/null)");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  const auto report = nlohmann::json::parse(train.output);
  CHECK(report["completed"] == true);
  CHECK(report["steps"] == 3);
  CHECK(report["vocab"] == 300);
  CHECK(report["unigram_loss"].get<double>() > 0);
  const auto generate = emoscope::testing::RunCommand(
      "(" + program + " generate " + model + " --prompt 'She smiled' --max-new-tokens 4 --json 2>/dev/null)");
  INFO(generate.output);
  REQUIRE(generate.exit_code == 0);
  CHECK(nlohmann::json::parse(generate.output)["prompt"] == "She smiled");
}
