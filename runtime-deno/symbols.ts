// Deno.dlopen symbol table for native/include/uringshim.h (ABI-BEGIN..END),
// one entry per prototype, in header order. test/abi.test.ts checks it.

export const symbols = {
  // int32_t us_setup(uint32_t entries, void *params);
  us_setup: { parameters: ["u32", "pointer"], result: "i32" },
  // int32_t us_enter(int32_t ring_fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags);
  us_enter: { parameters: ["i32", "u32", "u32", "u32"], result: "i32" },
  // int32_t us_enter_timeout(int32_t ring_fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, int64_t timeout_ns);
  us_enter_timeout: { parameters: ["i32", "u32", "u32", "u32", "i64"], result: "i32" },
  // int32_t us_register(int32_t ring_fd, uint32_t opcode, void *arg, uint32_t nr_args);
  us_register: { parameters: ["i32", "u32", "pointer", "u32"], result: "i32" },
  // int32_t us_register_eventfd(int32_t ring_fd, int32_t event_fd);
  us_register_eventfd: { parameters: ["i32", "i32"], result: "i32" },
  // int32_t us_unregister_eventfd(int32_t ring_fd);
  us_unregister_eventfd: { parameters: ["i32"], result: "i32" },
  // int32_t us_mmap_rings(int32_t ring_fd, const void *params, void *shadow, void *ctx);
  us_mmap_rings: { parameters: ["i32", "pointer", "pointer", "pointer"], result: "i32" },
  // int32_t us_mmap_enter(void *ctx, uint32_t min_complete, uint32_t flags, int64_t timeout_ns);
  us_mmap_enter: { parameters: ["pointer", "u32", "u32", "i64"], result: "i32" },
  // int32_t us_munmap_rings(void *ctx);
  us_munmap_rings: { parameters: ["pointer"], result: "i32" },
  // int32_t us_mmap_set_enter_fd(void *ctx, int32_t enter_fd, uint32_t enter_flags);
  us_mmap_set_enter_fd: { parameters: ["pointer", "i32", "u32"], result: "i32" },
  // int32_t us_eventfd(uint32_t initval, int32_t nonblock);
  us_eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // int32_t us_eventfd_write(int32_t event_fd, uint32_t value);
  us_eventfd_write: { parameters: ["i32", "u32"], result: "i32" },
  // int32_t us_eventfd_read(int32_t event_fd);  runs on Deno's blocking pool
  us_eventfd_read: { parameters: ["i32"], result: "i32", nonblocking: true },
  // int32_t us_waiter_start(void *waiter, int32_t event_fd, us_wake_fn fn);
  us_waiter_start: { parameters: ["pointer", "i32", "function"], result: "i32" },
  // int32_t us_waiter_stop(void *waiter);
  us_waiter_stop: { parameters: ["pointer"], result: "i32" },
  // int32_t us_buf_alloc(uint64_t size, uint32_t flags, void *out);
  us_buf_alloc: { parameters: ["u64", "u32", "pointer"], result: "i32" },
  // int32_t us_buf_free(void *addr, uint64_t size);
  us_buf_free: { parameters: ["pointer", "u64"], result: "i32" },
  // int32_t us_pool_alloc(uint64_t size, uint64_t align, uint32_t flags, void *out);
  us_pool_alloc: { parameters: ["u64", "u64", "u32", "pointer"], result: "i32" },
  // int32_t us_memlock_limit(void *out);
  us_memlock_limit: { parameters: ["pointer"], result: "i32" },
  // int32_t us_mmap_fd(int32_t fd, uint64_t size, uint64_t offset, void *out);
  us_mmap_fd: { parameters: ["i32", "u64", "u64", "pointer"], result: "i32" },
  // int32_t us_munmap(void *addr, uint64_t size);
  us_munmap: { parameters: ["pointer", "u64"], result: "i32" },
  // int32_t us_close(int32_t fd);
  us_close: { parameters: ["i32"], result: "i32" },
  // int32_t us_kernel_release(char *out, uint32_t len);
  us_kernel_release: { parameters: ["pointer", "u32"], result: "i32" },
  // int32_t us_bind(int32_t fd, const void *addr, uint32_t addrlen);
  us_bind: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  // int32_t us_listen(int32_t fd, int32_t backlog);
  us_listen: { parameters: ["i32", "i32"], result: "i32" },
  // int32_t us_getsockname(int32_t fd, void *addr, uint32_t len);
  us_getsockname: { parameters: ["i32", "pointer", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;
