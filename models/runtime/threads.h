// How many intra-op CPU threads model work uses (forward passes, generation, training): one rule
// for every command (bench/BENCHMARKS.md, "Threads", has the measurements behind it).
#pragma once

#include <cstdint>

namespace emoscope {

// The cores not already busy: the machine's cores minus the 1-minute load average, at least one.
// On a shared 2-core machine under load, two intra-op threads ran 1.8x (forward) to 3-6x
// (training) slower than one, because each parallel region waits for its slowest, preempted
// thread; on an idle machine this is every core.
int64_t DefaultThreadCount();

// Sets libtorch's intra-op thread count for this process: `requested` threads, or
// DefaultThreadCount() when it is 0. Returns the count set. Error naming `what` when negative.
int64_t SetThreadCount(int64_t requested, const char* what);

}  // namespace emoscope
