/*
 * streamcodec C core: conventions shared by every piece.
 *
 * Every function that can fail returns an int: a count (>= 0) on success or
 * one of the negative SC_E* codes below.  sc_strerror() turns a code into a
 * sentence.  Nothing here allocates in per-sample loops, keeps mutable
 * globals, or includes Python.h.
 *
 * The text between "cffi:begin" and "cffi:end" markers in each header is fed
 * to cffi's cdef() by streamcodec/_build.py, so the Python binding mirrors the
 * header one to one.  Keep those blocks in plain C that pycparser accepts:
 * no macros, no restrict, no inline.
 */
#ifndef SC_COMMON_H
#define SC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SC_RESTRICT __restrict__
#else
#define SC_RESTRICT
#endif

/* Greatest common divisor of two non-negative numbers (internal helper). */
static inline int64_t sc_gcd(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* cffi:begin */
enum {
    SC_OK = 0,
    SC_EARG = -1,         /* an argument is out of range or inconsistent */
    SC_EBUFFER = -2,      /* the output buffer is too small */
    SC_ECORRUPT = -3,     /* the input packet or payload is malformed */
    SC_EUNSUPPORTED = -4, /* a rate, mode or codec this build does not do */
    SC_EUNAVAILABLE = -5, /* the codec library was absent at build time */
    SC_ENOMEM = -6,       /* an allocation failed */
    SC_EINTERNAL = -7     /* a wrapped library reported an error */
};

const char *sc_strerror(int code);
/* cffi:end */

#endif
