"""vonage.MediaStream: the binary-frame suite (raw 16-bit little-endian PCM,
exactly 20 ms each way), and Vonage's text control.

From Vonage's Voice API WebSockets guide
(developer.vonage.com/en/voice/voice-api/concepts/websockets): the first
message is text {"event":"websocket:connected",
"content-type":"audio/l16;rate=16000", ...the NCCO headers}; audio then
travels as binary messages of 16-bit linear PCM, 20 ms each (320 bytes at
8 kHz, 640 at 16 kHz), in both directions.  Control (AsyncAPI mirror,
CARRIERS.md 1.3): {"action":"clear"} (answered by websocket:cleared),
{"action":"notify","payload":{...}} (answered by websocket:notify with that
payload once the audio before it has played), websocket:dtmf with digit
and duration.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import carriertest as ct
from streamcodec import vonage


def connected(rate: int = 16000) -> str:
    return json.dumps({"event": "websocket:connected",
                       "content-type": f"audio/l16;rate={rate}", "prop1": "value1"})


def session(rate: int = 16000) -> vonage.MediaStream:
    s = vonage.MediaStream(rate=rate, content_type=f"audio/l16;rate={rate}")
    (start,) = s.feed(connected(rate))
    assert isinstance(start, vonage.Start) and start.codec == "L16"
    assert start.media_format.sample_rate == rate and start.custom_parameters == {
        "prop1": "value1"}
    return s


@pytest.mark.parametrize("rate", [8000, 16000])
def test_binary_frames_decode_in_order(rate):
    s = session(rate)
    frames = [ct.payload_of("L16", rate, c) for c in range(1, 6)]
    for i, frame in enumerate(frames):
        (m,) = s.feed(frame if i % 2 else bytearray(frame))    # bytes or bytearray
        assert (m.chunk, m.timestamp) == (i + 1, 20 * i) and m.payload == frame
        assert m.pcm == ct.reference("L16", frame, "<")
    assert s.stats["inbound"].received == 5


def test_resampled_to_the_session_rate():
    s = vonage.MediaStream(rate=16000, content_type="audio/l16;rate=8000")
    s.feed(connected(8000))
    out = ct.feed_all(s, [bytes(320)] * 5)
    assert [len(m.pcm) for m in out] == [640] * 5


@pytest.mark.parametrize("rate", [8000, 16000])
def test_play_gives_exact_20ms_binary_frames(rate):
    s = session(rate)
    pcm = np.arange(rate // 10 + 37, dtype=np.int16)     # 100 ms and 37 samples
    out = s.play(pcm.tobytes(), rate)
    assert all(type(f) is bytes and len(f) == 2 * rate // 50 for f in out) and len(out) == 5
    assert b"".join(out) == pcm[:rate // 10].astype("<i2").tobytes()
    tail = s.flush_playback()
    assert len(tail) == 1 and len(tail[0]) == 2 * rate // 50
    assert tail[0][:74] == pcm[rate // 10:].astype("<i2").tobytes()
    assert s.sent_ms == 120


def test_notify_is_a_mark_with_played_ms():
    s = session()
    s.play(bytes(640 * 3), 16000)
    (notify,) = s.mark("greeting")
    assert json.loads(notify) == {"action": "notify", "payload": {"name": "greeting"}}
    (mark,) = s.feed(json.dumps({"event": "websocket:notify",
                                 "payload": {"name": "greeting"}}))
    assert mark.name == "greeting" and mark.played_ms == 60 and not mark.cleared


def test_clear_and_cleared():
    s = session()
    s.play(bytes(640), 16000)
    s.mark("a")
    assert s.clear() == ['{"action":"clear"}']
    events = s.feed('{"event":"websocket:cleared"}')
    assert [(e.name, e.cleared) for e in events[:-1]] == [("a", True)]
    assert s.outstanding_marks == ()


def test_dtmf():
    s = session()
    (d,) = s.feed(json.dumps({"event": "websocket:dtmf", "digit": "5", "duration": 260}))
    assert isinstance(d, vonage.Dtmf) and (d.digit, d.duration) == ("5", 260)


def test_bad_binary_input():
    early = vonage.MediaStream()
    with pytest.raises(vonage.ProtocolError, match="websocket:connected"):
        early.feed(bytes(640))
    s = session()
    (odd,) = s.feed(bytes(641))            # not whole samples: concealed in its place
    assert odd.concealed and len(odd.pcm) == 640 and s.stats["inbound"].bad == 1
    assert s.feed(b"") == [] and s.stats["inbound"].bad == 2
    with pytest.raises(vonage.ProtocolError):
        s.feed(bytes(1 << 17))                                      # over max_message_bytes
    with pytest.raises(TypeError):
        s.feed(12)
    (m,) = s.feed(bytes(640))
    assert not m.concealed


def test_json_media_is_refused_clearly():
    # Vonage's audio is binary: a JSON "media" message the C scanner leaves
    # to json.loads is a ProtocolError (it used to be an AttributeError)
    s = session()
    with pytest.raises(vonage.ProtocolError, match="no media messages as JSON"):
        s.feed('{"media":{"payload":"AAAA","chunk":"x"},"event":"media"}')
    assert s.rejected == 1


@pytest.mark.parametrize("text", [
    '{"event":"media","media":{"payload":"AAAA","chunk":"9"}}',
    '{"event":"media","stream_id":"x","media":{"track":"inbound","payload":"AAAA","chunk":"1"}}',
    '{"event":"media","streamSid":"MZ1","media":{"payload":"AAAA","chunk":"2"}}',
])
def test_another_carriers_media_frame_as_text_is_refused_not_decoded(text):
    # a frame the C media scanner reads for the JSON carriers: on Vonage it
    # must meet json.loads's refusal too, through feed() and the server's path
    s = session()
    s.feed(bytes(640))
    for feed in (s.feed, s._feed_one, lambda t: s._feed_one(t.encode())):
        with pytest.raises(vonage.ProtocolError, match="no media messages as JSON"):
            feed(text)
    assert s.rejected == 3 and s.stats["inbound"].received == 1
    (m,) = s.feed(bytes(640))
    assert m.chunk == 2 and not m.concealed


def test_content_type_checked():
    with pytest.raises(ValueError, match="Vonage"):
        vonage.MediaStream(content_type="audio/l16;rate=44100")
    s = vonage.MediaStream()
    with pytest.raises(vonage.ProtocolError, match="content-type"):
        s.feed('{"event":"websocket:connected","content-type":"audio/pcmu"}')


@pytest.mark.parametrize("rate", [8000, 16000])
def test_c_path_matches_python_path(rate):
    """feed_audio (one sc_frame_audio_in call for the usual frame) and its
    Python path give the same events and counters, odd and empty frames,
    bytearrays and a second websocket:connected included."""
    fast, slow = session(rate), session(rate)
    frames = [ct.payload_of("L16", rate, c) for c in range(1, 9)]
    msgs = frames[:3] + [bytes(7), b"", bytearray(frames[3])] + frames[4:6] + [connected(rate)] \
        + frames[6:]
    for msg in msgs:
        if isinstance(msg, str):
            a, b = fast.feed(msg), slow.feed(msg)
        else:
            a, b = fast.feed_audio(msg), slow._feed_audio_other(msg)
        assert a == b and [getattr(e, "pcm", None) for e in a] == \
            [getattr(e, "pcm", None) for e in b]
    assert fast.stats == slow.stats and fast.stats["inbound"].received == 2
    assert fast.stats["inbound"].bad == 0                  # the counters of the new start


def test_text_only_carriers_refuse_binary_audio():
    from streamcodec import telnyx, twilio
    for stream in (telnyx.MediaStream(), twilio.MediaStream()):
        with pytest.raises(TypeError, match="text"):
            stream.feed_audio(bytes(320))
