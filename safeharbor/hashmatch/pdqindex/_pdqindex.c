/* The search of the in-memory PDQ index, in C.
 *
 * reference.py describes the layout (the sorted hashes, one directory per block, seven tables of
 * "position << R | remainder" entries) and holds the numpy reference of this search; the tests
 * compare the two, and both with brute force. This file only reads the layout, which the
 * Searcher checks once when it is made, so that no entry can send a read outside the arrays.
 *
 * Where the speed comes from: a query at 10 million hashes probes about 10,800 buckets (1,351
 * per block) in arrays far larger than the caches. The probe loop is software-pipelined: the
 * directory slot of probe i + LAG_DIRECTORY + LAG_BUCKET is prefetched, the bucket of probe
 * i + LAG_BUCKET is located and prefetched, and probe i is scanned, so many cache misses are in
 * flight at once; candidates that pass the remainder filter are prefetched too and checked
 * CANDIDATE_LAG candidates later. Nothing here is global mutable state: each call works on its
 * own stack and heap buffers, and the GIL is released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 8
#define HASH_BYTES 32
#define MAX_DISTANCE 256
#define MAX_DIRECTORY_BITS 28
#define LINE_BITS 4    /* see reference.py: variants grouped by directory line */
#define PROBE_COST 10  /* see reference.py: use_probes() */
#define CACHED_SCAN_BYTES (32u << 20)
#define SLOW_SCAN_COST 3

/* Pipeline depths (-D overrides them). At 10 million hashes the search takes about the time of
 * its ~25,000 random cache-line reads at the memory's random-read throughput (about 17 ns a
 * line on the machine of the figures); these depths change it by 2% or less, while prefetching
 * at all (compare -DNO_PREFETCH) makes it 1.5 times faster. */
#ifndef LAG_DIRECTORY
#define LAG_DIRECTORY 16   /* probes between prefetching a directory slot and reading it */
#endif
#ifndef LAG_BUCKET
#define LAG_BUCKET 10      /* probes between prefetching a bucket and scanning it */
#endif
#ifndef CANDIDATE_LAG
#define CANDIDATE_LAG 32   /* candidates between prefetching a hash and checking it */
#endif
#ifndef PREFETCH_LINES
#define PREFETCH_LINES 8   /* cache lines of one bucket prefetched ahead */
#endif
#define RING 128           /* power of two, > LAG_DIRECTORY + LAG_BUCKET */
#define CANDIDATE_RING 128 /* power of two, > CANDIDATE_LAG */
_Static_assert(LAG_DIRECTORY + LAG_BUCKET < RING, "the probe ring is too small");
_Static_assert(CANDIDATE_LAG < CANDIDATE_RING, "the candidate ring is too small");

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define DISPATCH_POPCNT 1
#define ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

#if defined(__GNUC__) && defined(NO_PREFETCH) /* for measuring what prefetching gives */
#define PREFETCH(address) ((void)(address))
#define POPCOUNT64(x) __builtin_popcountll(x)
#define POPCOUNT32(x) __builtin_popcount(x)
#elif defined(__GNUC__)
#define PREFETCH(address) __builtin_prefetch((const void *)(address), 0, 3)
#define POPCOUNT64(x) __builtin_popcountll(x)
#define POPCOUNT32(x) __builtin_popcount(x)
#else
#define PREFETCH(address) ((void)0)
static int popcount64_portable(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}
#define POPCOUNT64(x) popcount64_portable(x)
#define POPCOUNT32(x) popcount64_portable((uint64_t)(x))
#endif

/* -- the layout and a query ----------------------------------------------------------------- */

typedef struct {
    const uint8_t *rows;           /* count * 32 bytes, sorted */
    const uint32_t *directories;   /* BLOCKS * (2**D + 1) offsets */
    const uint32_t *tables;        /* (BLOCKS - 1) * count entries */
    uint64_t count;
    int directory_bits, remainder_bits;
} Layout;

typedef struct {
    uint32_t big_endian[BLOCKS]; /* block k as a number: its top bits pick the bucket */
    uint32_t native32[BLOCKS];   /* block k as loaded from memory: for per-block distances */
    uint64_t native64[4];        /* the 256 bits as loaded from memory: for the distance */
    int threshold;
    int radii[BLOCKS];           /* -1: the block is not probed */
} Query;

/* Found matches, packed as position << 9 | distance so that sorting them sorts by position. */
typedef struct {
    uint64_t *items;
    size_t length, capacity;
    int failed;
} Results;

