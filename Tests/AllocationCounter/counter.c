// malloc, calloc and realloc for the test executable: each counts one allocation on the calling thread
// (a thread-local counter, so tests running in parallel do not disturb each other), then calls glibc's.
// Defined in the executable, these take the place of libc's for every library in the process.
#include <stddef.h>
#include "AllocationCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static __thread long allocations;

void *malloc(size_t size) {
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    allocations++;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    allocations++;
    return __libc_realloc(pointer, size);
}

long dnnc_allocations_on_this_thread(void) { return allocations; }
