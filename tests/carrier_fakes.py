"""Media-stream servers for each carrier, written here from the carriers'
documentation (CARRIERS.md sections 1.1-1.5), independent of both the
simulator's carrier modules and streamcodec's server: each one reads the
carrier's messages, checks their numbering and fields as the docs describe
them, echoes the caller's audio back in the carrier's playback form, and
sends a mark (checkpoint, notify) after every second of echoed audio.

They hold the simulator's carrier side to a second reading of the docs;
the real server is held to the simulator in test_simulate_carriers.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any, Optional


class FakeCarrierServer:
    """Echo server of one carrier's dialect on 127.0.0.1.

    ``problems`` collects what the caller sent that the docs do not allow;
    ``messages`` every message received (decoded JSON, or bytes);
    ``script(ws, fake)``, when given, runs after the start instead of the
    echo (to send marks, clears, or broken messages)."""

    def __init__(self, carrier: str, mark_every: int = 50, script=None, in_order: bool = True):
        self.carrier = carrier
        self.in_order = in_order        # check chunks arrive 1, 2, 3... (no impairments)
        self.chunks: list[int] = []     # chunk numbers as they arrived
        self.mark_every = mark_every
        self.script = script
        self.messages: list[Any] = []
        self.problems: list[str] = []
        self.headers: dict[str, str] = {}
        self.media_in = 0
        self.media_times: list[float] = []      # when each media message arrived
        self.echoed_bytes = 0
        self.marks_sent: list[str] = []
        self.acks: list[Any] = []
        self.sid: Optional[str] = None
        self.format: Any = None
        self.server = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------

    async def __aenter__(self) -> "FakeCarrierServer":
        from websockets.asyncio.server import serve
        self.server = await serve(self.handler, "127.0.0.1", 0, compression=None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/media"

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)

    # -- the server -------------------------------------------------------

    async def handler(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed
        self.headers = {k.lower(): v for k, v in ws.request.headers.raw_items()}
        self.ws = ws
        self.pending = b""          # Exotel: echo held until a whole chunk
        task = None
        try:
            async for message in ws:
                if isinstance(message, str):
                    message = json.loads(message)
                if isinstance(message, bytes) or message.get("event") == "media":
                    self.media_times.append(time.monotonic())
                self.messages.append(message)
                started = await getattr(self, "on_" + self.carrier)(message)
                if started and self.script is not None:
                    task = asyncio.create_task(self.script(ws, self))
                if self.carrier in ("twilio", "signalwire", "exotel") and \
                        isinstance(message, dict) and message.get("event") == "stop":
                    break
        except ConnectionClosed:
            pass
        if task is not None:
            await task
        await ws.close()

    async def send(self, message: Any) -> None:
        await self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    async def echoed(self, n_bytes: int, mark: dict) -> None:
        """After echoing: a mark once per ``mark_every`` inbound messages."""
        self.echoed_bytes += n_bytes
        if self.script is None and self.media_in % self.mark_every == 0:
            name = f"second-{self.media_in // self.mark_every}"
            self.marks_sent.append(name)
            await self.send(json.loads(json.dumps(mark).replace("NAME", name)))

    def check_seq(self, message: dict, key: str, as_text: bool) -> None:
        """Sequence numbers start at 1 on the first numbered message and go up by one."""
        numbered = [m for m in self.messages if isinstance(m, dict) and key in m]
        want = len(numbered)
        got = message.get(key)
        expected = str(want) if as_text else want
        if got != expected:
            self.problem(f"{key} {got!r}, expected {expected!r}")

    # Twilio and SignalWire (section 1.1, 1.5): connected, then start with
    # sequenceNumber "1"; numbers are strings; streamSid on every message.
    # SignalWire's <Stream> page differs in its examples: connected's version
    # is "0.2.0" (Twilio's "1.0.0"); start, media and stop are numbered and
    # name no stream at the top, dtmf and mark name it and are not numbered.
    async def on_twilio(self, m: dict) -> bool:
        event = m.get("event")
        signalwire = self.carrier == "signalwire"
        if len(self.messages) == 1:
            version = "0.2.0" if signalwire else "1.0.0"
            if m != {"event": "connected", "protocol": "Call", "version": version}:
                self.problem(f"first message {m}")
            return False
        numbered = not signalwire or event in ("start", "media", "stop")
        if numbered:
            self.check_seq(m, "sequenceNumber", as_text=True)
        elif "sequenceNumber" in m:
            self.problem(f"{event} numbered")
        if event == "start":
            self.sid = m["start"]["streamSid"]
            self.format = m["start"]["mediaFormat"]
            return True
        if m.get("streamSid") != (None if signalwire and numbered else self.sid):
            self.problem(f"{event} with streamSid {m.get('streamSid')!r}")
        if event == "media":
            self.media_in += 1
            media = m["media"]
            self.chunks.append(int(media["chunk"]))
            if self.in_order and (media["chunk"] != str(self.media_in) or
                                  media["timestamp"] != str(20 * (self.media_in - 1))):
                self.problem(f"chunk {media['chunk']!r} timestamp {media['timestamp']!r}")
            if self.script is None:
                await self.send({"event": "media", "streamSid": self.sid,
                                 "media": {"payload": media["payload"]}})
                await self.echoed(len(base64.b64decode(media["payload"])),
                                  {"event": "mark", "streamSid": self.sid,
                                   "mark": {"name": "NAME"}})
        elif event == "mark":
            self.acks.append(m["mark"]["name"])
        return False

    on_signalwire = on_twilio

    # Plivo (section 1.2): start first (sequenceNumber 1, a number), media
    # with streamId and chunk numbers, playAudio back with its content type.
    async def on_plivo(self, m: dict) -> bool:
        event = m.get("event")
        self.check_seq(m, "sequenceNumber", as_text=False)
        if event == "start":
            if len(self.messages) != 1:
                self.problem("start is not the first message")
            self.sid = m["start"]["streamId"]
            self.format = m["start"]["mediaFormat"]
            return True
        if m.get("streamId") != self.sid:
            self.problem(f"{event} without the streamId")
        if event == "media":
            self.media_in += 1
            media = m["media"]
            self.chunks.append(media["chunk"])
            if self.in_order and media["chunk"] != self.media_in or \
                    not media["timestamp"].isdigit():
                self.problem(f"chunk {media['chunk']!r} timestamp {media['timestamp']!r}")
            if self.script is None:
                await self.send({"event": "playAudio", "media": {
                    "contentType": self.format["encoding"],
                    "sampleRate": self.format["sampleRate"], "payload": media["payload"]}})
                await self.echoed(len(base64.b64decode(media["payload"])),
                                  {"event": "checkpoint", "streamId": self.sid, "name": "NAME"})
        elif event in ("playedStream", "clearedAudio"):
            self.acks.append(m)
        return False

    # Exotel (section 1.4): connected, start; snake_case; 100 ms per media;
    # what goes back: >= 3200 bytes, a multiple of 320.
    async def on_exotel(self, m: dict) -> bool:
        event = m.get("event")
        if len(self.messages) == 1:
            if event != "connected":
                self.problem(f"first message {m}")
            return False
        self.check_seq(m, "sequence_number", as_text=False)
        if event == "start":
            self.sid = m["stream_sid"]
            self.format = m["start"]["media_format"]
            if m["start"]["stream_sid"] != self.sid:
                self.problem("start.stream_sid differs")
            return True
        if m.get("stream_sid") != self.sid:
            self.problem(f"{event} without the stream_sid")
        if event == "media":
            self.media_in += 1
            media = m["media"]
            self.chunks.append(media["chunk"])
            if self.in_order and (media["chunk"] != self.media_in or
                                  media["timestamp"] != str(100 * (self.media_in - 1))):
                self.problem(f"chunk {media['chunk']!r} timestamp {media['timestamp']!r}")
            if self.script is None:
                self.pending += base64.b64decode(media["payload"])
                while len(self.pending) >= 3200:
                    await self.play_exotel(self.pending[:3200])
                    self.pending = self.pending[3200:]
        elif event == "stop":
            if self.pending:            # the rest, padded with silence to a whole chunk
                await self.play_exotel(self.pending + bytes(3200 - len(self.pending)))
                self.pending = b""
        elif event == "mark":
            self.acks.append(m["mark"]["name"])
        return False

    async def play_exotel(self, chunk: bytes) -> None:
        await self.send({"event": "media", "stream_sid": self.sid,
                         "media": {"payload": base64.b64encode(chunk).decode()}})
        self.echoed_bytes += len(chunk)
        if self.echoed_bytes % 6400 == 0:          # a mark after every other chunk
            name = f"at-{self.echoed_bytes}"
            self.marks_sent.append(name)
            await self.send({"event": "mark", "stream_sid": self.sid, "mark": {"name": name}})

    # Vonage (section 1.3): websocket:connected text first, then binary
    # 20 ms frames; echo them; notify as the mark.
    async def on_vonage(self, m: Any) -> bool:
        if len(self.messages) == 1:
            if not isinstance(m, dict) or m.get("event") != "websocket:connected":
                self.problem(f"first message {m!r}")
                return False
            self.format = m["content-type"]
            return True
        if isinstance(m, bytes):
            self.media_in += 1
            rate = int(self.format.split("rate=")[1])
            if len(m) != 2 * rate // 50:
                self.problem(f"binary frame of {len(m)} bytes at {rate} Hz")
            if self.script is None:
                await self.send(m)
                await self.echoed(len(m), {"action": "notify", "payload": {"name": "NAME"}})
        elif m.get("event") in ("websocket:notify", "websocket:cleared"):
            self.acks.append(m)
        return False
