"""An echo bot on pipecat for Exotel's Voicebot applet, through streamcodec's
ExotelFrameSerializer.

The one change from pipecat's own Exotel bot is the serializer's import, plus
the output chunk: Exotel wants each media message at least 3.2 KB and a
multiple of 320 bytes (200 ms at 8 kHz, 100 ms at 16 kHz, 80 ms at 24 kHz),
so the transport hands over chunks of that length and each becomes one
message.  The stream URL's ``sample-rate`` (8000, 16000 or 24000) picks the
rate, as Exotel's does; pipecat's runner reads ``connected`` and ``start``;
the pipeline plays the caller's audio back; ``#`` interrupts (``clear``).

Run it, and call it locally with streamcodec's Exotel stand-in::

    python examples/exotel_bot.py --port 8765
    streamcodec simulate "ws://127.0.0.1:8765/ws?sample-rate=16000" --carrier exotel \\
        --rate 16000 --dtmf 1# --out heard.wav

Needs ``pip install 'streamcodec[pipecat]' fastapi uvicorn``.
"""

from __future__ import annotations

from typing import Optional

from fastapi import FastAPI, WebSocket
from pipecat.runner.utils import parse_telephony_websocket
from pipecat_echo import CallLog, echo_app, serve

from streamcodec.exotel import playback_ptime
from streamcodec.pipecat import ExotelFrameSerializer   # was: pipecat.serializers.exotel


def create_app(*, sample_rate: int = 16000, calls: Optional[list] = None) -> FastAPI:
    """The FastAPI application: Exotel's WebSocket at ``/ws`` (with its
    ``sample-rate`` query); the pipeline hears and plays at ``sample_rate``;
    each call's :class:`CallLog` is appended to ``calls`` when it ends."""

    async def open_call(websocket: WebSocket):
        rate = int(websocket.query_params.get("sample-rate", 8000))
        _, call = await parse_telephony_websocket(websocket)   # reads connected + start
        serializer = ExotelFrameSerializer(
            stream_sid=call["stream_id"], call_sid=call["call_id"],
            params=ExotelFrameSerializer.InputParams(exotel_sample_rate=rate))
        log = CallLog(stream_id=call["stream_id"], encoding="L16", playback_codec="L16")
        # One whole Exotel message per chunk; the pipeline ends when Exotel
        # stops the stream: no closing silence.
        return serializer, log, {"audio_out_10ms_chunks": playback_ptime("L16", rate) // 10,
                                 "audio_out_end_silence_secs": 0}

    return echo_app(open_call, sample_rate=sample_rate, calls=calls)


if __name__ == "__main__":
    serve(lambda args: create_app(sample_rate=args.sample_rate), __doc__)
