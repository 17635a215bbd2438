// Searches a saved usearch dense index (the file src/vector/ writes and usearch's `view()`
// maps) without usearch's index_dense wrapper, for native/hnswview.ts. index_dense's view()
// walks every node of the graph to build its key→slot table (and to count removed slots),
// which faults in the whole mapped file on every cold open; a search needs neither: it
// returns the keys stored in the nodes of its hits. This addon maps the file read-only,
// addresses the nodes with usearch's own index_gt (include/usearch/index.hpp: it reads only
// the node levels to do so) and searches with index_gt::search, exactly as index_dense does
// (same expansion, same removed-slot filter). Distances must be bit-identical to usearch's:
// on x86-64 with AVX2/FMA/F16C (NumKong's "haswell" capability, which every x86 i8 angular
// kernel NumKong dispatches to requires) they are computed here as those kernels compute
// them: exact integer sums, then NumKong's nk_angular_normalize_f32_haswell_ (rsqrtps, one
// Newton-Raphson step, the same operations in the same order, no FMA contraction), so
// usearch's 4 MB library is not loaded on a search (~20 ms of a cold one). Elsewhere, or when
// asked, the kernel is taken from usearch's loaded library through NumKong's dispatch
// (nk_find_kernel_punned with nk_capabilities, as usearch's metric_punned_t does). Only i8
// cosine indexes (leindex's default). Main thread of whichever JS thread calls it; one
// handle is used by one thread.
#include <dlfcn.h>
#include <fcntl.h>
#include <node_api.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define USEARCH_USE_NUMKONG 0
#define USEARCH_USE_OPENMP 0
#include <usearch/index_plugins.hpp>

