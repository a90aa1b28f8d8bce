"""TeXML <Stream> documents: the reference's two examples element for
element, every attribute, validation and escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from streamcodec.telnyx import texml

SEED_1 = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Start>
    <Stream url="wss://yourdomain.com/stream" track="both_tracks" />
  </Start>
</Response>"""

SEED_2 = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Start>
    <Stream url="wss://yourdomain.com/stream" statusCallback="https://example.com/stream-events">
      <Parameter name="customer_id" value="12345" />
      <Parameter name="call_type" value="support" />
    </Stream>
  </Start>
</Response>"""


def tree(text: str):
    """(tag, attributes, children) recursively; whitespace-only text ignored."""
    def walk(el):
        assert not (el.text or "").strip() and not (el.tail or "").strip()
        return (el.tag, dict(el.attrib), [walk(c) for c in el])
    return walk(ET.fromstring(text.encode()))


def test_seed_example_1():
    doc = texml.start_stream("wss://yourdomain.com/stream", track="both_tracks")
    assert tree(doc) == tree(SEED_1)
    assert tree(doc) == ("Response", {}, [("Start", {}, [
        ("Stream", {"url": "wss://yourdomain.com/stream", "track": "both_tracks"}, [])])])
    assert doc.strip() == SEED_1  # the same text, layout included


def test_seed_example_2():
    doc = texml.start_stream("wss://yourdomain.com/stream",
                             status_callback="https://example.com/stream-events",
                             parameters={"customer_id": "12345", "call_type": "support"})
    assert tree(doc) == tree(SEED_2)
    stream = tree(doc)[2][0][2][0]
    assert [c[1] for c in stream[2]] == [{"name": "customer_id", "value": "12345"},
                                         {"name": "call_type", "value": "support"}]
    assert doc.strip() == SEED_2


def test_every_attribute_camel_case():
    doc = texml.connect_stream(
        "ws://10.0.0.1:8080/bot?x=1&y=2", track="inbound_track", name="bot", codec="pcma",
        bidirectional_mode="RTP", bidirectional_codec="opus", bidirectional_sampling_rate=24000,
        status_callback="http://example.com/cb", status_callback_method="get",
        parameters={"n": 5})
    root = ET.fromstring(doc.encode())
    assert root.tag == "Response" and root[0].tag == "Connect"
    stream = root[0][0]
    assert stream.attrib == {
        "url": "ws://10.0.0.1:8080/bot?x=1&y=2", "track": "inbound_track", "name": "bot",
        "codec": "PCMA", "bidirectionalMode": "rtp", "bidirectionalCodec": "OPUS",
        "bidirectionalSamplingRate": "24000", "statusCallback": "http://example.com/cb",
        "statusCallbackMethod": "GET"}
    assert [(p.tag, p.attrib) for p in stream] == [("Parameter", {"name": "n", "value": "5"})]
    assert "&amp;y=2" in doc


def test_stop_stream():
    assert tree(texml.stop_stream("my stream")) == (
        "Response", {}, [("Stop", {}, [("Stream", {"name": "my stream"}, [])])])


def test_escaping_round_trips():
    nasty = 'a<b>&"c\'\t\nd'
    doc = texml.start_stream("wss://h/s", name=nasty, parameters={"k&": nasty})
    stream = ET.fromstring(doc.encode())[0][0]
    assert stream.get("name") == nasty
    assert stream[0].get("name") == "k&" and stream[0].get("value") == nasty


def test_composable_elements():
    resp = texml.Response(texml.Start(texml.Stream("wss://a/1", name="one"),
                                      texml.Stream("wss://b/2", name="two")))
    resp.append(texml.Stop(texml.Stream(name="one")))
    root = ET.fromstring(resp.document().encode())
    assert [c.tag for c in root] == ["Start", "Stop"]
    assert [s.get("name") for s in root[0]] == ["one", "two"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(url="https://h/s"), "ws or wss"),
    (dict(url="wss://"), "ws or wss"),
    (dict(url="wss://h/a b"), "whitespace"),
    (dict(url="wss://h", track="both"), "track must be one of"),
    (dict(url="wss://h", codec="G729"), "codec must be one of"),
    (dict(url="wss://h", bidirectional_mode="webrtc"), "bidirectional_mode"),
    (dict(url="wss://h", bidirectional_codec="PCMA"), "only with bidirectional_mode='rtp'"),
    (dict(url="wss://h", bidirectional_mode="mp3", bidirectional_codec="PCMA"), "only with"),
    (dict(url="wss://h", bidirectional_sampling_rate=16000), "only with"),
    (dict(url="wss://h", bidirectional_mode="rtp", bidirectional_codec="L16"), "bidirectional_codec"),
    (dict(url="wss://h", bidirectional_mode="rtp", bidirectional_sampling_rate=44100), "8000, 16000, 24000"),
    (dict(url="wss://h", bidirectional_mode="rtp", bidirectional_sampling_rate=22050),
     "8000, 16000, 24000"),
    (dict(url="wss://h", bidirectional_mode="rtp", bidirectional_sampling_rate="16k"),
     "8000, 16000, 24000"),
    (dict(url="wss://h", bidirectional_mode="rtp", bidirectional_sampling_rate=True),
     "8000, 16000, 24000"),
    (dict(url="wss://h", status_callback="wss://x/y"), "http or https"),
    (dict(url="wss://h", status_callback="ftp://x"), "http or https"),
    (dict(url="wss://h", status_callback_method="GET"), "needs a status_callback"),
    (dict(url="wss://h", status_callback="https://x", status_callback_method="PUT"), "GET, POST"),
    (dict(url="wss://h", name=""), "empty"),
    (dict(url="wss://h", parameters={"": "x"}), "empty"),
    (dict(url="wss://h", name="bad\x01"), "cannot appear"),
])
def test_validation(kwargs, match):
    url = kwargs.pop("url")
    with pytest.raises(ValueError, match=match):
        texml.start_stream(url, **kwargs)


def test_validation_types():
    with pytest.raises(TypeError):
        texml.start_stream("wss://h", parameters=[("a", "b")])
    with pytest.raises(TypeError):
        texml.start_stream("wss://h", parameters={"a": None})
    with pytest.raises(TypeError):
        texml.start_stream(None)
    with pytest.raises(TypeError):
        texml.start_stream("wss://h", unknown_attribute=1)
    with pytest.raises(ValueError, match="needs a url"):
        texml.Start(texml.Stream(name="x"))
    with pytest.raises(ValueError, match="needs the name"):
        texml.Stop(texml.Stream("wss://h"))
    with pytest.raises(TypeError):
        texml.Start(texml.Parameter("a", "b"))


def test_every_codec_with_every_rate():
    """The verb lists codecs and rates separately: any listed codec goes with
    any listed rate (Telnyx resamples), so none of the 15 pairs is refused."""
    for codec in ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB"):
        for rate in (8000, 16000, 24000, "24000"):
            doc = texml.start_stream("wss://h", bidirectional_mode="rtp",
                                     bidirectional_codec=codec.lower(),
                                     bidirectional_sampling_rate=rate)
            stream = ET.fromstring(doc.encode())[0][0]
            assert stream.get("bidirectionalCodec") == codec
            assert stream.get("bidirectionalSamplingRate") == str(rate)
    # the default codec (PCMU) at 16000, and G722 at 8000: both refused before
    for codec, rate in ((None, 16000), ("G722", 8000)):
        doc = texml.connect_stream("wss://h", bidirectional_mode="rtp",
                                   bidirectional_codec=codec, bidirectional_sampling_rate=rate)
        assert f'bidirectionalSamplingRate="{rate}"' in doc
