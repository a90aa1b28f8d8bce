"""pipecat: streamcodec.pipecat against pipecat-ai's stock pieces, in the
same process, on the same input.

- **Stream resampler with pauses**: speech in 20 ms calls, 0.5 s at a time,
  with 0.3 s pauses in which nobody calls (between TTS sentences, STT turns),
  through pipecat's ``create_stream_resampler()`` (soxr VHQ, cleared after
  0.2 s idle) and :class:`StreamcodecResampler`: how much of the speech comes
  out, how much is missing from each 0.5 s (what soxr held when a pause
  cleared it; the last segment's is still held), how much input goes in
  before the first sample comes out.  The pauses run on a stand-in clock (no waiting).
- **Resampler cost**: microseconds per 20 ms chunk.
- **Per carrier** (Telnyx, Twilio and Plivo PCMU; Exotel 16-bit PCM at
  8 kHz in 100 ms messages; Vonage binary 16-bit PCM at 16 kHz; each
  serializer pair on the same messages): deserialize, one media message
  (20 ms; Exotel's 100 ms) -> InputAudioRawFrame at 16 kHz; serialize, one
  40 ms OutputAudioRawFrame at 24 kHz (what pipecat's websocket transport
  hands over) -> one message; the number of the first media message that
  gives an audio frame.
- **First audio frame in a pipeline**: a real pipecat pipeline
  (FastAPIWebsocketTransport under uvicorn on 127.0.0.1, our serializer or
  the stock one) fed 20 ms media messages in real time by a WebSocket
  client; milliseconds from the first media message reaching the serializer
  to the first InputAudioRawFrame reaching the processor after the
  transport (median of 3 calls).

Microseconds per call are the minimum over repeats; each repeat runs a fresh
serializer over the same messages.

``--callgrind`` counts instructions per message instead (valgrind; the
figure to trust on a shared machine), stock against ours, every carrier.

Run:  python bench/compare_pipecat.py [--quick | --callgrind]
      (or bench/report.py --only pipecat)
"""

import asyncio
import statistics
import time
import types
from dataclasses import dataclass
from typing import Any, Callable

from report import Row

PEER = "pipecat stock"
RATE = 16000                 # what the pipeline hears at
OUT_RATE = 24000             # pipecat's default audio_out_sample_rate


# --------------------------------------------------------------------------
# Resampler
# --------------------------------------------------------------------------