namespace {

using namespace unum::usearch;

/**
 * index_gt's allocator (in place of index_dense's aligned_allocator_gt): large blocks (the
 * per-node addresses view() fills, 8 bytes a node, and its temporary offsets) are mapped
 * with MAP_POPULATE, so the kernel provides their pages in one call instead of one page
 * fault per 4 KiB as they are first written (~450 faults of a cold open on the corpus).
 * Small ones come from malloc, 64-byte aligned as usearch's allocator gives them.
 */
template <typename element_at = byte_t> struct populated_allocator_gt {
    using value_type = element_at;
    using size_type = std::size_t;
    using pointer = element_at*;
    using const_pointer = element_at const*;
    template <typename other_element_at> struct rebind {
        using other = populated_allocator_gt<other_element_at>;
    };
    static constexpr std::size_t mapped_from = 256 * 1024;

    static std::size_t bytes_of(size_type length) noexcept {
        std::size_t bytes = length * sizeof(element_at);
        return (bytes + 63) / 64 * 64;
    }
    pointer allocate(size_type length) const noexcept {
        if (length > (std::size_t(-1) >> 8) / sizeof(element_at))
            return nullptr;
        std::size_t bytes = bytes_of(length);
        if (bytes < mapped_from)
            return static_cast<pointer>(aligned_alloc(64, bytes));
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        return p == MAP_FAILED ? nullptr : static_cast<pointer>(p);
    }
    void deallocate(pointer begin, size_type length) const noexcept {
        if (!begin)
            return;
        std::size_t bytes = bytes_of(length);
        if (bytes < mapped_from)
            free(begin);
        else
            munmap(begin, bytes);
    }
};

using distance_t = float;
using key_t = std::uint64_t;
using slot_t = std::uint32_t;
// The instantiation of index_dense_gt<u64, u32> (include/usearch/index_dense.hpp), but for
// the allocator (which decides where memory comes from, not what the search does).
using index_t = index_gt<distance_t, key_t, slot_t, populated_allocator_gt<byte_t>, memory_mapping_allocator_gt<64>>;
using member_cref_t = index_t::member_cref_t;
using member_citerator_t = index_t::member_citerator_t;

// NumKong's C ABI (numkong/include/numkong/capabilities.h, types.h as shipped with usearch).
using nk_capability_t = std::uint64_t;
using nk_kernel_t = void (*)(void const*, void const*, std::size_t, void*);
using nk_capabilities_fn = nk_capability_t (*)();
using nk_configure_thread_fn = int (*)(nk_capability_t);
using nk_find_kernel_fn = void (*)(int kind, int dtype, nk_capability_t viable, nk_kernel_t* kernel,
                                   nk_capability_t* used);
constexpr int NK_KERNEL_ANGULAR = 'a';
constexpr int NK_I8 = 1 << 2;

constexpr std::size_t DENSE_HEAD_BYTES = 64;
constexpr key_t FREE_KEY = ~key_t(0);

#if defined(__x86_64__)
/**
 * nk_angular_normalize_f32_haswell_ (numkong/spatial/haswell.h), operation for operation: the
 * prebuilt usearch.node computes it with vrsqrtps and separate multiplies and subtracts (no
 * FMA: checked by disassembly, and this file is built with -ffp-contract=off), and rsqrtps
 * gives the same estimate as vrsqrtps on the same processor.
 */
inline float normalize_haswell(float ab, float a2, float b2) noexcept {
    if (a2 == 0.0f && b2 == 0.0f)
        return 0.0f;
    else if (ab == 0.0f)
        return 1.0f;
    __m128 squares = _mm_set_ps(a2, b2, a2, b2);
    __m128 rsqrts = _mm_rsqrt_ps(squares);
    __m128 half = _mm_set1_ps(0.5f);
    __m128 three_halves = _mm_set1_ps(1.5f);
    rsqrts = _mm_mul_ps(rsqrts, _mm_sub_ps(three_halves, _mm_mul_ps(half, _mm_mul_ps(squares, _mm_mul_ps(rsqrts, rsqrts)))));
    float a2_reciprocal = _mm_cvtss_f32(_mm_shuffle_ps(rsqrts, rsqrts, _MM_SHUFFLE(0, 0, 0, 1)));
    float b2_reciprocal = _mm_cvtss_f32(rsqrts);
    float result = 1.0f - ab * a2_reciprocal * b2_reciprocal;
    return result > 0 ? result : 0;
}

/**
 * The three integer sums of NumKong's i8 angular kernels (a·b, a·a, b·b: exact in i32 for any
 * dimension below 2^17), 16 bytes at a time as nk_angular_i8_haswell does.
 */
__attribute__((target("avx2"))) void angular_i8_own(void const* pa, void const* pb, std::size_t n, void* out) {
    auto const* a = static_cast<std::int8_t const*>(pa);
    auto const* b = static_cast<std::int8_t const*>(pb);
    __m256i ab = _mm256_setzero_si256(), aa = _mm256_setzero_si256(), bb = _mm256_setzero_si256();
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<__m128i const*>(a + i)));
        __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<__m128i const*>(b + i)));
        ab = _mm256_add_epi32(ab, _mm256_madd_epi16(x, y));
        aa = _mm256_add_epi32(aa, _mm256_madd_epi16(x, x));
        bb = _mm256_add_epi32(bb, _mm256_madd_epi16(y, y));
    }
    alignas(32) std::int32_t lanes[3][8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[0]), ab);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[1]), aa);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[2]), bb);
    std::int32_t dot = 0, a_sq = 0, b_sq = 0;
    for (int l = 0; l != 8; ++l)
        dot += lanes[0][l], a_sq += lanes[1][l], b_sq += lanes[2][l];
    for (; i < n; ++i) {
        std::int32_t x = a[i], y = b[i];
        dot += x * y;
        a_sq += x * x;
        b_sq += y * y;
    }
    *static_cast<float*>(out) = normalize_haswell(static_cast<float>(dot), static_cast<float>(a_sq), static_cast<float>(b_sq));
}

