// The built-in test task kinds, known to both the campaign parser (which validates them) and the
// worker (which runs them). They exercise the whole path without a model:
//   noop   succeeds at once
//   sleep  sleeps `ms` milliseconds (heartbeats keep its lease), then succeeds
//   fail   always fails with a retryable error: ends `failed` after its retries
//   crash  kills its worker process (abort): the lease expires and the task is retried elsewhere
// Each success records one row in `test_results` (task id, worker, attempt).
#pragma once

#include <string>

namespace emoscope {

bool IsTestKind(const std::string& kind);

// Attempts a task of `kind` gets before it is failed, unless the campaign says otherwise.
int DefaultMaxAttempts(const std::string& kind);

}  // namespace emoscope