class _Clock:
    """time.time() for pipecat's stream resampler, advanced by the run."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now


def _pauses(make: Callable[[], Any], in_rate: int, out_rate: int, clock: _Clock,
            segments: int) -> tuple[int, int, int]:
    """Samples in, samples out, and input samples before the first output,
    for ``segments`` half-seconds of speech with 0.3 s pauses."""
    from streamcodec.signals import speech_like

    r = make()
    step = in_rate // 50
    taken = out = 0
    first = None

    async def run() -> None:
        nonlocal taken, out, first
        for k in range(segments):
            pcm = speech_like(0.5, in_rate, seed=30 + k).tobytes()
            for i in range(0, len(pcm), 2 * step):
                got = await r.resample(pcm[i:i + 2 * step], in_rate, out_rate)
                taken += step
                out += len(got) // 2
                if first is None and got:
                    first = taken - step
                clock.now += 0.02
            clock.now += 0.3
    asyncio.run(run())
    return taken, out, first or 0


def resampler_rows(quick: bool) -> list[Row]:
    import pipecat.audio.resamplers.soxr_stream_resampler as soxr_stream
    from pipecat.audio.utils import create_stream_resampler

    from streamcodec.pipecat import StreamcodecResampler
    from streamcodec.signals import speech_like

    clock = _Clock()
    real_time = soxr_stream.time
    soxr_stream.time = types.SimpleNamespace(time=clock.time)
    out: list[Row] = []
    segments = 4 if quick else 10
    try:
        for in_rate, out_rate, what in ((8000, 16000, "carrier 8k -> STT 16k"),
                                        (24000, 8000, "TTS 24k -> carrier 8k"),
                                        (24000, 16000, "TTS 24k -> 16k")):
            group = f"stream resampler, pauses: {what}"
            stock = _pauses(create_stream_resampler, in_rate, out_rate, clock, segments)
            ours = _pauses(StreamcodecResampler, in_rate, out_rate, clock, segments)
            expected = stock[0] * out_rate // in_rate
            out.append(Row(group, "speech heard", PEER, 100 * stock[1] / expected,
                           100 * ours[1] / expected, "% of input",
                           note=f"{segments} x 0.5 s speech, 0.3 s pauses"))
            lost = [(expected - o[1]) * 1000 / out_rate / segments for o in (stock, ours)]
            out.append(Row(group, "missing per segment", PEER, lost[0], lost[1], "ms",
                           higher_is_better=False, note="cleared at each pause"))
            held = [o[2] * 1000 / in_rate for o in (stock, ours)]
            out.append(Row(group, "input before first output", PEER, held[0], held[1],
                           "ms", higher_is_better=False, note="ours 0: the first call"))
    finally:
        soxr_stream.time = real_time

    # Cost per 20 ms chunk, stock soxr VHQ (never cleared) against ours.
    repeat, chunks = (3, 200) if quick else (7, 1000)
    for in_rate, out_rate in ((8000, 16000), (24000, 8000)):
        pcm = speech_like(chunks * 0.02, in_rate, seed=40).tobytes()
        step = in_rate // 50 * 2
        pieces = [pcm[i:i + step] for i in range(0, len(pcm), step)]

        def cost(make: Callable[[], Any]) -> float:
            best = None
            for _ in range(repeat):
                r = make()

                async def run() -> int:
                    t0 = time.perf_counter_ns()
                    for p in pieces:
                        await r.resample(p, in_rate, out_rate)
                    return time.perf_counter_ns() - t0
                ns = asyncio.run(run())
                best = ns if best is None else min(best, ns)
            return best / len(pieces) / 1000
        out.append(Row("stream resampler cost", f"20 ms {in_rate // 1000}k -> "
                       f"{out_rate // 1000}k", PEER,
                       cost(lambda: create_stream_resampler(clear_after_secs=None)),
                       cost(StreamcodecResampler), "us/chunk", higher_is_better=False,
                       note="soxr VHQ vs ours high-quality"))
    return out


# --------------------------------------------------------------------------
# Serializers, per carrier
# --------------------------------------------------------------------------


@dataclass
class Carrier:
    """One carrier's serializer pair and its messages."""

    name: str
    stock: Callable[[], Any]       # a stock serializer, not yet set up
    ours: Callable[[], Any]
    messages: Callable[[int], list]    # n consecutive media messages
    codec: str = "PCMU"
    message_ms: int = 20


def _telnyx() -> Carrier:
    from compare_telnyx import media_messages
    from pipecat.serializers.telnyx import TelnyxFrameSerializer as Stock

    from streamcodec.pipecat import TelnyxFrameSerializer as Ours

    def make(cls: Any) -> Callable[[], Any]:
        return lambda: cls("S", "PCMU", "PCMU", params=cls.InputParams(auto_hang_up=False))
    return Carrier("Telnyx", make(Stock), make(Ours), lambda n: media_messages("PCMU", n))


def _messages(wrap: Callable[[int, bytes], Any], codec: str, rate: int, ms: int
              ) -> Callable[[int], list]:
    """n consecutive media messages of speech, each ``ms`` long, made by
    ``wrap(chunk, payload)``."""
    import streamcodec as sc
    from streamcodec.signals import speech_like

    def make(n: int) -> list:
        pcm = speech_like(n * ms / 1000 + 0.02, rate, seed=1)
        step = rate * ms // 1000
        out = []
        for k in range(n):
            piece = pcm[k * step:(k + 1) * step]
            payload = sc.Encoder("PCMU").encode(piece) if codec == "PCMU" \
                else piece.astype("<i2").tobytes()
            out.append(wrap(k + 1, payload))
        return out
    return make


def _b64(payload: bytes) -> str:
    import base64
    return base64.b64encode(payload).decode()