/** Whether NumKong would pick one of its x86 i8 angular kernels here (its supports_haswell). */
bool own_kernel_fits() noexcept {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#else
void angular_i8_own(void const*, void const*, std::size_t, void*) {}
bool own_kernel_fits() noexcept { return false; }
#endif

/** index_dense's metric_proxy_t: rows of the mapped matrix, compared with the NumKong kernel. */
struct metric_t {
    byte_t const* vectors = nullptr;
    std::size_t row_bytes = 0;
    std::size_t dimensions = 0;
    nk_kernel_t kernel = nullptr;

    inline byte_t const* v(std::size_t slot) const noexcept { return vectors + row_bytes * slot; }
    inline distance_t f(byte_t const* a, byte_t const* b) const noexcept {
        // usearch's invoke_numkong<nk_f32_t, false>: i8 angular writes an f32.
        float result = 0;
        kernel(a, b, dimensions, &result);
        return static_cast<distance_t>(result);
    }
    inline distance_t operator()(byte_t const* a, member_cref_t b) const noexcept { return f(a, v(get_slot(b))); }
    inline distance_t operator()(member_cref_t a, member_cref_t b) const noexcept {
        return f(v(get_slot(a)), v(get_slot(b)));
    }
    inline distance_t operator()(byte_t const* a, member_citerator_t b) const noexcept {
        return f(a, v(get_slot(b)));
    }
    inline distance_t operator()(member_citerator_t a, member_citerator_t b) const noexcept {
        return f(v(get_slot(a)), v(get_slot(b)));
    }
    inline distance_t operator()(byte_t const* a, byte_t const* b) const noexcept { return f(a, b); }
};

struct view_t {
    byte_t* data = nullptr;
    std::size_t length = 0;
    index_t* index = nullptr;
    metric_t metric;
    std::size_t expansion = 0;
    std::size_t dimensions = 0;
    /** Where usearch's dense header starts and how many vectors the matrix holds (checked). */
    std::size_t head = 0;
    std::size_t count = 0;
    /** A background open's thread (address() and populate()), joined before any other use. */
    std::thread preparing;
    /** Why address() failed, or empty. */
    std::string error;

    /** Waits for a background open; its error (empty when the view can be searched). */
    std::string const& wait() noexcept {
        if (preparing.joinable())
            preparing.join();
        return error;
    }

    /** index_gt::view() over the mapped graph, and one search context; sets `error` if not. */
    void address() noexcept {
        void* raw = ::operator new(sizeof(index_t), std::nothrow);
        if (!raw) {
            error = "out of memory";
            return;
        }
        index = new (raw) index_t();
        serialization_result_t viewed = index->view(memory_mapped_file_t(data, length), head + DENSE_HEAD_BYTES);
        if (!viewed) {
            error = std::string("cannot address the graph: ") + viewed.error.release();
            return;
        }
        if (index->size() != count) {
            error = "graph size differs from the vector count";
            return;
        }
        // index_dense reserves after view(): one search context is all this thread needs.
        if (!index->try_reserve(index_limits_t(count, 1)))
            error = "out of memory";
    }

    /**
     * Maps every page of the file into this process's page tables now (its pages are in the
     * page cache already: a search reads ~half of the file's 64 KiB blocks and faulted them in
     * one by one, ~400 faults on the corpus's first search). MADV_POPULATE_READ (Linux 5.14),
     * else one read per page. Best effort: a search pages in whatever this did not.
     */
    void populate() const noexcept {
        if (madvise(data, length, 22 /* MADV_POPULATE_READ */) == 0)
            return;
        std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        volatile byte_t sink = 0;
        for (std::size_t at = 0; at < length; at += page)
            sink = sink + data[at];
    }

    void close() noexcept {
        wait();
        if (index) {
            index->~index_t();
            ::operator delete(index);
            index = nullptr;
        }
        if (data) {
            munmap(data, length);
            data = nullptr;
        }
    }
    ~view_t() { close(); }
};

napi_value fail(napi_env env, std::string const& message) {
    napi_throw_error(env, nullptr, message.c_str());
    return nullptr;
}

bool get_string(napi_env env, napi_value v, std::string& out) {
    std::size_t n = 0;
    if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok)
        return false;
    out.resize(n + 1);
    if (napi_get_value_string_utf8(env, v, &out[0], n + 1, &n) != napi_ok)
        return false;
    out.resize(n);
    return true;
}