/* The D-bit XOR masks a block is probed with, and their weights (bits set). */
typedef struct {
    const uint32_t *masks;
    const uint8_t *weights;
    size_t length;
} Variants;

#define READY_RADIUS 3 /* the variants of radii 0..3 (thresholds up to 31) are made once */

static void results_push(Results *results, uint64_t position, int distance) {
    if (results->length == results->capacity) {
        size_t capacity = results->capacity ? 2 * results->capacity : 64;
        uint64_t *items = realloc(results->items, capacity * sizeof(uint64_t));
        if (items == NULL) {
            results->failed = 1;
            return;
        }
        results->items = items;
        results->capacity = capacity;
    }
    results->items[results->length++] = position << 9 | (uint64_t)distance;
}

static ALWAYS_INLINE uint32_t load32(const uint8_t *at) {
    uint32_t word;
    memcpy(&word, at, 4);
    return word;
}

static ALWAYS_INLINE uint64_t load64(const uint8_t *at) {
    uint64_t word;
    memcpy(&word, at, 8);
    return word;
}

static void query_init(Query *query, const uint8_t *bytes, int threshold) {
    for (int block = 0; block < BLOCKS; block++) {
        const uint8_t *at = bytes + 4 * block;
        query->big_endian[block] = (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 |
                                   (uint32_t)at[2] << 8 | (uint32_t)at[3];
        query->native32[block] = load32(at);
    }
    for (int word = 0; word < 4; word++) query->native64[word] = load64(bytes + 8 * word);
    query->threshold = threshold;
    int radius = threshold / BLOCKS, extra = threshold % BLOCKS;
    for (int block = 0; block < BLOCKS; block++)
        query->radii[block] = block <= extra ? radius : radius - 1;
}

static uint32_t top_bits(uint32_t value, int bits) {
    return bits ? value >> (32 - bits) : 0;
}

static uint32_t remainder_of(uint32_t value, int directory_bits, int remainder_bits) {
    if (!remainder_bits) return 0;
    uint64_t mask = ((uint64_t)1 << remainder_bits) - 1;
    return (uint32_t)(((uint64_t)value >> (32 - directory_bits - remainder_bits)) & mask);
}

/* -- variants: the D-bit masks within a radius ----------------------------------------------- */

static uint64_t binomial(int n, int k) {
    if (k < 0 || k > n) return 0;
    uint64_t value = 1;
    for (int i = 1; i <= k; i++) value = value * (uint64_t)(n - k + i) / (uint64_t)i;
    return value;
}

static uint64_t variant_count(int bits, int radius) {
    uint64_t total = 0;
    for (int weight = 0; weight <= radius && weight <= bits; weight++)
        total += binomial(bits, weight);
    return total;
}

static int popcount_small(uint64_t value) { /* not on a hot path: no dispatch needed */
    int count = 0;
    for (; value; value &= value - 1) count++;
    return count;
}

/* Every D-bit mask of weight <= radius, grouped by the bits above the low LINE_BITS (the masks
 * of one group hit one 64-byte line of a directory), as reference.variants() orders them. */
static size_t make_variants(int bits, int radius, uint32_t *masks, uint8_t *weights) {
    int low_bits = bits < LINE_BITS ? bits : LINE_BITS, high_bits = bits - low_bits;
    size_t length = 0;
    for (int high_weight = 0; high_weight <= radius && high_weight <= high_bits; high_weight++) {
        uint64_t high = ((uint64_t)1 << high_weight) - 1;
        while (high < ((uint64_t)1 << high_bits)) {
            for (uint32_t low = 0; low < (1u << low_bits); low++) {
                int weight = high_weight + popcount_small(low);
                if (weight > radius) continue;
                masks[length] = (uint32_t)(high << low_bits) | low;
                weights[length] = (uint8_t)weight;
                length++;
            }
            if (high == 0) break;
            uint64_t lowest = high & (~high + 1), ripple = high + lowest;
            high = (((ripple ^ high) >> 2) / lowest) | ripple;
        }
    }
    return length;
}

static int use_probes(const Layout *layout, const Query *query) {
    if (layout->count == 0) return 0;
    double probes = 0;
    for (int block = 0; block < BLOCKS; block++)
        probes += (double)variant_count(layout->directory_bits, query->radii[block]);
    double per_bucket = (double)layout->count / (double)((uint64_t)1 << layout->directory_bits);
    double scan = (double)layout->count *
                  (layout->count * HASH_BYTES <= CACHED_SCAN_BYTES ? 1 : SLOW_SCAN_COST);
    return probes * (PROBE_COST + per_bucket) < scan;
}

/* -- the hot loops, compiled twice: with the POPCNT instruction and without ---------------- */

static ALWAYS_INLINE int distance_to(const Query *query, const uint8_t *row) {
    return POPCOUNT64(load64(row) ^ query->native64[0]) +
           POPCOUNT64(load64(row + 8) ^ query->native64[1]) +
           POPCOUNT64(load64(row + 16) ^ query->native64[2]) +
           POPCOUNT64(load64(row + 24) ^ query->native64[3]);
}

static ALWAYS_INLINE int block_distance(const Query *query, const uint8_t *row, int block) {
    return POPCOUNT32(load32(row + 4 * block) ^ query->native32[block]);
}

static ALWAYS_INLINE void scan_impl(const uint8_t *rows, uint64_t count, const Query *query,
                                    Results *results) {
    int threshold = query->threshold;
    for (uint64_t position = 0; position < count; position++) {
        int distance = distance_to(query, rows + HASH_BYTES * position);
        if (distance <= threshold) results_push(results, position, distance);
    }
}

/* A candidate found in `block`: report it if it is within the threshold, within the block's
 * radius (the remainder filter saw only some of the block's bits), and no earlier block's 32
 * bits are within that block's radius (it was, or will be, reported from that block). */
static ALWAYS_INLINE void check_candidate(const Layout *layout, const Query *query,
                                          uint64_t position, int block, Results *results) {
    const uint8_t *row = layout->rows + HASH_BYTES * position;
    int distance = distance_to(query, row);
    if (distance > query->threshold) return;
    if (block_distance(query, row, block) > query->radii[block]) return;
    for (int earlier = 0; earlier < block; earlier++)
        if (block_distance(query, row, earlier) <= query->radii[earlier]) return;
    results_push(results, position, distance);
}

static ALWAYS_INLINE void probe_impl(const Layout *layout, const Query *query,
                                     const Variants *variants, Results *results) {
    const int directory_bits = layout->directory_bits, remainder_bits = layout->remainder_bits;
    const uint64_t buckets = (uint64_t)1 << directory_bits;
    const uint32_t remainder_mask = (uint32_t)(((uint64_t)1 << remainder_bits) - 1);
    uint32_t starts[RING], ends[RING];
    uint64_t candidates[CANDIDATE_RING];
    uint8_t candidate_blocks[CANDIDATE_RING];
    uint64_t pushed = 0, checked = 0;

    for (int block = 0; block < BLOCKS; block++) {
        int radius = query->radii[block];
        if (radius < 0) continue;
        const uint32_t *masks = variants[block].masks;
        const uint8_t *weights = variants[block].weights;
        const size_t length = variants[block].length;
        const uint32_t *directory = layout->directories + block * (buckets + 1);
        const uint32_t *table = block ? layout->tables + (block - 1) * layout->count : NULL;
        const uint32_t top = top_bits(query->big_endian[block], directory_bits);
        const uint32_t remainder =
            remainder_of(query->big_endian[block], directory_bits, remainder_bits);
        const uint8_t *rows = layout->rows;

        for (size_t i = 0; i < length + LAG_DIRECTORY + LAG_BUCKET; i++) {
            if (i < length) PREFETCH(directory + (top ^ masks[i]));
            if (i >= LAG_DIRECTORY && i - LAG_DIRECTORY < length) {
                size_t probe = i - LAG_DIRECTORY;
                uint32_t bucket = top ^ masks[probe];
                uint32_t start = directory[bucket], end = directory[bucket + 1];
                starts[probe % RING] = start;
                ends[probe % RING] = end;
                if (block == 0) {
                    const uint8_t *from = rows + (uint64_t)HASH_BYTES * start;
                    const uint8_t *to = rows + (uint64_t)HASH_BYTES * end;
                    for (int line = 0; line < PREFETCH_LINES && from < to; line++, from += 64)
                        PREFETCH(from);
                } else if (end > start) {
                    PREFETCH(table + start);
                    if (end - start > 16) PREFETCH(table + start + 16);
                }
            }
            if (i >= LAG_DIRECTORY + LAG_BUCKET) {
                size_t probe = i - LAG_DIRECTORY - LAG_BUCKET;
                uint32_t start = starts[probe % RING], end = ends[probe % RING];
                int budget = radius - weights[probe];
                if (block == 0) {
                    /* Block 0's buckets are rows of the sorted hashes: check them directly. */
                    for (uint32_t at = start; at < end; at++) {
                        const uint8_t *row = rows + (uint64_t)HASH_BYTES * at;
                        if (block_distance(query, row, 0) > radius) continue;
                        int distance = distance_to(query, row);
                        if (distance <= query->threshold) results_push(results, at, distance);
                    }
                } else {
                    for (uint32_t at = start; at < end; at++) {
                        uint32_t entry = table[at];
                        if (POPCOUNT32((entry ^ remainder) & remainder_mask) > budget) continue;
                        uint64_t position = entry >> remainder_bits;
                        PREFETCH(rows + HASH_BYTES * position);
                        candidates[pushed % CANDIDATE_RING] = position;
                        candidate_blocks[pushed % CANDIDATE_RING] = (uint8_t)block;
                        pushed++;
                        if (pushed - checked > CANDIDATE_LAG) {
                            check_candidate(layout, query, candidates[checked % CANDIDATE_RING],
                                            candidate_blocks[checked % CANDIDATE_RING],
                                            results);
                            checked++;
                        }
                    }
                }
            }
        }
    }
    for (; checked < pushed; checked++)
        check_candidate(layout, query, candidates[checked % CANDIDATE_RING],
                        candidate_blocks[checked % CANDIDATE_RING], results);
}

#ifdef DISPATCH_POPCNT
__attribute__((target("popcnt"))) static void scan_popcnt(const uint8_t *rows, uint64_t count,
                                                          const Query *query, Results *results) {
    scan_impl(rows, count, query, results);
}

__attribute__((target("popcnt"))) static void probe_popcnt(const Layout *layout,
                                                           const Query *query,
                                                           const Variants *variants,
                                                           Results *results) {
    probe_impl(layout, query, variants, results);
}

static int has_popcnt(void) { return __builtin_cpu_supports("popcnt"); }
#endif

static void scan_generic(const uint8_t *rows, uint64_t count, const Query *query,
                         Results *results) {
    scan_impl(rows, count, query, results);
}

static void probe_generic(const Layout *layout, const Query *query, const Variants *variants,
                          Results *results) {
    probe_impl(layout, query, variants, results);
}

static void run_scan(const uint8_t *rows, uint64_t count, const Query *query, Results *results) {
#ifdef DISPATCH_POPCNT
    if (has_popcnt()) {
        scan_popcnt(rows, count, query, results);
        return;
    }
#endif
    scan_generic(rows, count, query, results);
}

/* The variant lists of radius `radius` and `radius - 1` (the two radii a threshold gives) in
 * `lists[1]` and `lists[0]`, in one allocation returned (NULL when memory ran out). */
static void *make_variant_pair(int bits, int radius, Variants lists[2]) {
    uint64_t length = variant_count(bits, radius);
    if (length > ((uint64_t)1 << 32)) return NULL;
    uint32_t *memory = malloc((size_t)length * 2 * (sizeof(uint32_t) + 1) + 8);
    if (memory == NULL) return NULL;
    uint32_t *masks = memory, *smaller_masks = memory + length;
    uint8_t *weights = (uint8_t *)(smaller_masks + length), *smaller_weights = weights + length;
    size_t made = make_variants(bits, radius, masks, weights), smaller = 0;
    for (size_t i = 0; i < made; i++) {
        if (weights[i] < radius) {
            smaller_masks[smaller] = masks[i];
            smaller_weights[smaller] = weights[i];
            smaller++;
        }
    }
    lists[1] = (Variants){masks, weights, made};
    lists[0] = (Variants){smaller_masks, smaller_weights, smaller};
    return memory;
}

/* The probing search; 0 on success, -1 when memory ran out. `ready` holds the variant lists of
 * radii 0..READY_RADIUS, made once per Searcher (NULL: none). */
static int run_probes(const Layout *layout, const Query *query, const Variants *ready,
                      Results *results) {
    int largest = -1;
    for (int block = 0; block < BLOCKS; block++)
        if (query->radii[block] > largest) largest = query->radii[block];
    if (largest < 0) return 0;
    Variants per_block[BLOCKS], pair[2];
    void *memory = NULL;
    if (ready == NULL || largest > READY_RADIUS) {
        memory = make_variant_pair(layout->directory_bits, largest, pair);
        if (memory == NULL) return -1;
    }
    for (int block = 0; block < BLOCKS; block++) {
        int radius = query->radii[block];
        if (radius < 0)
            per_block[block] = (Variants){NULL, NULL, 0};
        else if (memory == NULL)
            per_block[block] = ready[radius];
        else
            per_block[block] = pair[radius == largest ? 1 : 0];
    }
#ifdef DISPATCH_POPCNT
    if (has_popcnt())
        probe_popcnt(layout, query, per_block, results);
    else
#endif
        probe_generic(layout, query, per_block, results);
    free(memory);
    return 0;
}

static int compare_packed(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static PyObject *results_to_list(Results *results) {
    if (results->failed) {
        free(results->items);
        return PyErr_NoMemory();
    }
    if (results->length > 1)
        qsort(results->items, results->length, sizeof(uint64_t), compare_packed);
    PyObject *list = PyList_New((Py_ssize_t)results->length);
    if (list == NULL) goto done;
    for (size_t i = 0; i < results->length; i++) {
        uint64_t item = results->items[i];
        PyObject *pair = Py_BuildValue("(KI)", (unsigned long long)(item >> 9),
                                       (unsigned int)(item & 511));
        if (pair == NULL) {
            Py_CLEAR(list);
            goto done;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, pair);
    }
done:
    free(results->items);
    return list;
}

/* -- argument checks ------------------------------------------------------------------------ */

static int take_query(PyObject *object, uint8_t *out) {
    Py_buffer view;
    if (PyUnicode_Check(object)) {
        PyErr_SetString(PyExc_ValueError,
                        "a PDQ query is 32 bytes, not a hex string: pass bytes.fromhex(query)");
        return -1;
    }
    if (PyObject_GetBuffer(object, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "a PDQ query is 32 bytes, not %.100s",
                     Py_TYPE(object)->tp_name);
        return -1;
    }
    if (view.len != HASH_BYTES) {
        PyErr_Format(PyExc_ValueError, "a PDQ query is exactly 32 bytes, not %zd", view.len);
        PyBuffer_Release(&view);
        return -1;
    }
    memcpy(out, view.buf, HASH_BYTES);
    PyBuffer_Release(&view);
    return 0;
}

static int take_threshold(PyObject *object, int *out) {
    if (PyBool_Check(object) || !PyLong_Check(object)) {
        PyErr_SetString(PyExc_ValueError, "threshold must be an integer 0..256");
        return -1;
    }
    int overflow = 0;
    long value = PyLong_AsLongAndOverflow(object, &overflow);
    if (value == -1 && PyErr_Occurred()) return -1;
    if (overflow || value < 0 || value > MAX_DISTANCE) {
        PyErr_SetString(PyExc_ValueError,
                        "threshold must be 0..256 (bits of a PDQ hash)");
        return -1;
    }
    *out = (int)value;
    return 0;
}

/* -- scan(hashes, query, threshold): brute force over any buffer of 32-byte hashes ----------- */

static PyObject *scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "scan(hashes, query, threshold) takes 3 arguments");
        return NULL;
    }
    uint8_t query_bytes[HASH_BYTES];
    int threshold;
    if (take_query(args[1], query_bytes) < 0 || take_threshold(args[2], &threshold) < 0)
        return NULL;
    Py_buffer hashes;
    if (PyObject_GetBuffer(args[0], &hashes, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (hashes.len % HASH_BYTES) {
        PyBuffer_Release(&hashes);
        PyErr_SetString(PyExc_ValueError, "hashes must be 32 bytes per hash");
        return NULL;
    }
    Query query;
    query_init(&query, query_bytes, threshold);
    Results results = {0};
    Py_BEGIN_ALLOW_THREADS
    run_scan(hashes.buf, (uint64_t)hashes.len / HASH_BYTES, &query, &results);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&hashes);
    return results_to_list(&results);
}

