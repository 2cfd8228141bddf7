#include "common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "common/log.h"

namespace emoscope {
namespace {
constexpr int kBarWidth = 28;
constexpr double kTtyRedrawSeconds = 0.1;     // Terminal redraws at most 10 times a second.
constexpr double kLogLineSeconds = 10.0;      // Non-terminal output: one line every 10 s.
}  // namespace

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) Finish();
}

void ProgressBar::Advance(int64_t n) { Set(done_ + n); }

void ProgressBar::Set(int64_t done) {
  done_ = done;
  Draw(/*force=*/false);
}

void ProgressBar::SetSuffix(const std::string& suffix) { suffix_ = suffix; }

void ProgressBar::Finish() {
  if (finished_) return;
  Draw(/*force=*/true);
  if (tty_) std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::Draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since_draw < (tty_ ? kTtyRedrawSeconds : kLogLineSeconds)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  std::string line;
  if (total_ > 0) {
    const double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * kBarWidth);
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
    line = fmt::format("{} [{}{}] {}/{} {:3.0f}% {:.1f} {}/s ETA {}", label_, std::string(filled, '#'),
                       std::string(kBarWidth - filled, '.'), done_, total_, fraction * 100, rate,
                       unit_, FormatDuration(eta));
  } else {
    line = fmt::format("{} {} {} {:.1f} {}/s {}", label_, done_, unit_, rate, unit_,
                       FormatDuration(elapsed));
  }
  if (!suffix_.empty()) line += " " + suffix_;
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}", line);
  }
}

}  // namespace emoscope
