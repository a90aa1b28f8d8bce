"""Per-stream counters (:class:`CallStats`) and the CPU clock they use."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

def _timer_cost() -> int:
    """Nanoseconds one ``thread_time_ns`` reading adds to an interval."""
    best = None
    for _ in range(200):
        a = time.thread_time_ns()
        b = time.thread_time_ns()
        if best is None or b - a < best:
            best = b - a
    return best or 0


_cpu_ns = time.thread_time_ns

#: The per-message CPU figures time one message in 8 (messages whose count
#: has these bits clear): the thread CPU clock costs a system call.
CPU_SAMPLE_MASK = 7
_TIMER_COST = _timer_cost()


@dataclass
class CallStats:
    """Counters of one stream, kept by the server.

    ``cpu_in_ns`` is the CPU time spent in
    :meth:`MediaStream.feed <streamcodec.stream.MediaStream.feed>`
    (JSON, base64, decode, resample), ``cpu_out_ns`` in ``play``/``mark``/
    ``flush`` (resample, encode, base64, JSON), over the
    ``cpu_in_messages`` / ``cpu_out_messages`` timed (one in 8: the clock is
    a system call); WebSocket framing is not included (see
    bench/compare_server.py for the whole).
    """

    peer: str = ""
    carrier: Optional[str] = None
    """The carrier the connection spoke (``"telnyx"``, ``"twilio"``, ...)."""
    stream_id: Optional[str] = None
    codec: Optional[str] = None
    playback_codec: Optional[str] = None
    playback_rate: Optional[int] = None
    rate: Optional[int] = None
    started: float = field(default_factory=time.monotonic)
    ended: Optional[float] = None
    messages_in: int = 0
    bytes_in: int = 0
    media_in: int = 0
    """Media events handed to the application (concealed ones included)."""
    messages_out: int = 0
    media_out: int = 0
    play_calls: int = 0
    """Calls of :meth:`Call.play` / :meth:`Call.play_nowait`."""
    bytes_out: int = 0
    dtmf: int = 0
    marks_sent: int = 0
    marks_echoed: int = 0
    rejected: int = 0
    """Messages refused as malformed (not JSON, missing fields, ...)."""
    overflow: int = 0
    """Events dropped because the application fell behind the queue bound."""
    cpu_in_ns: int = 0
    cpu_in_messages: int = 0
    cpu_out_ns: int = 0
    cpu_out_messages: int = 0
    tracks: dict = field(default_factory=dict)
    """Per-track :class:`~streamcodec.telnyx.session.TrackStats`."""
    stop_received: bool = False
    close_code: Optional[int] = None
    close_reason: str = ""
    error: Optional[str] = None

    @property
    def duration(self) -> float:
        end = self.ended if self.ended is not None else time.monotonic()
        return end - self.started

    @property
    def us_per_message_in(self) -> float:
        """CPU microseconds per inbound message spent in the session."""
        n = self.cpu_in_messages
        return self.cpu_in_ns / 1000 / n if n else 0.0

    @property
    def us_per_message_out(self) -> float:
        """CPU microseconds per outbound message spent in the session."""
        n = self.cpu_out_messages
        return self.cpu_out_ns / 1000 / n if n else 0.0

    def summary(self) -> str:
        """One log line."""
        parts = [f"stream {self.stream_id or '?'} from {self.peer or '?'}",
                 f"{self.carrier or '?'} {self.codec or '?'} -> app {self.rate} Hz, playback "
                 f"{self.playback_codec}@{self.playback_rate}"]
        for name, t in sorted(self.tracks.items()):
            parts.append(f"{name}: {t.received} received, {t.lost} lost, {t.concealed} concealed, "
                         f"{t.late} late, {t.duplicate} duplicate, {t.too_late} too late, "
                         f"{t.bad} bad")
        parts.append(f"in {self.messages_in} msgs/{self.bytes_in} B, "
                     f"{self.us_per_message_in:.1f} us CPU/msg")
        parts.append(f"out {self.messages_out} msgs/{self.bytes_out} B, "
                     f"{self.us_per_message_out:.1f} us CPU/msg")
        parts.append(f"{self.dtmf} dtmf, {self.marks_sent} marks sent, "
                     f"{self.marks_echoed} echoed, {self.rejected} rejected, "
                     f"{self.overflow} overflow")
        parts.append(f"{self.duration:.2f} s, {'stop' if self.stop_received else 'no stop'}, "
                     f"close {self.close_code}{' ' + self.close_reason if self.close_reason else ''}")
        if self.error:
            parts.append(f"error: {self.error}")
        return "; ".join(parts)

