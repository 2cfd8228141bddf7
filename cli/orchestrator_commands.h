// The campaign commands: coordinator, worker, submit, status, pause, resume, cancel, retry, run.
// They need no libtorch and live in the `emoscope` program.
#pragma once

#include <functional>
#include <vector>

#include "cli/command.h"
#include "worker/task_registry.h"

namespace emoscope {

std::vector<Command> OrchestratorCommands();

// `emoscope worker` running the kinds `make_registry` registers; a program with more task kinds
// (emoscope-torch) lists its own worker command built here. `set_threads`, when given, receives
// --threads (0: automatic) before the worker starts: emoscope-torch sets libtorch's thread count
// with it; the test kinds of emoscope's own worker use none.
Command MakeWorkerCommand(std::function<TaskRegistry()> make_registry,
                          std::function<void(int64_t threads)> set_threads = {});

}  // namespace emoscope
