// The sbatch script `emoscope slurm` writes (the real-Slurm run is tests/slurm/slurm_test.sh).
#include <catch2/catch.hpp>

#include "cli/slurm_script.h"
#include "common/error.h"

namespace emoscope {
namespace {

SlurmScriptOptions Options() {
  SlurmScriptOptions options;
  options.workers = 8;
  options.connect = "tcp://head:5555";
  options.emoscope_path = "/opt/emoscope/bin/emoscope";
  options.partition = "gpu";
  options.gres = "gpu:1";
  options.time = "04:00:00";
  return options;
}

TEST_CASE("the slurm script is a job array of workers that drains on the pre-timeout signal", "[slurm]") {
  SlurmScriptOptions options = Options();
  options.requeue = true;
  options.curve_server_key = "/keys/coordinator.pub";
  options.curve_secret = "/keys/workers.key";
  const std::string script = SlurmScript(options);
  CHECK_THAT(script, Catch::StartsWith("#!/bin/bash\n"));
  CHECK_THAT(script, Catch::Contains("#SBATCH --array=0-7\n") && Catch::Contains("#SBATCH --partition=gpu\n") &&
                         Catch::Contains("#SBATCH --gres=gpu:1\n") && Catch::Contains("#SBATCH --time=04:00:00\n") &&
                         Catch::Contains("#SBATCH --signal=B:USR1@120\n") && Catch::Contains("#SBATCH --requeue\n"));
  CHECK_THAT(script, Catch::Contains("/opt/emoscope/bin/emoscope worker --connect tcp://head:5555") &&
                         Catch::Contains("--drain-ms 115000") &&
                         Catch::Contains("--curve-server-key /keys/coordinator.pub --curve-secret /keys/workers.key"));
  CHECK_THAT(script, Catch::Contains("kill -USR1 \"$worker\"") && Catch::Contains("scontrol requeue \"$SLURM_JOB_ID\""));
}

TEST_CASE("without --requeue the slurm script never requeues and leaves unset options out", "[slurm]") {
  SlurmScriptOptions options = Options();
  options.partition.clear();
  options.gres.clear();
  const std::string script = SlurmScript(options);
  CHECK_THAT(script, Catch::Contains("#SBATCH --no-requeue\n"));
  CHECK_THAT(script, !Catch::Contains("scontrol requeue") && !Catch::Contains("--partition") && !Catch::Contains("--gres"));
}

TEST_CASE("slurm script options that could inject shell text are errors naming the option", "[slurm]") {
  SlurmScriptOptions options = Options();
  options.partition = "gpu; rm -rf ~";
  CHECK_THROWS_WITH(SlurmScript(options), Catch::Contains("--partition"));
  options = Options();
  options.connect = "tcp://head:5555 $(id)";
  CHECK_THROWS_WITH(SlurmScript(options), Catch::Contains("--connect"));
  options = Options();
  options.workers = 0;
  CHECK_THROWS_WITH(SlurmScript(options), Catch::Contains("--workers"));
}

}  // namespace
}  // namespace emoscope
