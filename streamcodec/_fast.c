/*
 * streamcodec._fast: the per-frame entry points as plain CPython calls.
 *
 * Why this exists.  A cffi call, the Python method around it and the bytes
 * built from its output cost about 300 ns, more than G.711 itself on a
 * 20 ms frame, while audioop's functions are a single C-API call.  This
 * module gives the hottest small calls that shape: Decoder.decode and
 * decode_into, Encoder.encode and encode_into, Resampler.process,
 * transcode and the four G.711 functions of streamcodec.audioop; and per
 * WebSocket message, MediaStream.feed and MediaStream.play (StreamBase).
 *
 * It holds no codec.  It calls the very functions of csrc/ that the cffi
 * extension _core was built from, through their addresses, which the
 * Python layer hands to bind() at import (see streamcodec/_buffers.py):
 * one implementation of each codec, two ways to call it, and tests that
 * prove both give the same bytes.
 *
 * Each entry point takes only its common case: bytes input (a bytearray
 * too, while small enough to keep the GIL), arguments of the exact
 * expected types, a result that fits.  Everything else (other buffer
 * types, numpy, float32, bad arguments, errors and their messages) goes
 * to the Python implementation that was there before, which the Python
 * layer registers: a "fallback" method of the subclass (_decode_other,
 * _decode_failed, ...) or a module function given to register().  So every
 * check and message lives in one place, in Python.
 *
 * Written against the limited C API of CPython 3.10 (abi3), so one wheel
 * serves every CPython from 3.10 on.  That API has no buffer protocol
 * before 3.11, which is why only bytes and bytearray are read here.
 */
#ifndef Py_LIMITED_API
#define Py_LIMITED_API 0x030A0000
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "frame.h"
#include "g711.h"
#include "resample.h"

/* Inputs of at least this many bytes are converted with the GIL released
 * (bytes only: a bytearray could be resized by another thread meanwhile,
 * so a large one goes to the Python path, whose cffi call holds a buffer
 * export and releases the GIL).  Below it, the release costs more than the
 * work: 4 KiB is a quarter second of G.711. */
#define NOGIL_BYTES 4096

/* ---- the C core's functions, bound at import ---- */

#define CORE_FUNCTIONS(X) \
    X(sc_decoder_bound) X(sc_decoder_decode) X(sc_decoder_free) \
    X(sc_encoder_bound) X(sc_encoder_encode) X(sc_encoder_quantum) X(sc_encoder_free) \
    X(sc_resampler_out_count) X(sc_resampler_process) \
    X(sc_ulaw_decode) X(sc_alaw_decode) X(sc_ulaw_encode_audioop) X(sc_alaw_encode) \
    X(sc_ulaw_to_alaw) X(sc_alaw_to_ulaw) X(sc_g711_encode_width) X(sc_g711_decode_width) \
    X(sc_frame_media_in) X(sc_frame_media_out) X(sc_frame_audio_in)

/* Each field has the type of the header's declaration, so a change there
 * cannot go unnoticed here. */
static struct {
#define FIELD(name) __typeof__(name) *name;
    CORE_FUNCTIONS(FIELD)
#undef FIELD
} core;

/* Until bind() succeeded every entry point takes the Python path. */
static int core_ready;

/* ---- the Python implementations this module falls back to ---- */

enum { FB_TRANSCODE, FB_ULAW2LIN, FB_ALAW2LIN, FB_LIN2ULAW, FB_LIN2ALAW, FB_COUNT };
static const char *const fallback_names[FB_COUNT] = {
    "transcode", "ulaw2lin", "alaw2lin", "lin2ulaw", "lin2alaw",
};
static PyObject *fallbacks[FB_COUNT];

/* Method names of the subclasses' Python paths, interned at import. */
static PyObject *s_decode_other, *s_decode_failed, *s_decode_into_other;
static PyObject *s_encode_other, *s_encode_failed, *s_encode_into_other;
static PyObject *s_process_other;
static PyObject *s_feed_other, *s_feed_scanned, *s_play_other, *s_play_failed, *s_rate;
static PyObject *s_feed_audio_other;
/* Field names of telnyx.Media, set on the events StreamBase makes. */
static PyObject *s_track, *s_chunk, *s_timestamp, *s_payload, *s_sequence_number,
                *s_stream_id, *s_pcm, *s_concealed;
static PyObject *empty_tuple;

/* fn(*args, **kwargs) from a vectorcall's arguments (kwnames may be NULL):
 * the one place the fallbacks' calls are built. */
static PyObject *call_with(PyObject *fn, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
    PyObject *tuple = PyTuple_New(nargs);
    if (!tuple)
        return NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SetItem(tuple, i, args[i]);
    }
    PyObject *kwargs = NULL;
    if (nkw) {
        kwargs = PyDict_New();
        for (Py_ssize_t i = 0; kwargs && i < nkw; i++) {
            if (PyDict_SetItem(kwargs, PyTuple_GetItem(kwnames, i), args[nargs + i]) < 0)
                Py_CLEAR(kwargs);
        }
        if (!kwargs) {
            Py_DECREF(tuple);
            return NULL;
        }
    }
    PyObject *result = PyObject_Call(fn, tuple, kwargs);
    Py_DECREF(tuple);
    Py_XDECREF(kwargs);
    return result;
}

/* Call fallback `which` with the arguments as given (keywords included). */
static PyObject *call_fallback(int which, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames)
{
    PyObject *fn = fallbacks[which];
    if (!fn) {
        PyErr_Format(PyExc_RuntimeError, "streamcodec._fast: no Python implementation "
                     "of %s registered", fallback_names[which]);
        return NULL;
    }
    return call_with(fn, args, nargs, kwnames);
}

#define FASTCALL(f) (PyCFunction)(void (*)(void))(f)

/* ---- reading arguments ---- */

/* Point at the bytes of a bytes object, or of a bytearray below
 * NOGIL_BYTES.  Returns 1, or 0 for anything else (the Python path). */
static int read_view(PyObject *obj, const char **data, Py_ssize_t *len)
{
    if (PyBytes_CheckExact(obj)) {
        char *p;
        if (PyBytes_AsStringAndSize(obj, &p, len) < 0) {
            PyErr_Clear();
            return 0;
        }
        *data = p;
        return 1;
    }
    if (PyByteArray_CheckExact(obj)) {
        Py_ssize_t n = PyByteArray_Size(obj);
        if (n >= NOGIL_BYTES)
            return 0;
        *data = PyByteArray_AsString(obj);
        *len = n;
        return 1;
    }
    return 0;
}

