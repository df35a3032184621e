/* Steps 2 to 5 of intervention normalization in one C pass (see normalize.py, which holds the
 * specification, the table and the pure-Python paths this must agree with).
 *
 * skeleton(text, table, extra, symbols, letters, word_end_symbols) -> str
 *   text     the NFKD-decomposed input
 *   table    bytes: uint32 per code point below TABLE_SIZE; the code point to emit, DELETE, or
 *            MULTI (look the character up in ``extra``)
 *   extra    dict {code point: str or None} for MULTI entries and code points >= TABLE_SIZE
 *   symbols  str of symbols that stand for a letter when a letter or digit follows them
 *   letters  str, the letter of each symbol
 *   word_end_symbols  str, the symbols that also stand for a letter after a letter or digit
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define TABLE_SIZE 0x20000
#define DELETE 0xFFFFFFFFu
#define MULTI 0xFFFFFFFEu

static int is_word(Py_UCS4 c) { return c == '_' || Py_UNICODE_ISALNUM(c); }

typedef struct {
    Py_UCS4 *data;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Buffer;

static int grow(Buffer *b, Py_ssize_t need) {
    if (b->size + need <= b->capacity) return 0;
    Py_ssize_t capacity = (b->capacity + need) * 2;
    Py_UCS4 *data = PyMem_Realloc(b->data, capacity * sizeof(Py_UCS4));
    if (data == NULL) { PyErr_NoMemory(); return -1; }
    b->data = data;
    b->capacity = capacity;
    return 0;
}

/* Step 2 output goes through here: spaces collapse to one and leading spaces are dropped. */
static int emit_translated(Buffer *b, Py_UCS4 c) {
    if (c == ' ' && (b->size == 0 || b->data[b->size - 1] == ' ')) return 0;
    if (grow(b, 1) < 0) return -1;
    b->data[b->size++] = c;
    return 0;
}

static int emit_mapped(Buffer *b, Py_UCS4 c, const uint32_t *table, PyObject *extra) {
    uint32_t mapped = c < TABLE_SIZE ? table[c] : MULTI;
    if (mapped == DELETE) return 0;
    if (mapped != MULTI) return emit_translated(b, (Py_UCS4)mapped);
    PyObject *key = PyLong_FromUnsignedLong(c);
    if (key == NULL) return -1;
    PyObject *value = PyDict_GetItemWithError(extra, key); /* borrowed */
    Py_DECREF(key);
    if (value == NULL) {
        if (PyErr_Occurred()) return -1;
        return emit_translated(b, c); /* not in the table: kept as it is */
    }
    if (value == Py_None) return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(value);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (emit_translated(b, PyUnicode_READ_CHAR(value, i)) < 0) return -1;
    }
    return 0;
}

/* Steps 4 and 5 write through here: a character equal to the one before it is dropped. */
static void emit_collapsed(Buffer *b, Py_UCS4 c) {
    if (b->size > 0 && b->data[b->size - 1] == c) return;
    b->data[b->size++] = c;
}

static PyObject *skeleton(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *extra, *symbols, *letters, *word_end;
    Py_buffer table;
    if (!PyArg_ParseTuple(args, "Uy*O!UUU", &text, &table, &PyDict_Type, &extra, &symbols,
                          &letters, &word_end))
        return NULL;
    PyObject *result = NULL;
    Buffer a = {NULL, 0, 0}, out = {NULL, 0, 0};
    if (table.len != TABLE_SIZE * 4) {
        PyErr_SetString(PyExc_ValueError, "the table must hold 0x20000 uint32 entries");
        goto done;
    }
    const uint32_t *map = (const uint32_t *)table.buf;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t symbol_count = PyUnicode_GET_LENGTH(symbols);
    if (grow(&a, length + 2) < 0) goto done;

    /* Steps 3 and 2: symbols inside words become letters, then the per-character table. */
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c != ' ' && !Py_UNICODE_ISALNUM(c)) {
            for (Py_ssize_t s = 0; s < symbol_count; s++) {
                if (PyUnicode_READ_CHAR(symbols, s) == c) {
                    int next_in_word =
                        i + 1 < length && Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i + 1));
                    int ends_word = i > 0 &&
                                    Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i - 1)) &&
                                    PyUnicode_FindChar(word_end, c, 0, PyUnicode_GET_LENGTH(word_end),
                                                       1) >= 0;
                    if (next_in_word || ends_word) c = PyUnicode_READ_CHAR(letters, s);
                    break;
                }
            }
        }
        if (emit_mapped(&a, c, map, extra) < 0) goto done;
    }
    if (a.size > 0 && a.data[a.size - 1] == ' ') a.size--;

    /* Steps 4 and 5: join runs of three or more one-character words, collapse repeats. */
    if (grow(&out, a.size + 2) < 0) goto done;
    out.data[out.size++] = ' ';
    Py_ssize_t i = 0;
    while (i < a.size) {
        /* a.data[i] starts a word; words are separated by exactly one space. */
        if (is_word(a.data[i]) && (i + 1 == a.size || a.data[i + 1] == ' ')) {
            Py_ssize_t last = i, singles = 1;
            while (last + 2 < a.size && is_word(a.data[last + 2]) &&
                   (last + 3 == a.size || a.data[last + 3] == ' ')) {
                last += 2;
                singles++;
            }
            if (singles >= 3) {
                for (Py_ssize_t k = i; k <= last; k += 2) emit_collapsed(&out, a.data[k]);
                i = last + 1;
                continue;
            }
        }
        while (i < a.size && a.data[i] != ' ') emit_collapsed(&out, a.data[i++]);
        if (i < a.size) emit_collapsed(&out, a.data[i++]);
    }
    out.data[out.size++] = ' ';
    result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out.data, out.size);
done:
    PyBuffer_Release(&table);
    PyMem_Free(a.data);
    PyMem_Free(out.data);
    return result;
}

static PyMethodDef methods[] = {
    {"skeleton", skeleton, METH_VARARGS, "Steps 2 to 5 of normalize() in one pass."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_skeleton", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__skeleton(void) { return PyModule_Create(&module); }
