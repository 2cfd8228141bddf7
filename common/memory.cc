#include "common/memory.h"

#include <malloc.h>

namespace emoscope {

void KeepFreedMemory() {
  constexpr int kLargestHeapBlock = 1 << 30;  // blocks up to 1 GiB come from the heap, not mmap
  mallopt(M_MMAP_THRESHOLD, kLargestHeapBlock);
  mallopt(M_TRIM_THRESHOLD, kLargestHeapBlock);  // and freed memory is not handed back below that
}

}  // namespace emoscope
