"""An echo bot on pipecat that takes Telnyx calls in every codec, through
streamcodec's TelnyxFrameSerializer.

FastAPI serves the WebSocket Telnyx streams to; pipecat's runner reads the
``connected`` and ``start`` frames, then pipecat's FastAPIWebsocketTransport
runs a pipeline that plays the caller's audio back to them.  Pressing ``#``
interrupts the bot: pipecat's InterruptionFrame, which the serializer sends
to Telnyx as ``clear``.

Run it, and call it locally with streamcodec's Telnyx stand-in::

    python examples/pipecat_echo.py --port 8765 --playback-codec G722
    streamcodec simulate ws://127.0.0.1:8765/ws --codec PCMA --playback-codec G722 \\
        --dtmf 12 --out heard.wav

Needs ``pip install 'streamcodec[pipecat]' fastapi uvicorn``.  OPUS playback
(``--playback-codec OPUS``) runs the transport with 20 ms output chunks: Telnyx
plays one 20 ms Opus packet per message.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from fastapi import FastAPI, WebSocket
from loguru import logger
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InputTransportMessageFrame,
    OutputAudioRawFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

from streamcodec.pipecat import PLAYBACK_MARK, TelnyxFrameSerializer, playback_mark


@dataclass
class CallLog:
    """What the bot saw of one call."""

    stream_id: str = ""
    encoding: str = ""               # what Telnyx sends
    playback_codec: str = ""         # what the bot sends back
    samples_in: int = 0              # audio received, at the pipeline's rate
    audio_frames: int = 0            # InputAudioRawFrames
    first_frame_samples: Optional[int] = None
    keys: list = field(default_factory=list)
    interruptions: int = 0           # times the bot interrupted itself
    acks: list = field(default_factory=list)    # the carrier's acks of the playback marks
    media: dict = field(default_factory=dict)   # the serializer's per-track counters


class Echo(FrameProcessor):
    """Plays every InputAudioRawFrame back, with a playback mark after each
    half second of it (the carrier's acks land in ``log.acks``); ``#``
    interrupts."""

    def __init__(self, log: CallLog):
        super().__init__()
        self.log = log

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            log = self.log
            samples = len(frame.audio) // 2
            if log.first_frame_samples is None:
                log.first_frame_samples = samples
            half_seconds = log.samples_in * 2 // frame.sample_rate
            log.samples_in += samples
            log.audio_frames += 1
            await self.push_frame(OutputAudioRawFrame(audio=frame.audio,
                                                      sample_rate=frame.sample_rate,
                                                      num_channels=1))
            if log.samples_in * 2 // frame.sample_rate > half_seconds:
                await self.push_frame(playback_mark(f"{500 * (half_seconds + 1)} ms"))
            return
        if isinstance(frame, InputTransportMessageFrame) and \
                frame.message.get("type") == PLAYBACK_MARK:
            self.log.acks.append(frame.message)
        if isinstance(frame, InputDTMFFrame):
            self.log.keys.append(frame.button.value)
            if frame.button.value == "#":
                self.log.interruptions += 1
                await self.broadcast_interruption()
        await self.push_frame(frame, direction)


async def echo_call(websocket: WebSocket, serializer: FrameSerializer, log: CallLog,
                    sample_rate: int = 16000, out_sample_rate: Optional[int] = None,
                    **transport_params: Any) -> None:
    """Run one call's echo pipeline on pipecat's FastAPIWebsocketTransport
    until the caller hangs up; fills ``log`` (the serializer's counters
    too).  ``transport_params`` go to ``FastAPIWebsocketParams``."""
    transport = FastAPIWebsocketTransport(websocket, FastAPIWebsocketParams(
        audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
        serializer=serializer, **transport_params))
    worker = PipelineWorker(
        Pipeline([transport.input(), Echo(log), transport.output()]),
        params=PipelineParams(audio_in_sample_rate=sample_rate,
                              audio_out_sample_rate=out_sample_rate or sample_rate))

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport, websocket):
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    try:
        await runner.run()
    finally:
        log.media = serializer.stats
        logger.info(f"call {log.stream_id}: {log.encoding} in, {log.playback_codec} out, "
                    f"{log.samples_in / sample_rate:.2f} s heard, keys {''.join(log.keys)}")


def echo_app(open_call: Callable[[WebSocket], Awaitable[tuple[FrameSerializer, CallLog,
                                                              dict[str, Any]]]],
             *, sample_rate: int = 16000, out_sample_rate: Optional[int] = None,
             calls: Optional[list] = None) -> FastAPI:
    """A FastAPI application with the carrier's WebSocket at ``/ws``:
    ``open_call(websocket)`` reads what it needs of the call and returns the
    serializer, the call's :class:`CallLog` and transport parameters; the
    echo pipeline runs until the caller hangs up, then the log is appended
    to ``calls``."""
    app = FastAPI()
    calls = calls if calls is not None else []
    app.state.calls = calls

    @app.websocket("/ws")
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        serializer, log, transport_params = await open_call(websocket)
        try:
            await echo_call(websocket, serializer, log, sample_rate, out_sample_rate,
                            **transport_params)
        finally:
            calls.append(log)

    return app


def serve(create_app: Callable[[argparse.Namespace], FastAPI], description: str,
          add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None) -> None:
    """The command line of every example bot: ``--host``, ``--port``,
    ``--sample-rate`` (and ``add_arguments``'), then uvicorn serves
    ``create_app(args)``."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--sample-rate", type=int, default=16000,
                        help="the pipeline's audio rate (default 16000)")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()
    import uvicorn
    uvicorn.run(create_app(args), host=args.host, port=args.port, log_level="warning")


def create_app(*, playback_codec: str = "PCMU", playback_rate: int = 8000,
               sample_rate: int = 16000, out_sample_rate: Optional[int] = None,
               calls: Optional[list] = None) -> FastAPI:
    """The Telnyx echo bot's application: a WebSocket endpoint at ``/ws``.

    ``playback_codec`` / ``playback_rate`` are the stream's
    ``bidirectionalCodec`` / ``bidirectionalSamplingRate`` (a call may name
    its own in the stream URL: ``/ws?playback_codec=OPUS&playback_rate=16000``,
    as the TeXML that starts it sets them); the pipeline
    hears the caller at ``sample_rate`` and plays at ``out_sample_rate``
    (default the same).  Each call's :class:`CallLog` is appended to
    ``calls`` when it ends."""

    async def open_call(websocket: WebSocket):
        codec = websocket.query_params.get("playback_codec", playback_codec)
        rate = int(websocket.query_params.get("playback_rate", playback_rate))
        _, call = await parse_telephony_websocket(websocket)   # reads connected + start
        serializer = TelnyxFrameSerializer(
            stream_id=call["stream_id"],
            outbound_encoding=call["outbound_encoding"],   # what Telnyx sends
            inbound_encoding=codec,                        # what we send back
            call_control_id=call["call_id"],
            params=TelnyxFrameSerializer.InputParams(telnyx_sample_rate=rate,
                                                     auto_hang_up=False))
        log = CallLog(stream_id=call["stream_id"], encoding=call["outbound_encoding"],
                      playback_codec=codec)
        # Telnyx plays OPUS as one 20 ms packet per message.  The pipeline
        # ends when Telnyx stops the stream: no closing silence after that.
        opus = codec.upper() == "OPUS"
        return serializer, log, {"audio_out_10ms_chunks": 2 if opus else 4,
                                 "audio_out_end_silence_secs": 0}

    return echo_app(open_call, sample_rate=sample_rate, out_sample_rate=out_sample_rate,
                    calls=calls)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--playback-codec", default="PCMU", help="bidirectionalCodec")
    parser.add_argument("--playback-rate", type=int, default=8000,
                        help="bidirectionalSamplingRate, for OPUS and L16 (default 8000)")


if __name__ == "__main__":
    serve(lambda args: create_app(playback_codec=args.playback_codec,
                                  playback_rate=args.playback_rate,
                                  sample_rate=args.sample_rate), __doc__, _arguments)
