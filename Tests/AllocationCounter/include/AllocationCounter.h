// Counts the heap allocations made on the calling thread, for tests that pin "a training step
// allocates nothing". The test executable's malloc, calloc and realloc count, then forward to glibc's.
#pragma once

/// Allocations (malloc, calloc, realloc) made on this thread since it started.
long dnnc_allocations_on_this_thread(void);
