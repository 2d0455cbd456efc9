/* Counting raw arrivals in C: the tap's per-request work (northgate/analytics/capture/arrivals.py).
 *
 * Behaviour is that of arrivals.Arrivals, the Python specification; read that first. This
 * file exists because the Python one costs ~8 % of a cached page on the embedded default
 * against a 5 % budget, almost all of it generic work on strings a server creates anew for
 * every request. Here the same steps are done on the objects directly:
 *
 *   - the header list is read in place, names compared with memcmp;
 *   - the raw key is not built per request: its fields' hashes (Python's own, keyed at random
 *     per process, so nobody outside can aim arrivals at one slot) are combined into one
 *     64-bit hash that picks a slot in an open-addressing table;
 *   - a slot matches only when every field is equal (not merely the hash), so two different
 *     arrivals never share a counter;
 *   - swap() hands the whole table over as a Round and starts a new one: nothing is built
 *     on the event loop, however many arrivals the round holds. The flusher reads the round
 *     in its thread, one (raw key, arrivals) pair at a time (the key tuple built then), so
 *     the interpreter can switch back to the event loop between pairs.
 *
 * No Python code runs while the table is being changed, except __eq__/__hash__ of unusual
 * field types (the tap passes str, bytes, int, bool and None); a re-entrant call is refused
 * rather than allowed to see a half-changed table.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define FIELDS 9 /* minute, path, peer, forwarded-for, agent, status, retry-after, hint, section */
#define MINUTE_SECONDS 60.0
#define INITIAL_SLOTS 1024

typedef struct {
    PyObject *fields[FIELDS]; /* [0] unused (the minute is below); [1] NULL: an empty slot */
    long long minute;
    uint64_t hash;
    Py_ssize_t count;
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    Py_ssize_t mask; /* slots - 1; a power of two minus one */
    Py_ssize_t used;
    Py_ssize_t pending;
    int wants_forwarded_for;
    int busy;
    PyObject *outcome_hint;
    PyObject *section_hint;
} Arrivals;

/* A table handed over by swap(): read once, in slot order, by the flusher's thread. */
typedef struct {
    PyObject_HEAD
    Slot *slots;
    Py_ssize_t size;
    Py_ssize_t next; /* the next slot to read */
    int busy;
} Round;

static PyObject *str_headers, *str_path, *str_client, *str_get, *empty_bytes;
static PyTypeObject *Round_type;

/* ------------------------------------------------------------------ fields */

/* Python's float floor division (started // 60), so minutes match the specification's. */
static int
minute_of(PyObject *started, long long *minute)
{
    double seconds = PyFloat_AsDouble(started);
    if (seconds == -1.0 && PyErr_Occurred())
        return -1;
    if (!isfinite(seconds) || fabs(seconds) > 9.0e15) {
        PyErr_SetString(PyExc_ValueError, "arrival time out of range");
        return -1;
    }
    /* Away from a minute's edges a plain division floors the same way, and fmod costs a
     * tenth of the whole count; at the edges (and for times too large for the check to be
     * exact) Python's own steps (floatobject.c, _float_div_mod) decide. */
    double quick = floor(seconds / MINUTE_SECONDS);
    double rest = seconds - quick * MINUTE_SECONDS;
    if (fabs(seconds) < 1.0e12 && rest >= 1.0 && rest <= MINUTE_SECONDS - 1.0) {
        *minute = (long long)quick;
        return 0;
    }
    double mod = fmod(seconds, MINUTE_SECONDS);
    double div = (seconds - mod) / MINUTE_SECONDS;
    if (mod && mod < 0)
        div -= 1.0;
    double floored = floor(div);
    if (div - floored > 0.5)
        floored += 1.0;
    *minute = (long long)floored;
    return 0;
}

static inline int
is_name(PyObject *name, const char *expected, Py_ssize_t length)
{
    return PyBytes_Check(name) && PyBytes_GET_SIZE(name) == length &&
           memcmp(PyBytes_AS_STRING(name), expected, (size_t)length) == 0;
}

