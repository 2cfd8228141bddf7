// The sbatch script `emoscope slurm` writes (docs/slurm.md): a job array of N elements, each
// running one emoscope worker connected back to the coordinator.
//
// Before the time limit Slurm sends SIGUSR1 to the batch shell (--signal=B:USR1@S); the script
// forwards it to the worker, which drains (returns its unstarted leases, finishes or hands back
// the running ones, waits for acknowledgements) and exits; with `requeue` the array element then
// puts itself back in the queue. scancel's SIGTERM also drains the worker, without a requeue.
#pragma once

#include <string>

namespace emoscope {

struct SlurmScriptOptions {
  int workers = 1;                  // array elements (one worker each)
  std::string connect;              // the coordinator's endpoint, as the nodes reach it
  std::string emoscope_path;        // absolute path of the program on the nodes
  std::string job_name = "emoscope-workers";
  std::string partition;            // empty: the cluster's default
  std::string gres;                 // e.g. "gpu:1"; empty: none
  std::string time;                 // e.g. "04:00:00"; empty: the partition's default
  int cpus_per_task = 0;            // 0: not set
  int slots = 1;                    // worker --slots
  int prefetch = 4;                 // worker --prefetch
  std::string device = "cpu";       // worker --device
  int signal_seconds = 120;         // SIGUSR1 this long before the time limit
  bool requeue = false;             // requeue the element after a pre-timeout drain
  std::string log_dir;              // where Slurm writes each element's output; empty: cwd
  std::string curve_server_key;     // worker --curve-server-key (a path the nodes can read)
  std::string curve_secret;         // worker --curve-secret
};

// The script text. Error (naming the option) for values that would break it: workers < 1,
// an empty endpoint, or characters outside a conservative set in paths and names.
std::string SlurmScript(const SlurmScriptOptions& options);

}  // namespace emoscope
