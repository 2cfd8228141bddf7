#include "cli/slurm_script.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace emoscope {
namespace {

// Values are pasted into a shell script and #SBATCH lines: only characters that need no quoting
// in either are accepted, so nothing a user types can turn into a command.
void CheckWord(const std::string& option, const std::string& value) {
  for (const char c : value) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string("/._-:+=,@*[]%").find(c) != std::string::npos;
    if (!ok) Fail("slurm: option --{}: character '{}' is not allowed in '{}'", option, c, value);
  }
}

}  // namespace

std::string SlurmScript(const SlurmScriptOptions& options) {
  if (options.workers < 1) Fail("slurm: option --workers: want at least 1, got {}", options.workers);
  if (options.connect.empty()) Fail("slurm: option --connect: the coordinator's endpoint is required");
  if (options.signal_seconds < 1) Fail("slurm: option --signal-seconds: want at least 1, got {}", options.signal_seconds);
  const std::pair<const char*, const std::string*> words[] = {
      {"connect", &options.connect},   {"emoscope", &options.emoscope_path}, {"job-name", &options.job_name},
      {"partition", &options.partition}, {"gres", &options.gres},           {"time", &options.time},
      {"device", &options.device},     {"log-dir", &options.log_dir},       {"curve-server-key", &options.curve_server_key},
      {"curve-secret", &options.curve_secret}};
  for (const auto& [name, value] : words) CheckWord(name, *value);

  std::string out = "#!/bin/bash\n";
  out += fmt::format("# {} emoscope workers as a Slurm job array, written by `emoscope slurm` (docs/slurm.md).\n",
                     options.workers);
  out += "# Submit with: sbatch THIS_FILE\n";
  out += fmt::format("#SBATCH --job-name={}\n", options.job_name);
  out += fmt::format("#SBATCH --array=0-{}\n", options.workers - 1);
  out += "#SBATCH --ntasks=1\n";
  if (options.cpus_per_task > 0) out += fmt::format("#SBATCH --cpus-per-task={}\n", options.cpus_per_task);
  if (!options.partition.empty()) out += fmt::format("#SBATCH --partition={}\n", options.partition);
  if (!options.gres.empty()) out += fmt::format("#SBATCH --gres={}\n", options.gres);
  if (!options.time.empty()) out += fmt::format("#SBATCH --time={}\n", options.time);
  // B: the signal goes to the batch shell only, which forwards it to the worker.
  out += fmt::format("#SBATCH --signal=B:USR1@{}\n", options.signal_seconds);
  out += options.requeue ? "#SBATCH --requeue\n" : "#SBATCH --no-requeue\n";
  out += "#SBATCH --open-mode=append\n";
  const std::string log_dir = options.log_dir.empty() ? "" : options.log_dir + "/";
  out += fmt::format("#SBATCH --output={}emoscope-worker-%A_%a.out\n", log_dir);
  out += "set -u\n";
  // The drain must end before Slurm's SIGKILL: leave a few seconds of the warning for the exit.
  const int drain_ms = std::max(1, options.signal_seconds - 5) * 1000;
  std::string worker = fmt::format("{} worker --connect {} --slots {} --prefetch {} --device {} --drain-ms {}",
                                   options.emoscope_path, options.connect, options.slots, options.prefetch,
                                   options.device, drain_ms);
  if (!options.curve_server_key.empty()) {
    worker += fmt::format(" --curve-server-key {} --curve-secret {}", options.curve_server_key, options.curve_secret);
  }
  out += fmt::format("{} &\n", worker);
  out += "worker=$!\n";
  out += "timed_out=0\n";
  out += "trap 'timed_out=1; kill -USR1 \"$worker\" 2>/dev/null' USR1\n";
  out += "trap 'kill -TERM \"$worker\" 2>/dev/null' TERM INT\n";
  out += "# `wait` returns early when a trapped signal arrives: wait again until the worker is gone.\n";
  out += "status=0\n";
  out += "while true; do\n";
  out += "  wait \"$worker\"; status=$?\n";
  out += "  kill -0 \"$worker\" 2>/dev/null || break\n";
  out += "done\n";
  out += "echo \"emoscope worker exited with status $status (time limit near: $timed_out)\"\n";
  if (options.requeue) {
    out += "if [ \"$timed_out\" = 1 ]; then\n";
    out += "  scontrol requeue \"$SLURM_JOB_ID\"\n";
    out += "fi\n";
  }
  out += "exit \"$status\"\n";
  return out;
}

}  // namespace emoscope
