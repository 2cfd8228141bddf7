// Reference values come from scripts/stats_reference.py (scipy 1.10.1), each call with scipy's
// defaults unless the comment says otherwise.
#include "analysis/rank_tests.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/error.h"

namespace a = emoscope::analysis;

namespace {
Approx Near(double value) { return Approx(value).epsilon(1e-12); }

const std::vector<double> kLargeX{0.2,  1.8, 0.7, 1.2, -0.1, -1.7, 1.7,  0.3,  -0.5, -1.3,
                                  -1.9, 0.8, 0.1, 1.5, 2.2,  -0.5, -0.1, -0.2, 1.0,  1.4,
                                  0.1,  0.2, 1.5, 0.2, -0.6, 0.7,  -0.5, 0.8,  1.8,  0.1};
const std::vector<double> kLargeY{0.1, 0.4, 0.8, 0.6, -0.4, 0.6, -0.9, -0.4, -0.2, -0.2, 0.5, 0.8, 1.7,
                                  0.6, 0.0, 0.6, 0.8, -1.6, 0.7, -0.3, -0.1, 0.4,  1.5,  1.7, 0.3};
const std::vector<double> kPairedX{0.3,  -1.9, 1.7,  1.7,  -1.2, 0.4,  0.9,  1.6,  -1.0, 0.2,  0.2,  -0.3,
                                   0.2,  1.5,  0.1,  -1.9, 1.1,  0.0,  -1.6, -1.7, -1.0, -1.2, -0.2, 0.2,
                                   -0.2, 0.2,  -0.2, 0.9,  0.2,  0.1,  -1.4, -0.6, 1.5,  0.5,  0.0,  0.7,
                                   -1.3, 2.2,  0.8,  -0.9, 0.1,  0.4,  0.2,  0.2,  -0.3, 1.9,  -2.0, -0.7,
                                   -0.1, 1.6,  -0.3, 3.2,  -0.3, -1.1, -0.0, -0.1, -0.1, 0.7,  0.1,  -0.4};
const std::vector<double> kPairedY{0.6,  -1.3, 2.2,  1.6,  -0.4, 1.4,  1.0,  1.5,  -1.0, 0.2,  -0.2, -0.4,
                                   1.0,  0.6,  0.2,  -1.8, 0.8,  0.7,  -1.1, -1.7, -0.7, -0.8, -0.4, 0.1,
                                   0.1,  1.0,  1.6,  1.4,  1.1,  -0.1, -1.2, -0.8, 1.6,  0.1,  -0.2, -0.3,
                                   -1.1, 2.3,  1.8,  -0.7, 0.5,  0.7,  1.0,  -0.2, -0.2, 0.9,  -1.1, -1.3,
                                   -0.3, 1.2,  -0.3, 3.4,  0.6,  -0.6, 0.9,  0.2,  0.3,  1.7,  -0.4, 0.4};
}  // namespace

