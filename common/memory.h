// Process-wide memory settings for programs that run models.
#pragma once

namespace emoscope {

// Keeps freed blocks of any size in the heap for reuse instead of returning them to the system.
// glibc serves blocks above its mmap threshold with fresh mappings, so each forward pass's large
// transient tensors (a 512-token batch's logits over a 50k vocabulary are 100 MB) would be
// page-faulted and zeroed again every time. Costs resident memory up to the largest working set,
// which a worker holds anyway. Call once, early.
void KeepFreedMemory();

}  // namespace emoscope
