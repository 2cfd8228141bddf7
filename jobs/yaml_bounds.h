// Bounds on a YAML document before anything converts it: its size in bytes, the number of nodes
// it expands to when aliases are followed (a 556-byte "billion laughs" file expands to about 10^9
// nodes: yaml-cpp stores an alias as a shared node, so the parse is cheap and the blow-up comes
// when a walk or a conversion visits every copy), and duplicate mapping keys (yaml-cpp keeps the
// first silently, so a second `test_tasks:` would be dropped).
//
// LoadBoundedYaml parses `text` and walks the result once, counting every visit; it throws Error
// naming the file, the line and the field when a bound is crossed or a key repeats. Once it has
// returned, any conversion of the document visits at most kMaxYamlNodes nodes. yaml-cpp itself
// refuses nesting deeper than its depth guard (DeepRecursion), reported the same way.
//
// Threading: pure function.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

namespace emoscope {

constexpr size_t kMaxYamlBytes = 16u << 20;  // 16 MiB of campaign text
constexpr size_t kMaxYamlNodes = 1'000'000;  // nodes visited with aliases expanded

YAML::Node LoadBoundedYaml(const std::string& text, const std::string& file);

}  // namespace emoscope