/* -- Searcher: holds the layout's buffers, checked once ------------------------------------ */

typedef struct {
    PyObject_HEAD
    Py_buffer main, directories, tables;
    int held; /* how many of the buffers above are held */
    Layout layout;
    void *ready_memory;                /* one allocation behind `ready` */
    Variants ready[READY_RADIUS + 1];  /* made in Searcher_new, never changed */
} Searcher;

static void Searcher_dealloc(Searcher *self) {
    free(self->ready_memory);
    if (self->held > 2) PyBuffer_Release(&self->tables);
    if (self->held > 1) PyBuffer_Release(&self->directories);
    if (self->held > 0) PyBuffer_Release(&self->main);
    PyObject *type = (PyObject *)Py_TYPE(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static int check_layout(const Layout *layout) {
    uint64_t buckets = (uint64_t)1 << layout->directory_bits;
    for (int block = 0; block < BLOCKS; block++) {
        const uint32_t *directory = layout->directories + block * (buckets + 1);
        if (directory[0] != 0 || directory[buckets] != layout->count) return -1;
        for (uint64_t bucket = 0; bucket < buckets; bucket++)
            if (directory[bucket] > directory[bucket + 1]) return -1;
    }
    uint64_t entries = (uint64_t)(BLOCKS - 1) * layout->count;
    for (uint64_t i = 0; i < entries; i++)
        if ((uint64_t)(layout->tables[i] >> layout->remainder_bits) >= layout->count) return -1;
    return 0;
}

static PyObject *Searcher_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"main", "directories", "tables", "count", "directory_bits",
                               "remainder_bits", NULL};
    PyObject *main_object, *directories_object, *tables_object;
    unsigned long long count;
    int directory_bits, remainder_bits;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOKii:Searcher", keywords, &main_object,
                                     &directories_object, &tables_object, &count,
                                     &directory_bits, &remainder_bits))
        return NULL;
    if (count > ((uint64_t)1 << 32) || directory_bits < 0 ||
        directory_bits > MAX_DIRECTORY_BITS || remainder_bits < 0 ||
        directory_bits + remainder_bits > 32 || remainder_bits > 31 ||
        (count > 1 && ((count - 1) >> (32 - remainder_bits)) != 0)) {
        PyErr_SetString(PyExc_ValueError, "inconsistent PDQ index layout parameters");
        return NULL;
    }
    Searcher *self = (Searcher *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    uint64_t buckets = (uint64_t)1 << directory_bits;
    if (PyObject_GetBuffer(main_object, &self->main, PyBUF_C_CONTIGUOUS) < 0) goto fail;
    self->held = 1;
    if (PyObject_GetBuffer(directories_object, &self->directories, PyBUF_C_CONTIGUOUS) < 0)
        goto fail;
    self->held = 2;
    if (PyObject_GetBuffer(tables_object, &self->tables, PyBUF_C_CONTIGUOUS) < 0) goto fail;
    self->held = 3;
    if ((uint64_t)self->main.len != count * HASH_BYTES ||
        (uint64_t)self->directories.len != BLOCKS * (buckets + 1) * sizeof(uint32_t) ||
        (uint64_t)self->tables.len != (BLOCKS - 1) * count * sizeof(uint32_t) ||
        ((uintptr_t)self->directories.buf | (uintptr_t)self->tables.buf) % sizeof(uint32_t)) {
        PyErr_SetString(PyExc_ValueError, "PDQ index arrays do not match the layout");
        goto fail;
    }
    self->layout.rows = self->main.buf;
    self->layout.directories = self->directories.buf;
    self->layout.tables = self->tables.buf;
    self->layout.count = count;
    self->layout.directory_bits = directory_bits;
    self->layout.remainder_bits = remainder_bits;
    int bad;
    Py_BEGIN_ALLOW_THREADS
    bad = check_layout(&self->layout);
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "corrupt PDQ index: an offset or position is out of range");
        goto fail;
    }
    /* The variants of radius r are those of radius READY_RADIUS with weight <= r, in order. */
    uint64_t length = variant_count(directory_bits, READY_RADIUS);
    self->ready_memory = malloc((size_t)length * (READY_RADIUS + 1) * (sizeof(uint32_t) + 1));
    if (self->ready_memory == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    uint32_t *all_masks = self->ready_memory;
    uint8_t *all_weights = (uint8_t *)(all_masks + length * (READY_RADIUS + 1));
    uint32_t *masks = all_masks + length * READY_RADIUS;
    uint8_t *weights = all_weights + length * READY_RADIUS;
    size_t made = make_variants(directory_bits, READY_RADIUS, masks, weights);
    self->ready[READY_RADIUS] = (Variants){masks, weights, made};
    for (int radius = 0; radius < READY_RADIUS; radius++) {
        uint32_t *radius_masks = all_masks + length * radius;
        uint8_t *radius_weights = all_weights + length * radius;
        size_t kept = 0;
        for (size_t i = 0; i < made; i++) {
            if (weights[i] <= radius) {
                radius_masks[kept] = masks[i];
                radius_weights[kept] = weights[i];
                kept++;
            }
        }
        self->ready[radius] = (Variants){radius_masks, radius_weights, kept};
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

/* search(query, threshold, method=0): method 0 picks, 1 probes, 2 scans all hashes. */
static PyObject *Searcher_search(Searcher *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "search(query, threshold, method=0)");
        return NULL;
    }
    uint8_t query_bytes[HASH_BYTES];
    int threshold;
    if (take_query(args[0], query_bytes) < 0 || take_threshold(args[1], &threshold) < 0)
        return NULL;
    long method = 0;
    if (nargs == 3) {
        method = PyLong_AsLong(args[2]);
        if (method == -1 && PyErr_Occurred()) return NULL;
        if (method < 0 || method > 2) {
            PyErr_SetString(PyExc_ValueError, "method must be 0 (auto), 1 (probe) or 2 (scan)");
            return NULL;
        }
    }
    Query query;
    query_init(&query, query_bytes, threshold);
    Results results = {0};
    int probes = method == 1 || (method == 0 && use_probes(&self->layout, &query));
    int status = 0;
    Py_BEGIN_ALLOW_THREADS
    if (self->layout.count == 0)
        ;
    else if (probes)
        status = run_probes(&self->layout, &query, self->ready, &results);
    else
        run_scan(self->layout.rows, self->layout.count, &query, &results);
    Py_END_ALLOW_THREADS
    if (status < 0) results.failed = 1;
    return results_to_list(&results);
}

