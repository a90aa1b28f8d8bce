"""signalwire.MediaStream: Twilio's messages with SignalWire's codec choice.

SignalWire documents its cXML <Stream> as compatible with Twilio's Media
Streams (developer.signalwire.com/compatibility-api/cxml/voice/stream), and
a ``codec`` attribute taking PCMU (default), PCMA, G722, L16, L16@16000h,
L16@24000h, optionally with a ptime such as PCMU@40i (SignalWire's SWML
``connect`` documentation and its TypeScript typings, CARRIERS.md 1.5).  The
start message here is Twilio's, with ``mediaFormat`` naming the codec.
L16's byte order is not documented; the default read here is little-endian.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import carriertest as ct
from streamcodec import signalwire

# SignalWire names streams with UUIDs (its <Stream> page, signalwire/docs)
SID = "7d56cc11-536d-4a45-b4fb-ed3d55be843b"
_ENCODING = {"PCMU": "audio/x-mulaw", "PCMA": "audio/x-alaw", "L16": "audio/x-l16",
             "G722": "audio/G722"}


def start_msg(codec: str = "PCMU", rate: int = 8000) -> str:
    return json.dumps({
        "event": "start", "sequenceNumber": "1",
        "start": {"accountSid": "acc", "streamSid": SID, "callSid": "call",
                  "tracks": ["inbound"], "customParameters": {},
                  "mediaFormat": {"encoding": _ENCODING[codec], "sampleRate": rate,
                                  "channels": 1}},
        "streamSid": SID})


def media_msg(chunk: int, payload: bytes, seq: int) -> str:
    return json.dumps({"event": "media", "sequenceNumber": str(seq),
                       "media": {"track": "inbound", "chunk": str(chunk),
                                 "timestamp": str(20 * (chunk - 1)),
                                 "payload": base64.b64encode(payload).decode()},
                       "streamSid": SID})


def _new(codec: str, rate: int) -> signalwire.MediaStream:
    attribute = codec if rate == 8000 or codec == "G722" else f"{codec}@{rate}h"
    return signalwire.MediaStream(rate=rate, codec=attribute)


WIRE = ct.Wire(new=_new, start=start_msg, media=media_msg,
               mark_echo=lambda name: json.dumps({"event": "mark", "streamSid": SID,
                                                  "mark": {"name": name}}),
               stop=None)


@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("PCMA", 8000), ("L16", 8000),
                                        ("L16", 16000), ("L16", 24000)])
def test_every_codec_and_rate_decodes(codec, rate):
    ct.check_decodes(WIRE, codec, rate)


def test_g722_decodes_like_the_codec():
    import streamcodec as sc
    s = _new("G722", 16000)
    s.feed(start_msg("G722", 8000))     # G.722's RTP clock rate is 8000
    assert s.codec == "G722" and s.playback_rate == 16000
    ref = sc.Decoder("G722", rate=16000)
    for chunk in (1, 2):
        payload = bytes(range(chunk, chunk + 160))
        (m,) = s.feed(media_msg(chunk, payload, chunk + 1))
        assert m.pcm == ref.decode(payload)


@pytest.mark.parametrize("codec,rate", [("PCMA", 8000), ("L16", 16000)])
def test_reorder_loss_duplicates(codec, rate):
    ct.check_reorder_loss_duplicates(WIRE, codec, rate)


def test_first_frames_swapped():
    ct.check_first_frames_swapped(WIRE, "L16", 16000)


def test_fast_path_matches_python():
    ct.check_fast_path_matches_python(WIRE, "L16", 24000)


def test_playback_follows_the_start_and_names_the_stream():
    s = signalwire.MediaStream(rate=16000)                # PCMU until start says
    s.feed(start_msg("L16", 16000))
    assert (s.playback_codec, s.playback_rate) == ("L16", 16000)
    pcm = bytes(range(256)) * 2 + bytes(128)              # 320 samples: one 20 ms message
    (msg,) = s.play(pcm, 16000)
    assert json.loads(msg)["streamSid"] == SID
    wire = np.frombuffer(pcm, "=i2").astype("<i2").tobytes()    # little-endian L16
    assert ct.decode_b64(msg, "media", "payload") == wire
    sent = ct.check_mark_accounting(WIRE, s, 640, 16000)
    assert len(sent) == 2


def test_codec_attribute():
    assert signalwire.codec_attribute("PCMU") == ("PCMU", 8000, None)
    assert signalwire.codec_attribute("L16@24000h@40i") == ("L16", 24000, 40)
    assert signalwire.codec_attribute("g722") == ("G722", 16000, None)
    assert signalwire.MediaStream(codec="PCMU@40i").playback_ptime == 40
    for bad in ("OPUS", "L16@44100h", "PCMU@x"):
        with pytest.raises(ValueError):
            signalwire.codec_attribute(bad)


def test_documented_messages():
    """SignalWire's <Stream> page (signalwire/docs, cxml/voice/stream.mdx):
    its start example (UUID ids, audio/x-L16 at 24000 Hz), a media message
    that carries no streamSid, and a bare stop."""
    from streamcodec.server.carriers import detect
    start = {"event": "start", "sequenceNumber": "1",
             "start": {"streamSid": SID, "accountSid": "b08dacad-2f6c-4de1-93d6-cc732e0c69c5",
                       "callSid": "76ac3c36-56da-4a3e-a0d6-b5f8df6da9ad", "tracks": ["inbound"],
                       "customParameters": {},
                       "mediaFormat": {"encoding": "audio/x-L16", "sampleRate": 24000,
                                       "channels": 1}}}
    assert detect(start) == "signalwire"
    s = signalwire.MediaStream(rate=24000, codec="L16@24000h")
    (st,) = s.feed(json.dumps(start))
    assert (st.codec, st.media_format.sample_rate, st.stream_id) == ("L16", 24000, SID)
    payload = ct.payload_of("L16", 24000, 1)
    (m,) = s.feed(json.dumps({"event": "media", "sequenceNumber": "2",
                              "media": {"track": "inbound", "chunk": "1", "timestamp": "0",
                                        "payload": base64.b64encode(payload).decode()}}))
    assert m.chunk == 1 and m.pcm == ct.reference("L16", payload)   # little-endian
    (stop,) = s.feed('{"event": "stop", "sequenceNumber": "999"}')
    assert isinstance(stop, signalwire.Stop) and stop.sequence_number == 999
    # its μ-law start, told from Twilio's by the UUID
    start["start"]["mediaFormat"] = {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                     "channels": 1}
    assert detect(start) == "signalwire"
