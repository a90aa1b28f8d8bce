"""The API reference's one list of public modules, and the pages made from it.

Every module of streamcodec that defines ``__all__`` is public and gets one
page, ``api/<module>.md``, written from :data:`API_MODULES` when the site is
built (the pages are not committed).  **A new public module** (a carrier
package such as ``streamcodec.twilio`` and its ``answer`` and ``auth``
modules) is one line in :data:`API_MODULES`; ``tests/test_docs.py`` finds
every module with ``__all__`` itself and fails, naming it, until the line is
there.

A name several modules export (``MediaStream`` is
``streamcodec.telnyx.session.MediaStream`` and ``streamcodec.telnyx.MediaStream``;
the events are ``streamcodec.stream.Media`` and ``streamcodec.telnyx.Media``)
is documented once, on the page of the first module listed that exports it
(list a package before its modules); the other pages link to it.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import types

#: (module, one line saying what it is for), in the order the reference lists them.
API_MODULES: list[tuple[str, str]] = [
    ("streamcodec", "Decoder, Encoder, Resampler: the codec core"),
    ("streamcodec.audioop", "drop-in for the standard library's audioop"),
    ("streamcodec.amrwb", "AMR-WB RTP payloads (RFC 4867) and storage-format frames"),
    ("streamcodec.signals", "test signals: speech-like audio, tones, SNR"),
    ("streamcodec.wavio", "16-bit WAV files in and out"),
    ("streamcodec.stream", "the media-stream protocol core every carrier shares"),
    ("streamcodec.stream.events", "the events every carrier's stream gives"),
    ("streamcodec.stream.session", "the session core: ordering, concealment, playback, marks"),
    # Each carrier: its package, then its modules (session, answer, auth).
    ("streamcodec.telnyx", "the Telnyx media-stream protocol"),
    ("streamcodec.telnyx.messages", "Telnyx frames in, JSON frames out"),
    ("streamcodec.telnyx.session", "MediaStream: one WebSocket session"),
    ("streamcodec.telnyx.texml", "TeXML <Stream> documents"),
    ("streamcodec.telnyx.call_control", "Call Control stream_* fields"),
    ("streamcodec.telnyx.webhooks", "stream status callbacks and their signatures"),
    ("streamcodec.telnyx.mp3", "MP3 playback frames"),
    ("streamcodec.twilio", "the Twilio Media Streams dialect"),
    ("streamcodec.twilio.session", "Twilio's MediaStream and frames"),
    ("streamcodec.twilio.answer", "TwiML <Start>/<Connect><Stream> documents"),
    ("streamcodec.twilio.auth", "X-Twilio-Signature on the WebSocket upgrade"),
    ("streamcodec.signalwire", "the SignalWire media-stream dialect"),
    ("streamcodec.signalwire.session", "SignalWire's MediaStream and codec attribute"),
    ("streamcodec.signalwire.answer", "cXML <Stream> documents with a codec"),
    ("streamcodec.signalwire.auth", "SignalWire's bearer token (and signature)"),
    ("streamcodec.plivo", "the Plivo audio-stream dialect"),
    ("streamcodec.plivo.session", "Plivo's MediaStream and frames"),
    ("streamcodec.plivo.answer", "Plivo <Stream> XML documents"),
    ("streamcodec.exotel", "the Exotel AgentStream dialect"),
    ("streamcodec.exotel.session", "Exotel's MediaStream, frames and framing"),
    ("streamcodec.exotel.answer", "the WebSocket URL of Exotel's stream applets"),
    ("streamcodec.exotel.auth", "Exotel's Basic auth on the WebSocket upgrade"),
    ("streamcodec.vonage", "the Vonage Voice API WebSocket dialect"),
    ("streamcodec.vonage.session", "Vonage's MediaStream and frames"),
    ("streamcodec.vonage.answer", "NCCOs connecting a call to a WebSocket"),
    ("streamcodec.vonage.auth", "the Vonage-signed JWT on the WebSocket upgrade"),
    ("streamcodec.server", "the reference stream server"),
    ("streamcodec.server.carriers", "which carrier a connection speaks (--carrier auto)"),
    ("streamcodec.simulate", "a local stand-in for the carriers: simulated calls"),
    ("streamcodec.simulate.telnyx", "the simulator's Telnyx"),
    ("streamcodec.simulate.twilio", "the simulator's Twilio"),
    ("streamcodec.simulate.signalwire", "the simulator's SignalWire"),
    ("streamcodec.simulate.plivo", "the simulator's Plivo"),
    ("streamcodec.simulate.exotel", "the simulator's Exotel"),
    ("streamcodec.simulate.vonage", "the simulator's Vonage"),
    ("streamcodec.pipecat", "pipecat serializers backed by streamcodec"),
    ("streamcodec.demo", "streamcodec demo"),
]


def public_names(module: types.ModuleType) -> list[str]:
    """The names a module exports (its ``__all__``), modules among them left out."""
    return [n for n in getattr(module, "__all__", ())
            if not isinstance(getattr(module, n, None), types.ModuleType)]


def documented_elsewhere(name: str) -> dict[str, str]:
    """For the module *name*: each exported name that a module listed before
    it in :data:`API_MODULES` also exports (the same object), with the first
    such module, whose page documents it."""
    module = importlib.import_module(name)
    found: dict[str, str] = {}
    for earlier, _ in API_MODULES:
        if earlier == name:
            break
        other = importlib.import_module(earlier)
        for n in public_names(module):
            if n in getattr(other, "__all__", ()) and getattr(other, n) is getattr(module, n):
                found.setdefault(n, earlier)
    return found


def imported_data_doc(module: types.ModuleType, name: str) -> list[str] | None:
    """The ``#:`` comment of a constant that *module* imports from another
    module of the package (autodoc only reads the comments of the module it
    documents), or None when *name* is not such a constant."""
    from sphinx.pycode import ModuleAnalyzer

    value = getattr(module, name)
    if isinstance(value, (type, types.ModuleType)) or inspect.isroutine(value):
        return None
    if ("", name) in ModuleAnalyzer.for_module(module.__name__).find_attr_docs():
        return None
    for other in sorted(sys.modules):
        if other.split(".")[0] != module.__name__.split(".")[0] or other == module.__name__:
            continue
        if getattr(sys.modules[other], name, None) is not value:
            continue
        try:
            docs = ModuleAnalyzer.for_module(other).find_attr_docs()
        except Exception:      # a compiled module: no source to read
            continue
        if ("", name) in docs:
            return [line for line in docs[("", name)] if line.strip()]
    return None


def page(name: str, summary: str) -> str:
    """The Markdown of one module's reference page."""
    module = importlib.import_module(name)
    elsewhere = documented_elsewhere(name)
    submodules = [n for n in getattr(module, "__all__", ())
                  if isinstance(getattr(module, n, None), types.ModuleType)]
    imported_data = {n: doc for n in public_names(module) if n not in elsewhere
                     for doc in [imported_data_doc(module, n)] if doc}
    lines = [f"# `{name}`", "", f"*{summary}*", "", "```{eval-rst}", f".. automodule:: {name}"]
    excluded = sorted(set(elsewhere) | set(imported_data))
    if excluded:
        lines.append(f"   :exclude-members: {', '.join(excluded)}")
    for n, doc in imported_data.items():
        lines += ["", f".. py:data:: {n}", f"   :value: {getattr(module, n)!r}", ""]
        lines += [f"   {line}" for line in doc]
    lines += ["```", ""]
    if submodules:
        lines.append("Modules: " + ", ".join(
            f"{{py:mod}}`{name}.{n}`" for n in submodules) + ".")
        lines.append("")
    if elsewhere:
        lines.append("Also exported here, documented with the module that first exports them: "
                     + ", ".join(f"{{py:obj}}`{p}.{n}`" for n, p in sorted(elsewhere.items()))
                     + ".")
        lines.append("")
    return "\n".join(lines)


