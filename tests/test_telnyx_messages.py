"""Telnyx frames: parsing every frame type, strictness on required fields,
tolerance of extra ones, and the frames sent back."""

from __future__ import annotations

import base64
import json

import pytest

from streamcodec.telnyx import messages as m

START = {
    "event": "start",
    "sequence_number": "1",
    "stream_id": "32DE0DEA-53CB-4B21-89A4-9E1819C043BC",
    "start": {
        "user_id": "3E6F995F-85F7-4705-9741-53B116D28237",
        "call_control_id": "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ",
        "call_session_id": "ff55a038-2f2a-11ef-a2c8-02420a0d3b69",
        "from": "+13122010094",
        "to": "+13122123456",
        "tags": ["support", "vip"],
        "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d",
        "custom_parameters": {"customer_id": "12345", "call_type": "support"},
        "media_format": {"encoding": "PCMA", "sample_rate": 8000, "channels": 1},
    },
}


def media(payload: bytes, chunk="2", timestamp="5", track="inbound", seq="4", **extra):
    body = {"track": track, "chunk": chunk, "timestamp": timestamp,
            "payload": base64.b64encode(payload).decode()}
    body.update(extra)
    return {"event": "media", "sequence_number": seq, "stream_id": "s1", "media": body}


def test_connected():
    ev = m.parse('{"event":"connected","version":"1.0.0","token":"abc"}')
    assert ev == m.Connected(version="1.0.0")
    assert ev.raw["token"] == "abc"  # fields the class does not name stay reachable


def test_start_every_field():
    ev = m.parse(json.dumps(START))
    assert isinstance(ev, m.Start)
    assert ev.media_format == m.MediaFormat("PCMA", 8000, 1)
    assert ev.stream_id == START["stream_id"]
    assert ev.sequence_number == 1
    assert ev.user_id == START["start"]["user_id"]
    assert ev.call_control_id == START["start"]["call_control_id"]
    assert ev.call_session_id == START["start"]["call_session_id"]
    assert ev.from_ == "+13122010094" and ev.to == "+13122123456"
    assert ev.tags == ("support", "vip")
    assert ev.client_state == "aGF2ZSBhIG5pY2UgZGF5ID1d"
    assert ev.custom_parameters == {"customer_id": "12345", "call_type": "support"}


def test_start_minimal_and_numeric_strings():
    ev = m.parse(b'{"event":"start","start":{"media_format":{"encoding":"L16","sample_rate":"16000"}}}')
    assert ev.media_format == m.MediaFormat("L16", 16000, 1)
    assert ev.tags == () and ev.custom_parameters == {} and ev.stream_id is None


@pytest.mark.parametrize("mutate, field", [
    (lambda f: f.pop("start"), "start"),
    (lambda f: f["start"].pop("media_format"), "start.media_format"),
    (lambda f: f["start"]["media_format"].pop("encoding"), "start.media_format.encoding"),
    (lambda f: f["start"]["media_format"].pop("sample_rate"), "start.media_format.sample_rate"),
    (lambda f: f["start"]["media_format"].__setitem__("sample_rate", "8k"),
     "start.media_format.sample_rate"),
    (lambda f: f["start"]["media_format"].__setitem__("encoding", 7), "start.media_format.encoding"),
    (lambda f: f["start"].__setitem__("tags", "x"), "start.tags"),
    (lambda f: f["start"].__setitem__("custom_parameters", []), "start.custom_parameters"),
    (lambda f: f.__setitem__("sequence_number", "1.5"), "sequence_number"),
    (lambda f: f.__setitem__("start", "x"), "start"),
])
def test_start_strict_required(mutate, field):
    frame = json.loads(json.dumps(START))
    mutate(frame)
    with pytest.raises(m.ProtocolError, match=f"'{field}'"):
        m.parse(json.dumps(frame))


def test_media_types_and_payload():
    raw = bytes(range(160))
    ev = m.parse(json.dumps(media(raw, chunk="2", timestamp="5", seq="4")))
    assert ev == m.Media(track="inbound", chunk=2, timestamp=5, payload=raw,
                         sequence_number=4, stream_id="s1")
    assert ev.pcm is None and ev.concealed is False


def test_media_json_numbers_and_missing_track():
    frame = {"event": "media", "media": {"chunk": 7, "timestamp": 140, "payload": "AAE="},
             "extra": {"nested": [1, 2]}}
    ev = m.parse(json.dumps(frame))
    assert (ev.track, ev.chunk, ev.timestamp, ev.payload) == ("inbound", 7, 140, b"\x00\x01")


@pytest.mark.parametrize("mutate, field, exc", [
    (lambda f: f.pop("media"), "media", m.ProtocolError),
    (lambda f: f["media"].pop("payload"), "media.payload", m.ProtocolError),
    (lambda f: f["media"].pop("chunk"), "media.chunk", m.ProtocolError),
    (lambda f: f["media"].__setitem__("chunk", "-3"), "media.chunk", m.ProtocolError),
    (lambda f: f["media"].__setitem__("chunk", True), "media.chunk", m.ProtocolError),
    (lambda f: f["media"].__setitem__("chunk", 2.0), "media.chunk", m.ProtocolError),
    (lambda f: f["media"].__setitem__("chunk", "9" * 40), "media.chunk", m.ProtocolError),
    (lambda f: f["media"].__setitem__("timestamp", "abc"), "media.timestamp", m.ProtocolError),
    (lambda f: f["media"].__setitem__("track", 1), "media.track", m.ProtocolError),
    (lambda f: f["media"].__setitem__("payload", "AA=A"), "media.payload", m.PayloadError),
    (lambda f: f["media"].__setitem__("payload", "AAE"), "media.payload", m.PayloadError),
    (lambda f: f["media"].__setitem__("payload", "AA E="), "media.payload", m.PayloadError),
    (lambda f: f["media"].__setitem__("payload", None), "media.payload", m.PayloadError),
])
def test_media_strict(mutate, field, exc):
    frame = media(b"\x01\x02")
    mutate(frame)
    with pytest.raises(exc, match=f"'{field}'"):
        m.parse(json.dumps(frame))
    assert issubclass(exc, ValueError)


