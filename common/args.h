// Command-line options of one subcommand. The command declares its options, then parses; an
// unknown option, a missing value or a malformed number is a UsageError naming the option.
//
//   ArgParser parser("emoscope forward", "MODEL_DIR --input IN --out OUT");
//   parser.Option("input", "safetensors file with input_ids").Required();
//   parser.Option("dtype", "float32 or bfloat16", "float32");
//   parser.Flag("json", "print JSON");
//   ParsedArgs args = parser.Parse(argv);  // argv: the words after the subcommand
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace emoscope {

// Thrown by ArgParser::Parse on --help; the program prints usage() and exits 0.
class HelpRequested : public std::exception {
 public:
  explicit HelpRequested(std::string usage) : usage_(std::move(usage)) {}
  const char* what() const noexcept override { return usage_.c_str(); }
  const std::string& usage() const { return usage_; }

 private:
  std::string usage_;
};

class ParsedArgs {
 public:
  const std::string& Get(const std::string& name) const;  // Declared options only.
  std::optional<std::string> GetOptional(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  double GetDouble(const std::string& name) const;
  bool Has(const std::string& name) const;
  bool Flag(const std::string& name) const;
  const std::vector<std::string>& Positional() const { return positional_; }
  // The i-th positional argument; UsageError naming `what` when it is missing.
  const std::string& Positional(size_t index, const std::string& what) const;

 private:
  friend class ArgParser;
  std::string command_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
  std::vector<std::string> positional_;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::string usage_line);

  class OptionRef {
   public:
    OptionRef(ArgParser* parser, size_t index) : parser_(parser), index_(index) {}
    OptionRef& Required();

   private:
    ArgParser* parser_;
    size_t index_;
  };

  OptionRef Option(const std::string& name, const std::string& help,
                   std::optional<std::string> default_value = std::nullopt);
  void Flag(const std::string& name, const std::string& help);
  // Accepts at most `max` positional arguments (default: none).
  void Positionals(size_t max, const std::string& help);

  ParsedArgs Parse(const std::vector<std::string>& argv) const;
  std::string Usage() const;

 private:
  struct Spec {
    std::string name;
    std::string help;
    bool is_flag = false;
    bool required = false;
    std::optional<std::string> default_value;
  };
  const Spec* Find(const std::string& name) const;

  std::string command_;
  std::string usage_line_;
  std::vector<Spec> specs_;
  size_t max_positional_ = 0;
  std::string positional_help_;
};

}  // namespace emoscope