INDEX_INTRO = """# API reference

Every public module of streamcodec, one page each, from the docstrings
(numpy style; type hints shown with each parameter).  The top-level
`streamcodec` names are the codec core; `streamcodec.telnyx` and the carrier
packages speak each carrier's media-stream protocol; `streamcodec.server` is
the reference stream server.

Adding a public module: one line in `API_MODULES` in `docs/api_pages.py`
(these pages are written from it at build time); `tests/test_docs.py` finds
every module that defines `__all__` and fails until it is listed.
"""


def index_page() -> str:
    """The Markdown of ``api/index.md``: the intro, a table, the toctree."""
    lines = [INDEX_INTRO, "| module | what for |", "|---|---|"]
    lines += [f"| [`{m}`]({m}.md) | {s} |" for m, s in API_MODULES]
    lines += ["", "```{toctree}", ":hidden:", ""] + [m for m, _ in API_MODULES] + ["```", ""]
    return "\n".join(lines)


def _write(path: str, text: str) -> None:
    """Write *text* to *path* unless it is there already (so Sphinx rebuilds
    nothing it need not)."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_api_pages(directory: str) -> None:
    """Write ``index.md`` and ``<module>.md`` for each of :data:`API_MODULES`
    into *directory*, and remove pages of modules no longer listed."""
    os.makedirs(directory, exist_ok=True)
    wanted = {f"{name}.md" for name, _ in API_MODULES}
    for old in os.listdir(directory):
        if old.startswith("streamcodec") and old.endswith(".md") and old not in wanted:
            os.remove(os.path.join(directory, old))
    _write(os.path.join(directory, "index.md"), index_page())
    for name, summary in API_MODULES:
        _write(os.path.join(directory, f"{name}.md"), page(name, summary))