/* A header as (name, value), borrowed, from a 2-tuple or 2-list; anything else as Python's
 * "for name, value in headers" would take it, with new references kept in *held. */
static int
unpack_header(PyObject *item, PyObject **name, PyObject **value, PyObject **held)
{
    *held = NULL;
    if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 2) {
        *name = PyTuple_GET_ITEM(item, 0);
        *value = PyTuple_GET_ITEM(item, 1);
        return 0;
    }
    PyObject *pair = PySequence_Tuple(item);
    if (pair == NULL)
        return -1;
    if (PyTuple_GET_SIZE(pair) != 2) {
        PyErr_Format(PyExc_ValueError, "a header must be a (name, value) pair, not %zd values",
                     PyTuple_GET_SIZE(pair));
        Py_DECREF(pair);
        return -1;
    }
    *name = PyTuple_GET_ITEM(pair, 0);
    *value = PyTuple_GET_ITEM(pair, 1);
    *held = pair;
    return 0;
}

static PyObject *
joined(PyObject *first, PyObject *second)
{
    if (PyBytes_CheckExact(first) && PyBytes_CheckExact(second)) {
        Py_ssize_t a = PyBytes_GET_SIZE(first), b = PyBytes_GET_SIZE(second);
        PyObject *out = PyBytes_FromStringAndSize(NULL, a + 1 + b);
        if (out == NULL)
            return NULL;
        char *p = PyBytes_AS_STRING(out);
        memcpy(p, PyBytes_AS_STRING(first), (size_t)a);
        p[a] = ',';
        memcpy(p + a + 1, PyBytes_AS_STRING(second), (size_t)b);
        return out;
    }
    PyObject *comma = PyBytes_FromStringAndSize(",", 1);
    if (comma == NULL)
        return NULL;
    PyObject *left = PyNumber_Add(first, comma);
    Py_DECREF(comma);
    if (left == NULL)
        return NULL;
    PyObject *out = PyNumber_Add(left, second);
    Py_DECREF(left);
    return out;
}

/* The user agent and X-Forwarded-For (NULL when absent) of a header list, new references. */
static int
scan_headers(Arrivals *self, PyObject *headers, PyObject **agent, PyObject **forwarded_for)
{
    *agent = NULL;
    *forwarded_for = NULL;
    PyObject *seq = PySequence_Fast(headers, "scope[\"headers\"] must be iterable");
    if (seq == NULL)
        return -1;
    /* Size and items are read again at every step: unpacking an odd item may run code. */
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *name, *value, *held;
        Py_INCREF(item);
        int failed = unpack_header(item, &name, &value, &held);
        if (failed) {
            Py_DECREF(item);
            goto error;
        }
        int done = 0;
        if (is_name(name, "user-agent", 10)) {
            Py_INCREF(value);
            Py_XSETREF(*agent, value);
            done = !self->wants_forwarded_for;
        }
        else if (self->wants_forwarded_for && is_name(name, "x-forwarded-for", 15)) {
            /* Several headers are one list, in order. */
            PyObject *merged = *forwarded_for == NULL ? Py_NewRef(value)
                                                      : joined(*forwarded_for, value);
            if (merged == NULL) {
                Py_XDECREF(held);
                Py_DECREF(item);
                goto error;
            }
            Py_XSETREF(*forwarded_for, merged);
        }
        Py_XDECREF(held);
        Py_DECREF(item);
        if (done)
            break;
    }
    Py_DECREF(seq);
    if (*agent == NULL)
        *agent = Py_NewRef(empty_bytes);
    return 0;
error:
    Py_DECREF(seq);
    Py_CLEAR(*agent);
    Py_CLEAR(*forwarded_for);
    return -1;
}

