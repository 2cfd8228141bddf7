// The campaign's steering block expands into calibrate and steer tasks whose parameters carry
// every default (jobs/task_params.h), and bad steering fields fail naming file, line and field.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "common/error.h"
#include "jobs/campaign.h"
#include "jobs/task_params.h"

namespace {

std::string Campaign(const std::string& steering) {
  return "campaign: s\nmodels:\n  - {name: m, path: /models/m, checksum: " + std::string(64, 'a') +
         ", architecture: llama, layers: "
         "8}\n"
         "science:\n  emotions: [joy, fear]\n  methods: [generation]\n  steering:\n" +
         steering;
}

int Count(const emoscope::Campaign& campaign, const std::string& kind) {
  int count = 0;
  for (const auto& entry : campaign.entries) count += entry.kind == kind ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("coefficients: auto adds one calibrate task per layer spec that its steer tasks wait for",
          "[steering][spec]") {
  const auto campaign =
      emoscope::ParseCampaign(Campaign("    layers: [peak, {from: 0.25, to: 0.75}]\n    coefficients: auto\n"
                                       "    auto: {points: 3, max_ppl_ratio: 2.5, prompts: 2}\n"),
                              "c.yaml");
  CHECK(Count(campaign, "calibrate") == 2);
  CHECK(Count(campaign, "steer") == 4);
  for (const auto& entry : campaign.entries) {
    if (entry.kind == "calibrate") {
      const auto params = emoscope::CalibrateParamsFromJson(entry.params);
      CHECK(params.points == 3);
      CHECK(params.max_ppl_ratio == 2.5);
      CHECK(params.prompts == 2);
      CHECK(params.emotion.empty());  // one window for every emotion
    }
    if (entry.kind != "steer") continue;
    const auto params = emoscope::SteerParamsFromJson(entry.params);
    CHECK(params.calibrated);
    CHECK(params.steering.thresholds.min_tokens == 4);
    const std::string calibrate =
        params.steering.layer == "peak" ? "m.calibrate.peak.all" : "m.calibrate.0.25-0.75.all";
    CHECK(std::find(entry.after.begin(), entry.after.end(), calibrate) != entry.after.end());
  }
}

TEST_CASE("the default sweep is log-spaced and sub-unit, and written into every steer task",
          "[steering][spec]") {
  const auto campaign = emoscope::ParseCampaign(Campaign("    layers: [0.5, all]\n"), "c.yaml");
  CHECK(Count(campaign, "calibrate") == 0);
  for (const auto& entry : campaign.entries) {
    if (entry.kind != "steer") continue;
    const auto params = emoscope::SteerParamsFromJson(entry.params);
    CHECK(params.coefficients == emoscope::DefaultCoefficients());
    CHECK(params.coefficients.back() <= 1.0);
    CHECK(entry.params.at("coefficients").size() == 5);
  }
}

TEST_CASE("bad steering fields fail naming the field", "[steering][spec]") {
  auto error_of = [](const std::string& steering) -> std::string {
    try {
      emoscope::ParseCampaign(Campaign(steering), "c.yaml");
    } catch (const emoscope::Error& error) {
      return error.what();
    }
    return "";
  };
  CHECK_THAT(error_of("    layers: [{from: 6, to: 2}]\n"),
             Catch::Contains("science.steering.layers[0]") && Catch::Contains("backwards"));
  CHECK_THAT(error_of("    layers: [9]\n"), Catch::Contains("science.steering.layers[0]"));
  CHECK_THAT(error_of("    auto: {points: 3}\n"),
             Catch::Contains("science.steering.auto") && Catch::Contains("auto"));
  CHECK_THAT(error_of("    coefficients: auto\n    auto: {points: 0}\n"),
             Catch::Contains("science.steering.auto.points"));
  CHECK_THAT(error_of("    mode: absolute\n"), Catch::Contains("science.steering.coefficients"));
  CHECK_THAT(error_of("    thresholds: {min_tokens: 0}\n"),
             Catch::Contains("science.steering.thresholds.min_tokens"));
}
