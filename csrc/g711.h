/*
 * ITU-T G.711 mu-law (PCMU) and A-law (PCMA), L16 byte order, and float32
 * PCM to int16: the sample formats the encoders are handed.
 *
 * Encoders follow the ITU-T G.191 reference (STL g711.c) to the bit: the
 * magnitude of a negative sample is taken as one's complement, ~x, before
 * quantising.  Python's audioop module took -x instead, which moves 508 of
 * the 65,536 negative mu-law inputs across a decision boundary;
 * sc_ulaw_encode_audioop() reproduces that for the audioop drop-in.  A-law
 * is the same in both.
 *
 * PCM is signed 16-bit in host byte order.  All functions take counts, write
 * exactly n outputs and never fail; the caller sizes the buffers.
 */
#ifndef SC_G711_H
#define SC_G711_H

#include "sc_common.h"

/* cffi:begin */
void sc_ulaw_encode(const int16_t *pcm, size_t n, uint8_t *out);
void sc_ulaw_encode_audioop(const int16_t *pcm, size_t n, uint8_t *out);
void sc_ulaw_decode(const uint8_t *codes, size_t n, int16_t *out);
void sc_alaw_encode(const int16_t *pcm, size_t n, uint8_t *out);
void sc_alaw_decode(const uint8_t *codes, size_t n, int16_t *out);

/* PCMU <-> PCMA by table; equal to decoding then encoding each code. */
void sc_ulaw_to_alaw(const uint8_t *in, size_t n, uint8_t *out);
void sc_alaw_to_ulaw(const uint8_t *in, size_t n, uint8_t *out);

/* L16 on the wire is big-endian (network order, RFC 3551) ... */
void sc_l16_to_host(const uint8_t *wire, size_t n_samples, int16_t *out);
void sc_host_to_l16(const int16_t *pcm, size_t n_samples, uint8_t *wire);
/* ... unless a peer sends little-endian, which these read and write. */
void sc_l16le_to_host(const uint8_t *wire, size_t n_samples, int16_t *out);
void sc_host_to_l16le(const int16_t *pcm, size_t n_samples, uint8_t *wire);

/* float32 samples, full scale +-1.0 (soundfile's convention), to int16:
 * x * 32768 rounded to nearest (ties to even), saturated to -32768..32767,
 * so +1.0 gives 32767 and -1.0 gives -32768, and int16 / 32768 comes back
 * exactly.  Returns SC_OK, or SC_EARG when a sample is NaN or infinite
 * (out then holds zeros in their places; callers discard it). */
int sc_pcm16_from_float(const float *in, size_t n, int16_t *out);

/*
 * audioop's sample widths: 1 (signed 8-bit), 2, 3 (24-bit) or 4 bytes, host
 * byte order.  Encoding uses the top 16 bits of each sample; decoding puts
 * the 16-bit value in the top bits.  law: 0 = mu-law (audioop rounding),
 * 1 = A-law.  Returns SC_OK, or SC_EARG for a bad width or law.
 */
int sc_g711_encode_width(int law, const uint8_t *in, size_t n_samples,
                         int width, uint8_t *out);
int sc_g711_decode_width(int law, const uint8_t *in, size_t n_samples,
                         int width, uint8_t *out);
/* cffi:end */

#endif
