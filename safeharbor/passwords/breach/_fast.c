/* The two hot paths of a breached-password index, in C: count(digest) and the body of a range.
 *
 * Both walk exactly the layout that formats.py describes and index.py reads in Python; index.py's
 * pure-Python methods are the reference implementation, and the tests compare the two on every
 * kind of index. Every layout Safeharbor builds is nibble-aligned: a record holds an odd number of
 * key nibbles followed by a one-nibble count code, so keys compare as bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char HEX[] = "0123456789ABCDEF";
static char HEX_PAIRS[512]; /* byte -> its two uppercase hex digits */

static inline uint64_t read_le(const unsigned char *at, int width) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (width == 4) {
        uint32_t word;
        memcpy(&word, at, 4);
        return word;
    }
    if (width == 8) {
        uint64_t word;
        memcpy(&word, at, 8);
        return word;
    }
#endif
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; i--) value = (value << 8) | at[i];
    return value;
}

/* Sixteen bytes to 32 uppercase hex digits (SSE2, part of every x86-64 processor). */
static inline char *hex16(char *out, const unsigned char *in) {
#ifdef __SSE2__
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    __m128i bytes = _mm_loadu_si128((const __m128i *)in);
    __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_mask);
    __m128i low = _mm_and_si128(bytes, low_mask);
    __m128i first = _mm_unpacklo_epi8(high, low), second = _mm_unpackhi_epi8(high, low);
    const __m128i nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8(7);
    first = _mm_add_epi8(_mm_add_epi8(first, zero),
                         _mm_and_si128(_mm_cmpgt_epi8(first, nine), gap));
    second = _mm_add_epi8(_mm_add_epi8(second, zero),
                          _mm_and_si128(_mm_cmpgt_epi8(second, nine), gap));
    _mm_storeu_si128((__m128i *)out, first);
    _mm_storeu_si128((__m128i *)(out + 16), second);
#else
    for (int i = 0; i < 16; i++) memcpy(out + 2 * i, HEX_PAIRS + 2 * in[i], 2);
#endif
    return out + 32;
}

static inline int bit_at(const unsigned char *bitmap, uint64_t position) {
    return (bitmap[position >> 3] >> (position & 7)) & 1;
}

static inline int nibble_at(const unsigned char *bytes, Py_ssize_t index) {
    unsigned char byte = bytes[index >> 1];
    return (index & 1) ? (byte & 15) : (byte >> 4);
}

