"""Applications that ship with the server (the echo of ``streamcodec
serve``), per-call playback options, and loading ``--app module:function``."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Awaitable, Callable

from ..stream.events import Media, Start, Stop
from .call import Call

App = Callable[[Call], Awaitable[Any]]


class EchoApp:
    """Play back what the caller says (the inbound track) as it arrives,
    with a mark after every second of echoed audio.  It answers each
    message inside the server's read pass (:meth:`Call.listen`), the
    cheapest shape an application can take.

    Custom parameter ``echo_rate`` (Hz) makes the application hand its PCM
    to :meth:`Call.play` at that rate, as a text-to-speech engine working at
    8, 16 or 24 kHz would (it converts with :class:`streamcodec.Resampler`).

    Parameters
    ----------
    record : bool
        Keep the PCM each stream's application heard in
        :attr:`recordings` (stream id -> bytes at ``call.rate``).
    """

    def __init__(self, record: bool = False):
        self.record = record
        #: What each stream's application heard (``record=True``): stream id -> PCM.
        self.recordings: dict[str, bytes] = {}

    async def __call__(self, call: Call) -> None:
        play_rate = call.rate
        resampler = None
        wanted = call.custom_parameters.get("echo_rate")
        if wanted is not None:
            play_rate = int(wanted)
            if play_rate != call.rate:
                from .._resample import Resampler
                resampler = Resampler(call.rate, play_rate)
        heard: list[bytes] = []
        echoed = 0              # samples at call.rate (frames are 20 ms, Exotel's 100 ms)
        second = call.rate
        play = call.play_nowait

        def on_event(event: Any) -> None:
            # Runs in the server's read pass: answer at once, no task switch.
            nonlocal echoed
            if type(event) is Media:
                if event.track != "inbound":
                    return
                # a session's Media always has its PCM (no cast() call per frame)
                pcm: bytes = event.pcm  # type: ignore[assignment]
                out = pcm
                if self.record:
                    heard.append(pcm)
                if resampler is not None:
                    out = resampler.process(pcm)
                play(out, play_rate)
                before, echoed = echoed, echoed + len(pcm) // 2
                if echoed // second > before // second:
                    # flush=False: the echo goes on, so what play() holds
                    # follows the mark rather than being padded with silence.
                    call.mark_nowait(f"echo-{echoed // second}s", flush=False)
            elif isinstance(event, Stop):
                if resampler is not None:
                    call.play_nowait(resampler.flush(), play_rate)
                call.flush_nowait()

        try:
            await call.listen(on_event)
            await call.flush()             # wait until the last echo has been sent
        finally:
            if self.record:
                self.recordings[call.stream_id or ""] = b"".join(heard)


#: The default application of ``streamcodec serve``.
echo_app = EchoApp()


def playback_from_parameters(start: Start) -> dict:
    """Session options from the ``start`` frame's custom parameters
    ``playback_codec`` and ``playback_rate``, for a server whose calls play
    back in different codecs (the demo, tests).  Use as
    ``CallHandler(app, session_options=playback_from_parameters)``."""
    params = start.custom_parameters
    options: dict[str, Any] = {}
    if "playback_codec" in params:
        options["playback_codec"] = str(params["playback_codec"])
    if "playback_rate" in params:
        options["playback_rate"] = int(params["playback_rate"])
    return options


def load_app(spec: str) -> App:
    """Import ``"module:function"`` (or ``"module.function"``) as an
    application.  The working directory comes first on ``sys.path``, as
    uvicorn does, so ``--app mybot:app`` finds ``./mybot.py``."""
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"--app must look like 'module:function', got {spec!r}")
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name == "streamcodec._core" or "streamcodec._core" in str(exc):
            raise ValueError(
                f"cannot import {module_name!r} for --app {spec}: {exc}. A streamcodec source "
                "tree without its compiled core was imported instead of the installed "
                "package: install it (pip install . or pip install streamcodec) and run from "
                "a folder outside the source tree") from None
        raise ValueError(f"cannot import {module_name!r} for --app {spec}: {exc}") from None
    try:
        app = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(app):
        raise ValueError(f"{spec} is not callable")
    return app
