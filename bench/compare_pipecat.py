"""pipecat's Telnyx serializer: streamcodec.pipecat.TelnyxFrameSerializer
against pipecat-ai's stock one, on PCMU, in the same process.

- deserialize: one 20 ms Telnyx media message -> InputAudioRawFrame at
  16 kHz (stock: json.loads, base64, G.711 table, soxr stream VHQ 8->16 k);
- serialize: one 40 ms OutputAudioRawFrame at 24 kHz, as pipecat's websocket
  transport hands it over (audio_out_10ms_chunks=4), -> one media message
  (stock: soxr stream 24->8 k, lin2ulaw, base64, json.dumps);
- first audio after ``start``: how many media messages go in before the
  first InputAudioRawFrame comes out, and how much of 50 messages' audio
  has come out after them.

Microseconds per call, the minimum over repeats; each repeat runs a fresh
serializer over the same messages (a replayed chunk would be a duplicate).
"""

from __future__ import annotations

import asyncio
import time
import types

from report import Row

PEER = "pipecat stock serializer"
RATE = 16000                 # what the pipeline hears at
OUT_RATE = 24000             # pipecat's default audio_out_sample_rate


def _make(pipecat_module, stock: bool):
    cls = pipecat_module.StockSerializer if stock else pipecat_module.TelnyxFrameSerializer
    s = cls("S", "PCMU", "PCMU", params=cls.InputParams(auto_hang_up=False))
    asyncio.run(s.setup(types.SimpleNamespace(audio_in_sample_rate=RATE)))
    return s


async def _deserialize_all(s, messages):
    out = []
    t0 = time.perf_counter_ns()
    for m in messages:
        out.append(await s.deserialize(m))
    return time.perf_counter_ns() - t0, out


async def _serialize_all(s, frames):
    out = []
    t0 = time.perf_counter_ns()
    for f in frames:
        out.append(await s.serialize(f))
    return time.perf_counter_ns() - t0, out


def _best_us(make, run, items, repeat: int) -> tuple[float, list]:
    best, out = None, None
    for _ in range(repeat):
        s = make()
        ns, out = asyncio.run(run(s, items))
        best = ns if best is None else min(best, ns)
    return best / len(items) / 1000, out


def rows(quick: bool) -> list[Row]:
    try:
        from pipecat.frames.frames import OutputAudioRawFrame
        from pipecat.serializers.telnyx import TelnyxFrameSerializer as StockSerializer

        from streamcodec.pipecat import TelnyxFrameSerializer
    except ImportError as exc:
        return [Row("pipecat Telnyx serializer", "all", PEER, None, None, "us/msg",
                    note=f"pipecat-ai not installed ({exc})")]
    from compare_telnyx import media_messages
    from loguru import logger

    from streamcodec.signals import speech_like

    logger.remove()          # pipecat logs every object it makes at DEBUG
    mod = types.SimpleNamespace(StockSerializer=StockSerializer,
                                TelnyxFrameSerializer=TelnyxFrameSerializer)
    count, repeat = (200, 3) if quick else (1000, 7)
    messages = media_messages("PCMU", count)
    tts = speech_like(count * 0.04 + 0.04, OUT_RATE, seed=2).tobytes()
    chunk = OUT_RATE * 2 * 40 // 1000
    frames = [OutputAudioRawFrame(tts[i * chunk:(i + 1) * chunk], OUT_RATE, 1)
              for i in range(count)]
    out: list[Row] = []

    ours_in, _ = _best_us(lambda: _make(mod, False), _deserialize_all, messages, repeat)
    peer_in, _ = _best_us(lambda: _make(mod, True), _deserialize_all, messages, repeat)
    out.append(Row("pipecat serializer, PCMU", "deserialize 20 ms -> 16k", PEER, peer_in,
                   ours_in, "us/msg", higher_is_better=False))
    ours_out, _ = _best_us(lambda: _make(mod, False), _serialize_all, frames, repeat)
    peer_out, _ = _best_us(lambda: _make(mod, True), _serialize_all, frames, repeat)
    out.append(Row("pipecat serializer, PCMU", "serialize 40 ms 24k frame", PEER, peer_out,
                   ours_out, "us/msg", higher_is_better=False))

    # Withholding: messages before the first frame, and audio out after 50 messages.
    first = {}
    after_50 = {}
    for name, stock in (("ours", False), ("peer", True)):
        _, got = asyncio.run(_deserialize_all(_make(mod, stock), messages[:50]))
        first[name] = next((i + 1 for i, f in enumerate(got) if f is not None), None)
        after_50[name] = sum(len(f.audio) for f in got if f is not None) / (RATE * 2) * 1000
    out.append(Row("pipecat serializer, PCMU", "first frame after start", PEER,
                   first["peer"], first["ours"], "message no.", higher_is_better=False,
                   note="the first message's audio is 1"))
    out.append(Row("pipecat serializer, PCMU", "audio out after 50 msgs", PEER,
                   after_50["peer"], after_50["ours"], "ms of 1000",
                   note="what the pipeline has heard of the first second"))
    for name, stock in (("ours", False), ("peer", True)):
        _, sent = asyncio.run(_serialize_all(_make(mod, stock), frames[:25]))
        first[name] = next((i + 1 for i, m in enumerate(sent) if m), None)
    out.append(Row("pipecat serializer, PCMU", "first message sent", PEER, first["peer"],
                   first["ours"], "frame no.", higher_is_better=False,
                   note="for the first 40 ms frame it is 1"))
    return out


if __name__ == "__main__":
    import sys

    from report import print_rows
    print_rows(rows("--quick" in sys.argv))