static int take_sizes(PyObject *const *args, Py_ssize_t first, Py_ssize_t count, Py_ssize_t *out) {
    for (Py_ssize_t i = 0; i < count; i++) {
        out[i] = PyLong_AsSsize_t(args[first + i]);
        if (out[i] == -1 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* The layout of one index file, from the Python side, checked against the buffer's length once
 * per call so that no directory entry, bitmap bit or escape can send a read outside the file:
 * open_index() checks only the header and the directories' last entries, and a corrupt or
 * crafted file must give an error, never a crash or bytes of other memory. */
typedef struct {
    Py_ssize_t directory_at, width, sub_bits, bitmap_at, records_at, size;
    Py_ssize_t escape_directory_at, escapes_at, record_count, escape_count;
} Layout;

#define BUCKETS (1 << 20)

static int corrupt(const char *what) {
    PyErr_Format(PyExc_ValueError, "the index file is corrupt: %s", what);
    return -1;
}

static int take_layout(PyObject *const *args, Py_ssize_t first, Layout *layout, Py_ssize_t length) {
    Py_ssize_t p[10];
    if (take_sizes(args, first, 10, p) < 0) return -1;
    *layout = (Layout){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]};
    const Layout *l = layout;
    if ((l->width != 4 && l->width != 8) || (l->sub_bits != 0 && l->sub_bits != 8) ||
        l->size < 1 || l->size > 64 || l->record_count < 0 || l->escape_count < 0)
        return corrupt("impossible layout");
    /* Every region must lie inside the file (sizes are far below overflow for real files). */
    uint64_t bitmap_bits = l->sub_bits ? (uint64_t)l->record_count + ((uint64_t)BUCKETS << l->sub_bits) : 0;
    if (l->directory_at < 0 || (uint64_t)l->directory_at + (uint64_t)(BUCKETS + 1) * l->width > (uint64_t)length ||
        l->records_at < 0 || (uint64_t)l->records_at + (uint64_t)l->record_count * l->size > (uint64_t)length ||
        l->bitmap_at < 0 || (uint64_t)l->bitmap_at + (bitmap_bits + 7) / 8 > (uint64_t)length ||
        l->escape_directory_at < 0 || l->escapes_at < 0 ||
        (uint64_t)l->escapes_at + (uint64_t)l->escape_count * 4 > (uint64_t)length)
        return corrupt("a region lies outside the file");
    return 0;
}

/* A bucket's records [start, end) and, for exact indexes, its first escape. */
static int bucket_bounds(const unsigned char *data, const Layout *l, Py_ssize_t bucket, int exact,
                         Py_ssize_t length, uint64_t *start, uint64_t *end, uint64_t *escape) {
    *start = read_le(data + l->directory_at + bucket * l->width, (int)l->width);
    *end = read_le(data + l->directory_at + (bucket + 1) * l->width, (int)l->width);
    if (*start > *end || *end > (uint64_t)l->record_count) return corrupt("bucket directory");
    *escape = 0;
    if (exact) {
        uint64_t at = (uint64_t)l->escape_directory_at + (uint64_t)bucket * l->width;
        if (at + (uint64_t)l->width > (uint64_t)length) return corrupt("escape directory");
        *escape = read_le(data + at, (int)l->width);
        if (*escape > (uint64_t)l->escape_count) return corrupt("escape directory");
    }
    return 0;
}

static int read_escape(const unsigned char *data, const Layout *l, uint64_t escape,
                       uint64_t *count) {
    if (escape >= (uint64_t)l->escape_count) return corrupt("escapes");
    *count = read_le(data + l->escapes_at + escape * 4, 4);
    return 0;
}

/* Find sub-bucket `high` in a bucket's bitmap segment [first_bit, stop) (one 1 per record, a 0
 * closing each sub-bucket). Sets *before to the records of earlier sub-buckets and *run to the
 * run length of `high`; -1 when the segment ends first (a corrupt file). */
static int select_run(const unsigned char *bitmap, uint64_t first_bit, uint64_t stop,
                      Py_ssize_t high, Py_ssize_t *before, Py_ssize_t *run) {
    uint64_t position = first_bit;
    Py_ssize_t zeros = 0, ones = 0;
    while (zeros < high) {
        if (position >= stop) return corrupt("sub-bucket bitmap");
        if ((position & 7) == 0 && position + 8 <= stop) {
            /* A whole byte that closes fewer sub-buckets than remain to skip. */
            unsigned char byte = bitmap[position >> 3];
            int byte_zeros = 8 - __builtin_popcount(byte);
            if (zeros + byte_zeros < high) {
                zeros += byte_zeros;
                ones += 8 - byte_zeros;
                position += 8;
                continue;
            }
        }
        if (bit_at(bitmap, position)) ones++; else zeros++;
        position++;
    }
    *before = ones;
    *run = 0;
    while (position < stop && bit_at(bitmap, position)) {
        (*run)++;
        position++;
    }
    return 0;
}

/* count(buffer, digest, directory_at, width, sub_bits, bitmap_at, records_at, record_size,
 *       escape_directory_at, escapes_at, record_count, escape_count, exact) -> int */
static PyObject *fast_count(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "count() takes 13 arguments");
        return NULL;
    }
    int exact = PyObject_IsTrue(args[12]);
    if (exact < 0) return NULL;
    Py_buffer file, digest;
    if (PyObject_GetBuffer(args[0], &file, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &digest, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&file);
        return NULL;
    }
    Layout l;
    const unsigned char *data = file.buf;
    const unsigned char *hash = digest.buf;
    long long result = 0;
    if (take_layout(args, 2, &l, file.len) < 0) goto fail;
    Py_ssize_t size = l.size, low_nibbles = size * 2 - 1, high_nibbles = l.sub_bits / 4;
    if (digest.len * 2 < 5 + high_nibbles + low_nibbles) {
        PyErr_SetString(PyExc_ValueError, "the digest is shorter than the index's keys");
        goto fail;
    }
    Py_ssize_t bucket = (hash[0] << 12) | (hash[1] << 4) | (hash[2] >> 4);
    uint64_t start, end, escape;
    if (bucket_bounds(data, &l, bucket, exact, file.len, &start, &end, &escape) < 0) goto fail;
    if (start == end) goto done;
    Py_ssize_t high = 0;
    for (Py_ssize_t i = 0; i < high_nibbles; i++) high = (high << 4) | nibble_at(hash, 5 + i);
    uint64_t first = start, last = end;
    if (l.sub_bits) {
        Py_ssize_t before, run;
        uint64_t first_bit = start + ((uint64_t)bucket << l.sub_bits);
        uint64_t stop = first_bit + (end - start) + ((uint64_t)1 << l.sub_bits);
        if (select_run(data + l.bitmap_at, first_bit, stop, high, &before, &run) < 0) goto fail;
        if (!run) goto done;
        first = start + before;
        last = first + run;
        if (last > end) {
            corrupt("sub-bucket bitmap");
            goto fail;
        }
    }
    /* The wanted record with a zero count nibble, to compare as bytes. */
    unsigned char wanted[64];
    memset(wanted, 0, size);
    for (Py_ssize_t i = 0; i < low_nibbles; i++) {
        int nibble = nibble_at(hash, 5 + high_nibbles + i);
        wanted[i >> 1] |= (i & 1) ? nibble : (nibble << 4);
    }
    uint64_t limit = last;
    while (first < last) { /* lower bound */
        uint64_t middle = first + (last - first) / 2;
        const unsigned char *record = data + l.records_at + middle * size;
        int order = memcmp(record, wanted, size - 1);
        if (order == 0) order = (int)(record[size - 1] & 0xF0) - (int)wanted[size - 1];
        if (order < 0) first = middle + 1; else last = middle;
    }
    if (first >= limit) goto done;
    const unsigned char *record = data + l.records_at + first * size;
    if (memcmp(record, wanted, size - 1) || (record[size - 1] & 0xF0) != wanted[size - 1]) goto done;
    int code = record[size - 1] & 15;
    if (!exact) {
        if (!code) {
            corrupt("a compact record without a count class");
            goto fail;
        }
        result = 1LL << (code - 1);
    } else if (code) {
        result = code;
    } else {
        for (uint64_t index = start; index < first; index++)
            if ((data[l.records_at + index * size + size - 1] & 15) == 0) escape++;
        uint64_t count;
        if (read_escape(data, &l, escape, &count) < 0) goto fail;
        result = (long long)count;
    }
done:
    PyBuffer_Release(&digest);
    PyBuffer_Release(&file);
    return PyLong_FromLongLong(result);
fail:
    PyBuffer_Release(&digest);
    PyBuffer_Release(&file);
    return NULL;
}

