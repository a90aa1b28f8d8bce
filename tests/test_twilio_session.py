"""twilio.MediaStream: Twilio's documented messages through feed(), the
shared carrier checks (order, loss, duplicates, the first frames swapped,
C path = Python path), and the outbound messages naming the streamSid.

Message shapes from Twilio's "Media Streams - WebSocket Messages" page
(twilio.com/docs/voice/media-streams/websocket-messages): connected
{event, protocol:"Call", version:"1.0.0"}; start {event, sequenceNumber,
start:{streamSid, accountSid, callSid, tracks, customParameters,
mediaFormat:{encoding:"audio/x-mulaw", sampleRate:8000, channels:1}},
streamSid}; media {event, sequenceNumber, media:{track, chunk, timestamp,
payload}, streamSid} with numbers as strings and chunk from 1; dtmf
{dtmf:{track:"inbound_track", digit}}; mark {mark:{name}}; stop
{stop:{accountSid, callSid}}.  Outbound media/mark/clear carry streamSid.
"""

from __future__ import annotations

import base64
import json

import pytest

import carriertest as ct
from streamcodec import twilio

SID = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"


def start_msg(codec: str = "PCMU", rate: int = 8000) -> str:
    return json.dumps({
        "event": "start", "sequenceNumber": "1",
        "start": {"accountSid": "ACXXXX", "streamSid": SID, "callSid": "CAXXXX",
                  "tracks": ["inbound"], "customParameters": {"FirstName": "Jane"},
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                  "channels": 1}},
        "streamSid": SID})


def media_msg(chunk: int, payload: bytes, seq: int) -> str:
    return json.dumps({"event": "media", "sequenceNumber": str(seq),
                       "media": {"track": "inbound", "chunk": str(chunk),
                                 "timestamp": str(20 * (chunk - 1)),
                                 "payload": base64.b64encode(payload).decode()},
                       "streamSid": SID})


def mark_echo(name: str) -> str:
    return json.dumps({"event": "mark", "sequenceNumber": "4", "streamSid": SID,
                       "mark": {"name": name}})


WIRE = ct.Wire(new=lambda codec, rate: twilio.MediaStream(rate=rate), start=start_msg,
               media=media_msg, mark_echo=mark_echo,
               stop=json.dumps({"event": "stop", "sequenceNumber": "5", "streamSid": SID,
                                "stop": {"accountSid": "ACXXXX", "callSid": "CAXXXX"}}))


def test_documented_messages():
    s = twilio.MediaStream(rate=8000)
    (c,) = s.feed('{"event": "connected", "protocol": "Call", "version": "1.0.0"}')
    assert isinstance(c, twilio.Connected) and c.version == "1.0.0"
    (start,) = s.feed(start_msg())
    assert (start.stream_id, start.call_id, start.account_id) == (SID, "CAXXXX", "ACXXXX")
    assert start.custom_parameters == {"FirstName": "Jane"} and start.tracks == ("inbound",)
    assert start.codec == "PCMU" and start.media_format.sample_rate == 8000
    (d,) = s.feed(json.dumps({"event": "dtmf", "streamSid": SID, "sequenceNumber": "5",
                              "dtmf": {"track": "inbound_track", "digit": "1"}}))
    assert isinstance(d, twilio.Dtmf) and d.digit == "1" and d.sequence_number == 5
    (m,) = s.feed(media_msg(1, b"\xff" * 160, 3))
    assert (m.chunk, m.timestamp, m.sequence_number, m.stream_id) == (1, 0, 3, SID)
    events = s.feed(WIRE.stop)
    assert isinstance(events[-1], twilio.Stop) and events[-1].call_id == "CAXXXX"


def test_decodes_mulaw():
    ct.check_decodes(WIRE, "PCMU", 8000)


def test_reorder_loss_duplicates():
    ct.check_reorder_loss_duplicates(WIRE)


def test_first_frames_swapped():
    ct.check_first_frames_swapped(WIRE)


def test_fast_path_matches_python():
    ct.check_fast_path_matches_python(WIRE)


def test_outbound_messages_name_the_stream():
    s = twilio.MediaStream(rate=8000)
    with pytest.raises(ValueError, match="start"):
        s.play(bytes(320))
    with pytest.raises(ValueError, match="start"):
        s.clear()
    s.feed(start_msg())
    sent = ct.check_mark_accounting(WIRE, s, 320, 8000)
    media = json.loads(sent[0])
    assert media == {"event": "media", "streamSid": SID,
                     "media": {"payload": base64.b64encode(b"\xff" * 160).decode()}}
    assert json.loads(sent[1]) == {"event": "mark", "streamSid": SID, "mark": {"name": "m1"}}
    assert json.loads(s.clear()[0]) == {"event": "clear", "streamSid": SID}


def test_clear_returns_marks_cleared():
    s = twilio.MediaStream(rate=8000)
    s.feed(start_msg())
    s.play(bytes(320))
    s.mark("a")
    s.clear()
    (echo,) = s.feed(mark_echo("a"))   # Twilio echoes the marks a clear dropped
    assert echo.cleared and echo.played_ms is None


def test_configure_without_start():
    s = twilio.MediaStream(rate=8000)
    s.configure("audio/x-mulaw", 8000, stream_id=SID)
    assert s.codec == "PCMU"
    (m,) = s.feed(media_msg(1, b"\x00" * 160, 2))
    assert m.pcm == ct.reference("PCMU", b"\x00" * 160)
    assert json.loads(s.play(bytes(320))[0])["streamSid"] == SID


def test_concealment_keyword_is_passed_only_when_given():
    s = twilio.MediaStream(rate=8000)            # None: Decoder gets no such keyword
    s.feed(start_msg())
    assert len(s.feed(media_msg(1, b"\x00" * 160, 2))) == 1
    bad = twilio.MediaStream(rate=8000, concealment="no-such-method")
    # passed on: Decoder refuses it (TypeError before the plc branch adds
    # the keyword, ProtocolError naming it after)
    with pytest.raises((twilio.ProtocolError, TypeError), match="concealment|no-such-method"):
        bad.feed(start_msg())


def test_bad_messages_raise_and_count():
    s = twilio.MediaStream(rate=8000)
    s.feed(start_msg())
    for bad in ["not json", '{"event":"media","streamSid":"x"}',
                '{"event":"start","start":{}}']:
        with pytest.raises(twilio.ProtocolError):
            s.feed(bad)
    assert s.rejected == 3
    assert len(s.feed(media_msg(1, b"\x00" * 160, 2))) == 1


def test_a_start_without_its_stream_id_is_refused():
    """Every message back to Twilio names the streamSid: a start that does not
    give it is a ProtocolError (counted), and the session stays unstarted."""
    s = twilio.MediaStream(rate=8000)
    frame = json.loads(start_msg())
    del frame["streamSid"], frame["start"]["streamSid"]
    with pytest.raises(twilio.ProtocolError, match="'streamSid' is missing"):
        s.feed(json.dumps(frame))
    assert s.rejected == 1 and s.codec is None
    (start,) = s.feed(start_msg())
    assert start.stream_id == SID
