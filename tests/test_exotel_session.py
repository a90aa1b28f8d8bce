"""exotel.MediaStream: Exotel's documented messages through feed(), the
shared carrier checks, and outbound media framed as Exotel requires.

Message shapes from Exotel's AgentStream "WebSocket protocol" page
(developer.exotel.com/docs/agentstream/websocket-protocol): start
{event, sequence_number, stream_sid, start:{stream_sid, call_sid,
account_sid, from, to, custom_parameters, media_format:{encoding, sample_rate,
bit_rate}}}, media {sequence_number, stream_sid, media:{chunk, timestamp,
payload}}, dtmf {dtmf:{digit, duration}}, mark {mark:{name}}, stop; out:
media / mark / clear with stream_sid.  Audio: 16-bit little-endian PCM
(slin) at the URL's sample-rate 8000/16000/24000 ("Working with the Stream
and Voicebot Applet"), mu-law when media_format says audio/x-mulaw (the
extension guide).  Outbound chunks: at least 3.2 KB, at most 100 KB, a
multiple of 320 bytes (support article 3000108630).
"""

from __future__ import annotations

import base64
import json

import pytest

import carriertest as ct
from streamcodec import exotel

SID = "exotel-stream-1"
_ENCODING = {"L16": "audio/x-raw", "PCMU": "audio/x-mulaw;rate=8000"}


def start_msg(codec: str = "L16", rate: int = 8000) -> str:
    return json.dumps({
        "event": "start", "sequence_number": 1, "stream_sid": SID,
        "start": {"stream_sid": SID, "call_sid": "call-1", "account_sid": "acct",
                  "from": "+911234", "to": "+915678", "custom_parameters": {"lang": "hi"},
                  "media_format": {"encoding": _ENCODING[codec], "sample_rate": str(rate),
                                   "bit_rate": "16"}}})


def media_msg(chunk: int, payload: bytes, seq: int) -> str:
    return json.dumps({"event": "media", "sequence_number": seq, "stream_sid": SID,
                       "media": {"chunk": chunk, "timestamp": str(100 * (chunk - 1)),
                                 "payload": base64.b64encode(payload).decode()}})


def mark_echo(name: str) -> str:
    return json.dumps({"event": "mark", "sequence_number": 7, "stream_sid": SID,
                       "mark": {"name": name}})


WIRE = ct.Wire(new=lambda codec, rate: exotel.MediaStream(rate=rate, sample_rate=rate),
               start=start_msg, media=media_msg, mark_echo=mark_echo,
               stop=json.dumps({"event": "stop", "sequence_number": 9, "stream_sid": SID,
                                "stop": {"call_sid": "call-1", "account_sid": "acct",
                                         "reason": "callended"}}))


def test_documented_messages():
    s = exotel.MediaStream(rate=8000)
    assert isinstance(s.feed('{"event":"connected"}')[0], exotel.Connected)
    (start,) = s.feed(start_msg())
    assert (start.stream_id, start.call_id, start.account_id, start.from_, start.to) == \
        (SID, "call-1", "acct", "+911234", "+915678")
    assert start.custom_parameters == {"lang": "hi"} and start.codec == "L16"
    (d,) = s.feed(json.dumps({"event": "dtmf", "sequence_number": 3, "stream_sid": SID,
                              "dtmf": {"duration": "200", "digit": "7"}}))
    assert (d.digit, d.duration) == ("7", 200)
    events = s.feed(WIRE.stop)
    assert isinstance(events[-1], exotel.Stop) and events[-1].call_id == "call-1"


def test_documented_numbering_starts_at_chunk_1():
    """The protocol page's example: start is sequence_number "1", and media
    sequence_number "3" is chunk "2" (timestamp "200"), so chunk 1 is the
    stream's first: chunk 2 alone waits for it, and chunk 1 releases both."""
    s = exotel.MediaStream(rate=8000)
    s.feed(json.dumps({"event": "start", "sequence_number": "1", "stream_sid": SID,
                       "start": {"stream_sid": SID, "call_sid": "c", "account_sid": "a",
                                 "media_format": {"encoding": "audio/x-raw",
                                                  "sample_rate": "8000", "bit_rate": "16"}}}))
    second = json.dumps({"event": "media", "sequence_number": "3", "stream_sid": SID,
                         "media": {"chunk": "2", "timestamp": "200",
                                   "payload": base64.b64encode(bytes(1600)).decode()}})
    first = second.replace('"3"', '"2"').replace('"chunk": "2"', '"chunk": "1"') \
        .replace('"200"', '"100"')
    assert s.feed(second) == []
    out = s.feed(first)
    assert [(m.chunk, m.sequence_number, m.concealed) for m in out] == \
        [(1, 2, False), (2, 3, False)]


@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_every_rate_decodes_100ms_messages(rate):
    ct.check_decodes(WIRE, "L16", rate, ms=100)


def test_mulaw_when_media_format_says_so():
    ct.check_decodes(WIRE, "PCMU", 8000, ms=100)


@pytest.mark.parametrize("codec,rate", [("L16", 8000), ("L16", 24000), ("PCMU", 8000)])
def test_reorder_loss_duplicates(codec, rate):
    ct.check_reorder_loss_duplicates(WIRE, codec, rate)


def test_first_frames_swapped():
    ct.check_first_frames_swapped(WIRE, "L16", 16000)


def test_fast_path_matches_python():
    ct.check_fast_path_matches_python(WIRE, "L16", 8000)


@pytest.mark.parametrize("codec,rate,ptime", [("L16", 8000, 200), ("L16", 16000, 100),
                                              ("L16", 24000, 80), ("PCMU", 8000, 400)])
def test_outbound_framing(codec, rate, ptime):
    s = exotel.MediaStream(rate=rate, sample_rate=8000 if codec == "PCMU" else rate)
    s.feed(start_msg(codec, rate))
    assert s.playback_ptime == ptime == exotel.playback_ptime(codec, rate)
    out = s.play(bytes(2 * rate * 3 // 10 + 2 * 7), rate) + s.flush_playback()  # 300 ms + 7
    for message in out:
        frame = json.loads(message)
        assert frame["event"] == "media" and frame["stream_sid"] == SID
        size = len(base64.b64decode(frame["media"]["payload"]))
        assert 3200 <= size <= 100_000 and size % 320 == 0
    sent = ct.check_mark_accounting(WIRE, s, 2 * rate * ptime // 1000, rate)
    assert json.loads(sent[-1]) == {"event": "mark", "stream_sid": SID, "mark": {"name": "m1"}}
    assert json.loads(s.clear()[0]) == {"event": "clear", "stream_sid": SID}


def test_framing_refused():
    with pytest.raises(ValueError, match="3200"):
        exotel.MediaStream(playback_ptime=20)           # 320 bytes at 8 kHz
    with pytest.raises(ValueError, match="8000, 16000 or 24000"):
        exotel.MediaStream(sample_rate=44100)


def test_a_stop_of_the_wrong_shape_is_refused():
    """`stop` is an object when present (as for Twilio and Telnyx); another
    type is a ProtocolError, not read as an empty stop."""
    s = exotel.MediaStream(rate=8000)
    s.feed(start_msg())
    with pytest.raises(exotel.ProtocolError, match="field 'stop' must be an object, got int"):
        s.feed(json.dumps({"event": "stop", "sequence_number": 9, "stream_sid": SID, "stop": 5}))
    (stop,) = s.feed(json.dumps({"event": "stop", "sequence_number": 9, "stream_sid": SID}))
    assert isinstance(stop, exotel.Stop) and stop.call_id is None