/* An output bytearray: pointer and size, or 0 for the Python path. */
static int write_view(PyObject *obj, char **data, Py_ssize_t *len)
{
    if (!PyByteArray_CheckExact(obj))
        return 0;
    *data = PyByteArray_AsString(obj);
    *len = PyByteArray_Size(obj);
    return 1;
}

static int aligned2(const void *p) { return ((uintptr_t)p & 1) == 0; }

/* Whether [a, a + na) and [b, b + nb) share a byte: an output that
 * overlaps its input takes the Python path, which copies the input. */
static int overlap(const void *a, Py_ssize_t na, const void *b, Py_ssize_t nb)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + (uintptr_t)nb && y < x + (uintptr_t)na;
}

/* self.<name>(*args, **kwargs) from a vectorcall's arguments. */
static PyObject *call_method(PyObject *self, PyObject *name, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *fn = PyObject_GetAttr(self, name);
    if (!fn)
        return NULL;
    PyObject *result = call_with(fn, args, nargs, kwnames);
    Py_DECREF(fn);
    return result;
}

/* An exact int in 1..4 (an audioop sample width); 0 otherwise. */
static int read_width(PyObject *obj, int *width)
{
    if (!PyLong_CheckExact(obj))
        return 0;
    int overflow;
    long v = PyLong_AsLongAndOverflow(obj, &overflow);
    if (overflow || v < 1 || v > 4) {
        PyErr_Clear();
        return 0;
    }
    *width = (int)v;
    return 1;
}

/* A result of `nbytes` bytes that C fills in place: a fresh bytes object is
 * not shared yet, so writing into it is allowed. */
static PyObject *new_bytes(int64_t nbytes, char **data)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nbytes);
    if (out)
        *data = PyBytes_AsString(out);
    return out;
}

/* Bytes holding the first `used` of `filled`'s bytes (filled is consumed). */
static PyObject *shrink(PyObject *filled, const char *data, int64_t used)
{
    PyObject *out = PyBytes_FromStringAndSize(data, (Py_ssize_t)used);
    Py_DECREF(filled);
    return out;
}

static PyObject *call_failed(PyObject *self, PyObject *method, int64_t code, Py_ssize_t size)
{
    PyObject *c = PyLong_FromLongLong(code);
    PyObject *n = PyLong_FromSsize_t(size);
    PyObject *r = (c && n) ? PyObject_CallMethodObjArgs(self, method, c, n, NULL) : NULL;
    Py_XDECREF(c);
    Py_XDECREF(n);
    return r;
}

/* Take ownership of a C object whose address the Python layer created. */
static int read_address(PyObject *arg, void **out)
{
    if (!core_ready) {
        PyErr_SetString(PyExc_RuntimeError, "streamcodec._fast is not bound to the C core");
        return -1;
    }
    void *p = PyLong_AsVoidPtr(arg);
    if (!p) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "a NULL address");
        return -1;
    }
    *out = p;
    return 0;
}

static void heap_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    freefunc tp_free = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    tp_free(self);
    Py_DECREF(tp);
}

/* ---- DecoderBase ---- */

typedef struct {
    PyObject_HEAD
    sc_decoder *st;
} FastDecoder;

static void decoder_dealloc(PyObject *self)
{
    FastDecoder *d = (FastDecoder *)self;
    if (d->st)
        core.sc_decoder_free(d->st);
    d->st = NULL;
    heap_dealloc(self);
}

static PyObject *decoder_attach(PyObject *self, PyObject *arg)
{
    FastDecoder *d = (FastDecoder *)self;
    void *p;
    if (d->st) {
        PyErr_SetString(PyExc_RuntimeError, "this decoder already has its C state");
        return NULL;
    }
    if (read_address(arg, &p) < 0)
        return NULL;
    d->st = p;
    Py_RETURN_NONE;
}

static PyObject *decoder_decode(PyObject *self, PyObject *payload)
{
    FastDecoder *d = (FastDecoder *)self;
    const char *in;
    Py_ssize_t len;
    if (!core_ready || !d->st || !read_view(payload, &in, &len))
        return PyObject_CallMethodObjArgs(self, s_decode_other, payload, NULL);
    int64_t bound = core.sc_decoder_bound(d->st, (const uint8_t *)in, (size_t)len);
    if (bound < 0 || bound > PY_SSIZE_T_MAX / 2)
        return PyObject_CallMethodObjArgs(self, s_decode_other, payload, NULL);
    char *pcm;
    PyObject *out = new_bytes(2 * bound, &pcm);
    if (!out)
        return NULL;
    int64_t n;
    if (len >= NOGIL_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        n = core.sc_decoder_decode(d->st, (const uint8_t *)in, (size_t)len, (int16_t *)pcm,
                                   (size_t)bound);
        Py_END_ALLOW_THREADS
    } else {
        n = core.sc_decoder_decode(d->st, (const uint8_t *)in, (size_t)len, (int16_t *)pcm,
                                   (size_t)bound);
    }
    if (n == bound)
        return out;
    if (n >= 0)
        return shrink(out, pcm, 2 * n);
    Py_DECREF(out);
    return call_failed(self, s_decode_failed, n, len);
}

static PyObject *decoder_decode_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    FastDecoder *d = (FastDecoder *)self;
    const char *in;
    char *out;
    Py_ssize_t len, cap;
    /* the output is a bytearray, so the GIL stays held: small inputs only */
    if (nargs != 2 || !core_ready || !d->st || !read_view(args[0], &in, &len)
        || len >= NOGIL_BYTES || !write_view(args[1], &out, &cap) || !aligned2(out)
        || overlap(in, len, out, cap))
        goto other;
    int64_t bound = core.sc_decoder_bound(d->st, (const uint8_t *)in, (size_t)len);
    if (bound < 0 || bound > cap / 2)
        goto other;
    int64_t n = core.sc_decoder_decode(d->st, (const uint8_t *)in, (size_t)len,
                                       (int16_t *)out, (size_t)(cap / 2));
    if (n < 0)
        return call_failed(self, s_decode_failed, n, len);
    return PyLong_FromLongLong(n);
other:
    return call_method(self, s_decode_into_other, args, nargs, NULL);
}