bool get_size(napi_env env, napi_value v, std::size_t& out) {
    double d = 0;
    if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 9007199254740991.0 || d != (double)(std::size_t)d)
        return false;
    out = static_cast<std::size_t>(d);
    return true;
}

/** The NumKong angular i8 kernel of the usearch library at `path` (loaded by dlopen if not yet). */
bool find_kernel(std::string const& path, nk_kernel_t& kernel, std::string& why) {
    void* lib = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        char const* e = dlerror();
        why = std::string("cannot load ") + path + ": " + (e ? e : "unknown error");
        return false;
    }
    auto caps = reinterpret_cast<nk_capabilities_fn>(dlsym(lib, "nk_capabilities"));
    auto configure = reinterpret_cast<nk_configure_thread_fn>(dlsym(lib, "nk_configure_thread"));
    auto find = reinterpret_cast<nk_find_kernel_fn>(dlsym(lib, "nk_find_kernel_punned"));
    if (!caps || !configure || !find) {
        why = path + " does not export NumKong's dispatch (another usearch build?)";
        return false;
    }
    // usearch's nk_cached_capabilities(): the capabilities, and the thread configured for them.
    nk_capability_t c = caps();
    configure(c);
    nk_capability_t used = 0;
    kernel = nullptr;
    find(NK_KERNEL_ANGULAR, NK_I8, c, &kernel, &used);
    if (!kernel) {
        why = "usearch has no angular i8 kernel";
        return false;
    }
    return true;
}

void finalize(napi_env, void* data, void*) { delete static_cast<view_t*>(data); }

view_t* unwrap(napi_env env, napi_value v) {
    void* data = nullptr;
    if (napi_get_value_external(env, v, &data) != napi_ok)
        return nullptr;
    return static_cast<view_t*>(data);
}

/** The kernel to use: our own when the library path is empty (the caller checked ownKernel()). */
bool pick_kernel(std::string const& lib, nk_kernel_t& kernel, std::string& why) {
    if (lib.empty()) {
        if (!own_kernel_fits()) {
            why = "no own i8 kernel on this processor: pass usearch's library";
            return false;
        }
        kernel = angular_i8_own;
        return true;
    }
    return find_kernel(lib, kernel, why);
}

/**
 * open(path, usearchLibrary, headOffset, rowBytes, dimensions, expansion[, background]):
 * maps the file (read-only, shared) and addresses its graph. headOffset is where usearch's
 * 64-byte dense header starts (the end of the vector matrix); the caller has checked the
 * layout. An empty usearchLibrary selects the kernel compiled here (see ownKernel()). With
 * background true the graph is addressed, and the file's pages mapped in (populate()), by a
 * thread of its own while the caller goes on; the first search (or ready()) waits for it and
 * fails with what it could not do.
 */
