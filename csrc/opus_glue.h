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
 * Decoder complexity: params->complexity, -1 meaning 5 (6 and up would
 * add OSCE, which our builds do not have).  libopus 1.5
 * built with --enable-deep-plc (the wheel's, scripts/build-codec-libs.sh)
 * conceals loss with its neural PLC at decoder complexity >= 5 (for 16 kHz
 * SILK and CELT frames; narrowband SILK keeps the classic PLC); libopus
 * 1.3 (Debian 12's, which a source build may link) has no decoder
 * complexity and always runs the classic PLC.
 *
 * Encoder: OPUS_APPLICATION_VOIP, mono.  params->frame_ms10 (25, 50, 100,
 * 200, 400, 600) is the quantum; encode() takes any whole number of quanta
 * that is itself an Opus packet duration (2.5, 5, 10, 20, 40, 60, 80, 100,
 * 120 ms) and returns one packet.  bitrate 0 (default) means 32 kbit/s
 * below 48 kHz and libopus's automatic rate at 48 kHz (51 kbit/s at 20 ms);
 * else 500..512000.  complexity -1 means 6, not libopus's 9.  Measured on
 * 17.9 s of espeak-ng speech at 16 kHz, 20 ms frames, PESQ-WB, libopus
 * 1.5.2 (bench/compare_loss.py --opus-defaults): opuslib at 24 kbit/s
 * (complexity 9) 4.17 at ~175 us of CPU per frame; our old default
 * (automatic rate, 5) 3.47; 24 kbit/s 3.89 (5) / 4.18 (9); 32 kbit/s 4.21
 * (5), 4.32 (6), 4.39 (9); 36 kbit/s 4.30 (5).  32 kbit/s at complexity 6
 * (26 kbit/s on average, silences being cheap) scores 0.15 above opuslib's
 * 24 kbit/s for about 90 us per frame against ~120 us at complexity 9: a
 * voice server encodes many streams per core, and bits are cheap on its
 * link.  Debian's libopus 1.3.1 gives the same ranking (4.34 at 32 kbit/s,
 * 6).  The signal type (OPUS_SET_SIGNAL voice vs auto) changed nothing on
 * this speech at 16, 24 or 48 kHz, so it stays automatic.
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
