#include "jobs/yaml_bounds.h"

#include <map>

#include "common/error.h"

namespace emoscope {
namespace {

int Line(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

class Walker {
 public:
  explicit Walker(const std::string& file) : file_(file) {}

  void Walk(const YAML::Node& node, const std::string& field) {
    if (++visited_ > kMaxYamlNodes) {
      Fail(
          "{}:{}: {}: the document expands to more than {} nodes (aliases are counted every time they are "
          "used); refusing it",
          file_, Line(node), field.empty() ? "document" : field, kMaxYamlNodes);
    }
    if (node.IsSequence()) {
      size_t index = 0;
      for (const YAML::Node& item : node) Walk(item, field + "[" + std::to_string(index++) + "]");
    } else if (node.IsMap()) {
      std::map<std::string, int> first_line;
      for (const auto& item : node) {
        const std::string key = item.first.IsScalar() ? item.first.Scalar() : std::string();
        const std::string path = field.empty() ? key : field + "." + key;
        if (!item.first.IsScalar())
          Fail("{}:{}: {}: a mapping key must be a plain value", file_, Line(item.first), field);
        const auto [found, inserted] = first_line.emplace(key, Line(item.first));
        if (!inserted) {
          Fail("{}:{}: {}: duplicate key (first given at line {})", file_, Line(item.first), path,
               found->second);
        }
        Walk(item.second, path);
      }
    }
  }

 private:
  const std::string& file_;
  size_t visited_ = 0;
};

}  // namespace

YAML::Node LoadBoundedYaml(const std::string& text, const std::string& file) {
  if (text.size() > kMaxYamlBytes)
    Fail("{}: {} bytes, more than the limit of {} for a campaign file", file, text.size(), kMaxYamlBytes);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    Fail("{}:{}: invalid YAML: {}", file, error.mark.line + 1, error.msg);
  }
  Walker(file).Walk(root, "");
  return root;
}

}  // namespace emoscope