napi_value Open(napi_env env, napi_callback_info info) {
    std::size_t argc = 7;
    napi_value argv[7];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    std::string path, lib;
    std::size_t head = 0, row_bytes = 0, dims = 0, expansion = 0;
    bool background = false;
    if (argc < 6 || !get_string(env, argv[0], path) || !get_string(env, argv[1], lib) ||
        !get_size(env, argv[2], head) || !get_size(env, argv[3], row_bytes) || !get_size(env, argv[4], dims) ||
        !get_size(env, argv[5], expansion) || (argc > 6 && napi_get_value_bool(env, argv[6], &background) != napi_ok))
        return fail(env, "open(path, usearchLibrary, headOffset, rowBytes, dimensions, expansion[, background])");
    if (dims == 0 || row_bytes != dims)
        return fail(env, "only i8 indexes (one byte per dimension) are supported");

    nk_kernel_t kernel = nullptr;
    std::string why;
    if (!pick_kernel(lib, kernel, why))
        return fail(env, why);

    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(env, "cannot open " + path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        return fail(env, "cannot stat " + path + ": " + std::strerror(e));
    }
    std::size_t length = static_cast<std::size_t>(st.st_size);
    if (length < 8 || head + DENSE_HEAD_BYTES > length) {
        ::close(fd);
        return fail(env, path + " is shorter than its layout");
    }
    void* mapped = mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
    int map_errno = errno;
    ::close(fd);
    if (mapped == MAP_FAILED)
        return fail(env, "cannot map " + path + ": " + std::strerror(map_errno));

    auto* view = new (std::nothrow) view_t();
    if (!view) {
        munmap(mapped, length);
        return fail(env, "out of memory");
    }
    view->data = static_cast<byte_t*>(mapped);
    view->length = length;
    std::uint32_t matrix[2];
    std::memcpy(matrix, view->data, sizeof(matrix));
    if (matrix[1] != row_bytes || 8 + std::size_t(matrix[0]) * row_bytes != head) {
        delete view;
        return fail(env, path + " changed while it was opened");
    }
    view->head = head;
    view->count = matrix[0];
    char const* populate_env = getenv("LEINDEX_HNSWVIEW_POPULATE");
    bool populate_off = populate_env && std::string(populate_env) == "off";
    if (background) {
        // The thread owns the view until wait(): nothing else touches it before then.
        try {
            view->preparing = std::thread([view, populate_off] {
                view->address();
                if (view->error.empty() && !populate_off)
                    view->populate();
            });
        } catch (...) {
            background = false; // no thread to be had: addressed here instead
        }
    }
    if (!background) {
        view->address();
        if (!view->error.empty()) {
            std::string message = path + ": " + view->error;
            delete view;
            return fail(env, message);
        }
    }
    view->metric.vectors = view->data + 8;
    view->metric.row_bytes = row_bytes;
    view->metric.dimensions = dims;
    view->metric.kernel = kernel;
    view->expansion = expansion;
    view->dimensions = dims;

    napi_value out;
    if (napi_create_external(env, view, finalize, nullptr, &out) != napi_ok) {
        delete view;
        return fail(env, "cannot wrap the view");
    }
    return out;
}

/** search(handle, Int8Array query, k) → [Float64Array keys, Float32Array distances], best first. */
napi_value Search(napi_env env, napi_callback_info info) {
    std::size_t argc = 3;
    napi_value argv[3];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    view_t* view = argc == 3 ? unwrap(env, argv[0]) : nullptr;
    std::size_t wanted = 0;
    if (!view || !get_size(env, argv[2], wanted) || wanted == 0)
        return fail(env, "search(handle, query, k)");
    if (!view->data)
        return fail(env, "the view is closed");
    if (!view->wait().empty())
        return fail(env, "cannot search: " + view->error);
    napi_typedarray_type type;
    std::size_t length = 0;
    void* query = nullptr;
    if (napi_get_typedarray_info(env, argv[1], &type, &length, &query, nullptr, nullptr) != napi_ok ||
        type != napi_int8_array || length != view->dimensions)
        return fail(env, "the query must be an Int8Array of the index's dimensions");

    index_search_config_t config;
    config.thread = 0;
    config.expansion = view->expansion;
    config.exact = false;
    auto allow = [](member_cref_t const& member) noexcept { return (key_t)member.key != FREE_KEY; };
    auto result = view->index->search(static_cast<byte_t const*>(query), wanted, view->metric, config, allow);
    if (!result)
        return fail(env, std::string("search failed: ") + result.error.release());

    std::size_t count = result.count < wanted ? result.count : wanted;
    napi_value keys_buffer, distances_buffer, keys, distances, out;
    void* keys_data = nullptr;
    void* distances_data = nullptr;
    napi_create_arraybuffer(env, count * sizeof(double), &keys_data, &keys_buffer);
    napi_create_arraybuffer(env, count * sizeof(float), &distances_data, &distances_buffer);
    for (std::size_t i = 0; i != count; ++i) {
        auto match = result[i];
        static_cast<double*>(keys_data)[i] = static_cast<double>(static_cast<key_t>(match.member.key));
        static_cast<float*>(distances_data)[i] = match.distance;
    }
    napi_create_typedarray(env, napi_float64_array, count, keys_buffer, 0, &keys);
    napi_create_typedarray(env, napi_float32_array, count, distances_buffer, 0, &distances);
    napi_create_array_with_length(env, 2, &out);
    napi_set_element(env, out, 0, keys);
    napi_set_element(env, out, 1, distances);
    return out;
}

