// The rank tests against scipy, computed fresh by tests/analysis/scipy_reference.py (Debian's
// python3-scipy, installed by scripts/setup-debian.sh): Mann-Whitney U against
// scipy.stats.mannwhitneyu on random and tied samples, and the exact Wilcoxon test against an
// exhaustive enumeration of all 2^n sign flips of the midranks (n <= 16), both to 1e-12.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/rank_tests.h"
#include "tests/support/test_support.h"

namespace a = emoscope::analysis;

namespace {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

std::vector<double> Numbers(const std::string& text) {
  std::vector<double> out;
  for (const std::string& part : Split(text, ',')) out.push_back(std::stod(part));
  return out;
}

}  // namespace

TEST_CASE("mann-whitney u equals scipy and exact wilcoxon equals exhaustive sign-flip enumeration to 1e-12",
          "[rank_tests][scipy]") {
  const emoscope::testing::CommandResult result = emoscope::testing::RunCommand(
      "/usr/bin/python3 " +
      emoscope::testing::ShellQuote(emoscope::testing::SourcePath("tests/analysis/scipy_reference.py")));
  INFO(result.output.substr(0, 2000));
  REQUIRE(result.exit_code == 0);  // Needs python3-scipy: scripts/setup-debian.sh installs it.
  int mann_whitney = 0;
  int wilcoxon = 0;
  for (const std::string& line : Split(result.output, '\n')) {
    const std::vector<std::string> fields = Split(line, '|');
    if (fields.size() != 4) continue;
    INFO(line);
    const std::vector<double> x = Numbers(fields[1]);
    const std::vector<double> y = Numbers(fields[2]);
    const double expected = std::stod(fields[3]);
    if (fields[0] == "mw") {
      CHECK(a::MannWhitneyU(x, y).p_value == Approx(expected).epsilon(1e-12));
      ++mann_whitney;
    } else if (fields[0] == "wx") {
      const a::WilcoxonResult test = a::Wilcoxon(x, y);
      CHECK(test.method == a::TestMethod::kExact);
      CHECK(test.p_value == Approx(expected).epsilon(1e-12));
      ++wilcoxon;
    }
  }
  CHECK(mann_whitney == 40);
  CHECK(wilcoxon >= 25);
}
