// Ring index accessors, named after liburing's barrier.h. wasm atomics are
// sequentially consistent, which is at least as strong as the
// acquire/release pairing the ring protocol needs.

// @ts-ignore: decorator
@inline export function io_uring_smp_load_acquire(ptr: usize): u32 {
  return atomic.load<u32>(ptr);
}

// @ts-ignore: decorator
@inline export function io_uring_smp_store_release(ptr: usize, value: u32): void {
  atomic.store<u32>(ptr, value);
}