static PyMethodDef Searcher_methods[] = {
    {"search", (PyCFunction)(void (*)(void))Searcher_search, METH_FASTCALL,
     "search(query, threshold, method=0) -> [(position, distance)] by position"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Searcher_slots[] = {
    {Py_tp_new, Searcher_new},
    {Py_tp_dealloc, Searcher_dealloc},
    {Py_tp_methods, Searcher_methods},
    {Py_tp_doc, "Searcher(main, directories, tables, count, directory_bits, remainder_bits)"},
    {0, NULL},
};

static PyType_Spec Searcher_spec = {
    "safeharbor.hashmatch.pdqindex._pdqindex.Searcher",
    sizeof(Searcher),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    Searcher_slots,
};

/* uses_probes(count, directory_bits, threshold): whether method 0 probes (else scans). */
static PyObject *uses_probes(PyObject *module, PyObject *args) {
    (void)module;
    unsigned long long count;
    int directory_bits;
    PyObject *threshold_object;
    if (!PyArg_ParseTuple(args, "KiO:uses_probes", &count, &directory_bits, &threshold_object))
        return NULL;
    int threshold;
    if (take_threshold(threshold_object, &threshold) < 0) return NULL;
    if (directory_bits < 0 || directory_bits > MAX_DIRECTORY_BITS) {
        PyErr_SetString(PyExc_ValueError, "directory_bits must be 0..28");
        return NULL;
    }
    Layout layout = {NULL, NULL, NULL, count, directory_bits, 0};
    Query query;
    uint8_t zero[HASH_BYTES] = {0};
    query_init(&query, zero, threshold);
    return PyBool_FromLong(use_probes(&layout, &query));
}

static PyObject *has_popcnt_instruction(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
#ifdef DISPATCH_POPCNT
    return PyBool_FromLong(has_popcnt());
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef module_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(hashes, query, threshold) -> [(position, distance)]: brute force over 32-byte rows"},
    {"uses_probes", uses_probes, METH_VARARGS,
     "uses_probes(count, directory_bits, threshold) -> whether a search probes (else scans)"},
    {"has_popcnt", has_popcnt_instruction, METH_NOARGS,
     "whether the search uses the POPCNT instruction on this processor"},
    {NULL, NULL, 0, NULL},
};

static int module_exec(PyObject *module) {
    PyObject *type = PyType_FromModuleAndSpec(module, &Searcher_spec, NULL);
    if (type == NULL) return -1;
    int status = PyModule_AddObjectRef(module, "Searcher", type);
    Py_DECREF(type);
    return status;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_pdqindex",
    "The C search of the in-memory PDQ index (see reference.py for the layout).",
    0, module_methods, module_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__pdqindex(void) { return PyModuleDef_Init(&module_definition); }
