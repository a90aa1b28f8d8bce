"""An echo bot on pipecat for Twilio Media Streams, through streamcodec's
TwilioFrameSerializer.

The one change from pipecat's own Twilio bot is the serializer's import.
FastAPI serves the WebSocket ``<Connect><Stream url="wss://.../ws">``
points at; pipecat's runner reads Twilio's ``connected`` and ``start``; the
pipeline plays the caller's audio back; ``#`` interrupts the bot (Twilio
``clear``).  With ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` in the
environment the serializer hangs the call up through Twilio's REST API when
the pipeline ends, as pipecat's does.

Run it, and call it locally with streamcodec's Twilio stand-in::

    python examples/twilio_bot.py --port 8765
    streamcodec simulate ws://127.0.0.1:8765/ws --carrier twilio --dtmf 1# --out heard.wav

Needs ``pip install 'streamcodec[pipecat]' fastapi uvicorn``.
"""

from __future__ import annotations

import os
from typing import Optional

from fastapi import FastAPI, WebSocket
from pipecat.runner.utils import parse_telephony_websocket
from pipecat_echo import CallLog, echo_app, serve

from streamcodec.pipecat import TwilioFrameSerializer   # was: pipecat.serializers.twilio


def create_app(*, sample_rate: int = 16000, calls: Optional[list] = None) -> FastAPI:
    """The FastAPI application: Twilio's WebSocket at ``/ws``; the pipeline
    hears and plays at ``sample_rate``; each call's :class:`CallLog` is
    appended to ``calls`` when it ends."""

    async def open_call(websocket: WebSocket):
        _, call = await parse_telephony_websocket(websocket)   # reads connected + start
        account_sid = os.environ.get("TWILIO_ACCOUNT_SID")
        auth_token = os.environ.get("TWILIO_AUTH_TOKEN")
        serializer = TwilioFrameSerializer(
            stream_sid=call["stream_id"], call_sid=call["call_id"],
            account_sid=account_sid, auth_token=auth_token,
            params=TwilioFrameSerializer.InputParams(
                auto_hang_up=bool(account_sid and auth_token)))
        log = CallLog(stream_id=call["stream_id"], encoding="PCMU", playback_codec="PCMU")
        # The pipeline ends when Twilio stops the stream: no closing silence.
        return serializer, log, {"audio_out_end_silence_secs": 0}

    return echo_app(open_call, sample_rate=sample_rate, calls=calls)


if __name__ == "__main__":
    serve(lambda args: create_app(sample_rate=args.sample_rate), __doc__)
