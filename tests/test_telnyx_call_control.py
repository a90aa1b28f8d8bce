"""Call Control streaming fields: what streaming_params builds for dial,
answer and actions/streaming_start, and what it refuses.

The allowed values below are copied from Telnyx's OpenAPI-generated SDKs
(telnyx-python 4.164 / telnyx-node, 2026-08: StreamCodec,
StreamBidirectionalCodec, StreamBidirectionalSamplingRate,
StreamBidirectionalTargetLegs, stream_track), so a change in the module's
tables shows up here.
"""

from __future__ import annotations

import json

import pytest

from streamcodec import telnyx
from streamcodec.telnyx import call_control

SDK_STREAM_CODECS = ["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16", "default"]
SDK_BIDIRECTIONAL_CODECS = ["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16"]
SDK_RATES = [8000, 16000, 22050, 24000, 48000]
SDK_LEGS = ["both", "self", "opposite"]
SDK_TRACKS = ["inbound_track", "outbound_track", "both_tracks"]


def test_only_the_url():
    assert call_control.streaming_params("wss://example.com/stream") == {
        "stream_url": "wss://example.com/stream"}
    assert telnyx.call_control is call_control


def test_every_field_and_its_json():
    params = call_control.streaming_params(
        "wss://example.com/bot?call=1", track="both_tracks", codec="l16",
        bidirectional_mode="RTP", bidirectional_codec="opus",
        bidirectional_sampling_rate=48000, bidirectional_target_legs="Self",
        auth_token="s3cret", custom_parameters={"customer_id": 12345, "lang": "en"})
    assert params == {
        "stream_url": "wss://example.com/bot?call=1",
        "stream_track": "both_tracks",
        "stream_codec": "L16",
        "stream_bidirectional_mode": "rtp",
        "stream_bidirectional_codec": "OPUS",
        "stream_bidirectional_sampling_rate": 48000,
        "stream_bidirectional_target_legs": "self",
        "stream_auth_token": "s3cret",
        "custom_parameters": [{"name": "customer_id", "value": "12345"},
                              {"name": "lang", "value": "en"}],
    }
    assert list(params) == ["stream_url", "stream_track", "stream_codec",
                            "stream_bidirectional_mode", "stream_bidirectional_codec",
                            "stream_bidirectional_sampling_rate",
                            "stream_bidirectional_target_legs", "stream_auth_token",
                            "custom_parameters"]
    assert json.loads(json.dumps(params)) == params
    # the sampling rate is a JSON number, as the schema types it
    assert '"stream_bidirectional_sampling_rate": 48000' in json.dumps(params)


def test_allowed_values_are_telnyx_published_ones():
    assert list(call_control.STREAM_CODECS) == SDK_STREAM_CODECS
    assert list(call_control.BIDIRECTIONAL_CODECS) == SDK_BIDIRECTIONAL_CODECS
    assert list(call_control.BIDIRECTIONAL_RATES) == SDK_RATES
    assert list(call_control.TARGET_LEGS) == SDK_LEGS
    assert list(call_control.TRACKS) == SDK_TRACKS
    for codec in SDK_STREAM_CODECS:
        assert call_control.streaming_params("wss://h", codec=codec)["stream_codec"] == codec
    for track in SDK_TRACKS:
        assert call_control.streaming_params("wss://h", track=track)["stream_track"] == track
    for legs in SDK_LEGS:
        p = call_control.streaming_params("wss://h", bidirectional_target_legs=legs)
        assert p["stream_bidirectional_target_legs"] == legs
    for codec in SDK_BIDIRECTIONAL_CODECS:      # any codec with any rate
        for rate in SDK_RATES + [str(r) for r in SDK_RATES]:
            p = call_control.streaming_params("wss://h", bidirectional_mode="rtp",
                                              bidirectional_codec=codec,
                                              bidirectional_sampling_rate=rate)
            assert p["stream_bidirectional_codec"] == codec
            assert p["stream_bidirectional_sampling_rate"] == int(rate)


def test_mp3_mode():
    assert call_control.streaming_params("wss://h", bidirectional_mode="mp3",
                                         bidirectional_target_legs="both") == {
        "stream_url": "wss://h", "stream_bidirectional_mode": "mp3",
        "stream_bidirectional_target_legs": "both"}