static PyMethodDef decoder_methods[] = {
    {"_attach", decoder_attach, METH_O,
     "_attach($self, address, /)\n--\n\n"
     "Take ownership of the sc_decoder at this address (internal; once)."},
    {"decode", decoder_decode, METH_O,
     "decode($self, payload, /)\n--\n\n"
     "Decode one RTP payload (no RTP header) to PCM bytes.\n\n"
     "Parameters\n----------\npayload : bytes, bytearray or memoryview\n"
     "    One RTP payload of this decoder's codec.\n\n"
     "Returns\n-------\nbytes\n    16-bit native-endian PCM at ``rate``.\n\n"
     "Raises\n------\nCorruptPayloadError\n    When the payload cannot be decoded "
     "(the decoder state is unchanged).\nTypeError\n    For objects that are not "
     "byte buffers."},
    {"decode_into", (PyCFunction)(void (*)(void))decoder_decode_into, METH_FASTCALL,
     "decode_into($self, payload, out, /)\n--\n\n"
     "Decode one RTP payload into a buffer you own; returns the samples written.\n\n"
     "Parameters\n----------\npayload : bytes, bytearray or memoryview\n"
     "    One RTP payload of this decoder's codec.\nout : writable buffer\n"
     "    bytearray, writable memoryview, or numpy int16 array (C-contiguous): room\n"
     "    for the samples, 2 bytes each, from its start.  Any alignment.\n\n"
     "Returns\n-------\nint\n    Samples written to the start of ``out`` (the rest is "
     "untouched).\n\n"
     "Raises\n------\nValueError\n    When ``out`` is too small for this payload or "
     "read-only (nothing is\n    decoded then).\nTypeError\n    When ``out`` is not a "
     "writable buffer, or an array of another dtype.\nCorruptPayloadError\n"
     "    When the payload cannot be decoded."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot decoder_slots[] = {
    {Py_tp_dealloc, decoder_dealloc},
    {Py_tp_methods, decoder_methods},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_doc, "The C half of streamcodec.Decoder: its per-payload calls."},
    {0, NULL},
};

static PyType_Spec decoder_spec = {
    "streamcodec._fast.DecoderBase", sizeof(FastDecoder), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, decoder_slots,
};

/* ---- EncoderBase ---- */

typedef struct {
    PyObject_HEAD
    sc_encoder *st;
    long long quantum;   /* input samples in one whole frame */
} FastEncoder;

static void encoder_dealloc(PyObject *self)
{
    FastEncoder *e = (FastEncoder *)self;
    if (e->st)
        core.sc_encoder_free(e->st);
    e->st = NULL;
    heap_dealloc(self);
}

static PyObject *encoder_attach(PyObject *self, PyObject *arg)
{
    FastEncoder *e = (FastEncoder *)self;
    void *p;
    if (e->st) {
        PyErr_SetString(PyExc_RuntimeError, "this encoder already has its C state");
        return NULL;
    }
    if (read_address(arg, &p) < 0)
        return NULL;
    e->st = p;
    e->quantum = core.sc_encoder_quantum(e->st);
    Py_RETURN_NONE;
}

/* The samples of a PCM argument the C path takes: even length, 2-byte
 * aligned, whole frames.  Returns the count, or -1 for the Python path. */
static Py_ssize_t pcm_samples(FastEncoder *e, PyObject *pcm, const char **data)
{
    Py_ssize_t len;
    if (!core_ready || !e->st || !read_view(pcm, data, &len) || (len & 1) || !aligned2(*data))
        return -1;
    Py_ssize_t n = len / 2;
    return (e->quantum > 0 && n % e->quantum == 0) ? n : -1;
}

static PyObject *encoder_encode(PyObject *self, PyObject *pcm)
{
    FastEncoder *e = (FastEncoder *)self;
    const char *in;
    Py_ssize_t n = pcm_samples(e, pcm, &in);
    int64_t bound = n < 0 ? -1 : core.sc_encoder_bound(e->st, (size_t)n);
    if (bound < 0 || bound > PY_SSIZE_T_MAX)
        return PyObject_CallMethodObjArgs(self, s_encode_other, pcm, NULL);
    char *payload;
    PyObject *out = new_bytes(bound, &payload);
    if (!out)
        return NULL;
    int64_t got;
    if (2 * n >= NOGIL_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        got = core.sc_encoder_encode(e->st, in, (size_t)n, (uint8_t *)payload, (size_t)bound);
        Py_END_ALLOW_THREADS
    } else {
        got = core.sc_encoder_encode(e->st, in, (size_t)n, (uint8_t *)payload, (size_t)bound);
    }
    if (got == bound)
        return out;
    if (got >= 0)
        return shrink(out, payload, got);
    Py_DECREF(out);
    return call_failed(self, s_encode_failed, got, n);
}

static PyObject *encoder_encode_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    FastEncoder *e = (FastEncoder *)self;
    const char *in;
    char *out;
    Py_ssize_t cap, n = nargs == 2 ? pcm_samples(e, args[0], &in) : -1;
    /* the output is a bytearray, so the GIL stays held: small inputs only */
    if (n < 0 || 2 * n >= NOGIL_BYTES || !write_view(args[1], &out, &cap)
        || overlap(in, 2 * n, out, cap))
        goto other;
    int64_t bound = core.sc_encoder_bound(e->st, (size_t)n);
    if (bound < 0 || bound > cap)
        goto other;
    int64_t got = core.sc_encoder_encode(e->st, in, (size_t)n, (uint8_t *)out, (size_t)cap);
    if (got < 0)
        return call_failed(self, s_encode_failed, got, n);
    return PyLong_FromLongLong(got);
other:
    return call_method(self, s_encode_into_other, args, nargs, NULL);
}

