#include <cstdio>
#include <utility>

#include "cli/analysis_commands.h"
#include "cli/cluster_commands.h"
#include "cli/commands.h"
#include "cli/dashboard_commands.h"
#include "cli/orchestrator_commands.h"
#include "cli/stimuli_commands.h"
#include "cli/tokenize_command.h"
#include "emoscope_version.h"

namespace emoscope {

std::vector<Command> CoreCommands() {
  std::vector<Command> commands;
  commands.push_back({"version", "print the code version", [](const std::vector<std::string>&) {
                        std::printf("emoscope %s\n", EMOSCOPE_CODE_VERSION);
                        return 0;
                      }});
  commands.push_back(ModelInspectCommand());
  commands.push_back(ModelConvertCommand());
  commands.push_back(VectorsExportCommand());
  commands.push_back(TokenizeCommand());
  for (Command& command : StimuliCommands()) commands.push_back(std::move(command));
  for (Command& command : OrchestratorCommands()) commands.push_back(std::move(command));
  for (Command& command : DashboardCommands()) commands.push_back(std::move(command));
  for (Command& command : AnalysisCommands()) commands.push_back(std::move(command));
  for (Command& command : ClusterCommands()) commands.push_back(std::move(command));
  return commands;
}

std::vector<Command> TorchCommandNames() {
  return {
      {"forward", "run a model on input_ids, write every layer's residual stream and logits", nullptr},
      {"generate", "generate text from a prompt, optionally steered", nullptr},
      {"model init", "write a random but valid Hugging Face model folder", nullptr},
      {"verify", "re-run a sample of a campaign's finished tasks and compare with the stored results",
       nullptr},
      {"model train", "train a small language model on the synthetic emotional corpus", nullptr},
  };
}

}  // namespace emoscope