def _twilio() -> Carrier:
    import json

    from pipecat.serializers.twilio import TwilioFrameSerializer as Stock

    from streamcodec.pipecat import TwilioFrameSerializer as Ours

    def wrap(k: int, payload: bytes) -> str:
        return json.dumps({"event": "media", "sequenceNumber": str(k + 1), "streamSid": "MZ1",
                           "media": {"track": "inbound", "chunk": str(k),
                                     "timestamp": str(20 * (k - 1)), "payload": _b64(payload)}},
                          separators=(",", ":"))

    def make(cls: Any) -> Callable[[], Any]:
        return lambda: cls("MZ1", params=cls.InputParams(auto_hang_up=False))
    return Carrier("Twilio", make(Stock), make(Ours), _messages(wrap, "PCMU", 8000, 20))


def _plivo() -> Carrier:
    import json

    from pipecat.serializers.plivo import PlivoFrameSerializer as Stock

    from streamcodec.pipecat import PlivoFrameSerializer as Ours

    def wrap(k: int, payload: bytes) -> str:
        return json.dumps({"event": "media", "sequenceNumber": k, "streamId": "ST1",
                           "media": {"track": "inbound", "chunk": k,
                                     "timestamp": str(1700000000000 + 20 * k),
                                     "payload": _b64(payload)}}, separators=(",", ":"))

    def make(cls: Any) -> Callable[[], Any]:
        return lambda: cls("ST1", params=cls.InputParams(auto_hang_up=False))
    return Carrier("Plivo", make(Stock), make(Ours), _messages(wrap, "PCMU", 8000, 20))


def _exotel() -> Carrier:
    import json

    from pipecat.serializers.exotel import ExotelFrameSerializer as Stock

    from streamcodec.pipecat import ExotelFrameSerializer as Ours

    def wrap(k: int, payload: bytes) -> str:
        return json.dumps({"event": "media", "sequence_number": k + 1, "stream_sid": "EX1",
                           "media": {"chunk": k, "timestamp": str(100 * (k - 1)),
                                     "payload": _b64(payload)}}, separators=(",", ":"))
    return Carrier("Exotel", lambda: Stock("EX1"), lambda: Ours("EX1"),
                   _messages(wrap, "L16", 8000, 100), codec="L16 8k", message_ms=100)


def _vonage() -> Carrier:
    from pipecat.serializers.vonage import VonageFrameSerializer as Stock

    from streamcodec.pipecat import VonageFrameSerializer as Ours
    return Carrier("Vonage", Stock, Ours, _messages(lambda k, p: p, "L16", 16000, 20),
                   codec="L16 16k binary")


#: The carriers measured, each a function building its Carrier.
CARRIERS: list[Callable[[], Carrier]] = [_telnyx, _twilio, _plivo, _exotel, _vonage]


async def _setup(s: Any) -> Any:
    await s.setup(types.SimpleNamespace(audio_in_sample_rate=RATE, audio_out_sample_rate=RATE))
    return s


def _best_us(make: Callable[[], Any], method: str, items: list, repeat: int) -> float:
    best = None
    for _ in range(repeat):
        async def run() -> int:
            s = await _setup(make())
            call = getattr(s, method)
            t0 = time.perf_counter_ns()
            for item in items:
                await call(item)
            return time.perf_counter_ns() - t0
        ns = asyncio.run(run())
        best = ns if best is None else min(best, ns)
    return best / len(items) / 1000


def _first_frame(make: Callable[[], Any], messages: list) -> int | None:
    async def run() -> int | None:
        s = await _setup(make())
        for i, m in enumerate(messages):
            if await s.deserialize(m) is not None:
                return i + 1
        return None
    return asyncio.run(run())


