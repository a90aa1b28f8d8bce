"""An echo bot on pipecat for the Vonage Voice API's WebSocket, through
streamcodec's VonageFrameSerializer.

The one change from pipecat's own Vonage bot is the serializer's import.
The NCCO's ``connect`` to ``{"type": "websocket", "uri": "wss://.../ws?rate=16000",
"content-type": "audio/l16;rate=16000"}`` names the rate (8000 or 16000); the
serializer reads Vonage's ``websocket:connected`` itself.  Vonage plays
binary frames of exactly 20 ms, so the transport hands over 20 ms chunks.
The pipeline plays the caller's audio back; ``#`` interrupts the bot
(``{"action": "clear"}``).

Run it, and call it locally with streamcodec's Vonage stand-in::

    python examples/vonage_bot.py --port 8765
    streamcodec simulate "ws://127.0.0.1:8765/ws?rate=16000" --carrier vonage \\
        --rate 16000 --dtmf 1# --out heard.wav

Needs ``pip install 'streamcodec[pipecat]' fastapi uvicorn``.
"""

from __future__ import annotations

from typing import Optional

from fastapi import FastAPI, WebSocket
from pipecat_echo import CallLog, echo_app, serve

from streamcodec.pipecat import VonageFrameSerializer   # was: pipecat.serializers.vonage


def create_app(*, sample_rate: int = 16000, calls: Optional[list] = None) -> FastAPI:
    """The FastAPI application: Vonage's WebSocket at ``/ws`` (``?rate=``
    8000 or 16000, as in the NCCO); the pipeline hears and plays at
    ``sample_rate``; each call's :class:`CallLog` is appended to ``calls``
    when it ends."""

    async def open_call(websocket: WebSocket):
        rate = int(websocket.query_params.get("rate", 16000))
        serializer = VonageFrameSerializer(
            params=VonageFrameSerializer.InputParams(vonage_sample_rate=rate))
        log = CallLog(stream_id="vonage", encoding="L16", playback_codec="L16")
        # Vonage plays whole 20 ms frames; no closing silence.
        return serializer, log, {"audio_out_10ms_chunks": 2, "audio_out_end_silence_secs": 0}

    return echo_app(open_call, sample_rate=sample_rate, calls=calls)


if __name__ == "__main__":
    serve(lambda args: create_app(sample_rate=args.sample_rate), __doc__)
