#include "dashboards/report.h"

#include "common/error.h"
#include "dashboards/assets.h"
#include "dashboards/campaign_views.h"

namespace emoscope {
namespace {

std::string AssetText(std::string_view name) {
  const std::optional<std::string_view> data = FindAsset(name);
  if (!data) Fail("the build lacks the dashboard asset {}", name);
  return std::string(*data);
}

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
  }
}

// Text placed inside <script> must not close it early: "</" becomes "<\/", the same string in
// JSON and in JavaScript string literals.
std::string ScriptSafe(std::string text) {
  ReplaceAll(&text, "</", "<\\/");
  return text;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

void Fill(std::string* page, std::string_view placeholder, const std::string& content) {
  const size_t at = page->find(placeholder);
  if (at == std::string::npos) Fail("report.html lacks the placeholder {}", placeholder);
  page->replace(at, placeholder.size(), content);
}

}  // namespace

std::string BuildReport(ReadOnlyStore& store, const std::string& campaign) {
  nlohmann::json data = {{"manifest", ManifestView(store, campaign)},
                         {"results", ResultsView(store, campaign, /*samples_per_regime=*/5)},
                         {"failures", FailuresView(store, campaign, /*limit=*/50)},
                         {"timeline", TimelineView(store, campaign, /*buckets=*/120)}};
  for (const nlohmann::json& status : CampaignsView(store)) {
    if (status["name"] == campaign) data["status"] = status;
  }
  std::string page = AssetText("report.html");
  // Fill the data last: it may contain any text, including the other placeholders.
  Fill(&page, "/*@STYLE@*/", AssetText("style.css"));
  Fill(&page, "/*@CHARTJS@*/", ScriptSafe(AssetText("vendor/chart.umd.js")));
  Fill(&page, "/*@CHARTS@*/", ScriptSafe(AssetText("charts.js")));
  Fill(&page, "/*@REPORT@*/", ScriptSafe(AssetText("report.js")));
  Fill(&page, "/*@TITLE@*/", HtmlEscape(campaign));
  Fill(&page, "/*@DATA@*/", ScriptSafe(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return page;
}

}  // namespace emoscope
