// `emoscope-torch`: the commands that run models. Users reach it through `emoscope`.
#include <vector>

#include "cli/command.h"
#include "cli/torch_commands.h"
#include "common/memory.h"

int main(int argc, char** argv) {
  emoscope::KeepFreedMemory();  // large per-pass tensors reuse heap memory (common/memory.h)
  return emoscope::RunProgram("emoscope", argc, argv, emoscope::TorchCommands());
}
