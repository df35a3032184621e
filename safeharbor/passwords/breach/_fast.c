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

/* Find sub-bucket `high` in a bucket's bitmap (one 1 per record, a 0 closing each sub-bucket).
 * Sets *before to the records of earlier sub-buckets and returns the run length of `high`. */
static Py_ssize_t select_run(const unsigned char *bitmap, uint64_t first_bit, Py_ssize_t high,
                             Py_ssize_t *before) {
    uint64_t position = first_bit;
    Py_ssize_t zeros = 0, ones = 0;
    /* Skip whole bytes while they close fewer sub-buckets than remain to skip. */
    while ((position & 7) != 0) {
        if (zeros == high) goto in_run;
        if (bit_at(bitmap, position)) ones++; else zeros++;
        position++;
    }
    for (;;) {
        if (zeros == high) break;
        unsigned char byte = bitmap[position >> 3];
        int byte_zeros = 8 - __builtin_popcount(byte);
        if (zeros + byte_zeros < high) {
            zeros += byte_zeros;
            ones += 8 - byte_zeros;
            position += 8;
            continue;
        }
        while (zeros < high) {
            if (bit_at(bitmap, position)) ones++; else zeros++;
            position++;
        }
        break;
    }
in_run:
    *before = ones;
    Py_ssize_t run = 0;
    while (bit_at(bitmap, position)) {
        run++;
        position++;
    }
    return run;
}

/* count(buffer, digest, directory_at, width, sub_bits, bitmap_at, records_at, record_size,
 *       exact, escape_directory_at, escapes_at) -> int */
static PyObject *fast_count(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 11) {
        PyErr_SetString(PyExc_TypeError, "count() takes 11 arguments");
        return NULL;
    }
    Py_ssize_t p[9];
    if (take_sizes(args, 2, 9, p) < 0) return NULL;
    Py_ssize_t directory_at = p[0], width = p[1], sub_bits = p[2], bitmap_at = p[3];
    Py_ssize_t records_at = p[4], size = p[5], exact = p[6], escape_directory_at = p[7];
    Py_ssize_t escapes_at = p[8];
    Py_buffer file, digest;
    if (PyObject_GetBuffer(args[0], &file, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &digest, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&file);
        return NULL;
    }
    const unsigned char *data = file.buf;
    const unsigned char *hash = digest.buf;
    long long result = 0;
    Py_ssize_t low_nibbles = size * 2 - 1;
    Py_ssize_t high_nibbles = sub_bits / 4;
    if (digest.len * 2 < 5 + high_nibbles + low_nibbles) {
        PyErr_SetString(PyExc_ValueError, "the digest is shorter than the index's keys");
        goto fail;
    }
    Py_ssize_t bucket = (hash[0] << 12) | (hash[1] << 4) | (hash[2] >> 4);
    uint64_t start = read_le(data + directory_at + bucket * width, (int)width);
    uint64_t end = read_le(data + directory_at + (bucket + 1) * width, (int)width);
    if (start == end) goto done;
    Py_ssize_t high = 0;
    for (Py_ssize_t i = 0; i < high_nibbles; i++) high = (high << 4) | nibble_at(hash, 5 + i);
    uint64_t first = start, last = end;
    if (sub_bits) {
        Py_ssize_t before;
        uint64_t first_bit = start + ((uint64_t)bucket << sub_bits);
        Py_ssize_t run = select_run(data + bitmap_at, first_bit, high, &before);
        if (!run) goto done;
        first = start + before;
        last = first + run;
    }
    /* The wanted record with a zero count nibble, to compare as bytes. */
    unsigned char wanted[64];
    if (size > (Py_ssize_t)sizeof(wanted)) {
        PyErr_SetString(PyExc_ValueError, "record too large");
        goto fail;
    }
    memset(wanted, 0, size);
    for (Py_ssize_t i = 0; i < low_nibbles; i++) {
        int nibble = nibble_at(hash, 5 + high_nibbles + i);
        wanted[i >> 1] |= (i & 1) ? nibble : (nibble << 4);
    }
    uint64_t limit = last;
    while (first < last) { /* lower bound */
        uint64_t middle = first + (last - first) / 2;
        const unsigned char *record = data + records_at + middle * size;
        int order = memcmp(record, wanted, size - 1);
        if (order == 0) order = (int)(record[size - 1] & 0xF0) - (int)wanted[size - 1];
        if (order < 0) first = middle + 1; else last = middle;
    }
    if (first >= limit) goto done;
    const unsigned char *record = data + records_at + first * size;
    if (memcmp(record, wanted, size - 1) || (record[size - 1] & 0xF0) != wanted[size - 1]) goto done;
    int code = record[size - 1] & 15;
    if (!exact) {
        result = 1LL << (code - 1);
    } else if (code) {
        result = code;
    } else {
        uint64_t escape = read_le(data + escape_directory_at + bucket * width, (int)width);
        for (uint64_t index = start; index < first; index++)
            if ((data[records_at + index * size + size - 1] & 15) == 0) escape++;
        result = (long long)read_le(data + escapes_at + escape * 4, 4);
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
 *            escape_directory_at, escapes_at) -> bytes: "SUFFIX:COUNT" lines joined by CRLF. */
static PyObject *fast_range_body(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "range_body() takes 10 arguments");
        return NULL;
    }
    Py_ssize_t p[9];
    if (take_sizes(args, 1, 9, p) < 0) return NULL;
    Py_ssize_t bucket = p[0], directory_at = p[1], width = p[2], sub_bits = p[3];
    Py_ssize_t bitmap_at = p[4], records_at = p[5], size = p[6], escape_directory_at = p[7];
    Py_ssize_t escapes_at = p[8];
    Py_buffer file;
    if (PyObject_GetBuffer(args[0], &file, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *data = file.buf;
    uint64_t start = read_le(data + directory_at + bucket * width, (int)width);
    uint64_t end = read_le(data + directory_at + (bucket + 1) * width, (int)width);
    uint64_t escape = read_le(data + escape_directory_at + bucket * width, (int)width);
    Py_ssize_t rows = (Py_ssize_t)(end - start);
    Py_ssize_t low_nibbles = size * 2 - 1, high_nibbles = sub_bits / 4;
    /* suffix, ':', at most 10 count digits, CRLF */
    Py_ssize_t row_max = high_nibbles + low_nibbles + 1 + 10 + 2;
    PyObject *body = PyBytes_FromStringAndSize(NULL, rows ? rows * row_max : 0);
    if (body == NULL) {
        PyBuffer_Release(&file);
        return NULL;
    }
    char *out = PyBytes_AS_STRING(body);
    char *cursor = out;
    uint64_t bit = start + ((uint64_t)bucket << sub_bits);
    Py_ssize_t high = 0;
    const unsigned char *bitmap = data + bitmap_at;
    for (Py_ssize_t row = 0; row < rows; row++) {
        if (sub_bits) {
            while (!bit_at(bitmap, bit)) {
                high++;
                bit++;
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
        const unsigned char *record = data + records_at + (start + row) * size;
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
        if (!count) count = read_le(data + escapes_at + 4 * escape++, 4);
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
