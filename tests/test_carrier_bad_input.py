"""Bad input to every carrier's ``MediaStream.feed()``: truncated JSON,
every field of every documented message replaced by a value of the wrong
type (null, a number, a huge number, a float, a boolean, a string, a list,
an object), binary where the carrier sends text and text where Vonage sends
binary.  Each either parses (a value the carrier may send) or raises the
documented :class:`~streamcodec.stream.ProtocolError` with a message that
says what was wrong; never another exception, and the session keeps
working afterwards.  The messages are those of each carrier's session
tests (written from its documentation)."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import pytest

import test_exotel_session as exo
import test_plivo_session as plv
import test_signalwire_session as sw
import test_twilio_session as twl
from streamcodec import exotel, plivo, signalwire, stream, telnyx, twilio, vonage
from streamcodec.simulate import connected_frame, media_frame, start_frame, stop_frame

#: Values of the wrong type (or out of range) for any field.
WRONG = [None, 7, -7, 10 ** 30, 1.5, True, "", "x" * 3, "-1", "9" * 40, [], [1], {}, {"a": 1}]


def _telnyx() -> telnyx.MediaStream:
    return telnyx.MediaStream(rate=8000)


#: carrier -> (new session, the messages that open it, the documented messages to mutate)
CARRIERS: dict[str, tuple[Callable[[], Any], list[str], list[str]]] = {
    "telnyx": (_telnyx, [connected_frame(), start_frame("s", 1, "PCMU", 8000)],
               [start_frame("s", 1, "PCMU", 8000),
                media_frame("s", 2, "inbound", 1, 0, b"\xff" * 160),
                json.dumps({"event": "dtmf", "stream_id": "s", "sequence_number": "3",
                            "dtmf": {"digit": "1"}}),
                json.dumps({"event": "mark", "stream_id": "s", "sequence_number": "4",
                            "mark": {"name": "m"}}),
                stop_frame("s", 5)]),
    "twilio": (lambda: twilio.MediaStream(rate=8000), [twl.start_msg()],
               [twl.start_msg(), twl.media_msg(1, b"\xff" * 160, 2), twl.mark_echo("m"),
                json.dumps({"event": "dtmf", "streamSid": twl.SID, "sequenceNumber": "5",
                            "dtmf": {"track": "inbound_track", "digit": "1"}}),
                twl.WIRE.stop]),
    "signalwire": (lambda: signalwire.MediaStream(rate=8000), [sw.start_msg()],
                   [sw.start_msg("L16", 16000), sw.media_msg(1, b"\xff" * 160, 2),
                    sw.WIRE.mark_echo("m")]),
    "plivo": (lambda: plivo.MediaStream(rate=8000), [plv.start_msg()],
              [plv.start_msg(), plv.media_msg(1, b"\xff" * 160, 2), plv.played("m"),
               json.dumps({"event": "clearedAudio", "sequenceNumber": 6,
                           "streamId": plv.STREAM}),
               json.dumps({"event": "dtmf", "sequenceNumber": 3, "streamId": plv.STREAM,
                           "dtmf": {"track": "inbound", "digit": "5"}})]),
    "exotel": (lambda: exotel.MediaStream(rate=8000), [exo.start_msg()],
               [exo.start_msg(), exo.media_msg(1, bytes(320), 2), exo.mark_echo("m"),
                json.dumps({"event": "dtmf", "sequence_number": 3, "stream_sid": exo.SID,
                            "dtmf": {"duration": "200", "digit": "7"}}),
                exo.WIRE.stop]),
    "vonage": (lambda: vonage.MediaStream(rate=8000, content_type="audio/l16;rate=8000"),
               [json.dumps({"event": "websocket:connected",
                            "content-type": "audio/l16;rate=8000"})],
               [json.dumps({"event": "websocket:connected",
                            "content-type": "audio/l16;rate=8000", "h": "v"}),
                json.dumps({"event": "websocket:dtmf", "digit": "5", "duration": 100}),
                json.dumps({"event": "websocket:dtmf", "dtmf": {"digit": "5", "duration": 1}}),
                json.dumps({"event": "websocket:notify", "payload": {"name": "m"}}),
                json.dumps({"event": "websocket:error", "code": 1, "reason": "r"})]),
}


def _paths(node: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every key path in a JSON tree (the root excluded)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,)
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield path + (i,)
            yield from _paths(value, path + (i,))


def _replaced(frame: Any, path: tuple, value: Any) -> Any:
    frame = json.loads(json.dumps(frame))
    node = frame
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return frame


def _mutants(message: str) -> Iterator[Any]:
    frame = json.loads(message)
    for path in _paths(frame):
        for value in WRONG:
            yield json.dumps(_replaced(frame, path, value))
        yield json.dumps(_replaced(frame, path[:-1] + (path[-1],), "\udcff"), ensure_ascii=False) \
            .encode("utf-8", "surrogatepass")           # not UTF-8
    for cut in range(1, len(message), max(1, len(message) // 40)):
        yield message[:cut]                             # truncated JSON
    yield message.encode("utf-16")                      # text in another encoding
    yield b"\xff\xfe\x00\x80 binary"                     # binary where text is expected
    yield json.dumps(frame, indent=None)[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    yield json.dumps({**frame, "sequence_number": "1" * 5000})


def _feeds_cleanly(s: Any, message: Any) -> None:
    try:
        events = s.feed(message)
    except stream.ProtocolError as exc:
        text = str(exc)
        # a sentence about the message, not an internal error passed through
        assert len(text) > 15 and not any(
            leak in text for leak in ("NoneType", "has no attribute", "unhashable",
                                      "not subscriptable", "object is not")), text
        return
    assert isinstance(events, list)
    assert all(isinstance(e, stream.Event) for e in events), events


@pytest.mark.parametrize("carrier", list(CARRIERS))
def test_every_bad_message_is_a_protocol_error_or_parses(carrier):
    new, opening, documented = CARRIERS[carrier]
    tried = 0
    for message in documented:
        for mutant in _mutants(message):
            s = new()
            for m in opening:
                s.feed(m)
            _feeds_cleanly(s, mutant)
            tried += 1
            # and the session is not broken by it: the next message is handled cleanly
            _feeds_cleanly(s, bytes(320) if carrier == "vonage" else documented[1])
    assert tried > 500


@pytest.mark.parametrize("carrier", [c for c in CARRIERS if c != "vonage"])
def test_binary_garbage_to_a_text_carrier_names_the_problem(carrier):
    new, opening, _ = CARRIERS[carrier]
    s = new()
    for m in opening:
        s.feed(m)
    with pytest.raises(stream.ProtocolError, match="not UTF-8 text, a binary message"):
        s.feed(b"\xff\xfe\x00\x80 binary")
    with pytest.raises(stream.ProtocolError, match="not UTF-8 text"):
        s.feed(json.dumps({"event": "stop"}).encode("utf-16"))   # JSON travels as UTF-8


def test_vonage_text_where_audio_is_expected_and_odd_audio():
    new, opening, _ = CARRIERS["vonage"]
    s = new()
    for m in opening:
        s.feed(m)
    with pytest.raises(stream.ProtocolError, match="not valid JSON"):
        s.feed("\x00\x01 raw audio sent as text")
    # an odd-sized frame is counted bad, and its 20 ms concealed (TCP order: no reordering)
    (bad,) = s.feed(b"\x01\x02\x03")
    assert bad.concealed and len(bad.pcm) == 320 and s.stats["inbound"].bad == 1
    (m,) = s.feed(bytes(320))
    assert len(m.pcm) == 320


def test_the_protocol_core_alone_is_refused_naming_what_a_dialect_gives():
    # The core has no wire of its own: constructing it is a TypeError at
    # once, not a NotImplementedError at the first message.
    with pytest.raises(TypeError, match=r"no _clear_message, _mark_message, _parse_frame\): "
                                        r"use a carrier's MediaStream"):
        stream.MediaStream()

    class NoClear(stream.MediaStream):
        def _parse_frame(self, frame):
            return telnyx.parse_frame(frame)

        def _mark_message(self, name):
            return "{}"

    with pytest.raises(TypeError, match=r"NoClear .*\(no _clear_message\)"):
        NoClear()
    for module in (telnyx, twilio, signalwire, plivo, exotel, vonage):
        assert module.MediaStream().rate == 16000
