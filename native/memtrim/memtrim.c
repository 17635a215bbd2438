// Gives memory back to the kernel, for the memory governor (native/memtrim.ts loads it):
// malloc_trim(0) returns the free pages of every glibc malloc arena (worker threads each
// leave an arena behind that glibc otherwise keeps for the life of the process);
// mallopt(M_TRIM_THRESHOLD) makes free() trim an arena's top sooner (and stops glibc from
// raising the threshold to 64 MiB on its own); mallopt(M_ARENA_MAX) stops glibc from giving
// each new thread an arena of its own (it caps arenas created from then on: set before the
// parse workers start, they share the few that exist); madvise(MADV_DONTNEED) on a shared file
// mapping drops its resident pages (the LMDB map, the usearch file): they are clean or
// already in the page cache, and fault back in from it when read again. Any thread.
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

/* trim(): 1 if memory was returned, 0 if none, -1 when not glibc. */
static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
#if defined(__GLIBC__)
  return make_int(env, malloc_trim(0));
#else
  return make_int(env, -1);
#endif
}

/* setTrimThreshold(bytes): 1 on success, 0 on failure, -1 when not glibc. */
static napi_value SetTrimThreshold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t bytes = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int64(env, argv[0], &bytes) != napi_ok || bytes < 0) {
    napi_throw_type_error(env, NULL, "setTrimThreshold(bytes): a non-negative number");
    return NULL;
  }
#if defined(__GLIBC__)
  return make_int(env, mallopt(M_TRIM_THRESHOLD, (int)(bytes > INT32_MAX ? INT32_MAX : bytes)));
#else
  return make_int(env, -1);
#endif
}

/* setArenaMax(n): M_ARENA_MAX; 1 on success, 0 on failure, -1 when not glibc. */
static napi_value SetArenaMax(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, NULL, "setArenaMax(n): a positive integer");
    return NULL;
  }
#if defined(__GLIBC__)
  return make_int(env, mallopt(M_ARENA_MAX, n));
#else
  return make_int(env, -1);
#endif
}

/* dropPages(start, length): madvise(MADV_DONTNEED); 0 or the errno. Addresses fit a double (< 2^53). */
static napi_value DropPages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double start = 0, length = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_double(env, argv[0], &start) != napi_ok ||
      napi_get_value_double(env, argv[1], &length) != napi_ok || start < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "dropPages(start, length): two positive numbers");
    return NULL;
  }
  int r = madvise((void *)(uintptr_t)start, (size_t)length, MADV_DONTNEED);
  return make_int(env, r == 0 ? 0 : errno);
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"trim", NULL, Trim, NULL, NULL, NULL, napi_default, NULL},
      {"setTrimThreshold", NULL, SetTrimThreshold, NULL, NULL, NULL, napi_default, NULL},
      {"setArenaMax", NULL, SetArenaMax, NULL, NULL, NULL, napi_default, NULL},
      {"dropPages", NULL, DropPages, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
