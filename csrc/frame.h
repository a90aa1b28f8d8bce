/*
 * Fused Telnyx media-stream frame paths: one call per WebSocket message.
 *
 * Inbound, sc_frame_media_in() scans the JSON text of a media message,
 * base64-decodes its payload and, when the frame is the next one of its
 * track, decodes it with that track's sc_decoder (which resamples to the
 * session rate inside).  Anything the scanner is not sure about (escapes,
 * non-ASCII bytes, nulls or unexpected types in the fields it reads,
 * duplicate keys, invalid JSON, non-canonical base64, other events) makes
 * it return SC_FRAME_OTHER without touching any state, and the caller
 * parses the message with a general JSON parser instead.  So the fast path
 * never accepts a message the general path would refuse.
 *
 * Outbound, sc_frame_media_out() encodes whole packets of PCM with an
 * sc_encoder and writes each as the JSON text of a media message.
 *
 * Base64 is RFC 4648's standard alphabet with padding; decoding is strict
 * (length a multiple of 4, '=' only as final padding, the unused bits of
 * the last character zero).
 */
#ifndef SC_FRAME_H
#define SC_FRAME_H

#include "codec.h"

/* cffi:begin */
enum {
    SC_FRAME_MEDIA = 0,     /* a media message; see sc_frame_in */
    SC_FRAME_OTHER = 1,     /* not a plain media message: parse it in full */
    SC_FRAME_TRACKS = 2,    /* tracks known to the fast path: 0 inbound, 1 outbound */
    SC_FRAME_NEXT = 3,      /* a media message that was the next frame of its track:
                             * decoded and counted, the caller only delivers it */
    SC_FRAME_HISTORY = 256  /* chunks remembered per track (a ring by chunk % 256) */
};

/*
 * The ordering state of one track that the in-order case reads and updates
 * (the caller keeps the rest: frames waiting for a missing chunk, far-off
 * frames).  Integers absent are -1.
 */
typedef struct sc_frame_track {
    int64_t next_chunk;     /* the chunk to decode next; negative: any */
    int64_t stride;         /* chunk step between this track's frames (1 when each track
                             * counts its own; about 2 when both share a counter) */
    int64_t hold;           /* nonzero: the caller has frames of this track waiting; the
                             * next chunk is still decoded, the bookkeeping left to it */
    int64_t received;       /* frames counted */
    int64_t last_chunk;     /* highest chunk received */
    int64_t last_ts;        /* timestamp of the last frame released */
    int64_t frame_samples;  /* PCM samples of the last frame decoded */
    int64_t history[SC_FRAME_HISTORY];  /* slot chunk % 256: that chunk was released */
} sc_frame_track;

/*
 * State of the inbound fast path for one stream: the inputs (one decoder
 * and next-chunk cell per track, the expected stream_id, the buffers) and
 * what the last sc_frame_media_in() call found.  The outputs come first, as
 * int64_t, so a caller can read them all at once.  Integers absent from the
 * message are -1.
 */
typedef struct sc_frame_in {
    /* outputs */
    int64_t samples;          /* samples of PCM decoded into `pcm`, or -1 when not decoded */
    int64_t track;            /* 0 "inbound" (also when absent), 1 "outbound" */
    int64_t chunk;
    int64_t sequence_number;
    int64_t timestamp;
    int64_t payload_len;      /* bytes of decoded payload written to `payload` */
    int64_t stream_id_same;   /* 1 when the message's stream_id equals `stream_id` */
    int64_t stream_id_off;    /* byte offset of the stream_id text in the message, or -1 */
    int64_t stream_id_len;
    int64_t decode_error;     /* the decoder's negative code when it refused the payload, else 0 */
    /* inputs, and the tracks' state */
    sc_frame_track tracks[2];
    sc_decoder *decoders[2];  /* per track; NULL: parse only */
    const uint8_t *stream_id;
    size_t stream_id_cap;     /* length of `stream_id` */
    uint8_t *payload;
    size_t payload_cap;
    int16_t *pcm;
    size_t pcm_cap;
    /* The top-level keys of the stream id and the sequence number in this
     * carrier's media messages (Telnyx "stream_id"/"sequence_number",
     * Twilio "streamSid"/"sequenceNumber", Plivo "streamId"/"sequenceNumber",
     * Exotel "stream_sid"/"sequence_number"); NULL: Telnyx's.  Plain ASCII,
     * without quotes or escapes. */
    const char *id_key;
    size_t id_key_len;
    const char *seq_key;
    size_t seq_key_len;
} sc_frame_in;