def serializer_rows(carrier: Carrier, quick: bool) -> list[Row]:
    from pipecat.frames.frames import OutputAudioRawFrame

    from streamcodec.signals import speech_like

    count, repeat = (200, 3) if quick else (1000, 7)
    messages = carrier.messages(count)
    tts = speech_like(count * 0.04 + 0.04, OUT_RATE, seed=2).tobytes()
    chunk = OUT_RATE * 2 * 40 // 1000
    frames = [OutputAudioRawFrame(tts[i * chunk:(i + 1) * chunk], OUT_RATE, 1)
              for i in range(count)]
    group = f"pipecat serializer, {carrier.name} {carrier.codec}"
    return [
        Row(group, "deserialize 1 msg -> 16k", PEER,
            _best_us(carrier.stock, "deserialize", messages, repeat),
            _best_us(carrier.ours, "deserialize", messages, repeat), "us/msg",
            higher_is_better=False),
        Row(group, "serialize 40 ms 24k frame", PEER,
            _best_us(carrier.stock, "serialize", frames, repeat),
            _best_us(carrier.ours, "serialize", frames, repeat), "us/msg",
            higher_is_better=False),
        Row(group, "first frame after start", PEER, _first_frame(carrier.stock, messages[:50]),
            _first_frame(carrier.ours, messages[:50]), "message no.",
            higher_is_better=False, note="the first message's audio is 1"),
    ]


# --------------------------------------------------------------------------
# First audio frame in a real pipeline
# --------------------------------------------------------------------------