def test_commands():
    full = dict(bidirectional_mode="rtp", bidirectional_codec="G722",
                bidirectional_sampling_rate=16000, auth_token="t")
    dial = call_control.streaming_params("wss://h", command="dial", **full)
    assert dial == call_control.streaming_params("wss://h", **full)
    # answer: Telnyx's answer schema has no sampling rate, auth token or
    # custom parameters, so they are refused rather than silently ignored
    ok = call_control.streaming_params("wss://h", command="ANSWER", track="both_tracks",
                                       bidirectional_mode="rtp", bidirectional_codec="PCMA",
                                       bidirectional_target_legs="opposite")
    assert ok == {"stream_url": "wss://h", "stream_track": "both_tracks",
                  "stream_bidirectional_mode": "rtp", "stream_bidirectional_codec": "PCMA",
                  "stream_bidirectional_target_legs": "opposite"}
    for key, value in (("bidirectional_sampling_rate", 16000), ("auth_token", "t"),
                       ("custom_parameters", {"a": "b"})):
        kwargs = {key: value, "bidirectional_mode": "rtp"}
        with pytest.raises(ValueError, match=f"stream_{key}|{key}") as info:
            call_control.streaming_params("wss://h", command="answer", **kwargs)
        assert "answer" in str(info.value) and "streaming_start" in str(info.value)
    with pytest.raises(ValueError, match="custom_parameters.*dial"):
        call_control.streaming_params("wss://h", command="dial", custom_parameters={"a": 1})


@pytest.mark.parametrize("kwargs, match", [
    (dict(url="https://h/s"), "stream_url must be an absolute ws or wss URL"),
    (dict(url="wss://"), "ws or wss"),
    (dict(url="wss://h/a b"), "whitespace"),
    (dict(track="both"), "stream_track must be one of inbound_track, outbound_track, both_tracks"),
    (dict(codec="G729"), "stream_codec must be one of PCMU, PCMA, G722, OPUS, AMR-WB, L16, default"),
    (dict(bidirectional_mode="webrtc"), "stream_bidirectional_mode must be one of mp3, rtp"),
    (dict(bidirectional_mode="rtp", bidirectional_codec="default"),
     "stream_bidirectional_codec must be one of PCMU, PCMA, G722, OPUS, AMR-WB, L16"),
    (dict(bidirectional_codec="PCMA"), "stream_bidirectional_codec is used only with "
                                       "stream_bidirectional_mode='rtp'"),
    (dict(bidirectional_mode="mp3", bidirectional_codec="PCMA"), "only with"),
    (dict(bidirectional_sampling_rate=16000), "only with"),
    (dict(bidirectional_mode="rtp", bidirectional_sampling_rate=44100),
     "stream_bidirectional_sampling_rate must be one of 8000, 16000, 22050, 24000, 48000"),
    (dict(bidirectional_mode="rtp", bidirectional_sampling_rate=True), "22050"),
    (dict(bidirectional_mode="rtp", bidirectional_sampling_rate=16000.5), "22050"),
    (dict(bidirectional_target_legs="caller"),
     "stream_bidirectional_target_legs must be one of both, self, opposite"),
    (dict(auth_token=""), "stream_auth_token must not be empty"),
    (dict(auth_token="x" * 4001), "at most 4000 characters"),
    (dict(custom_parameters={"": "x"}), "empty"),
    (dict(command="transfer"), "command must be one of dial, answer, streaming_start"),
])
def test_validation(kwargs, match):
    url = kwargs.pop("url", "wss://h")
    with pytest.raises(ValueError, match=match):
        call_control.streaming_params(url, **kwargs)


def test_validation_types():
    with pytest.raises(TypeError, match="stream_url"):
        call_control.streaming_params(None)
    with pytest.raises(TypeError, match="stream_auth_token"):
        call_control.streaming_params("wss://h", auth_token=1234)
    with pytest.raises(TypeError, match="custom_parameters"):
        call_control.streaming_params("wss://h", custom_parameters=[("a", "b")])
    with pytest.raises(TypeError, match="custom parameter 'a'"):
        call_control.streaming_params("wss://h", custom_parameters={"a": None})
    with pytest.raises(TypeError):
        call_control.streaming_params("wss://h", stream_track="both_tracks")
    p = call_control.streaming_params("wss://h", bidirectional_mode="rtp",
                                      bidirectional_sampling_rate=16000.0)
    assert type(p["stream_bidirectional_sampling_rate"]) is int    # written as 16000, not 16000.0
    assert call_control.streaming_params("wss://h", auth_token="x" * 4000)[
        "stream_auth_token"] == "x" * 4000
