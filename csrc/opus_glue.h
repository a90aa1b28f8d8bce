/*
 * OPUS through libopus (RFC 7587: one RTP payload is one Opus packet).
 *
 * The codec plugs into sc_decoder / sc_encoder as sc_opus_ops
 * (codec_ops.h); nothing here is called directly from Python except the
 * packet inspector below.
 *
 * Decoder: runs at the API rate when it is 8, 12, 16, 24 or 48 kHz
 * (libopus decodes to any of them directly; other rates run at 48 kHz and
 * the resampler bridges).  Any packet of 2.5 to 120 ms; the bound comes
 * from the packet's TOC (opus_packet_get_nb_samples).  conceal(n) runs
 * libopus's loss concealment in whole 2.5 ms steps; when n is not a
 * multiple of 2.5 ms the last step is cut to n (the decoder's clock then
 * runs ahead of the output by less than 2.5 ms, inaudible and not
 * cumulative beyond one step per call).  recover(next) decodes the in-band
 * FEC (LBRR) that `next` carries for the frame before it: one frame of
 * `next`'s frame duration, libopus's PLC when `next` has no FEC.
 *
 * Encoder: OPUS_APPLICATION_VOIP, mono.  params->frame_ms10 (25, 50, 100,
 * 200, 400, 600) is the quantum; encode() takes any whole number of quanta
 * that is itself an Opus packet duration (2.5, 5, 10, 20, 40, 60, 80, 100,
 * 120 ms) and returns one packet.  bitrate 0 keeps libopus's automatic
 * rate (60 * 50 + rate bit/s at 20 ms, e.g. 19 kbit/s at 16 kHz), else
 * 500..512000.  complexity -1 means 5, not libopus's 9: at 16 kHz, 20 ms
 * it encodes a frame in ~95 us against ~190 us (bench/compare_opus.py),
 * and PESQ-WB on our speech-like test signal stays within 0.12 of
 * complexity 9 (auto, 16 and 24 kbit/s; sometimes above it), while
 * complexity 3 and below lose more.  A voice server encodes many streams
 * per core; WebRTC makes the same choice on constrained devices.
 * fec=1 turns on in-band FEC and tells libopus to expect 10 % loss, since
 * libopus codes no redundancy while it expects none.  dtx=1 lets the
 * encoder send 1-byte packets during silence.
 */
#ifndef SC_OPUS_GLUE_H
#define SC_OPUS_GLUE_H

#include "sc_common.h"

/* cffi:begin */
/* Samples that an Opus packet decodes to at `rate` (8000, 12000, 16000,
 * 24000, 48000), or SC_ECORRUPT / SC_EARG / SC_EUNAVAILABLE. */
int64_t sc_opus_packet_samples(const uint8_t *packet, size_t len, int32_t rate);
/* cffi:end */

#endif