/* scope[key] of a dict, as a new reference; KeyError when absent, like the specification. */
static PyObject *
required(PyObject *scope, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(scope, key);
    if (value == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return Py_NewRef(value);
}

/* The peer's address: client[0] if client else None. */
static PyObject *
peer_of(PyObject *scope)
{
    PyObject *client = PyDict_GetItemWithError(scope, str_client);
    if (client == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    if (PyTuple_CheckExact(client))
        return Py_NewRef(PyTuple_GET_SIZE(client) ? PyTuple_GET_ITEM(client, 0) : Py_None);
    Py_INCREF(client);
    int truthy = PyObject_IsTrue(client);
    PyObject *peer = truthy < 0 ? NULL : truthy ? PySequence_GetItem(client, 0) : Py_NewRef(Py_None);
    Py_DECREF(client);
    return peer;
}

/* state.get(key), new reference. */
static PyObject *
hint_of(PyObject *state, PyObject *key)
{
    if (PyDict_CheckExact(state)) {
        PyObject *value = PyDict_GetItemWithError(state, key);
        if (value == NULL)
            return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
        return Py_NewRef(value);
    }
    return PyObject_CallMethodOneArg(state, str_get, key);
}

/* ------------------------------------------------------------------ the table */

static inline uint64_t
combine(uint64_t hash, uint64_t field)
{
    /* Field hashes are Python's (strings and bytes: SipHash with a per-process key), so
     * this only has to spread them over the slots; multiply-xorshift does. */
    hash = (hash ^ field) * 0x9E3779B97F4A7C15ULL;
    return hash ^ (hash >> 29);
}

static inline int
same(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    PyTypeObject *type = Py_TYPE(a);
    if (type != Py_TYPE(b))
        return PyObject_RichCompareBool(a, b, Py_EQ);
    if (type == &PyBytes_Type)
        return PyBytes_GET_SIZE(a) == PyBytes_GET_SIZE(b) &&
               memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(a)) == 0;
    if (type == &PyUnicode_Type) {
        /* Equal strings have the same kind (PEP 393). */
        Py_ssize_t length = PyUnicode_GET_LENGTH(a);
        int kind = PyUnicode_KIND(a);
        return length == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
               memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(length * kind)) == 0;
    }
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* 1 if the slot holds this arrival's key, 0 if not, -1 on error. */
static int
matches(const Slot *slot, uint64_t hash, long long minute, PyObject *const *fields)
{
    if (slot->hash != hash || slot->minute != minute)
        return 0;
    for (int i = 1; i < FIELDS; i++) {
        int equal = same(fields[i], slot->fields[i]);
        if (equal <= 0)
            return equal;
    }
    return 1;
}

static int
grow(Arrivals *self)
{
    Py_ssize_t old_size = self->mask + 1, new_size = old_size * 2;
    Slot *old = self->slots;
    Slot *slots = PyMem_Calloc((size_t)new_size, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t mask = new_size - 1;
    for (Py_ssize_t i = 0; i < old_size; i++) {
        if (old[i].fields[1] == NULL)
            continue;
        Py_ssize_t j = (Py_ssize_t)(old[i].hash & (uint64_t)mask);
        while (slots[j].fields[1] != NULL)
            j = (j + 1) & mask;
        slots[j] = old[i];
    }
    PyMem_Free(old);
    self->slots = slots;
    self->mask = mask;
    return 0;
}

/* Count one arrival whose fields are given (borrowed; fields[0] unused). */
static int
count(Arrivals *self, long long minute, PyObject *const *fields)
{
    uint64_t hash = (uint64_t)minute * 0xC2B2AE3D27D4EB4FULL;
    for (int i = 1; i < FIELDS; i++) {
        Py_hash_t field = PyObject_Hash(fields[i]);
        if (field == -1)
            return -1;
        hash = combine(hash, (uint64_t)field);
    }
    /* At most half full, so probes stay short; grown before inserting, so a memory error
     * leaves the arrival uncounted rather than counted and reported as lost. */
    if ((self->used + 1) * 2 > self->mask + 1 && grow(self) < 0)
        return -1;
    Py_ssize_t mask = self->mask;
    Py_ssize_t i = (Py_ssize_t)(hash & (uint64_t)mask);
    for (;;) {
        Slot *slot = &self->slots[i];
        if (slot->fields[1] == NULL)
            break;
        int found = matches(slot, hash, minute, fields);
        if (found < 0)
            return -1;
        if (found) {
            slot->count++;
            self->pending++;
            return 0;
        }
        i = (i + 1) & mask;
    }
    /* First time seen: keep the fields. */
    Slot *slot = &self->slots[i];
    for (int f = 1; f < FIELDS; f++)
        slot->fields[f] = Py_NewRef(fields[f]);
    slot->minute = minute;
    slot->hash = hash;
    slot->count = 1;
    self->pending++;
    self->used++;
    return 0;
}

/* The garbage collector's visit of the fields held in slots [first, end). */
static int
visit_slots(const Slot *slots, Py_ssize_t first, Py_ssize_t end, visitproc visit, void *arg)
{
    for (Py_ssize_t i = first; i < end; i++) {
        if (slots[i].fields[1] == NULL)
            continue;
        for (int f = 1; f < FIELDS; f++)
            Py_VISIT(slots[i].fields[f]);
    }
    return 0;
}

static void
clear_slots(Slot *slots, Py_ssize_t size)
{
    for (Py_ssize_t i = 0; i < size; i++) {
        if (slots[i].fields[1] == NULL)
            continue;
        for (int f = 1; f < FIELDS; f++)
            Py_CLEAR(slots[i].fields[f]);
    }
}

/* ------------------------------------------------------------------ the type */

static PyObject *
Arrivals_arrive(Arrivals *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError,
                     "arrive(started, scope, status, retry_after, state) takes 5 arguments, "
                     "%zd given", nargs);
        return NULL;
    }
    PyObject *scope = args[1], *state = args[4];
    if (!PyDict_Check(scope)) {
        PyErr_SetString(PyExc_TypeError, "an ASGI scope is a dict");
        return NULL;
    }
    if (self->slots == NULL || self->busy) {
        PyErr_SetString(PyExc_RuntimeError, self->busy ? "Arrivals is counting (re-entered)"
                                                       : "Arrivals is not initialised");
        return NULL;
    }
    long long minute;
    if (minute_of(args[0], &minute) < 0)
        return NULL;

    PyObject *fields[FIELDS] = {NULL};
    int result = -1;
    PyObject *headers = required(scope, str_headers);
    if (headers == NULL)
        return NULL;
    int scanned = scan_headers(self, headers, &fields[4], &fields[3]);
    Py_DECREF(headers);
    if (scanned < 0)
        return NULL;
    if (fields[3] == NULL)
        fields[3] = Py_NewRef(Py_None);
    if ((fields[2] = peer_of(scope)) == NULL)
        goto done;
    int has_state = state == Py_None ? 0 : PyObject_IsTrue(state);
    if (has_state < 0)
        goto done;
    if (has_state) {
        if ((fields[7] = hint_of(state, self->outcome_hint)) == NULL)
            goto done;
        if ((fields[8] = hint_of(state, self->section_hint)) == NULL)
            goto done;
    }
    else {
        fields[7] = Py_NewRef(Py_None);
        fields[8] = Py_NewRef(Py_None);
    }
    if ((fields[1] = required(scope, str_path)) == NULL)
        goto done;
    fields[5] = Py_NewRef(args[2]);
    fields[6] = Py_NewRef(args[3]);

    self->busy = 1;
    result = count(self, minute, fields);
    self->busy = 0;
done:
    for (int f = 1; f < FIELDS; f++)
        Py_XDECREF(fields[f]);
    if (result < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
Arrivals_swap(Arrivals *self, PyObject *Py_UNUSED(ignored))
{
    if (self->slots == NULL || self->busy) {
        PyErr_SetString(PyExc_RuntimeError, self->busy ? "Arrivals is counting (re-entered)"
                                                       : "Arrivals is not initialised");
        return NULL;
    }
    /* The new table is sized for the round just taken, so that a flood of distinct
     * arrivals (one round of a million slots is ~100 MB) does not stay allocated for good:
     * the round after a quiet one is small again. Both allocations come first: on a
     * memory error nothing is lost. */
    Py_ssize_t wanted = INITIAL_SLOTS;
    while (wanted < self->used * 4)
        wanted *= 2;
    Slot *fresh = PyMem_Calloc((size_t)wanted, sizeof(Slot));
    if (fresh == NULL)
        return PyErr_NoMemory();
    self->busy = 1; /* allocating may collect garbage and run a finaliser */
    Round *round = PyObject_GC_New(Round, Round_type);
    self->busy = 0;
    if (round == NULL) {
        PyMem_Free(fresh);
        return NULL;
    }
    round->slots = self->slots;
    round->size = self->mask + 1;
    round->next = 0;
    round->busy = 0;
    self->slots = fresh;
    self->mask = wanted - 1;
    self->used = 0;
    self->pending = 0;
    PyObject_GC_Track(round);
    return (PyObject *)round;
}

static PyObject *
Arrivals_pending(Arrivals *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(self->pending);
}

static Py_ssize_t
Arrivals_len(Arrivals *self)
{
    return self->used;
}

static int
Arrivals_init(Arrivals *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"wants_forwarded_for", "outcome_hint", "section_hint", NULL};
    int wants_forwarded_for;
    PyObject *outcome_hint, *section_hint;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$pUU", keywords, &wants_forwarded_for,
                                     &outcome_hint, &section_hint))
        return -1;
    if (self->slots != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Arrivals is initialised once");
        return -1;
    }
    self->slots = PyMem_Calloc(INITIAL_SLOTS, sizeof(Slot));
    if (self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = INITIAL_SLOTS - 1;
    self->wants_forwarded_for = wants_forwarded_for;
    self->outcome_hint = Py_NewRef(outcome_hint);
    self->section_hint = Py_NewRef(section_hint);
    return 0;
}