/* range_body(buffer, bucket, directory_at, width, sub_bits, bitmap_at, records_at, record_size,
 *            escape_directory_at, escapes_at, record_count, escape_count) -> bytes:
 * "SUFFIX:COUNT" lines joined by CRLF (exact indexes). */
static PyObject *fast_range_body(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "range_body() takes 12 arguments");
        return NULL;
    }
    Py_ssize_t bucket = PyLong_AsSsize_t(args[1]);
    if (bucket == -1 && PyErr_Occurred()) return NULL;
    if (bucket < 0 || bucket >= BUCKETS) {
        PyErr_SetString(PyExc_ValueError, "bucket out of range");
        return NULL;
    }
    Py_buffer file;
    if (PyObject_GetBuffer(args[0], &file, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *data = file.buf;
    PyObject *body = NULL;
    Layout l;
    uint64_t start, end, escape;
    if (take_layout(args, 2, &l, file.len) < 0 ||
        bucket_bounds(data, &l, bucket, 1, file.len, &start, &end, &escape) < 0) {
        PyBuffer_Release(&file);
        return NULL;
    }
    Py_ssize_t size = l.size, rows = (Py_ssize_t)(end - start);
    Py_ssize_t low_nibbles = size * 2 - 1, high_nibbles = l.sub_bits / 4;
    /* suffix, ':', at most 10 count digits, CRLF; rows <= record_count, within the file */
    Py_ssize_t row_max = high_nibbles + low_nibbles + 1 + 10 + 2;
    body = PyBytes_FromStringAndSize(NULL, rows ? rows * row_max : 0);
    if (body == NULL) {
        PyBuffer_Release(&file);
        return NULL;
    }
    char *out = PyBytes_AS_STRING(body);
    char *cursor = out;
    uint64_t bit = start + ((uint64_t)bucket << l.sub_bits);
    uint64_t stop = bit + (end - start) + ((uint64_t)1 << l.sub_bits);
    Py_ssize_t high = 0, sub_count = (Py_ssize_t)1 << l.sub_bits;
    const unsigned char *bitmap = data + l.bitmap_at;
    for (Py_ssize_t row = 0; row < rows; row++) {
        if (l.sub_bits) {
            while (bit < stop && !bit_at(bitmap, bit)) {
                high++;
                bit++;
            }
            if (bit >= stop || high >= sub_count) {
                corrupt("sub-bucket bitmap");
                goto fail;
            }
            bit++;
        }
        if (row) {
            *cursor++ = '\r';
            *cursor++ = '\n';
        }
        if (high_nibbles) { /* sub_bits is 8: two digits */
            memcpy(cursor, HEX_PAIRS + 2 * high, 2);
            cursor += 2;
        }
        const unsigned char *record = data + l.records_at + (start + row) * size;
        /* low_nibbles is odd: whole bytes, then the high nibble of the last (count) byte. */
        Py_ssize_t i = 0;
        if (size - 1 >= 16) {
            cursor = hex16(cursor, record);
            i = 16;
        }
        for (; i < size - 1; i++) {
            memcpy(cursor, HEX_PAIRS + 2 * record[i], 2);
            cursor += 2;
        }
        *cursor++ = HEX[record[size - 1] >> 4];
        *cursor++ = ':';
        uint64_t count = record[size - 1] & 15;
        if (!count && read_escape(data, &l, escape++, &count) < 0) goto fail;
        char digits[20];
        int length = 0;
        do {
            digits[length++] = (char)('0' + count % 10);
            count /= 10;
        } while (count);
        while (length) *cursor++ = digits[--length];
    }
    PyBuffer_Release(&file);
    if (_PyBytes_Resize(&body, cursor - out) < 0) return NULL;
    return body;
fail:
    PyBuffer_Release(&file);
    Py_DECREF(body);
    return NULL;
}

static PyMethodDef methods[] = {
    {"count", (PyCFunction)(void (*)(void))fast_count, METH_FASTCALL,
     "How many times a digest was seen (the C form of BreachIndex.count)."},
    {"range_body", (PyCFunction)(void (*)(void))fast_range_body, METH_FASTCALL,
     "The HIBP range body of one bucket (the C form of range_body(BreachIndex.range(p)))."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fast", "C hot paths of the breached-password index.", -1, methods,
};

PyMODINIT_FUNC PyInit__fast(void) {
    for (int byte = 0; byte < 256; byte++) {
        HEX_PAIRS[2 * byte] = HEX[byte >> 4];
        HEX_PAIRS[2 * byte + 1] = HEX[byte & 15];
    }
    return PyModule_Create(&module);
}
