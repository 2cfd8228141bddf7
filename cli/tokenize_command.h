// `emoscope tokenize`: token ids of a text file, or the text of ids read from standard input,
// with a model folder's tokenizer.json.
#pragma once

#include "cli/command.h"

namespace emoscope {

Command TokenizeCommand();

}  // namespace emoscope
