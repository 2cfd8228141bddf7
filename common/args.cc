#include "common/args.h"

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "common/error.h"

namespace emoscope {

const std::string& ParsedArgs::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw UsageError(fmt::format("{}: option --{} is required", command_, name));
  return it->second;
}

std::optional<std::string> ParsedArgs::GetOptional(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

int64_t ParsedArgs::GetInt(const std::string& name) const {
  const std::string& text = Get(name);
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError(fmt::format("{}: option --{} wants an integer, got '{}'", command_, name, text));
  }
  return value;
}

double ParsedArgs::GetDouble(const std::string& name) const {
  const std::string& text = Get(name);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError(fmt::format("{}: option --{} wants a number, got '{}'", command_, name, text));
  }
  return value;
}

bool ParsedArgs::Has(const std::string& name) const { return values_.count(name) > 0; }

bool ParsedArgs::Flag(const std::string& name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second;
}

const std::string& ParsedArgs::Positional(size_t index, const std::string& what) const {
  if (index >= positional_.size()) throw UsageError(fmt::format("{}: missing {}", command_, what));
  return positional_[index];
}

ArgParser::ArgParser(std::string command, std::string usage_line)
    : command_(std::move(command)), usage_line_(std::move(usage_line)) {}

ArgParser::OptionRef& ArgParser::OptionRef::Required() {
  parser_->specs_[index_].required = true;
  return *this;
}

ArgParser::OptionRef ArgParser::Option(const std::string& name, const std::string& help,
                                       std::optional<std::string> default_value) {
  Spec spec;
  spec.name = name;
  spec.help = help;
  spec.default_value = std::move(default_value);
  specs_.push_back(std::move(spec));
  return OptionRef(this, specs_.size() - 1);
}

void ArgParser::Flag(const std::string& name, const std::string& help) {
  Spec spec;
  spec.name = name;
  spec.help = help;
  spec.is_flag = true;
  specs_.push_back(std::move(spec));
}

void ArgParser::Positionals(size_t max, const std::string& help) {
  max_positional_ = max;
  positional_help_ = help;
}

const ArgParser::Spec* ArgParser::Find(const std::string& name) const {
  for (const Spec& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

ParsedArgs ArgParser::Parse(const std::vector<std::string>& argv) const {
  ParsedArgs parsed;
  parsed.command_ = command_;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (options_done || word.size() < 2 || word.compare(0, 2, "--") != 0) {
      if (parsed.positional_.size() >= max_positional_) {
        throw UsageError(fmt::format("{}: unexpected argument '{}'", command_, word));
      }
      parsed.positional_.push_back(word);
      continue;
    }
    if (word == "--help") throw HelpRequested(Usage());
    if (word == "--") {
      options_done = true;
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> inline_value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Spec* spec = Find(name);
    if (spec == nullptr) {
      throw UsageError(fmt::format("{}: unknown option --{} (see '{} --help')", command_, name, command_));
    }
    if (spec->is_flag) {
      if (inline_value) throw UsageError(fmt::format("{}: option --{} takes no value", command_, name));
      parsed.flags_[name] = true;
      continue;
    }
    if (inline_value) {
      parsed.values_[name] = *inline_value;
    } else {
      if (i + 1 >= argv.size()) throw UsageError(fmt::format("{}: option --{} needs a value", command_, name));
      parsed.values_[name] = argv[++i];
    }
  }
  for (const Spec& spec : specs_) {
    if (spec.is_flag || parsed.values_.count(spec.name)) continue;
    if (spec.default_value) {
      parsed.values_[spec.name] = *spec.default_value;
    } else if (spec.required) {
      throw UsageError(fmt::format("{}: option --{} is required", command_, spec.name));
    }
  }
  return parsed;
}

std::string ArgParser::Usage() const {
  std::string out = fmt::format("usage: {} {}\n", command_, usage_line_);
  if (!positional_help_.empty()) out += fmt::format("  {}\n", positional_help_);
  for (const Spec& spec : specs_) {
    std::string left = "--" + spec.name + (spec.is_flag ? "" : " VALUE");
    std::string right = spec.help;
    if (spec.required) right += " (required)";
    if (spec.default_value) right += fmt::format(" (default: {})", *spec.default_value);
    out += fmt::format("  {:<26} {}\n", left, right);
  }
  return out;
}

}  // namespace emoscope
