// `emoscope-torch`: the commands that run models. Users reach it through `emoscope`.
#include <vector>

#include "cli/command.h"
#include "cli/torch_commands.h"

int main(int argc, char** argv) {
  return emoscope::RunProgram("emoscope", argc, argv, emoscope::TorchCommands());
}
