// The read queries behind the dashboard's API and `emoscope report`: each returns the JSON that an
// /api endpoint serves (docs/dashboard.md shows examples). They read the base tables of
// schema/migrations/0001 and 0002 only, through a ReadOnlyStore (so the authorizer and time limit
// apply), except the steering dose-response, which is the steering_dose_response view of
// migration 6 (as `emoscope analyze` reads it). Errors: an unknown campaign throws Error naming it
// and the database.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dashboards/read_only_query.h"

namespace emoscope {

// Every campaign: counts per state, busy span, rate, ETA, spec hash.
nlohmann::json CampaignsView(ReadOnlyStore& store);
// Finished tasks over time: at most ~`buckets` buckets from the first start to the last finish.
nlohmann::json TimelineView(ReadOnlyStore& store, const std::string& campaign, int buckets);
// The campaign's failed tasks, newest first, with their last error.
nlohmann::json FailuresView(ReadOnlyStore& store, const std::string& campaign, int64_t limit);
// Every worker ever seen, with the tasks it holds now.
nlohmann::json WorkersView(ReadOnlyStore& store);
// Localization curves (layer metrics over relative depth), peaks per model/method/metric,
// steering scenarios and regime counts per (model, layer, alpha), the dose-response per (model,
// estimator, layer range, mode, alpha), sample continuations per regime.
nlohmann::json ResultsView(ReadOnlyStore& store, const std::string& campaign, int samples_per_regime);
// What produced the results: spec hash and text, models with checksums, code versions, devices.
nlohmann::json ManifestView(ReadOnlyStore& store, const std::string& campaign);

}  // namespace emoscope
