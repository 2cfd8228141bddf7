// A progress bar for long work: count, percentage, rate and ETA, redrawn on standard error at most
// a few times a second when it is a terminal, and as an occasional log line when it is not (so
// batch jobs' logs show progress without a flood of carriage returns).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace emoscope {

class ProgressBar {
 public:
  // `total` 0 means unknown: the bar shows count and rate only. `unit` names what is counted.
  ProgressBar(std::string label, int64_t total, std::string unit = "it");
  ~ProgressBar();  // Finishes the line if Finish() was not called.
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Advance(int64_t n = 1);
  void Set(int64_t done);
  // Extra text shown after the bar (a loss, say).
  void SetSuffix(const std::string& suffix);
  void Finish();

 private:
  void Draw(bool force);

  std::string label_;
  int64_t total_;
  std::string unit_;
  std::string suffix_;
  int64_t done_ = 0;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1h02m", "3m05s", "12s".
std::string FormatDuration(double seconds);

}  // namespace emoscope