def test_dtmf_mark_error_stop():
    assert m.parse('{"event":"dtmf","stream_id":"s","dtmf":{"digit":"#"}}') == \
        m.Dtmf(digit="#", stream_id="s")
    assert m.parse('{"event":"mark","sequence_number":"9","mark":{"name":"greeting"}}') == \
        m.Mark(name="greeting", sequence_number=9)
    err = m.parse('{"event":"error","stream_id":"s","payload":{"code":100002,'
                  '"title":"Unknown error","detail":"An unknown error has occurred"}}')
    assert err == m.Error(code=100002, title="Unknown error",
                          detail="An unknown error has occurred", stream_id="s")
    assert m.parse('{"event":"error","payload":{"code":"-4"}}').code == -4
    stop = m.parse('{"event":"stop","sequence_number":"300","stream_id":"s",'
                   '"stop":{"user_id":"u","call_control_id":"c"}}')
    assert stop == m.Stop(stream_id="s", sequence_number=300, user_id="u", call_control_id="c")
    assert m.parse('{"event":"stop"}') == m.Stop()


@pytest.mark.parametrize("text, field", [
    ('{"event":"dtmf","dtmf":{}}', "dtmf.digit"),
    ('{"event":"dtmf"}', "dtmf"),
    ('{"event":"mark","mark":{"name":5}}', "mark.name"),
    ('{"event":"mark"}', "mark"),
    ('{"event":"stop","stop":[]}', "stop"),
])
def test_other_frames_strict(text, field):
    with pytest.raises(m.ProtocolError, match=f"'{field}'"):
        m.parse(text)


def test_unknown_passes_through():
    ev = m.parse('{"event":"transcription","data":{"text":"hi"}}')
    assert ev == m.Unknown(event="transcription", raw={"event": "transcription",
                                                       "data": {"text": "hi"}})


@pytest.mark.parametrize("text, match", [
    ("not json", "not valid JSON"),
    (b"\xff\xfe{", "not valid JSON"),
    ("[1,2]", "JSON object"),
    ('"media"', "JSON object"),
    ('{"media":{}}', "'event' is missing"),
    ('{"event":5}', "'event' must be a string"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_not_a_frame(text, match):
    with pytest.raises(m.ProtocolError, match=match):
        m.parse(text)


def test_parse_type_error():
    with pytest.raises(TypeError):
        m.parse(123)


def test_builders_exact_text():
    assert m.media_message(b"\x00\xff\x10") == '{"event":"media","media":{"payload":"AP8Q"}}'
    assert m.mark_message("end of greeting") == '{"event":"mark","mark":{"name":"end of greeting"}}'
    assert m.clear_message() == '{"event":"clear"}'
    tricky = 'say "hi"\\\n\u00e9'
    assert json.loads(m.mark_message(tricky)) == {"event": "mark", "mark": {"name": tricky}}
    payload = bytes(range(256)) * 3
    assert base64.b64decode(json.loads(m.media_message(bytearray(payload)))["media"]["payload"]) \
        == payload


def test_builders_reject():
    with pytest.raises(ValueError):
        m.media_message(b"")
    with pytest.raises(TypeError):
        m.media_message("AAAA")
    with pytest.raises(ValueError):
        m.mark_message("")
    with pytest.raises(TypeError):
        m.mark_message(None)


def test_events_are_frozen():
    ev = m.parse('{"event":"dtmf","dtmf":{"digit":"1"}}')
    with pytest.raises(AttributeError):
        ev.digit = "2"


@pytest.mark.parametrize("text, code, title, detail", [
    ('{"event":"error"}', None, None, None),
    ('{"event":"error","payload":{"code":100003,"title":"Malformed frame"}}',
     100003, "Malformed frame", None),
    ('{"event":"error","payload":{"code":"100003","title":3,"detail":"d"}}', 100003, None, "d"),
    ('{"event":"error","error":{"code":7,"title":"t","detail":"d"}}', 7, "t", "d"),
    ('{"event":"error","code":-2,"title":"top level"}', -2, "top level", None),
    ('{"event":"error","payload":"text","stream_id":5,"sequence_number":"x"}', None, None, None),
    ('{"event":"error","payload":[1],"code":true}', None, None, None),
])
def test_error_frames_are_lenient(text, code, title, detail):
    """Telnyx does not pin the shape of error frames down: whatever it sends
    reaches the app as an Error (raw always), never a ProtocolError."""
    ev = m.parse(text)
    assert isinstance(ev, m.Error)
    assert (ev.code, ev.title, ev.detail) == (code, title, detail)
    assert ev.raw == json.loads(text)


@pytest.mark.parametrize("name, track", [("inbound_track", "inbound"),
                                         ("outbound_track", "outbound"),
                                         ("inbound", "inbound"), ("other", "other")])
def test_texml_track_names_map_to_the_media_track(name, track):
    text = json.dumps({"event": "media", "media": {"track": name, "chunk": "1",
                                                   "payload": "AAAA"}})
    assert m.parse(text).track == track