/* Characters of the base64 text for n bytes (with padding). */
size_t sc_base64_encoded_len(size_t n);
/* Encode n bytes; returns characters written (no terminator) or SC_EBUFFER. */
int64_t sc_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Strictly decode n characters; returns bytes written, SC_ECORRUPT for text
 * that is not canonical padded base64, or SC_EBUFFER. */
int64_t sc_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/*
 * One inbound media message.  The frame is decoded when its track's decoder
 * is not NULL and its chunk is tracks[t].next_chunk (or that is negative:
 * nothing released yet); then next_chunk becomes chunk + stride.  When the
 * track does not `hold` and the chunk is past last_chunk, the frame is also
 * counted (received, last_chunk, last_ts, frame_samples, history) and the
 * result is SC_FRAME_NEXT.  Otherwise SC_FRAME_MEDIA with the outputs filled
 * (samples >= 0 when decoded), SC_FRAME_OTHER (nothing changed), or
 * SC_EARG.  A payload larger than payload_cap gives SC_FRAME_OTHER; a
 * decoder error or a full `pcm` gives samples = -1 with decode_error set.
 */
int sc_frame_media_in(sc_frame_in *f, const uint8_t *msg, size_t len);

/*
 * One binary audio message of a carrier that sends raw frames in TCP order
 * (Vonage: 16-bit PCM, 20 ms each), for track 0: no JSON, no base64.  When
 * track 0 has a decoder, holds nothing and the message fits `payload`, the
 * frame gets the next chunk number (last_chunk + 1, from 1), is decoded
 * into `pcm` and counted (received, last_chunk, next_chunk, history,
 * frame_samples, last_ts = 20 ms per chunk), the outputs are filled as for
 * a media message (payload: a copy of the message) and the result is
 * SC_FRAME_NEXT.  Otherwise SC_FRAME_OTHER with nothing changed (the
 * decoder's error in decode_error when it refused the frame), or SC_EARG.
 */
int sc_frame_audio_in(sc_frame_in *f, const uint8_t *msg, size_t len);

/* Bytes of JSON text one Telnyx media message carrying `payload_bytes` takes. */
size_t sc_frame_media_len(size_t payload_bytes);

/*
 * State of the outbound path for one stream: the encoder, the PCM samples
 * per packet, and the buffers the messages are written into.  `scratch`
 * holds one encoded packet (sc_encoder_bound(encoder, packet) bytes);
 * ends[i] receives the offset just past message i.
 */
typedef struct sc_frame_out {
    sc_encoder *encoder;
    size_t packet;
    uint8_t *scratch;
    size_t scratch_cap;
    char *out;
    size_t out_cap;
    int64_t *ends;
    size_t ends_cap;
    int64_t sent;       /* messages written so far (counted here, not by the caller) */
    /* The text of a message around its base64 payload, this carrier's
     * (Twilio's head names the streamSid); NULL: Telnyx's
     * {"event":"media","media":{"payload":"  and  "}} . */
    const char *head;
    size_t head_len;
    const char *tail;
    size_t tail_len;
} sc_frame_out;

/* Bytes of JSON text one message `f` writes carrying `payload_bytes` takes
 * (its head and tail). */
size_t sc_frame_out_len(const sc_frame_out *f, size_t payload_bytes);

/*
 * Encode `n` samples of PCM (native-endian int16), a whole number of
 * packets, one encoder call per packet, and write each payload as the JSON
 * text head + <base64> + tail (Telnyx's {"event":"media","media":{"payload":
 * "<base64>"}} when head is NULL) back to back into f->out.  Returns the bytes written (ends[] says where each message ends),
 * or a negative code: SC_EARG (not whole packets), SC_EBUFFER (size out,
 * ends and scratch first: the encoder state has then moved), or the
 * encoder's.
 */
int64_t sc_frame_media_out(sc_frame_out *f, const void *pcm, size_t n);
/* cffi:end */

#endif