/** ready(handle): waits for a background open; throws what it could not do. */
napi_value Ready(napi_env env, napi_callback_info info) {
    std::size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    view_t* view = argc == 1 ? unwrap(env, argv[0]) : nullptr;
    if (!view)
        return fail(env, "ready(handle)");
    if (!view->data)
        return fail(env, "the view is closed");
    if (!view->wait().empty())
        return fail(env, view->error);
    return nullptr;
}

/** close(handle): unmaps now (a later search fails); the handle is otherwise freed when collected. */
napi_value Close(napi_env env, napi_callback_info info) {
    std::size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    view_t* view = argc == 1 ? unwrap(env, argv[0]) : nullptr;
    if (!view)
        return fail(env, "close(handle)");
    view->close();
    return nullptr;
}

/** ownKernel() → whether open() can be given an empty library path on this processor. */
napi_value OwnKernel(napi_env env, napi_callback_info) {
    napi_value out;
    napi_get_boolean(env, own_kernel_fits(), &out);
    return out;
}

/** distance(Int8Array a, Int8Array b, usearchLibrary): the kernel open() would use, on a and b. */
napi_value Distance(napi_env env, napi_callback_info info) {
    std::size_t argc = 3;
    napi_value argv[3];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    napi_typedarray_type ta, tb;
    std::size_t na = 0, nb = 0;
    void *a = nullptr, *b = nullptr;
    std::string lib;
    if (argc != 3 || napi_get_typedarray_info(env, argv[0], &ta, &na, &a, nullptr, nullptr) != napi_ok ||
        napi_get_typedarray_info(env, argv[1], &tb, &nb, &b, nullptr, nullptr) != napi_ok ||
        ta != napi_int8_array || tb != napi_int8_array || na != nb || na == 0 || !get_string(env, argv[2], lib))
        return fail(env, "distance(Int8Array a, Int8Array b, usearchLibrary)");
    nk_kernel_t kernel = nullptr;
    std::string why;
    if (!pick_kernel(lib, kernel, why))
        return fail(env, why);
    float d = 0;
    kernel(a, b, na, &d);
    napi_value out;
    napi_create_double(env, d, &out);
    return out;
}

/**
 * dots(Int8Array data, Float32Array scales, Int32Array rows, Float32Array q) → Float64Array:
 * for each row r of `rows`, the dot product of q with row r of `data` (q.length int8 values
 * each) dequantised by scales[r], computed as src/search/vectors.ts computes it in JS: each
 * component rounded to f32 (int8 × scale is exact in double, so one rounding either way),
 * then a double sum in component order (no FMA: -ffp-contract=off; no reassociation). The
 * similarity lookups of a search (~75 rows of 256) in V8's interpreter on a cold start
 * allocated a heap number per operation.
 */
