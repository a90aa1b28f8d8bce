"""plivo.MediaStream: Plivo's documented messages through feed(), the shared
carrier checks, and playAudio / checkpoint / clearAudio out.

Message shapes from Plivo's "Stream Event Protocol" and "Audio Streaming
Protocol Reference" pages (plivo.com/docs/voice/audio-streaming/audio-streaming,
docs.plivo.com/docs/voice-agents/audio-streaming/concepts/audio-streaming-reference):
start {event, sequenceNumber:1, start:{callId, streamId, accountId,
tracks:["inbound"], mediaFormat:{encoding:"audio/x-mulaw", sampleRate:8000}},
extra_headers:"userId=12345;sessionId=abc-xyz"}; media {sequenceNumber,
streamId, media:{track, timestamp (Unix ms, a string), chunk (a number),
payload}}; playedStream {streamId, name}; clearedAudio {streamId}.  Out:
playAudio {media:{contentType, sampleRate, payload}}, checkpoint
{streamId, name}, clearAudio {streamId} (play-audio-event and
checkpoint-event pages).  Content types: audio/x-mulaw at 8000,
audio/x-l16 at 8000 or 16000.  Not on those pages, from Plivo's own code:
L16 is little-endian (plivo-labs/agent-transport, audio_stream/protocol.rs,
from_le_bytes / to_le_bytes) and media.chunk starts at 1 (a Plivo engineer's
streaming SDK, plivo_streaming/types.py).
"""

from __future__ import annotations

import base64
import json

import pytest

import carriertest as ct
from streamcodec import plivo

STREAM = "87654321-4321-4321-4321-cba987654321"
_ENCODING = {"PCMU": "audio/x-mulaw", "L16": "audio/x-l16"}


def start_msg(codec: str = "PCMU", rate: int = 8000) -> str:
    return json.dumps({
        "event": "start", "sequenceNumber": 1,
        "start": {"callId": "12345678-1234-1234-1234-123456789abc", "streamId": STREAM,
                  "accountId": "MAXXXXXXXXXXXXXXXXXX", "tracks": ["inbound"],
                  "mediaFormat": {"encoding": _ENCODING[codec], "sampleRate": rate}},
        "extra_headers": "userId=12345;sessionId=abc-xyz"})


def media_msg(chunk: int, payload: bytes, seq: int) -> str:
    return json.dumps({"event": "media", "sequenceNumber": seq, "streamId": STREAM,
                       "media": {"track": "inbound",
                                 "timestamp": str(1700000000000 + 20 * (chunk - 1)),
                                 "chunk": chunk, "payload": base64.b64encode(payload).decode()},
                       "extra_headers": "userId=12345;sessionId=abc-xyz"})


def played(name: str) -> str:
    return json.dumps({"event": "playedStream", "sequenceNumber": 9, "streamId": STREAM,
                       "name": name})


def _new(codec: str, rate: int) -> plivo.MediaStream:
    return plivo.MediaStream(rate=rate, content_type=f"{_ENCODING[codec]};rate={rate}")


WIRE = ct.Wire(new=_new, start=start_msg, media=media_msg, mark_echo=played, stop=None)


def test_documented_start():
    s = _new("PCMU", 8000)
    (start,) = s.feed(start_msg())
    assert (start.stream_id, start.call_id, start.account_id) == \
        (STREAM, "12345678-1234-1234-1234-123456789abc", "MAXXXXXXXXXXXXXXXXXX")
    assert start.custom_parameters == {"userId": "12345", "sessionId": "abc-xyz"}
    assert start.codec == "PCMU"
    (m,) = s.feed(media_msg(1, b"\xff" * 160, 2))
    assert (m.chunk, m.stream_id, m.sequence_number, m.timestamp) == (1, STREAM, 2,
                                                                      1700000000000)
    (d,) = s.feed(json.dumps({"event": "dtmf", "sequenceNumber": 3, "streamId": STREAM,
                              "dtmf": {"track": "inbound", "digit": "5"}}))
    assert isinstance(d, plivo.Dtmf) and d.digit == "5"


@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("L16", 8000), ("L16", 16000)])
def test_every_codec_and_rate_decodes(codec, rate):
    ct.check_decodes(WIRE, codec, rate)


@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("L16", 16000)])
def test_reorder_loss_duplicates(codec, rate):
    ct.check_reorder_loss_duplicates(WIRE, codec, rate)


def test_first_frames_swapped():
    ct.check_first_frames_swapped(WIRE, "L16", 8000)


def test_fast_path_matches_python():
    ct.check_fast_path_matches_python(WIRE, "L16", 16000)


@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("L16", 16000)])
def test_play_audio_checkpoint_and_cleared(codec, rate):
    s = _new(codec, rate)
    s.feed(start_msg(codec, rate))
    sent = ct.check_mark_accounting(WIRE, s, 2 * rate // 50, rate)
    media = json.loads(sent[0])
    assert media["event"] == "playAudio" and set(media) == {"event", "media"}
    assert media["media"]["contentType"] == _ENCODING[codec]
    assert media["media"]["sampleRate"] == rate
    assert len(base64.b64decode(media["media"]["payload"])) == (160 if codec == "PCMU" else 640)
    assert json.loads(sent[1]) == {"event": "checkpoint", "streamId": STREAM, "name": "m1"}
    s.play(bytes(2 * rate // 50), rate)
    s.mark("m2")
    assert json.loads(s.clear()[0]) == {"event": "clearAudio", "streamId": STREAM}
    events = s.feed(json.dumps({"event": "clearedAudio", "sequenceNumber": 10,
                                "streamId": STREAM}))
    assert [(e.name, e.cleared, e.played_ms) for e in events[:-1]] == [("m2", True, None)]
    assert isinstance(events[-1], plivo.Unknown) and s.outstanding_marks == ()


def test_content_type_checked():
    with pytest.raises(ValueError, match="Plivo"):
        plivo.MediaStream(content_type="audio/x-l16;rate=24000")
    s = plivo.MediaStream()
    with pytest.raises(ValueError, match="start"):
        s.mark("early")
