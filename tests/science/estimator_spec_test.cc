// A steering block's `estimator` (one name or a list) makes the metrics tasks store vectors of
// each estimator and adds calibrate and steer tasks per estimator that read only its vectors;
// unknown names fail naming file, line and field.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "common/error.h"
#include "jobs/campaign.h"
#include "jobs/task_params.h"

namespace {

std::string Campaign(const std::string& steering) {
  return "campaign: s\nmodels:\n  - {name: m, path: /models/m, checksum: " + std::string(64, 'a') +
         ", architecture: llama, layers: 4}\n"
         "science:\n  emotions: [joy, fear]\n  methods: [generation]\n  steering:\n" +
         steering;
}

std::string ErrorOf(const std::string& steering) {
  try {
    emoscope::ParseCampaign(Campaign(steering), "c.yaml");
  } catch (const emoscope::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a list of estimators adds steer and calibrate tasks per estimator that read only its vectors",
          "[steering][spec][estimators]") {
  const auto campaign = emoscope::ParseCampaign(
      Campaign("    estimator: [mean_difference, pca, logistic]\n    coefficients: auto\n"), "c.yaml");
  std::map<std::string, int> steer_tasks;
  std::map<std::string, int> calibrate_tasks;
  std::set<std::string> names;
  for (const auto& entry : campaign.entries) {
    REQUIRE(entry.name.has_value());
    CHECK(names.insert(*entry.name).second);  // names stay unique
    if (entry.kind == "metrics") {
      const auto params = emoscope::MetricsParamsFromJson(entry.params);
      CHECK(params.estimators == std::vector<std::string>{"mean_difference", "pca_diff", "logistic"});
    }
    if (entry.kind == "steer" || entry.kind == "calibrate") {
      const std::string estimator = entry.params.at("estimator").get<std::string>();
      (entry.kind == "steer" ? steer_tasks : calibrate_tasks)[estimator] += 1;
      bool reads_vectors = false;
      for (const auto& input : entry.params.at("inputs")) {
        if (input.at("table") != "emotion_vectors") continue;
        reads_vectors = true;
        CHECK(input.at("where").at("estimator") == estimator);
      }
      CHECK(reads_vectors);
    }
  }
  CHECK(steer_tasks == std::map<std::string, int>{{"mean_difference", 2}, {"pca_diff", 2}, {"logistic", 2}});
  CHECK(calibrate_tasks ==
        std::map<std::string, int>{{"mean_difference", 1}, {"pca_diff", 1}, {"logistic", 1}});
  CHECK(names.count("m.steer.peak.joy") == 1);  // the default estimator keeps today's names
  CHECK(names.count("m.steer.peak.pca_diff.joy") == 1);
}

TEST_CASE("without an estimator field steering uses mean-difference vectors, defined once",
          "[steering][spec][estimators]") {
  const auto campaign = emoscope::ParseCampaign(Campaign("    layers: [peak]\n"), "c.yaml");
  for (const auto& entry : campaign.entries) {
    if (entry.kind == "metrics") {
      CHECK(emoscope::MetricsParamsFromJson(entry.params).estimators ==
            std::vector<std::string>{emoscope::kDefaultEstimator});
    }
    if (entry.kind == "steer") {
      CHECK(emoscope::SteerParamsFromJson(entry.params).steering.estimator == emoscope::kDefaultEstimator);
    }
  }
  CHECK(emoscope::SteerParams{}.steering.estimator == "mean_difference");
}

TEST_CASE("an unknown or repeated estimator fails naming the file, line and field",
          "[steering][spec][estimators]") {
  CHECK_THAT(ErrorOf("    estimator: svm\n"),
             Catch::Contains("c.yaml:8: science.steering.estimator:") && Catch::Contains("'svm'"));
  CHECK_THAT(ErrorOf("    estimator: [pca, lda]\n"),
             Catch::Contains("c.yaml:8: science.steering.estimator[1]:") && Catch::Contains("'lda'"));
  CHECK_THAT(ErrorOf("    estimator: [pca, pca_diff]\n"),
             Catch::Contains("science.steering.estimator[1]") && Catch::Contains("duplicate"));
  CHECK_THAT(ErrorOf("    estimator: []\n"), Catch::Contains("science.steering.estimator"));
  // Tasks' params are checked too: a stored task naming an unknown estimator is refused.
  nlohmann::json params = emoscope::ToJson(emoscope::SteerParams{});
  params["emotions"] = {"joy", "fear"};
  params["emotion"] = "joy";
  params["estimator"] = "svm";
  CHECK_THROWS_WITH(emoscope::SteerParamsFromJson(params),
                    Catch::Contains("steer: parameter 'estimator'") && Catch::Contains("svm"));
}