static int
Arrivals_traverse(Arrivals *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return self->slots == NULL ? 0 : visit_slots(self->slots, 0, self->mask + 1, visit, arg);
}

static int
Arrivals_clear(Arrivals *self)
{
    if (self->slots != NULL) {
        clear_slots(self->slots, self->mask + 1);
        memset(self->slots, 0, (size_t)(self->mask + 1) * sizeof(Slot));
        self->used = 0;
        self->pending = 0;
    }
    Py_CLEAR(self->outcome_hint);
    Py_CLEAR(self->section_hint);
    return 0;
}

static void
Arrivals_dealloc(Arrivals *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Arrivals_clear(self);
    PyMem_Free(self->slots);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static PyMethodDef Arrivals_methods[] = {
    {"arrive", (PyCFunction)(void (*)(void))Arrivals_arrive, METH_FASTCALL,
     "arrive(started, scope, status, retry_after, state): count one finished request."},
    {"swap", (PyCFunction)Arrivals_swap, METH_NOARGS,
     "swap() -> Round: everything counted so far, as (raw key, arrivals) pairs; starts afresh."},
    {"pending", (PyCFunction)Arrivals_pending, METH_NOARGS,
     "pending() -> arrivals counted and not yet swapped out."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Arrivals_slots[] = {
    {Py_tp_doc, "Raw arrivals counted in memory (see northgate.analytics.capture.arrivals)."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, Arrivals_init},
    {Py_tp_dealloc, Arrivals_dealloc},
    {Py_tp_traverse, Arrivals_traverse},
    {Py_tp_clear, Arrivals_clear},
    {Py_tp_methods, Arrivals_methods},
    {Py_mp_length, Arrivals_len},
    {0, NULL},
};

static PyType_Spec Arrivals_spec = {
    .name = "northgate.analytics.capture._arrivals.Arrivals",
    .basicsize = sizeof(Arrivals),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = Arrivals_slots,
};

/* ------------------------------------------------------------------ a taken round */

static PyObject *
Round_next(Round *self)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "a Round is read once (re-entered)");
        return NULL;
    }
    while (self->next < self->size && self->slots[self->next].fields[1] == NULL)
        self->next++;
    if (self->next >= self->size)
        return NULL; /* exhausted: StopIteration */
    Slot *slot = &self->slots[self->next];
    /* Allocate everything before taking the fields out of the slot: on a memory error
     * this arrival is still there for the next call. */
    self->busy = 1;
    PyObject *key = PyTuple_New(FIELDS);
    PyObject *minute = PyLong_FromLongLong(slot->minute);
    PyObject *count = PyLong_FromSsize_t(slot->count);
    PyObject *pair = PyTuple_New(2);
    self->busy = 0;
    if (key == NULL || minute == NULL || count == NULL || pair == NULL) {
        Py_XDECREF(key);
        Py_XDECREF(minute);
        Py_XDECREF(count);
        Py_XDECREF(pair);
        return NULL;
    }
    PyTuple_SET_ITEM(key, 0, minute);
    for (int f = 1; f < FIELDS; f++) {
        PyTuple_SET_ITEM(key, f, slot->fields[f]); /* the slot's reference moves */
        slot->fields[f] = NULL;
    }
    PyTuple_SET_ITEM(pair, 0, key);
    PyTuple_SET_ITEM(pair, 1, count);
    self->next++;
    return pair;
}

