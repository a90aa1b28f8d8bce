"""An echo bot on pipecat for Plivo audio streams, through streamcodec's
PlivoFrameSerializer.

The one change from pipecat's own Plivo bot is the serializer's import, plus
Plivo's other formats: the ``<Stream contentType>`` may be
``audio/x-mulaw;rate=8000`` (pipecat's only one), ``audio/x-l16;rate=8000``
or ``audio/x-l16;rate=16000``, both ways.  The bot reads Plivo's ``start``
itself (pipecat's runner reads two messages, and with Plivo the second is
the first 20 ms of the caller's audio, lost) and hands it to the serializer,
whose session takes the stream's format from it.  The pipeline plays the
caller's audio back; ``#`` interrupts the bot (``clearAudio``).  With
``PLIVO_AUTH_ID`` and ``PLIVO_AUTH_TOKEN`` in the environment the serializer
hangs up through Plivo's REST API when the pipeline ends.

Run it, and call it locally with streamcodec's Plivo stand-in::

    python examples/plivo_bot.py --port 8765
    streamcodec simulate ws://127.0.0.1:8765/ws --carrier plivo --codec L16 \\
        --rate 16000 --dtmf 1# --out heard.wav

Needs ``pip install 'streamcodec[pipecat]' fastapi uvicorn``.
"""

from __future__ import annotations

import json
import os
from typing import Optional

from fastapi import FastAPI, WebSocket
from pipecat_echo import CallLog, echo_app, serve

from streamcodec.pipecat import PlivoFrameSerializer   # was: pipecat.serializers.plivo


def create_app(*, sample_rate: int = 16000, calls: Optional[list] = None) -> FastAPI:
    """The FastAPI application: Plivo's WebSocket at ``/ws``; the pipeline
    hears and plays at ``sample_rate``; each call's :class:`CallLog` is
    appended to ``calls`` when it ends."""

    async def open_call(websocket: WebSocket):
        start_text = await websocket.receive_text()      # Plivo's first message: start
        start = json.loads(start_text)["start"]
        auth_id = os.environ.get("PLIVO_AUTH_ID")
        auth_token = os.environ.get("PLIVO_AUTH_TOKEN")
        media_format = start.get("mediaFormat", {})
        codec = "PCMU" if "mulaw" in media_format.get("encoding", "mulaw") else "L16"
        rate = int(media_format.get("sampleRate", 8000))
        serializer = PlivoFrameSerializer(
            stream_id=start["streamId"], call_id=start["callId"],
            auth_id=auth_id, auth_token=auth_token,
            params=PlivoFrameSerializer.InputParams(
                content_type=f"audio/x-{'mulaw' if codec == 'PCMU' else 'l16'};rate={rate}",
                auto_hang_up=bool(auth_id and auth_token)))
        await serializer.deserialize(start_text)        # the session follows the start
        log = CallLog(stream_id=start["streamId"], encoding=codec, playback_codec=codec)
        # The pipeline ends when Plivo stops the stream: no closing silence.
        return serializer, log, {"audio_out_end_silence_secs": 0}

    return echo_app(open_call, sample_rate=sample_rate, calls=calls)


if __name__ == "__main__":
    serve(lambda args: create_app(sample_rate=args.sample_rate), __doc__)