TEST_CASE("mann-whitney u on small samples without ties uses the exact distribution", "[rank_tests]") {
  const a::MannWhitneyResult textbook = a::MannWhitneyU({19, 22, 16, 29, 24}, {20, 11, 17, 12});
  CHECK(textbook.u1 == 17.0);
  CHECK(textbook.p_value == Near(0.1111111111111111));
  CHECK(textbook.method == a::TestMethod::kExact);

  std::vector<double> twenty;
  for (int v = 0; v < 20; ++v) twenty.push_back(v);
  const a::MannWhitneyResult lopsided = a::MannWhitneyU({0.5, 3.5, 12.5}, twenty);
  CHECK(lopsided.u1 == 18.0);
  CHECK(lopsided.p_value == Near(0.3094297007340485));

  const a::MannWhitneyResult eight =
      a::MannWhitneyU({1.5, 2.5, 7.5, 8.5, 9.5, 13.5, 15.5, 19.5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(eight.u1 == 68.0);
  CHECK(eight.p_value == Near(0.13493688973565135));
  CHECK(eight.method == a::TestMethod::kExact);
}

TEST_CASE("mann-whitney u at the centre of the distribution has p clipped to 1", "[rank_tests]") {
  const a::MannWhitneyResult centre = a::MannWhitneyU({1, 4}, {2, 3});
  CHECK(centre.u1 == 2.0);
  CHECK(centre.p_value == 1.0);
}

TEST_CASE("mann-whitney u with ties uses the tie-corrected normal approximation", "[rank_tests]") {
  const a::MannWhitneyResult small = a::MannWhitneyU({1, 2, 2, 3}, {2, 4, 5});
  CHECK(small.u1 == 2.0);
  CHECK(small.p_value == Near(0.19908985214820463));
  CHECK(small.method == a::TestMethod::kAsymptotic);
  const a::MannWhitneyResult large = a::MannWhitneyU(kLargeX, kLargeY);
  CHECK(large.u1 == 387.0);
  CHECK(large.p_value == Near(0.84567602333174));
  const a::MannWhitneyResult constant = a::MannWhitneyU({1, 1, 1}, {1, 1});
  CHECK(constant.u1 == 3.0);
  CHECK(constant.p_value == 1.0);
}

TEST_CASE("mann-whitney u swaps u1 for n1 n2 - u1 and keeps p when the samples swap", "[rank_tests]") {
  const a::MannWhitneyResult forward = a::MannWhitneyU(kLargeX, kLargeY);
  const a::MannWhitneyResult backward = a::MannWhitneyU(kLargeY, kLargeX);
  CHECK(backward.u1 == 30.0 * 25.0 - forward.u1);
  CHECK(backward.p_value == Near(forward.p_value));
}

TEST_CASE("mann-whitney u rejects empty samples and NaN", "[rank_tests]") {
  CHECK_THROWS_WITH(a::MannWhitneyU({}, {1.0}), Catch::Contains("mann-whitney u: x is empty"));
  CHECK_THROWS_WITH(a::MannWhitneyU({1.0}, {2.0, std::nan("")}), Catch::Contains("y[1] is NaN"));
}

TEST_CASE("wilcoxon on small samples without ties or zeros uses the exact distribution", "[rank_tests]") {
  const a::WilcoxonResult result =
      a::Wilcoxon({1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01},
                  {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29, 1.51});
  CHECK(result.statistic == 5.0);
  CHECK(result.p_value == Near(0.01953125));
  CHECK(result.method == a::TestMethod::kExact);
}

TEST_CASE("wilcoxon drops zero differences and uses the exact conditional null of tied midranks",
          "[rank_tests]") {
  // Reference: enumeration of all 2^11 sign assignments of the midranks (scipy's permutation route).
  const a::WilcoxonResult result =
      a::Wilcoxon({3, 5, 2, 7, 4, 6, 8, 1, 9, 5, 6, 4}, {2, 5, 4, 3, 4, 1, 2, 3, 1, 2, 7, 6});
  CHECK(result.statistic == 13.5);
  CHECK(result.p_value == Near(0.166015625));  // 340 / 2048
  CHECK(result.method == a::TestMethod::kExact);
}

TEST_CASE("wilcoxon of four equal shifts has the exact p of 0.125, not the normal 0.046", "[rank_tests]") {
  const a::WilcoxonResult result = a::Wilcoxon({1, 1, 1, 1}, {0, 0, 0, 0});
  CHECK(result.statistic == 0.0);
  CHECK(result.p_value == Near(0.125));  // 2 * P(all four signs positive) = 2 / 16
  CHECK(result.method == a::TestMethod::kExact);
  const a::WilcoxonResult normal = a::Wilcoxon({1, 1, 1, 1}, {0, 0, 0, 0}, a::TestMethod::kAsymptotic);
  CHECK(normal.p_value == Approx(0.0455).margin(1e-3));
}

TEST_CASE(
    "wilcoxon with tied differences uses the exact null up to 50 pairs and the tie-corrected "
    "normal approximation beyond",
    "[rank_tests]") {
  const std::vector<double> zeros(8, 0.0);
  const a::WilcoxonResult small = a::Wilcoxon({1, 2, -1, 3, 2, -2, 4, 1}, zeros);
  CHECK(small.statistic == 7.0);
  CHECK(small.p_value == Near(0.1640625));  // 42 / 256 by enumeration
  CHECK(small.method == a::TestMethod::kExact);
  const a::WilcoxonResult forced = a::Wilcoxon({1, 2, -1, 3, 2, -2, 4, 1}, zeros, a::TestMethod::kAsymptotic);
  CHECK(forced.p_value == Near(0.11979493042591832));               // scipy 1.10, method='approx'
  const a::WilcoxonResult large = a::Wilcoxon(kPairedX, kPairedY);  // 56 non-zero differences
  CHECK(large.statistic == 477.0);
  CHECK(large.method == a::TestMethod::kAsymptotic);
  CHECK(large.p_value == Near(0.00881734981219778));
  CHECK(a::Wilcoxon(kPairedX, kPairedY, a::TestMethod::kExact).p_value == Near(0.0081506913730032));
}

TEST_CASE("wilcoxon above 50 pairs uses the normal approximation even without ties", "[rank_tests]") {
  std::vector<double> x;
  std::vector<double> y;
  for (int i = 0; i < 51; ++i) {  // Distinct |differences| i + 0.5 with alternating signs.
    x.push_back(i);
    y.push_back(i % 3 == 0 ? i + 0.5 + i : i - 0.5 - i);
  }
  const a::WilcoxonResult wide = a::Wilcoxon(x, y);
  CHECK(wide.method == a::TestMethod::kAsymptotic);
  CHECK(wide.statistic == 425.0);
  CHECK(wide.p_value == Near(0.02568873999366418));
  x.pop_back();
  y.pop_back();
  const a::WilcoxonResult fifty = a::Wilcoxon(x, y);
  CHECK(fifty.method == a::TestMethod::kExact);
  CHECK(fifty.statistic == 425.0);
  CHECK(fifty.p_value == Near(0.03996834652842374));
}

TEST_CASE("wilcoxon rejects all-zero differences, unequal lengths and a forced exact test over 400 pairs",
          "[rank_tests]") {
  CHECK_THROWS_WITH(a::Wilcoxon({1, 2}, {1, 2}), Catch::Contains("all 2 differences are zero"));
  CHECK_THROWS_WITH(a::Wilcoxon({1, 2}, {1}), Catch::Contains("x has 2 values but y has 1"));
  const std::vector<double> many(401, 1.0);
  const std::vector<double> none(401, 0.0);
  CHECK_THROWS_WITH(a::Wilcoxon(many, none, a::TestMethod::kExact), Catch::Contains("up to 400"));
}

TEST_CASE("mann-whitney u falls back to the approximation when the exact table would take seconds",
          "[rank_tests]") {
  std::vector<double> many;
  for (int v = 0; v < 20000; ++v) many.push_back(v);
  // Two values near the middle of 20000: U near the centre, table cost 2 * 20000 * 20000 = 8e8.
  CHECK(a::MannWhitneyU({9999.5, 10000.5}, many).method == a::TestMethod::kExact);
  // Eight values: cost 8 * 80000^2 = 5e10, over the budget.
  const a::MannWhitneyResult lopsided =
      a::MannWhitneyU({9990.5, 9992.5, 9994.5, 9996.5, 10002.5, 10004.5, 10006.5, 10008.5}, many);
  CHECK(lopsided.method == a::TestMethod::kAsymptotic);
  CHECK(lopsided.p_value == Approx(1.0).margin(0.01));
  // Far in the tail, k is small and the exact table stays cheap.
  const a::MannWhitneyResult tail = a::MannWhitneyU({-4, -3, -2, -1}, many);
  CHECK(tail.method == a::TestMethod::kExact);
  CHECK(tail.p_value == Near(2.0 / (20004.0 * 20003.0 * 20002.0 * 20001.0 / 24.0)));  // 2 / C(20004, 4)
}
