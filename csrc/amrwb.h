/*
 * AMR-WB: RFC 4867 RTP payloads (our own packing) around
 * libopencore-amrwb (decoder) and libvo-amrwbenc (encoder).
 *
 * Both libraries speak the storage format of RFC 4867 section 5.3, one
 * frame at a time: a header octet FT<<3 | Q<<2, then the frame's speech
 * bits MSB first, zero-padded to a whole octet.  A "storage buffer" below
 * is such frames back to back (an .awb file without its "#!AMR-WB\n"
 * magic).
 *
 * Frame types (FT): 0..8 the nine speech modes (6.60 .. 23.85 kbit/s) with
 * 132 177 253 285 317 365 397 461 477 speech bits, 9 SID (40 bits), 14
 * SPEECH_LOST and 15 NO_DATA (no bits); 10..13 are reserved and rejected.
 *
 * RTP payload (RFC 4867 section 4, single channel, no interleaving, no
 * CRC): a 4-bit CMR, one TOC entry per frame (F: another entry follows,
 * FT, Q), then the speech bits of each frame in TOC order.  Bandwidth-
 * efficient mode (4.3) packs all of that bit after bit (6-bit TOC entries,
 * frames not aligned) and pads the end to an octet; octet-aligned mode
 * (4.4) adds 4 reserved bits after the CMR, 2 padding bits to each TOC
 * entry and pads each frame to an octet.  Reserved and padding bits are
 * written as zero and ignored on reading (they only break ties when the
 * layout is inferred, see sc_amrwb_unpack).
 *
 * Decoder behaviour: a frame with Q=0 (damaged) is decoded as lost speech
 * (FT 14) or, for a SID, as NO_DATA, because libopencore-amrwb cannot be
 * told about damage; FT 14 and 15 run the library's concealment / comfort
 * noise.  Every TOC entry yields 320 samples (20 ms at 16 kHz).  A CMR of
 * 9..14 (reserved) is recorded but means nothing.  conceal(n) decodes
 * ceil(n / 320) lost frames and returns the first n samples.
 */
#ifndef SC_AMRWB_H
#define SC_AMRWB_H

#include "sc_common.h"

struct sc_decoder;
struct sc_encoder;

/* cffi:begin */
enum {
    SC_AMRWB_FT_SID = 9,
    SC_AMRWB_FT_SPEECH_LOST = 14,
    SC_AMRWB_FT_NO_DATA = 15,
    SC_AMRWB_CMR_NONE = 15,      /* CMR value meaning "no mode request" */
    SC_AMRWB_FRAME_SAMPLES = 320,
    SC_AMRWB_MAX_FRAMES = 500    /* frames (10 s) one payload may hold */
};

/* What sc_amrwb_unpack found. */
typedef struct sc_amrwb_info {
    int32_t cmr;          /* the CMR field as received, 0..15 */
    int32_t octet_align;  /* layout the payload was read as: 1 octet-aligned, 0 bandwidth-efficient */
    int32_t frames;       /* TOC entries (20 ms frames) */
} sc_amrwb_info;

/* Speech bits of frame type ft (0 for 14 and 15), or SC_EARG. */
int sc_amrwb_frame_bits(int ft);
/* Octets one storage-format frame of type ft occupies, header included. */
int sc_amrwb_storage_size(int ft);

/* Largest payload sc_amrwb_pack can make from storage_len storage octets. */
int64_t sc_amrwb_pack_bound(size_t storage_len);
/* Storage-format frames -> one RFC 4867 payload.  cmr: 0..8 or 15;
 * octet_align: 1 or 0.  Returns payload octets, SC_ECORRUPT for a reserved
 * FT or a truncated frame in `storage`, SC_EARG for no frames, more than
 * SC_AMRWB_MAX_FRAMES or a bad cmr/octet_align, SC_EBUFFER. */
int64_t sc_amrwb_pack(const uint8_t *storage, size_t len, int cmr, int octet_align,
                      uint8_t *out, size_t cap);

/* Largest storage buffer sc_amrwb_unpack can make from payload_len octets. */
int64_t sc_amrwb_unpack_bound(size_t payload_len);
/* One RFC 4867 payload -> storage-format frames.  octet_align 1 or 0 reads
 * that layout; -1 infers it from the length arithmetic (the layout whose
 * TOC accounts for exactly `len` octets; when both do, the one whose
 * reserved/padding bits are zero; then bandwidth-efficient, RFC 4867's
 * default).  Returns storage octets and fills *info (may be NULL), or
 * SC_ECORRUPT (reserved FT, truncated, length not matching the TOC, more
 * than SC_AMRWB_MAX_FRAMES frames), SC_EARG, SC_EBUFFER. */
int64_t sc_amrwb_unpack(const uint8_t *payload, size_t len, int octet_align,
                        uint8_t *storage, size_t cap, sc_amrwb_info *info);

/* The CMR field of the last payload an AMR-WB decoder decoded (0..15), -1
 * before the first, SC_EARG when d is not an AMR-WB decoder. */
int sc_amrwb_decoder_last_cmr(struct sc_decoder *d);
/* The CMR an AMR-WB encoder writes from now on: 0..8 requests that mode
 * from the far end, 15 (the default) requests nothing.  SC_EARG otherwise
 * or when e is not an AMR-WB encoder. */
int sc_amrwb_encoder_set_cmr(struct sc_encoder *e, int cmr);
int sc_amrwb_encoder_get_cmr(struct sc_encoder *e);
/* cffi:end */

#endif
