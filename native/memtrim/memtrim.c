// Gives memory back to the kernel, for the memory governor (native/memtrim.ts loads it):
// malloc_trim(0) returns the free pages of every glibc malloc arena (worker threads each
// leave an arena behind that glibc otherwise keeps for the life of the process);
// mallopt(M_TRIM_THRESHOLD) makes free() trim an arena's top sooner (and stops glibc from
// raising the threshold to 64 MiB on its own); mallopt(M_ARENA_MAX) stops glibc from giving
// each new thread an arena of its own (it caps arenas created from then on: set before the
// parse workers start, they share the few that exist); madvise(MADV_DONTNEED) on a shared file
// mapping drops its resident pages (the LMDB map, the usearch file): they are clean or
// already in the page cache, and fault back in from it when read again. Any thread.
// Also execv() of the running binary, for the index command at a tight budget: the V8 heap's
// young generation can only be capped by a flag given at start, and an exec replaces the
// process in place (same pid, no parent left waiting and holding memory). Main thread.
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
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

/* reexec(path, argv): execv(path, argv); returns only on failure, with the errno. */
static napi_value Reexec(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t n = 0;
  bool is_array = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, NULL, "reexec(path, argv): a path and a non-empty array of strings");
    return NULL;
  }
  char **args = calloc((size_t)n + 2, sizeof(char *));
  if (args == NULL) return make_int(env, ENOMEM);
  int err = 0;
  for (uint32_t i = 0; i <= n && err == 0; i++) {
    napi_value v = i == 0 ? argv[0] : NULL;
    if (i > 0 && napi_get_element(env, argv[1], i - 1, &v) != napi_ok) err = EINVAL;
    size_t len = 0;
    if (err == 0 && napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) err = EINVAL;
    if (err == 0 && (args[i] = malloc(len + 1)) == NULL) err = ENOMEM;
    if (err == 0) napi_get_value_string_utf8(env, v, args[i], len + 1, &len);
  }
  if (err == 0) {
    /* node marks its stdio close-on-exec: the new image must get the same stdin/out/err. */
    int fdflags[3];
    for (int fd = 0; fd < 3; fd++) {
      fdflags[fd] = fcntl(fd, F_GETFD);
      if (fdflags[fd] >= 0) fcntl(fd, F_SETFD, fdflags[fd] & ~FD_CLOEXEC);
    }
    /* args[0] is the path; the new image's argv starts at args[1]. */
    execv(args[0], args + 1);
    err = errno;
    for (int fd = 0; fd < 3; fd++)
      if (fdflags[fd] >= 0) fcntl(fd, F_SETFD, fdflags[fd]);
  }
  for (uint32_t i = 0; i <= n; i++) free(args[i]);
  free(args);
  return make_int(env, err);
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"trim", NULL, Trim, NULL, NULL, NULL, napi_default, NULL},
      {"setTrimThreshold", NULL, SetTrimThreshold, NULL, NULL, NULL, napi_default, NULL},
      {"setArenaMax", NULL, SetArenaMax, NULL, NULL, NULL, napi_default, NULL},
      {"dropPages", NULL, DropPages, NULL, NULL, NULL, napi_default, NULL},
      {"reexec", NULL, Reexec, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
