#include "cli/cluster_commands.h"

#include <cstdio>
#include <filesystem>

#include "cli/slurm_script.h"
#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "protocol/curve.h"

namespace emoscope {
namespace {

int KeysGenerateCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope keys generate", "--out DIR [--name NAME]");
  parser.Option("out", "folder for NAME.key (secret, mode 0600) and NAME.pub").Required();
  parser.Option("name", "file name stem: 'coordinator', or one per worker (e.g. worker-01)", "coordinator");
  const ParsedArgs args = parser.Parse(argv);
  const CurveKeyPair pair = GenerateCurveKeyPair();
  WriteCurveKeyPair(args.Get("out"), args.Get("name"), pair);
  std::printf("%s\n", JoinPath(args.Get("out"), args.Get("name") + ".pub").c_str());
  std::printf("public key %s\n", pair.public_key.c_str());
  return 0;
}

int IntOption(const ParsedArgs& args, const std::string& name, int64_t min, int64_t max) {
  const int64_t value = args.GetInt(name);
  if (value < min || value > max) throw UsageError("option --" + name + ": " + std::to_string(value) + " is out of range");
  return static_cast<int>(value);
}

std::string Absolute(const std::string& path) { return path.empty() ? path : std::filesystem::absolute(path).string(); }

int SlurmCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope slurm", "--workers N --connect ENDPOINT [--partition P] [--gres gpu:1] [--time T] [--out FILE]");
  parser.Option("workers", "job-array elements, one worker each").Required();
  parser.Option("connect", "the coordinator's endpoint as the compute nodes reach it").Required();
  parser.Option("partition", "Slurm partition (default: the cluster's)");
  parser.Option("gres", "generic resources per worker, e.g. gpu:1");
  parser.Option("time", "time limit per worker, e.g. 04:00:00");
  parser.Option("cpus-per-task", "CPUs per worker (0: Slurm's default)", "0");
  parser.Option("slots", "tasks each worker runs at once", "1");
  parser.Option("prefetch", "leases each worker holds beyond the running ones", "4");
  parser.Option("device", "device the workers announce (cuda on GPU nodes)", "cpu");
  parser.Option("signal-seconds", "SIGUSR1 this long before the time limit starts the drain", "120");
  parser.Flag("requeue", "after a drain at the time limit, put the element back in the queue");
  parser.Option("job-name", "Slurm job name", "emoscope-workers");
  parser.Option("log-dir", "folder for the workers' output files (default: sbatch's working folder)");
  parser.Option("emoscope", "the emoscope program on the nodes (default: this one)");
  parser.Option("curve-server-key", "the coordinator's public key file, readable on the nodes");
  parser.Option("curve-secret", "the workers' secret key file, readable on the nodes");
  parser.Option("out", "write the script here (default: standard output)");
  const ParsedArgs args = parser.Parse(argv);
  SlurmScriptOptions options;
  options.workers = IntOption(args, "workers", 1, 100000);
  options.connect = args.Get("connect");
  options.partition = args.GetOptional("partition").value_or("");
  options.gres = args.GetOptional("gres").value_or("");
  options.time = args.GetOptional("time").value_or("");
  options.cpus_per_task = IntOption(args, "cpus-per-task", 0, 100000);
  options.slots = IntOption(args, "slots", 1, 100000);
  options.prefetch = IntOption(args, "prefetch", 0, 100000);
  options.device = args.Get("device");
  options.signal_seconds = IntOption(args, "signal-seconds", 10, 86400);
  options.requeue = args.Flag("requeue");
  options.job_name = args.Get("job-name");
  options.log_dir = Absolute(args.GetOptional("log-dir").value_or(""));
  options.emoscope_path = args.Has("emoscope") ? Absolute(args.Get("emoscope")) : JoinPath(ExecutableDir(), "emoscope");
  options.curve_server_key = Absolute(args.GetOptional("curve-server-key").value_or(""));
  options.curve_secret = Absolute(args.GetOptional("curve-secret").value_or(""));
  if (options.curve_server_key.empty() != options.curve_secret.empty()) {
    throw UsageError("give both --curve-server-key and --curve-secret, or neither");
  }
  if (options.curve_server_key.empty() && !IsLoopbackEndpoint(options.connect)) {
    std::fprintf(stderr, "warning: workers will connect to %s without CURVE (docs/security.md)\n", options.connect.c_str());
  }
  const std::string script = SlurmScript(options);
  if (!args.Has("out")) {
    std::fputs(script.c_str(), stdout);
    return 0;
  }
  WriteFileAtomic(args.Get("out"), script);
  std::filesystem::permissions(args.Get("out"), std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                               std::filesystem::perm_options::add);
  std::fprintf(stderr, "wrote %s; submit it with: sbatch %s\n", args.Get("out").c_str(), args.Get("out").c_str());
  return 0;
}

}  // namespace

std::vector<Command> ClusterCommands() {
  return {{"keys generate", "write a CURVE key pair (coordinator or worker)", KeysGenerateCommand},
          {"slurm", "write an sbatch job-array script of workers", SlurmCommand}};
}

}  // namespace emoscope