static int
Round_traverse(Round *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return visit_slots(self->slots, self->next, self->size, visit, arg);
}

static int
Round_clear(Round *self)
{
    if (self->slots != NULL) {
        clear_slots(self->slots, self->size);
        self->next = self->size;
    }
    return 0;
}

static void
Round_dealloc(Round *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Round_clear(self);
    PyMem_Free(self->slots);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static PyType_Slot Round_slots[] = {
    {Py_tp_doc, "One swap's arrivals: an iterator of (raw key, arrivals), read once."},
    {Py_tp_dealloc, Round_dealloc},
    {Py_tp_traverse, Round_traverse},
    {Py_tp_clear, Round_clear},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, Round_next},
    {0, NULL},
};

static PyType_Spec Round_spec = {
    .name = "northgate.analytics.capture._arrivals.Round",
    .basicsize = sizeof(Round),
    /* Made only by swap(). */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Round_slots,
};

static int
module_exec(PyObject *module)
{
    if ((str_headers = PyUnicode_InternFromString("headers")) == NULL ||
        (str_path = PyUnicode_InternFromString("path")) == NULL ||
        (str_client = PyUnicode_InternFromString("client")) == NULL ||
        (str_get = PyUnicode_InternFromString("get")) == NULL ||
        (empty_bytes = PyBytes_FromStringAndSize("", 0)) == NULL)
        return -1;
    Round_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &Round_spec, NULL);
    if (Round_type == NULL || PyModule_AddObjectRef(module, "Round", (PyObject *)Round_type) < 0)
        return -1;
    PyObject *type = PyType_FromModuleAndSpec(module, &Arrivals_spec, NULL);
    if (type == NULL)
        return -1;
    int added = PyModule_AddObjectRef(module, "Arrivals", type);
    Py_DECREF(type);
    return added;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "northgate.analytics.capture._arrivals",
    .m_doc = "The tap's per-request counting, in C (specification: northgate.analytics.capture.arrivals).",
    .m_size = 0,
    .m_methods = NULL,
    .m_slots = module_slots,
};

PyMODINIT_FUNC
PyInit__arrivals(void)
{
    return PyModuleDef_Init(&module_def);
}