async def _pipeline_first_frame_ms(make: Callable[[], Any], messages: list,
                                   interval: float) -> float | None:
    """One call: uvicorn + FastAPI + pipecat's FastAPIWebsocketTransport with
    the serializer ``make()`` builds, fed ``messages`` ``interval`` s apart."""
    import uvicorn
    import websockets
    from fastapi import FastAPI, WebSocket
    from pipecat.frames.frames import Frame, InputAudioRawFrame
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
    from pipecat.transports.websocket.fastapi import (FastAPIWebsocketParams,
                                                      FastAPIWebsocketTransport)

    seen: dict[str, float] = {}
    heard = asyncio.Event()

    class Probe(FrameProcessor):
        async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
            await super().process_frame(frame, direction)
            if isinstance(frame, InputAudioRawFrame) and "frame" not in seen:
                seen["frame"] = time.perf_counter()
                heard.set()
            await self.push_frame(frame, direction)

    app = FastAPI()

    # (no `from __future__ import annotations` in this module: FastAPI reads
    # this annotation, and WebSocket is a local name)
    @app.websocket("/ws")
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        serializer = make()
        deserialize = serializer.deserialize

        async def timed(data: Any) -> Any:
            seen.setdefault("message", time.perf_counter())
            return await deserialize(data)
        serializer.deserialize = timed
        transport = FastAPIWebsocketTransport(websocket, FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=False, add_wav_header=False,
            serializer=serializer))
        worker = PipelineWorker(Pipeline([transport.input(), Probe()]),
                                params=PipelineParams(audio_in_sample_rate=RATE,
                                                      audio_out_sample_rate=RATE))

        @transport.event_handler("on_client_disconnected")
        async def gone(transport: Any, websocket: Any) -> None:
            await worker.cancel()
        from pipecat.workers.runner import WorkerRunner
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        await runner.run()

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
            t0 = time.perf_counter()
            for i, m in enumerate(messages):
                await asyncio.sleep(max(0.0, t0 + interval * i - time.perf_counter()))
                await ws.send(m)
                if heard.is_set():
                    break
            try:
                await asyncio.wait_for(heard.wait(), 1.0)
            except asyncio.TimeoutError:
                return None
        return (seen["frame"] - seen["message"]) * 1000
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def pipeline_rows(carrier: Carrier, quick: bool) -> list[Row]:
    runs = 1 if quick else 3
    messages = carrier.messages(500 // carrier.message_ms)       # half a second

    def median_ms(make: Callable[[], Any]) -> float | None:
        got = [asyncio.run(_pipeline_first_frame_ms(make, messages, carrier.message_ms / 1000))
               for _ in range(runs)]
        got = [g for g in got if g is not None]
        return statistics.median(got) if got else None
    return [Row(f"pipecat pipeline, {carrier.name} {carrier.codec}",
                "first audio frame", PEER, median_ms(carrier.stock), median_ms(carrier.ours),
                "ms", higher_is_better=False,
                note="after the first media message, real time")]


def rows(quick: bool) -> list[Row]:
    try:
        import pipecat  # noqa: F401

        import streamcodec.pipecat  # noqa: F401
    except ImportError as exc:
        return [Row("pipecat", "all", PEER, None, None, "-",
                    note=f"pipecat-ai not installed ({exc})")]
    from loguru import logger

    logger.remove()          # pipecat logs every object it makes at DEBUG
    out = resampler_rows(quick)
    carriers = [make() for make in CARRIERS]
    for carrier in carriers:
        out.extend(serializer_rows(carrier, quick))
    for carrier in carriers:
        out.extend(pipeline_rows(carrier, quick))
    return out


# --------------------------------------------------------------------------
# Instructions per message, under callgrind (--callgrind)
# --------------------------------------------------------------------------

#: Messages (and frames) per counted loop.
_COUNTED = 200


def _counted_loops(side: str) -> list[str]:
    """Run under callgrind: for each carrier, deserialize then serialize
    ``_COUNTED`` items through a fresh serializer of ``side`` ("stock" or
    "ours"), each loop between two markers (os.getppid, where callgrind
    dumps); the serializer and input are made, and one warm-up loop run,
    outside them.  Returns the loops' names in order."""
    import gc
    import os

    from loguru import logger
    from pipecat.frames.frames import OutputAudioRawFrame

    from streamcodec.signals import speech_like

    logger.remove()
    tts = speech_like(_COUNTED * 0.04 + 0.04, OUT_RATE, seed=2).tobytes()
    chunk = OUT_RATE * 2 * 40 // 1000
    frames = [OutputAudioRawFrame(tts[i * chunk:(i + 1) * chunk], OUT_RATE, 1)
              for i in range(_COUNTED)]
    names = []
    for make_carrier in CARRIERS:
        carrier = make_carrier()
        make = carrier.stock if side == "stock" else carrier.ours
        messages = carrier.messages(_COUNTED)
        for method, items in (("deserialize", messages), ("serialize", frames)):
            warm, counted = (asyncio.run(_setup(make())) for _ in range(2))

            async def loop(s: Any, call: str = method, items: list = items) -> None:
                f = getattr(s, call)
                for item in items:
                    await f(item)
            runner = asyncio.new_event_loop()
            runner.run_until_complete(loop(warm))
            gc.collect()
            gc.disable()
            os.getppid()
            runner.run_until_complete(loop(counted))
            os.getppid()
            gc.enable()
            runner.close()
            names.append(f"{carrier.name} {method}")
    return names


def callgrind_rows() -> list[Row]:
    """Instructions per message, stock against ours, for every carrier: the
    figure that does not move with the machine's load.  The event loop's
    own cost per awaited call is in both."""
    import os
    import subprocess
    import sys
    import tempfile

    from callgrind_calls import MARKER, _part_totals

    counts: dict[str, dict[str, float]] = {}
    names: list[str] = []
    for side in ("stock", "ours"):
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "cg.out")
            run = subprocess.run(["valgrind", "--tool=callgrind",
                                  f"--callgrind-out-file={prefix}", f"--dump-before={MARKER}",
                                  sys.executable, os.path.abspath(__file__), "--count", side],
                                 capture_output=True, text=True,
                                 env=dict(os.environ, PYTHONHASHSEED="0"))
            if run.returncode:
                raise RuntimeError(run.stderr[-2000:])
            names = run.stdout.split("\n")[-2].split(";")
            # part 1 is start-up; then per loop: [the loop], [the gap to the next]
            loops = _part_totals(prefix)[1::2]
        counts[side] = {n: total / _COUNTED for n, total in zip(names, loops)}
    out = []
    for name in names:
        carrier, method = name.rsplit(" ", 1)
        case = "deserialize 1 msg" if method == "deserialize" else "serialize 40 ms 24k"
        out.append(Row(f"pipecat serializer, {carrier}, callgrind", case, PEER,
                       counts["stock"][name], counts["ours"][name], "instr/msg",
                       higher_is_better=False))
    return out


if __name__ == "__main__":
    import sys

    from report import print_rows
    if "--count" in sys.argv:
        print(";".join(_counted_loops(sys.argv[sys.argv.index("--count") + 1])))
    elif "--callgrind" in sys.argv:
        print_rows(callgrind_rows())
    else:
        print_rows(rows("--quick" in sys.argv))
