#include "dashboards/assets.h"

namespace emoscope {

std::optional<std::string_view> FindAsset(std::string_view path) {
  for (const Asset& asset : Assets()) {
    if (asset.path == path) return asset.data;
  }
  return std::nullopt;
}

std::string_view ContentType(std::string_view path) {
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".json")) return "application/json";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".md")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace emoscope