static PyMemberDef encoder_members[] = {
    {"quantum", T_LONGLONG, offsetof(FastEncoder, quantum), READONLY,
     "Input samples in one whole codec frame; encode() takes multiples of it."},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef encoder_methods[] = {
    {"_attach", encoder_attach, METH_O,
     "_attach($self, address, /)\n--\n\n"
     "Take ownership of the sc_encoder at this address (internal; once)."},
    {"encode", encoder_encode, METH_O,
     "encode($self, pcm, /)\n--\n\n"
     "Encode whole frames of PCM into one RTP payload.\n\n"
     "Parameters\n----------\npcm : bytes, bytearray, memoryview or numpy.ndarray\n"
     "    16-bit native-endian samples at ``rate`` (a numpy int16 array, or a\n"
     "    float32/float64 array at full scale +-1.0, rounded and saturated), a\n"
     "    whole number of frames (``quantum`` samples).\n\n"
     "Returns\n-------\nbytes\n    One RTP payload.\n\n"
     "Raises\n------\nValueError\n    When ``pcm`` is not a whole number of frames "
     "(use packetize() to\n    buffer remainders), has an odd byte count, or float "
     "samples that are\n    NaN or infinite.\nTypeError\n    For anything that is not PCM."},
    {"encode_into", (PyCFunction)(void (*)(void))encoder_encode_into, METH_FASTCALL,
     "encode_into($self, pcm, out, /)\n--\n\n"
     "Encode whole frames of PCM into a buffer you own; returns the bytes written.\n\n"
     "Parameters\n----------\npcm : bytes, bytearray, memoryview or numpy.ndarray\n"
     "    As for encode().\nout : writable buffer\n"
     "    bytearray, writable memoryview, or numpy uint8/int8 array (C-contiguous)\n"
     "    with room for the payload (``bound(len(pcm))`` bytes is always enough).\n\n"
     "Returns\n-------\nint\n    Payload bytes written to the start of ``out``.\n\n"
     "Raises\n------\nValueError\n    When ``out`` is too small or read-only (nothing "
     "is encoded then), or\n    for the reasons encode() gives.\nTypeError\n"
     "    When ``out`` is not a writable buffer, or an array of another dtype."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot encoder_slots[] = {
    {Py_tp_dealloc, encoder_dealloc},
    {Py_tp_methods, encoder_methods},
    {Py_tp_members, encoder_members},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_doc, "The C half of streamcodec.Encoder: its per-frame calls."},
    {0, NULL},
};

static PyType_Spec encoder_spec = {
    "streamcodec._fast.EncoderBase", sizeof(FastEncoder), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, encoder_slots,
};

/* ---- ResamplerBase ---- */

typedef struct {
    PyObject_HEAD
    sc_resampler *st;   /* a block this object allocated and frees */
    char is_float;      /* the last process() call took float32 (flush returns float32) */
} FastResampler;

static void resampler_dealloc(PyObject *self)
{
    FastResampler *r = (FastResampler *)self;
    free(r->st);
    r->st = NULL;
    heap_dealloc(self);
}

static PyObject *resampler_alloc(PyObject *self, PyObject *arg)
{
    FastResampler *r = (FastResampler *)self;
    if (r->st) {
        PyErr_SetString(PyExc_RuntimeError, "this resampler already has its state block");
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(arg);
    if (size < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "a negative size");
        return NULL;
    }
    r->st = calloc(1, size ? (size_t)size : 1);
    if (!r->st)
        return PyErr_NoMemory();
    return PyLong_FromVoidPtr(r->st);
}

static PyObject *resampler_process(PyObject *self, PyObject *pcm)
{
    FastResampler *r = (FastResampler *)self;
    const char *in;
    Py_ssize_t len;
    if (!core_ready || !r->st || !read_view(pcm, &in, &len) || (len & 1) || !aligned2(in))
        return PyObject_CallMethodObjArgs(self, s_process_other, pcm, NULL);
    size_t n = (size_t)len / 2;
    int64_t count = core.sc_resampler_out_count(r->st, n);
    if (count < 0 || count > PY_SSIZE_T_MAX / 2)
        return PyObject_CallMethodObjArgs(self, s_process_other, pcm, NULL);
    char *data;
    PyObject *out = new_bytes(2 * count, &data);
    if (!out)
        return NULL;
    int64_t got;
    if (len >= NOGIL_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        got = core.sc_resampler_process(r->st, (const int16_t *)in, n, (int16_t *)data,
                                        (size_t)count);
        Py_END_ALLOW_THREADS
    } else {
        got = core.sc_resampler_process(r->st, (const int16_t *)in, n, (int16_t *)data,
                                        (size_t)count);
    }
    if (got != count) {   /* cannot happen: out_count() is exact */
        Py_DECREF(out);
        return PyObject_CallMethodObjArgs(self, s_process_other, pcm, NULL);
    }
    r->is_float = 0;
    return out;
}

static PyMemberDef resampler_members[] = {
    {"_float", T_BOOL, offsetof(FastResampler, is_float), 0,
     "Whether the last process() call took float32 (internal)."},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef resampler_methods[] = {
    {"_alloc", resampler_alloc, METH_O,
     "_alloc($self, size, /)\n--\n\n"
     "Allocate the zeroed state block this object owns; returns its address "
     "(internal; once)."},
    {"process", resampler_process, METH_O,
     "process($self, pcm, /)\n--\n\n"
     "Resample the next chunk of the stream.\n\n"
     "Parameters\n----------\npcm : bytes, bytearray, memoryview or numpy.ndarray\n"
     "    16-bit native-endian samples, or a 1-D numpy float32 array of\n"
     "    finite values.\n\n"
     "Returns\n-------\nbytes or numpy.ndarray\n"
     "    Every output sample the input so far determines: ``out_count(n)``\n"
     "    samples, as bytes of int16 (rounded to nearest, saturated) or a\n"
     "    float32 array when the input was float32.\n\n"
     "Raises\n------\nTypeError\n    For anything but the types above (other dtypes "
     "included).\nValueError\n    For an odd byte count, a multi-dimensional array, or "
     "float32\n    samples that are NaN or infinite; nothing is consumed then."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot resampler_slots[] = {
    {Py_tp_dealloc, resampler_dealloc},
    {Py_tp_methods, resampler_methods},
    {Py_tp_members, resampler_members},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_doc, "The C half of streamcodec.Resampler: its per-chunk call."},
    {0, NULL},
};

static PyType_Spec resampler_spec = {
    "streamcodec._fast.ResamplerBase", sizeof(FastResampler), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, resampler_slots,
};

/* ---- StreamBase: MediaStream's per-message calls ---- */

/*
 * feed() scans each message with sc_frame_media_in(); when the frame is the
 * next of its track (decoded and counted in C), the telnyx.Media event is
 * built here, fields set as object.__setattr__ sets a frozen dataclass's.
 * Every other outcome, and every message that is not str or bytes, goes to
 * MediaStream's Python methods (_feed_scanned, _feed_other), which also
 * hold every error message.  play() encodes the common call (bytes of one
 * whole packet at the encoder's rate, nothing held) with one
 * sc_frame_media_out(); anything else goes to MediaStream._play_other.
 *
 * The C structs belong to cffi objects the Python half keeps as
 * attributes; _bind_in and _bind_out hand over their addresses (again each
 * time the Python half replaces them).
 */
typedef struct {
    PyObject_HEAD
    sc_frame_in *in;            /* NULL until _bind_in */
    sc_frame_out *out;          /* the current encoder's; NULL until _bind_out */
    PyObject *media_type;       /* telnyx.Media */
    PyObject *tracks;           /* tuple: track name by C index */
    PyObject *stream_id_text;   /* member _stream_id_text: the expected id, or None */
    Py_ssize_t max_message_bytes;
    Py_ssize_t held_n;          /* member _held_n: playback samples short of a packet */
    long long packet;           /* member _packet: samples per playback message */
    long long play_rate;        /* member _play_rate: the rate play() encodes in one C
                                 * call; 0: every call takes the Python path */
} FastStream;

static void stream_dealloc(PyObject *self)
{
    FastStream *s = (FastStream *)self;
    Py_CLEAR(s->media_type);
    Py_CLEAR(s->tracks);
    Py_CLEAR(s->stream_id_text);
    heap_dealloc(self);
}

static PyObject *stream_bind_in(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    FastStream *s = (FastStream *)self;
    void *p;
    if (nargs != 3 || !PyType_Check(args[1]) || !PyTuple_CheckExact(args[2])
        || PyTuple_Size(args[2]) != SC_FRAME_TRACKS) {
        PyErr_SetString(PyExc_TypeError, "_bind_in(address, Media, tracks)");
        return NULL;
    }
    if (read_address(args[0], &p) < 0)
        return NULL;
    s->in = p;
    PyObject *old_type = s->media_type, *old_tracks = s->tracks;
    Py_INCREF(args[1]);
    Py_INCREF(args[2]);
    s->media_type = args[1];
    s->tracks = args[2];
    Py_XDECREF(old_type);
    Py_XDECREF(old_tracks);
    Py_RETURN_NONE;
}

static PyObject *stream_bind_out(PyObject *self, PyObject *arg)
{
    void *p;
    if (read_address(arg, &p) < 0)
        return NULL;
    ((FastStream *)self)->out = p;
    Py_RETURN_NONE;
}

/* Set one field of a new event (the reference to value is taken). */
static int set_field(PyObject *event, PyObject *name, PyObject *value)
{
    if (!value)
        return -1;
    int rc = PyObject_GenericSetAttr(event, name, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *int_or_none(int64_t v)
{
    if (v < 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(v);
}

/* The stream_id of the message the last sc_frame_media_in() read (new
 * reference): the expected text when it matched, else read from `msg`. */
static PyObject *stream_id_value(const FastStream *s, const char *msg)
{
    const sc_frame_in *f = s->in;
    PyObject *text = f->stream_id_same ? s->stream_id_text : NULL;
    if (text || f->stream_id_off < 0) {
        text = text ? text : Py_None;
        Py_INCREF(text);
        return text;
    }
    return PyUnicode_DecodeASCII(msg + f->stream_id_off, (Py_ssize_t)f->stream_id_len, NULL);
}

static PyObject *new_ref(PyObject *o)
{
    Py_XINCREF(o);
    return o;
}

/* The Media event of the frame the last sc_frame_media_in() delivered;
 * `msg` is that message's text.  Each field's value is made as it is set,
 * so a failure part-way leaves nothing behind but the event it frees. */
static PyObject *stream_media(FastStream *s, const char *msg)
{
    const sc_frame_in *f = s->in;
    newfunc tp_new = (newfunc)PyType_GetSlot((PyTypeObject *)s->media_type, Py_tp_new);
    PyObject *event = tp_new((PyTypeObject *)s->media_type, empty_tuple, NULL);
    if (!event)
        return NULL;
    if (set_field(event, s_track, new_ref(PyTuple_GetItem(s->tracks, (Py_ssize_t)f->track))) < 0
        || set_field(event, s_chunk, PyLong_FromLongLong(f->chunk)) < 0
        || set_field(event, s_timestamp, int_or_none(f->timestamp)) < 0
        || set_field(event, s_payload, PyBytes_FromStringAndSize(
               (const char *)f->payload, (Py_ssize_t)f->payload_len)) < 0
        || set_field(event, s_sequence_number, int_or_none(f->sequence_number)) < 0
        || set_field(event, s_stream_id, stream_id_value(s, msg)) < 0
        || set_field(event, s_pcm, PyBytes_FromStringAndSize(
               (const char *)f->pcm, (Py_ssize_t)(2 * f->samples))) < 0
        || set_field(event, s_concealed, PyBool_FromLong(0)) < 0) {
        Py_DECREF(event);
        return NULL;
    }
    return event;
}

/* One message: the Media event of the usual frame (*media set to 1), or
 * what the Python path returns (a list of events). */
static PyObject *stream_step(PyObject *self, PyObject *message, int *media)
{
    FastStream *s = (FastStream *)self;
    const char *data;
    Py_ssize_t len;
    *media = 0;
    if (!core_ready || !s->in || !s->media_type)
        goto other;
    if (PyUnicode_CheckExact(message)) {
        data = PyUnicode_AsUTF8AndSize(message, &len);
        if (!data) {            /* lone surrogates: the Python path says what happens */
            PyErr_Clear();
            goto other;
        }
    } else if (PyBytes_CheckExact(message)) {
        char *p;
        if (PyBytes_AsStringAndSize(message, &p, &len) < 0)
            return NULL;
        data = p;
    } else {
        goto other;
    }
    if (len > s->max_message_bytes)
        goto other;
    int rc = core.sc_frame_media_in(s->in, (const uint8_t *)data, (size_t)len);
    if (rc == SC_FRAME_NEXT) {
        *media = 1;
        return stream_media(s, data);
    }
    PyObject *code = PyLong_FromLong(rc);
    if (!code)
        return NULL;
    PyObject *result = PyObject_CallMethodObjArgs(self, s_feed_scanned, message, code, NULL);
    Py_DECREF(code);
    return result;
other:
    return PyObject_CallMethodObjArgs(self, s_feed_other, message, NULL);
}

static PyObject *stream_feed(PyObject *self, PyObject *message)
{
    int media;
    PyObject *result = stream_step(self, message, &media);
    if (!result || !media)
        return result;
    PyObject *events = PyList_New(1);
    if (!events) {
        Py_DECREF(result);
        return NULL;
    }
    PyList_SetItem(events, 0, result);
    return events;
}

/* A binary audio message (Vonage): the usual frame is decoded and its
 * Media built here; anything else goes to _feed_audio_other. */
static PyObject *stream_feed_audio(PyObject *self, PyObject *message)
{
    FastStream *s = (FastStream *)self;
    if (!core_ready || !s->in || !s->media_type || !PyBytes_CheckExact(message))
        goto other;
    char *data;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(message, &data, &len) < 0)
        return NULL;
    if (len > s->max_message_bytes)
        goto other;
    if (core.sc_frame_audio_in(s->in, (const uint8_t *)data, (size_t)len) != SC_FRAME_NEXT)
        goto other;
    PyObject *event = stream_media(s, data);
    if (!event)
        return NULL;
    PyObject *events = PyList_New(1);
    if (!events) {
        Py_DECREF(event);
        return NULL;
    }
    PyList_SetItem(events, 0, event);
    return events;
other:
    return PyObject_CallMethodObjArgs(self, s_feed_audio_other, message, NULL);
}

static PyObject *stream_feed_one(PyObject *self, PyObject *message)
{
    int media;
    return stream_step(self, message, &media);
}

static PyObject *stream_play(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames)
{
    FastStream *s = (FastStream *)self;
    PyObject *rate = Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {   /* named as play(), not as its Python path */
        PyObject *name = PyTuple_GetItem(kwnames, i);
        if (PyUnicode_Compare(name, s_rate) != 0 && PyUnicode_CompareWithASCIIString(name, "pcm")) {
            PyErr_Format(PyExc_TypeError, "play() got an unexpected keyword argument %R", name);
            return NULL;
        }
    }
    if (nargs == 1 && nkw == 1 && PyUnicode_Compare(PyTuple_GetItem(kwnames, 0), s_rate) == 0)
        rate = args[1];
    else if (nargs == 2 && !nkw)
        rate = args[1];
    else if (nargs != 1 || nkw)
        goto other;
    if (!core_ready || !s->out || s->play_rate <= 0 || s->held_n || !PyBytes_CheckExact(args[0]))
        goto other;
    if (rate != Py_None) {
        if (!PyLong_CheckExact(rate))
            goto other;
        int overflow;
        long long r = PyLong_AsLongLongAndOverflow(rate, &overflow);
        if (r != s->play_rate || overflow)
            goto other;
    }
    char *pcm;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(args[0], &pcm, &len) < 0)
        return NULL;
    if (len != 2 * s->packet || !aligned2(pcm))
        goto other;
    int64_t size = core.sc_frame_media_out(s->out, pcm, (size_t)s->packet);
    if (size < 0) {
        PyObject *code = PyLong_FromLongLong(size);
        PyObject *r = code ? PyObject_CallMethodObjArgs(self, s_play_failed, code, NULL) : NULL;
        Py_XDECREF(code);
        return r;
    }
    PyObject *text = PyUnicode_DecodeASCII(s->out->out, (Py_ssize_t)size, NULL);
    if (!text)
        return NULL;
    PyObject *frames = PyList_New(1);
    if (!frames) {
        Py_DECREF(text);
        return NULL;
    }
    PyList_SetItem(frames, 0, text);
    return frames;
other:
    return call_method(self, s_play_other, args, nargs, kwnames);
}

static PyMemberDef stream_members[] = {
    {"max_message_bytes", T_PYSSIZET, offsetof(FastStream, max_message_bytes), 0,
     "Longest message feed() takes (bytes); longer raises ProtocolError."},
    {"_stream_id_text", T_OBJECT, offsetof(FastStream, stream_id_text), 0,
     "The stream_id expected in media messages, or None (internal)."},
    {"_held_n", T_PYSSIZET, offsetof(FastStream, held_n), 0,
     "Playback samples held until a whole packet (internal)."},
    {"_packet", T_LONGLONG, offsetof(FastStream, packet), 0,
     "PCM samples per playback message (internal)."},
    {"_play_rate", T_LONGLONG, offsetof(FastStream, play_rate), 0,
     "Rate play() encodes in one C call, 0 for none (internal)."},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef stream_methods[] = {
    {"_bind_in", FASTCALL(stream_bind_in), METH_FASTCALL,
     "_bind_in($self, address, media_type, tracks, /)\n--\n\n"
     "Use the sc_frame_in at this address, making events of media_type (internal)."},
    {"_bind_out", stream_bind_out, METH_O,
     "_bind_out($self, address, /)\n--\n\n"
     "Use the sc_frame_out at this address for play() (internal)."},
    {"feed", stream_feed, METH_O,
     "feed($self, message, /)\n--\n\n"
     "Handle one WebSocket text message from Telnyx.\n\n"
     "Parameters\n----------\nmessage : str or bytes\n"
     "    The message as received (bytearray and memoryview are taken too).\n\n"
     "Returns\n-------\nlist of events\n"
     "    Usually one.  A media frame gives zero or more\n"
     "    :class:`~streamcodec.telnyx.Media` (zero while it waits for a\n"
     "    missing chunk, several when a gap closes), each with ``pcm`` at\n"
     "    ``rate``.  A ``stop`` first releases the frames still\n"
     "    waiting, then the :class:`~streamcodec.telnyx.Stop`.  A mark echo\n"
     "    gives a :class:`~streamcodec.telnyx.Mark` with ``played_ms``.\n\n"
     "Raises\n------\nProtocolError\n    See the class notes; the session keeps working.\n"
     "TypeError\n    For a message that is not text or bytes."},
    {"feed_audio", stream_feed_audio, METH_O,
     "feed_audio($self, message, /)\n--\n\n"
     "Handle one binary WebSocket message: one frame of raw audio (Vonage).\n\n"
     "Parameters\n----------\nmessage : bytes, bytearray or memoryview\n"
     "    16-bit little-endian PCM at the stream's rate, 20 ms.\n\n"
     "Returns\n-------\nlist of events\n"
     "    Its :class:`~streamcodec.stream.Media` (numbered from 1, in the\n"
     "    order received; none for an empty message), ``pcm`` at ``rate``.\n\n"
     "Raises\n------\nProtocolError\n"
     "    Before the stream started, or longer than ``max_message_bytes``;\n"
     "    a carrier that sends text only raises TypeError."},
    {"_feed_one", stream_feed_one, METH_O,
     "_feed_one($self, message, /)\n--\n\n"
     "feed() for a server: the Media itself for the usual in-order frame, "
     "else feed()'s list (internal)."},
    {"play", FASTCALL(stream_play), METH_FASTCALL | METH_KEYWORDS,
     "play($self, pcm, rate=None)\n--\n\n"
     "Encode PCM for playback; returns the media messages to send.\n\n"
     "Parameters\n----------\npcm : bytes, bytearray, memoryview or numpy int16 array\n"
     "    16-bit mono PCM.\nrate : int, optional\n"
     "    Its rate in Hz (default ``playback_rate``), any of\n"
     "    :data:`streamcodec.SUPPORTED_RATES`; resampled to the playback\n"
     "    rate inside the encoder, state kept across calls (where\n"
     "    ``playback_ptime`` is not a whole number of samples at this\n"
     "    rate, 20 ms at 11025 Hz, it is resampled before the messages are\n"
     "    cut).  When the rate changes between calls, the audio still held\n"
     "    at the old rate is flushed (padded with silence) and a new\n"
     "    encoder starts; a rate that cannot be played raises ValueError\n"
     "    before anything held is touched.\n\n"
     "Returns\n-------\nlist of str\n"
     "    One JSON media message per ``playback_ptime`` of audio now\n"
     "    complete; the remainder waits for the next call,\n"
     "    :meth:`flush_playback` or :meth:`mark`.\n\n"
     "Raises\n------\nValueError\n    For an odd byte count, a rate that cannot be played, "
     "or an MP3 stream.\nTypeError\n    For anything that is not PCM."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot stream_slots[] = {
    {Py_tp_dealloc, stream_dealloc},
    {Py_tp_methods, stream_methods},
    {Py_tp_members, stream_members},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_doc, "The C half of streamcodec.telnyx.MediaStream: its per-message calls."},
    {0, NULL},
};

static PyType_Spec stream_spec = {
    "streamcodec._fast.StreamBase", sizeof(FastStream), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, stream_slots,
};

/* ---- streamcodec.audioop's G.711 functions and transcode ---- */

/* law: 0 mu-law, 1 A-law. */
static PyObject *g711_expand(int law, int which, PyObject *const *args, Py_ssize_t nargs)
{
    const char *in;
    Py_ssize_t len;
    int width;
    if (!core_ready || nargs != 2 || !read_view(args[0], &in, &len)
        || !read_width(args[1], &width) || len > PY_SSIZE_T_MAX / width)
        return call_fallback(which, args, nargs, NULL);
    char *data;
    PyObject *out = new_bytes((int64_t)len * width, &data);
    if (!out)
        return NULL;
    PyThreadState *ts = len >= NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    if (width == 2)
        (law ? core.sc_alaw_decode : core.sc_ulaw_decode)((const uint8_t *)in, (size_t)len,
                                                         (int16_t *)data);
    else
        core.sc_g711_decode_width(law, (const uint8_t *)in, (size_t)len, width,
                                  (uint8_t *)data);
    if (ts)
        PyEval_RestoreThread(ts);
    return out;
}

static PyObject *g711_compress(int law, int which, PyObject *const *args, Py_ssize_t nargs)
{
    const char *in;
    Py_ssize_t len;
    int width;
    if (!core_ready || nargs != 2 || !read_view(args[0], &in, &len)
        || !read_width(args[1], &width) || len % width || (width == 2 && !aligned2(in)))
        return call_fallback(which, args, nargs, NULL);
    Py_ssize_t n = len / width;
    char *data;
    PyObject *out = new_bytes(n, &data);
    if (!out)
        return NULL;
    PyThreadState *ts = len >= NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    if (width == 2)
        (law ? core.sc_alaw_encode : core.sc_ulaw_encode_audioop)((const int16_t *)in,
                                                                 (size_t)n, (uint8_t *)data);
    else
        core.sc_g711_encode_width(law, (const uint8_t *)in, (size_t)n, width, (uint8_t *)data);
    if (ts)
        PyEval_RestoreThread(ts);
    return out;
}

static PyObject *fast_ulaw2lin(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return g711_expand(0, FB_ULAW2LIN, args, nargs);
}

static PyObject *fast_alaw2lin(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return g711_expand(1, FB_ALAW2LIN, args, nargs);
}

static PyObject *fast_lin2ulaw(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return g711_compress(0, FB_LIN2ULAW, args, nargs);
}

static PyObject *fast_lin2alaw(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return g711_compress(1, FB_LIN2ALAW, args, nargs);
}

/* 0 for "PCMU", 1 for "PCMA" spelled exactly so, else -1. */
static int g711_name(PyObject *name)
{
    if (!PyUnicode_CheckExact(name))
        return -1;
    if (PyUnicode_CompareWithASCIIString(name, "PCMU") == 0)
        return 0;
    if (PyUnicode_CompareWithASCIIString(name, "PCMA") == 0)
        return 1;
    return -1;
}

static PyObject *fast_transcode(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames)
{
    (void)m;
    const char *in;
    Py_ssize_t len;
    int src, dst;
    if (!core_ready || nargs != 3 || (kwnames && PyTuple_Size(kwnames))
        || !PyBytes_CheckExact(args[0]) || (src = g711_name(args[1])) < 0
        || (dst = g711_name(args[2])) < 0 || !read_view(args[0], &in, &len))
        return call_fallback(FB_TRANSCODE, args, nargs, kwnames);
    if (src == dst) {   /* bytes are immutable: the payload itself is the answer */
        Py_INCREF(args[0]);
        return args[0];
    }
    char *data;
    PyObject *out = new_bytes(len, &data);
    if (!out)
        return NULL;
    PyThreadState *ts = len >= NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    (src == 0 ? core.sc_ulaw_to_alaw : core.sc_alaw_to_ulaw)((const uint8_t *)in, (size_t)len,
                                                            (uint8_t *)data);
    if (ts)
        PyEval_RestoreThread(ts);
    return out;
}

/* ---- binding ---- */

static PyObject *fast_bind(PyObject *m, PyObject *table)
{
    (void)m;
    if (!PyDict_Check(table)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes a dict of name -> address");
        return NULL;
    }
    /* Field by field, with no struct copy: a copy would call memcpy, whose
     * GLIBC_2.14 version would be this module's only newer glibc symbol. */
    int other = 0;
#define TAKE(name) { \
        PyObject *v = PyDict_GetItemString(table, #name); \
        if (!v) { \
            PyErr_SetString(PyExc_KeyError, #name); \
            return NULL; \
        } \
        void *p = PyLong_AsVoidPtr(v); \
        if (!p) { \
            if (!PyErr_Occurred()) \
                PyErr_SetString(PyExc_ValueError, "NULL address for " #name); \
            return NULL; \
        } \
        if (core_ready) \
            other |= (void *)core.name != p; \
        else \
            core.name = (__typeof__(name) *)p; }
    CORE_FUNCTIONS(TAKE)
#undef TAKE
    if (other) {   /* once bound, stay bound to the same functions */
        PyErr_SetString(PyExc_RuntimeError, "streamcodec._fast is bound to another C core");
        return NULL;
    }
    core_ready = 1;
    Py_RETURN_NONE;
}

static PyObject *fast_register(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "register(name, function)");
        return NULL;
    }
    for (int i = 0; i < FB_COUNT; i++) {
        if (PyUnicode_CompareWithASCIIString(args[0], fallback_names[i]) == 0) {
            PyObject *old = fallbacks[i];
            Py_INCREF(args[1]);
            fallbacks[i] = args[1];
            Py_XDECREF(old);
            Py_RETURN_NONE;
        }
    }
    PyErr_Format(PyExc_ValueError, "no fast path named %R", args[0]);
    return NULL;
}

static PyMethodDef module_methods[] = {
    {"bind", fast_bind, METH_O,
     "bind(table, /)\n--\n\n"
     "Bind to the C core: a dict of each name in CORE_FUNCTIONS -> its address "
     "in the cffi extension (internal)."},
    {"register", FASTCALL(fast_register), METH_FASTCALL,
     "register(name, function, /)\n--\n\n"
     "Register the Python implementation a module-level fast path falls back to "
     "(internal)."},
    {"ulaw2lin", FASTCALL(fast_ulaw2lin), METH_FASTCALL,
     "ulaw2lin(fragment, width, /)\n--\n\n"
     "Convert 8-bit mu-law to samples of ``width`` bytes, as audioop.ulaw2lin."},
    {"alaw2lin", FASTCALL(fast_alaw2lin), METH_FASTCALL,
     "alaw2lin(fragment, width, /)\n--\n\n"
     "Convert 8-bit A-law to samples of ``width`` bytes, as audioop.alaw2lin."},
    {"lin2ulaw", FASTCALL(fast_lin2ulaw), METH_FASTCALL,
     "lin2ulaw(fragment, width, /)\n--\n\n"
     "Convert samples of ``width`` bytes to 8-bit mu-law, as audioop.lin2ulaw\n"
     "(audioop's rounding of negative samples included)."},
    {"lin2alaw", FASTCALL(fast_lin2alaw), METH_FASTCALL,
     "lin2alaw(fragment, width, /)\n--\n\n"
     "Convert samples of ``width`` bytes to 8-bit A-law, as audioop.lin2alaw."},
    {"transcode", FASTCALL(fast_transcode), METH_FASTCALL | METH_KEYWORDS,
     "transcode(payload, src, dst)\n--\n\n"
     "Convert one RTP payload from codec ``src`` to codec ``dst``.\n\n"
     "PCMU and PCMA convert directly by table; other pairs decode and\n"
     "re-encode at the destination codec's rate with fresh codec state.\n\n"
     "Parameters\n----------\npayload : bytes, bytearray or memoryview\n"
     "    One RTP payload of ``src``.\nsrc, dst : str\n    Codec names, any case.\n\n"
     "Returns\n-------\nbytes\n    The payload in ``dst``."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fast_module = {
    PyModuleDef_HEAD_INIT, "streamcodec._fast",
    "The per-frame entry points of streamcodec as plain CPython calls "
    "(see streamcodec/_fast.c).",
    -1, module_methods, NULL, NULL, NULL, NULL,
};

static int add_type(PyObject *module, PyType_Spec *spec, const char *name)
{
    PyObject *type = PyType_FromSpec(spec);
    if (!type)
        return -1;
    if (PyModule_AddObject(module, name, type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__fast(void)
{
#define INTERN(var, text) if (!(var = PyUnicode_InternFromString(text))) return NULL;
    INTERN(s_decode_other, "_decode_other")
    INTERN(s_decode_failed, "_decode_failed")
    INTERN(s_decode_into_other, "_decode_into_other")
    INTERN(s_encode_other, "_encode_other")
    INTERN(s_encode_failed, "_encode_failed")
    INTERN(s_encode_into_other, "_encode_into_other")
    INTERN(s_process_other, "_process_other")
    INTERN(s_feed_other, "_feed_other")
    INTERN(s_feed_scanned, "_feed_scanned")
    INTERN(s_feed_audio_other, "_feed_audio_other")
    INTERN(s_play_other, "_play_other")
    INTERN(s_play_failed, "_play_failed")
    INTERN(s_rate, "rate")
    INTERN(s_track, "track")
    INTERN(s_chunk, "chunk")
    INTERN(s_timestamp, "timestamp")
    INTERN(s_payload, "payload")
    INTERN(s_sequence_number, "sequence_number")
    INTERN(s_stream_id, "stream_id")
    INTERN(s_pcm, "pcm")
    INTERN(s_concealed, "concealed")
#undef INTERN
    if (!(empty_tuple = PyTuple_New(0)))
        return NULL;
    PyObject *module = PyModule_Create(&fast_module);
    if (!module)
        return NULL;
    static const char *const core_names[] = {
#define NAME(name) #name,
        CORE_FUNCTIONS(NAME)
#undef NAME
    };
    const Py_ssize_t count = (Py_ssize_t)(sizeof core_names / sizeof *core_names);
    PyObject *names = PyTuple_New(count);
    for (Py_ssize_t i = 0; names && i < count; i++) {
        PyObject *s = PyUnicode_FromString(core_names[i]);
        if (!s)
            Py_CLEAR(names);
        else
            PyTuple_SetItem(names, i, s);
    }
    if (!names || PyModule_AddObject(module, "CORE_FUNCTIONS", names) < 0) {
        Py_XDECREF(names);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "NOGIL_BYTES", NOGIL_BYTES) < 0
        || add_type(module, &decoder_spec, "DecoderBase") < 0
        || add_type(module, &encoder_spec, "EncoderBase") < 0
        || add_type(module, &resampler_spec, "ResamplerBase") < 0
        || add_type(module, &stream_spec, "StreamBase") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
