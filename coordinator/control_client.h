// The client side of `control` messages (submit, pause, resume, cancel, retry): one DEALER, one
// request, one reply. Used by the CLI when a coordinator serves the database.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "protocol/curve.h"

namespace emoscope {

// Sends {"op": ..., fields} to the coordinator at `endpoint` and returns its reply body. Throws
// Error naming the endpoint when no reply comes within timeout_ms, and Error with the
// coordinator's message when it answers ok=false. `curve` is needed when the coordinator runs
// with CURVE (this client's key must be on its allow-list).
nlohmann::json SendControl(const std::string& endpoint, const nlohmann::json& request, int timeout_ms,
                           const CurveClientOptions& curve = {});

}  // namespace emoscope
