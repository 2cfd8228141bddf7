// The dashboard's pages, scripts, styles and the vendored chart library, compiled into the
// binary from dashboards/assets/ (dashboards/embed_assets.cmake). Immutable; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emoscope {

struct Asset {
  std::string_view path;  // relative to dashboards/assets/, e.g. "app.js", "vendor/chart.umd.js"
  std::string_view data;
};

// Every embedded asset, sorted by path.
const std::vector<Asset>& Assets();

// The asset at `path`, or nullopt.
std::optional<std::string_view> FindAsset(std::string_view path);

// The Content-Type for a file name by its extension (text types in UTF-8).
std::string_view ContentType(std::string_view path);

}  // namespace emoscope