napi_value Dots(napi_env env, napi_callback_info info) {
    std::size_t argc = 4;
    napi_value argv[4];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    napi_typedarray_type t[4];
    std::size_t n[4] = {0, 0, 0, 0};
    void* p[4] = {nullptr, nullptr, nullptr, nullptr};
    bool ok = argc == 4;
    for (std::size_t i = 0; ok && i != 4; ++i)
        ok = napi_get_typedarray_info(env, argv[i], &t[i], &n[i], &p[i], nullptr, nullptr) == napi_ok;
    if (!ok || t[0] != napi_int8_array || t[1] != napi_float32_array || t[2] != napi_int32_array ||
        t[3] != napi_float32_array || n[3] == 0)
        return fail(env, "dots(Int8Array data, Float32Array scales, Int32Array rows, Float32Array q)");
    auto const* data = static_cast<std::int8_t const*>(p[0]);
    auto const* scales = static_cast<float const*>(p[1]);
    auto const* rows = static_cast<std::int32_t const*>(p[2]);
    auto const* q = static_cast<float const*>(p[3]);
    std::size_t dim = n[3];
    for (std::size_t j = 0; j != n[2]; ++j) {
        std::int32_t r = rows[j];
        if (r < 0 || std::size_t(r) >= n[1] || (std::size_t(r) + 1) * dim > n[0])
            return fail(env, "dots: a row outside the data");
    }
    napi_value buffer, out;
    void* sums = nullptr;
    if (napi_create_arraybuffer(env, n[2] * sizeof(double), &sums, &buffer) != napi_ok)
        return fail(env, "out of memory");
    for (std::size_t j = 0; j != n[2]; ++j) {
        std::size_t r = static_cast<std::size_t>(rows[j]);
        std::int8_t const* row = data + r * dim;
        double scale = scales[r];
        double s = 0;
        for (std::size_t k = 0; k != dim; ++k) {
            float v = static_cast<float>(static_cast<double>(row[k]) * scale);
            s += static_cast<double>(v) * static_cast<double>(q[k]);
        }
        static_cast<double*>(sums)[j] = s;
    }
    napi_create_typedarray(env, napi_float64_array, n[2], buffer, 0, &out);
    return out;
}

void unmap_file(napi_env, void* data, void* hint) { munmap(data, reinterpret_cast<std::size_t>(hint)); }

/**
 * mapFile(path) → ArrayBuffer over the whole file, mapped copy-on-write (MAP_PRIVATE, so a
 * stray write changes this process's copy, never the file, and cannot fault), unmapped when
 * the buffer is collected. For a read-only file read piecemeal (the query model: a cold
 * search read its tables into fresh memory and each vector row with its own read call).
 * Throws on an empty or unreadable file.
 */
napi_value MapFile(napi_env env, napi_callback_info info) {
    std::size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    std::string path;
    if (argc != 1 || !get_string(env, argv[0], path))
        return fail(env, "mapFile(path)");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(env, "cannot open " + path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        int e = errno;
        ::close(fd);
        return fail(env, "cannot map " + path + (st.st_size <= 0 ? ": empty" : std::string(": ") + std::strerror(e)));
    }
    std::size_t length = static_cast<std::size_t>(st.st_size);
    void* mapped = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    ::close(fd);
    if (mapped == MAP_FAILED)
        return fail(env, "cannot map " + path + ": " + std::strerror(map_errno));
    napi_value out;
    if (napi_create_external_arraybuffer(env, mapped, length, unmap_file, reinterpret_cast<void*>(length), &out) !=
        napi_ok) {
        munmap(mapped, length);
        return fail(env, "cannot wrap the mapping of " + path);
    }
    return out;
}

} // namespace

NAPI_MODULE_INIT() {
    napi_property_descriptor props[] = {
        {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"search", nullptr, Search, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"ready", nullptr, Ready, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"ownKernel", nullptr, OwnKernel, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"distance", nullptr, Distance, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"dots", nullptr, Dots, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"mapFile", nullptr, MapFile, nullptr, nullptr, nullptr, napi_default, nullptr},
    };
    napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
    return exports;
}
