// A cache of model weights' checksums, so `submit` and `run` do not hash every weight file of
// every model each time (about 3.3 s per GB, 20 s for a 3B model). No libtorch.
//
// Entry per model folder (its canonical path): for each weight file (WeightSet::OpenFolder's
// files) its base name, size, inode, mtime and ctime in nanoseconds, and WeightsChecksum of the
// folder. A lookup whose files all still have those values returns the stored checksum without
// reading them; any difference (a file rewritten, replaced, added or removed) recomputes it. ctime
// changes on every write and cannot be set back by a user, so a file edited in place within the
// same mtime tick is still caught. The cache is a JSON file written atomically (last writer wins;
// a damaged or foreign file is ignored and replaced), holding at most kMaxEntries folders.
//
// Location: $EMOSCOPE_CHECKSUM_CACHE if set ("off" disables the cache), else
// $XDG_CACHE_HOME/emoscope/checksums.json, else ~/.cache/emoscope/checksums.json. A cache that
// cannot be written is not an error (the checksum is returned; a debug log line says why).
// Thread-safety: none needed across threads of one process beyond not calling it concurrently
// on one cache path; across processes the atomic rename keeps the file whole.
#pragma once

#include <cstddef>
#include <string>

namespace emoscope {

inline constexpr std::size_t kMaxChecksumCacheEntries = 1000;

// The cache file in use, or "" when disabled.
std::string ChecksumCachePath();

// WeightsChecksum(dir), from the cache when the folder's weight files are unchanged. Errors as
// WeightsChecksum (the folder is validated on every call: its headers are read, not its data).
std::string CachedWeightsChecksum(const std::string& dir);

}  // namespace emoscope
