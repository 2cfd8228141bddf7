// Commands over the stimuli files and the synthetic corpus (no libtorch):
//   emoscope stimuli check FILE...   load JSONL stimuli files, print counts per emotion
//   emoscope corpus --out FILE       write a seeded synthetic emotional corpus as JSONL
#pragma once

#include <vector>

#include "cli/command.h"

namespace emoscope {

std::vector<Command> StimuliCommands();

}  // namespace emoscope
